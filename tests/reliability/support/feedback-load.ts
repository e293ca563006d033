import Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';

// Numbered feedback about one card, from a paired advisor tablet over HTTP and from a
// till over MQTT (QoS 1), recording exactly which numbers were acknowledged and how.
// The number travels in `reason`, which the gateway stores with the feedback event.

export interface FeedbackTarget {
  readonly httpUrl: string;
  /** The tablet's token (its cookie). */
  readonly token: string;
  readonly cardId: string;
  /** The till's connection and its feedback topic; undefined: HTTP only. */
  readonly till?: { readonly client: MqttClient; readonly topic: string };
}

export interface LoadOutcome {
  /** Tablet feedback answered 200: the gateway committed it before answering. */
  readonly httpAcked: string[];
  readonly httpSent: number;
  /** Answers other than 200, and requests the kill cut off, by status or error. */
  readonly httpOther: Map<string, number>;
  /** Till feedback whose PUBACK the till received (from the broker). */
  readonly mqttAcked: string[];
  readonly mqttSent: number;
}

export class FeedbackLoad {
  private running = false;
  private tillRunning = false;
  private next = 0;
  private readonly workers: Promise<void>[] = [];
  private readonly outcome: { httpAcked: string[]; httpSent: number; httpOther: Map<string, number>; mqttAcked: string[]; mqttSent: number } = {
    httpAcked: [],
    httpSent: 0,
    httpOther: new Map(),
    mqttAcked: [],
    mqttSent: 0,
  };

  constructor(
    private readonly target: FeedbackTarget,
    private readonly tag: string,
    private readonly httpWorkers = 3,
    private readonly mqttWindow = 2,
    private readonly mqttPauseMs = 5,
  ) {}

  start(): void {
    this.running = true;
    this.tillRunning = true;
    for (let i = 0; i < this.httpWorkers; i++) this.workers.push(this.httpWorker());
    if (this.target.till !== undefined) for (let i = 0; i < this.mqttWindow; i++) this.workers.push(this.mqttWorker(this.target.till));
  }

  /**
   * The till sends nothing more, so that what it counts as lost was in flight at the
   * kill, not sent to a broker with no gateway behind it (that is lost too, see 1c).
   */
  stopTill(): void {
    this.tillRunning = false;
  }

  /** Stops sending and waits until every message in flight was answered or failed. */
  async stop(): Promise<LoadOutcome> {
    this.running = false;
    this.tillRunning = false;
    await Promise.all(this.workers);
    return this.outcome;
  }

  private body(reason: string): string {
    return JSON.stringify({ schema: 'vitrin.feedback/1', cardId: this.target.cardId, action: 'shown', reason });
  }

  private async httpWorker(): Promise<void> {
    const { httpUrl, token } = this.target;
    while (this.running) {
      const reason = `${this.tag}:h${this.next++}`;
      this.outcome.httpSent++;
      try {
        const response = await fetch(`${httpUrl}/advisor/feedback`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', cookie: `vitrin_tablet=${token}` },
          body: this.body(reason),
          signal: AbortSignal.timeout(5_000),
        });
        await response.arrayBuffer();
        if (response.status === 200) this.outcome.httpAcked.push(reason);
        else this.count(String(response.status));
      } catch (err) {
        this.count((err as { cause?: { code?: string } }).cause?.code ?? 'network error');
        // The gateway is gone: the other workers will see it too.
        return;
      }
    }
  }

  private async mqttWorker(till: { readonly client: MqttClient; readonly topic: string }): Promise<void> {
    // A till sends a few hundred a second at most here: enough to keep the broker and the intake busy without starving HTTP.
    while (this.tillRunning && till.client.connected) {
      const reason = `${this.tag}:m${this.next++}`;
      this.outcome.mqttSent++;
      if (!(await publishUnlessClosed(till.client, till.topic, this.body(reason)))) return;
      this.outcome.mqttAcked.push(reason);
      await new Promise((resolve) => setTimeout(resolve, this.mqttPauseMs));
    }
  }

  private count(what: string): void {
    this.outcome.httpOther.set(what, (this.outcome.httpOther.get(what) ?? 0) + 1);
  }
}

/**
 * True once the PUBACK is in; false when the connection closed first. MQTT.js keeps an
 * unacknowledged QoS 1 message's promise pending across a lost connection, so the
 * close has to be watched for.
 */
function publishUnlessClosed(client: MqttClient, topic: string, payload: string): Promise<boolean> {
  return new Promise((resolve) => {
    const closed = () => resolve(false);
    client.once('close', closed);
    void client.publishAsync(topic, payload, { qos: 1 }).then(
      () => resolve(true),
      () => resolve(false),
    ).finally(() => client.off('close', closed));
  });
}

export interface DatabaseCheck {
  /** What `PRAGMA integrity_check` answered: 'ok', or its first problems. */
  readonly integrity: string;
  /** The `reason` of every stored feedback event. */
  readonly reasons: Set<string>;
}

/** Opens the database as the next start would (replaying the WAL), checks it and reads the feedback back. */
export function checkDatabase(file: string): DatabaseCheck {
  const db = new Database(file, { timeout: 5_000 });
  try {
    const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).slice(0, 3).join('; ');
    // Killed before its first migration: a database without tables holds nothing yet.
    const migrated = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").get() !== undefined;
    const reasons = new Set(migrated ? db.prepare<[], string>("SELECT json_extract(payload, '$.reason') FROM events WHERE type = 'feedback'").pluck().all() : []);
    return { integrity, reasons };
  } finally {
    db.close();
  }
}

export function missing(acked: Iterable<string>, stored: ReadonlySet<string>): string[] {
  return [...acked].filter((reason) => !stored.has(reason));
}
