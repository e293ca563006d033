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

/** Calls `visit(type, start, end)` for each well-formed structure; `end` is exclusive. Returns false if the data was malformed. */
export function walkAdStructures(data: Uint8Array, visit: (type: number, start: number, end: number) => void): boolean {
  let offset = 0;
  while (offset < data.length) {
    const length = data[offset]!;
    if (length === 0) return true;
    const end = offset + 1 + length;
    if (end > data.length) return false;
    visit(data[offset + 1]!, offset + 2, end);
    offset = end;
  }
  return true;
}

export function hex(data: Uint8Array, start = 0, end = data.length): string {
  return Buffer.from(data.buffer, data.byteOffset + start, end - start).toString('hex');
}

export function int8(byte: number): number {
  return byte > 127 ? byte - 256 : byte;
}

/** 16 bytes as a lower-case dashed UUID, in the byte order given. */
export function dashedUuid(data: Uint8Array, start: number): string {
  const h = hex(data, start, start + 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A little-endian UUID in AD data, written the usual big-endian way. */
export function littleEndianUuid(data: Uint8Array, start: number, size: 2 | 4 | 16): string {
  const bytes = Uint8Array.from(data.subarray(start, start + size)).reverse();
  return size === 16 ? dashedUuid(bytes, 0) : hex(bytes);
}
