export { seededRandom } from '../../gateway/util/seeded-random.js';

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
