import { gzipSync } from 'node:zlib';
import type { UplinkBatch } from '../contracts/sync.js';
import type { ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Clock } from '../ports.js';
import { backoffDelay, DEFAULT_BACKOFF, retryAfterMs, type BackoffSettings } from './backoff.js';
import { toUplinkRecord } from './records.js';
import { SingleFlight } from './single-flight.js';
import type { CloudResponse, CloudTransport, Outbox, OutboxBatch } from './sync-ports.js';

export interface UplinkSettings {
  readonly batchMaxRecords: number;
  readonly batchMaxAgeSeconds: number;
  readonly requestTimeoutSeconds: number;
  readonly diskCapMb: number;
}

export interface UplinkOptions {
  readonly outbox: Outbox;
  /** Undefined when cloud.url is empty: the disk cap still applies, nothing is sent. */
  readonly transport: CloudTransport | undefined;
  readonly storeId: string;
  readonly gatewayVersion: string;
  readonly token: string;
  readonly settings: UplinkSettings;
  readonly metrics: Pick<Metrics, 'uplinkBytes' | 'uplinkRecords' | 'uplinkRequests'>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly backoff?: BackoffSettings;
  readonly random?: () => number;
  /** One run sends for at most this long, then leaves the rest to the next tick. */
  readonly runBudgetMs?: number;
}

export interface UplinkRunResult {
  readonly sent: number;
  readonly batches: number;
  readonly remaining: number;
  readonly dropped: number;
  /** Set when the run stopped on a failure, or because it is backing off. */
  readonly waitingUntil?: string;
}

export interface UplinkHealth {
  readonly lastSuccessAt: string | null;
  readonly lastAttemptAt: string | null;
  readonly consecutiveFailures: number;
  readonly nextAttemptAt: string | null;
  readonly lastError: { readonly code: ErrorCode; readonly message: string; readonly status?: number; readonly at: string } | null;
}

type Attempt =
  | { readonly ok: true }
  | { readonly ok: false; readonly outcome: string; readonly code: ErrorCode; readonly message: string; readonly status?: number; readonly retryAfterMs?: number; readonly tooLarge?: boolean };

/** Uncompressed JSON of one batch stays under this, whatever batchMaxRecords says. */
const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/**
 * The store-and-forward uplink: the oldest undelivered records, in batches by size and
 * age, gzip JSON POSTed with the batch's Idempotency-Key. A batch is claimed in SQLite
 * before it is sent, so a retry, also after a crash, sends the same records under the
 * same key. Failures back off exponentially with jitter; 429 and 503 wait for the
 * cloud's Retry-After. Nothing is deleted here: the cloud's 2xx marks records delivered.
 */
export class Uplink {
  private readonly flight = new SingleFlight(() => this.drain(false));
  private readonly forced = new SingleFlight(() => this.drain(true));
  private lastSuccessAt: number | undefined;
  private lastAttemptAt: number | undefined;
  private failures = 0;
  private nextAttemptAt = 0;
  /** Retry-After from the cloud: even an on-demand sync waits for it. */
  private throttledUntil = 0;
  private lastError: UplinkHealth['lastError'] = null;
  private maxRecords: number;

  constructor(private readonly options: UplinkOptions) {
    this.maxRecords = options.settings.batchMaxRecords;
  }

  /** A scheduled tick: sends what is due; skipped while a run is in progress. */
  tick(): Promise<UplinkRunResult> | undefined {
    if (this.forced.busy) return undefined;
    return this.flight.runIfIdle();
  }

  /** On demand (gateway/request/sync): sends everything waiting, whatever its age, past the backoff but not past a Retry-After. */
  async flushNow(): Promise<UplinkRunResult> {
    await this.flight.idle();
    return this.forced.run();
  }

  async idle(): Promise<void> {
    await Promise.all([this.flight.idle(), this.forced.idle()]);
  }

  lastSuccess(): number | undefined {
    return this.lastSuccessAt;
  }

  health(): UplinkHealth {
    const iso = (ms: number | undefined) => (ms === undefined || ms === 0 ? null : new Date(ms).toISOString());
    return {
      lastSuccessAt: iso(this.lastSuccessAt),
      lastAttemptAt: iso(this.lastAttemptAt),
      consecutiveFailures: this.failures,
      nextAttemptAt: iso(Math.max(this.nextAttemptAt, this.throttledUntil)),
      lastError: this.lastError,
    };
  }

  private async drain(force: boolean): Promise<UplinkRunResult> {
    const { outbox, clock, settings, transport } = this.options;
    const started = clock.now();
    const dropped = this.enforceCap(started);
    let sent = 0;
    let batches = 0;
    let waitingUntil: number | undefined;
    while (transport !== undefined) {
      const now = clock.now();
      const wait = Math.max(this.throttledUntil, force ? 0 : this.nextAttemptAt);
      if (wait > now) {
        waitingUntil = wait;
        break;
      }
      const backlog = outbox.backlog(this.maxRecords);
      const due = force || backlog.count >= this.maxRecords || (backlog.oldestCreatedAt !== undefined && now - backlog.oldestCreatedAt >= settings.batchMaxAgeSeconds * 1000);
      const batch = outbox.claimBatch({ maxRecords: this.maxRecords, maxBytes: MAX_BATCH_BYTES }, now, due);
      if (batch === undefined) break;
      if (!force && batch.nextAttemptAt > now) {
        waitingUntil = batch.nextAttemptAt;
        break;
      }
      if (batch.records.length === 0) {
        outbox.ackBatch(batch.id, [], now);
        continue;
      }
      const attempt = await this.send(batch, transport);
      if (attempt.ok) {
        sent += batch.records.length;
        batches += 1;
      } else if (attempt.tooLarge === true && batch.records.length > 1) {
        // 413: the same records go out again in batches half the size, under new keys.
        outbox.dissolveBatch(batch.id);
        this.maxRecords = Math.max(1, Math.floor(batch.records.length / 2));
        continue;
      } else {
        waitingUntil = this.failed(batch, attempt);
        break;
      }
      if (clock.now() - started >= (this.options.runBudgetMs ?? 20_000)) break;
    }
    const remaining = outbox.stats().depth;
    return { sent, batches, remaining, dropped, ...(waitingUntil === undefined ? {} : { waitingUntil: new Date(waitingUntil).toISOString() }) };
  }

  private enforceCap(now: number): number {
    const { outbox, settings, log } = this.options;
    let dropped = 0;
    try {
      for (const drop of outbox.enforceCap(settings.diskCapMb * 1024 * 1024, now)) {
        dropped += drop.count;
        log.warn(
          { code: 'VITRIN_ERR_OUTBOX_FULL', tier: drop.tier, dropped: drop.count, bytes: drop.bytes, from: new Date(drop.fromAt).toISOString(), to: new Date(drop.toAt).toISOString() },
          'the outbox reached its disk cap: the oldest undelivered records of this tier were dropped',
        );
      }
    } catch (err) {
      log.error({ err, code: 'VITRIN_ERR_STORE_WRITE' }, 'the disk cap could not be enforced; the next run tries again');
    }
    return dropped;
  }

  private async send(batch: OutboxBatch, transport: CloudTransport): Promise<Attempt> {
    const { clock, metrics, storeId, gatewayVersion, token, settings } = this.options;
    const now = clock.now();
    this.lastAttemptAt = now;
    const body: UplinkBatch = {
      schema: 'vitrin.uplink-batch/1',
      batchId: batch.id,
      storeId,
      gatewayVersion,
      sentAt: new Date(now).toISOString(),
      records: batch.records.map(toUplinkRecord),
    };
    const gz = gzipSync(JSON.stringify(body));
    metrics.uplinkBytes.inc(gz.length);
    let response: CloudResponse;
    try {
      response = await transport.request({
        method: 'POST',
        path: `/v1/stores/${encodeURIComponent(storeId)}/records`,
        headers: {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'idempotency-key': batch.id,
          'user-agent': `vitrin/${gatewayVersion}`,
          ...(token === '' ? {} : { authorization: `Bearer ${token}` }),
        },
        body: gz,
        timeoutMs: settings.requestTimeoutSeconds * 1000,
      });
    } catch (err) {
      metrics.uplinkRequests.inc({ outcome: 'network' });
      return { ok: false, outcome: 'network', code: 'VITRIN_ERR_CLOUD_UPLINK', message: err instanceof Error ? err.message : String(err) };
    }
    const attempt = classify(response, clock.now());
    metrics.uplinkRequests.inc({ outcome: attempt.ok ? 'ok' : attempt.outcome });
    if (attempt.ok) this.succeeded(batch);
    return attempt;
  }

  private succeeded(batch: OutboxBatch): void {
    const { outbox, clock, metrics, log } = this.options;
    const now = clock.now();
    outbox.ackBatch(batch.id, batch.records, now);
    metrics.uplinkRecords.inc(batch.records.length);
    if (this.failures > 0) log.info({ failedAttempts: this.failures }, 'the cloud takes batches again');
    this.lastSuccessAt = now;
    this.failures = 0;
    this.nextAttemptAt = 0;
    this.maxRecords = this.options.settings.batchMaxRecords;
    log.debug({ batchId: batch.id, records: batch.records.length }, 'batch delivered');
  }

  /** Keeps the batch for a retry and returns when it is due. */
  private failed(batch: OutboxBatch, attempt: Extract<Attempt, { ok: false }>): number {
    const { outbox, clock, log } = this.options;
    const now = clock.now();
    const backoff = this.options.backoff ?? DEFAULT_BACKOFF;
    this.failures = Math.max(this.failures, batch.attempts) + 1;
    const permanent = attempt.code === 'VITRIN_ERR_CLOUD_AUTH' || attempt.code === 'VITRIN_ERR_CLOUD_REJECTED';
    const delay = attempt.retryAfterMs ?? (permanent ? backoff.maxMs : backoffDelay(this.failures, backoff, this.options.random));
    const due = now + delay;
    if (attempt.retryAfterMs !== undefined) this.throttledUntil = due;
    this.nextAttemptAt = due;
    outbox.deferBatch(batch.id, batch.attempts + 1, due);
    this.lastError = { code: attempt.code, message: attempt.message, ...(attempt.status === undefined ? {} : { status: attempt.status }), at: new Date(now).toISOString() };
    // The first failure, then ever less often: a long outage must not flood the journal.
    const log2 = (this.failures & (this.failures - 1)) === 0;
    if (log2 || permanent) {
      log.warn({ code: attempt.code, status: attempt.status, reason: attempt.message, batchId: batch.id, records: batch.records.length, failedAttempts: this.failures, retryInMs: delay }, 'batch not delivered; kept for retry');
    }
    return due;
  }
}

function classify(response: CloudResponse, now: number): Attempt {
  const { status } = response;
  if (status >= 200 && status < 300) return { ok: true };
  const detail = response.body.toString('utf8', 0, Math.min(response.body.length, 200)).replace(/\s+/g, ' ').trim();
  const message = `the cloud answered ${status}${detail === '' ? '' : `: ${detail}`}`;
  const retryAfter = retryAfterMs(response.headers['retry-after'], now);
  if (status === 429 || status === 503) {
    return { ok: false, outcome: status === 429 ? 'throttled' : 'server', code: 'VITRIN_ERR_CLOUD_UPLINK', message, status, ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }) };
  }
  if (status === 413) return { ok: false, outcome: 'too-large', code: 'VITRIN_ERR_CLOUD_REJECTED', message, status, tooLarge: true };
  if (status === 401 || status === 403) return { ok: false, outcome: 'auth', code: 'VITRIN_ERR_CLOUD_AUTH', message, status };
  if (status >= 500 || status === 408 || status === 409) return { ok: false, outcome: 'server', code: 'VITRIN_ERR_CLOUD_UPLINK', message, status };
  return { ok: false, outcome: 'rejected', code: 'VITRIN_ERR_CLOUD_REJECTED', message, status };
}
