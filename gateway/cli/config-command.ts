import { basename } from 'node:path';
import { loadConfig } from '../config/load.js';
import { ConfigSchema } from '../config/schema.js';
import { configDigest } from '../config/secrets.js';
import { isVitrinError } from '../errors.js';

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

/** `vitrin config check [file]`: every problem with its path; exit 1 when there is any. */
export function configCheck(file: string | undefined, env: NodeJS.ProcessEnv, io: Output): number {
  try {
    const { config, files } = loadConfig({ file, env });
    io.out(`config OK: ${files.map((f) => basename(f)).join(' + ')} (store ${config.store.id}, digest ${configDigest(config)})`);
    return 0;
  } catch (err) {
    if (!isVitrinError(err)) throw err;
    io.err(`${err.code}: ${err.message}`);
    for (const detail of err.details) io.err(`  ${detail}`);
    return 1;
  }
}

/** `vitrin config schema`: the JSON Schema that config/schema.json holds. */
export function configSchemaJson(): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', title: 'Vitrin configuration', ...ConfigSchema }, null, 2)}\n`;
}
