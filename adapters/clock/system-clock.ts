import type { Clock, Unsubscribe } from '../../gateway/ports.js';

/** Wall-clock time and real timers. Timers are unref'd: they never keep a stopping process alive. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): Unsubscribe {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  }

  setInterval(fn: () => void, ms: number): Unsubscribe {
    const timer = setInterval(fn, ms);
    timer.unref();
    return () => clearInterval(timer);
  }
}
