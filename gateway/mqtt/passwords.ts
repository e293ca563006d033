import { pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

// MQTT passwords are stored as Mosquitto 2.x stores them (mosquitto_passwd, "$7$"):
// PBKDF2-HMAC-SHA512, `$7$<iterations>$<salt, base64>$<64-byte hash, base64>`. The
// same string goes into config, into Mosquitto's password file and is checked by the
// embedded broker, so one hash serves both brokers and no plain password is kept.

/** Mosquitto 2.0 reads exactly 12 bytes of salt; a longer one never matches there. */
const SALT_BYTES = 12;
const HASH_BYTES = 64;
/**
 * Mosquitto checks a password on its one thread while every other client waits, so
 * the count is a trade: about 50 ms per connect on a small box. Vitrin's generated
 * passwords are random (144 bits), for which the count hardly matters.
 */
export const DEFAULT_ITERATIONS = 20_000;
export const MAX_ITERATIONS = 9_999_999;

/** For the config schema: what a stored hash looks like. */
export const PASSWORD_HASH_PATTERN = '^\\$7\\$[1-9][0-9]{0,6}\\$[A-Za-z0-9+/]{16}\\$[A-Za-z0-9+/]{86}==$';
const PATTERN = new RegExp(PASSWORD_HASH_PATTERN);

export interface ParsedHash {
  readonly iterations: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

export function parsePasswordHash(text: string): ParsedHash | undefined {
  if (!PATTERN.test(text)) return undefined;
  const [, , iterations, salt, hash] = text.split('$') as [string, string, string, string, string];
  const parsed = { iterations: Number(iterations), salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
  if (parsed.iterations > MAX_ITERATIONS || parsed.salt.length !== SALT_BYTES || parsed.hash.length !== HASH_BYTES) return undefined;
  return parsed;
}

export function hashPassword(password: string, options: { iterations?: number; salt?: Buffer } = {}): string {
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) throw new RangeError(`iterations must be 1..${MAX_ITERATIONS}`);
  const salt = options.salt ?? randomBytes(SALT_BYTES);
  if (salt.length !== SALT_BYTES) throw new RangeError(`the salt must be ${SALT_BYTES} bytes (Mosquitto reads no other length)`);
  const hash = pbkdf2Sync(password, salt, iterations, HASH_BYTES, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** A password to hand to a terminal or receiver: 144 random bits, safe in URLs and shells. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

/** Off the event loop (the thread pool): a broker checking a login must not stall the pipeline. */
export async function verifyPassword(password: Buffer | string, stored: string): Promise<boolean> {
  const parsed = parsePasswordHash(stored);
  if (parsed === undefined) return false;
  const derived = await new Promise<Buffer>((resolve, reject) =>
    pbkdf2(password, parsed.salt, parsed.iterations, HASH_BYTES, 'sha512', (err, key) => (err === null ? resolve(key) : reject(err))),
  );
  return timingSafeEqual(derived, parsed.hash);
}
