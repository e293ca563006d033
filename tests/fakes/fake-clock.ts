import type { Clock, Unsubscribe } from '../../gateway/ports.js';

interface Timer {
  id: number;
  due: number;
  fn: () => void;
  every?: number;
}

/** A Clock whose time moves only when a test calls `advance`. */
export class FakeClock implements Clock {
  private current: number;
  private timers: Timer[] = [];
  private nextId = 1;

  constructor(startMs = Date.UTC(2026, 10, 23, 10, 0, 0)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): Unsubscribe {
    return this.add({ id: this.nextId++, due: this.current + ms, fn });
  }

  setInterval(fn: () => void, ms: number): Unsubscribe {
    return this.add({ id: this.nextId++, due: this.current + ms, fn, every: Math.max(1, ms) });
  }

  /** Moves time forward, firing every due timer in order of due time. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.due <= target).sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (next === undefined) break;
      this.current = next.due;
      if (next.every === undefined) this.timers = this.timers.filter((t) => t !== next);
      else next.due += next.every;
      next.fn();
    }
    this.current = target;
  }

  pendingTimers(): number {
    return this.timers.length;
  }

  private add(timer: Timer): Unsubscribe {
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }
}
