import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { carriesAppIdentifier } from '../../../gateway/ble/app-frames.js';
import { isCapture, readBtsnoop } from '../../../gateway/ble/btsnoop.js';
import { captureReports } from '../../../gateway/ble/capture-reports.js';
import { encodeLegacyReport } from '../../../gateway/ble/hci-events.js';
import { runCli } from '../../../gateway/cli/vitrin.js';
import { openRadio, startGateway } from '../../../gateway/main.js';
import { openPtyPair } from '../../support/pty-pair.js';
import { APP_UUID, storeCapture } from '../../support/store-capture.js';
import { VirtualHciController } from '../../support/virtual-hci-controller.js';

// `vitrin record` through the real noble stack: the virtual controller sends a
// store's traffic, the command writes it, the project's reader reads it back.

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.reverse()) fn();
  cleanup = [];
});

async function record(scope: 'app' | 'all') {
  const capture = storeCapture({ seconds: 4 });
  const pty = await openPtyPair();
  cleanup.push(() => pty.close());
  const controller = new VirtualHciController(pty.controllerEnd, capture.reports.map((r) => encodeLegacyReport(r)));
  controller.start();
  cleanup.push(() => controller.stop());
  const dir = mkdtempSync(join(tmpdir(), 'vitrin-record-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'store.btsnoop');
  const err: string[] = [];
  const code = await runCli(['record', '--out', out, '--seconds', '1', '--scope', scope], {
    startGateway,
    openRadio,
    env: { VITRIN_BLE__UART: pty.hostEnd },
    io: { out: () => undefined, err: (line) => err.push(line) },
  });
  const file = readBtsnoop(readFileSync(out));
  if (!isCapture(file)) throw new Error(file.reason);
  const written = [...captureReports(file, () => undefined)].map((t) => t.report);
  return { code, err, capture, written };
}

describe('vitrin record', () => {
  it('--scope all writes every advertisement heard, with address and RSSI, and warns about personal data', async () => {
    const { code, err, capture, written } = await record('all');
    expect(code).toBe(0);
    expect(err[0]).toContain("other people's device addresses");
    expect(written).toHaveLength(capture.reports.length);
    expect(written.map((r) => [r.address, r.rssi])).toEqual(capture.reports.map((r) => [r.address, r.rssi]));
  });

  it("by default keeps only the app's frame formats: every member report, no other kind of device", async () => {
    const { code, capture, written } = await record('app');
    expect(code).toBe(0);
    const appFormat = (data: Uint8Array) => carriesAppIdentifier(data, APP_UUID);
    // Eddystone-EID beacons of other systems share the format (an unlinkable rotating id) and are kept.
    expect(written.map((r) => r.address)).toEqual(capture.reports.filter((r) => appFormat(r.data)).map((r) => r.address));
    expect(written.filter((r) => capture.reports.some((c) => c.memberId !== undefined && c.address === r.address)).length).toBe(
      capture.reports.filter((r) => r.memberId !== undefined).length,
    );
    expect(written.every((r) => appFormat(r.data))).toBe(true);
  });
});
