import type { Clock, Unsubscribe } from '../../gateway/ports.js';

/**
 * The time of a capture being replayed: the timestamp of the last record fed, moved
 * on by wall time times the replay speed. Presence, cooldowns and card expiry then
 * see the capture's own timeline. Timers run on real time.
 */
export class ReplayClock implements Clock {
  private captureNow: number;
  private wallAt = Date.now();
  private started = false;

  constructor(
    /** Real timers (the system clock): replays run in real time, only `now()` follows the capture. */
    private readonly timers: Clock,
    private readonly speed: number,
    startMs = Date.now(),
  ) {
    this.captureNow = startMs;
  }

  /** Called by the replay source for every record it feeds. */
  advanceTo(captureMs: number): void {
    // Never backwards (records can be out of order by a few ms), except onto the capture's timeline at first.
    this.captureNow = this.started ? Math.max(this.now(), captureMs) : captureMs;
    this.started = true;
    this.wallAt = Date.now();
  }

  now(): number {
    return this.speed > 0 ? this.captureNow + (Date.now() - this.wallAt) * this.speed : this.captureNow;
  }

  setTimeout(fn: () => void, ms: number): Unsubscribe {
    return this.timers.setTimeout(fn, ms);
  }

  setInterval(fn: () => void, ms: number): Unsubscribe {
    return this.timers.setInterval(fn, ms);
  }
}
