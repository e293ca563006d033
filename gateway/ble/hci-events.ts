import { hex, int8 } from './ad-structures.js';

// HCI LE Advertising Report events (Core spec v5.4, Vol 4, Part E, 7.7.65.2 legacy,
// 7.7.65.13 extended), as they come over H4: [0x04][0x3e][length][subevent]...
// Pure and bounds-checked: a malformed event is a return value, never a throw.

export const HCI_EVENT_PACKET = 0x04;
export const HCI_LE_META_EVENT = 0x3e;
export const LE_ADVERTISING_REPORT = 0x02;
export const LE_EXTENDED_ADVERTISING_REPORT = 0x0d;

export type ReportAddressType = 'public' | 'random' | 'public-identity' | 'random-identity' | 'anonymous' | 'unknown';

/** Extended reports arrive in fragments when the data does not fit one event. */
export type DataStatus = 'complete' | 'incomplete' | 'truncated';

export interface AdvertisingReport {
  readonly kind: 'legacy' | 'extended';
  /** Legacy: 0 ADV_IND … 4 SCAN_RSP. Extended: the 16-bit event type bit field. */
  readonly eventType: number;
  readonly address: string;
  readonly addressType: ReportAddressType;
  /** dBm; undefined when the controller reported 127 (not available). */
  readonly rssi: number | undefined;
  /** Extended only: the advertiser's TX power in dBm, when known. */
  readonly txPower?: number;
  /** Extended only: the Advertising_SID (0-15), when the advertiser gave one. */
  readonly sid?: number;
  readonly dataStatus: DataStatus;
  /** A view into the event, not a copy. */
  readonly data: Uint8Array;
}

export type HciEventResult =
  | { readonly ok: true; readonly reports: readonly AdvertisingReport[] }
  /** Any other HCI event or packet: nothing to decode, nothing wrong. */
  | { readonly ok: true; readonly reports: readonly []; readonly other: true }
  | { readonly ok: false; readonly reason: string };

const ADDRESS_TYPES: readonly ReportAddressType[] = ['public', 'random', 'public-identity', 'random-identity'];

function addressType(code: number): ReportAddressType {
  if (code === 0xff) return 'anonymous';
  return ADDRESS_TYPES[code] ?? 'unknown';
}

/** HCI carries addresses little-endian; people read them big-endian with colons. */
export function readAddress(d: Uint8Array, at: number): string {
  return `${hex(d, at + 5, at + 6)}:${hex(d, at + 4, at + 5)}:${hex(d, at + 3, at + 4)}:${hex(d, at + 2, at + 3)}:${hex(d, at + 1, at + 2)}:${hex(d, at, at + 1)}`;
}

const DATA_STATUS: readonly DataStatus[] = ['complete', 'incomplete', 'truncated', 'truncated'];
const NOT_AVAILABLE = 127;

function optionalDbm(byte: number): number | undefined {
  return byte === NOT_AVAILABLE ? undefined : int8(byte);
}

// The spec lays the legacy event out field by field across reports, but controllers
// and every host stack (Linux, BlueZ, noble) read it report by report; with the
// usual single report the two layouts are the same bytes.
function legacyReports(d: Uint8Array, start: number, end: number): HciEventResult {
  const count = d[start]!;
  if (count === 0) return { ok: false, reason: 'advertising report event with no reports' };
  const reports: AdvertisingReport[] = [];
  let at = start + 1;
  for (let i = 0; i < count; i++) {
    if (at + 9 > end) return { ok: false, reason: `report ${i} is cut short` };
    const length = d[at + 8]!;
    if (length > 31) return { ok: false, reason: `report ${i} claims ${length} bytes of data; legacy advertising carries at most 31` };
    if (at + 10 + length > end) return { ok: false, reason: `report ${i} is cut short` };
    reports.push({
      kind: 'legacy',
      eventType: d[at]!,
      addressType: addressType(d[at + 1]!),
      address: readAddress(d, at + 2),
      dataStatus: 'complete',
      data: d.subarray(at + 9, at + 9 + length),
      rssi: optionalDbm(d[at + 9 + length]!),
    });
    at += 10 + length;
  }
  return { ok: true, reports };
}

const EXTENDED_HEADER = 24;
/** Advertising_SID 0xFF: no ADI field in the advertisement. */
const NO_SID = 0xff;

function extendedReports(d: Uint8Array, start: number, end: number): HciEventResult {
  const count = d[start]!;
  if (count === 0) return { ok: false, reason: 'extended advertising report event with no reports' };
  const reports: AdvertisingReport[] = [];
  let at = start + 1;
  for (let i = 0; i < count; i++) {
    if (at + EXTENDED_HEADER > end) return { ok: false, reason: `extended report ${i} is cut short` };
    const length = d[at + 23]!;
    if (at + EXTENDED_HEADER + length > end) return { ok: false, reason: `extended report ${i} is cut short` };
    const eventType = d[at]! | (d[at + 1]! << 8);
    const txPower = optionalDbm(d[at + 12]!);
    const sid = d[at + 11]!;
    reports.push({
      kind: 'extended',
      eventType,
      addressType: addressType(d[at + 2]!),
      address: readAddress(d, at + 3),
      ...(txPower === undefined ? {} : { txPower }),
      ...(sid === NO_SID ? {} : { sid }),
      rssi: optionalDbm(d[at + 13]!),
      dataStatus: DATA_STATUS[(eventType >> 5) & 0x03]!,
      data: d.subarray(at + EXTENDED_HEADER, at + EXTENDED_HEADER + length),
    });
    at += EXTENDED_HEADER + length;
  }
  return { ok: true, reports };
}

/**
 * Decodes an HCI event (`withIndicator`: the H4 packet, starting 0x04; otherwise
 * the event starting with its code). Events that are not advertising reports are
 * reported as `other`, so a capture's command traffic is not an error.
 */
export function parseHciEvent(d: Uint8Array, withIndicator = true): HciEventResult {
  let at = 0;
  if (withIndicator) {
    if (d.length === 0) return { ok: false, reason: 'empty packet' };
    if (d[0] !== HCI_EVENT_PACKET) return { ok: true, reports: [], other: true };
    at = 1;
  }
  if (d.length < at + 2) return { ok: false, reason: 'event header is cut short' };
  const code = d[at]!;
  const length = d[at + 1]!;
  const end = at + 2 + length;
  if (end > d.length) return { ok: false, reason: `event claims ${length} parameter bytes, ${d.length - at - 2} present` };
  if (code !== HCI_LE_META_EVENT || length < 2) return { ok: true, reports: [], other: true };
  const subevent = d[at + 2]!;
  if (subevent === LE_ADVERTISING_REPORT) return legacyReports(d, at + 3, end);
  if (subevent === LE_EXTENDED_ADVERTISING_REPORT) return extendedReports(d, at + 3, end);
  return { ok: true, reports: [], other: true };
}

/** Legacy event types (7.7.65.2), by code, as shown to people. */
export const LEGACY_EVENT_TYPES = ['ADV_IND', 'ADV_DIRECT_IND', 'ADV_SCAN_IND', 'ADV_NONCONN_IND', 'SCAN_RSP'] as const;

export interface EncodableReport {
  readonly eventType: number;
  readonly address: string;
  readonly addressType: ReportAddressType;
  readonly rssi: number | undefined;
  readonly data: Uint8Array;
}

function writeAddress(out: Uint8Array, at: number, address: string): void {
  const bytes = address.split(':');
  for (let i = 0; i < 6; i++) out[at + i] = Number.parseInt(bytes[5 - i] ?? '0', 16) & 0xff;
}

function addressTypeCode(type: ReportAddressType): number {
  const code = ADDRESS_TYPES.indexOf(type);
  return code === -1 ? (type === 'anonymous' ? 0xff : 0x01) : code;
}

/** One legacy LE Advertising Report event, H4 framed: what a controller sends. */
export function encodeLegacyReport(report: EncodableReport): Uint8Array {
  const data = report.data.subarray(0, 31);
  const out = new Uint8Array(1 + 2 + 2 + 9 + data.length + 1);
  out.set([HCI_EVENT_PACKET, HCI_LE_META_EVENT, out.length - 3, LE_ADVERTISING_REPORT, 1, report.eventType, addressTypeCode(report.addressType)]);
  writeAddress(out, 7, report.address);
  out[13] = data.length;
  out.set(data, 14);
  out[14 + data.length] = report.rssi === undefined ? NOT_AVAILABLE : report.rssi & 0xff;
  return out;
}

/** One extended report event (legacy PDU bit clear unless the event type sets it), H4 framed. */
export function encodeExtendedReport(report: EncodableReport & { readonly txPower?: number; readonly sid?: number }): Uint8Array {
  const data = report.data.subarray(0, 229);
  const out = new Uint8Array(1 + 2 + 2 + EXTENDED_HEADER + data.length);
  out.set([HCI_EVENT_PACKET, HCI_LE_META_EVENT, out.length - 3, LE_EXTENDED_ADVERTISING_REPORT, 1]);
  const at = 5;
  out[at] = report.eventType & 0xff;
  out[at + 1] = report.eventType >> 8;
  out[at + 2] = addressTypeCode(report.addressType);
  writeAddress(out, at + 3, report.address);
  out[at + 9] = 0x01; // primary PHY: LE 1M
  out[at + 10] = 0x00; // no secondary PHY
  out[at + 11] = report.sid ?? NO_SID;
  out[at + 12] = report.txPower === undefined ? NOT_AVAILABLE : report.txPower & 0xff;
  out[at + 13] = report.rssi === undefined ? NOT_AVAILABLE : report.rssi & 0xff;
  out[at + 16] = 0x00;
  out[at + 23] = data.length;
  out.set(data, at + EXTENDED_HEADER);
  return out;
}
