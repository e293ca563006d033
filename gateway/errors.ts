// Every stable error code Vitrin reports, in one place. The README lists the same
// codes (a unit test keeps the two in step). Codes never change meaning once shipped.

export const ERROR_CODES = {
  VITRIN_ERR_CONFIG_UNREADABLE: 'The config file cannot be read or is not valid YAML.',
  VITRIN_ERR_CONFIG_INVALID: 'The config does not match its schema; every problem is listed with its path.',
  VITRIN_ERR_CONFIG_ENV: 'A VITRIN_* environment override names no config setting.',
  VITRIN_ERR_MQTT_BROKER_LISTEN: 'The embedded MQTT broker cannot listen on its host and port (often: port in use).',
  VITRIN_ERR_MQTT_CONNECT: 'The MQTT broker cannot be reached or refused the connection.',
  VITRIN_ERR_MQTT_PUBLISH: 'A message could not be handed to the MQTT broker.',
  VITRIN_ERR_MQTT_AUTH_REQUIRED:
    'The embedded MQTT broker would listen beyond this machine (mqtt.embedded.host or the TLS listener) with no MQTT login configured, outside demo mode: give terminals and receivers a passwordHash, or listen on 127.0.0.1.',
  VITRIN_ERR_MQTT_TLS: 'A TLS file named in mqtt.tls (cert, key or ca) cannot be read or is not a usable PEM certificate or key.',
  VITRIN_ERR_MOSQUITTO_CONFIG:
    "vitrin mosquitto-config cannot write Mosquitto's password, ACL or dynamic security file, or the config lacks the gateway's own login (mqtt.username and mqtt.password).",
  VITRIN_ERR_STORE_OPEN: 'The SQLite database in the data directory cannot be opened or migrated.',
  VITRIN_ERR_STORE_WRITE: 'A batch of events could not be written; it is kept in memory and retried.',
  VITRIN_ERR_MODEL_LOAD: 'The model file or its manifest cannot be read or parsed by ONNX Runtime.',
  VITRIN_ERR_MODEL_CHECKSUM: "The model file's sha256 differs from its manifest.",
  VITRIN_ERR_MODEL_MISMATCH: "The model's inputs or outputs do not match its manifest.",
  VITRIN_ERR_MODEL_RUN: 'ONNX Runtime failed while scoring a batch.',
  VITRIN_ERR_MODEL_FORMAT: 'The model file is not an ONNX model (empty, truncated, not protobuf, or a field of the wrong type); the byte where reading stopped is named.',
  VITRIN_ERR_MODEL_UNSUPPORTED:
    'The model is valid ONNX but cannot be scored: not one float32 input [batch, features], a fixed batch other than 1, no probability, logit or label output, or a ZipMap that cannot be removed; each problem names the export fix.',
  VITRIN_ERR_HTTP_LISTEN: 'The HTTP server cannot listen on its host and port.',
  VITRIN_ERR_BLE_SOURCE: 'The configured BLE source is not available on this machine.',
  VITRIN_ERR_BLE_PERMISSION:
    'The Bluetooth adapter refused access: run under systemd with AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN (or setcap them on node), or use ble.binding: dbus.',
  VITRIN_ERR_BLE_ADAPTER:
    'The Bluetooth adapter is missing, blocked or powered off: check `rfkill list` (unblock it), `hciconfig`/`bluetoothctl power on`, and ble.adapters in config.',
  VITRIN_ERR_BLE_BINDING: 'The configured noble binding cannot start: hci needs a Linux HCI socket, dbus needs BlueZ (bluetoothd) on the system bus.',
  VITRIN_ERR_GATT_READ:
    'Reading the EID of a background iOS device over GATT failed (no connection, service or characteristic missing, timeout, link lost); the address is retried later with backoff.',
  VITRIN_ERR_CAPTURE_READ: 'A btsnoop capture cannot be read or is not a btsnoop file; a damaged record is named by its index.',
  VITRIN_ERR_CAPTURE_WRITE: 'vitrin record cannot write its capture file.',
  VITRIN_ERR_SIGHTINGS_INVALID: 'A remote receiver published sightings that break the vitrin.sightings/1 contract or name an unknown receiver, or an ESPresense node sent a broken report or one from an unconfigured room; they are dropped.',
  VITRIN_ERR_RECEIVER_MODE: 'Receiver mode needs mqtt.url (the main gateway\'s broker) and at least one local adapter.',
  VITRIN_ERR_DECODE_INPUT: 'Input to vitrin decode is not hex, not advertising data, or a malformed HCI event.',
  VITRIN_ERR_ROSTER_KEY:
    'The roster key is missing, malformed or does not open the stored roster: put 64 hex digits (openssl rand -hex 32) in the systemd credential roster-key or in VITRIN_ROSTER_KEY; the same key as when the roster was imported.',
  VITRIN_ERR_ROSTER_INVALID: 'A roster file does not match vitrin.roster/1; every problem is listed with its path.',
  VITRIN_ERR_REQUEST_INVALID: 'A gateway/request/<op> message is not JSON, names an unknown operation, or breaks its schema; the error goes to gateway/response/<op>.',
  VITRIN_ERR_REQUEST_FAILED: 'A gateway request was valid but could not be carried out; the response says why.',
  VITRIN_ERR_HTTP_NOT_FOUND: 'No HTTP route answers this method and path.',
  VITRIN_ERR_HTTP_REQUEST:
    'The HTTP request cannot be read: bytes that are not HTTP, broken or oversized headers, a body that is not JSON, of another content type, or over 64 KB; details name the reason.',
  VITRIN_ERR_HTTP_INTERNAL: 'The gateway failed while answering an HTTP request; the log has the cause.',
  VITRIN_ERR_HTTP_UNAUTHORIZED: 'The admin API needs Authorization: Bearer <http.adminToken>; the token is missing or wrong, or the admin API is off (empty http.adminToken).',
  VITRIN_ERR_CATALOG_INVALID: 'The store catalog (data.dir/catalog.json) does not match vitrin.catalog/1; every problem is listed. The gateway keeps suggesting from member profiles alone.',
  VITRIN_ERR_FEEDBACK_INVALID: 'Feedback from a terminal is not JSON or breaks vitrin.feedback/1; the problems go back on pos/<terminal>/errors.',
  VITRIN_ERR_FEEDBACK_UNKNOWN_CARD: 'Feedback names a card (or a suggestion) this terminal was not shown lately; it is answered on pos/<terminal>/errors and not stored.',
  VITRIN_ERR_PAIRING: 'A tablet pairing code is unknown, expired or already used, or the tablet list cannot be read; store IT makes a new code on the admin page.',
  VITRIN_ERR_TABLET_UNAUTHORIZED: 'The advisor page needs a paired tablet: the tablet token is missing, unknown or revoked; pair again with a code from store IT.',
  VITRIN_ERR_INSTALL_UNSUPPORTED:
    'systemd/install.sh refuses this machine: a 32-bit OS or Node (ONNX Runtime ships 64-bit binaries only), Node older than 20.12, Node installed under /home or /root (the hardened service cannot run it there), no build (dist/) or not run as root; the message says which, with the fix.',
  VITRIN_ERR_CLI_USAGE: 'A vitrin command was called with missing or malformed arguments.',
  VITRIN_ERR_CLOUD_CONFIG:
    'The cloud settings cannot be used: a cron expression in cloud.*Cron does not parse, a key in cloud.signingPublicKeys is not an Ed25519 public key (base64 of 32 bytes, or PEM), or a cloud.tls file cannot be read.',
  VITRIN_ERR_CLOUD_OFF: 'Cloud sync is off (cloud.url is empty): gateway/request/sync has nothing to do.',
  VITRIN_ERR_CLOUD_UPLINK:
    'A batch of records could not be delivered to the cloud (network error, timeout, 5xx, 429); it stays in the outbox and is sent again with backoff under the same Idempotency-Key.',
  VITRIN_ERR_CLOUD_AUTH: "The cloud refused the gateway's credentials (401 or 403): check cloud.token or the client certificate in cloud.tls.",
  VITRIN_ERR_CLOUD_REJECTED:
    'The cloud refused a batch as malformed (400 or 422); the batch stays in the outbox and is retried at the longest backoff, so nothing is lost while the cloud is fixed.',
  VITRIN_ERR_CLOUD_DOWNLINK: 'The package list could not be fetched from the cloud (network error, timeout, unexpected status or body); the next poll tries again.',
  VITRIN_ERR_OUTBOX_FULL:
    'The outbox reached cloud.diskCapMb: the oldest undelivered raw visit events (then exposures and reactions) were dropped, counted and reported to the cloud; summaries and erasure receipts are never dropped.',
  VITRIN_ERR_PACKAGE_SIGNATURE:
    'A cloud package does not verify against any key in cloud.signingPublicKeys (tampered, signed by an unknown key, or no key configured); it is refused and nothing of it is applied.',
  VITRIN_ERR_PACKAGE_REPLAY: "A cloud package's version is not above the last one applied for its kind (a replay or a downgrade); it is refused.",
  VITRIN_ERR_PACKAGE_INVALID:
    'A correctly signed cloud package cannot be used: it names another store, breaks its schema, or does not build on the roster version this gateway holds; it is refused and nothing of it is applied.',
  VITRIN_ERR_PACKAGE_APPLY:
    'A verified cloud package failed while being applied (a model that does not load, a file that cannot be written, no roster key for a roster delta); what it would replace stays in use.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class VitrinError extends Error {
  readonly code: ErrorCode;
  /** Extra facts for the operator, e.g. the list of config problems. */
  readonly details: readonly string[];

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: readonly string[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VitrinError';
    this.code = code;
    this.details = options.details ?? [];
  }
}

export function isVitrinError(err: unknown, code?: ErrorCode): err is VitrinError {
  return err instanceof VitrinError && (code === undefined || err.code === code);
}
