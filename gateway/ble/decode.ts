import { dashedUuid, int8, walkAdStructures } from './ad-structures.js';

// Pure decoders for the advertising data of one report. Most frames a store hears
// are not ours, so the walk allocates nothing until a frame is recognised.

export interface EddystoneEidFrame {
  readonly kind: 'eddystone-eid';
  /** Calibrated TX power at 0 m, dBm. */
  readonly txPower: number;
  readonly eid: Uint8Array;
}

export interface IBeaconFrame {
  readonly kind: 'ibeacon';
  /** Lower-case canonical UUID. */
  readonly uuid: string;
  readonly major: number;
  readonly minor: number;
  /** Measured power at 1 m, dBm. */
  readonly measuredPower: number;
}

export type Frame = EddystoneEidFrame | IBeaconFrame;

const AD_SERVICE_DATA_16 = 0x16;
const AD_MANUFACTURER_DATA = 0xff;
const EDDYSTONE_UUID = 0xfeaa;
const EDDYSTONE_EID = 0x30;
const APPLE_COMPANY_ID = 0x004c;
const IBEACON_TYPE = 0x02;
const IBEACON_LENGTH = 0x15;

function decodeServiceData16(data: Uint8Array, start: number, end: number): Frame | undefined {
  if (end - start < 3) return undefined;
  const uuid = data[start]! | (data[start + 1]! << 8);
  if (uuid !== EDDYSTONE_UUID || data[start + 2] !== EDDYSTONE_EID || end - start < 3 + 1 + 8) return undefined;
  return { kind: 'eddystone-eid', txPower: int8(data[start + 3]!), eid: data.slice(start + 4, start + 12) };
}

function decodeManufacturerData(data: Uint8Array, start: number, end: number): Frame | undefined {
  if (end - start < 25) return undefined;
  const company = data[start]! | (data[start + 1]! << 8);
  if (company !== APPLE_COMPANY_ID || data[start + 2] !== IBEACON_TYPE || data[start + 3] !== IBEACON_LENGTH) return undefined;
  const at = start + 4;
  return {
    kind: 'ibeacon',
    uuid: dashedUuid(data, at),
    major: (data[at + 16]! << 8) | data[at + 17]!,
    minor: (data[at + 18]! << 8) | data[at + 19]!,
    measuredPower: int8(data[at + 20]!),
  };
}

/**
 * The first frame Vitrin can use in this advertising data, or undefined. Malformed
 * data (a length running past the end, a zero-length structure) ends the walk
 * quietly: radio frames are untrusted input and a bad one is just not ours.
 */
export function decodeAdvertisement(data: Uint8Array): Frame | undefined {
  let frame: Frame | undefined;
  walkAdStructures(data, (type, start, end) => {
    if (type === AD_SERVICE_DATA_16) frame = decodeServiceData16(data, start, end);
    else if (type === AD_MANUFACTURER_DATA) frame = decodeManufacturerData(data, start, end);
    return frame !== undefined;
  });
  return frame;
}

/** Advertising data carrying an Eddystone-EID frame, as an Android app broadcasts it. */
export function encodeEddystoneEid(eid: Uint8Array, txPower: number): Uint8Array {
  return Uint8Array.from([
    0x02, 0x01, 0x06, // flags: LE general discoverable, BR/EDR not supported
    0x03, 0x03, 0xaa, 0xfe, // complete list of 16-bit service UUIDs: Eddystone
    0x0d, AD_SERVICE_DATA_16, 0xaa, 0xfe, EDDYSTONE_EID, txPower & 0xff, ...eid,
  ]);
}

/** Advertising data carrying an iBeacon, as an iOS app in the foreground broadcasts it. */
export function encodeIBeacon(uuid: string, major: number, minor: number, measuredPower: number): Uint8Array {
  const uuidBytes = Buffer.from(uuid.replaceAll('-', ''), 'hex');
  return Uint8Array.from([
    0x02, 0x01, 0x06,
    0x1a, AD_MANUFACTURER_DATA, 0x4c, 0x00, IBEACON_TYPE, IBEACON_LENGTH, ...uuidBytes,
    major >> 8, major & 0xff, minor >> 8, minor & 0xff, measuredPower & 0xff,
  ]);
}
