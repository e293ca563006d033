import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../gateway/errors.js';
import { PACKAGE_ROOT } from '../../gateway/package-root.js';

const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');

describe('README, the front door', () => {
  it('lists every error code with the meaning the code gives it', () => {
    for (const [code, meaning] of Object.entries(ERROR_CODES)) expect(readme).toContain(`| \`${code}\` | ${meaning} |`);
    const listed = [...readme.matchAll(/\| `(VITRIN_ERR_[A-Z_]+)` \|/g)].map((m) => m[1]);
    expect(listed.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('documents the topics the gateway publishes', () => {
    for (const topic of ['gateway/state', 'gateway/info', 'pos/<terminal>/cards', 'pos/<terminal>/present']) {
      expect(readme).toContain(`\`${topic}\``);
    }
  });

  it('gives the two commands of the quick start', () => {
    expect(readme).toContain('npm install\nnpm start');
    expect(readme).toContain('npm test');
  });
});
