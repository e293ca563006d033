// The member roster at start: stored identities opened with the roster key, plus the
// seeded demo members in demo mode.

import { resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { VitrinError } from '../errors.js';
import { demoRoster } from '../identity/demo-roster.js';
import { RosterCipher } from '../identity/roster-cipher.js';
import { loadRosterKey } from '../identity/roster-key.js';
import { RosterVault } from '../identity/roster-vault.js';
import type { Member, MemberIdentity, Roster } from '../identity/roster.js';
import type { LifecycleStack } from '../lifecycle.js';
import type { Logger } from '../log.js';
import type { Clock, RosterStore } from '../ports.js';

export interface LoadedRoster {
  readonly roster: Roster;
  /** Demo members, profiles included; stored members' profiles stay in the vault. */
  readonly inMemory: readonly Member[];
  readonly vault?: RosterVault;
}

/**
 * The stored roster, opened with the roster key; demo mode adds its seeded members.
 * Outside demo mode the key is required: identity keys are never kept in the clear.
 */
export async function loadRoster(
  config: Config,
  openStore: (dataDir: string) => RosterStore,
  env: NodeJS.ProcessEnv,
  clock: Clock,
  log: Logger,
  stack: LifecycleStack,
): Promise<LoadedRoster> {
  const key = loadRosterKey(env);
  const demo = config.mode === 'demo';
  if (key === undefined && !demo) {
    throw new VitrinError('VITRIN_ERR_ROSTER_KEY', 'production mode needs the roster key (systemd credential roster-key, or VITRIN_ROSTER_KEY): identity keys are stored encrypted');
  }
  let stored: MemberIdentity[] = [];
  let vault: RosterVault | undefined;
  let k = config.identity.rotationExponent;
  if (key !== undefined) {
    const store = openStore(resolve(config.data.dir));
    await stack.start('roster store', () => store.start(), () => store.stop());
    vault = new RosterVault({ store, cipher: new RosterCipher(key), clock, log: log.child({ module: 'roster' }) });
    stored = vault.loadAll();
    k = vault.rotationExponent() ?? k;
  }
  const seeded = demo ? demoRoster(config.simulator.seed, Math.max(config.simulator.members, 1), k).members : [];
  log.info({ stored: stored.length, demo: seeded.length, rotationExponent: k }, 'roster loaded');
  return { roster: { rotationExponent: k, members: [...seeded, ...stored] }, inMemory: seeded, ...(vault === undefined ? {} : { vault }) };
}
