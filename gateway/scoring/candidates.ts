import type { StoreCatalog } from '../catalog/store-catalog.js';
import type { MemberProfile, Offer, ProfileItem } from '../identity/roster.js';

// What one card could suggest: the member's cart and wishlist items this store has on
// hand, things that go with them, and offers that apply. Each becomes one row of the
// model's batch; the model ranks them, the card shows the best with a reason a person
// understands.

export type CandidateKind = 'cart' | 'wishlist' | 'complement' | 'offer';

export interface Candidate {
  readonly kind: CandidateKind;
  /** SKU, or the offer id. */
  readonly key: string;
  readonly title: string;
  readonly category: string;
  readonly price: number;
  /** Set when the price is down from what it was. */
  readonly previousPrice?: number;
  readonly location?: string;
  readonly sizes?: readonly string[];
  /** Complements: the title of the item it goes with. */
  readonly goesWith?: string;
  readonly offer?: Offer;
  /** Share of the member's saved items in this candidate's category, 0..1. */
  readonly affinity: number;
}

/** One card's batch stays small: a session.run of 25 rows takes microseconds, and nobody reads 25 suggestions. */
export const MAX_CANDIDATES = 24;

function inStock(item: ProfileItem, catalog: StoreCatalog): boolean {
  const stock = catalog.stockOf(item.sku);
  return stock === undefined ? item.inStockHere : stock.quantity > 0;
}

function affinities(profile: MemberProfile): (category: string) => number {
  const saved = [...profile.cart, ...profile.wishlist];
  const counts = new Map<string, number>();
  for (const item of saved) counts.set(item.category, (counts.get(item.category) ?? 0) + 1);
  return (category) => (saved.length === 0 ? 0 : (counts.get(category) ?? 0) / saved.length);
}

export function candidatesFor(profile: MemberProfile, catalog: StoreCatalog, now: number): Candidate[] {
  const affinity = affinities(profile);
  const out: Candidate[] = [];
  const seen = new Set<string>();
  const saved = (kind: 'cart' | 'wishlist', item: ProfileItem) => {
    if (seen.has(item.sku) || !inStock(item, catalog)) return;
    seen.add(item.sku);
    const current = catalog.item(item.sku);
    const price = current?.price ?? item.price;
    const before = Math.max(item.previousPrice ?? 0, current?.previousPrice ?? 0, item.price);
    const stock = catalog.stockOf(item.sku);
    out.push({
      kind,
      key: item.sku,
      title: item.title,
      category: item.category,
      price,
      ...(before > price ? { previousPrice: before } : {}),
      ...(stock?.location === undefined ? {} : { location: stock.location }),
      ...(stock?.sizes === undefined ? {} : { sizes: stock.sizes }),
      affinity: affinity(item.category),
    });
  };
  for (const item of profile.cart) saved('cart', item);
  for (const item of profile.wishlist) saved('wishlist', item);
  for (const base of [...out]) {
    for (const sku of catalog.item(base.key)?.complements ?? []) {
      const item = catalog.item(sku);
      const stock = catalog.stockOf(sku);
      if (item === undefined || seen.has(sku) || (stock?.quantity ?? 0) <= 0) continue;
      seen.add(sku);
      out.push({
        kind: 'complement',
        key: sku,
        title: item.title,
        category: item.category,
        price: item.price,
        ...(stock?.location === undefined ? {} : { location: stock.location }),
        ...(stock?.sizes === undefined ? {} : { sizes: stock.sizes }),
        goesWith: base.title,
        affinity: affinity(item.category),
      });
    }
  }
  const categories = new Set([...profile.cart, ...profile.wishlist].map((i) => i.category));
  const storeOffers: Offer[] = catalog.offers
    .filter((o) => o.categories === undefined || o.categories.some((c) => categories.has(c)))
    .map(({ id, title, code, validUntil }) => ({ id, title, code, validUntil }));
  for (const offer of [...profile.offers, ...storeOffers]) {
    if (seen.has(`offer:${offer.id}`) || Date.parse(offer.validUntil) <= now) continue;
    seen.add(`offer:${offer.id}`);
    const category = catalog.offers.find((o) => o.id === offer.id)?.categories?.find((c) => categories.has(c)) ?? '';
    out.push({ kind: 'offer', key: offer.id, title: offer.title, category, price: 0, offer, affinity: category === '' ? 0 : affinity(category) });
  }
  return out.slice(0, MAX_CANDIDATES);
}

const money = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 0 });
const day = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });

/** Why this suggestion, in the words an advisor would use: "in the cart; price down from 3,499 to 2,899; in stock, aisle 4 (41, 42, 43)". */
export function reasonText(c: Candidate): string {
  const parts: string[] = [];
  if (c.kind === 'cart') parts.push('in the cart');
  if (c.kind === 'wishlist') parts.push('on the wishlist');
  if (c.kind === 'complement' && c.goesWith !== undefined) parts.push(`goes with the ${c.goesWith}`);
  if (c.kind === 'offer' && c.offer !== undefined) {
    parts.push(`code ${c.offer.code}`, `until ${day.format(Date.parse(c.offer.validUntil))}`);
    return parts.join('; ');
  }
  if (c.previousPrice !== undefined) parts.push(`price down from ${money.format(c.previousPrice)} to ${money.format(c.price)}`);
  const where = c.location === undefined ? 'in stock here' : `in stock, ${c.location}`;
  parts.push(c.sizes === undefined || c.sizes.length === 0 ? where : `${where} (${c.sizes.join(', ')})`);
  return parts.join('; ');
}
