import { describe, expect, it } from 'vitest';
import { evaluationStore, insideStore, zoneAt } from '../../adapters/simulator/floor-plan.js';
import { seededRandom } from '../../adapters/simulator/random.js';
import { planVisit, standingPeriods, Trajectory } from '../../adapters/simulator/walker.js';
import { evaluatePresence } from '../eval/evaluate-presence.js';
import { percentile } from '../eval/scoring.js';

// Sanity only: the tracker is tuned against this evaluation, so its goals are checked
// by `npm run eval:presence` and reported in the README, not asserted here.

describe('presence evaluation', () => {
  it('runs a short seeded evaluation to finite figures in range, the same every time', () => {
    const options = { seed: 11, shoppers: 24, hours: 0.5 };
    const report = evaluatePresence(options);
    expect(report.zoneAccuracy).toBeGreaterThanOrEqual(0);
    expect(report.zoneAccuracy).toBeLessThanOrEqual(1);
    expect(report.flapsPer10Min).toBeGreaterThanOrEqual(0);
    for (const figure of [report.flapsPer10Min, report.dwellDelayS, report.leaveDelayS]) expect(Number.isFinite(figure)).toBe(true);
    // A shopper is heard at most until the end of the street, and timed out after that.
    expect(report.leaveDelayS!).toBeGreaterThan(0);
    expect(report.leaveDelayS!).toBeLessThan(report.leaveTimeoutS + 60);
    expect(report.counts.sightings).toBeGreaterThan(10_000);
    expect(report.counts.posStays).toBeGreaterThan(0);
    expect(report.counts.standingMinutes).toBeGreaterThan(0);
    expect(evaluatePresence(options)).toEqual(report);
  });

  it('prints the four figures first, as README and CI read them', () => {
    const report = evaluatePresence({ seed: 3, shoppers: 6, hours: 0.2 });
    expect(Object.keys(report).slice(0, 4)).toEqual(['zoneAccuracy', 'flapsPer10Min', 'dwellDelayS', 'leaveDelayS']);
  });
});

describe('walker ground truth', () => {
  it('walks in through the door, stands at each stop in its zone, and leaves out of range', () => {
    const plan = evaluationStore();
    const visit = planVisit(plan, seededRandom(5), 0, [
      { zoneId: 'floor-a', standSeconds: 40 },
      { zoneId: 'pos-2', standSeconds: 60 },
    ], { speedMps: 1.2 });
    expect(visit.enteredAt).toBeLessThan(visit.exitedAt);
    expect(visit.exitedAt).toBeLessThan(visit.goneAt);
    const trajectory = new Trajectory(visit);
    expect(insideStore(plan, trajectory.at(visit.enteredAt - 500).position)).toBe(false);
    expect(insideStore(plan, trajectory.at(visit.enteredAt + 500).position)).toBe(true);
    const stands = standingPeriods(visit).filter((p) => p.end - p.start > 30_000);
    expect(stands.map((p) => zoneAt(plan, p.position))).toEqual(['floor-a', 'pos-2']);
    expect(stands.map((p) => Math.round((p.end - p.start) / 1000))).toEqual([40, 60]);
    expect(insideStore(plan, trajectory.at(visit.exitedAt + 500).position)).toBe(false);
  });

  it('takes nearest-rank percentiles', () => {
    expect(percentile([5, 1, 4, 2, 3], 95)).toBe(5);
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([], 95)).toBeUndefined();
  });
});
