import type { Card } from '../contracts/card.js';
import { reasonText, type Candidate } from '../scoring/candidates.js';

export type Suggestion = Card['suggestions'][number];
export type CardOffer = Card['offers'][number];

export const MAX_SUGGESTIONS = 3;
export const MAX_OFFERS = 2;

function reasonCode(c: Candidate): Suggestion['reason'] {
  if (c.kind === 'complement') return 'complement';
  if (c.previousPrice !== undefined) return 'price-drop';
  return c.kind === 'cart' ? 'in-cart' : 'wishlist';
}

/** Where no model score exists (scoring failed): cart first, then price drops, then the rest, in profile order. */
const RULE_ORDER: Record<Suggestion['reason'], number> = { 'in-cart': 0, 'price-drop': 1, wishlist: 2, complement: 3 };

/**
 * The card's suggestions and offers from scored candidates: items by the model's
 * probability, best first, at most three; offers likewise, at most two. Without
 * scores the ordering rule above decides, and no score is shown.
 */
export function rankCandidates(candidates: readonly Candidate[], scores: Float32Array | undefined): { suggestions: Suggestion[]; offers: CardOffer[] } {
  const scored = candidates.map((candidate, i) => ({ candidate, score: scores?.[i] }));
  const byScore = (a: { score: number | undefined }, b: { score: number | undefined }) => (b.score ?? 0) - (a.score ?? 0);
  const items = scored.filter((s) => s.candidate.kind !== 'offer');
  if (scores === undefined) items.sort((a, b) => RULE_ORDER[reasonCode(a.candidate)] - RULE_ORDER[reasonCode(b.candidate)]);
  else items.sort(byScore);
  const suggestions = items.slice(0, MAX_SUGGESTIONS).map(({ candidate: c, score }): Suggestion => ({
    id: `sg-${c.key}`,
    sku: c.key,
    title: c.title,
    price: c.price,
    ...(c.previousPrice === undefined ? {} : { previousPrice: c.previousPrice }),
    kind: c.kind === 'offer' ? 'wishlist' : c.kind,
    reason: reasonCode(c),
    reasonText: reasonText(c),
    ...(c.location === undefined ? {} : { location: c.location }),
    ...(c.sizes === undefined ? {} : { sizes: [...c.sizes] }),
    ...(score === undefined ? {} : { score: Math.round(score * 1000) / 1000 }),
  }));
  const offers = scored
    .filter((s) => s.candidate.offer !== undefined)
    .sort(byScore)
    .slice(0, MAX_OFFERS)
    .map(({ candidate }) => ({ ...candidate.offer!, reasonText: reasonText(candidate) }));
  return { suggestions, offers };
}
