import { AD_TYPE, dashedUuid, hex, int8, littleEndianUuid, walkAdStructures } from './ad-structures.js';
import { decodeEddystone, type EddystoneFrame } from './eddystone.js';

// Every frame in one advertisement, for `vitrin decode`, replay summaries and
// diagnostics. The pipeline's hot path uses decodeAdvertisement (decode.ts), which
// stops at the first frame that can identify a member.

export type DecodedFrame =
  | { readonly type: 'ibeacon'; readonly uuid: string; readonly major: number; readonly minor: number; readonly txPower: number }
  | {
      readonly type: 'altbeacon';
      readonly mfgId: number;
      readonly id1: string;
      readonly id2: number;
      readonly id3: number;
      readonly txPower: number;
      readonly reserved: number;
    }
  /** iOS in the background: service UUIDs as bits in Apple's overflow area, one bit per hashed UUID. */
  | { readonly type: 'apple-overflow'; readonly bits: number[] }
  | EddystoneFrame
  /** `data` is a view into the advertisement (no copy): most frames a store hears are these, and nobody reads them. */
  | { readonly type: 'manufacturer'; readonly companyId: number; readonly data: Uint8Array }
  | { readonly type: 'service'; readonly uuid: string; readonly data: Uint8Array };

const APPLE = 0x004c;
const EDDYSTONE = 'feaa';

function decodeManufacturer(d: Uint8Array, s: number, e: number): DecodedFrame {
  if (e - s < 2) return { type: 'malformed', format: 'manufacturer', reason: 'no company id' };
  const companyId = d[s]! | (d[s + 1]! << 8);
  const body = s + 2;
  if (companyId === APPLE && d[body] === 0x02 && d[body + 1] === 0x15 && e - body >= 23) {
    return {
      type: 'ibeacon',
      uuid: dashedUuid(d, body + 2),
      major: (d[body + 18]! << 8) | d[body + 19]!,
      minor: (d[body + 20]! << 8) | d[body + 21]!,
      txPower: int8(d[body + 22]!),
    };
  }
  if (companyId === APPLE && d[body] === 0x01 && e - body >= 17) {
    const bits: number[] = [];
    for (let i = 0; i < 128; i++) if ((d[body + 1 + (i >> 3)]! & (0x80 >> (i & 7))) !== 0) bits.push(i);
    return { type: 'apple-overflow', bits };
  }
  // AltBeacon (altbeacon/spec): beacon code 0xBEAC, 20-byte id, reference RSSI, one reserved byte.
  if (d[body] === 0xbe && d[body + 1] === 0xac && e - body >= 24) {
    return {
      type: 'altbeacon',
      mfgId: companyId,
      id1: dashedUuid(d, body + 2),
      id2: (d[body + 18]! << 8) | d[body + 19]!,
      id3: (d[body + 20]! << 8) | d[body + 21]!,
      txPower: int8(d[body + 22]!),
      reserved: d[body + 23]!,
    };
  }
  return { type: 'manufacturer', companyId, data: d.subarray(body, e) };
}

function decodeServiceData(d: Uint8Array, s: number, e: number, size: 2 | 4 | 16): DecodedFrame {
  if (e - s < size) return { type: 'malformed', format: 'service', reason: 'shorter than its UUID' };
  const uuid = littleEndianUuid(d, s, size);
  if (size === 2 && uuid === EDDYSTONE) return decodeEddystone(d, s + 2, e);
  return { type: 'service', uuid, data: d.subarray(s + size, e) };
}

/** A frame as JSON shows it: byte fields as hex strings. */
export function frameToJson(frame: DecodedFrame): Record<string, unknown> {
  const json: Record<string, unknown> = { ...frame };
  for (const [key, value] of Object.entries(frame)) if (value instanceof Uint8Array) json[key] = hex(value);
  return json;
}

export interface DecodedAdvertisement {
  readonly frames: DecodedFrame[];
  /** True when an AD structure's length ran past the end of the data. */
  readonly truncated: boolean;
}

export function decodeFrames(data: Uint8Array): DecodedAdvertisement {
  const frames: DecodedFrame[] = [];
  const complete = walkAdStructures(data, (type, s, e) => {
    if (type === AD_TYPE.MANUFACTURER_DATA) frames.push(decodeManufacturer(data, s, e));
    else if (type === AD_TYPE.SERVICE_DATA_16) frames.push(decodeServiceData(data, s, e, 2));
    else if (type === AD_TYPE.SERVICE_DATA_32) frames.push(decodeServiceData(data, s, e, 4));
    else if (type === AD_TYPE.SERVICE_DATA_128) frames.push(decodeServiceData(data, s, e, 16));
  });
  return { frames, truncated: !complete };
}
