import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { NobleSource } from '../../../adapters/ble-noble/noble-source.js';
import { SystemClock } from '../../../adapters/clock/system-clock.js';
import { eventOf, isCapture, readBtsnoop } from '../../../gateway/ble/btsnoop.js';
import { decodeFrames, frameToJson } from '../../../gateway/ble/frames.js';
import { encodeLegacyReport, parseHciEvent } from '../../../gateway/ble/hci-events.js';
import { RadioWatchdog } from '../../../gateway/ble/radio-watchdog.js';
import type { Advertisement } from '../../../gateway/ports.js';
import { openPtyPair, type PtyPair } from '../../support/pty-pair.js';
import { storeCapture } from '../../support/store-capture.js';
import { VirtualHciController } from '../../support/virtual-hci-controller.js';

// The real noble stack (HCI UART driver, HCI and GAP parsing) against a virtual
// controller on a pseudo-terminal, fed from a btsnoop file the project wrote.

const log = pino({ level: 'silent' });
// In reverse order and awaited: noble must have stopped writing to the pseudo-terminal
// before socat closes it, or its last write fails with EIO outside any test.
let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
  await new Promise((r) => setTimeout(r, 50));
});

/** The advertising report events of a capture file, H4 framed, in file order. */
function reportEvents(file: string): Uint8Array[] {
  const capture = readBtsnoop(readFileSync(file));
  if (!isCapture(capture)) throw new Error(capture.reason);
  const events: Uint8Array[] = [];
  for (const record of capture.records) {
    const event = eventOf(capture.datalink, record);
    if (event === undefined) continue;
    const parsed = parseHciEvent(event.bytes, event.withIndicator);
    if (parsed.ok && parsed.reports.length > 0) events.push(event.bytes);
  }
  return events;
}

async function startStack(events: readonly Uint8Array[]) {
  const pty: PtyPair = await openPtyPair();
  cleanup.push(() => pty.close());
  const controller = new VirtualHciController(pty.controllerEnd, events);
  controller.start();
  cleanup.push(() => controller.stop());
  const source = new NobleSource({
    binding: 'hci',
    device: 0,
    receiverId: 'rx-floor',
    uart: pty.hostEnd,
    startTimeoutMs: 10_000,
    clock: new SystemClock(),
    log,
  });
  const heard: Advertisement[] = [];
  source.onAdvertisement((ad) => heard.push(ad));
  await source.start();
  cleanup.push(() => source.stop());
  return { source, controller, heard };
}

async function until(condition: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

const framesOf = (data: Uint8Array) =>
  decodeFrames(data)
    .frames.map((f) => JSON.stringify(frameToJson(f)))
    .sort();

describe('noble adapter on a virtual HCI controller', () => {
  it('delivers what the capture holds, report for report: address, type, RSSI and every frame', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitrin-vhci-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const capture = storeCapture({ seconds: 8 });
    const file = join(dir, 'store.btsnoop');
    writeFileSync(file, capture.bytes);
    const events = reportEvents(file);
    expect(events).toHaveLength(capture.reports.length);

    const { heard, controller, source } = await startStack(events);
    await until(() => heard.length >= capture.reports.length);

    expect(source.state()).toBe('scanning');
    expect(controller.commands).toContain(0x0c03); // HCI_Reset
    expect(heard).toHaveLength(capture.reports.length);
    heard.forEach((ad, i) => {
      const written = capture.reports[i]!;
      expect({ address: ad.address, addressType: ad.addressType, rssi: ad.rssi, receiverId: ad.receiverId, frames: framesOf(ad.data) }).toEqual({
        address: written.address,
        addressType: written.addressType,
        rssi: written.rssi,
        receiverId: 'rx-floor',
        frames: framesOf(written.data),
      });
    });
  });

  it("keeps noble's per-address memory flat while thousands of addresses rotate", async () => {
    const data = Uint8Array.from([0x02, 0x01, 0x06, 0x07, 0xff, 0x4c, 0x00, 0x10, 0x02, 0x0b, 0x00]);
    const rotating = Array.from({ length: 3000 }, (_, i) =>
      encodeLegacyReport({ eventType: 0, address: `5a:00:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`, addressType: 'random', rssi: -70, data }),
    );
    const { heard, source } = await startStack(rotating);
    await until(() => heard.length >= rotating.length, 30_000);
    expect(heard).toHaveLength(rotating.length);
    expect(new Set(heard.map((a) => a.address)).size).toBe(3000);
    // Without forgetting, noble would hold 3000 entries in each of these.
    expect(source.cacheSizes()).toEqual({ peripherals: 0, discoveries: 0, bindings: 0 });
  });

  it('when the controller falls silent, the watchdog restarts scanning and then resets the controller', async () => {
    const { source, controller } = await startStack([]);
    const resetsBefore = controller.commands.filter((op) => op === 0x0c03).length;
    const enablesBefore = controller.commands.filter((op) => op === 0x200c).length;
    const watchdog = new RadioWatchdog({ radio: source, silenceMs: 400, clock: new SystemClock(), log });
    await watchdog.start();
    cleanup.push(() => watchdog.stop());
    await until(() => controller.commands.filter((op) => op === 0x0c03).length > resetsBefore, 10_000);
    expect(controller.commands.filter((op) => op === 0x200c).length).toBeGreaterThan(enablesBefore);
    expect(controller.commands.filter((op) => op === 0x0c03).length).toBeGreaterThan(resetsBefore);
    await until(() => source.state() === 'scanning', 5000);
    expect(source.state()).toBe('scanning');
  });
});
