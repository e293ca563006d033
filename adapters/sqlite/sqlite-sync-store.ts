import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { PackageKind } from '../../gateway/contracts/sync.js';
import { VitrinError } from '../../gateway/errors.js';
import type { Logger } from '../../gateway/log.js';
import type { Lifecycle, StoredEvent } from '../../gateway/ports.js';
import { DROP_TIERS } from '../../gateway/sync/records.js';
import type { DerivedEvent, OutboxBatch, OutboxDrop, OutboxRecord, OutboxStats, PackageVersion, SyncStore } from '../../gateway/sync/sync-ports.js';
import { idempotencyKey, idempotencyKeyPrefix } from './idempotency-key.js';
import { migrate } from './migrations.js';
import { openDatabase } from './open-database.js';
import { prepareSyncStatements, type RecordRow, type SyncStatements } from './sync-statements.js';

export interface SqliteSyncStoreOptions {
  readonly dataDir: string;
  readonly log: Logger;
}

/** Never dropped by the disk cap, nor purged while undelivered with sync off. */
const KEPT_TYPES = ['hourly-summary', 'erasure-receipt'] as const;
/** What an outbox-dropped report counts at most. */
const REPORT_ALLOWANCE = 1024;

/**
 * The cloud sync side of the gateway's SQLite file, on its own connection: outbox
 * claims and acknowledgements, the disk cap, package versions, the sync jobs' state
 * and the retention purge. The event store writes events and their outbox rows; this
 * reads and retires them.
 *
 * The disk cap needs the bytes of undelivered records. Summing them is a scan of the
 * whole outbox, so it is done once (and again after rows vanished behind our back: an
 * erasure); in between, new rows are added by their id and delivered or dropped ones
 * subtracted.
 */
export class SqliteSyncStore implements SyncStore, Lifecycle {
  private db: Database.Database | undefined;
  private statements: SyncStatements | undefined;
  private pendingBytes = 0;
  private countedThrough = 0;
  private tallied = false;

  constructor(private readonly options: SqliteSyncStoreOptions) {}

  get file(): string {
    return join(this.options.dataDir, 'vitrin.db');
  }

  start(): Promise<void> {
    if (this.db !== undefined) return Promise.resolve();
    let db: Database.Database | undefined;
    try {
      mkdirSync(this.options.dataDir, { recursive: true, mode: 0o700 });
      db = openDatabase(this.file, 5_000);
      migrate(db);
      db.pragma('busy_timeout = 1000');
      this.statements = prepareSyncStatements(db);
      this.db = db;
      return Promise.resolve();
    } catch (cause) {
      db?.close();
      const reason = cause instanceof Error ? cause.message : String(cause);
      return Promise.reject(new VitrinError('VITRIN_ERR_STORE_OPEN', `cannot open the sync tables in ${this.file}: ${reason}`, { cause }));
    }
  }

  stop(): Promise<void> {
    this.statements = undefined;
    this.db?.close();
    this.db = undefined;
    return Promise.resolve();
  }

  stats(): OutboxStats {
    const s = this.open();
    this.tally();
    return { depth: s.depth.get() ?? 0, oldestCreatedAt: s.oldestPending.get() ?? undefined, pendingBytes: this.pendingBytes };
  }

  backlog(limit: number): { readonly count: number; readonly oldestCreatedAt: number | undefined } {
    const s = this.open();
    return { count: s.depthUpTo.get(Math.max(1, limit)) ?? 0, oldestCreatedAt: s.oldestPending.get() ?? undefined };
  }

  claimBatch(limits: { readonly maxRecords: number; readonly maxBytes: number }, now: number, claimNew: boolean): OutboxBatch | undefined {
    const s = this.open();
    const open = s.openBatch.get();
    if (open !== undefined) {
      const rows = s.recordsBetween.all(open.first_outbox_id, open.last_outbox_id);
      return { id: open.id, records: rows.map(toRecord), attempts: open.attempts, nextAttemptAt: open.next_attempt_at };
    }
    if (!claimNew) return undefined;
    const rows = s.recordsAfter.all(0, Math.max(1, limits.maxRecords));
    const records: OutboxRecord[] = [];
    let bytes = 0;
    for (const row of rows) {
      if (records.length > 0 && bytes + row.bytes > limits.maxBytes) break;
      records.push(toRecord(row));
      bytes += row.bytes;
    }
    const first = records[0];
    const last = records.at(-1);
    if (first === undefined || last === undefined) return undefined;
    const id = idempotencyKey(idempotencyKeyPrefix(now));
    s.insertBatch.run(id, first.outboxId, last.outboxId, now);
    return { id, records, attempts: 0, nextAttemptAt: 0 };
  }

  ackBatch(batchId: string, records: readonly OutboxRecord[], now: number): void {
    const s = this.open();
    this.db!.transaction(() => {
      for (const record of records) {
        const changed = s.markSent.run(now, record.outboxId, record.id).changes;
        if (changed > 0 && record.outboxId <= this.countedThrough) this.pendingBytes -= record.bytes;
      }
      s.deleteBatch.run(batchId);
    }).immediate();
    this.pendingBytes = Math.max(0, this.pendingBytes);
  }

  deferBatch(batchId: string, attempts: number, nextAttemptAt: number): void {
    this.open().deferBatch.run(attempts, nextAttemptAt, batchId);
  }

  dissolveBatch(batchId: string): void {
    this.open().deleteBatch.run(batchId);
  }

  enforceCap(capBytes: number, now: number): OutboxDrop[] {
    const s = this.open();
    this.tally();
    const drops: OutboxDrop[] = [];
    if (this.pendingBytes <= capBytes) return drops;
    const open = s.openBatch.get();
    // Dropping ends with a report that is itself kept: leave room for it.
    const target = capBytes - REPORT_ALLOWANCE;
    for (const [tier, types] of Object.entries(DROP_TIERS) as [OutboxDrop['tier'], readonly string[]][]) {
      while (this.pendingBytes > target) {
        const rows = s.droppable(types).all(open?.first_outbox_id ?? 0, open?.last_outbox_id ?? -1, 1000);
        const taken: RecordRow[] = [];
        let bytes = 0;
        for (const row of rows) {
          if (this.pendingBytes - bytes <= target) break;
          taken.push(row);
          bytes += row.bytes;
        }
        const first = taken[0];
        const last = taken.at(-1);
        if (first === undefined || last === undefined) break;
        const drop: OutboxDrop = { tier, count: taken.length, bytes, fromAt: first.at, toAt: last.at };
        this.db!.transaction(() => {
          for (const row of taken) s.deleteEvent.run(row.event_id);
          const total = Number(s.getState.get(`dropped.${tier}`) ?? '0') + taken.length;
          s.setState.run(`dropped.${tier}`, String(total));
          // The cloud learns what it will never get: a report that is itself never dropped.
          this.insertEvent({ type: 'outbox-dropped', at: now, payload: { ...drop, fromAt: new Date(drop.fromAt).toISOString(), toAt: new Date(drop.toAt).toISOString(), capBytes } }, idempotencyKey(idempotencyKeyPrefix(now)), now);
        }).immediate();
        for (const row of taken) if (row.outbox_id <= this.countedThrough) this.pendingBytes -= row.bytes;
        drops.push(drop);
      }
    }
    return drops;
  }

  droppedTotals(): Readonly<Record<OutboxDrop['tier'], number>> {
    const s = this.open();
    return { visit: Number(s.getState.get('dropped.visit') ?? '0'), interaction: Number(s.getState.get('dropped.interaction') ?? '0') };
  }

  invalidate(): void {
    this.tallied = false;
  }

  packageVersion(kind: PackageKind): PackageVersion | undefined {
    const row = this.open().getPackage.get(kind);
    return row === undefined ? undefined : { version: row.version, status: row.status === 'applied' ? 'applied' : 'refused', sha256: row.sha256, at: row.at };
  }

  recordPackage(kind: PackageKind, entry: PackageVersion, detail?: string): void {
    this.open().setPackage.run(kind, entry.version, entry.status, entry.sha256, entry.at, detail ?? null);
  }

  state(name: string): string | undefined {
    return this.open().getState.get(name);
  }

  setState(name: string, value: string): void {
    this.open().setState.run(name, value);
  }

  eventsBetween(from: number, to: number): StoredEvent[] {
    return this.open()
      .eventsBetween.all(from, to)
      .map((row) => ({
        id: row.id,
        at: row.at,
        type: row.type,
        ...(row.member_id === null ? {} : { memberId: row.member_id }),
        payload: JSON.parse(row.payload) as Record<string, unknown>,
      }));
  }

  oldestEventAt(): number | undefined {
    return this.open().oldestEvent.get() ?? undefined;
  }

  appendDerived(events: readonly DerivedEvent[], state: { readonly name: string; readonly value: string }): number {
    const s = this.open();
    let written = 0;
    this.db!.transaction(() => {
      const now = Date.now();
      for (const event of events) {
        if (s.keyExists.get(event.key) !== undefined) continue;
        this.insertEvent(event, event.key, now);
        written += 1;
      }
      s.setState.run(state.name, state.value);
    }).immediate();
    return written;
  }

  purgeChunk(before: number, undelivered: boolean, limit: number): number {
    const s = this.open();
    const deleted = this.db!.transaction(() => {
      let count = s.purgeDelivered.run(before, limit).changes;
      if (undelivered && count < limit) count += s.purgeUndelivered.run(before, KEPT_TYPES[0], KEPT_TYPES[1], limit - count).changes;
      return count;
    }).immediate();
    if (undelivered && deleted > 0) this.invalidate();
    return deleted;
  }

  private insertEvent(event: Omit<DerivedEvent, 'key'>, key: string, createdAt: number): void {
    const s = this.open();
    const payload = JSON.stringify(event.payload);
    s.insertEvent.run(Math.round(event.at), event.type, event.memberId ?? null, payload);
    s.insertOutbox.run(key, createdAt);
  }

  /** Brings the tally of undelivered bytes up to date: in full when it cannot be trusted, else the rows added since. */
  private tally(): void {
    const s = this.open();
    if (!this.tallied) {
      this.db!.transaction(() => {
        const whole = s.pendingBytesAll.get();
        this.pendingBytes = whole?.bytes ?? 0;
        this.countedThrough = s.maxOutboxId.get() ?? 0;
      })();
      this.tallied = true;
      return;
    }
    const added = s.pendingBytesAfter.get(this.countedThrough);
    if (added?.max_id != null) {
      this.pendingBytes += added.bytes ?? 0;
      this.countedThrough = added.max_id;
    }
  }

  private open(): SyncStatements {
    if (this.statements === undefined) throw new VitrinError('VITRIN_ERR_STORE_OPEN', 'the sync tables are not open');
    return this.statements;
  }
}

function toRecord(row: RecordRow): OutboxRecord {
  return {
    id: row.idempotency_key,
    outboxId: row.outbox_id,
    type: row.type,
    at: row.at,
    ...(row.member_id === null ? {} : { memberId: row.member_id }),
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    bytes: row.bytes,
  };
}
