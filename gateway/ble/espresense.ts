import { encodeIBeacon } from './decode.js';

// ESPresense nodes (ESP32 firmware, espresense.com) publish one JSON object per
// device they have a distance for, on `<prefix>/devices/<id>/<room>`, QoS 0, not
// retained. The fields, from the firmware's BleFingerprint::report(): id, name?,
// disc?, idType, "rssi@1m", rssi, raw, distance, speed, mac, and mV, temp, rh for
// sensors. They never send the raw advertising data, and they do not report
// Eddystone-EID frames at all: of the app's two carriers only the iBeacon (iOS in
// the foreground) reaches us, as id `iBeacon:<uuid>-<major>-<minor>` with major and
// minor in decimal. Android members need Vitrin receivers (ble.mode: receiver).

export type EspresenseReading =
  /** The app's iBeacon, rebuilt as the advertising data the node heard. */
  | { readonly kind: 'app'; readonly room: string; readonly address: string; readonly rssi: number; readonly data: Uint8Array }
  /** Any other device: dropped without its payload even being parsed. */
  | { readonly kind: 'other' }
  | { readonly kind: 'invalid'; readonly problem: string };

const OTHER: EspresenseReading = { kind: 'other' };

/** ESPresense's default when a beacon carries no calibrated power (TX_DEFAULT). */
const DEFAULT_RSSI_AT_1M = -59;

const IBEACON_ID = /^ibeacon:([0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12})-(\d{1,5})-(\d{1,5})$/i;
const MAC = /^(?:[0-9a-f]{2}:?){5}[0-9a-f]{2}$/i;

/**
 * Which forms of the app UUID a node may print. Firmware built on the ESP32 BLE
 * libraries has printed iBeacon UUIDs byte-reversed in some releases (ESPresense
 * issue 41; espressif/arduino-esp32 issue 7858), so both orders are ours.
 */
export function appUuidForms(appUuid: string): ReadonlySet<string> {
  const hexUuid = appUuid.replaceAll('-', '').toLowerCase();
  return new Set([hexUuid, Buffer.from(hexUuid, 'hex').reverse().toString('hex')]);
}

function formatMac(mac: string): string {
  const hexMac = mac.replaceAll(':', '').toLowerCase();
  return hexMac.match(/../g)!.join(':');
}

function int8(value: number): number {
  return Math.max(-128, Math.min(127, Math.round(value)));
}

/**
 * One ESPresense message. The device id in the topic decides first: anything that is
 * not an iBeacon with the app's UUID is `other` before its payload is read, so a
 * stranger's name or address is never even parsed.
 */
export function readEspresenseMessage(topicId: string, room: string, payload: Buffer, appUuid: ReadonlySet<string>, canonicalUuid: string): EspresenseReading {
  const id = IBEACON_ID.exec(topicId);
  if (id === null || !appUuid.has(id[1]!.replaceAll('-', '').toLowerCase())) return OTHER;
  const major = Number(id[2]);
  const minor = Number(id[3]);
  if (major > 0xffff || minor > 0xffff) return { kind: 'invalid', problem: 'major or minor above 65535' };
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return { kind: 'invalid', problem: 'payload is not JSON' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { kind: 'invalid', problem: 'payload is not a JSON object' };
  const fields = body as Record<string, unknown>;
  if (fields.id !== topicId) return { kind: 'invalid', problem: 'payload id differs from the topic' };
  const { rssi, mac } = fields;
  if (typeof rssi !== 'number' || !Number.isFinite(rssi) || rssi < -127 || rssi > 20) return { kind: 'invalid', problem: 'rssi is not a number in -127..20' };
  if (typeof mac !== 'string' || !MAC.test(mac)) return { kind: 'invalid', problem: 'mac is not a device address' };
  const atOneMetre = fields['rssi@1m'];
  const measuredPower = typeof atOneMetre === 'number' && Number.isFinite(atOneMetre) ? int8(atOneMetre) : DEFAULT_RSSI_AT_1M;
  return { kind: 'app', room, address: formatMac(mac), rssi: Math.round(rssi), data: encodeIBeacon(canonicalUuid, major, minor, measuredPower) };
}
