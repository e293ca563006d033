import { describe, expect, it } from 'vitest';
import { btsnoopHeader, btsnoopRecord, isCapture, readBtsnoop } from '../../gateway/ble/btsnoop.js';
import { captureReports } from '../../gateway/ble/capture-reports.js';
import { decodeAdvertisement, encodeEddystoneEid } from '../../gateway/ble/decode.js';
import { ExtendedFragments, MAX_EXTENDED_DATA } from '../../gateway/ble/extended-fragments.js';
import { encodeExtendedReport, parseHciEvent, type AdvertisingReport } from '../../gateway/ble/hci-events.js';

// An extended advertisement longer than one HCI event arrives as fragments: Data_Status
// 0b01 "incomplete, more data to come" and a last one 0b00 "complete", or 0b10
// "incomplete, data truncated" (Core spec v5.4, Vol 4, Part E, 7.7.65.13).

const COMPLETE = 0b00 << 5;
const MORE = 0b01 << 5;
const TRUNCATED = 0b10 << 5;
const EID = Uint8Array.from([0x8b, 0x0c, 0xa7, 0x50, 0xe7, 0xa9, 0xbe, 0x4a]);

/** A long advertisement: 240 bytes of manufacturer data from another vendor, then the app's Eddystone-EID. */
function longAdvert(): Uint8Array {
  const filler: number[] = [];
  for (let i = 0; i < 2; i++) filler.push(120, 0xff, 0x59, 0x00, ...new Array<number>(117).fill(0x11 * (i + 1)));
  return Uint8Array.from([...filler, ...encodeEddystoneEid(EID, -18)]);
}

function report(address: string, status: number, data: Uint8Array, sid = 3): AdvertisingReport {
  const parsed = parseHciEvent(encodeExtendedReport({ eventType: 0x0000 | status, address, addressType: 'random', rssi: -64, data, sid }));
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.reports[0]!;
}

/** Splits data the way a controller does: at most `size` bytes a report. */
function fragments(address: string, data: Uint8Array, size: number, lastStatus = COMPLETE): AdvertisingReport[] {
  const out: AdvertisingReport[] = [];
  for (let at = 0; at < data.length; at += size) {
    const last = at + size >= data.length;
    out.push(report(address, last ? lastStatus : MORE, data.subarray(at, at + size)));
  }
  return out;
}

describe('extended advertisement fragments', () => {
  it('joins a chain into one report at its last fragment, so an AD structure cut across two reports decodes', () => {
    const whole = longAdvert();
    const parts = fragments('c0:ff:ee:00:00:07', whole, 100);
    expect(parts).toHaveLength(3);
    // The app's frame is cut across the last two fragments: neither decodes alone.
    expect(decodeAdvertisement(parts[2]!.data)).toBeUndefined();
    const joiner = new ExtendedFragments();
    const out = parts.map((p) => joiner.push(p));
    expect(out.slice(0, 2)).toEqual([undefined, undefined]);
    expect(out[2]).toMatchObject({ kind: 'extended', address: 'c0:ff:ee:00:00:07', dataStatus: 'complete', sid: 3, rssi: -64 });
    expect([...out[2]!.data]).toEqual([...whole]);
    expect(decodeAdvertisement(out[2]!.data)).toMatchObject({ kind: 'eddystone-eid' });
  });

  it('keeps interleaved chains of two advertisers apart, and passes whole reports through', () => {
    const a = fragments('c0:ff:ee:00:00:0a', longAdvert(), 120);
    const b = fragments('c0:ff:ee:00:00:0b', longAdvert(), 90);
    const single = report('c0:ff:ee:00:00:0c', COMPLETE, encodeEddystoneEid(EID, -18));
    const joiner = new ExtendedFragments();
    const emitted = [b[0]!, a[0]!, single, b[1]!, a[1]!, b[2]!, a[2]!].map((r) => joiner.push(r)).filter((r) => r !== undefined);
    expect(emitted.map((r) => r.address)).toEqual(['c0:ff:ee:00:00:0c', 'c0:ff:ee:00:00:0b', 'c0:ff:ee:00:00:0a']);
    for (const r of emitted.slice(1)) expect([...r.data]).toEqual([...longAdvert()]);
  });

  it('marks a chain the controller gave up on as truncated, with what came', () => {
    const parts = fragments('c0:ff:ee:00:00:0d', longAdvert(), 100, TRUNCATED);
    const joiner = new ExtendedFragments();
    const last = parts.map((p) => joiner.push(p)).at(-1);
    expect(last).toMatchObject({ dataStatus: 'truncated' });
    expect(last!.data).toHaveLength(longAdvert().length);
  });

  it('cuts a chain that grows past the 1650 bytes an advertisement may carry, once, and drops the rest of it', () => {
    const joiner = new ExtendedFragments();
    const chunk = new Uint8Array(229).fill(0x22);
    const results = Array.from({ length: 10 }, () => joiner.push(report('c0:ff:ee:00:00:0e', MORE, chunk)));
    results.push(joiner.push(report('c0:ff:ee:00:00:0e', COMPLETE, chunk)));
    const emitted = results.filter((r) => r !== undefined);
    expect(emitted).toHaveLength(1);
    expect(emitted[0]).toMatchObject({ dataStatus: 'truncated' });
    expect(emitted[0]!.data).toHaveLength(MAX_EXTENDED_DATA);
    // The next advertisement from the same set starts afresh.
    expect(joiner.push(report('c0:ff:ee:00:00:0e', COMPLETE, encodeEddystoneEid(EID, -18)))?.data).toHaveLength(encodeEddystoneEid(EID, -18).length);
  });

  it('joins the fragments of a capture written by our btsnoop writer', () => {
    const parts = fragments('c0:ff:ee:00:00:0f', longAdvert(), 100);
    const bytes = Buffer.concat([
      btsnoopHeader(),
      ...parts.map((p, i) =>
        btsnoopRecord(encodeExtendedReport({ eventType: p.eventType, address: p.address, addressType: p.addressType, rssi: p.rssi, data: p.data, sid: 3 }), 1_000 + i),
      ),
    ]);
    const capture = readBtsnoop(bytes);
    if (!isCapture(capture)) throw new Error(capture.reason);
    const kinds: string[] = [];
    const reports = [...captureReports(capture, (kind) => kinds.push(kind))];
    expect(kinds).toEqual(['advertising', 'advertising', 'advertising']);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ recordIndex: 2, timestampMs: 1_002 });
    expect(decodeAdvertisement(reports[0]!.report.data)).toMatchObject({ kind: 'eddystone-eid' });
  });
});
