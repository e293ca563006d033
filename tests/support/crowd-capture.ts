import { seededRandom } from '../../adapters/simulator/random.js';
import { btsnoopHeader, btsnoopRecord, FLAG_COMMAND_OR_EVENT } from '../../gateway/ble/btsnoop.js';
import { encodeEddystoneEid, encodeIBeacon } from '../../gateway/ble/decode.js';
import { encodeExtendedReport, encodeLegacyReport } from '../../gateway/ble/hci-events.js';
import { demoRoster } from '../../gateway/identity/demo-roster.js';
import { computeEid } from '../../gateway/identity/eid.js';
import { ad, ADV_NONCONN_IND, EXT_LEGACY_NONCONN, randomAddressOf, SCAN_RSP, strangerSpecs, u8, utf8Bytes, type Trace } from './crowd-strangers.js';
import { APP_UUID, CAPTURE_START_MS, type CapturedReport } from './store-capture.js';

export type { Trace } from './crowd-strangers.js';

// A crowded store for the privacy guarantee (DESIGN section 7): three demo members
// among strangers of every format a shop floor hears (crowd-strangers.ts), in legacy
// and extended reports, written by the project's own btsnoop writer.

export interface Stranger {
  readonly label: string;
  readonly addresses: readonly string[];
  readonly traces: readonly Trace[];
}

export interface CrowdReport extends CapturedReport {
  readonly stranger?: string;
  /** False for the leading fragment of an extended advertisement: the replay joins it to the fragment after it, one report for both. */
  readonly fed: boolean;
}

export interface CrowdCapture {
  readonly bytes: Uint8Array;
  readonly reports: readonly CrowdReport[];
  readonly records: number;
  readonly members: readonly { readonly id: string; readonly address: string; readonly traces: readonly Trace[] }[];
  readonly strangers: readonly Stranger[];
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

/**
 * Deterministic: the same seed gives the same bytes. Members are demo members 1-3
 * of the default demo roster (seed 42, K=10); member 1 also answers scans with its
 * device name, a report that carries no identifier and so must be dropped too.
 */
export function crowdCapture(options: { seed?: number; seconds?: number } = {}): CrowdCapture {
  const { seed = 11, seconds = 12 } = options;
  const random = seededRandom(seed);
  const roster = demoRoster(42, 6, 10);
  const k = roster.rotationExponent;
  const phones = roster.members.slice(0, 3).map((member, i) => ({ member, address: randomAddressOf(random, 1), ios: i === 1 }));
  const memberName = "Elif's Pixel 8a";
  const specs = strangerSpecs(random, phones[1]!.member.identityKey, k);
  const addresses = specs.map(() => [] as string[]);

  const reports: CrowdReport[] = [];
  const chunks: Uint8Array[] = [btsnoopHeader()];
  const put = (packet: Uint8Array, atMs: number, flags?: number) => chunks.push(btsnoopRecord(packet, atMs, flags));
  const rssi = () => -45 - Math.floor(random() * 30);
  const emit = (report: Omit<CrowdReport, 'rssi'>) => {
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
      const eid = computeEid(member.identityKey, k, Math.floor(atMs / 1000));
      const data = ios ? encodeIBeacon(APP_UUID, eid.readUInt16BE(0), eid.readUInt16BE(2), -59) : encodeEddystoneEid(eid, -20);
      const kind = i === 2 ? 'extended' : 'legacy';
      emit({ kind, address, addressType: 'random', eventType: kind === 'extended' ? EXT_LEGACY_NONCONN : ADV_NONCONN_IND, data, atMs, memberId: member.id, fed: true });
    });
    emit({ kind: 'legacy', address: phones[0]!.address, addressType: 'random', eventType: SCAN_RSP, data: u8(ad(0x09, utf8Bytes(memberName))), atMs: second + 50, fed: true });
    specs.forEach((spec, j) => {
      const own = addresses[j]!;
      const rotate = spec.rotateEverySeconds;
      if (own.length === 0 || (rotate !== undefined && s % rotate === 0 && s > 0)) own.push(spec.address());
      const address = own.at(-1)!;
      const atMs = second + 100 + j * 17;
      spec.emit(atMs).forEach((e, n) => emit({ ...e, address, addressType: spec.addressType, atMs: atMs + n, stranger: spec.label, fed: e.fed ?? true }));
    });
  }

  const strangers: Stranger[] = specs.map((spec, j) => {
    // Every distinct advertising payload of at least 8 bytes is a trace of its own.
    const blobs = new Map<string, Uint8Array>();
    for (const r of reports) if (r.stranger === spec.label && r.data.length >= 8) blobs.set(Buffer.from(r.data).toString('hex'), r.data);
    return { label: spec.label, addresses: addresses[j]!, traces: [...spec.traces, ...[...blobs.values()].map((value) => ({ what: 'advertising data', value }))] };
  });
  return {
    bytes: concat(chunks),
    reports,
    records: chunks.length - 1,
    members: phones.map(({ member, address }, i) => ({
      id: member.id,
      address,
      traces: i === 0 ? [{ what: 'device name in scan response', value: memberName }] : [],
    })),
    strangers,
  };
}
