import { describe, expect, it } from 'vitest';
import type { Moment } from '../../gateway/presence/moments.js';
import { PresenceTracker } from '../../gateway/presence/tracker.js';
import { testConfig } from '../support/test-config.js';

// Every presence transition a shopper or a till operator would notice, on fake time
// and the shipped default config. Thresholds are read from that config, never
// restated here. How RSSI is smoothed is the tracker's business: expectations allow
// a few samples of lag, but never a move on one strong sample.

const config = testConfig();
const SECOND = 1000;
const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const LEAVE_MS = config.presence.leaveTimeoutSeconds * SECOND;
const BACKGROUND_LEAVE_MS = Math.max(config.presence.leaveTimeoutSeconds, config.presence.backgroundLeaveTimeoutSeconds) * SECOND;

function receiverIn(zoneId: string): string {
  const receiver = config.receivers.find((r) => r.zone === zoneId);
  if (receiver === undefined) throw new Error(`the default config has no receiver in zone ${zoneId}`);
  return receiver.id;
}

function dwellMs(zoneId: string): number {
  const zone = config.zones.find((z) => z.id === zoneId);
  if (zone === undefined) throw new Error(`the default config has no zone ${zoneId}`);
  return zone.dwellSeconds * SECOND;
}

const label = (m: Moment) => (m.kind === 'entered-zone' || m.kind === 'dwelling' ? `${m.kind}:${m.zoneId}` : m.kind);
const labels = (moments: readonly Moment[]) => moments.map(label);

/** RSSI per zone (through that zone's receiver); a zone left out did not hear the advert. */
type Heard = Readonly<Record<string, number>>;

/** A store on fake time: phones are heard when the test says, and the pipeline sweeps once a second. */
function store() {
  const tracker = new PresenceTracker(config);
  let now = T0;
  const log: Moment[] = [];
  const hear = (memberId: string, heard: Heard, background = false): Moment[] => {
    const moments: Moment[] = [];
    for (const [zoneId, rssi] of Object.entries(heard)) {
      moments.push(...tracker.observe({ memberId, receiverId: receiverIn(zoneId), rssi, at: now, ...(background ? { background } : {}) }));
    }
    log.push(...moments);
    return moments;
  };
  /** `seconds` pass; in each the member (if any) is heard as given, then the store sweeps. */
  const walk = (seconds: number, memberId?: string, heard: Heard = {}, background = false): Moment[] => {
    const moments: Moment[] = [];
    for (let s = 0; s < seconds; s++) {
      now += SECOND;
      if (memberId !== undefined) moments.push(...hear(memberId, heard, background));
      const swept = tracker.sweep(now);
      log.push(...swept);
      moments.push(...swept);
    }
    return moments;
  };
  return {
    tracker,
    log,
    hear,
    walk,
    now: () => now,
    zoneOf: (memberId: string) => tracker.present().find((p) => p.memberId === memberId)?.zoneId,
  };
}

describe('presence transitions', () => {
  it('a shopper heard for the first time enters the store and the zone of the receiver that heard them', () => {
    const s = store();
    const moments = s.hear('m1', { entrance: -62 });
    expect(labels(moments)).toEqual(['entered-store', 'entered-zone:entrance']);
    expect(moments.every((m) => m.at === T0)).toBe(true);
    expect(s.tracker.present()).toMatchObject([{ memberId: 'm1', zoneId: 'entrance', zoneSince: T0, firstSeen: T0, lastSeen: T0 }]);
    // Heard again in the same zone: nothing new to say.
    expect(s.walk(5, 'm1', { entrance: -60 })).toEqual([]);
  });

  it('moves to another zone once the challenger has led clearly for several samples, not on the first', () => {
    const s = store();
    s.walk(10, 'm1', { floor: -60 });
    expect(s.zoneOf('m1')).toBe('floor');
    // Walking to the till: the floor receiver fades, the till's receiver hears them loud.
    const moves: { at: number; moments: Moment[] }[] = [];
    for (let second = 1; second <= 10; second++) moves.push({ at: second, moments: s.walk(1, 'm1', { floor: -75, 'pos-1': -50 }) });
    const moved = moves.find((m) => labels(m.moments).includes('entered-zone:pos-1'));
    expect(moved, 'the member never reached the till').toBeDefined();
    expect(moved!.at, 'moved on the first sample of the lead').toBeGreaterThan(1);
    expect(s.zoneOf('m1')).toBe('pos-1');
  });

  it('a single strong sample from another zone does not move the member', () => {
    const s = store();
    s.walk(10, 'm1', { floor: -60 });
    // One reflection: the till's receiver, which does not otherwise hear this phone, reports it loud once.
    expect(s.walk(1, 'm1', { floor: -60, 'pos-1': -45 }).filter((m) => m.kind === 'entered-zone')).toEqual([]);
    const after = s.walk(5, 'm1', { floor: -60 });
    expect(labels(after)).toEqual([]);
    expect(s.zoneOf('m1')).toBe('floor');
  });

  it('a steady lead smaller than the zone margin never moves the member', () => {
    const s = store();
    s.walk(10, 'm1', { floor: -62 });
    const lead = config.presence.zoneMarginDb / 2;
    const moments = s.walk(60, 'm1', { floor: -62, 'pos-1': -62 + lead });
    expect(moments.filter((m) => m.kind === 'entered-zone')).toEqual([]);
    expect(s.zoneOf('m1')).toBe('floor');
  });

  it("reports dwelling once the zone's dwell threshold has passed, and exactly once", () => {
    const s = store();
    const entered = s.hear('m1', { 'pos-1': -55 }).find((m) => m.kind === 'entered-zone');
    expect(entered?.at).toBe(T0);
    const stay = s.walk(dwellMs('pos-1') / SECOND + 60, 'm1', { 'pos-1': -55 });
    const dwellings = stay.filter((m) => m.kind === 'dwelling');
    expect(labels(dwellings)).toEqual(['dwelling:pos-1']);
    const dwelling = dwellings[0]!;
    expect(dwelling.kind === 'dwelling' && dwelling.since).toBe(T0);
    expect(dwelling.at - T0).toBeGreaterThanOrEqual(dwellMs('pos-1'));
    expect(dwelling.at - T0, 'more than one sweep late').toBeLessThanOrEqual(dwellMs('pos-1') + SECOND);
  });

  it('reports dwelling from the passing of time alone, without a new advert', () => {
    const s = store();
    s.hear('m1', { 'pos-1': -55 });
    const silent = s.walk(dwellMs('pos-1') / SECOND + 1);
    expect(labels(silent)).toEqual(['dwelling:pos-1']);
  });

  it('passing through a zone quicker than its threshold gives no dwelling there', () => {
    const s = store();
    s.hear('m1', { entrance: -55 });
    s.walk(dwellMs('entrance') / SECOND / 2, 'm1', { entrance: -55 });
    const onward = s.walk(dwellMs('entrance') / SECOND, 'm1', { entrance: -85, floor: -55 });
    expect(labels(onward)).toContain('entered-zone:floor');
    expect(labels(s.log)).not.toContain('dwelling:entrance');
  });

  it('leaves after the leave timeout of silence, not before, naming the last zone', () => {
    const s = store();
    s.walk(10, 'm1', { floor: -60 });
    const lastHeard = s.now();
    const silence = s.walk(LEAVE_MS / SECOND + 2);
    const left = silence.filter((m) => m.kind === 'left');
    expect(left).toHaveLength(1);
    expect(left[0]).toMatchObject({ memberId: 'm1', lastZoneId: 'floor' });
    expect(left[0]!.at - lastHeard).toBeGreaterThanOrEqual(LEAVE_MS);
    expect(left[0]!.at - lastHeard, 'more than one sweep late').toBeLessThanOrEqual(LEAVE_MS + SECOND);
    expect(s.tracker.present()).toEqual([]);
  });

  it('each advert starts the leave timeout again', () => {
    const s = store();
    s.hear('m1', { floor: -60 });
    expect(s.walk(LEAVE_MS / SECOND - 1).filter((m) => m.kind === 'left')).toEqual([]);
    s.hear('m1', { floor: -60 });
    expect(s.walk(LEAVE_MS / SECOND - 1).filter((m) => m.kind === 'left')).toEqual([]);
    expect(s.zoneOf('m1')).toBe('floor');
  });

  it('a member heard only through the iOS background path leaves after the longer background timeout', () => {
    expect(BACKGROUND_LEAVE_MS).toBeGreaterThan(LEAVE_MS);
    const s = store();
    s.hear('ios', { floor: -65 }, true);
    s.hear('android', { floor: -65 });
    const lastHeard = s.now();
    const silence = s.walk(BACKGROUND_LEAVE_MS / SECOND + 2);
    const leftAt = (memberId: string) => silence.find((m) => m.kind === 'left' && m.memberId === memberId)?.at;
    expect(leftAt('android')! - lastHeard).toBeGreaterThanOrEqual(LEAVE_MS);
    expect(leftAt('android')! - lastHeard).toBeLessThanOrEqual(LEAVE_MS + SECOND);
    expect(leftAt('ios'), 'the background member never left').toBeDefined();
    expect(leftAt('ios')! - lastHeard, 'the background member left on the ordinary timeout').toBeGreaterThanOrEqual(BACKGROUND_LEAVE_MS);
    expect(leftAt('ios')! - lastHeard).toBeLessThanOrEqual(BACKGROUND_LEAVE_MS + SECOND);
  });

  it('a background member whose phone goes quiet between bursts for longer than the ordinary timeout stays in the store', () => {
    const s = store();
    s.walk(3, 'ios', { floor: -65 }, true);
    const gapSeconds = Math.floor((LEAVE_MS + BACKGROUND_LEAVE_MS) / 2 / SECOND);
    s.walk(gapSeconds);
    s.walk(3, 'ios', { floor: -65 }, true);
    expect(labels(s.log.filter((m) => m.memberId === 'ios'))).toEqual(['entered-store', 'entered-zone:floor', 'dwelling:floor']);
  });

  it('a member heard again after leaving enters again: a new visit', () => {
    const s = store();
    s.walk(dwellMs('pos-1') / SECOND + 2, 'm1', { 'pos-1': -55 });
    s.walk(LEAVE_MS / SECOND + 1);
    expect(s.tracker.present()).toEqual([]);
    const back = s.hear('m1', { entrance: -60 });
    expect(labels(back)).toEqual(['entered-store', 'entered-zone:entrance']);
    expect(s.tracker.present()).toMatchObject([{ memberId: 'm1', zoneId: 'entrance', firstSeen: s.now() }]);
    const visit = s.walk(dwellMs('entrance') / SECOND + 1, 'm1', { entrance: -60 });
    expect(labels(visit)).toEqual(['dwelling:entrance']);
    expect(labels(s.log)).toEqual([
      'entered-store', 'entered-zone:pos-1', 'dwelling:pos-1', 'left',
      'entered-store', 'entered-zone:entrance', 'dwelling:entrance',
    ]);
  });

  it('dates a new zone from when it began to lead, so dwelling there is not delayed by the hysteresis', () => {
    const s = store();
    s.walk(20, 'm1', { floor: -60 });
    const before = s.now();
    const moved = s.walk(10, 'm1', { floor: -80, 'pos-1': -50 });
    const entered = moved.find((m) => m.kind === 'entered-zone');
    expect(entered?.kind === 'entered-zone' && entered.zoneId).toBe('pos-1');
    if (entered?.kind !== 'entered-zone') return;
    expect(entered.since, 'dated before the lead began').toBeGreaterThan(before);
    expect(entered.since, 'dated from the confirming sample, not the first').toBeLessThan(entered.at);
    const dwelling = moved.find((m) => m.kind === 'dwelling' && m.zoneId === 'pos-1');
    expect(dwelling?.kind === 'dwelling' && dwelling.since).toBe(entered.since);
    expect(dwelling!.at - entered.since).toBeLessThanOrEqual(dwellMs('pos-1') + SECOND);
  });

  it('a phone heard only faintly by the door receiver (the street through the open door) does not keep the member in', () => {
    const s = store();
    s.walk(5, 'm1', { floor: -60 });
    const lastHeard = s.now();
    // Just outside: heard above minRssi, but not clearly, through the door.
    const outside = s.walk(LEAVE_MS / SECOND + 1, 'm1', { entrance: config.presence.minRssi + 2 });
    const left = outside.find((m) => m.kind === 'left');
    expect(left, 'kept in by the street').toBeDefined();
    expect(left!.at - lastHeard).toBeLessThanOrEqual(LEAVE_MS + SECOND);
    // The same level at a receiver inside the shop does keep a member in.
    const inside = store();
    inside.walk(5, 'm2', { floor: -60 });
    expect(inside.walk(LEAVE_MS / SECOND + 1, 'm2', { floor: config.presence.minRssi + 2 }).filter((m) => m.kind === 'left')).toEqual([]);
  });

  it('a backgrounded phone back from a silent gap keeps its zone unless another clearly leads', () => {
    const s = store();
    s.walk(20, 'ios', { 'pos-1': -55, floor: -70 }, true);
    expect(s.zoneOf('ios')).toBe('pos-1');
    s.walk(20);
    // The burst after the gap: the floor receiver happens to hear the first packets, the till's misses them.
    s.walk(3, 'ios', { floor: -70 }, true);
    expect(s.zoneOf('ios'), 'the first receiver after the gap won outright').toBe('pos-1');
  });

  it('forgetting a member (consent withdrawn) ends the visit at once, and only once', () => {
    const s = store();
    s.walk(3, 'm1', { floor: -60 });
    expect(s.tracker.forget('m1', s.now())).toEqual({ kind: 'left', memberId: 'm1', lastZoneId: 'floor', at: s.now() });
    expect(s.tracker.present()).toEqual([]);
    expect(s.tracker.forget('m1', s.now())).toBeUndefined();
    expect(s.walk(LEAVE_MS / SECOND + 1).filter((m) => m.kind === 'left')).toEqual([]);
  });
});
