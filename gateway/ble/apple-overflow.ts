import { AD_TYPE, walkAdStructures } from './ad-structures.js';

// iOS in the background cannot advertise a service UUID. It hashes each service UUID
// an app advertises to one of 128 bits and sends the bits as manufacturer data:
// 0x004C (Apple), type 0x01, then a 16-byte mask, bit i = byte i >> 3, mask 0x80 >> (i & 7).
// Different UUIDs can hash to the same bit, so a set bit says "maybe ours", never "ours":
// only the EID read over GATT afterwards decides (DESIGN.md section 3).

const APPLE_COMPANY_ID = 0x004c;
const OVERFLOW_TYPE = 0x01;
const MASK_BYTES = 16;
/** Company id, type byte, mask. */
const MIN_BODY = 2 + 1 + MASK_BYTES;

// hasOverflowBit runs for every report a store hears, most of them not ours. A closure
// per call would allocate; one module-level visitor with its arguments in module state
// does not. The walk is synchronous and calls nothing else, so the state cannot be
// overwritten mid-walk.
const EMPTY = new Uint8Array(0);
let subject: Uint8Array = EMPTY;
let wantedByte = 0;
let wantedMask = 0;
let found = false;

function visit(type: number, start: number, end: number): boolean {
  if (type !== AD_TYPE.MANUFACTURER_DATA || end - start < MIN_BODY) return false;
  const d = subject;
  if ((d[start]! | (d[start + 1]! << 8)) !== APPLE_COMPANY_ID || d[start + 2] !== OVERFLOW_TYPE) return false;
  found = (d[start + 3 + wantedByte]! & wantedMask) !== 0;
  return found;
}

/**
 * True when the advertising data carries Apple's overflow area with `bit` set. Any
 * bit outside 0..127 (config uses -1 for "off") and any malformed data give false.
 */
export function hasOverflowBit(data: Uint8Array, bit: number): boolean {
  if (!Number.isInteger(bit) || bit < 0 || bit > 127) return false;
  subject = data;
  wantedByte = bit >> 3;
  wantedMask = 0x80 >> (bit & 7);
  found = false;
  walkAdStructures(data, visit);
  subject = EMPTY;
  return found;
}

/**
 * Advertising data as an iPhone sends it with an app advertising in the background:
 * flags 0x1A (LE general discoverable, simultaneous LE and BR/EDR), then the overflow
 * area with the given bits set. For tests and the simulator.
 */
export function encodeAppleOverflow(bits: readonly number[]): Uint8Array {
  const mask = new Uint8Array(MASK_BYTES);
  for (const bit of bits) {
    if (!Number.isInteger(bit) || bit < 0 || bit > 127) throw new RangeError(`overflow bit ${bit} is not in 0..127`);
    mask[bit >> 3]! |= 0x80 >> (bit & 7);
  }
  return Uint8Array.from([0x02, AD_TYPE.FLAGS, 0x1a, 1 + MIN_BODY, AD_TYPE.MANUFACTURER_DATA, 0x4c, 0x00, OVERFLOW_TYPE, ...mask]);
}
