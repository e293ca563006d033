import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrames, frameToJson } from '../../gateway/ble/frames.js';
import { encodeExtendedReport, encodeLegacyReport, parseHciEvent } from '../../gateway/ble/hci-events.js';

// Published vectors: the two LE Advertising Report events taken apart byte by byte in
// the widely cited explanation of BlueZ's event layout for iBeacon and Eddystone
// (Stack Overflow "What is the iBeacon Bluetooth Profile", reproduced in
// PyBTSteward's EddyStone.md: https://github.com/wolfspyre/PyBTSteward/blob/master/EddyStone.md).
const IBEACON_EVENT =
  '043E2A02010300ECF800EEF30C1E0201041AFF4C0002158DEEFBB9F7384297804096668BB4428113880F4EC1BB';
const EDDYSTONE_UID_EVENT =
  '043E29020100' + '01F553E0AA15E5' + '1D0201060303AAFE1516AAFE00DFEDD1EBEAC04E5DEFA017E515AAE053F5' + 'CB';

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));

describe('HCI LE Advertising Report events', () => {
  it('reads the published iBeacon event field by field', () => {
    const result = parseHciEvent(bytes(IBEACON_EVENT));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.reports).toHaveLength(1);
    const [report] = result.reports;
    expect(report).toMatchObject({ kind: 'legacy', eventType: 3, addressType: 'public', address: '0c:f3:ee:00:f8:ec', rssi: -69, dataStatus: 'complete' });
    expect(decodeFrames(report!.data).frames).toEqual([
      { type: 'ibeacon', uuid: '8deefbb9-f738-4297-8040-96668bb44281', major: 5000, minor: 3918, txPower: -63 },
    ]);
  });

  it('reads the published Eddystone-UID event from a random address', () => {
    const result = parseHciEvent(bytes(EDDYSTONE_UID_EVENT));
    expect(result.ok && result.reports[0]).toMatchObject({ address: 'e5:15:aa:e0:53:f5', addressType: 'random', rssi: -53, eventType: 0 });
    if (!result.ok) return;
    expect(decodeFrames(result.reports[0]!.data).frames.map(frameToJson)).toEqual([
      { type: 'eddystone-uid', namespace: 'edd1ebeac04e5defa017', instance: 'e515aae053f5', txPower: -33 },
    ]);
  });

  it('reads an event without its H4 indicator, as datalink 1001 and btmon store it', () => {
    const result = parseHciEvent(bytes(IBEACON_EVENT.slice(2)), false);
    expect(result.ok && result.reports[0]?.address).toBe('0c:f3:ee:00:f8:ec');
  });

  it('reads several reports in one event', () => {
    const one = bytes(IBEACON_EVENT);
    const two = bytes(EDDYSTONE_UID_EVENT);
    // Join the report bodies (after the 5-byte header: 04 3e len 02 n) under one header.
    const body = Uint8Array.from([...one.subarray(5), ...two.subarray(5)]);
    const event = Uint8Array.from([0x04, 0x3e, body.length + 2, 0x02, 2, ...body]);
    const result = parseHciEvent(event);
    expect(result.ok && result.reports.map((r) => r.address)).toEqual(['0c:f3:ee:00:f8:ec', 'e5:15:aa:e0:53:f5']);
  });

  it('round-trips legacy and extended reports through the encoders', () => {
    const data = bytes('0201061aff4c000215' + '8deefbb9f738429780409666' + '8bb44281' + '13880f4ec1');
    const legacy = parseHciEvent(encodeLegacyReport({ eventType: 3, address: 'c0:ff:ee:00:00:01', addressType: 'random', rssi: -70, data }));
    expect(legacy.ok && legacy.reports[0]).toMatchObject({ kind: 'legacy', address: 'c0:ff:ee:00:00:01', rssi: -70, addressType: 'random' });
    const extended = parseHciEvent(encodeExtendedReport({ eventType: 0x0010, address: 'c0:ff:ee:00:00:02', addressType: 'public', rssi: -81, txPower: 4, data }));
    expect(extended.ok && extended.reports[0]).toMatchObject({ kind: 'extended', eventType: 0x10, address: 'c0:ff:ee:00:00:02', rssi: -81, txPower: 4, dataStatus: 'complete' });
    if (extended.ok) expect([...extended.reports[0]!.data]).toEqual([...data]);
  });

  it('says which extended fragments are incomplete or truncated', () => {
    const data = bytes('020106');
    const status = (bits: number) => {
      const r = parseHciEvent(encodeExtendedReport({ eventType: bits << 5, address: '00:00:00:00:00:01', addressType: 'public', rssi: -60, data }));
      return r.ok ? r.reports[0]?.dataStatus : undefined;
    };
    expect([status(0), status(1), status(2)]).toEqual(['complete', 'incomplete', 'truncated']);
  });

  it('names what is wrong with a cut or inflated event instead of throwing', () => {
    const whole = bytes(IBEACON_EVENT);
    expect(parseHciEvent(whole.subarray(0, 20))).toEqual({ ok: false, reason: 'event claims 42 parameter bytes, 17 present' });
    const inflated = Uint8Array.from(whole);
    inflated[13] = 40; // data length 40: more than legacy advertising can carry
    expect(parseHciEvent(inflated)).toMatchObject({ ok: false, reason: expect.stringContaining('at most 31') });
    const tooMany = Uint8Array.from(whole);
    tooMany[4] = 3; // three reports announced, one present
    expect(parseHciEvent(tooMany)).toEqual({ ok: false, reason: 'report 1 is cut short' });
  });

  it('treats command completes and other events as nothing to decode', () => {
    expect(parseHciEvent(bytes('040e0401030c00'))).toEqual({ ok: true, reports: [], other: true });
    expect(parseHciEvent(bytes('010c20020100'))).toEqual({ ok: true, reports: [], other: true });
  });

  it('never throws on random, truncated or oversized events, and never reports more than it holds', () => {
    const eventish = fc
      .tuple(fc.constantFrom(0x02, 0x0d, 0x01), fc.nat(4), fc.uint8Array({ maxLength: 300 }))
      .map(([sub, n, body]) => Uint8Array.from([0x04, 0x3e, (body.length + 2) & 0xff, sub, n, ...body]));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), eventish), fc.boolean(), (input, withIndicator) => {
        const result = parseHciEvent(input, withIndicator);
        if (result.ok) {
          expect(result.reports.length).toBeLessThanOrEqual(Math.floor(input.length / 10));
          for (const report of result.reports) expect(report.data.length).toBeLessThanOrEqual(input.length);
        } else expect(result.reason).toMatch(/\w/);
      }),
      { numRuns: 5000 },
    );
  });
});
