import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { VitrinError } from '../../gateway/errors.js';
import type { Logger } from '../../gateway/log.js';
import type { Clock, EventStore, StoredEvent, StoredEventInput, Unsubscribe } from '../../gateway/ports.js';
import { idempotencyKey, idempotencyKeyPrefix } from './idempotency-key.js';
import { migrate } from './migrations.js';
import { openDatabase, readSettings, type ConnectionSettings } from './open-database.js';

export interface SqliteEventStoreOptions {
  readonly dataDir: string;
  readonly log: Logger;
  readonly clock: Clock;
  /** Queued events are committed together at least this often. */
  readonly flushIntervalMs?: number;
  /** A batch this large is committed at once, without waiting for the timer. */
  readonly maxBatch?: number;
  /**
   * How long a batch waits for another connection's write lock. better-sqlite3 is
   * synchronous, so this blocks the event loop: keep it short and let the queue retry.
   */
  readonly busyTimeoutMs?: number;
}

/** An event as it will be inserted: validated and serialised when appended. */
interface QueuedRow {
  readonly at: number;
  readonly type: string;
  readonly memberId: string | null;
  readonly payload: string;
}

interface EventRow {
  id: number;
  at: number;
  type: string;
  member_id: string | null;
  payload: string;
}

interface Statements {
  readonly writeBatch: (rows: readonly QueuedRow[], createdAt: number) => void;
  readonly recent: Database.Statement<[number], EventRow>;
  readonly outboxDepth: Database.Statement<[], number>;
  readonly eraseMember: Database.Statement<[string]>;
}

// Opening and the last flush at shutdown may wait longer: nothing else is running yet, or anymore.
const OPEN_AND_CLOSE_BUSY_TIMEOUT_MS = 5_000;
const MAX_RETRY_DELAY_MS = 1_000;

/**
 * Events in SQLite (WAL, synchronous=NORMAL), each with an outbox row for the
 * cloud uplink. Appends are queued and committed in one transaction per batch:
 * one WAL commit per batch, not per event. A batch that fails stays queued and is
 * retried with backoff; nothing is dropped while the process runs.
 */
export class SqliteEventStore implements EventStore {
  private db: Database.Database | undefined;
  private statements: Statements | undefined;
  private queue: QueuedRow[] = [];
  private cancelTimer: Unsubscribe | undefined;
  private failures = 0;
  /** The last commit failed: readiness says so until one succeeds. */
  private lastCommitFailed = false;

  constructor(private readonly options: SqliteEventStoreOptions) {}

  get file(): string {
    return join(this.options.dataDir, 'vitrin.db');
  }

  start(): Promise<void> {
    if (this.db !== undefined) return Promise.resolve();
    const { log } = this.options;
    let db: Database.Database | undefined;
    try {
      // 0700: the file holds member ids and their store visits.
      mkdirSync(this.options.dataDir, { recursive: true, mode: 0o700 });
      db = openDatabase(this.file, OPEN_AND_CLOSE_BUSY_TIMEOUT_MS);
      for (const m of migrate(db)) log.info({ version: m.version, migration: m.name }, 'database migrated');
      db.pragma(`busy_timeout = ${this.busyTimeoutMs()}`);
      this.statements = prepare(db);
    } catch (cause) {
      db?.close();
      const reason = cause instanceof Error ? cause.message : String(cause);
      return Promise.reject(new VitrinError('VITRIN_ERR_STORE_OPEN', `cannot open the event store ${this.file}: ${reason}`, { cause }));
    }
    this.db = db;
    if (this.queue.length > 0) this.schedule(this.flushIntervalMs());
    log.info({ file: this.file, schemaVersion: readSettings(db).schemaVersion }, 'event store open');
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    const db = this.db;
    if (db === undefined) return Promise.resolve();
    const { log } = this.options;
    try {
      db.pragma(`busy_timeout = ${OPEN_AND_CLOSE_BUSY_TIMEOUT_MS}`);
      this.flush();
    } catch (err) {
      log.error({ err, code: 'VITRIN_ERR_STORE_WRITE', lost: this.queue.length }, 'queued events could not be written before closing');
    }
    try {
      // TRUNCATE leaves an empty -wal file: a clean shutdown leaves one self-contained database file.
      db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      log.warn({ err }, 'checkpoint at shutdown failed; the WAL is replayed at the next start');
    }
    this.statements = undefined;
    this.db = undefined;
    db.close();
    log.info({ file: this.file }, 'event store closed');
    return Promise.resolve();
  }

  append(event: StoredEventInput): void {
    this.queue.push(toRow(event));
    // While failing, the retry timer owns the pace: do not hit a locked database on every append.
    if (this.queue.length >= this.maxBatch() && this.failures === 0 && this.db !== undefined) this.flushQuietly();
    else this.schedule(this.flushIntervalMs());
  }

  flush(): number {
    if (this.queue.length === 0) return 0;
    if (this.statements === undefined) throw new VitrinError('VITRIN_ERR_STORE_WRITE', `the event store is not open; ${this.queue.length} event(s) kept`);
    const batch = this.queue;
    try {
      this.statements.writeBatch(batch, this.options.clock.now());
    } catch (cause) {
      this.lastCommitFailed = true;
      throw new VitrinError('VITRIN_ERR_STORE_WRITE', `could not write ${batch.length} event(s); kept for retry`, { cause });
    }
    this.queue = [];
    this.lastCommitFailed = false;
    if (this.failures > 0) this.options.log.info({ written: batch.length, failedAttempts: this.failures }, 'event store writable again');
    this.failures = 0;
    return batch.length;
  }

  recentEvents(limit: number): StoredEvent[] {
    if (this.statements === undefined) throw new VitrinError('VITRIN_ERR_STORE_OPEN', 'the event store is not open');
    return this.statements.recent.all(Math.max(0, Math.floor(limit))).map((row) => ({
      id: row.id,
      at: row.at,
      type: row.type,
      ...(row.member_id === null ? {} : { memberId: row.member_id }),
      payload: JSON.parse(row.payload) as Record<string, unknown>,
    }));
  }

  outboxDepth(): number {
    return this.statements?.outboxDepth.get() ?? 0;
  }

  eraseMember(memberId: string): number {
    const queued = this.queue.length;
    this.queue = this.queue.filter((row) => row.memberId !== memberId);
    const dropped = queued - this.queue.length;
    if (this.statements === undefined || this.db === undefined) return dropped;
    const deleted = this.statements.eraseMember.run(memberId).changes;
    // secure_delete zeroes the freed pages; the checkpoint moves them into the file
    // and empties the WAL, so no old copy of the rows stays in either.
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    return dropped + deleted;
  }

  isOpen(): boolean {
    return this.db?.open ?? false;
  }

  isWritable(): boolean {
    return this.isOpen() && !this.lastCommitFailed;
  }

  /** Events appended and not yet committed. */
  pendingCount(): number {
    return this.queue.length;
  }

  /** Size of the write-ahead log file, for the benchmark and diagnostics. */
  walBytes(): number {
    try {
      return statSync(`${this.file}-wal`).size;
    } catch {
      return 0;
    }
  }

  /** The connection's pragmas as SQLite reports them; undefined while closed. */
  settings(): ConnectionSettings | undefined {
    return this.db === undefined ? undefined : readSettings(this.db);
  }

  private flushQuietly(): void {
    try {
      this.flush();
    } catch (err) {
      this.failures += 1;
      const retryInMs = Math.max(this.flushIntervalMs(), Math.min(MAX_RETRY_DELAY_MS, this.flushIntervalMs() * 2 ** this.failures));
      // First failure, then ever less often: a long lock must not flood the journal.
      if ((this.failures & (this.failures - 1)) === 0) {
        this.options.log.error({ err, code: 'VITRIN_ERR_STORE_WRITE', queued: this.queue.length, failedAttempts: this.failures, retryInMs }, 'event batch not written; kept for retry');
      }
      this.schedule(retryInMs);
    }
  }

  /** One pending timer at most: it is armed by the first append of a batch, not per event. */
  private schedule(delayMs: number): void {
    if (this.cancelTimer !== undefined || this.db === undefined || this.queue.length === 0) return;
    this.cancelTimer = this.options.clock.setTimeout(() => {
      this.cancelTimer = undefined;
      this.flushQuietly();
    }, delayMs);
  }

  private flushIntervalMs(): number {
    return this.options.flushIntervalMs ?? 50;
  }

  private maxBatch(): number {
    return Math.max(1, this.options.maxBatch ?? 1000);
  }

  private busyTimeoutMs(): number {
    return Math.max(0, Math.floor(this.options.busyTimeoutMs ?? 100));
  }
}

/**
 * Validates and serialises at append time, so a bad event is refused to its producer
 * at once instead of poisoning the batch it would later be committed with.
 */
function toRow(event: StoredEventInput): QueuedRow {
  if (typeof event.type !== 'string' || event.type === '') throw new VitrinError('VITRIN_ERR_STORE_WRITE', 'an event needs a non-empty type');
  if (!Number.isFinite(event.at)) throw new VitrinError('VITRIN_ERR_STORE_WRITE', `event ${event.type} has no valid time`);
  let payload: string | undefined;
  try {
    payload = JSON.stringify(event.payload);
  } catch (cause) {
    throw new VitrinError('VITRIN_ERR_STORE_WRITE', `event ${event.type} has a payload that is not JSON`, { cause });
  }
  if (typeof payload !== 'string') throw new VitrinError('VITRIN_ERR_STORE_WRITE', `event ${event.type} has no payload`);
  return { at: Math.round(event.at), type: event.type, memberId: event.memberId ?? null, payload };
}

function prepare(db: Database.Database): Statements {
  const insertEvent = db.prepare<[number, string, string | null, string]>('INSERT INTO events (at, type, member_id, payload) VALUES (?, ?, ?, ?)');
  // last_insert_rowid() in SQL: the outbox row points at the event just inserted without a round trip through JS.
  const insertOutbox = db.prepare<[string, number]>('INSERT INTO outbox (event_id, idempotency_key, created_at) VALUES (last_insert_rowid(), ?, ?)');
  const writeBatch = db.transaction((rows: readonly QueuedRow[], createdAt: number) => {
    const prefix = idempotencyKeyPrefix(createdAt);
    for (const row of rows) {
      insertEvent.run(row.at, row.type, row.memberId, row.payload);
      insertOutbox.run(idempotencyKey(prefix), createdAt);
    }
  });
  return {
    // immediate: take the write lock at BEGIN, so a busy database fails before any work is done.
    writeBatch: (rows, createdAt) => writeBatch.immediate(rows, createdAt),
    recent: db.prepare<[number], EventRow>('SELECT id, at, type, member_id, payload FROM events ORDER BY id DESC LIMIT ?'),
    outboxDepth: db.prepare<[], number>('SELECT count(*) FROM outbox WHERE sent_at IS NULL').pluck(),
    // Outbox rows go with their events (ON DELETE CASCADE).
    eraseMember: db.prepare<[string]>('DELETE FROM events WHERE member_id = ?'),
  };
}
