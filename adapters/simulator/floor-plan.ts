import type { Config, ReceiverConfig, ZoneConfig, ZoneKind } from '../../gateway/config/schema.js';
import type { Point, ReceiverSite, Wall } from './radio-model.js';

// Where things are in a simulated store, in metres. The store is the rectangle
// [0, width] × [0, depth] with its door in the wall x = 0; the street is x < 0.

export interface Rect {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

export interface ZoneArea {
  readonly id: string;
  readonly name: string;
  readonly kind: ZoneKind;
  readonly dwellSeconds: number;
  readonly rect: Rect;
  /** Where a shopper stands to be served (a till's counter); absent: anywhere in the zone. */
  readonly standPoint?: Point;
  /** Which way a shopper at the stand point faces. */
  readonly standHeading?: Point;
}

export interface FloorPlan {
  readonly width: number;
  readonly depth: number;
  /** The door's two jambs on x = 0. */
  readonly door: { readonly y0: number; readonly y1: number };
  readonly zones: readonly ZoneArea[];
  readonly receivers: readonly (ReceiverSite & { readonly zone: string })[];
  readonly walls: readonly Wall[];
  readonly terminals: readonly { readonly id: string; readonly zone: string }[];
}

/** Typical losses at 2.4 GHz: an exterior wall or shop front, an interior partition. */
const EXTERIOR_WALL_DB = 12;
const PARTITION_DB = 4;
const CEILING_M = 2.8;
const COUNTER_M = 1.0;

export function contains(rect: Rect, p: Point): boolean {
  return p.x >= rect.x0 && p.x < rect.x1 && p.y >= rect.y0 && p.y < rect.y1;
}

export function insideStore(plan: FloorPlan, p: Point): boolean {
  return p.x >= 0 && p.x < plan.width && p.y >= 0 && p.y < plan.depth;
}

/** The zone a point is in; undefined outside the store or in an aisle between zones. */
export function zoneAt(plan: FloorPlan, p: Point): string | undefined {
  for (const zone of plan.zones) if (contains(zone.rect, p)) return zone.id;
  return undefined;
}

export function doorCentre(plan: FloorPlan): Point {
  return { x: 0, y: (plan.door.y0 + plan.door.y1) / 2 };
}

/** The store's outer walls with the door left open. */
function shell(width: number, depth: number, door: FloorPlan['door']): Wall[] {
  const w = (ax: number, ay: number, bx: number, by: number): Wall => ({ a: { x: ax, y: ay }, b: { x: bx, y: by }, lossDb: EXTERIOR_WALL_DB });
  return [w(0, 0, 0, door.y0), w(0, door.y1, 0, depth), w(0, depth, width, depth), w(width, depth, width, 0), w(width, 0, 0, 0)];
}

/** Partitions on a room's sides that face the shop, with a 1 m doorway in the first one. */
function partitions(rect: Rect, width: number, depth: number): Wall[] {
  const walls: Wall[] = [];
  const add = (ax: number, ay: number, bx: number, by: number) => walls.push({ a: { x: ax, y: ay }, b: { x: bx, y: by }, lossDb: PARTITION_DB });
  if (rect.x0 > 0) {
    const mid = (rect.y0 + rect.y1) / 2;
    add(rect.x0, rect.y0, rect.x0, mid - 0.5);
    add(rect.x0, mid + 0.5, rect.x0, rect.y1);
  }
  if (rect.y0 > 0) add(rect.x0, rect.y0, rect.x1, rect.y0);
  if (rect.y1 < depth) add(rect.x0, rect.y1, rect.x1, rect.y1);
  if (rect.x1 < width) add(rect.x1, rect.y0, rect.x1, rect.y1);
  return walls;
}

/**
 * The store the presence evaluation runs in (25 m × 15 m): an entrance by the door,
 * two sales floors with two receivers each, a walled fitting room, and two tills side
 * by side, 3 m apart, the hardest pair to tell apart. Zone edges lie about where
 * neighbouring receivers' mean signals cross, as an installer would draw them; the
 * aisle in front of the tills belongs to no zone. Floor receivers hang from the
 * ceiling, till receivers sit on the counters. Receiver biases are what calibration
 * corrects (config rssiOffset).
 */
export function evaluationStore(): FloorPlan {
  const width = 25;
  const depth = 15;
  const door = { y0: 6.5, y1: 8.5 };
  const till = (n: number, x0: number): ZoneArea => ({
    id: `pos-${n}`,
    name: `Till ${n}`,
    kind: 'pos',
    dwellSeconds: 5,
    rect: { x0, y0: 11, x1: x0 + 3, y1: 15 },
    standPoint: { x: x0 + 1.5, y: 12.6 },
    standHeading: { x: 0, y: 1 },
  });
  const zones: ZoneArea[] = [
    { id: 'entrance', name: 'Entrance', kind: 'entrance', dwellSeconds: 30, rect: { x0: 0, y0: 4, x1: 5.5, y1: 11 } },
    { id: 'floor-a', name: 'Womenswear', kind: 'floor', dwellSeconds: 20, rect: { x0: 5.5, y0: 0, x1: 13, y1: 15 } },
    { id: 'floor-b', name: 'Menswear', kind: 'floor', dwellSeconds: 20, rect: { x0: 13, y0: 0, x1: 25, y1: 9 } },
    { id: 'fitting', name: 'Fitting rooms', kind: 'fitting', dwellSeconds: 30, rect: { x0: 21, y0: 9, x1: 25, y1: 15 } },
    till(1, 15),
    till(2, 18),
  ];
  const fitting = zones.find((z) => z.id === 'fitting')!.rect;
  // Rappaport's retail-store exponent on the ceiling; a little more at the counters, among the queue.
  const ceiling = (id: string, zone: string, x: number, y: number, gainDb: number) => ({
    id,
    zone,
    position: { x, y },
    heightM: CEILING_M,
    pathLossExponent: 2.2,
    gainDb,
  });
  const counter = (id: string, zone: string, x: number, gainDb: number) => ({
    id,
    zone,
    position: { x, y: 14 },
    heightM: COUNTER_M,
    pathLossExponent: 2.4,
    gainDb,
  });
  return {
    width,
    depth,
    door,
    zones,
    receivers: [
      ceiling('rx-entrance', 'entrance', 1.5, 7.5, 2),
      ceiling('rx-floor-a1', 'floor-a', 9.25, 3.75, 0),
      ceiling('rx-floor-a2', 'floor-a', 9.25, 11.25, -1),
      ceiling('rx-floor-b1', 'floor-b', 16.5, 4.5, -3),
      ceiling('rx-floor-b2', 'floor-b', 22, 4.5, 1),
      ceiling('rx-fitting', 'fitting', 23, 12, 1),
      counter('rx-pos-1', 'pos-1', 16.5, -2),
      counter('rx-pos-2', 'pos-2', 19.5, 3),
    ],
    walls: [...shell(width, depth, door), ...partitions(fitting, width, depth)],
    terminals: [
      { id: 'till-1', zone: 'pos-1' },
      { id: 'till-2', zone: 'pos-2' },
    ],
  };
}

/**
 * A plan for a store known only by its config (the demo). The column by the door
 * holds the entrance (4 m, the door in its middle) and then the tills (3 m each), as
 * most shops have them, so leaving a till does not cross the floor; one 6 m column
 * per floor zone follows, and fitting rooms stand along the back wall. Demo shoppers
 * browse the middle of a floor and face the counter at a till. Till receivers
 * sit on the counter by the wall, the others on the ceiling spread across their zone;
 * their bias is what their configured offset corrects.
 */
export function autoLayout(zones: readonly ZoneConfig[], receivers: readonly ReceiverConfig[]): FloorPlan {
  const ofKind = (kind: ZoneKind) => zones.filter((z) => z.kind === kind);
  const front = [...ofKind('entrance'), ...ofKind('pos')];
  const fittings = ofKind('fitting');
  const span = (z: ZoneConfig) => (z.kind === 'pos' ? 3 : 4);
  const depth = Math.max(8, front.reduce((sum, z) => sum + span(z), 0), 4 * fittings.length);
  const areas: ZoneArea[] = [];
  let x = 0;
  const column = (list: readonly ZoneConfig[], width: number, height: (z: ZoneConfig) => number) => {
    let y = 0;
    for (const zone of list) {
      const h = height(zone);
      const rect = { x0: x, y0: y, x1: x + width, y1: y + h };
      // Shoppers browse the middle of a floor, under its receiver, and face the counter at a till.
      const stand =
        zone.kind === 'pos'
          ? { standPoint: { x: x + 1.5, y: y + h / 2 }, standHeading: { x: -1, y: 0 } }
          : zone.kind === 'floor'
            ? { standPoint: { x: x + width / 2, y: y + h / 2 } }
            : {};
      areas.push({ id: zone.id, name: zone.name, kind: zone.kind, dwellSeconds: zone.dwellSeconds, rect, ...stand });
      y += h;
    }
    if (list.length > 0) x += width;
  };
  column(front, 4, span);
  for (const floor of ofKind('floor')) column([floor], 6, () => depth);
  column(fittings, 4, () => depth / fittings.length);
  const width = Math.max(x, 4);
  const entrance = areas.find((a) => a.kind === 'entrance')?.rect;
  const doorAt = entrance === undefined ? depth / 2 : (entrance.y0 + entrance.y1) / 2;
  const door = { y0: doorAt - 1, y1: doorAt + 1 };
  const sites = receivers.map((receiver) => {
    const area = areas.find((a) => a.id === receiver.zone);
    const peers = receivers.filter((r) => r.zone === receiver.zone);
    const share = (peers.indexOf(receiver) + 0.5) / peers.length;
    const rect = area?.rect ?? { x0: 0, y0: 0, x1: width, y1: depth };
    const till = area?.kind === 'pos';
    const position = till
      ? { x: rect.x0 + 0.3, y: rect.y0 + share * (rect.y1 - rect.y0) }
      : { x: rect.x0 + share * (rect.x1 - rect.x0), y: (rect.y0 + rect.y1) / 2 };
    return {
      id: receiver.id,
      zone: receiver.zone,
      position,
      heightM: till ? COUNTER_M : CEILING_M,
      pathLossExponent: receiver.pathLossExponent,
      gainDb: -receiver.rssiOffset,
    };
  });
  const walls = [...shell(width, depth, door), ...areas.filter((a) => a.kind === 'fitting').flatMap((a) => partitions(a.rect, width, depth))];
  return { width, depth, door, zones: areas, receivers: sites, walls, terminals: [] };
}

/** The config entries for a plan, as an installer would write them after calibrating each receiver. */
export function planConfig(plan: FloorPlan): Pick<Config, 'zones' | 'receivers' | 'terminals'> {
  return {
    zones: plan.zones.map((z) => ({ id: z.id, name: z.name, kind: z.kind, dwellSeconds: z.dwellSeconds })),
    receivers: plan.receivers.map((r) => ({ id: r.id, zone: r.zone, rssiOffset: -r.gainDb, pathLossExponent: r.pathLossExponent })),
    terminals: plan.terminals.map((t) => ({ ...t })),
  };
}
