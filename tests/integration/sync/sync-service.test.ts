import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '../../../adapters/sqlite/sqlite-event-store.js';
import { SqliteSyncStore } from '../../../adapters/sqlite/sqlite-sync-store.js';
import { createMetrics } from '../../../gateway/metrics.js';
import type { PackageApplier } from '../../../gateway/sync/downlink.js';
import { HOUR_MS } from '../../../gateway/sync/hourly-summary.js';
import { SyncService } from '../../../gateway/sync/sync-service.js';
import { FakeClock } from '../../fakes/fake-clock.js';
import { testConfig } from '../../support/test-config.js';

// The scheduled jobs on fake time and a real database: hours missed while the gateway
// was down are summarised from the stored events at start, once; an overdue purge runs
// at start; with sync off the disk cap still holds.

const log = pino({ level: 'silent' });
const never: PackageApplier = { apply: () => Promise.reject(new Error('not in this test')) };
const NOW = Date.UTC(2026, 10, 23, 15, 30);

describe('sync jobs: catch-up after downtime', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitrin-sync-service-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function gatewayParts(dataDir: string, clock: FakeClock, cloud: Partial<ReturnType<typeof testConfig>['cloud']> = {}, timezone = 'Europe/Istanbul') {
    const events = new SqliteEventStore({ dataDir, log, clock });
    const store = new SqliteSyncStore({ dataDir, log });
    await events.start();
    await store.start();
    const late: { service?: SyncService } = {};
    const metrics = createMetrics({ mqttConnected: () => true, outboxDepth: () => events.outboxDepth(), sync: () => late.service?.probe() });
    const settings = { ...testConfig().cloud, summaryCron: '0 0 0 1 1 *', purgeCron: '0 0 0 1 1 *', uplinkCron: '0 0 0 1 1 *', ...cloud };
    const service = new SyncService({
      settings,
      timezone,
      storeId: 'kadikoy-01',
      gatewayVersion: 'test',
      store,
      events,
      transport: undefined,
      appliers: { 'roster-delta': never, catalog: never, model: never },
      metrics,
      clock,
      log,
    });
    late.service = service;
    return {
      events,
      store,
      service,
      metrics,
      stop: async () => {
        await service.stop();
        await store.stop();
        await events.stop();
      },
    };
  }

  it('summarises every hour it missed, from stored events, exactly once', async () => {
    const dataDir = join(dir, 'summaries');
    const clock = new FakeClock(NOW - 4 * HOUR_MS);
    const first = await gatewayParts(dataDir, clock);
    // Visits at 11:xx and 12:xx; then the gateway is down until 15:30.
    for (const [memberId, at] of [['m-1', Date.UTC(2026, 10, 23, 11, 10)], ['m-2', Date.UTC(2026, 10, 23, 12, 5)]] as const) {
      first.events.append({ type: 'entered-store', memberId, at, payload: {} });
      first.events.append({ type: 'left', memberId, at: at + 20 * 60_000, payload: {} });
    }
    first.events.flush();
    await first.stop();

    clock.advance(4 * HOUR_MS);
    const second = await gatewayParts(dataDir, clock);
    await second.service.start();
    await second.service.summarizeNow();
    const summaries = second.events.recentEvents(100).filter((e) => e.type === 'hourly-summary').reverse();
    // 11:00 to 14:00, the last complete hour before 15:30.
    expect(summaries.map((e) => e.payload.hourStart)).toEqual([11, 12, 13, 14].map((h) => new Date(Date.UTC(2026, 10, 23, h)).toISOString()));
    expect(summaries.map((e) => e.payload.visits)).toEqual([1, 1, 0, 0]);
    expect(second.events.recentEvents(100).filter((e) => e.type === 'visit-without-purchase')).toHaveLength(2);
    expect(second.service.health()).toMatchObject({ summarisedUntil: new Date(Date.UTC(2026, 10, 23, 15)).toISOString(), lastPurgeAt: new Date(NOW).toISOString() });
    await second.stop();

    // Started again within the same hour: nothing new, nothing twice.
    const third = await gatewayParts(dataDir, clock);
    await third.service.start();
    expect(await third.service.summarizeNow()).toBe(0);
    expect(third.events.recentEvents(100).filter((e) => e.type === 'hourly-summary')).toHaveLength(4);
    await third.stop();
  });

  it("summarises the store's local hours in a half-hour time zone (Asia/Kolkata, +5:30)", async () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 23, 7, 0)); // 12:30 local
    const parts = await gatewayParts(join(dir, 'kolkata'), clock, {}, 'Asia/Kolkata');
    // One visit ends at 13:50 local (08:20 UTC), another at 14:10 local (08:40 UTC).
    for (const [memberId, leftAt] of [['m-1', Date.UTC(2026, 10, 23, 8, 20)], ['m-2', Date.UTC(2026, 10, 23, 8, 40)]] as const) {
      parts.events.append({ type: 'entered-store', memberId, at: leftAt - 15 * 60_000, payload: {} });
      parts.events.append({ type: 'left', memberId, at: leftAt, payload: {} });
    }
    parts.events.flush();
    clock.advance(165 * 60_000); // 15:15 local
    await parts.service.start();
    await parts.service.summarizeNow();
    const summaries = parts.events.recentEvents(100).filter((e) => e.type === 'hourly-summary').reverse();
    // From the oldest event's hour (13:35 local): 13:00-14:00 and 14:00-15:00 local, each holding one visit's end.
    expect(summaries.map((e) => [e.payload.hourStart, e.payload.hourEnd])).toEqual(
      [[7, 30, 8, 30], [8, 30, 9, 30]].map(([h0, m0, h1, m1]) => [new Date(Date.UTC(2026, 10, 23, h0, m0)).toISOString(), new Date(Date.UTC(2026, 10, 23, h1, m1)).toISOString()]),
    );
    expect(summaries.map((e) => (e.payload.dwell as { visitsEnded: number }).visitsEnded)).toEqual([1, 1]);
    await parts.stop();
  });

  it('with sync off, keeps the outbox under its cap and counts what it dropped', async () => {
    const clock = new FakeClock(NOW);
    const parts = await gatewayParts(join(dir, 'cap'), clock, { diskCapMb: 0.01 });
    for (let i = 0; i < 200; i++) parts.events.append({ type: 'dwelling', memberId: `m-${i}`, at: NOW + i, payload: { zoneId: 'floor', padding: 'x'.repeat(100) } });
    parts.events.append({ type: 'erasure-receipt', at: NOW, payload: { receiptId: 'r-1' } });
    parts.events.flush();
    await parts.service.uplink.tick();
    const health = parts.service.health() as { outbox: { pendingBytes: number; capBytes: number; dropped: { visit: number } } };
    expect(health.outbox.pendingBytes).toBeLessThanOrEqual(health.outbox.capBytes);
    expect(health.outbox.dropped.visit).toBeGreaterThan(100);
    expect(parts.events.recentEvents(500).some((e) => e.type === 'erasure-receipt')).toBe(true);
    expect(await parts.metrics.registry.metrics()).toMatch(/vitrin_outbox_dropped_total\{tier="visit"\} \d+/);
    await expect(parts.service.syncNow()).rejects.toMatchObject({ code: 'VITRIN_ERR_CLOUD_OFF' });
    await parts.stop();
  });
});
