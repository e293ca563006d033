import { createHash } from 'node:crypto';
import { DEMO_CATALOG } from '../catalog/demo-catalog.js';
import type { Member, ProfileItem, Roster, Tier } from './roster.js';

// A made-up roster for demo mode and the simulated store. Keys are derived from
// the seed so the simulator (which plays the members' phones) and the gateway agree
// without sharing state; real identity keys come from the cloud and are random.

const FIRST_NAMES = ['Elif', 'Mehmet', 'Zeynep', 'Ahmet', 'Ayşe', 'Can', 'Deniz', 'Ece', 'Emre', 'Selin', 'Burak', 'Defne'];
const TIERS: readonly Tier[] = ['none', 'silver', 'gold', 'platinum'];
const SEGMENTS = ['denim-lover', 'new-parent', 'runner', 'gift-buyer', 'workwear', 'sale-hunter'];

/** What demo members save: the demo catalog's first eight items, as a profile records them. */
const CATALOG: readonly ProfileItem[] = DEMO_CATALOG.items.slice(0, 8).map((item) => ({
  sku: item.sku,
  title: item.title,
  category: item.category,
  price: item.price,
  ...(item.previousPrice === undefined ? {} : { previousPrice: item.previousPrice }),
  inStockHere: (DEMO_CATALOG.stock.find((s) => s.sku === item.sku)?.quantity ?? 0) > 0,
}));

function bytes(seed: number, label: string): Buffer {
  return createHash('sha256').update(`vitrin-demo:${seed}:${label}`).digest();
}

function pick<T>(list: readonly T[], byte: number): T {
  return list[byte % list.length]!;
}

function demoMember(seed: number, index: number): Member {
  const b = bytes(seed, `member-${index}`);
  const items = (offset: number, count: number): ProfileItem[] =>
    Array.from({ length: count }, (_, i) => pick(CATALOG, b[offset + i]!)).filter(
      (item, i, all) => all.findIndex((other) => other.sku === item.sku) === i,
    );
  return {
    id: `m-demo-${String(index + 1).padStart(4, '0')}`,
    identityKey: bytes(seed, `identity-key-${index}`).subarray(0, 16),
    consent: { presence: true, personalisation: b[0]! % 8 !== 0, showName: b[1]! % 4 !== 0 },
    holdout: b[2]! % 10 === 0,
    profile: {
      firstName: pick(FIRST_NAMES, index),
      tier: pick(TIERS, b[3]!),
      segments: [pick(SEGMENTS, b[4]!), pick(SEGMENTS, b[5]!)].filter((s, i, all) => all.indexOf(s) === i),
      recencyDays: b[6]! % 120,
      frequency90d: b[7]! % 9,
      monetary90d: (b[8]! % 40) * 150,
      appSessions7d: b[9]! % 15,
      visitsThisWeek: b[10]! % 3,
      cart: items(11, b[16]! % 3),
      wishlist: items(20, 1 + (b[17]! % 3)),
      offers: b[18]! % 2 === 0 ? [{ id: 'of-autumn-10', title: '10% off knitwear', code: 'AUTUMN10', validUntil: '2026-12-31T23:59:59Z' }] : [],
      ...(b[19]! % 5 === 0 ? { openServiceCase: 'Alteration ready for pickup' } : {}),
    },
  };
}

/** `count` demo members. The first one always has every consent and is never held out, so the demo shows a card. */
export function demoRoster(seed: number, count: number, rotationExponent: number): Roster<Member> {
  const members = Array.from({ length: count }, (_, i) => demoMember(seed, i));
  if (members[0] !== undefined) {
    members[0] = { ...members[0], holdout: false, consent: { presence: true, personalisation: true, showName: true } };
  }
  return { rotationExponent, members };
}
