import { randomUUID } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { VitrinError } from '../../gateway/errors.js';
import type { Logger } from '../../gateway/log.js';
import type { Clock, EventStore, StoredEvent, StoredEventInput, Unsubscribe } from '../../gateway/ports.js';
import { MIGRATIONS } from './migrations.js';

export interface SqliteEventStoreOptions {
  readonly dataDir: string;
  readonly log: Logger;
  readonly clock: Clock;
  /** Queued events are committed together at least this often. */
  readonly flushIntervalMs?: number;
  /** A batch this large is committed at once, without waiting for the timer. */
  readonly maxBatch?: number;
}

interface EventRow {
  id: number;
  at: number;
  type: string;
  member_id: string | null;
  payload: string;
}

/**
 * Events in SQLite (WAL, synchronous=NORMAL), each with an outbox row for the
 * cloud uplink. Appends are queued and committed in one transaction per batch:
 * one fsync per batch, not per event. A batch that fails stays queued.
 */
export class SqliteEventStore implements EventStore {
  private db: Database.Database | undefined;
  private queue: StoredEventInput[] = [];
  private stopTimer: Unsubscribe | undefined;
  private writeBatch: ((events: readonly StoredEventInput[]) => void) | undefined;

  constructor(private readonly options: SqliteEventStoreOptions) {}

  get file(): string {
    return join(this.options.dataDir, 'vitrin.db');
  }

  async start(): Promise<void> {
    const { log } = this.options;
    try {
      mkdirSync(this.options.dataDir, { recursive: true, mode: 0o700 });
      const db = new Database(this.file);
      this.db = db;
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 2000');
      const mode = db.pragma('journal_mode', { simple: true });
      if (mode !== 'wal') throw new Error(`journal_mode is ${String(mode)}, not wal`);
      this.migrate(db);
      this.prepare(db);
    } catch (cause) {
      this.db?.close();
      this.db = undefined;
      if (cause instanceof VitrinError) throw cause;
      throw new VitrinError('VITRIN_ERR_STORE_OPEN', `cannot open the event store ${this.file}`, { cause });
    }
    this.stopTimer = this.options.clock.setInterval(() => this.flushQuietly(), this.options.flushIntervalMs ?? 50);
    log.info({ file: this.file }, 'event store open');
  }

  stop(): Promise<void> {
    this.stopTimer?.();
    const db = this.db;
    if (db === undefined) return Promise.resolve();
    this.flushQuietly();
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
      this.db = undefined;
    }
    if (this.queue.length > 0) this.options.log.error({ lost: this.queue.length }, 'events could not be written before closing');
    return Promise.resolve();
  }

  append(event: StoredEventInput): void {
    this.queue.push(event);
    if (this.queue.length >= (this.options.maxBatch ?? 1000)) this.flushQuietly();
  }

  flush(): number {
    if (this.queue.length === 0) return 0;
    if (this.writeBatch === undefined) throw new VitrinError('VITRIN_ERR_STORE_WRITE', 'the event store is not open');
    const batch = this.queue;
    try {
      this.writeBatch(batch);
    } catch (cause) {
      throw new VitrinError('VITRIN_ERR_STORE_WRITE', `could not write ${batch.length} event(s); kept for retry`, { cause });
    }
    this.queue = [];
    return batch.length;
  }

  recentEvents(limit: number): StoredEvent[] {
    const rows = this.open().prepare('SELECT id, at, type, member_id, payload FROM events ORDER BY id DESC LIMIT ?').all(limit) as EventRow[];
    return rows.map((row) => ({
      id: row.id,
      at: row.at,
      type: row.type,
      ...(row.member_id === null ? {} : { memberId: row.member_id }),
      payload: JSON.parse(row.payload) as Record<string, unknown>,
    }));
  }

  outboxDepth(): number {
    if (this.db === undefined) return 0;
    return this.db.prepare('SELECT count(*) FROM outbox WHERE sent_at IS NULL').pluck().get() as number;
  }

  isOpen(): boolean {
    return this.db?.open ?? false;
  }

  pendingCount(): number {
    return this.queue.length;
  }

  /** Size of the write-ahead log, for the benchmark. */
  walBytes(): number {
    try {
      return statSync(`${this.file}-wal`).size;
    } catch {
      return 0;
    }
  }

  private flushQuietly(): void {
    try {
      this.flush();
    } catch (err) {
      this.options.log.error({ err, queued: this.queue.length }, 'VITRIN_ERR_STORE_WRITE: event batch not written; will retry');
    }
  }

  private open(): Database.Database {
    if (this.db === undefined) throw new VitrinError('VITRIN_ERR_STORE_OPEN', 'the event store is not open');
    return this.db;
  }

  private migrate(db: Database.Database): void {
    const current = db.pragma('user_version', { simple: true }) as number;
    const latest = MIGRATIONS.at(-1)?.version ?? 0;
    if (current > latest) {
      throw new VitrinError(
        'VITRIN_ERR_STORE_OPEN',
        `${this.file} has schema version ${current}, newer than this Vitrin knows (${latest}); it was written by a newer release`,
      );
    }
    for (const migration of MIGRATIONS.filter((m) => m.version > current)) {
      db.transaction(() => {
        db.exec(migration.sql);
        db.pragma(`user_version = ${migration.version}`);
      })();
      this.options.log.info({ version: migration.version, name: migration.name }, 'database migrated');
    }
  }

  private prepare(db: Database.Database): void {
    const insertEvent = db.prepare('INSERT INTO events (at, type, member_id, payload) VALUES (?, ?, ?, ?)');
    const insertOutbox = db.prepare('INSERT INTO outbox (event_id, idempotency_key, created_at) VALUES (?, ?, ?)');
    this.writeBatch = db.transaction((events: readonly StoredEventInput[]) => {
      for (const event of events) {
        const { lastInsertRowid } = insertEvent.run(event.at, event.type, event.memberId ?? null, JSON.stringify(event.payload));
        insertOutbox.run(lastInsertRowid, randomUUID(), event.at);
      }
    });
  }
}
