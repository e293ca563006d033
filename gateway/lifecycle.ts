import type { Logger } from './log.js';

interface Step {
  readonly name: string;
  readonly stop: () => Promise<void>;
}

/**
 * Starts parts in order and stops them in reverse. Each stop is guarded: one part
 * failing to stop must not keep the others (the database flush, the `offline`
 * state) from stopping cleanly.
 */
export class LifecycleStack {
  private readonly started: Step[] = [];

  constructor(private readonly log: Logger) {}

  async start(name: string, start: () => Promise<void>, stop: () => Promise<void>): Promise<void> {
    this.log.debug({ part: name }, 'starting');
    await start();
    this.started.push({ name, stop });
  }

  /** Registers something already running (or nothing to start) for the reverse stop. */
  onStop(name: string, stop: () => Promise<void>): void {
    this.started.push({ name, stop });
  }

  async stopAll(): Promise<void> {
    while (this.started.length > 0) {
      const step = this.started.pop()!;
      try {
        this.log.debug({ part: step.name }, 'stopping');
        await step.stop();
      } catch (err) {
        this.log.error({ err, part: step.name }, 'failed to stop cleanly');
      }
    }
  }
}
