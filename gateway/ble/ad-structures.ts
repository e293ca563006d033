// Advertising data is a list of AD structures: [length][AD type][length - 1 bytes]
// (Core spec v5.4, Vol 3, Part C, section 11). The walk stops at a zero length (the
// rest is padding) or at a length that runs past the end (corrupt: not trusted).

export const AD_TYPE = {
  FLAGS: 0x01,
  INCOMPLETE_UUID16: 0x02,
  COMPLETE_UUID16: 0x03,
  INCOMPLETE_UUID128: 0x06,
  COMPLETE_UUID128: 0x07,
  SHORT_NAME: 0x08,
  COMPLETE_NAME: 0x09,
  TX_POWER: 0x0a,
  SERVICE_DATA_16: 0x16,
  SERVICE_DATA_32: 0x20,
  SERVICE_DATA_128: 0x21,
  MANUFACTURER_DATA: 0xff,
} as const;

/**
 * Calls `visit(type, start, end)` for each well-formed structure (`end` exclusive)
 * until it returns true. Returns false if the data was malformed.
 */
export function walkAdStructures(data: Uint8Array, visit: (type: number, start: number, end: number) => boolean | void): boolean {
  let offset = 0;
  while (offset < data.length) {
    const length = data[offset]!;
    if (length === 0) return true;
    const end = offset + 1 + length;
    if (end > data.length) return false;
    if (visit(data[offset + 1]!, offset + 2, end) === true) return true;
    offset = end;
  }
  return true;
}

const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

// A table lookup beats Buffer#toString('hex') for the 2-20 byte fields of beacon
// frames: no Buffer object per call (measured by the decode benchmark).
export function hex(data: Uint8Array, start = 0, end = data.length): string {
  let out = '';
  for (let i = start; i < end; i++) out += HEX_BYTE[data[i]!]!;
  return out;
}

export function int8(byte: number): number {
  return byte > 127 ? byte - 256 : byte;
}

/** 16 bytes as a lower-case dashed UUID, in the byte order given. */
export function dashedUuid(data: Uint8Array, start: number): string {
  return `${hex(data, start, start + 4)}-${hex(data, start + 4, start + 6)}-${hex(data, start + 6, start + 8)}-${hex(data, start + 8, start + 10)}-${hex(data, start + 10, start + 16)}`;
}

/** A little-endian UUID in AD data, written the usual big-endian way. */
export function littleEndianUuid(data: Uint8Array, start: number, size: 2 | 4 | 16): string {
  const bytes = Uint8Array.from(data.subarray(start, start + size)).reverse();
  return size === 16 ? dashedUuid(bytes, 0) : hex(bytes);
}
