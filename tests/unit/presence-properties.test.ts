import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Moment, PresentMember } from '../../gateway/presence/moments.js';
import { PresenceTracker } from '../../gateway/presence/tracker.js';
import { testConfig } from '../support/test-config.js';

// The presence state machine's contract, checked on random sequences of sightings,
// sweeps and erasures on fake time. Only what the decision stage and the store rely
// on is checked (which moments, in which order, at which times): never how RSSI is
// smoothed or which zone wins, which the tracker is free to decide.

const config = testConfig();
const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const MEMBERS = ['m1', 'm2', 'm3'] as const;
const RECEIVERS = new Map(config.receivers.map((r) => [r.id, r.zone]));
const ZONES = new Map(config.zones.map((z) => [z.id, z.dwellSeconds * 1000]));
/** Not in config: whatever it hears must be ignored. */
const UNKNOWN_RECEIVER = 'rx-unknown';
const LEAVE_MS = config.presence.leaveTimeoutSeconds * 1000;
const BACKGROUND_LEAVE_MS = Math.max(config.presence.leaveTimeoutSeconds, config.presence.backgroundLeaveTimeoutSeconds) * 1000;

type Step =
  | { readonly kind: 'sighting'; readonly gapMs: number; readonly memberId: string; readonly receiverId: string; readonly rssi: number; readonly background: boolean }
  | { readonly kind: 'sweep'; readonly gapMs: number }
  | { readonly kind: 'forget'; readonly gapMs: number; readonly memberId: string };

/** Thresholds, to land on and either side of. */
const EDGES = [LEAVE_MS, BACKGROUND_LEAVE_MS, ...ZONES.values()].flatMap((ms) => [ms - 1, ms, ms + 1]);

/** Mostly an advert every second or so; sometimes a pause; now and then long enough to leave, or just not. */
const gap = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 2_000 }), weight: 12 },
  { arbitrary: fc.integer({ min: 0, max: 30_000 }), weight: 3 },
  { arbitrary: fc.integer({ min: 0, max: BACKGROUND_LEAVE_MS + 30_000 }), weight: 1 },
  { arbitrary: fc.constantFrom(...EDGES), weight: 1 },
);

function steps(withBackground: boolean): fc.Arbitrary<Step[]> {
  const sighting = fc.record({
    kind: fc.constant('sighting' as const),
    gapMs: gap,
    memberId: fc.constantFrom(...MEMBERS),
    receiverId: fc.oneof({ arbitrary: fc.constantFrom(...RECEIVERS.keys()), weight: 20 }, { arbitrary: fc.constant(UNKNOWN_RECEIVER), weight: 1 }),
    rssi: fc.integer({ min: -100, max: -35 }),
    background: withBackground ? fc.boolean() : fc.constant(false),
  });
  const sweep = fc.record({ kind: fc.constant('sweep' as const), gapMs: gap });
  const forget = fc.record({ kind: fc.constant('forget' as const), gapMs: gap, memberId: fc.constantFrom(...MEMBERS) });
  return fc.array(fc.oneof({ arbitrary: sighting, weight: 12 }, { arbitrary: sweep, weight: 5 }, { arbitrary: forget, weight: 1 }), { maxLength: 300 });
}

/** What the moments so far say about one member. */
interface Visit {
  present: boolean;
  firstSeen: number;
  zoneId: string | undefined;
  zoneSince: number;
  /** When the last entered-zone moment came. */
  zoneEnteredAt: number;
  dwelled: boolean;
  lastHeard: number;
  /** The latest sighting came through the iOS background path. */
  background: boolean;
}

const leaveTimeout = (visit: Visit) => (visit.background ? BACKGROUND_LEAVE_MS : LEAVE_MS);

/** Replays `steps` through a tracker, checking every moment against the contract as it comes out. */
function replay(steps: readonly Step[]): void {
  const tracker = new PresenceTracker(config);
  const visits = new Map<string, Visit>();
  let now = T0;
  let lastMomentAt = Number.NEGATIVE_INFINITY;

  const apply = (m: Moment, allowed: readonly Moment['kind'][]): void => {
    expect(allowed, `${m.kind} from the wrong call`).toContain(m.kind);
    expect(m.at, 'moments out of time order').toBeGreaterThanOrEqual(lastMomentAt);
    expect(m.at, 'a moment in the future').toBeLessThanOrEqual(now);
    lastMomentAt = m.at;
    const visit = visits.get(m.memberId);
    if (m.kind === 'entered-store') {
      expect(visit?.present ?? false, 'entered-store twice in one visit').toBe(false);
      visits.set(m.memberId, { present: true, firstSeen: m.at, zoneId: undefined, zoneSince: m.at, zoneEnteredAt: m.at, dwelled: false, lastHeard: m.at, background: false });
      return;
    }
    expect(visit?.present ?? false, `${m.kind} without entered-store`).toBe(true);
    const v = visit!;
    switch (m.kind) {
      case 'entered-zone':
        expect(ZONES.has(m.zoneId), `unknown zone ${m.zoneId}`).toBe(true);
        expect(m.zoneId, 'entered the zone the member was already in').not.toBe(v.zoneId);
        // The tracker may date the stay from when the zone began to lead, never from before
        // the member was in the store or in the zone they are leaving.
        expect(m.since, 'entered-zone.since after the moment').toBeLessThanOrEqual(m.at);
        expect(m.since, 'entered-zone.since before the previous zone change').toBeGreaterThanOrEqual(v.zoneId === undefined ? v.firstSeen : v.zoneEnteredAt);
        v.zoneId = m.zoneId;
        v.zoneSince = m.since;
        v.zoneEnteredAt = m.at;
        v.dwelled = false;
        return;
      case 'dwelling':
        expect(m.zoneId, 'dwelling in a zone not entered').toBe(v.zoneId);
        expect(v.dwelled, 'dwelling twice in one stay').toBe(false);
        expect(m.since, 'dwelling.since is not when the zone was entered').toBe(v.zoneSince);
        expect(m.at - m.since, 'dwelling before the threshold').toBeGreaterThanOrEqual(ZONES.get(m.zoneId)!);
        v.dwelled = true;
        return;
      case 'left':
        expect(m.lastZoneId).toBe(v.zoneId);
        v.present = false;
        return;
    }
  };

  const checkPresent = (present: readonly PresentMember[]): void => {
    const ids = present.map((p) => p.memberId);
    expect(new Set(ids).size, 'a member listed twice (two zones at once)').toBe(ids.length);
    const expected = [...visits].filter(([, v]) => v.present).map(([id]) => id);
    expect([...ids].sort()).toEqual(expected.sort());
    for (const p of present) {
      const v = visits.get(p.memberId)!;
      expect(p.zoneId).toBe(v.zoneId);
      if (v.zoneId !== undefined) expect(p.zoneSince).toBe(v.zoneSince);
      expect(p.firstSeen).toBe(v.firstSeen);
      expect(p.lastSeen).toBe(v.lastHeard);
    }
  };

  for (const step of steps) {
    now += step.gapMs;
    if (step.kind === 'sighting') {
      const moments = tracker.observe({ memberId: step.memberId, receiverId: step.receiverId, rssi: step.rssi, at: now, ...(step.background ? { background: true } : {}) });
      // A receiver missing from config counts for nothing; a sighting below the receiver's keep-in level
      // (presence.minRssi, more at the door: a phone on the street) neither brings a member in nor keeps
      // them in, though it may still say where a present member is.
      const receiver = config.receivers.find((r) => r.id === step.receiverId);
      const known = receiver !== undefined;
      const counts = known && step.rssi + receiver.rssiOffset >= tracker.keepInRssi(receiver);
      if (!known || (!counts && visits.get(step.memberId)?.present !== true)) expect(moments, 'an ignored sighting moved something').toEqual([]);
      for (const m of moments) apply(m, ['entered-store', 'entered-zone', 'dwelling']);
      if (counts) {
        const v = visits.get(step.memberId);
        expect(v?.present, 'heard but not present').toBe(true);
        v!.lastHeard = now;
        v!.background = step.background;
      }
    } else if (step.kind === 'sweep') {
      for (const m of tracker.sweep(now)) {
        apply(m, ['entered-zone', 'dwelling', 'left']);
        if (m.kind !== 'left') continue;
        const v = visits.get(m.memberId)!;
        expect(now - v.lastHeard, `left before the leave timeout (${v.background ? 'background' : 'foreground'})`).toBeGreaterThanOrEqual(leaveTimeout(v));
      }
      for (const p of tracker.present()) {
        const v = visits.get(p.memberId)!;
        expect(now - v.lastHeard, `still present after the leave timeout (${v.background ? 'background' : 'foreground'})`).toBeLessThanOrEqual(leaveTimeout(v));
      }
    } else {
      const v = visits.get(step.memberId);
      const moment = tracker.forget(step.memberId, now);
      if (v?.present === true) {
        expect(moment).toEqual({ kind: 'left', memberId: step.memberId, lastZoneId: v.zoneId, at: now });
        apply(moment!, ['left']);
      } else {
        expect(moment, 'forgot a member who was not present').toBeUndefined();
      }
      expect(tracker.present().map((p) => p.memberId)).not.toContain(step.memberId);
    }
    checkPresent(tracker.present());
  }
}

describe('presence state machine (properties)', () => {
  it('keeps its contract for phones heard in the foreground', () => {
    fc.assert(fc.property(steps(false), replay), { numRuns: 500 });
  });

  it('keeps its contract when some sightings come through the iOS background path', () => {
    fc.assert(fc.property(steps(true), replay), { numRuns: 500 });
  });
});
