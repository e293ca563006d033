import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import { VitrinError } from '../errors.js';
import { createRootLogger } from '../log.js';
import { RosterCipher } from '../identity/roster-cipher.js';
import { parseRosterFile } from '../identity/roster-file.js';
import { loadRosterKey } from '../identity/roster-key.js';
import { RosterVault } from '../identity/roster-vault.js';
import type { RosterStore } from '../ports.js';
import { stringFlag, type ParsedArgs } from './args.js';
import type { Output } from './config-command.js';

export interface RosterDeps {
  readonly openRosterStore: (dataDir: string) => RosterStore;
  readonly env: NodeJS.ProcessEnv;
  readonly io: Output;
}

/**
 * `vitrin roster import <file.json> [--config file]`: checks the whole file first, then
 * writes every member, sealed with the roster key, in one transaction into the store's
 * database. A running gateway picks the members up within seconds.
 */
export async function rosterImportCommand(file: string | undefined, args: ParsedArgs, deps: RosterDeps): Promise<number> {
  if (file === undefined) throw new VitrinError('VITRIN_ERR_CLI_USAGE', 'roster import needs a roster file: vitrin roster import <file.json>');
  const { config } = loadConfig({ file: stringFlag(args, 'config'), env: deps.env });
  const key = loadRosterKey(deps.env);
  if (key === undefined) throw new VitrinError('VITRIN_ERR_ROSTER_KEY', 'roster import needs the roster key: the systemd credential roster-key or VITRIN_ROSTER_KEY');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new VitrinError('VITRIN_ERR_ROSTER_INVALID', `cannot read ${file}`, { cause });
  }
  const roster = parseRosterFile(text);
  const store = deps.openRosterStore(resolve(config.data.dir));
  await store.start();
  try {
    const vault = new RosterVault({ store, cipher: new RosterCipher(key), log: createRootLogger('silent') });
    const stored = vault.rotationExponent();
    if (roster.rotationExponent !== undefined && stored !== undefined && stored !== roster.rotationExponent) {
      throw new VitrinError('VITRIN_ERR_ROSTER_INVALID', `the file's rotationExponent ${roster.rotationExponent} differs from the stored roster's ${stored}; every member of a gateway rotates alike`);
    }
    vault.write(roster.members, roster.rotationExponent);
    deps.io.out(JSON.stringify({ imported: roster.members.length, total: vault.count(), rotationExponent: vault.rotationExponent() ?? config.identity.rotationExponent }));
    return 0;
  } finally {
    await store.stop();
  }
}
