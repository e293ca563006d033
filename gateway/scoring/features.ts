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

/** The visit's features with one candidate's: the row that asks "does she buy this, here, now?". */
export function candidateFeatures(visit: Readonly<Record<string, number>>, candidate: Candidate): Record<string, number> {
  const drop = candidate.previousPrice === undefined || candidate.previousPrice <= 0 ? 0 : (candidate.previousPrice - candidate.price) / candidate.previousPrice;
  return {
    ...visit,
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

/** Rows in the model's column order; a feature the visit lacks takes the manifest's default. */
export function featureBatch(specs: readonly FeatureSpec[], rows: readonly Record<string, number>[]): FeatureBatch {
  const values = new Float32Array(rows.length * specs.length);
  rows.forEach((row, r) => {
    specs.forEach((spec, c) => {
      const value = row[spec.name];
      values[r * specs.length + c] = value === undefined || !Number.isFinite(value) ? spec.default : value;
    });
  });
  return { rows: rows.length, width: specs.length, values };
}
