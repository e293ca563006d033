import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { btsnoopHeader, btsnoopRecord } from '../../gateway/ble/btsnoop.js';
import { encodeEddystoneEid, encodeIBeacon } from '../../gateway/ble/decode.js';
import { encodeLegacyReport } from '../../gateway/ble/hci-events.js';
import { runCli } from '../../gateway/cli/vitrin.js';
import { calibrate } from '../../gateway/presence/calibration.js';
import type { Advertisement } from '../../gateway/ports.js';

const APP_UUID = '6a1d5e0c-8f3b-4c2e-9a7d-2b5f1e3c4d60';
const PHONE = 'c0:ff:ee:00:00:01';
// 41 samples around -65 dBm with four deep fades, as a phone held at 1 m gives them.
const RSSI = [...Array<number>(21).fill(-65), ...Array<number>(8).fill(-64), ...Array<number>(8).fill(-66), -80, -80, -80, -80].map((v, i, all) => all[(i * 17) % all.length]!);

function ad(rssi: number, data: Uint8Array, address = PHONE): Advertisement {
  return { receiverId: 'rx-floor', address, addressType: 'random', rssi, data, receivedAt: 0 };
}

describe('receiver calibration', () => {
  it('gives the median RSSI at 1 m and the offset that makes it the announced power', () => {
    const beacon = encodeIBeacon(APP_UUID, 1, 2, -59);
    const report = calibrate('rx-floor', RSSI.map((r) => ad(r, beacon)), APP_UUID);
    expect(report).toMatchObject({ address: PHONE, samples: 41, measuredPower: -59, problems: [] });
    expect(report.rssi?.median).toBe(-65);
    expect(report.rssiOffset).toBe(6);
    expect(report.rssi!.mean).toBeLessThan(-65); // the fades pull the mean, not the median
  });

  it("reads an Eddystone phone's power at 0 m as 41 dB more than at 1 m", () => {
    const frame = encodeEddystoneEid(new Uint8Array(8), -18);
    expect(calibrate('rx-floor', RSSI.map((r) => ad(r, frame)), APP_UUID)).toMatchObject({ measuredPower: -59, rssiOffset: 6 });
  });

  it('ignores other devices and other receivers, and says when the sample is too small or unclear', () => {
    const beacon = encodeIBeacon(APP_UUID, 1, 2, -59);
    const heard = [...RSSI.slice(0, 5).map((r) => ad(r, beacon)), ad(-40, encodeIBeacon('f7826da6-4fa2-4e98-8024-bc5b71e0893e', 1, 1, -59)), { ...ad(-30, beacon), receiverId: 'rx-pos-1' }, ad(-70, beacon, 'c0:ff:ee:00:00:02')];
    const report = calibrate('rx-floor', heard, APP_UUID);
    expect(report.samples).toBe(5);
    expect(report.problems.join(' ')).toMatch(/2 app devices/);
    expect(report.problems.join(' ')).toMatch(/only 5 samples/);
    expect(calibrate('rx-floor', heard, APP_UUID, 'c0:ff:ee:00:00:02')).toMatchObject({ samples: 1, rssi: { median: -70 } });
    expect(calibrate('rx-entrance', heard, APP_UUID)).toMatchObject({ samples: 0, rssiOffset: undefined });
  });

  it('`vitrin calibrate --replay` prints the figures of a capture made by our own writer', async () => {
    const beacon = encodeIBeacon(APP_UUID, 7, 9, -59);
    const start = Date.UTC(2026, 10, 23, 9, 0, 0);
    const chunks = [btsnoopHeader(), ...RSSI.map((rssi, i) => btsnoopRecord(encodeLegacyReport({ eventType: 3, address: PHONE, addressType: 'random', rssi, data: beacon }), start + i * 100))];
    const file = join(mkdtempSync(join(tmpdir(), 'vitrin-calibrate-')), 'phone-at-1m.btsnoop');
    writeFileSync(file, Buffer.concat(chunks));
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['calibrate', '--receiver', 'rx-floor', '--replay', file], { startGateway: () => Promise.reject(new Error('not here')), env: {}, io: { out: (l) => out.push(l), err: (l) => err.push(l) } });
    expect(code).toBe(0);
    expect(JSON.parse(out[0]!)).toMatchObject({ receiverId: 'rx-floor', samples: 41, rssiOffset: 6, currentOffset: 0 });
    expect(err.join('\n')).toContain('rssiOffset: 6');
    expect(await runCli(['calibrate', '--receiver', 'rx-nowhere', '--replay', file], { startGateway: () => Promise.reject(new Error('not here')), env: {}, io: { out: () => undefined, err: () => undefined } })).toBe(2);
  });
});
