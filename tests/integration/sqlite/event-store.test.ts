import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../../adapters/sqlite/sqlite-event-store.js';
import { isVitrinError } from '../../../gateway/errors.js';
import { FakeClock } from '../../fakes/fake-clock.js';

const log = pino({ level: 'silent' });

function storeIn(dataDir: string, clock = new FakeClock()) {
  return { store: new SqliteEventStore({ dataDir, log, clock, flushIntervalMs: 50, maxBatch: 100 }), clock };
}

const tempDir = () => join(mkdtempSync(join(tmpdir(), 'vitrin-sqlite-')), 'data');

describe('SqliteEventStore on a real file', () => {
  it('opens in WAL mode with synchronous=NORMAL and migrates once', async () => {
    const dir = tempDir();
    const { store } = storeIn(dir);
    await store.start();
    await store.stop();
    const { store: again } = storeIn(dir);
    await again.start();
    await again.stop();
    const db = new Database(join(dir, 'vitrin.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    db.close();
    // synchronous is per connection: read it from the store's own.
    const { store: third } = storeIn(dir);
    await third.start();
    expect((third as unknown as { db: Database.Database }).db.pragma('synchronous', { simple: true })).toBe(1);
    await third.stop();
  });

  it('commits queued events within a flush interval, with one outbox row each, and they survive a reopen', async () => {
    const dir = tempDir();
    const { store, clock } = storeIn(dir);
    await store.start();
    store.append({ type: 'entered-store', memberId: 'm-1', at: 1000, payload: { zoneId: 'entrance' } });
    store.append({ type: 'card-shown', memberId: 'm-1', at: 2000, payload: { cardId: 'c-1' } });
    expect(store.recentEvents(10)).toEqual([]);
    clock.advance(50);
    expect(store.recentEvents(10).map((e) => e.type)).toEqual(['card-shown', 'entered-store']);
    expect(store.outboxDepth()).toBe(2);
    await store.stop();
    const { store: reopened } = storeIn(dir);
    await reopened.start();
    expect(reopened.recentEvents(10)[1]).toMatchObject({ type: 'entered-store', memberId: 'm-1', at: 1000, payload: { zoneId: 'entrance' } });
    const db = new Database(join(dir, 'vitrin.db'), { readonly: true });
    const keys = db.prepare('SELECT idempotency_key FROM outbox').pluck().all() as string[];
    db.close();
    expect(new Set(keys).size).toBe(2);
    await reopened.stop();
  });

  it('commits at once when a batch is full', async () => {
    const { store } = storeIn(tempDir());
    await store.start();
    for (let i = 0; i < 100; i++) store.append({ type: 't', at: i, payload: {} });
    expect(store.pendingCount()).toBe(0);
    expect(store.outboxDepth()).toBe(100);
    await store.stop();
  });

  it('keeps a batch that failed because the database was locked and writes it later', async () => {
    const dir = tempDir();
    const { store, clock } = storeIn(dir);
    await store.start();
    const other = new Database(join(dir, 'vitrin.db'));
    other.pragma('busy_timeout = 0');
    other.exec('BEGIN EXCLUSIVE');
    (store as unknown as { db: Database.Database }).db.pragma('busy_timeout = 0');
    store.append({ type: 'purchase', memberId: 'm-2', at: 5, payload: {} });
    clock.advance(50);
    expect(store.pendingCount()).toBe(1);
    other.exec('COMMIT');
    other.close();
    clock.advance(50);
    expect(store.pendingCount()).toBe(0);
    expect(store.recentEvents(1)[0]).toMatchObject({ type: 'purchase', memberId: 'm-2' });
    await store.stop();
  });

  it('refuses a database written by a newer release, with VITRIN_ERR_STORE_OPEN', async () => {
    const dir = tempDir();
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
    expect(older.isOpen()).toBe(false);
  });

  it('fails to open an unusable data folder with VITRIN_ERR_STORE_OPEN', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'vitrin-sqlite-')), 'not-a-folder');
    writeFileSync(file, 'x');
    const { store } = storeIn(join(file, 'data'));
    const err: unknown = await store.start().catch((e: unknown) => e);
    expect(isVitrinError(err, 'VITRIN_ERR_STORE_OPEN')).toBe(true);
  });
});
