import { describe, expect, it } from 'vitest';
import { rankCandidates } from '../../gateway/cards/suggestions.js';
import { DEMO_CATALOG } from '../../gateway/catalog/demo-catalog.js';
import { StoreCatalog } from '../../gateway/catalog/store-catalog.js';
import type { MemberProfile } from '../../gateway/identity/roster.js';
import { candidatesFor, reasonText } from '../../gateway/scoring/candidates.js';
import { candidateFeatures, cardBatch, featureBatch, visitFeatures } from '../../gateway/scoring/features.js';
import { demoRoster } from '../../gateway/identity/demo-roster.js';

const NOW = Date.UTC(2026, 10, 23, 15, 0, 0);
const catalog = new StoreCatalog(DEMO_CATALOG);
const item = (sku: string, saved: Partial<{ price: number; previousPrice: number; inStockHere: boolean }> = {}) => {
  const c = DEMO_CATALOG.items.find((i) => i.sku === sku)!;
  return { sku, title: c.title, category: c.category, price: saved.price ?? c.price, inStockHere: saved.inStockHere ?? true, ...(saved.previousPrice === undefined ? {} : { previousPrice: saved.previousPrice }) };
};
const profile: MemberProfile = {
  firstName: 'Elif', tier: 'gold', segments: ['runner'], recencyDays: 10, frequency90d: 3, monetary90d: 3000, appSessions7d: 4, visitsThisWeek: 0,
  cart: [item('SN-220-42', { price: 3499 })],
  wishlist: [item('BG-310'), item('SW-771-S'), item('SN-220-42')],
  offers: [{ id: 'of-personal', title: '15% birthday discount', code: 'BDAY15', validUntil: '2026-11-30T23:59:59Z' }, { id: 'of-old', title: 'Expired', code: 'OLD', validUntil: '2026-01-01T00:00:00Z' }],
};

describe('candidates for a card', () => {
  const candidates = candidatesFor(profile, catalog, NOW);

  it('takes cart and wishlist items on hand here, once each, with where they are and what they cost now', () => {
    expect(candidates.filter((c) => c.kind === 'cart' || c.kind === 'wishlist').map((c) => [c.kind, c.key])).toEqual([
      ['cart', 'SN-220-42'],
      ['wishlist', 'SW-771-S'],
    ]);
    // Saved at 3,499, 2,899 here now: a price drop, read from the catalog's price.
    expect(candidates[0]).toMatchObject({ price: 2899, previousPrice: 3499, location: 'aisle 4', sizes: ['41', '42', '43'] });
  });

  it('adds what goes with them when it is in stock, and offers that apply and have not expired', () => {
    expect(candidates.filter((c) => c.kind === 'complement').map((c) => [c.key, c.goesWith])).toEqual([
      ['SK-030', 'Trail running shoes'],
      ['SC-015', 'Merino crew sweater'],
    ]);
    expect(candidates.filter((c) => c.kind === 'offer').map((c) => c.key)).toEqual(['of-personal', 'of-autumn-10', 'of-run-2for1']);
  });

  it('says why in words a person uses', () => {
    expect(reasonText(candidates[0]!)).toBe('in the cart; price down from 3,499 to 2,899; in stock, aisle 4 (41, 42, 43)');
    expect(reasonText(candidates.find((c) => c.key === 'SK-030')!)).toBe('goes with the Trail running shoes; in stock, aisle 4');
    expect(reasonText(candidates.find((c) => c.key === 'of-personal')!)).toBe('code BDAY15; until 30 Nov');
  });

  it('makes one model row per candidate after the visit row, the candidate columns set', () => {
    const member = demoRoster(42, 1, 10).members[0]!;
    const visit = visitFeatures({ member, zoneKind: 'pos', dwellSeconds: 12, at: NOW, timezone: 'Europe/Istanbul' });
    expect(visit).toMatchObject({ hourOfDay: 18, weekday: 0, candidateIsVisit: 1, zoneIsPos: 1 });
    const row = candidateFeatures(candidates[0]!);
    expect(row).toMatchObject({ candidateIsVisit: 0, candidateIsCart: 1, candidatePrice: 2899, candidatePriceDropPct: 17.1, candidateInStock: 1, candidateAffinity: 0.5 });
    const specs = [{ name: 'candidateIsVisit', default: 1 }, { name: 'candidateIsCart', default: 0 }, { name: 'hourOfDay', default: 12 }, { name: 'unknownToVitrin', default: 7 }];
    // The visit's row, then the candidate's columns over the visit's.
    expect([...cardBatch(specs, visit, [row]).values]).toEqual([1, 0, 18, 7, 0, 1, 18, 7]);
    expect([...featureBatch(specs, [{ hourOfDay: Number.NaN }]).values]).toEqual([1, 0, 12, 7]);
  });

  it("ranks items and offers by the model's probability, and by the rule when there is none", () => {
    const scores = new Float32Array(candidates.map((c) => (c.key === 'SC-015' ? 0.9 : c.key === 'of-run-2for1' ? 0.8 : 0.1)));
    const ranked = rankCandidates(candidates, scores);
    expect(ranked.suggestions.map((s) => s.sku)).toEqual(['SC-015', 'SN-220-42', 'SW-771-S']);
    expect(ranked.suggestions[0]).toMatchObject({ kind: 'complement', reason: 'complement', score: 0.9 });
    expect(ranked.offers.map((o) => o.id)).toEqual(['of-run-2for1', 'of-personal']);
    const unscored = rankCandidates(candidates, undefined);
    expect(unscored.suggestions.map((s) => [s.sku, s.reason])).toEqual([
      ['SN-220-42', 'price-drop'],
      ['SW-771-S', 'wishlist'],
      ['SK-030', 'complement'],
    ]);
    expect(unscored.suggestions.every((s) => s.score === undefined)).toBe(true);
  });
});
