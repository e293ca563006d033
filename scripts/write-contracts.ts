// Writes gateway/contracts/schemas/*.json from the TypeBox definitions (npm run contracts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTRACTS, contractJson } from '../gateway/contracts/index.js';
import { configSchemaJson } from '../gateway/cli/config-command.js';
import { PACKAGE_ROOT } from '../gateway/package-root.js';

for (const [file, schema] of Object.entries(CONTRACTS)) {
  writeFileSync(join(PACKAGE_ROOT, 'gateway', 'contracts', 'schemas', file), contractJson(schema));
}
writeFileSync(join(PACKAGE_ROOT, 'config', 'schema.json'), configSchemaJson());
console.log(`wrote ${Object.keys(CONTRACTS).length} contract schemas and config/schema.json`);
