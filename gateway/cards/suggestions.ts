import type { MemberProfile, ProfileItem } from '../identity/roster.js';

export type SuggestionReason = 'in-cart' | 'price-drop' | 'wishlist';

export interface Suggestion {
  readonly id: string;
  readonly sku: string;
  readonly title: string;
  readonly price: number;
  readonly previousPrice?: number;
  readonly reason: SuggestionReason;
}

const REASON_ORDER: Record<SuggestionReason, number> = { 'in-cart': 0, 'price-drop': 1, wishlist: 2 };

function reasonFor(item: ProfileItem, inCart: boolean): SuggestionReason {
  if (inCart) return 'in-cart';
  return item.previousPrice !== undefined && item.previousPrice > item.price ? 'price-drop' : 'wishlist';
}

/**
 * Up to `limit` items the member already wants and this store has in stock: cart
 * first, then wishlist price drops, then the rest of the wishlist. An ordering rule,
 * not a model: per-candidate scoring replaces it when the scoring stage lands.
 */
export function pickSuggestions(profile: MemberProfile, limit = 3): Suggestion[] {
  const seen = new Set<string>();
  const candidates: Suggestion[] = [];
  for (const [items, inCart] of [[profile.cart, true], [profile.wishlist, false]] as const) {
    for (const item of items) {
      if (!item.inStockHere || seen.has(item.sku)) continue;
      seen.add(item.sku);
      candidates.push({
        id: `sg-${item.sku}`,
        sku: item.sku,
        title: item.title,
        price: item.price,
        ...(item.previousPrice === undefined ? {} : { previousPrice: item.previousPrice }),
        reason: reasonFor(item, inCart),
      });
    }
  }
  return candidates.sort((a, b) => REASON_ORDER[a.reason] - REASON_ORDER[b.reason]).slice(0, limit);
}
