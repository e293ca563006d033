import type { ZoneKind } from '../config/schema.js';
import type { Member, Tier } from '../identity/roster.js';
import type { FeatureBatch, FeatureSpec } from '../ports.js';

export interface VisitContext {
  readonly member: Member;
  readonly zoneKind: ZoneKind;
  readonly dwellSeconds: number;
  readonly at: number;
  readonly timezone: string;
}

const TIER_LEVEL: Record<Tier, number> = { none: 0, silver: 1, gold: 2, platinum: 3 };

const hourFormatters = new Map<string, Intl.DateTimeFormat>();

/** Hour of day in the store's own time zone, where shopping habits live. */
function localHour(at: number, timezone: string): number {
  let formatter = hourFormatters.get(timezone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hour: 'numeric', hourCycle: 'h23' });
    hourFormatters.set(timezone, formatter);
  }
  return Number(formatter.format(at));
}

/** Every feature Vitrin knows for this visit, by the names model manifests use. */
export function visitFeatures(context: VisitContext): Record<string, number> {
  const { profile } = context.member;
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
    hourOfDay: localHour(context.at, context.timezone),
    visitsThisWeek: profile.visitsThisWeek,
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
