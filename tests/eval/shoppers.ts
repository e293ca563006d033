import { type FloorPlan, zoneAt } from '../../adapters/simulator/floor-plan.js';
import {
  ADVERTISING,
  type AdvertisingProfile,
  AdvertisingSchedule,
  type Carrier,
  createLink,
  type Link,
  randomTransmitter,
  type Transmitter,
} from '../../adapters/simulator/radio-model.js';
import { planVisit, type Stop, Trajectory, type Visit } from '../../adapters/simulator/walker.js';

// The evaluation's population: who comes in, with which phone, and where they go.

export interface ZoneInterval {
  readonly zoneId: string | undefined;
  readonly from: number;
  readonly to: number;
}

export interface Shopper {
  readonly memberId: string;
  readonly carrier: Carrier;
  readonly visit: Visit;
  readonly trajectory: Trajectory;
  readonly transmitter: Transmitter;
  readonly schedule: AdvertisingSchedule;
  readonly links: Link[];
  /** The frame's advertised power at 1 m: iOS's default iBeacon value, or Eddystone's -18 dBm at 0 m less 41. */
  readonly measuredPower: number;
  /** The true zone over the visit, at 100 ms resolution. */
  readonly timeline: readonly ZoneInterval[];
  nextPacket: number;
}

export type CarrierMix = Readonly<Record<Carrier, number>>;

/** Typical for a retailer's app: Android users, iPhones with the app open, and iPhones with it in the background. */
export const DEFAULT_MIX: CarrierMix = { android: 0.4, 'ios-foreground': 0.35, 'ios-background': 0.25 };

const TIMELINE_STEP_MS = 100;

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.min(items.length - 1, Math.floor(random() * items.length))]!;
}

function carrierOf(random: () => number, mix: CarrierMix): Carrier {
  const total = mix.android + mix['ios-foreground'] + mix['ios-background'];
  let r = random() * total;
  for (const carrier of ['android', 'ios-foreground', 'ios-background'] as const) {
    r -= mix[carrier];
    if (r < 0) return carrier;
  }
  return 'android';
}

/** A pause by the door, one to three browsing stops (a fitting room now and then), and most often a till. */
export function itinerary(plan: FloorPlan, random: () => number): Stop[] {
  const ofKind = (kind: string) => plan.zones.filter((z) => z.kind === kind);
  const stops: Stop[] = [];
  const entrance = ofKind('entrance');
  if (entrance.length > 0) stops.push({ zoneId: pick(random, entrance).id, standSeconds: 4 * random() });
  const browse = 1 + Math.floor(random() * 3);
  for (let i = 0; i < browse; i++) {
    const fitting = ofKind('fitting');
    const zone = fitting.length > 0 && random() < 0.2 ? pick(random, fitting) : pick(random, ofKind('floor'));
    stops.push({ zoneId: zone.id, standSeconds: 20 + 130 * random() });
  }
  const tills = ofKind('pos');
  if (tills.length > 0 && random() < 0.75) stops.push({ zoneId: pick(random, tills).id, standSeconds: 30 + 210 * random() });
  return stops;
}

export function timelineOf(plan: FloorPlan, visit: Visit): ZoneInterval[] {
  const trajectory = new Trajectory(visit);
  const intervals: ZoneInterval[] = [];
  let current: { zoneId: string | undefined; from: number } | undefined;
  for (let t = visit.enteredAt; t < visit.exitedAt; t += TIMELINE_STEP_MS) {
    const zoneId = zoneAt(plan, trajectory.at(t).position);
    if (current === undefined) current = { zoneId, from: t };
    else if (current.zoneId !== zoneId) {
      intervals.push({ ...current, to: t });
      current = { zoneId, from: t };
    }
  }
  if (current !== undefined) intervals.push({ ...current, to: visit.exitedAt });
  return intervals;
}

export function makeShoppers(options: {
  plan: FloorPlan;
  count: number;
  start: number;
  durationMs: number;
  mix: CarrierMix;
  random: () => number;
  scheduleRandom: () => number;
  /** Advertising per phone type, over the radio model's (ADVERTISING). */
  advertising?: Partial<Record<Carrier, AdvertisingProfile>>;
}): Shopper[] {
  const { plan, random } = options;
  const arrivals = Array.from({ length: options.count }, () => options.start + random() * options.durationMs).sort((a, b) => a - b);
  return arrivals.map((arrival, i) => {
    const carrier = carrierOf(random, options.mix);
    const visit = planVisit(plan, random, arrival, itinerary(plan, random), { speedMps: 1 + 0.4 * random() });
    const schedule = new AdvertisingSchedule(options.advertising?.[carrier] ?? ADVERTISING[carrier], options.scheduleRandom, arrival);
    return {
      memberId: `m-${String(i).padStart(4, '0')}`,
      carrier,
      visit,
      trajectory: new Trajectory(visit),
      transmitter: randomTransmitter(random),
      schedule,
      links: plan.receivers.map(() => createLink()),
      measuredPower: -59,
      timeline: timelineOf(plan, visit),
      nextPacket: schedule.next(),
    };
  });
}

/** The true zone at `at` (ms); intervals are searched from `hint` on, so callers going forward in time pay little. */
export function zoneIntervalAt(timeline: readonly ZoneInterval[], at: number, hint = 0): number {
  let i = Math.max(0, Math.min(hint, timeline.length - 1));
  while (i > 0 && timeline[i]!.from > at) i -= 1;
  while (i < timeline.length - 1 && timeline[i]!.to <= at) i += 1;
  return i;
}
