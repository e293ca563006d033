import type { Health } from '../contracts/health.js';
import type { Logger } from '../log.js';
import type { Clock, Lifecycle, MessageBus, Unsubscribe } from '../ports.js';

export type HealthSnapshot = Omit<Health, 'schema' | 'at'>;

export interface HealthPublisherOptions {
  readonly bus: MessageBus;
  readonly topic: string;
  /** The gateway's health now; cheap, read every second. */
  readonly snapshot: () => HealthSnapshot;
  readonly everyMs: number;
  readonly clock: Clock;
  readonly log: Logger;
  /** How often a change is looked for; 1 s unless a test says otherwise. */
  readonly pollMs?: number;
}

/** What counts as a change: counters (uptime, present, outbox) alone wait for the next period. */
function changeKey(health: HealthSnapshot): string {
  return JSON.stringify([health.status, health.checks, health.model, health.simulated]);
}

/**
 * Retained `gateway/health` (QoS 1): a dashboard or store IT tool that subscribes gets
 * the latest at once. Published at start, every `everyMs`, and within a second of a
 * change of status, check or model. Liveness is `gateway/state` (its last will); a
 * stale `at` here only says when the gateway last measured.
 */
export class HealthPublisher implements Lifecycle {
  private lastKey: string | undefined;
  private lastAt = 0;
  private inFlight = false;
  private failing = false;
  private stopPolling: Unsubscribe | undefined;
  private stopListening: Unsubscribe | undefined;

  constructor(private readonly options: HealthPublisherOptions) {}

  async start(): Promise<void> {
    await this.publish(this.options.snapshot());
    this.stopPolling = this.options.clock.setInterval(() => this.tick(), this.options.pollMs ?? 1_000);
    // A broker restart loses nothing retained in Mosquitto, but the embedded broker keeps none: say it again.
    this.stopListening = this.options.bus.onConnectionChange((connected) => {
      if (connected) this.lastKey = undefined;
    });
  }

  stop(): Promise<void> {
    this.stopPolling?.();
    this.stopListening?.();
    return Promise.resolve();
  }

  private tick(): void {
    if (this.inFlight) return;
    let health: HealthSnapshot;
    try {
      health = this.options.snapshot();
    } catch (err) {
      this.options.log.warn({ err }, 'health snapshot failed');
      return;
    }
    const due = this.options.clock.now() - this.lastAt >= this.options.everyMs;
    if (due || changeKey(health) !== this.lastKey) void this.publish(health);
  }

  private async publish(health: HealthSnapshot): Promise<void> {
    const { bus, topic, clock, log } = this.options;
    this.inFlight = true;
    const at = clock.now();
    try {
      if (!bus.isConnected()) return;
      const payload: Health = { schema: 'vitrin.health/1', ...health, at: new Date(at).toISOString() };
      await bus.publish(topic, JSON.stringify(payload), { qos: 1, retain: true, contentType: 'application/json' });
      if (this.lastKey !== undefined && changeKey(health) !== this.lastKey) log.info({ status: health.status, checks: health.checks }, 'health changed');
      this.lastKey = changeKey(health);
      this.lastAt = at;
      if (this.failing) log.info('gateway/health published again');
      this.failing = false;
    } catch (err) {
      // Once per outage: the broker being away is already logged by the MQTT client.
      if (!this.failing) log.warn({ err }, 'could not publish gateway/health; retrying every second');
      this.failing = true;
    } finally {
      this.inFlight = false;
    }
  }
}
