/**
 * One run of a job at a time. A scheduled tick that finds the job running is skipped
 * (`runIfIdle`); an on-demand run waits for the current one and then runs once more
 * (`run`), however many callers asked meanwhile.
 */
export class SingleFlight<T> {
  private current: Promise<T> | undefined;
  private queued: Promise<T> | undefined;

  constructor(private readonly job: () => Promise<T>) {}

  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Undefined when a run was already in progress. */
  runIfIdle(): Promise<T> | undefined {
    return this.current === undefined ? this.launch() : undefined;
  }

  run(): Promise<T> {
    const running = this.current;
    if (running === undefined) return this.launch();
    this.queued ??= running.then(
      () => this.after(running),
      () => this.after(running),
    );
    return this.queued;
  }

  /** Resolves when nothing runs or waits; for shutdown. */
  async idle(): Promise<void> {
    while (this.current !== undefined || this.queued !== undefined) {
      await Promise.allSettled([this.current, this.queued]);
    }
  }

  private after(waitedOn: Promise<T>): Promise<T> {
    this.queued = undefined;
    // A run that started after the caller asked (a scheduled tick) serves it as well.
    if (this.current !== undefined && this.current !== waitedOn) return this.current;
    return this.launch();
  }

  private launch(): Promise<T> {
    const run = this.job();
    this.current = run;
    const clear = () => {
      if (this.current === run) this.current = undefined;
    };
    run.then(clear, clear);
    return run;
  }
}
