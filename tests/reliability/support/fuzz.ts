// Hostile payloads: the shapes that break parsers and validators (bytes that are not
// UTF-8, JSON cut off, every JSON type where an object belongs, the right object with
// wrong fields, oversized strings, prototype keys, deep nesting), drawn from a seeded
// generator so that a failure names the seed that reproduces it.

export type Random = () => number;

export const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (random: Random, below: number) => Math.floor(random() * below);

const JUNK_STRINGS = ['', ' ', '\u0000', '\ud800', '😀'.repeat(40), 'a'.repeat(65), 'x'.repeat(5_000), '<script>alert(1)</script>', "'; DROP TABLE events; --", '../../etc/passwd', '%s%s%n', '${jndi:ldap://x}', '__proto__', 'constructor', 'NaN', '1e309', '-0'];
const ACTIONS = ['shown', 'accepted', 'dismissed', 'purchased'];

export function randomBytes(random: Random, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = int(random, 256);
  return out;
}

function junkValue(random: Random, depth = 0): unknown {
  switch (int(random, depth > 2 ? 7 : 10)) {
    case 0:
      return null;
    case 1:
      return pick(random, [0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308, Number.MIN_VALUE]);
    case 2:
      return random() < 0.5;
    case 3:
    case 4:
      return pick(random, JUNK_STRINGS);
    case 5:
      return new Date(int(random, 2 ** 42)).toISOString();
    case 6:
      return int(random, 100);
    case 7:
      return Array.from({ length: int(random, 4) }, () => junkValue(random, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: int(random, 4) }, () => [pick(random, ['cardId', 'action', 'basket', 'items', 'x', '__proto__', 'constructor', 'transaction', 'memberId']), junkValue(random, depth + 1)]));
  }
}

function nested(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** Feedback that looks like feedback, with one or more fields wrong. */
function almostFeedback(random: Random): Record<string, unknown> {
  const base: Record<string, unknown> = {
    schema: 'vitrin.feedback/1',
    cardId: `card-${int(random, 1e6)}`,
    action: pick(random, ACTIONS),
    ...(random() < 0.3 ? { suggestionId: `sg-${int(random, 100)}` } : {}),
    ...(random() < 0.3 ? { basket: { total: int(random, 5_000), currency: 'TRY', items: [{ sku: 'SKU-1', quantity: 1 }] } } : {}),
  };
  const fields = ['schema', 'cardId', 'action', 'suggestionId', 'reason', 'basket', 'at', 'extra'];
  for (let n = int(random, 3); n >= 0; n--) {
    const field = pick(random, fields);
    if (random() < 0.2) delete base[field];
    else base[field] = junkValue(random);
  }
  return base;
}

function almostRequest(random: Random): Record<string, unknown> {
  const base: Record<string, unknown> = { transaction: `t-${int(random, 1e6)}` };
  if (random() < 0.5) base.memberId = pick(random, ['m-demo-9999', 'nobody', '', 'x'.repeat(80), '../m', 'm demo']);
  for (let n = int(random, 3); n >= 0; n--) base[pick(random, ['transaction', 'memberId', 'requestId', 'op', 'extra', '__proto__'])] = junkValue(random);
  return base;
}

/** One hostile MQTT payload for the feedback or request topics. */
export function hostilePayload(random: Random, target: 'feedback' | 'request'): Buffer {
  const valid = JSON.stringify(target === 'feedback' ? almostFeedback(random) : almostRequest(random));
  switch (int(random, 10)) {
    case 0:
      return randomBytes(random, int(random, 200));
    case 1:
      return Buffer.from(valid.slice(0, int(random, valid.length)));
    case 2:
      return Buffer.from(JSON.stringify(junkValue(random)));
    case 3:
      return Buffer.from(pick(random, ['', 'null', 'true', '[]', '{}', '""', '0', '{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}', nested(5_000), '{"a":'.repeat(2_000)]));
    case 4:
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(valid)]);
    case 5:
      return Buffer.from(valid.replace(/"/g, random() < 0.5 ? "'" : ''));
    default:
      return Buffer.from(valid);
  }
}

/** Request op names: the real ones and junk. */
export function hostileOp(random: Random): string {
  return pick(random, ['erase', 'present', 'health', 'reload', 'model-reload', 'sync', 'unknown', 'ERASE', 'x'.repeat(64), 'é', '..', ' ', 'a b', '%00']);
}
