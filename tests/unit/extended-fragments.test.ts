import { describe, expect, it } from 'vitest';
import { btsnoopHeader, btsnoopRecord, isCapture, readBtsnoop } from '../../gateway/ble/btsnoop.js';
import { captureReports } from '../../gateway/ble/capture-reports.js';
import { decodeAdvertisement, encodeEddystoneEid } from '../../gateway/ble/decode.js';
import { CHAIN_TIMEOUT_MS, ExtendedFragments, MAX_EXTENDED_DATA } from '../../gateway/ble/extended-fragments.js';
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
    const out = parts.map((p, i) => joiner.push(p, 1000 + i));
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
    const emitted = [b[0]!, a[0]!, single, b[1]!, a[1]!, b[2]!, a[2]!].map((r, i) => joiner.push(r, 1000 + i)).filter((r) => r !== undefined);
    expect(emitted.map((r) => r.address)).toEqual(['c0:ff:ee:00:00:0c', 'c0:ff:ee:00:00:0b', 'c0:ff:ee:00:00:0a']);
    for (const r of emitted.slice(1)) expect([...r.data]).toEqual([...longAdvert()]);
  });

  it('marks a chain the controller gave up on as truncated, with what came', () => {
    const parts = fragments('c0:ff:ee:00:00:0d', longAdvert(), 100, TRUNCATED);
    const joiner = new ExtendedFragments();
    const last = parts.map((p, i) => joiner.push(p, 1000 + i)).at(-1);
    expect(last).toMatchObject({ dataStatus: 'truncated' });
    expect(last!.data).toHaveLength(longAdvert().length);
  });

  it('cuts a chain that grows past the 1650 bytes an advertisement may carry, once, and drops the rest of it', () => {
    const joiner = new ExtendedFragments();
    const chunk = new Uint8Array(229).fill(0x22);
    const results = Array.from({ length: 10 }, (_, i) => joiner.push(report('c0:ff:ee:00:00:0e', MORE, chunk), 1000 + i));
    results.push(joiner.push(report('c0:ff:ee:00:00:0e', COMPLETE, chunk), 1010));
    const emitted = results.filter((r) => r !== undefined);
    expect(emitted).toHaveLength(1);
    expect(emitted[0]).toMatchObject({ dataStatus: 'truncated' });
    expect(emitted[0]!.data).toHaveLength(MAX_EXTENDED_DATA);
    // The next advertisement from the same set starts afresh.
    expect(joiner.push(report('c0:ff:ee:00:00:0e', COMPLETE, encodeEddystoneEid(EID, -18)), 1011)?.data).toHaveLength(encodeEddystoneEid(EID, -18).length);
  });

  it('never decodes the last fragment of a chain it lost: too many chains open at once, or one left waiting too long', () => {
    const joiner = new ExtendedFragments();
    const lost = fragments('c0:ff:ee:00:01:00', longAdvert(), 100);
    expect(joiner.push(lost[0]!, 1000)).toBeUndefined();
    // 64 other advertisers start chains: the first one is given up.
    for (let i = 0; i < 64; i++) joiner.push(report(`c0:ff:ee:00:02:${i.toString(16).padStart(2, '0')}`, MORE, new Uint8Array(50)), 1001);
    expect(joiner.push(lost[1]!, 1002)).toBeUndefined();
    expect(joiner.push(lost[2]!, 1003)).toBeUndefined();
    // Its next advertisement is whole again.
    const again = fragments('c0:ff:ee:00:01:00', longAdvert(), 100).map((p, i) => joiner.push(p, 1010 + i));
    expect(decodeAdvertisement(again[2]!.data)).toMatchObject({ kind: 'eddystone-eid' });

    // A chain whose last fragment never came is not glued to the next advertisement.
    const stale = new ExtendedFragments();
    const first = fragments('c0:ff:ee:00:03:00', longAdvert(), 100);
    stale.push(first[0]!, 1000);
    stale.push(first[1]!, 1001);
    const later = report('c0:ff:ee:00:03:00', COMPLETE, encodeEddystoneEid(EID, -18));
    expect(stale.push(later, 1000 + 2 * CHAIN_TIMEOUT_MS)?.data).toHaveLength(encodeEddystoneEid(EID, -18).length);
  });

  it('does not join anonymous advertisers (one shared address): their fragments are dropped, whole reports pass', () => {
    const joiner = new ExtendedFragments();
    const anonymous = (status: number, data: Uint8Array): AdvertisingReport => ({ ...report('00:00:00:00:00:00', status, data), addressType: 'anonymous' });
    expect(joiner.push(anonymous(MORE, longAdvert().subarray(0, 100)), 1000)).toBeUndefined();
    const whole = anonymous(COMPLETE, encodeEddystoneEid(EID, -18));
    expect(joiner.push(whole, 1001)).toBe(whole);
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
