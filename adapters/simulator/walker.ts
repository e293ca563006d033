import { contains, doorCentre, type FloorPlan, type ZoneArea } from './floor-plan.js';
import type { PhonePose, Point } from './radio-model.js';

// Shoppers' ground truth: where each one is at every moment of a visit, walking in
// straight lines between stops at their own pace, standing at stops while turning
// now and then, and leaving through the door and down the street out of range.

export interface Leg {
  readonly start: number;
  readonly end: number;
  readonly from: Point;
  readonly to: Point;
  readonly heading: Point;
  readonly standing: boolean;
}

export interface Stop {
  readonly zoneId: string;
  readonly standSeconds: number;
}

export interface Visit {
  readonly legs: readonly Leg[];
  /** When the shopper crossed the door inwards (ms). */
  readonly enteredAt: number;
  /** When they crossed it outwards: the true exit. */
  readonly exitedAt: number;
  /** When the phone is beyond any receiver's range: the end of the last leg. */
  readonly goneAt: number;
}

export interface WalkerOptions {
  readonly speedMps: number;
  /** Seconds between turns while standing, as [min, max]. */
  readonly turnEverySeconds?: readonly [number, number];
  /** How far along the street a shopper walks before turning a corner, out of range (m), as [min, max]. */
  readonly streetM?: readonly [number, number];
}

const MARGIN_M = 0.8;
const DOOR_APPROACH_M = 1.5;

/** Plans one visit: in through the door, the stops in order, out through the door. */
export function planVisit(plan: FloorPlan, random: () => number, start: number, stops: readonly Stop[], options: WalkerOptions): Visit {
  const legs: Leg[] = [];
  const [nearM, farM] = options.streetM ?? [10, 30];
  const street = () => nearM + (farM - nearM) * random();
  const turnEvery = options.turnEverySeconds ?? [5, 25];
  const door = doorCentre(plan);
  const side = random() < 0.5 ? -1 : 1;
  let at = start;
  let here: Point = { x: -3, y: door.y + side * street() };
  let heading: Point = { x: 0, y: -side };
  const walkTo = (to: Point) => {
    const length = Math.hypot(to.x - here.x, to.y - here.y);
    if (length < 1e-6) return;
    const end = at + (length / options.speedMps) * 1000;
    heading = { x: (to.x - here.x) / length, y: (to.y - here.y) / length };
    legs.push({ start: at, end, from: here, to, heading, standing: false });
    at = end;
    here = to;
  };
  const standFor = (seconds: number, facing: Point | undefined) => {
    const until = at + seconds * 1000;
    let first = true;
    while (at < until) {
      const end = Math.min(until, at + (turnEvery[0] + (turnEvery[1] - turnEvery[0]) * random()) * 1000);
      if (facing !== undefined) heading = turn(facing, (random() - 0.5) * (Math.PI / 2));
      else if (!first || random() < 0.5) heading = turn(heading, (random() - 0.5) * 2 * Math.PI);
      legs.push({ start: at, end, from: here, to: here, heading, standing: true });
      at = end;
      first = false;
    }
  };

  const throughDoor = (fromX: number): number => {
    walkTo({ x: fromX, y: door.y });
    const crossed = at + (DOOR_APPROACH_M / options.speedMps) * 1000;
    walkTo({ x: -fromX, y: door.y });
    return crossed;
  };
  const enteredAt = throughDoor(-DOOR_APPROACH_M);
  for (const stop of stops) {
    const zone = plan.zones.find((z) => z.id === stop.zoneId);
    if (zone === undefined) continue;
    walkTo(pointIn(zone, random));
    standFor(stop.standSeconds, zone.standHeading);
  }
  const exitedAt = throughDoor(DOOR_APPROACH_M);
  walkTo({ x: -3, y: door.y + (random() < 0.5 ? -1 : 1) * street() });
  return { legs, enteredAt, exitedAt, goneAt: at };
}

function pointIn(zone: ZoneArea, random: () => number): Point {
  if (zone.standPoint !== undefined) {
    return { x: zone.standPoint.x + (random() - 0.5) * 0.6, y: zone.standPoint.y + (random() - 0.5) * 0.6 };
  }
  const r = zone.rect;
  const mx = Math.min(MARGIN_M, (r.x1 - r.x0) / 4);
  const my = Math.min(MARGIN_M, (r.y1 - r.y0) / 4);
  const p = { x: r.x0 + mx + random() * (r.x1 - r.x0 - 2 * mx), y: r.y0 + my + random() * (r.y1 - r.y0 - 2 * my) };
  return contains(r, p) ? p : { x: (r.x0 + r.x1) / 2, y: (r.y0 + r.y1) / 2 };
}

function turn(v: Point, angle: number): Point {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return { x: v.x * c - v.y * s, y: v.x * s + v.y * c };
}

/** Looks up poses along a visit; queries must come in time order (a cursor, not a search). */
export class Trajectory {
  private index = 0;

  constructor(readonly visit: Visit) {}

  /** The pose at `at` (ms); before the visit the first pose, after it the last. */
  at(at: number): PhonePose & { readonly standing: boolean } {
    const legs = this.visit.legs;
    while (this.index < legs.length - 1 && legs[this.index]!.end <= at) this.index += 1;
    const leg = legs[this.index];
    if (leg === undefined) return { position: { x: -100, y: -100 }, heading: { x: 1, y: 0 }, standing: true };
    const span = leg.end - leg.start;
    const f = span <= 0 ? 1 : Math.min(1, Math.max(0, (at - leg.start) / span));
    return {
      position: { x: leg.from.x + (leg.to.x - leg.from.x) * f, y: leg.from.y + (leg.to.y - leg.from.y) * f },
      heading: leg.heading,
      standing: leg.standing,
    };
  }
}

/** Periods of standing still at one spot (turning on the spot counts as standing). */
export function standingPeriods(visit: Visit): { start: number; end: number; position: Point }[] {
  const periods: { start: number; end: number; position: Point }[] = [];
  for (const leg of visit.legs) {
    if (!leg.standing) continue;
    const last = periods[periods.length - 1];
    if (last !== undefined && last.end === leg.start && last.position === leg.from) last.end = leg.end;
    else periods.push({ start: leg.start, end: leg.end, position: leg.from });
  }
  return periods;
}
