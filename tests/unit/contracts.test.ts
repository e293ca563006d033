import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTRACTS, contractJson } from '../../gateway/contracts/index.js';
import { PACKAGE_ROOT } from '../../gateway/package-root.js';

describe('MQTT payload schemas in the repo', () => {
  it.each(Object.entries(CONTRACTS))('%s is the schema the code uses (run npm run contracts after a change)', (file, schema) => {
    expect(readFileSync(join(PACKAGE_ROOT, 'gateway', 'contracts', 'schemas', file), 'utf8')).toBe(contractJson(schema));
  });
});
