import { createTask, type ScheduledTask } from 'node-cron';
import type { Logger } from '../log.js';

interface Job {
  readonly name: string;
  readonly expression: string;
  /** Starts a run, or returns undefined when one is still going (the tick is skipped). */
  readonly run: () => Promise<unknown> | undefined;
}

/**
 * The sync schedules on node-cron. Each tick starts its job unless the job is still
 * running (no overlap: node-cron's own guard, and the job's single flight, which also
 * covers on-demand runs). A failed run is logged; the schedule goes on.
 */
export class CronJobs {
  private readonly jobs: Job[] = [];
  private tasks: ScheduledTask[] = [];

  constructor(
    private readonly timezone: string,
    private readonly log: Logger,
  ) {}

  add(name: string, expression: string, run: () => Promise<unknown> | undefined): void {
    this.jobs.push({ name, expression, run });
  }

  start(): void {
    const logger = {
      info: (message: string) => this.log.debug({ scheduler: 'node-cron' }, message),
      warn: (message: string) => this.log.debug({ scheduler: 'node-cron' }, message),
      error: (message: string | Error) => this.log.warn({ err: message }, 'scheduler error'),
      debug: (message: string | Error) => this.log.trace({ scheduler: 'node-cron', message: String(message) }, 'scheduler'),
    };
    this.tasks = this.jobs.map((job) => {
      const task = createTask(job.expression, () => this.tick(job), { name: `vitrin-${job.name}`, timezone: this.timezone, noOverlap: true, logger });
      Promise.resolve(task.start()).catch((err: unknown) => this.log.error({ err, job: job.name }, 'a sync schedule did not start'));
      return task;
    });
  }

  stop(): void {
    for (const task of this.tasks) Promise.resolve(task.destroy()).catch((err: unknown) => this.log.warn({ err }, 'a sync schedule did not stop cleanly'));
    this.tasks = [];
  }

  private async tick(job: Job): Promise<void> {
    try {
      await job.run();
    } catch (err) {
      this.log.error({ err, job: job.name }, 'scheduled sync job failed; the next tick tries again');
    }
  }
}
