import { createHash } from 'node:crypto';
import type { TSchema } from '@sinclair/typebox';
import { ConfigSchema, type Config } from './schema.js';

/** Dotted paths of every setting the schema marks `secret`, e.g. `mqtt.password`. */
export function secretPaths(schema: TSchema = ConfigSchema, prefix: string[] = []): string[] {
  if ((schema as { secret?: unknown }).secret === true) return [prefix.join('.')];
  const properties = (schema as { properties?: Record<string, TSchema> }).properties;
  if (properties === undefined) return [];
  return Object.entries(properties).flatMap(([key, child]) => secretPaths(child, [...prefix, key]));
}

const SECRET_PATHS = secretPaths();

/** A deep copy with every secret replaced, safe for logs and `gateway/info`. */
export function withoutSecrets(config: Config): Record<string, unknown> {
  const copy = structuredClone(config) as unknown as Record<string, unknown>;
  for (const path of SECRET_PATHS) {
    const keys = path.split('.');
    const last = keys.pop();
    let node: unknown = copy;
    for (const key of keys) node = (node as Record<string, unknown> | undefined)?.[key];
    if (last !== undefined && node !== null && typeof node === 'object' && last in node) {
      (node as Record<string, unknown>)[last] = '[secret]';
    }
  }
  return copy;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Identifies the effective config for fleet comparisons. Secrets are left out, so a
 * rotated password does not look like a config change and cannot be guessed from it.
 */
export function configDigest(config: Config): string {
  return createHash('sha256').update(canonicalJson(withoutSecrets(config))).digest('hex').slice(0, 16);
}
