import { encodeIBeacon } from '../../gateway/ble/decode.js';
import { randomBytes } from './random.js';

// What else a store's radio hears: other apps' beacons, phones' and watches'
// manufacturer data, asset tags. None of it may leave a trace in Vitrin.

const OTHER_UUID = 'f7826da6-4fa2-4e98-8024-bc5b71e0893e';

export function strangerAdvertisingData(random: () => number): Uint8Array {
  const kind = Math.floor(random() * 5);
  switch (kind) {
    case 0: // another vendor's iBeacon
      return encodeIBeacon(OTHER_UUID, Math.floor(random() * 65536), Math.floor(random() * 65536), -59);
    case 1: // Eddystone-EID of a beacon that is not one of our members
      return Uint8Array.from([0x02, 0x01, 0x06, 0x03, 0x03, 0xaa, 0xfe, 0x0d, 0x16, 0xaa, 0xfe, 0x30, 0xee, ...randomBytes(random, 8)]);
    case 2: // Eddystone-UID asset tag
      return Uint8Array.from([0x02, 0x01, 0x06, 0x03, 0x03, 0xaa, 0xfe, 0x17, 0x16, 0xaa, 0xfe, 0x00, 0xe7, ...randomBytes(random, 16), 0, 0]);
    case 3: // Apple Nearby Info from an iPhone
      return Uint8Array.from([0x02, 0x01, 0x1a, 0x0a, 0xff, 0x4c, 0x00, 0x10, 0x05, ...randomBytes(random, 5)]);
    default: // Microsoft CDP from a laptop
      return Uint8Array.from([0x1e, 0xff, 0x06, 0x00, 0x01, 0x09, 0x20, 0x02, ...randomBytes(random, 22)]);
  }
}
