import { randomAddress, randomBytes, seededRandom } from '../../adapters/simulator/random.js';
import { strangerAdvertisingData } from '../../adapters/simulator/strangers.js';
import { btsnoopHeader, btsnoopRecord, FLAG_COMMAND_OR_EVENT } from '../../gateway/ble/btsnoop.js';
import { encodeEddystoneEid, encodeIBeacon } from '../../gateway/ble/decode.js';
import { encodeExtendedReport, encodeLegacyReport, type ReportAddressType } from '../../gateway/ble/hci-events.js';
import { demoRoster } from '../../gateway/identity/demo-roster.js';
import { computeEid } from '../../gateway/identity/eid.js';

// A store's radio traffic, written by the project's own btsnoop writer: a few demo
// members (Android Eddystone-EID and iOS iBeacon carriers) among strangers of every
// beacon format, in legacy and extended reports, with some command traffic.

export const CAPTURE_START_MS = Date.UTC(2026, 10, 23, 10, 0, 0);
export const APP_UUID = '6a1d5e0c-8f3b-4c2e-9a7d-2b5f1e3c4d60';

export interface CapturedReport {
  readonly kind: 'legacy' | 'extended';
  readonly address: string;
  readonly addressType: ReportAddressType;
  readonly rssi: number;
  readonly eventType: number;
  readonly data: Uint8Array;
  readonly atMs: number;
  /** The demo member whose phone sent it, if any. */
  readonly memberId?: string;
}

export interface StoreCapture {
  readonly bytes: Uint8Array;
  readonly reports: readonly CapturedReport[];
  readonly records: number;
}

const ADV_NONCONN_IND = 3;
const SCAN_RSP = 4;
/** Extended event type: legacy PDU, scannable? no; connectable? no; complete data. */
const EXT_NONCONN = 0x0000;

function altBeacon(random: () => number): Uint8Array {
  return Uint8Array.from([0x1b, 0xff, 0x18, 0x01, 0xbe, 0xac, ...randomBytes(random, 20), 0xc5, 0x00]);
}

function eddystoneUrl(): Uint8Array {
  // https://example.com/ as frame 0x10: scheme 0x03 (https://), "example", 0x00 (.com/)
  const url = [0x03, ...Buffer.from('example'), 0x00];
  return Uint8Array.from([0x03, 0x03, 0xaa, 0xfe, 4 + 1 + url.length, 0x16, 0xaa, 0xfe, 0x10, 0xeb, ...url]);
}

function eddystoneTlm(random: () => number): Uint8Array {
  return Uint8Array.from([0x03, 0x03, 0xaa, 0xfe, 0x11, 0x16, 0xaa, 0xfe, 0x20, 0x00, 0x0b, 0xb8, 0x17, 0x80, ...randomBytes(random, 8)]);
}

/** Deterministic: the same seed and length give the same bytes. */
export function storeCapture(options: { seed?: number; seconds?: number; members?: number; strangers?: number } = {}): StoreCapture {
  const { seed = 7, seconds = 30, members = 3, strangers = 12 } = options;
  const random = seededRandom(seed);
  const roster = demoRoster(42, 6, 10);
  const phones = roster.members.slice(0, members).map((member, i) => ({ member, address: randomAddress(random), ios: i % 2 === 1 }));
  const others = Array.from({ length: strangers }, (_, i) => ({ address: randomAddress(random), kind: i % 4 }));
  const reports: CapturedReport[] = [];
  const chunks: Uint8Array[] = [btsnoopHeader()];
  let records = 0;
  const put = (packet: Uint8Array, atMs: number, flags?: number) => {
    chunks.push(btsnoopRecord(packet, atMs, flags));
    records++;
  };
  const rssi = () => -50 - Math.floor(random() * 40);
  const emit = (report: Omit<CapturedReport, 'rssi'>) => {
    const full = { ...report, rssi: rssi() };
    reports.push(full);
    put(full.kind === 'legacy' ? encodeLegacyReport(full) : encodeExtendedReport(full), full.atMs);
  };

  // LE Set Scan Enable as the host sent it, and the controller's Command Complete.
  put(Uint8Array.from([0x01, 0x0c, 0x20, 0x02, 0x01, 0x00]), CAPTURE_START_MS, FLAG_COMMAND_OR_EVENT);
  put(Uint8Array.from([0x04, 0x0e, 0x04, 0x01, 0x0c, 0x20, 0x00]), CAPTURE_START_MS + 1);

  for (let s = 0; s < seconds; s++) {
    const second = CAPTURE_START_MS + 10 + s * 1000;
    phones.forEach(({ member, address, ios }, i) => {
      const atMs = second + i * 7;
      const eid = computeEid(member.identityKey, roster.rotationExponent, Math.floor(atMs / 1000));
      const data = ios ? encodeIBeacon(APP_UUID, eid.readUInt16BE(0), eid.readUInt16BE(2), -59) : encodeEddystoneEid(eid, -20);
      emit({ kind: 'legacy', address, addressType: 'random', eventType: ADV_NONCONN_IND, data, atMs, memberId: member.id });
    });
    others.forEach(({ address, kind }, i) => {
      const atMs = second + 100 + i * 13;
      const data = [strangerAdvertisingData(random), altBeacon(random), eddystoneUrl(), eddystoneTlm(random)][kind]!;
      const extended = i % 5 === 4;
      emit({ kind: extended ? 'extended' : 'legacy', address, addressType: 'random', eventType: extended ? EXT_NONCONN : ADV_NONCONN_IND, data, atMs });
    });
    // A scan response carrying a name only: a report with no beacon frame.
    emit({ kind: 'legacy', address: others[0]!.address, addressType: 'random', eventType: SCAN_RSP, data: Uint8Array.from([0x05, 0x09, 0x54, 0x61, 0x67, 0x31]), atMs: second + 900 });
  }
  const length = chunks.reduce((n, c) => n + c.length, 0);
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return { bytes, reports, records };
}
