import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml, parseDocument } from 'yaml';
import { VitrinError } from '../errors.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { ConfigSchema, type Config } from './schema.js';
import { configProblems } from './validate.js';

export const DEFAULT_CONFIG_FILE = join(PACKAGE_ROOT, 'config', 'default.yaml');

/** VITRIN_* variables that are not config overrides. */
const RESERVED_ENV = new Set(['VITRIN_CONFIG', 'VITRIN_ROSTER_KEY']);

export interface LoadedConfig {
  readonly config: Readonly<Config>;
  /** The files read, in merge order, for `vitrin config check` and the start log. */
  readonly files: readonly string[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function readYaml(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new VitrinError('VITRIN_ERR_CONFIG_UNREADABLE', `cannot read config file ${file}`, { cause });
  }
  let parsed: unknown;
  let warnings: string[];
  try {
    // parseDocument collects what yaml's parse() would print as Node process warnings
    // (an unknown tag such as !!js/function, an unknown %YAML version): such a file does
    // not say what its author meant, so it is refused with the rest, not half-read.
    const doc = parseDocument(text, { prettyErrors: true });
    if (doc.errors[0] !== undefined) throw doc.errors[0];
    warnings = doc.warnings.map((w) => w.message.split('\n')[0]!);
    parsed = doc.toJS();
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new VitrinError('VITRIN_ERR_CONFIG_UNREADABLE', `${file} is not valid YAML: ${reason}`, { cause });
  }
  if (warnings.length > 0) {
    throw new VitrinError('VITRIN_ERR_CONFIG_UNREADABLE', `${file} has YAML the gateway does not read: ${warnings.join('; ')}`);
  }
  return parsed ?? {};
}

/** Objects merge key by key; lists and scalars from `over` replace. */
export function mergeConfig(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over === undefined ? base : over;
  const merged: Json = { ...base };
  for (const [key, value] of Object.entries(over)) merged[key] = mergeConfig(base[key], value);
  return merged;
}

function schemaKeys(path: readonly string[]): string[] | undefined {
  let node: unknown = ConfigSchema;
  for (const key of path) node = (node as { properties?: Json }).properties?.[key];
  const properties = (node as { properties?: Json } | undefined)?.properties;
  return properties === undefined ? undefined : Object.keys(properties);
}

/**
 * VITRIN_HTTP__PORT=8081 sets http.port. Segments match setting names without regard
 * to case, so VITRIN_MQTT__EMBEDDED__PORT works although the key is camelCase.
 * Values are read as YAML scalars, so numbers and booleans keep their type.
 */
export function applyEnvOverrides(config: unknown, env: NodeJS.ProcessEnv): { config: unknown; problems: string[] } {
  const problems: string[] = [];
  let result = config;
  for (const [name, raw] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (!name.startsWith('VITRIN_') || RESERVED_ENV.has(name) || raw === undefined) continue;
    const path: string[] = [];
    for (const segment of name.slice('VITRIN_'.length).split('__')) {
      const key = schemaKeys(path)?.find((k) => k.toLowerCase() === segment.toLowerCase());
      if (key === undefined) {
        path.length = 0;
        break;
      }
      path.push(key);
    }
    if (path.length === 0 || schemaKeys(path) !== undefined) {
      problems.push(`${name}: names no setting (use VITRIN_<SECTION>__<SETTING>, e.g. VITRIN_HTTP__PORT)`);
      continue;
    }
    let value: unknown;
    try {
      value = raw === '' ? '' : parseYaml(raw);
    } catch {
      value = raw;
    }
    const patch = path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
    result = mergeConfig(result, patch);
  }
  return { config: result, problems };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * Reads the defaults, the store's file and the environment once, checks the result
 * against the schema and returns it frozen. Throws VITRIN_ERR_CONFIG_INVALID listing
 * every problem with its path.
 */
export function loadConfig(options: { file?: string | undefined; env?: NodeJS.ProcessEnv } = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const storeFile = options.file ?? env.VITRIN_CONFIG;
  const files = [DEFAULT_CONFIG_FILE, ...(storeFile === undefined || storeFile === '' ? [] : [resolve(storeFile)])];
  const merged = files.map(readYaml).reduce(mergeConfig, {});
  const { config, problems: envProblems } = applyEnvOverrides(merged, env);
  const problems = [...envProblems, ...configProblems(config)];
  if (problems.length > 0) {
    throw new VitrinError('VITRIN_ERR_CONFIG_INVALID', `config has ${problems.length} problem(s)`, { details: problems });
  }
  return { config: deepFreeze(config as Config), files };
}
