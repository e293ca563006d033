// The btsnoop capture format (RFC 1761's snoop, as Bluetooth tools use it): a 16-byte
// header ("btsnoop\0", version 1, datalink) and records of a 24-byte big-endian
// header (original length, included length, flags, cumulative drops, timestamp in
// microseconds since 0000-01-01) and the packet. Datalinks read here: 1001 (HCI
// without indicator), 1002 (HCI UART, H4) and 2001 (Linux monitor, what `btmon -w`
// writes). The writer writes 1002.

export const BTSNOOP_MAGIC = Uint8Array.from([0x62, 0x74, 0x73, 0x6e, 0x6f, 0x6f, 0x70, 0x00]);
export const DATALINK_HCI_UNENCAPSULATED = 1001;
export const DATALINK_H4 = 1002;
export const DATALINK_LINUX_MONITOR = 2001;
const SUPPORTED = new Set([DATALINK_HCI_UNENCAPSULATED, DATALINK_H4, DATALINK_LINUX_MONITOR]);

export const FILE_HEADER_BYTES = 16;
export const RECORD_HEADER_BYTES = 24;
/** No HCI packet is longer (ACL: 4-byte header + 65,535); anything longer is corruption. */
export const MAX_RECORD_BYTES = 65_544;

/** Microseconds from 0000-01-01 to the Unix epoch, as Wireshark and BlueZ use it. */
const UNIX_EPOCH_US = 0x00dc_ddb3_0f2f_8000n;

export const FLAG_RECEIVED = 0x01;
export const FLAG_COMMAND_OR_EVENT = 0x02;

export interface BtsnoopRecord {
  /** Position in the file, from 0: how errors and tools name a record. */
  readonly index: number;
  readonly originalLength: number;
  readonly flags: number;
  readonly drops: number;
  /** Milliseconds since the Unix epoch, with microsecond fraction. */
  readonly timestampMs: number;
  /** A view into the capture, not a copy. */
  readonly packet: Uint8Array;
}

export interface BtsnoopProblem {
  /** The record that could not be read; undefined for a bad file header. */
  readonly index: number | undefined;
  readonly reason: string;
}

export interface BtsnoopCapture {
  readonly datalink: number;
  readonly records: Iterable<BtsnoopRecord>;
  /** Set once iteration has reached a corrupt or truncated record; records before it were good. */
  problem(): BtsnoopProblem | undefined;
}

function u32(d: Uint8Array, at: number): number {
  return ((d[at]! << 24) | (d[at + 1]! << 16) | (d[at + 2]! << 8) | d[at + 3]!) >>> 0;
}

function timestampMs(d: Uint8Array, at: number): number {
  const us = (BigInt(u32(d, at)) << 32n) | BigInt(u32(d, at + 4));
  return Number(us - UNIX_EPOCH_US) / 1000;
}

function* records(d: Uint8Array, report: (problem: BtsnoopProblem) => void): Generator<BtsnoopRecord> {
  let at = FILE_HEADER_BYTES;
  for (let index = 0; at < d.length; index++) {
    if (at + RECORD_HEADER_BYTES > d.length) {
      report({ index, reason: `record ${index} header is cut short (${d.length - at} of ${RECORD_HEADER_BYTES} bytes)` });
      return;
    }
    const originalLength = u32(d, at);
    const included = u32(d, at + 4);
    if (included > MAX_RECORD_BYTES || included > originalLength) {
      report({ index, reason: `record ${index} claims ${included} bytes (original ${originalLength}); the file is corrupt from here` });
      return;
    }
    const start = at + RECORD_HEADER_BYTES;
    if (start + included > d.length) {
      report({ index, reason: `record ${index} is cut short (${d.length - start} of ${included} bytes)` });
      return;
    }
    yield {
      index,
      originalLength,
      flags: u32(d, at + 8),
      drops: u32(d, at + 12),
      timestampMs: timestampMs(d, at + 16),
      packet: d.subarray(start, start + included),
    };
    at = start + included;
  }
}

/** Reads a capture held in memory. A bad file header is the only thing that fails at once. */
export function readBtsnoop(d: Uint8Array): BtsnoopCapture | BtsnoopProblem {
  if (d.length < FILE_HEADER_BYTES) return { index: undefined, reason: `not a btsnoop file: ${d.length} bytes, the header alone is 16` };
  for (let i = 0; i < BTSNOOP_MAGIC.length; i++) {
    if (d[i] !== BTSNOOP_MAGIC[i]) return { index: undefined, reason: 'not a btsnoop file: it does not start with "btsnoop"' };
  }
  const version = u32(d, 8);
  if (version !== 1) return { index: undefined, reason: `btsnoop version ${version} is not supported (only 1 exists)` };
  const datalink = u32(d, 12);
  if (!SUPPORTED.has(datalink)) {
    return { index: undefined, reason: `btsnoop datalink ${datalink} is not supported; use 1001, 1002 (H4) or 2001 (btmon)` };
  }
  let found: BtsnoopProblem | undefined;
  return {
    datalink,
    records: { [Symbol.iterator]: () => records(d, (p) => (found = p)) },
    problem: () => found,
  };
}

export function isCapture(value: BtsnoopCapture | BtsnoopProblem): value is BtsnoopCapture {
  return 'datalink' in value;
}

function putU32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = (value >>> 16) & 0xff;
  out[at + 2] = (value >>> 8) & 0xff;
  out[at + 3] = value & 0xff;
}

export function btsnoopHeader(datalink = DATALINK_H4): Uint8Array {
  const out = new Uint8Array(FILE_HEADER_BYTES);
  out.set(BTSNOOP_MAGIC, 0);
  putU32(out, 8, 1);
  putU32(out, 12, datalink);
  return out;
}

/** One record; `flags` default: an event received from the controller. */
export function btsnoopRecord(packet: Uint8Array, atMs: number, flags = FLAG_RECEIVED | FLAG_COMMAND_OR_EVENT): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_BYTES + packet.length);
  putU32(out, 0, packet.length);
  putU32(out, 4, packet.length);
  putU32(out, 8, flags);
  putU32(out, 12, 0);
  const us = BigInt(Math.round(atMs * 1000)) + UNIX_EPOCH_US;
  putU32(out, 16, Number(us >> 32n));
  putU32(out, 20, Number(us & 0xffff_ffffn));
  out.set(packet, RECORD_HEADER_BYTES);
  return out;
}

/** Linux monitor opcodes (BlueZ monitor/bt.h) this reader needs. */
const MONITOR_EVENT_PACKET = 3;

/**
 * The HCI event in a record, as an H4 packet view or with its indicator implied:
 * returns the bytes and whether they start with the 0x04 indicator. Undefined for
 * records that carry no HCI event (commands, ACL data, monitor notes).
 */
export function eventOf(datalink: number, record: BtsnoopRecord): { bytes: Uint8Array; withIndicator: boolean } | undefined {
  if (datalink === DATALINK_H4) return record.packet[0] === 0x04 ? { bytes: record.packet, withIndicator: true } : undefined;
  if (datalink === DATALINK_HCI_UNENCAPSULATED) {
    const isEvent = (record.flags & (FLAG_RECEIVED | FLAG_COMMAND_OR_EVENT)) === (FLAG_RECEIVED | FLAG_COMMAND_OR_EVENT);
    return isEvent ? { bytes: record.packet, withIndicator: false } : undefined;
  }
  return (record.flags & 0xffff) === MONITOR_EVENT_PACKET ? { bytes: record.packet, withIndicator: false } : undefined;
}
