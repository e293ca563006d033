import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../../adapters/sqlite/sqlite-event-store.js';
import { MIGRATIONS } from '../../../adapters/sqlite/migrations.js';
import { isVitrinError } from '../../../gateway/errors.js';
import { FakeClock } from '../../fakes/fake-clock.js';

const LATEST = MIGRATIONS.at(-1)!.version;

interface LogLine {
  level: number;
  msg: string;
  code?: string;
  migration?: string;
}

/** A store on a real file in a fresh temp folder, on fake time, with its log lines kept. */
function storeIn(dataDir: string, options: { clock?: FakeClock; busyTimeoutMs?: number } = {}) {
  const lines: LogLine[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as LogLine) });
  const clock = options.clock ?? new FakeClock();
  const store = new SqliteEventStore({ dataDir, log, clock, flushIntervalMs: 50, maxBatch: 100, busyTimeoutMs: options.busyTimeoutMs ?? 0 });
  return { store, clock, lines };
}

const tempDataDir = () => join(mkdtempSync(join(tmpdir(), 'vitrin-sqlite-')), 'data');
const visit = (memberId: string, at: number) => ({ type: 'entered-store', memberId, at, payload: { zoneId: 'entrance', rssi: -61 } });

describe('SqliteEventStore on a real file', () => {
  it('runs in WAL mode with synchronous=NORMAL, foreign keys on, a 2 MB page cache, in a 0700 folder', async () => {
    const dir = tempDataDir();
    const { store } = storeIn(dir);
    await store.start();
    // synchronous and foreign_keys are per connection: only the store's own can tell.
    expect(store.settings()).toMatchObject({ journalMode: 'wal', synchronous: 1, foreignKeys: true, cacheKib: 2_000, schemaVersion: LATEST });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    await store.stop();
    // journal_mode=WAL is stored in the file, so any later connection sees it.
    const db = new Database(join(dir, 'vitrin.db'), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('migrates once; reopening applies nothing and keeps the data', async () => {
    const dir = tempDataDir();
    const first = storeIn(dir);
    await first.store.start();
    first.store.append(visit('m-1', 1000));
    await first.store.stop();
    // Each by its name, under a key the root logger's redaction of personal `name` fields leaves alone.
    expect(first.lines.filter((l) => l.msg === 'database migrated').map((l) => l.migration)).toEqual(MIGRATIONS.map((m) => m.name));

    const second = storeIn(dir);
    await second.store.start();
    expect(second.lines.filter((l) => l.msg === 'database migrated')).toHaveLength(0);
    expect(second.store.settings()?.schemaVersion).toBe(LATEST);
    expect(second.store.recentEvents(10)).toHaveLength(1);
    await second.store.stop();
  });

  it('commits queued events within one flush interval, and they survive close and reopen', async () => {
    const dir = tempDataDir();
    const { store, clock } = storeIn(dir);
    await store.start();
    store.append(visit('m-1', 1000));
    store.append({ type: 'card-shown', memberId: 'm-1', at: 2000, payload: { cardId: 'c-1' } });
    store.append({ type: 'gateway-note', at: 3000, payload: {} });
    expect(store.recentEvents(10)).toEqual([]);
    clock.advance(49);
    expect(store.pendingCount()).toBe(3);
    clock.advance(1);
    expect(store.pendingCount()).toBe(0);
    expect(store.recentEvents(10).map((e) => e.type)).toEqual(['gateway-note', 'card-shown', 'entered-store']);
    await store.stop();
    // A clean stop checkpoints: the database file alone holds everything.
    expect(store.walBytes()).toBe(0);
    expect(store.isOpen()).toBe(false);

    const { store: reopened } = storeIn(dir);
    await reopened.start();
    const [note, shown, entered] = reopened.recentEvents(10);
    expect(entered).toEqual({ id: 1, type: 'entered-store', memberId: 'm-1', at: 1000, payload: { zoneId: 'entrance', rssi: -61 } });
    expect(shown).toMatchObject({ id: 2, payload: { cardId: 'c-1' } });
    expect(note).not.toHaveProperty('memberId');
    expect(reopened.outboxDepth()).toBe(3);
    await reopened.stop();
  });

  it('commits at once when a batch is full, and stop() flushes what is left', async () => {
    const dir = tempDataDir();
    const { store } = storeIn(dir);
    await store.start();
    for (let i = 0; i < 130; i++) store.append(visit(`m-${i % 7}`, i));
    expect(store.pendingCount()).toBe(30);
    expect(store.outboxDepth()).toBe(100);
    expect(store.flush()).toBe(30);
    expect(store.flush()).toBe(0);
    store.append(visit('m-last', 500));
    await store.stop();
    const db = new Database(join(dir, 'vitrin.db'), { readonly: true });
    expect(db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(131);
    db.close();
  });

  it('gives every event one outbox row with a unique key, pending until sent', async () => {
    const dir = tempDataDir();
    const clock = new FakeClock();
    const { store } = storeIn(dir, { clock });
    await store.start();
    for (let i = 0; i < 250; i++) store.append(visit(`m-${i % 5}`, clock.now() - i));
    const flushedAt = clock.now();
    store.flush();
    await store.stop();

    const db = new Database(join(dir, 'vitrin.db'));
    db.pragma('foreign_keys = ON');
    const events = db.prepare('SELECT id FROM events ORDER BY id').pluck().all() as number[];
    const outbox = db.prepare('SELECT event_id, idempotency_key, created_at, attempts, next_attempt_at, sent_at FROM outbox ORDER BY event_id').all() as {
      event_id: number;
      idempotency_key: string;
      created_at: number;
      attempts: number;
      next_attempt_at: number | null;
      sent_at: number | null;
    }[];
    expect(outbox.map((row) => row.event_id)).toEqual(events);
    expect(new Set(outbox.map((row) => row.idempotency_key)).size).toBe(250);
    for (const row of outbox) {
      // UUIDv7: the creation millisecond, then random bits.
      expect(row.idempotency_key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(parseInt(row.idempotency_key.slice(0, 13).replace('-', ''), 16)).toBe(flushedAt);
      expect(row).toMatchObject({ created_at: flushedAt, attempts: 0, next_attempt_at: null, sent_at: null });
    }
    // Erasing an event (consent withdrawn) takes its outbox row with it.
    db.prepare("DELETE FROM events WHERE member_id = 'm-0'").run();
    expect(db.prepare('SELECT count(*) FROM outbox').pluck().get()).toBe(200);
    db.close();
  });

  it('keeps a batch that hit a locked database, says it is not writable, retries it, and loses nothing', async () => {
    const dir = tempDataDir();
    const { store, clock, lines } = storeIn(dir, { busyTimeoutMs: 0 });
    await store.start();
    const other = new Database(join(dir, 'vitrin.db'));
    other.exec('BEGIN EXCLUSIVE');

    store.append({ type: 'purchase', memberId: 'm-2', at: 5, payload: { basket: 3 } });
    clock.advance(50);
    expect(store.pendingCount()).toBe(1);
    expect(lines.filter((l) => l.code === 'VITRIN_ERR_STORE_WRITE')).toHaveLength(1);
    // Open but not taking writes: /readyz reports the database down while this lasts.
    expect(store.isOpen()).toBe(true);
    expect(store.isWritable()).toBe(false);
    const err: unknown = (() => {
      try {
        return store.flush();
      } catch (e) {
        return e;
      }
    })();
    expect(isVitrinError(err, 'VITRIN_ERR_STORE_WRITE')).toBe(true);
    expect((err as Error).cause).toBeDefined();

    // More than a batch arrives while locked: it is queued, not written event by event.
    for (let i = 0; i < 150; i++) store.append(visit('m-3', 10 + i));
    clock.advance(2_000);
    expect(store.pendingCount()).toBe(151);

    other.exec('COMMIT');
    other.close();
    clock.advance(1_000);
    expect(store.pendingCount()).toBe(0);
    expect(store.isWritable()).toBe(true);
    expect(store.outboxDepth()).toBe(151);
    expect(store.recentEvents(151).at(-1)).toMatchObject({ type: 'purchase', memberId: 'm-2', payload: { basket: 3 } });
    expect(lines.some((l) => l.msg === 'event store writable again')).toBe(true);
    await store.stop();
  });

  it('refuses an event it cannot store when it is appended, not later in its batch', async () => {
    const { store } = storeIn(tempDataDir());
    await store.start();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => store.append({ type: 'bad', at: 1, payload: circular })).toThrow(expect.objectContaining({ code: 'VITRIN_ERR_STORE_WRITE' }));
    expect(() => store.append({ type: 'bad', at: Number.NaN, payload: {} })).toThrow(expect.objectContaining({ code: 'VITRIN_ERR_STORE_WRITE' }));
    store.append(visit('m-4', 2));
    expect(store.flush()).toBe(1);
    await store.stop();
  });

  it('refuses a database written by a newer release, with VITRIN_ERR_STORE_OPEN and the cause', async () => {
    const dir = tempDataDir();
    const { store } = storeIn(dir);
    await store.start();
    await store.stop();
    const db = new Database(join(dir, 'vitrin.db'));
    db.pragma('user_version = 99');
    db.close();

    const { store: older } = storeIn(dir);
    const err: unknown = await older.start().catch((e: unknown) => e);
    expect(isVitrinError(err, 'VITRIN_ERR_STORE_OPEN')).toBe(true);
    expect((err as Error).message).toContain('newer');
    expect((err as Error).cause).toMatchObject({ name: 'SchemaTooNewError', found: 99, known: LATEST });
    expect(older.isOpen()).toBe(false);
  });

  it('fails with VITRIN_ERR_STORE_OPEN when the data folder is not a folder', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'vitrin-sqlite-')), 'not-a-folder');
    writeFileSync(file, 'x');
    const { store } = storeIn(file);
    const err: unknown = await store.start().catch((e: unknown) => e);
    expect(isVitrinError(err, 'VITRIN_ERR_STORE_OPEN')).toBe(true);
    expect(store.isOpen()).toBe(false);
  });
});
