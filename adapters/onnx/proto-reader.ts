// A minimal protobuf wire-format reader and splicer: just enough to read an ONNX
// ModelProto, say precisely where a damaged file breaks, and rewrite a graph while
// keeping every field we do not touch byte for byte.

/** A file that is not well-formed protobuf; `at` is the byte offset where reading stopped. */
export class ProtoError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
    this.name = 'ProtoError';
  }
}

export type WireType = 0 | 1 | 2 | 5;

export interface WireField {
  readonly field: number;
  readonly wireType: WireType;
  /** The whole field, tag included, as a view into the buffer it was read from. */
  readonly raw: Uint8Array;
  /** Wire type 0: the varint. */
  readonly varint: bigint;
  /** Wire types 1, 2 and 5: the payload. */
  readonly payload: Uint8Array;
}

const EMPTY: Uint8Array = new Uint8Array(0);

function readVarint(buf: Uint8Array, offset: number, base: number): { value: bigint; next: number } {
  let value = 0n;
  for (let i = 0; i < 10; i++) {
    const at = offset + i;
    const byte = buf[at];
    if (byte === undefined) throw new ProtoError('truncated inside a varint', base + at);
    value |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if ((byte & 0x80) === 0) return { value: BigInt.asUintN(64, value), next: at + 1 };
  }
  throw new ProtoError('a varint longer than 10 bytes', base + offset);
}

/**
 * Every field of one message, in file order. `base` is the message's offset in the
 * file, so that errors name a file offset rather than one inside a nested message.
 */
export function readFields(buf: Uint8Array, base = 0): WireField[] {
  const fields: WireField[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const start = offset;
    const tag = readVarint(buf, offset, base);
    offset = tag.next;
    const field = Number(tag.value >> 3n);
    const wireType = Number(tag.value & 7n);
    if (field === 0 || field > 536_870_911) throw new ProtoError(`field number ${field} is not valid`, base + start);
    let varint = 0n;
    let payload = EMPTY;
    if (wireType === 0) {
      const v = readVarint(buf, offset, base);
      varint = v.value;
      offset = v.next;
    } else if (wireType === 1 || wireType === 5) {
      const size = wireType === 1 ? 8 : 4;
      if (offset + size > buf.length) throw new ProtoError(`truncated: field ${field} needs ${size} bytes, ${buf.length - offset} remain`, base + start);
      payload = buf.subarray(offset, offset + size);
      offset += size;
    } else if (wireType === 2) {
      const length = readVarint(buf, offset, base);
      offset = length.next;
      if (length.value > BigInt(buf.length - offset)) {
        throw new ProtoError(`truncated: field ${field} needs ${length.value} bytes, ${buf.length - offset} remain`, base + start);
      }
      payload = buf.subarray(offset, offset + Number(length.value));
      offset += payload.length;
    } else {
      throw new ProtoError(`wire type ${wireType} (field ${field}) is not used by ONNX`, base + start);
    }
    fields.push({ field, wireType: wireType as WireType, raw: buf.subarray(start, offset), varint, payload });
  }
  return fields;
}

function varintBytes(value: number): number[] {
  const bytes: number[] = [];
  let v = value;
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (v !== 0);
  return bytes;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A length-delimited field: tag, length, payload. */
export function lengthDelimited(field: number, payload: Uint8Array): Uint8Array {
  return concat([Uint8Array.from([...varintBytes(field * 8 + 2), ...varintBytes(payload.length)]), payload]);
}

/** A varint field. */
export function varintField(field: number, value: number): Uint8Array {
  return Uint8Array.from([...varintBytes(field * 8), ...varintBytes(value)]);
}

export function stringField(field: number, value: string): Uint8Array {
  return lengthDelimited(field, new TextEncoder().encode(value));
}
