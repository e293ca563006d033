import type { ZoneKind } from '../config/schema.js';
import type { Member, Tier } from '../identity/roster.js';
import type { FeatureBatch, FeatureSpec } from '../ports.js';
import { slabFloats } from '../util/slabs.js';
import { localClock } from '../util/local-clock.js';
import type { Candidate } from './candidates.js';

export interface VisitContext {
  readonly member: Member;
  readonly zoneKind: ZoneKind;
  readonly dwellSeconds: number;
  readonly at: number;
  readonly timezone: string;
}

const TIER_LEVEL: Record<Tier, number> = { none: 0, silver: 1, gold: 2, platinum: 3 };

function priceDrops(items: Member['profile']['wishlist']): number {
  let drops = 0;
  for (const item of items) if (item.previousPrice !== undefined && item.previousPrice > item.price) drops += 1;
  return drops;
}

/** Every feature Vitrin knows for this visit, by the names model manifests use. */
export function visitFeatures(context: VisitContext): Record<string, number> {
  const { profile } = context.member;
  const { hour, weekday } = localClock(context.at, context.timezone);
  return {
    recencyDays: profile.recencyDays,
    frequency90d: profile.frequency90d,
    monetary90d: profile.monetary90d,
    tierLevel: TIER_LEVEL[profile.tier],
    cartItems: profile.cart.length,
    wishlistItems: profile.wishlist.length,
    priceDropsOnWishlist: priceDrops(profile.wishlist),
    appSessions7d: profile.appSessions7d,
    dwellSeconds: context.dwellSeconds,
    zoneIsPos: context.zoneKind === 'pos' ? 1 : 0,
    hourOfDay: hour,
    weekday,
    visitsThisWeek: profile.visitsThisWeek,
    segmentCount: profile.segments.length,
    openServiceCase: profile.openServiceCase === undefined ? 0 : 1,
    // The visit's own row: the member buys anything at all.
    candidateIsVisit: 1,
  };
}

/** The visit's own row says "the visit"; a candidate's row overrides these. */
const VISIT_ROW: Readonly<Record<string, number>> = {
  candidateIsCart: 0,
  candidateIsWishlist: 0,
  candidateIsComplement: 0,
  candidateIsOffer: 0,
  candidatePrice: 0,
  candidatePriceDropPct: 0,
  candidateInStock: 0,
  candidateAffinity: 0,
};

/**
 * One candidate's own columns, laid over the visit's in its row: "does she buy this,
 * here, now?". Kept apart from the visit's columns rather than merged into one object:
 * spreading 20 keys per row cost more than the model run.
 */
export function candidateFeatures(candidate: Candidate): Record<string, number> {
  const drop = candidate.previousPrice === undefined || candidate.previousPrice <= 0 ? 0 : (candidate.previousPrice - candidate.price) / candidate.previousPrice;
  return {
    candidateIsVisit: 0,
    candidateIsCart: candidate.kind === 'cart' ? 1 : 0,
    candidateIsWishlist: candidate.kind === 'wishlist' ? 1 : 0,
    candidateIsComplement: candidate.kind === 'complement' ? 1 : 0,
    candidateIsOffer: candidate.kind === 'offer' ? 1 : 0,
    candidatePrice: candidate.price,
    candidatePriceDropPct: Math.round(drop * 1000) / 10,
    candidateInStock: candidate.kind === 'offer' ? 0 : 1,
    candidateAffinity: candidate.affinity,
  };
}

/**
 * Where each feature goes in a model's rows: its column by name and the manifest's
 * defaults, worked out once per model. Looking every cell up by name in layered
 * objects cost more than the model run; with the plan a card copies a row and sets the
 * few columns a candidate changes.
 */
interface BatchPlan {
  readonly width: number;
  /** Column by feature name; a null-prototype object, faster here than a Map. */
  readonly column: Readonly<Record<string, number>>;
  readonly defaults: Float32Array;
}

const plans = new WeakMap<readonly FeatureSpec[], BatchPlan>();

function planOf(specs: readonly FeatureSpec[]): BatchPlan {
  let plan = plans.get(specs);
  if (plan === undefined) {
    const column: Record<string, number> = Object.create(null) as Record<string, number>;
    specs.forEach((spec, i) => (column[spec.name] = i));
    plan = { width: specs.length, column, defaults: Float32Array.from(specs, (s) => s.default) };
    plans.set(specs, plan);
  }
  return plan;
}

/** Lays `features` over the row at `offset`: the features the model has, a non-finite value as the manifest's default. */
function overlay(values: Float32Array, offset: number, plan: BatchPlan, features: Readonly<Record<string, number>>): void {
  for (const name in features) {
    const column = plan.column[name];
    if (column === undefined) continue;
    const value = features[name]!;
    values[offset + column] = Number.isFinite(value) ? value : plan.defaults[column]!;
  }
}

/** A card's batch: the visit's row, then one row per candidate, each candidate's columns over the visit's. */
export function cardBatch(specs: readonly FeatureSpec[], visit: Readonly<Record<string, number>>, candidates: readonly Readonly<Record<string, number>>[]): FeatureBatch {
  const plan = planOf(specs);
  const { width } = plan;
  const rows = 1 + candidates.length;
  const values = slabFloats(rows * width);
  // What every row shares, the defaults under the visit's features, is built in the last
  // row and copied up; each row then takes its own columns.
  const last = (rows - 1) * width;
  values.set(plan.defaults, last);
  overlay(values, last, plan, visit);
  for (let r = 0; r < rows - 1; r++) values.copyWithin(r * width, last, last + width);
  overlay(values, 0, plan, VISIT_ROW);
  for (let r = 1; r < rows; r++) overlay(values, r * width, plan, candidates[r - 1]!);
  return { rows, width, values };
}

/** Rows in the model's column order; a feature a row lacks takes the manifest's default. */
export function featureBatch(specs: readonly FeatureSpec[], rows: readonly Record<string, number>[]): FeatureBatch {
  const plan = planOf(specs);
  const { width } = plan;
  const values = new Float32Array(rows.length * width);
  rows.forEach((row, r) => {
    values.set(plan.defaults, r * width);
    overlay(values, r * width, plan, row);
  });
  return { rows: rows.length, width, values };
}
