import { describe, expect, it } from 'vitest';
import type { Moment } from '../../gateway/presence/moments.js';
import { PresenceTracker } from '../../gateway/presence/tracker.js';
import { testConfig } from '../support/test-config.js';

// Default store: entrance (rx-entrance), floor (rx-floor), pos-1 (rx-pos-1, dwell 5 s);
// leave timeout 60 s, margin 4 dB over 3 samples, staleness 8 s.
const T0 = 1_795_000_000_000;

function walk(tracker: PresenceTracker, seconds: number, start: number, rssi: Record<string, number>, memberId = 'm1'): Moment[] {
  const moments: Moment[] = [];
  for (let s = 0; s < seconds; s++) {
    const at = start + s * 1000;
    for (const [receiverId, value] of Object.entries(rssi)) moments.push(...tracker.observe({ memberId, receiverId, rssi: value, at }));
    moments.push(...tracker.sweep(at));
  }
  return moments;
}

const kinds = (moments: Moment[]) => moments.map((m) => (m.kind === 'entered-zone' || m.kind === 'dwelling' ? `${m.kind}:${m.zoneId}` : m.kind));

describe('PresenceTracker', () => {
  it('reports entered store, entered zone, dwelling and left, each once', () => {
    const tracker = new PresenceTracker(testConfig());
    const moments = [
      ...walk(tracker, 10, T0, { 'rx-entrance': -55, 'rx-pos-1': -85 }),
      ...walk(tracker, 20, T0 + 10_000, { 'rx-entrance': -85, 'rx-pos-1': -55 }),
    ];
    expect(kinds(moments)).toEqual(['entered-store', 'entered-zone:entrance', 'entered-zone:pos-1', 'dwelling:pos-1']);
    const dwell = moments.find((m) => m.kind === 'dwelling');
    expect(dwell?.kind === 'dwelling' && dwell.at - dwell.since).toBeGreaterThanOrEqual(5000);
    const lastHeard = T0 + 29_000;
    expect(tracker.sweep(lastHeard + 59_999)).toEqual([]);
    expect(kinds(tracker.sweep(lastHeard + 60_000))).toEqual(['left']);
    expect(tracker.present()).toEqual([]);
  });

  it('does not flap between two zones when the member stands between their receivers', () => {
    const tracker = new PresenceTracker(testConfig());
    walk(tracker, 5, T0, { 'rx-floor': -60, 'rx-pos-1': -80 });
    // Now about equally loud on both, with noise: alternating leads of 2 dB stay under the 4 dB margin.
    const moments: Moment[] = [];
    for (let s = 0; s < 60; s++) {
      const at = T0 + 5000 + s * 1000;
      const lead = s % 2 === 0 ? 2 : -2;
      moments.push(...tracker.observe({ memberId: 'm1', receiverId: 'rx-floor', rssi: -70 - lead, at }));
      moments.push(...tracker.observe({ memberId: 'm1', receiverId: 'rx-pos-1', rssi: -70 + lead, at }));
    }
    expect(moments.filter((m) => m.kind === 'entered-zone')).toEqual([]);
  });

  it('moves only after the challenger has led clearly for several samples', () => {
    const tracker = new PresenceTracker(testConfig());
    walk(tracker, 5, T0, { 'rx-floor': -60 });
    const single = walk(tracker, 1, T0 + 5000, { 'rx-floor': -75, 'rx-pos-1': -50 });
    expect(single.filter((m) => m.kind === 'entered-zone')).toEqual([]);
    const moved = walk(tracker, 4, T0 + 6000, { 'rx-floor': -75, 'rx-pos-1': -50 });
    expect(kinds(moved)).toContain('entered-zone:pos-1');
  });

  it('applies the receiver calibration offset before comparing zones', () => {
    const config = testConfig();
    const tracker = new PresenceTracker({
      ...config,
      receivers: config.receivers.map((r) => (r.id === 'rx-floor' ? { ...r, rssiOffset: 15 } : r)),
    });
    const moments = walk(tracker, 5, T0, { 'rx-floor': -70, 'rx-pos-1': -60 });
    expect(kinds(moments)).toContain('entered-zone:floor');
  });

  it('ignores receivers that are not in config', () => {
    const tracker = new PresenceTracker(testConfig());
    expect(tracker.observe({ memberId: 'm1', receiverId: 'rx-unknown', rssi: -40, at: T0 })).toEqual([]);
    expect(tracker.present()).toEqual([]);
  });

  it('forgets a member at once when asked (consent withdrawn)', () => {
    const tracker = new PresenceTracker(testConfig());
    walk(tracker, 3, T0, { 'rx-floor': -60 });
    expect(tracker.forget('m1', T0 + 3000)).toMatchObject({ kind: 'left', memberId: 'm1', lastZoneId: 'floor' });
    expect(tracker.present()).toEqual([]);
  });
});
