import { Type, type Static } from '@sinclair/typebox';
import { PASSWORD_HASH_PATTERN } from '../mqtt/passwords.js';

// The one definition of Vitrin's configuration. `config/schema.json` is generated
// from it (`vitrin config schema`) so editors can validate store files; a unit test
// keeps the two identical. Settings marked `secret` never reach logs, `gateway/info`
// or the config digest.

const Id = (description: string) =>
  Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$', description });

const UUID128 = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

const Secret = (description: string) => Type.String({ secret: true, description });

// A Mosquitto 2.x password hash ($7$, PBKDF2-SHA512): `vitrin hash-password` or
// `mosquitto_passwd` makes one. Secret although it is no password: it stays out of
// logs and the digest, and an offline guess needs it.
const PasswordHash = (description: string) =>
  Type.String({ secret: true, pattern: PASSWORD_HASH_PATTERN, description: `${description} A $7$ hash from vitrin hash-password or mosquitto_passwd.` });

const Zone = Type.Object(
  {
    id: Id('Zone id, used in topics and cards.'),
    name: Type.String({ minLength: 1 }),
    kind: Type.Union([Type.Literal('entrance'), Type.Literal('floor'), Type.Literal('fitting'), Type.Literal('pos')]),
    dwellSeconds: Type.Number({ minimum: 1, maximum: 3600, description: 'Time in the zone before a member counts as dwelling.' }),
  },
  { additionalProperties: false },
);

const Receiver = Type.Object(
  {
    id: Id('Receiver id; one per BLE adapter or remote receiver.'),
    zone: Type.String({ description: 'The zone this receiver covers (zones[].id).' }),
    rssiOffset: Type.Number({ default: 0, minimum: -30, maximum: 30, description: 'Calibration added to every RSSI (vitrin calibrate prints it).' }),
    pathLossExponent: Type.Number({
      default: 2.2,
      minimum: 1.5,
      maximum: 5,
      description: 'How fast the signal falls with distance here: 2 in open space, 2.5-4 among shelves and people.',
    }),
    passwordHash: Type.Optional(PasswordHash('MQTT login receiver.<id> of a remote receiver (a Vitrin box in receiver mode): may publish only its own sightings and state.')),
    via: Type.Optional(
      Type.String({
        description: 'Another adapter of a remote receiver box: the receiver id whose MQTT login that box uses; the login may then publish this receiver\'s sightings too.',
      }),
    ),
  },
  { additionalProperties: false },
);

const Terminal = Type.Object(
  {
    id: Id('POS terminal id, used in its MQTT topics.'),
    zone: Type.String({ description: 'The POS zone this terminal serves (zones[].id).' }),
    passwordHash: Type.Optional(PasswordHash('MQTT login pos.<id>: may read only its own cards, present list and errors and the gateway state, and publish only its own feedback.')),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    store: Type.Object(
      {
        id: Id('Store id; the MQTT base topic is vitrin/<id>/.'),
        name: Type.String({ minLength: 1 }),
        timezone: Type.String({ default: 'Europe/Istanbul' }),
      },
      { additionalProperties: false },
    ),
    mode: Type.Union([Type.Literal('demo'), Type.Literal('production')], {
      description: 'demo seeds a roster and may simulate the store; production refuses to run without real data.',
    }),
    mqtt: Type.Object(
      {
        url: Type.String({
          description: 'External broker, e.g. mqtt://127.0.0.1:1883, or mqtts://<host>:8883 with mqtt.tls.ca. Empty: start the embedded broker.',
        }),
        clientId: Type.String({ minLength: 1 }),
        username: Type.String({
          description: "This box's login on the external broker: the gateway's own (vitrin mosquitto-config writes it), or receiver.<id> in receiver mode. The embedded broker ignores it.",
        }),
        password: Secret('Password for the external broker.'),
        protocolVersion: Type.Union([Type.Literal(4), Type.Literal(5)]),
        healthSeconds: Type.Integer({ minimum: 5, maximum: 3600, description: 'How often the retained gateway/health is published; a change of status is published at once.' }),
        embedded: Type.Object(
          {
            host: Type.String({ minLength: 1, description: 'Listen address; loopback unless POS terminals connect from the network.' }),
            port: Type.Integer({ minimum: 0, maximum: 65535 }),
          },
          { additionalProperties: false },
        ),
        tls: Type.Object(
          {
            ca: Type.String({ description: 'PEM file of the CA that signed the broker certificate, trusted for an mqtts:// mqtt.url (also in receiver mode). Empty: the system CAs.' }),
            cert: Type.String({ description: "PEM file of the embedded broker's TLS certificate (with its chain). With key: a TLS listener on host:port. Empty: none." }),
            key: Type.String({ description: 'PEM file of that certificate\'s private key.' }),
            host: Type.String({ minLength: 1, description: "The embedded broker's TLS listen address." }),
            port: Type.Integer({ minimum: 0, maximum: 65535, description: "The embedded broker's TLS port (8883 is MQTT over TLS)." }),
          },
          { additionalProperties: false },
        ),
        admins: Type.Array(
          Type.Object(
            {
              username: Id('MQTT username of a store IT or admin tool.'),
              passwordHash: PasswordHash('Its password.'),
            },
            { additionalProperties: false },
          ),
          { description: 'Logins that may send gateway/request/<op> and read everything under vitrin/<store>/.' },
        ),
      },
      { additionalProperties: false },
    ),
    http: Type.Object(
      {
        host: Type.String({ minLength: 1 }),
        port: Type.Integer({ minimum: 0, maximum: 65535 }),
        adminToken: Secret('Bearer token for the admin API; empty disables it.'),
      },
      { additionalProperties: false },
    ),
    data: Type.Object(
      { dir: Type.String({ minLength: 1, description: 'SQLite and state; /var/lib/vitrin under systemd.' }) },
      { additionalProperties: false },
    ),
    log: Type.Object(
      {
        level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace'].map((l) => Type.Literal(l))),
      },
      { additionalProperties: false },
    ),
    ble: Type.Object(
      {
        source: Type.Union([Type.Literal('auto'), Type.Literal('radio'), Type.Literal('simulator')], {
          description:
            'auto: the Bluetooth adapters when one is present, else (demo mode only) the simulated store, labelled as such. radio: the adapters or a clear error. simulator: demo mode only.',
        }),
        mode: Type.Union([Type.Literal('gateway'), Type.Literal('receiver')], {
          description:
            'gateway: the whole service. receiver: only the adapters, forwarding what carries the app identifiers to the main gateway over MQTT (mqtt.url).',
        }),
        binding: Type.Union([Type.Literal('hci'), Type.Literal('dbus')], {
          description: 'hci: raw HCI socket (needs CAP_NET_RAW and CAP_NET_ADMIN; BlueZ may keep running). dbus: through bluetoothd on the system bus.',
        }),
        adapters: Type.Array(
          Type.Object(
            {
              device: Type.Integer({ minimum: 0, maximum: 15, description: 'N of hciN.' }),
              receiver: Type.String({ description: 'The receiver id this adapter reports as (receivers[].id).' }),
            },
            { additionalProperties: false },
          ),
          { minItems: 1, maxItems: 4, description: 'One entry per local adapter; each is its own receiver.' },
        ),
        uart: Type.String({
          description: 'Path of an HCI UART (a serial Bluetooth controller) to use instead of the kernel socket; hci binding, first adapter only. Empty: the kernel socket.',
        }),
        watchdogSeconds: Type.Integer({
          minimum: 5,
          maximum: 3600,
          description: 'No advertisement for this long: restart scanning; twice as long: reset the adapter.',
        }),
        startTimeoutSeconds: Type.Integer({ minimum: 1, maximum: 120, description: 'How long an adapter may take to power on at start.' }),
        espresense: Type.Object(
          {
            topicPrefix: Type.String({
              pattern: '^[^#+]+$',
              description: "The ESPresense nodes' MQTT topic prefix; they publish on <prefix>/devices/<id>/<room>.",
            }),
            username: Id('The MQTT username every ESPresense node logs in with.'),
            passwordHash: Type.String({
              secret: true,
              pattern: `^$|${PASSWORD_HASH_PATTERN}`,
              description: 'Their shared password: a $7$ hash (vitrin hash-password). The login may only publish under <prefix>/. Empty: no ESPresense login.',
            }),
            rooms: Type.Array(
              Type.Object(
                {
                  room: Type.String({ pattern: '^[^/#+]{1,64}$', description: 'The room name set on the ESPresense node.' }),
                  receiver: Type.String({ description: 'The receiver id its readings count as (receivers[].id).' }),
                },
                { additionalProperties: false },
              ),
              { description: 'ESPresense nodes as remote receivers, one entry per room. Empty: not listening. They relay only the iOS iBeacon carrier.' },
            ),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    simulator: Type.Object(
      {
        seed: Type.Integer({ minimum: 0 }),
        members: Type.Integer({ minimum: 0, maximum: 1000, description: 'Simulated app users from the demo roster walking the store.' }),
        nonMembers: Type.Integer({ minimum: 0, maximum: 10000, description: 'Other devices advertising nearby (phones, beacons, watches).' }),
        arrivalEverySeconds: Type.Number({ minimum: 1 }),
        advertisingIntervalMs: Type.Integer({ minimum: 50, maximum: 10000 }),
      },
      { additionalProperties: false },
    ),
    identity: Type.Object(
      {
        appUuid: Type.String({
          pattern: UUID128,
          description: "The retailer app's iBeacon proximity UUID.",
        }),
        rotationExponent: Type.Integer({ minimum: 0, maximum: 15, description: 'EID rotation: a new identifier every 2^K seconds.' }),
        ios: Type.Object(
          {
            overflowBit: Type.Integer({
              minimum: -1,
              maximum: 127,
              description:
                "The bit of Apple's overflow area that the app's background service UUID sets (iOS in the background); -1: do not look for background iOS members.",
            }),
            serviceUuid: Type.String({ pattern: UUID128, description: 'The GATT service the app exposes in the background.' }),
            eidCharacteristicUuid: Type.String({ pattern: UUID128, description: 'The characteristic of that service that reads as the current 8-byte EID.' }),
            maxConnections: Type.Integer({ minimum: 1, maximum: 4, description: 'GATT reads in flight at once, across adapters.' }),
            connectTimeoutSeconds: Type.Number({ minimum: 1, maximum: 30, description: 'Connect, read and disconnect must finish within this time.' }),
            retrySeconds: Type.Number({ minimum: 1, maximum: 3600, description: 'First wait after a failed read of an address; doubles with each failure.' }),
            banAfterFailures: Type.Integer({ minimum: 1, maximum: 20, description: 'After this many failed reads in a row an address is left alone for banSeconds.' }),
            banSeconds: Type.Number({ minimum: 60, maximum: 86400 }),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    presence: Type.Object(
      {
        leaveTimeoutSeconds: Type.Number({ minimum: 5 }),
        backgroundLeaveTimeoutSeconds: Type.Number({
          minimum: 5,
          description: 'Leave timeout for members heard only through the iOS background path, whose phones advertise with long gaps.',
        }),
        filter: Type.Union([Type.Literal('kalman'), Type.Literal('median'), Type.Literal('ema')], {
          description: 'RSSI smoothing per member and receiver: kalman (default), median of a short window with outliers rejected, or an exponential moving average.',
        }),
        smoothing: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'ema filter: weight of a new RSSI sample.' }),
        zoneMarginDb: Type.Number({ minimum: 0, description: 'How far a challenger zone must lead before the member moves.' }),
        zoneSamples: Type.Integer({ minimum: 1, description: 'On how many of its own samples in a row it must lead.' }),
        zoneLeadSeconds: Type.Number({ minimum: 0, maximum: 60, description: 'For how long it must lead, at least: a phone sending ten adverts a second would otherwise pass zoneSamples in a third of a second.' }),
        minRssi: Type.Number({
          minimum: -127,
          maximum: -30,
          description: 'Calibrated RSSI below which a sighting is ignored: phones on the street, heard faintly through the shop front, keep nobody in the store.',
        }),
        staleReceiverSeconds: Type.Number({ minimum: 1, description: 'A receiver not hearing the member this long no longer counts.' }),
      },
      { additionalProperties: false },
    ),
    cards: Type.Object(
      {
        ttlSeconds: Type.Integer({ minimum: 10, description: 'How long a card stays valid on a till.' }),
        cooldownSeconds: Type.Integer({ minimum: 0, description: 'No second card for the same member in the same zone within this time.' }),
        cooldownByKind: Type.Object(
          {
            pos: Type.Optional(Type.Integer({ minimum: 0 })),
            floor: Type.Optional(Type.Integer({ minimum: 0 })),
            fitting: Type.Optional(Type.Integer({ minimum: 0 })),
          },
          { additionalProperties: false, description: 'Cooldown per zone kind, seconds; a kind not listed uses cooldownSeconds.' },
        ),
        dailyCap: Type.Integer({ minimum: 0, description: 'Cards per member per store day (store time zone), held-out decisions included; 0: no cap.' }),
        dismissalsToSuppress: Type.Integer({ minimum: 1, description: 'After this many dismissed cards in a day, no more cards for the member that day.' }),
        erasedSuppressHours: Type.Number({ minimum: 0, description: 'A member erased on this gateway gets no card for this long, even if the roster brings them back.' }),
        quiet: Type.Array(
          Type.Object(
            {
              from: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'Local time HH:MM.' }),
              to: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'Local time HH:MM; before from: the rule spans midnight.' }),
              days: Type.Optional(Type.Array(Type.Integer({ minimum: 0, maximum: 6 }), { description: '0 Monday to 6 Sunday; absent: every day.' })),
              zones: Type.Optional(Type.Array(Type.String(), { description: 'Zone ids; absent: every zone.' })),
            },
            { additionalProperties: false },
          ),
          { description: 'Times when no card is shown (staff briefing, closing): decisions are recorded as quiet.' },
        ),
      },
      { additionalProperties: false },
    ),
    model: Type.Object(
      { dir: Type.String({ minLength: 1, description: 'Folder with model.onnx and manifest.json.' }) },
      { additionalProperties: false },
    ),
    cloud: Type.Object(
      {
        url: Type.String({ description: 'Base URL of the cloud sync API, e.g. https://sync.example.com. Empty: no uplink or downlink (summaries, the disk cap and the purge still run).' }),
        token: Secret('Bearer token sent as Authorization: Bearer <token>. Empty: none (mTLS alone).'),
        tls: Type.Object(
          {
            cert: Type.String({ description: "PEM file of this gateway's client certificate for mTLS. Empty: no client certificate." }),
            key: Type.String({ description: "PEM file of that certificate's private key." }),
            ca: Type.String({ description: "PEM file of the CA to trust for the cloud's certificate. Empty: the system CAs." }),
          },
          { additionalProperties: false },
        ),
        batchMaxRecords: Type.Integer({ minimum: 1, maximum: 5000, description: 'A batch is sent as soon as this many records wait, and holds at most this many.' }),
        batchMaxAgeSeconds: Type.Integer({ minimum: 0, maximum: 86400, description: 'A smaller batch is sent once its oldest record has waited this long.' }),
        requestTimeoutSeconds: Type.Integer({ minimum: 1, maximum: 600, description: 'An uplink or downlink request that takes longer is abandoned and retried.' }),
        diskCapMb: Type.Number({
          exclusiveMinimum: 0,
          description: 'Undelivered records may take this much: past it the oldest raw visit events (then exposures and reactions) are dropped and counted; summaries and erasure receipts never.',
        }),
        uplinkCron: Type.String({ minLength: 1, description: 'node-cron expression (seconds first) for sending the outbox.' }),
        downlinkCron: Type.String({ minLength: 1, description: 'node-cron expression for polling signed packages.' }),
        summaryCron: Type.String({ minLength: 1, description: 'node-cron expression for the hourly summaries; hours missed while down are caught up.' }),
        purgeCron: Type.String({ minLength: 1, description: 'node-cron expression for the retention purge (store time zone).' }),
        retentionDays: Type.Integer({ minimum: 1, maximum: 3650, description: 'Delivered events older than this are deleted by the purge.' }),
        signingPublicKeys: Type.Array(Type.String({ minLength: 1 }), {
          description: 'Ed25519 public keys (base64 of the 32 raw bytes, or PEM) whose signatures on downlink packages are accepted; list two while rotating. Empty: every package is refused.',
        }),
      },
      { additionalProperties: false },
    ),
    zones: Type.Array(Zone, { minItems: 1 }),
    receivers: Type.Array(Receiver, { minItems: 1 }),
    terminals: Type.Array(Terminal),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
export type ZoneConfig = Static<typeof Zone>;
export type ZoneKind = ZoneConfig['kind'];
export type ReceiverConfig = Static<typeof Receiver>;
export type TerminalConfig = Static<typeof Terminal>;
