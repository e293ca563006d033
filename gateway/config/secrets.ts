import { createHash } from 'node:crypto';
import type { TSchema } from '@sinclair/typebox';
import { ConfigSchema, type Config } from './schema.js';

/** Dotted paths of every setting the schema marks `secret`, e.g. `mqtt.password`; `*` stands for every list item. */
export function secretPaths(schema: TSchema = ConfigSchema, prefix: string[] = []): string[] {
  if ((schema as { secret?: unknown }).secret === true) return [prefix.join('.')];
  const items = (schema as { items?: TSchema }).items;
  if (items !== undefined) return secretPaths(items, [...prefix, '*']);
  const properties = (schema as { properties?: Record<string, TSchema> }).properties;
  if (properties === undefined) return [];
  return Object.entries(properties).flatMap(([key, child]) => secretPaths(child, [...prefix, key]));
}

const SECRET_PATHS = secretPaths();

function redact(node: unknown, keys: readonly string[]): void {
  const [key, ...rest] = keys;
  if (key === undefined || node === null || typeof node !== 'object') return;
  if (key === '*') {
    if (Array.isArray(node)) for (const item of node) redact(item, rest);
    return;
  }
  const record = node as Record<string, unknown>;
  if (!(key in record)) return;
  if (rest.length === 0) record[key] = '[secret]';
  else redact(record[key], rest);
}

/** A deep copy with every secret replaced, safe for logs and `gateway/info`. */
export function withoutSecrets(config: Config): Record<string, unknown> {
  const copy = structuredClone(config) as unknown as Record<string, unknown>;
  for (const path of SECRET_PATHS) redact(copy, path.split('.'));
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
