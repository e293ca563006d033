import type { FloorPlan } from '../../adapters/simulator/floor-plan.js';
import { standingPeriods } from '../../adapters/simulator/walker.js';
import type { Moment } from '../../gateway/presence/moments.js';
import { type Shopper, zoneIntervalAt } from './shoppers.js';

// Ground truth against what the tracker said. Every rule here is stated in the
// README's presence section; change both together.

/** Seconds after a true zone change (or entering) during which the tracker is not yet expected to agree. */
export const ZONE_GRACE_S = 5;
/** Seconds after a shopper stops during which the tracker may still be catching up; later zone changes are flaps. */
export const FLAP_SETTLE_S = 10;
/** A till stay counts for the dwell delay when it is at least this much longer than the zone's dwell threshold. */
export const DWELL_MARGIN_S = 10;
/** Issue 5: dwelling at a till detected within this long of arrival plus the zone's threshold. */
export const DWELL_GOAL_S = 10;

export interface ShopperRecord {
  readonly shopper: Shopper;
  readonly moments: Moment[];
  /** The tracker's zone for the shopper at each whole second they are truly inside. */
  readonly samples: ZoneSample[];
  /** When any receiver heard the phone, ascending (one entry per packet heard). */
  readonly heard: number[];
}

export interface ZoneSample {
  readonly at: number;
  readonly zoneId: string | undefined;
  /** When the phone was last heard, at or before `at` (-Infinity: not yet). */
  readonly heardAt: number;
  /** The zone loudest on average (mean-oracle.ts): a reference, not what the tracker could know. */
  readonly loudestZone: string | undefined;
}

export interface Tally {
  zoneSamples: number;
  zoneCorrect: number;
  /** Of the zone samples, those where the phone was heard since the shopper entered the true zone: [samples, correct]. */
  zoneHeard: [number, number];
  /** Zone samples where the loudest zone on average is the true one. */
  zoneLoudest: number;
  /** Per true zone: [samples, correct]. */
  byZone: Map<string, [number, number]>;
  standingMs: number;
  flaps: number;
  /** First moves into the true zone more than FLAP_SETTLE_S after the shopper stopped: late, but not flaps. */
  lateCorrections: number;
  dwellDelaysMs: number[];
  /** The same, for till stays where the phone was heard within DWELL_GOAL_S of arrival. */
  dwellDelaysHeardMs: number[];
  /** Till stays with no packet heard in their first DWELL_GOAL_S: no tracker can meet the goal on them. */
  silentPosStays: number;
  missedDwells: number;
  leaveDelaysMs: number[];
  falseLeaves: number;
  missedLeaves: number;
}

export function emptyTally(): Tally {
  return {
    zoneSamples: 0,
    zoneCorrect: 0,
    zoneHeard: [0, 0],
    zoneLoudest: 0,
    byZone: new Map(),
    standingMs: 0,
    flaps: 0,
    lateCorrections: 0,
    dwellDelaysMs: [],
    dwellDelaysHeardMs: [],
    silentPosStays: 0,
    missedDwells: 0,
    leaveDelaysMs: [],
    falseLeaves: 0,
    missedLeaves: 0,
  };
}

export function scoreShopper(plan: FloorPlan, record: ShopperRecord, tally: Tally): void {
  scoreZones(record, tally);
  scoreFlaps(record, tally);
  scoreDwell(plan, record, tally);
  scoreLeave(record, tally);
}

function scoreZones({ shopper, samples }: ShopperRecord, tally: Tally): void {
  let hint = 0;
  for (const sample of samples) {
    hint = zoneIntervalAt(shopper.timeline, sample.at, hint);
    const truth = shopper.timeline[hint];
    if (truth?.zoneId === undefined || sample.at - truth.from < ZONE_GRACE_S * 1000) continue;
    const zone = tally.byZone.get(truth.zoneId) ?? [0, 0];
    tally.byZone.set(truth.zoneId, zone);
    const correct = sample.zoneId === truth.zoneId;
    tally.zoneSamples += 1;
    zone[0] += 1;
    if (correct) {
      tally.zoneCorrect += 1;
      zone[1] += 1;
    }
    if (sample.loudestZone === truth.zoneId) tally.zoneLoudest += 1;
    // A phone silent since the shopper walked into this zone (a backgrounded iPhone in a
    // gap) has said nothing about it: no tracker can know yet.
    if (sample.heardAt >= truth.from) {
      tally.zoneHeard[0] += 1;
      if (correct) tally.zoneHeard[1] += 1;
    }
  }
}

function scoreFlaps({ shopper, samples, moments }: ShopperRecord, tally: Tally): void {
  const { visit } = shopper;
  const changes = moments.filter((m) => m.kind === 'entered-zone');
  for (const period of standingPeriods(visit)) {
    if (period.end <= visit.enteredAt || period.start >= visit.exitedAt) continue;
    const truth = shopper.timeline[zoneIntervalAt(shopper.timeline, period.start)]?.zoneId;
    const agreed = samples.find((s) => s.at >= period.start && s.at <= period.end && s.zoneId === truth);
    const settled = Math.min(agreed?.at ?? Infinity, period.start + FLAP_SETTLE_S * 1000);
    tally.standingMs += period.end - period.start;
    for (const change of changes.filter((m) => m.at > settled && m.at <= period.end)) {
      // The first move into the true zone, before the tracker ever agreed during this stand, is a
      // late arrival, not a flicker: zone accuracy already pays for the wait. Counting it as a flap
      // would score a tracker stuck on the wrong zone better than one that corrects itself.
      if (change.zoneId === truth && (agreed === undefined || agreed.at >= change.at)) tally.lateCorrections += 1;
      else tally.flaps += 1;
    }
  }
}

function scoreDwell(plan: FloorPlan, record: ShopperRecord, tally: Tally): void {
  for (const stay of record.shopper.timeline) {
    const zone = plan.zones.find((z) => z.id === stay.zoneId);
    if (zone?.kind !== 'pos' || stay.to - stay.from < (zone.dwellSeconds + DWELL_MARGIN_S) * 1000) continue;
    const delay = dwellDelay(record, zone.id, stay.from, stay.to, stay.from + zone.dwellSeconds * 1000, tally);
    tally.dwellDelaysMs.push(delay);
    // Dwelling is timed from the first packet that puts the shopper at the till; one that
    // comes later than the goal after arrival cannot be followed by a detection in time.
    const first = firstHeard(record.heard, stay.from);
    if (first !== undefined && first - stay.from <= DWELL_GOAL_S * 1000) tally.dwellDelaysHeardMs.push(delay);
    else tally.silentPosStays += 1;
  }
}

/** The delay of the dwelling moment for one till stay, after `expected` (arrival plus the zone's threshold). */
function dwellDelay({ moments }: ShopperRecord, zoneId: string, from: number, to: number, expected: number, tally: Tally): number {
  const detected = moments.find((m) => m.kind === 'dwelling' && m.zoneId === zoneId && m.at >= from && m.at <= to);
  if (detected !== undefined) return detected.at - expected;
  // Already reported as dwelling there before the shopper truly arrived (came close while queueing).
  const before = moments.filter((m) => m.at < from && (m.kind === 'entered-zone' || m.kind === 'dwelling' || m.kind === 'left')).at(-1);
  if (before?.kind === 'dwelling' && before.zoneId === zoneId) return from - expected;
  // Never detected: counted at the lower bound of its delay, the end of the stay.
  tally.missedDwells += 1;
  return to - expected;
}

/** The first time in `heard` (ascending) at or after `from`. */
export function firstHeard(heard: readonly number[], from: number): number | undefined {
  let lo = 0;
  let hi = heard.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (heard[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return heard[lo];
}

function scoreLeave({ shopper, moments }: ShopperRecord, tally: Tally): void {
  const leaves = moments.filter((m) => m.kind === 'left');
  tally.falseLeaves += leaves.filter((m) => m.at < shopper.visit.exitedAt).length;
  const last = leaves.at(-1);
  const reenteredAfter = last !== undefined && moments.some((m) => m.kind === 'entered-store' && m.at > last.at);
  if (last === undefined || reenteredAfter) tally.missedLeaves += 1;
  else tally.leaveDelaysMs.push(last.at - shopper.visit.exitedAt);
}

/** Nearest-rank percentile; undefined for no values. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export interface Figures {
  readonly zoneAccuracy: number | null;
  readonly flapsPer10Min: number | null;
  readonly dwellDelayS: number | null;
  readonly leaveDelayS: number | null;
}

const round = (value: number | undefined, digits: number): number | null =>
  value === undefined || !Number.isFinite(value) ? null : Number(value.toFixed(digits));

/** What the goals ask of the part a tracker can act on, beside the headline figures (see evaluate-presence.ts). */
export interface Attainable {
  /** Zone accuracy over the samples where the phone was heard since the shopper entered the true zone. */
  readonly zoneAccuracyHeard: number | null;
  /** Zone accuracy of the loudest zone on average (mean-oracle.ts): the shadowing's share of the errors. */
  readonly zoneAccuracyLoudest: number | null;
  /** p95 dwell delay over till stays where the phone was heard within DWELL_GOAL_S of arrival. */
  readonly dwellDelayHeardS: number | null;
}

export function attainable(tally: Tally): Attainable {
  const [heard, heardCorrect] = tally.zoneHeard;
  return {
    zoneAccuracyHeard: round(heard === 0 ? undefined : heardCorrect / heard, 4),
    zoneAccuracyLoudest: round(tally.zoneSamples === 0 ? undefined : tally.zoneLoudest / tally.zoneSamples, 4),
    dwellDelayHeardS: round((percentile(tally.dwellDelaysHeardMs, 95) ?? NaN) / 1000, 2),
  };
}

export function figures(tally: Tally): Figures {
  return {
    zoneAccuracy: round(tally.zoneSamples === 0 ? undefined : tally.zoneCorrect / tally.zoneSamples, 4),
    flapsPer10Min: round(tally.standingMs === 0 ? undefined : tally.flaps / (tally.standingMs / 600_000), 3),
    dwellDelayS: round((percentile(tally.dwellDelaysMs, 95) ?? NaN) / 1000, 2),
    leaveDelayS: round((percentile(tally.leaveDelaysMs, 95) ?? NaN) / 1000, 2),
  };
}
