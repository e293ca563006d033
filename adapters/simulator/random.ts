/** mulberry32: a small seeded PRNG, so a simulated store replays the same way every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal sample (Box-Muller). */
export function gaussian(random: () => number): number {
  const u = Math.max(random(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export function randomBytes(random: () => number, count: number): Uint8Array {
  return Uint8Array.from({ length: count }, () => Math.floor(random() * 256));
}

/** A random static or resolvable private address, as phones use. */
export function randomAddress(random: () => number): string {
  const bytes = randomBytes(random, 6);
  bytes[0] = (bytes[0]! & 0x3f) | 0x40; // resolvable private address: top bits 01
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}
