import type { ZoneKind } from '../config/schema.js';
import type { Member, Tier } from '../identity/roster.js';
import type { FeatureBatch, FeatureSpec } from '../ports.js';
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
    priceDropsOnWishlist: profile.wishlist.filter((i) => i.previousPrice !== undefined && i.previousPrice > i.price).length,
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

/** A card's batch: the visit's row, then one row per candidate, each candidate's columns over the visit's. */
export function cardBatch(specs: readonly FeatureSpec[], visit: Readonly<Record<string, number>>, candidates: readonly Readonly<Record<string, number>>[]): FeatureBatch {
  return layeredBatch(specs, [[VISIT_ROW, visit], ...candidates.map((c) => [c, visit])]);
}

/** Rows whose values are looked up in layers, first hit wins; a feature no layer has takes the manifest's default. */
function layeredBatch(specs: readonly FeatureSpec[], rows: readonly (readonly Readonly<Record<string, number>>[])[]): FeatureBatch {
  const width = specs.length;
  const values = new Float32Array(rows.length * width);
  for (let r = 0; r < rows.length; r++) {
    const layers = rows[r]!;
    for (let c = 0; c < width; c++) {
      const spec = specs[c]!;
      let value: number | undefined;
      for (let l = 0; l < layers.length && value === undefined; l++) value = layers[l]![spec.name];
      values[r * width + c] = value === undefined || !Number.isFinite(value) ? spec.default : value;
    }
  }
  return { rows: rows.length, width, values };
}

/** Rows in the model's column order; a feature the visit lacks takes the manifest's default. */
export function featureBatch(specs: readonly FeatureSpec[], rows: readonly Record<string, number>[]): FeatureBatch {
  return layeredBatch(specs, rows.map((row) => [row]));
}
