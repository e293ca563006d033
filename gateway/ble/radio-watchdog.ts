import type { Logger } from '../log.js';
import type { Clock, Lifecycle, RadioControl, Unsubscribe } from '../ports.js';

export type WatchdogAction = 'restart-scan' | 'reset-adapter';

export interface RadioWatchdogOptions {
  readonly radio: RadioControl;
  /** Silence after which scanning is restarted; after twice this, the adapter is reset, and again every such period. */
  readonly silenceMs: number;
  readonly clock: Clock;
  readonly log: Logger;
  readonly onAction?: (action: WatchdogAction) => void;
}

/**
 * Controllers and BlueZ sometimes stop delivering advertisements while claiming to
 * scan (firmware hiccups, a USB reset, another process disabling the scan). A store
 * always has devices advertising, so silence means the radio, not an empty room.
 */
export class RadioWatchdog implements Lifecycle {
  private lastHeard: number;
  private restarted = false;
  private lastReset: number | undefined;
  private acting = false;
  private stopChecking: Unsubscribe | undefined;

  constructor(private readonly options: RadioWatchdogOptions) {
    this.lastHeard = options.clock.now();
  }

  /** Call for every advertisement the radio delivers. */
  heard(): void {
    this.lastHeard = this.options.clock.now();
    this.restarted = false;
    this.lastReset = undefined;
  }

  /** Milliseconds since the radio last delivered anything. */
  silentFor(): number {
    return this.options.clock.now() - this.lastHeard;
  }

  start(): Promise<void> {
    this.lastHeard = this.options.clock.now();
    this.stopChecking = this.options.clock.setInterval(() => void this.check(), Math.max(1000, this.options.silenceMs / 5));
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.stopChecking?.();
    return Promise.resolve();
  }

  private async check(): Promise<void> {
    const { radio, silenceMs, clock } = this.options;
    if (this.acting || radio.state() === 'stopped' || radio.state() === 'starting') return;
    const now = clock.now();
    const silent = now - this.lastHeard;
    if (silent >= 2 * silenceMs && (this.lastReset === undefined || now - this.lastReset >= 2 * silenceMs)) {
      this.lastReset = now;
      await this.act('reset-adapter', silent, () => radio.resetAdapter());
    } else if (silent >= silenceMs && !this.restarted) {
      this.restarted = true;
      await this.act('restart-scan', silent, () => radio.restartScan());
    }
  }

  private async act(action: WatchdogAction, silentMs: number, run: () => Promise<void>): Promise<void> {
    const { log, radio, onAction } = this.options;
    this.acting = true;
    log.warn({ receiver: radio.receiverId, silentSeconds: Math.round(silentMs / 1000), action }, 'no advertisement heard; the watchdog acts');
    onAction?.(action);
    try {
      await run();
    } catch (err) {
      log.error({ err, receiver: radio.receiverId, action }, 'watchdog action failed; it will try again');
    } finally {
      this.acting = false;
    }
  }
}
