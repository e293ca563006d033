import { readFile } from 'node:fs/promises';
import { isCapture, readBtsnoop, type BtsnoopCapture } from '../../gateway/ble/btsnoop.js';
import { captureReports, type RecordKind, type ReplayOutcome } from '../../gateway/ble/capture-reports.js';
import type { AdvertisingReport } from '../../gateway/ble/hci-events.js';
import { advertisementOf } from '../../gateway/ble/report-advertisement.js';
import { VitrinError } from '../../gateway/errors.js';
import type { Logger } from '../../gateway/log.js';
import type { Advertisement, AdvertisementSource, Unsubscribe } from '../../gateway/ports.js';

/** Like the core's ReplayObserver, before resolution: the composition root adds the member. */
export interface ReplayTap {
  record(kind: RecordKind, index: number): void;
  report(report: AdvertisingReport, ad: Advertisement): void;
}

export interface ReplaySourceOptions {
  readonly file: string;
  readonly receiverId: string;
  /** 1: as fast as the capture was recorded; 10: ten times faster; 0: as fast as possible. */
  readonly speed: number;
  readonly log: Logger;
  readonly observer?: ReplayTap;
  /** Told each record's time, so the gateway's clock follows the capture. */
  readonly clock?: { advanceTo(captureMs: number): void };
}


/** Yield to the event loop this often at full speed, so HTTP and MQTT stay served. */
const YIELD_EVERY = 500;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A btsnoop capture as a BLE source: each LE Advertising Report reaches the pipeline
 * with the capture's own timestamp (so rotating identifiers resolve as they did when
 * recorded), paced by the capture's timing divided by `speed`.
 */
export class ReplaySource implements AdvertisementSource {
  readonly kind = 'replay' as const;
  private readonly listeners = new Set<(ad: Advertisement) => void>();
  private stopped = false;
  private running: Promise<ReplayOutcome> | undefined;

  constructor(private readonly options: ReplaySourceOptions) {}

  onAdvertisement(fn: (ad: Advertisement) => void): Unsubscribe {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async start(): Promise<void> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.options.file);
    } catch (cause) {
      throw new VitrinError('VITRIN_ERR_CAPTURE_READ', `cannot read capture ${this.options.file}`, { cause });
    }
    const capture = readBtsnoop(bytes);
    if (!isCapture(capture)) throw new VitrinError('VITRIN_ERR_CAPTURE_READ', `${this.options.file}: ${capture.reason}`);
    this.running = this.play(capture);
  }

  /** Resolves when the whole capture (or its good part) has been fed. */
  finished(): Promise<ReplayOutcome> {
    return this.running ?? Promise.resolve({ reports: 0, problem: undefined });
  }

  stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }

  private async play(capture: BtsnoopCapture): Promise<ReplayOutcome> {
    const { speed, observer, receiverId } = this.options;
    const wallStart = Date.now();
    let captureStart: number | undefined;
    let reports = 0;
    for (const timed of captureReports(capture, (kind, index) => observer?.record(kind, index))) {
      if (this.stopped) break;
      captureStart ??= timed.timestampMs;
      if (speed > 0) {
        const due = wallStart + (timed.timestampMs - captureStart) / speed;
        const wait = due - Date.now();
        if (wait > 1) await sleep(wait);
      } else if (reports % YIELD_EVERY === YIELD_EVERY - 1) {
        await nextTurn();
      }
      this.options.clock?.advanceTo(timed.timestampMs);
      const ad = advertisementOf(timed.report, receiverId, timed.timestampMs);
      observer?.report(timed.report, ad);
      reports++;
      for (const listener of this.listeners) listener(ad);
    }
    const problem = capture.problem();
    if (problem !== undefined) this.options.log.warn({ file: this.options.file, record: problem.index }, `capture is damaged: ${problem.reason}; replayed the records before it`);
    return { reports, problem };
  }
}
