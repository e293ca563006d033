import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../../adapters/sqlite/sqlite-event-store.js';
import { SqliteSyncStore } from '../../../adapters/sqlite/sqlite-sync-store.js';
import type { StoredEventInput } from '../../../gateway/ports.js';
import { FakeClock } from '../../fakes/fake-clock.js';

const log = pino({ level: 'silent' });
const LIMITS = { maxRecords: 10, maxBytes: 1024 * 1024 };

describe('SqliteSyncStore: outbox claims, the disk cap, versions and the purge on a real file', () => {
  const opened: { stop(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const part of opened.splice(0).reverse()) await part.stop();
  });

  async function open(dataDir = join(mkdtempSync(join(tmpdir(), 'vitrin-sync-')), 'data'), clock = new FakeClock()) {
    const events = new SqliteEventStore({ dataDir, log, clock });
    const sync = new SqliteSyncStore({ dataDir, log });
    await events.start();
    await sync.start();
    opened.push(events, sync);
    const append = (list: StoredEventInput[]) => {
      for (const e of list) events.append(e);
      events.flush();
    };
    return { dataDir, events, sync, clock, append };
  }

  const numbered = (n: number, type = 'entered-store', at = Date.UTC(2026, 10, 23, 10) + n * 1000): StoredEventInput => ({ type, memberId: `m-${n % 3}`, at, payload: { n } });

  it('claims the oldest records with a key, resumes the same batch after a restart, and acks by row and key', async () => {
    const first = await open();
    first.append(Array.from({ length: 25 }, (_, i) => numbered(i + 1)));
    expect(first.sync.stats()).toMatchObject({ depth: 25 });
    expect(first.sync.claimBatch(LIMITS, 1000, false)).toBeUndefined();
    const batch = first.sync.claimBatch(LIMITS, 1000, true)!;
    expect(batch.records.map((r) => r.payload.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(new Set(batch.records.map((r) => r.id)).size).toBe(10);
    first.sync.deferBatch(batch.id, 1, 5000);

    // A restart: the batch in flight comes back with its key, its records and its backoff.
    for (const part of opened.splice(0).reverse()) await part.stop();
    const second = await open(first.dataDir);
    const resumed = second.sync.claimBatch(LIMITS, 2000, false)!;
    expect(resumed).toMatchObject({ id: batch.id, attempts: 1, nextAttemptAt: 5000 });
    expect(resumed.records.map((r) => r.id)).toEqual(batch.records.map((r) => r.id));

    second.sync.ackBatch(resumed.id, resumed.records, 3000);
    expect(second.sync.stats().depth).toBe(15);
    const next = second.sync.claimBatch(LIMITS, 3000, true)!;
    expect(next.id).not.toBe(batch.id);
    expect(next.records.map((r) => r.payload.n)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
  });

  it('leaves an erased member out of the batch when it is sent again', async () => {
    const { sync, events, append } = await open();
    append(Array.from({ length: 6 }, (_, i) => numbered(i + 1)));
    const batch = sync.claimBatch(LIMITS, 1000, true)!;
    expect(batch.records).toHaveLength(6);
    events.eraseMember('m-1');
    sync.invalidate();
    const again = sync.claimBatch(LIMITS, 2000, false)!;
    expect(again.id).toBe(batch.id);
    expect(again.records.map((r) => r.memberId)).not.toContain('m-1');
    expect(again.records).toHaveLength(4);
  });

  it('past the cap drops raw visit events oldest first, then interactions, never summaries or receipts, and reports it', async () => {
    const { sync, append, events } = await open();
    const padding = 'x'.repeat(900);
    append([
      ...Array.from({ length: 20 }, (_, i) => ({ ...numbered(i + 1, i % 2 === 0 ? 'entered-store' : 'dwelling'), payload: { n: i + 1, padding } })),
      ...Array.from({ length: 5 }, (_, i) => ({ ...numbered(100 + i, 'card-shown'), payload: { cardId: `c${i}`, padding } })),
      ...Array.from({ length: 5 }, (_, i) => ({ type: 'erasure-receipt', at: 1, payload: { receiptId: `r${i}`, padding } })),
      ...Array.from({ length: 5 }, (_, i) => ({ type: 'hourly-summary', at: 1, payload: { hour: i, padding } })),
    ]);
    const before = sync.stats();
    expect(before.depth).toBe(35);
    expect(before.pendingBytes).toBeGreaterThan(35 * 900);
    // The batch in flight is left alone.
    const inFlight = sync.claimBatch({ maxRecords: 2, maxBytes: 1e6 }, 1000, true)!;

    const cap = 12 * 1000;
    const drops = sync.enforceCap(cap, 5000);
    expect(drops.map((d) => d.tier)).toEqual(['visit', 'interaction']);
    expect(drops[0]!.count).toBe(18);
    const left = events.recentEvents(100);
    const types = left.map((e) => e.type);
    expect(types.filter((t) => t === 'erasure-receipt')).toHaveLength(5);
    expect(types.filter((t) => t === 'hourly-summary')).toHaveLength(5);
    expect(left.filter((e) => e.type === 'entered-store' || e.type === 'dwelling').map((e) => e.payload.n).sort()).toEqual([1, 2]);
    expect(inFlight.records.map((r) => r.payload.n)).toEqual([1, 2]);
    expect(types.filter((t) => t === 'outbox-dropped')).toHaveLength(2);
    const report = left.find((e) => e.type === 'outbox-dropped' && e.payload.tier === 'visit')!;
    expect(report.payload).toMatchObject({ tier: 'visit', count: 18, capBytes: cap });
    expect(sync.droppedTotals().visit).toBe(18);
    expect(sync.stats().pendingBytes).toBeLessThanOrEqual(cap + 1000);
  });

  it('keeps the last package version per kind across a restart', async () => {
    const first = await open();
    first.sync.recordPackage('catalog', { version: 7, status: 'applied', sha256: 'ab', at: 1 });
    for (const part of opened.splice(0).reverse()) await part.stop();
    const second = await open(first.dataDir);
    expect(second.sync.packageVersion('catalog')).toEqual({ version: 7, status: 'applied', sha256: 'ab', at: 1 });
    expect(second.sync.packageVersion('model')).toBeUndefined();
  });

  it('writes derived events once per key, with the state in the same transaction', async () => {
    const { sync, events } = await open();
    const derived = [{ key: 'k-1', type: 'hourly-summary', at: 5, payload: { a: 1 } }];
    expect(sync.appendDerived(derived, { name: 'summary.nextHour', value: '10' })).toBe(1);
    expect(sync.appendDerived(derived, { name: 'summary.nextHour', value: '20' })).toBe(0);
    expect(sync.state('summary.nextHour')).toBe('20');
    expect(events.recentEvents(10).filter((e) => e.type === 'hourly-summary')).toHaveLength(1);
    expect(sync.claimBatch(LIMITS, 1, true)!.records[0]!.id).toBe('k-1');
  });

  it('purges delivered events past the retention and keeps undelivered ones (all but summaries and receipts with sync off)', async () => {
    const { sync, append, events } = await open();
    append([numbered(1, 'entered-store', 1000), numbered(2, 'left', 2000), { type: 'erasure-receipt', at: 1500, payload: {} }, numbered(3, 'entered-store', 9_000_000)]);
    const batch = sync.claimBatch({ maxRecords: 1, maxBytes: 1e6 }, 1, true)!;
    sync.ackBatch(batch.id, batch.records, 2);
    expect(sync.purgeChunk(5_000_000, false, 100)).toBe(1);
    expect(events.recentEvents(10).map((e) => e.payload.n ?? e.type)).toEqual([3, 'erasure-receipt', 2]);
    expect(sync.purgeChunk(5_000_000, true, 100)).toBe(1);
    expect(events.recentEvents(10).map((e) => e.payload.n ?? e.type)).toEqual([3, 'erasure-receipt']);
  });
});
