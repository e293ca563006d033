import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../gateway/config/schema.js';
import type { Moment } from '../../gateway/presence/moments.js';
import { PresenceTracker } from '../../gateway/presence/tracker.js';
import { challengeMarginDb, SETTLING_MARGIN_DB, SETTLING_MS, TILL_PAIR_MARGIN_DB } from '../../gateway/presence/zone-margin.js';
import { testConfig } from '../support/test-config.js';

// The margin a challenger zone must lead by, and the tracker following it between two
// tills side by side, on fake time. Margins are read from the module and the shipped
// config, never restated.

const SECOND = 1000;
const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);

/** The shipped default store with a second till beside the first, its receiver like the first's. */
function twoTills(): Config {
  const base = testConfig();
  const till = base.receivers.find((r) => r.zone === 'pos-1')!;
  return {
    ...base,
    zones: [...base.zones, { ...base.zones.find((z) => z.id === 'pos-1')!, id: 'pos-2', name: 'Till 2' }],
    receivers: [...base.receivers, { ...till, id: 'rx-pos-2', zone: 'pos-2' }],
  };
}

const config = twoTills();
const { zoneMarginDb } = config.presence;
const exponentOf = (zone: string) => config.receivers.find((r) => r.zone === zone)!.pathLossExponent;
/** The RSSI lead (dB) that makes `closeness` dB of the tracker's score at that zone's receiver: closeness = 2·RSSI lead / n. */
const rssiLead = (zone: string, closeness: number) => (closeness * exponentOf(zone)) / 2;
/** Halfway between the till-pair margin and the general one: enough between tills, not elsewhere. */
const BETWEEN = (TILL_PAIR_MARGIN_DB + zoneMarginDb) / 2;

function store() {
  const tracker = new PresenceTracker(config);
  let now = T0;
  const receiverOf = (zone: string) => config.receivers.find((r) => r.zone === zone)!.id;
  /** `seconds` pass; in each the member is heard by the given zones' receivers, then the store sweeps. */
  const walk = (seconds: number, heard: Readonly<Record<string, number>>): Moment[] => {
    const moments: Moment[] = [];
    for (let s = 0; s < seconds; s++) {
      now += SECOND;
      for (const [zone, rssi] of Object.entries(heard)) moments.push(...tracker.observe({ memberId: 'm1', receiverId: receiverOf(zone), rssi, at: now }));
      moments.push(...tracker.sweep(now));
    }
    return moments;
  };
  const zone = () => tracker.present()[0]?.zoneId;
  return { walk, zone, now: () => now };
}

const moves = (moments: readonly Moment[]) => moments.filter((m) => m.kind === 'entered-zone').map((m) => (m.kind === 'entered-zone' ? m.zoneId : ''));

describe('challenge margin', () => {
  it('is the configured margin between settled zones, the settling margin just after a move', () => {
    expect(challengeMarginDb({ zoneMarginDb, sinceMoveMs: SETTLING_MS, currentKind: 'floor', challengerKind: 'pos' })).toBe(zoneMarginDb);
    expect(challengeMarginDb({ zoneMarginDb, sinceMoveMs: SETTLING_MS - 1, currentKind: 'floor', challengerKind: 'pos' })).toBe(Math.min(zoneMarginDb, SETTLING_MARGIN_DB));
    expect(challengeMarginDb({ zoneMarginDb, sinceMoveMs: SETTLING_MS, currentKind: undefined, challengerKind: 'pos' })).toBe(zoneMarginDb);
  });

  it('is the till-pair margin between two tills however long the member has stood there', () => {
    for (const sinceMoveMs of [0, SETTLING_MS, 10 * SETTLING_MS]) {
      expect(challengeMarginDb({ zoneMarginDb, sinceMoveMs, currentKind: 'pos', challengerKind: 'pos' })).toBe(Math.min(zoneMarginDb, TILL_PAIR_MARGIN_DB));
    }
    // Only between two tills: a till's challenger elsewhere, or a floor's at a till, needs the full margin.
    expect(challengeMarginDb({ zoneMarginDb, sinceMoveMs: SETTLING_MS, currentKind: 'pos', challengerKind: 'floor' })).toBe(zoneMarginDb);
    expect(challengeMarginDb({ zoneMarginDb, sinceMoveMs: SETTLING_MS, currentKind: 'fitting', challengerKind: 'pos' })).toBe(zoneMarginDb);
  });

  it('never exceeds the configured margin (a store may configure a smaller one)', () => {
    expect(challengeMarginDb({ zoneMarginDb: 2, sinceMoveMs: SETTLING_MS, currentKind: 'pos', challengerKind: 'pos' })).toBe(2);
    expect(challengeMarginDb({ zoneMarginDb: 2, sinceMoveMs: 0, currentKind: 'floor', challengerKind: 'pos' })).toBe(2);
  });
});

describe('presence between two tills', () => {
  it('the test store needs the till-pair margin to be smaller than the configured one', () => {
    expect(TILL_PAIR_MARGIN_DB).toBeLessThan(zoneMarginDb);
  });

  it('a shopper taken to the neighbouring till moves to their own on a lead the full margin would refuse', () => {
    const s = store();
    s.walk(5, { 'pos-1': -60, 'pos-2': -75 });
    expect(s.zone()).toBe('pos-1');
    // Long past the settling time, the other till leads steadily by less than the full margin.
    s.walk(SETTLING_MS / SECOND, { 'pos-1': -60, 'pos-2': -75 });
    const moved = s.walk(10, { 'pos-1': -60, 'pos-2': -60 + rssiLead('pos-2', BETWEEN) });
    expect(moves(moved)).toEqual(['pos-2']);
    expect(s.zone()).toBe('pos-2');
    // Dwelling there is timed from when the till began to lead, not from the move.
    const entered = moved.find((m) => m.kind === 'entered-zone')!;
    expect(entered.kind === 'entered-zone' && entered.since).toBeLessThan(entered.at);
  });

  it('the same lead from the floor to a till does not move a settled member', () => {
    const s = store();
    s.walk(5, { floor: -60 });
    s.walk(SETTLING_MS / SECOND, { floor: -60 });
    expect(s.zone()).toBe('floor');
    const moments = s.walk(60, { floor: -60, 'pos-1': -60 + rssiLead('pos-1', BETWEEN) });
    expect(moves(moments)).toEqual([]);
    expect(s.zone()).toBe('floor');
  });

  it('a single strong sample at the other till does not move the member', () => {
    const s = store();
    s.walk(5 + SETTLING_MS / SECOND, { 'pos-1': -60, 'pos-2': -75 });
    expect(moves(s.walk(1, { 'pos-1': -60, 'pos-2': -45 }))).toEqual([]);
    expect(moves(s.walk(10, { 'pos-1': -60, 'pos-2': -75 }))).toEqual([]);
    expect(s.zone()).toBe('pos-1');
  });

  it('a member standing at a till with the other one steadily less than the till-pair margin ahead never moves', () => {
    fc.assert(
      fc.property(fc.double({ min: -TILL_PAIR_MARGIN_DB, max: TILL_PAIR_MARGIN_DB * 0.95, noNaN: true }), fc.integer({ min: -75, max: -50 }), (closeness, level) => {
        const s = store();
        s.walk(5, { 'pos-1': level, 'pos-2': level - 15 });
        const moments = s.walk(60, { 'pos-1': level, 'pos-2': level + rssiLead('pos-2', closeness) });
        return s.zone() === 'pos-1' && moves(moments).length === 0;
      }),
      { numRuns: 50 },
    );
  });
});
