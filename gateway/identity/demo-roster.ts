import { createHash } from 'node:crypto';
import type { Member, ProfileItem, Roster, Tier } from './roster.js';

// A made-up roster for demo mode and the simulated store. Keys are derived from
// the seed so the simulator (which plays the members' phones) and the gateway agree
// without sharing state; real identity keys come from the cloud and are random.

const FIRST_NAMES = ['Elif', 'Mehmet', 'Zeynep', 'Ahmet', 'Ayşe', 'Can', 'Deniz', 'Ece', 'Emre', 'Selin', 'Burak', 'Defne'];
const TIERS: readonly Tier[] = ['none', 'silver', 'gold', 'platinum'];
const SEGMENTS = ['denim-lover', 'new-parent', 'runner', 'gift-buyer', 'workwear', 'sale-hunter'];

const CATALOG: readonly ProfileItem[] = [
  { sku: 'JN-501-32', title: 'Straight leg jeans', category: 'denim', price: 1299, inStockHere: true },
  { sku: 'SN-220-42', title: 'Trail running shoes', category: 'shoes', price: 2899, previousPrice: 3499, inStockHere: true },
  { sku: 'JK-118-M', title: 'Quilted light jacket', category: 'outerwear', price: 2199, inStockHere: true },
  { sku: 'TS-004-L', title: 'Organic cotton tee', category: 'tops', price: 349, inStockHere: true },
  { sku: 'BG-310', title: 'Leather tote bag', category: 'accessories', price: 1899, previousPrice: 2299, inStockHere: false },
  { sku: 'SW-771-S', title: 'Merino crew sweater', category: 'knitwear', price: 1599, inStockHere: true },
  { sku: 'DR-090-38', title: 'Linen summer dress', category: 'dresses', price: 1499, previousPrice: 1799, inStockHere: true },
  { sku: 'SC-015', title: 'Wool scarf', category: 'accessories', price: 499, inStockHere: true },
];

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
