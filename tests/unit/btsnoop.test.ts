import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  btsnoopHeader,
  btsnoopRecord,
  DATALINK_LINUX_MONITOR,
  isCapture,
  readBtsnoop,
  type BtsnoopCapture,
} from '../../gateway/ble/btsnoop.js';
import { captureReports } from '../../gateway/ble/capture-reports.js';
import { CaptureSummary } from '../../gateway/ble/capture-summary.js';
import { CAPTURE_START_MS, storeCapture } from '../support/store-capture.js';

function open(bytes: Uint8Array): BtsnoopCapture {
  const capture = readBtsnoop(bytes);
  if (!isCapture(capture)) throw new Error(capture.reason);
  return capture;
}

function reportsIn(bytes: Uint8Array) {
  const capture = open(bytes);
  const reports = [...captureReports(capture, () => undefined)];
  return { reports, problem: capture.problem() };
}

describe('btsnoop captures', () => {
  const store = storeCapture({ seconds: 5 });

  it('reads back what the writer wrote, report for report, with timestamps to the microsecond', () => {
    const { reports, problem } = reportsIn(store.bytes);
    expect(problem).toBeUndefined();
    expect(reports).toHaveLength(store.reports.length);
    reports.forEach(({ report, timestampMs }, i) => {
      const written = store.reports[i]!;
      expect({ ...report, data: [...report.data] }).toMatchObject({
        kind: written.kind,
        address: written.address,
        addressType: written.addressType,
        rssi: written.rssi,
        eventType: written.eventType,
        data: [...written.data],
      });
      expect(timestampMs).toBe(written.atMs);
    });
  });

  it('keeps the good part of a truncated capture and names the first bad record', () => {
    const cut = store.bytes.subarray(0, store.bytes.length - 5);
    const { reports, problem } = reportsIn(cut);
    expect(reports).toHaveLength(store.reports.length - 1);
    expect(problem).toEqual({ index: store.records - 1, reason: expect.stringMatching(new RegExp(`^record ${store.records - 1} is cut short`)) });
  });

  it('stops at a record whose length is corrupt instead of reading garbage', () => {
    const damaged = Uint8Array.from(store.bytes);
    const third = 16 + (24 + 6) + (24 + 7); // header, the command, the command complete
    damaged.set([0x7f, 0xff, 0xff, 0xff], third + 4);
    const { reports, problem } = reportsIn(damaged);
    expect(reports).toHaveLength(0);
    expect(problem?.index).toBe(2);
    expect(problem?.reason).toContain('the file is corrupt from here');
  });

  it('refuses what is not a btsnoop file, with the reason', () => {
    expect(readBtsnoop(Uint8Array.from(Buffer.from('pcap file here, not btsnoop')))).toEqual({
      index: undefined,
      reason: 'not a btsnoop file: it does not start with "btsnoop"',
    });
    const header = btsnoopHeader(1003);
    expect(readBtsnoop(header)).toMatchObject({ reason: expect.stringContaining('datalink 1003 is not supported') });
    expect(readBtsnoop(header.subarray(0, 10))).toMatchObject({ index: undefined });
  });

  it('reads btmon captures (datalink 2001): events by monitor opcode, other opcodes skipped', () => {
    const event = store.bytes.subarray(16 + 24 + 6 + 24 + 7 + 24 + 1, 16 + 24 + 6 + 24 + 7 + 24 + 40); // first report, without the H4 byte
    const note = Uint8Array.from(Buffer.from('Bluetooth monitor ver 5.66'));
    const bytes = Uint8Array.from([
      ...btsnoopHeader(DATALINK_LINUX_MONITOR),
      ...btsnoopRecord(note, CAPTURE_START_MS, 12), // system note
      ...btsnoopRecord(event, CAPTURE_START_MS + 5, (0 << 16) | 3), // event packet on hci0
    ]);
    const kinds: string[] = [];
    const capture = open(bytes);
    const reports = [...captureReports(capture, (kind) => kinds.push(kind))];
    expect(kinds).toEqual(['other', 'advertising']);
    expect(reports[0]?.report.address).toBe(store.reports[0]!.address);
  });

  it('summarises a store capture: formats, addresses, members and what was dropped', () => {
    const summary = new CaptureSummary();
    const memberOf = new Map(store.reports.map((r) => [r.address, r.memberId]));
    for (const timed of captureReports(open(store.bytes), (kind) => summary.record(kind))) {
      summary.report(timed.report, memberOf.get(timed.report.address));
    }
    const json = summary.toJSON();
    expect(json).toMatchObject({
      records: store.records,
      advertisingReports: store.reports.length,
      legacyReports: store.reports.filter((r) => r.kind === 'legacy').length,
      extendedReports: store.reports.filter((r) => r.kind === 'extended').length,
      addresses: new Set(store.reports.map((r) => r.address)).size,
      members: 3,
      dropped: store.reports.filter((r) => r.memberId === undefined).length,
      otherRecords: 2,
      malformedEvents: 0,
    });
    expect(Object.keys(json.frames)).toEqual(expect.arrayContaining(['ibeacon', 'altbeacon', 'eddystone-eid', 'eddystone-url', 'eddystone-tlm', 'manufacturer']));
  });

  it('never throws, hangs or reads past its input on random, truncated and mutated files', () => {
    const records = fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 8 });
    const wellFormed = records.map((packets) => Uint8Array.from([...btsnoopHeader(), ...packets.flatMap((p) => [...btsnoopRecord(p, CAPTURE_START_MS)])]));
    const mutated = fc.tuple(wellFormed, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([b, at, value]) => {
      const copy = Uint8Array.from(b);
      if (copy.length > 0) copy[at % copy.length] = value;
      return copy;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), wellFormed, mutated), fc.nat(60), (input, cut) => {
        const bytes = input.subarray(0, Math.max(0, input.length - cut));
        const capture = readBtsnoop(bytes);
        if (!isCapture(capture)) return;
        let total = 0;
        for (const record of capture.records) total += 24 + record.packet.length;
        expect(total).toBeLessThanOrEqual(bytes.length - 16);
        for (const timed of captureReports(capture, () => undefined)) expect(timed.report.data.length).toBeLessThan(bytes.length);
      }),
      { numRuns: 3000 },
    );
  });
});
