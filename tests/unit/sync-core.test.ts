import { describe, expect, it } from 'vitest';
import { backoffDelay, retryAfterMs } from '../../gateway/sync/backoff.js';
import { HOUR_MS, summarizeHour } from '../../gateway/sync/hourly-summary.js';
import { toUplinkRecord } from '../../gateway/sync/records.js';
import { SingleFlight } from '../../gateway/sync/single-flight.js';
import { contractChecker } from '../../gateway/contracts/validator.js';
import { HourlySummaryV1, VisitWithoutPurchaseV1 } from '../../gateway/contracts/sync.js';
import type { StoredEvent } from '../../gateway/ports.js';

const HOUR = Date.UTC(2026, 10, 23, 10);

describe('backoff', () => {
  it('doubles its ceiling up to the maximum and waits at least half of it', () => {
    const settings = { baseMs: 1000, maxMs: 60_000 };
    expect(backoffDelay(1, settings, () => 0)).toBe(500);
    expect(backoffDelay(1, settings, () => 1)).toBe(1000);
    expect(backoffDelay(4, settings, () => 0.5)).toBe(6000);
    expect(backoffDelay(40, settings, () => 1)).toBe(60_000);
    expect(backoffDelay(40, settings, () => 0)).toBe(30_000);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('3', 0)).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs('soon', 0)).toBeUndefined();
    expect(retryAfterMs(undefined, 0)).toBeUndefined();
    expect(retryAfterMs('999999', 0)).toBe(3_600_000);
  });
});

describe('single flight', () => {
  it('skips a tick while running, and runs an on-demand request once more after the current run', async () => {
    let runs = 0;
    let release: () => void = () => undefined;
    const flight = new SingleFlight(async () => {
      runs += 1;
      await new Promise<void>((resolve) => (release = resolve));
      return runs;
    });
    const first = flight.runIfIdle()!;
    expect(flight.runIfIdle()).toBeUndefined();
    const a = flight.run();
    const b = flight.run();
    release();
    expect(await first).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 0));
    release();
    expect(await a).toBe(2);
    expect(await b).toBe(2);
    expect(runs).toBe(2);
  });
});

describe('uplink records', () => {
  it('joins exposures, holdout decisions and reactions on <cardId>:<suggestionId>', () => {
    const base = { outboxId: 1, at: HOUR, bytes: 10, memberId: 'm-1' };
    const shown = toUplinkRecord({ ...base, id: 'k1', type: 'card-shown', payload: { cardId: 'c1', suggestions: [{ id: 'sg-A' }, { id: 'sg-B' }] } });
    expect(shown).toMatchObject({ kind: 'exposure', recommendationIds: ['c1:sg-A', 'c1:sg-B'], memberId: 'm-1', at: new Date(HOUR).toISOString() });
    expect(toUplinkRecord({ ...base, id: 'k2', type: 'card-held-out', payload: { cardId: 'c2', suggestions: [] } })).toMatchObject({ kind: 'holdout', recommendationIds: ['c2'] });
    expect(toUplinkRecord({ ...base, id: 'k3', type: 'feedback', payload: { cardId: 'c1', suggestionId: 'sg-B', action: 'accepted' } })).toMatchObject({ kind: 'reaction', recommendationIds: ['c1:sg-B'] });
    expect(toUplinkRecord({ ...base, id: 'k4', type: 'dwelling', payload: { zoneId: 'pos-1' } })).toMatchObject({ kind: 'visit' });
    expect(toUplinkRecord({ ...base, id: 'k4', type: 'dwelling', payload: {} }).recommendationIds).toBeUndefined();
    expect(toUplinkRecord({ ...base, id: 'k5', type: 'erasure-receipt', payload: {} }).kind).toBe('erasure-receipt');
  });
});

describe('hourly summary', () => {
  let id = 0;
  const e = (type: string, memberId: string, minutes: number, payload: Record<string, unknown> = {}): StoredEvent => ({ id: ++id, type, memberId, at: HOUR + minutes * 60_000, payload });
  const events: StoredEvent[] = [
    e('entered-store', 'm-1', -10),
    e('entered-zone', 'm-1', -9, { zoneId: 'floor' }),
    e('card-shown', 'm-1', 5, { cardId: 'c1', suggestions: [{ id: 'sg-1', sku: 'SN-1' }] }),
    e('feedback', 'm-1', 6, { cardId: 'c1', action: 'accepted' }),
    e('left', 'm-1', 20),
    e('entered-store', 'm-2', 10),
    e('card-shown', 'm-2', 12, { cardId: 'c2', suggestions: [] }),
    e('feedback', 'm-2', 14, { cardId: 'c2', action: 'purchased' }),
    e('left', 'm-2', 30),
    e('entered-store', 'm-3', 15),
    e('card-held-out', 'm-3', 16, { cardId: 'c3', suggestions: [] }),
    e('dwelling', 'm-3', 17, { zoneId: 'pos-1' }),
    e('left', 'm-3', 70),
  ];

  it('counts visits, members, dwell, cards, reactions and the uplift against the holdout', () => {
    const derived = summarizeHour(events, HOUR, 'kadikoy-01');
    const summary = derived[0]!;
    expect(summary.type).toBe('hourly-summary');
    expect(contractChecker(HourlySummaryV1)(summary.payload)).toEqual([]);
    expect(summary.payload).toMatchObject({
      hourStart: new Date(HOUR).toISOString(),
      visits: 2,
      uniqueMembers: 3,
      dwell: { visitsEnded: 2, totalSeconds: 30 * 60 + 20 * 60, zoneDwellings: 1 },
      cards: { shown: 2, heldOut: 1, withdrawn: 0 },
      accepted: 1,
      purchases: 1,
      uplift: { treated: { members: 2, purchasers: 1, rate: 0.5 }, holdout: { members: 1, purchasers: 0, rate: 0 }, difference: 0.5 },
    });
  });

  it('reports the visits that ended without a purchase, with what their cards suggested, under stable keys', () => {
    const derived = summarizeHour(events, HOUR, 'kadikoy-01');
    const visits = derived.filter((d) => d.type === 'visit-without-purchase');
    expect(visits.map((v) => v.memberId)).toEqual(['m-1']);
    expect(contractChecker(VisitWithoutPurchaseV1)(visits[0]!.payload)).toEqual([]);
    expect(visits[0]!.payload).toMatchObject({ zones: ['floor'], cardIds: ['c1'], suggestedSkus: ['SN-1'], dwellSeconds: 30 * 60 });
    expect(summarizeHour(events, HOUR, 'kadikoy-01').map((d) => d.key)).toEqual(derived.map((d) => d.key));
    expect(summarizeHour(events, HOUR + HOUR_MS, 'kadikoy-01').filter((d) => d.type === 'visit-without-purchase').map((d) => d.memberId)).toEqual(['m-3']);
  });
});
