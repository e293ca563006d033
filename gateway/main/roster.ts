// The member roster at start: stored identities opened with the roster key, plus the
// seeded demo members in demo mode.

import { resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { VitrinError } from '../errors.js';
import { demoRoster } from '../identity/demo-roster.js';
import { RosterCipher } from '../identity/roster-cipher.js';
import { loadRosterKey } from '../identity/roster-key.js';
import { RosterVault } from '../identity/roster-vault.js';
import type { Resolver } from '../identity/resolver.js';
import type { Member, Roster } from '../identity/roster.js';
import type { LifecycleStack } from '../lifecycle.js';
import type { Logger } from '../log.js';
import type { Clock, RosterStore } from '../ports.js';

export interface LoadedRoster {
  /** The rotation exponent, and the demo members; stored members go to the resolver with takeStored. */
  readonly roster: Roster;
  /** Demo members, profiles included; stored members' profiles stay in the vault. */
  readonly inMemory: readonly Member[];
  readonly vault?: RosterVault;
}

/**
 * The roster's frame: the stored roster's vault, opened with the roster key, and in demo
 * mode the seeded members. Outside demo mode the key is required: identity keys are
 * never kept in the clear.
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
  let vault: RosterVault | undefined;
  let k = config.identity.rotationExponent;
  if (key !== undefined) {
    const store = openStore(resolve(config.data.dir));
    await stack.start('roster store', () => store.start(), () => store.stop());
    vault = new RosterVault({ store, cipher: new RosterCipher(key), clock, log: log.child({ module: 'roster' }) });
    k = vault.rotationExponent() ?? k;
  }
  const seeded = demo ? demoRoster(config.simulator.seed, Math.max(config.simulator.members, 1), k).members : [];
  return { roster: { rotationExponent: k, members: seeded }, inMemory: seeded, ...(vault === undefined ? {} : { vault }) };
}

/**
 * Opens every stored member into the resolver, one at a time (VITRIN_ERR_ROSTER_KEY when
 * the key is not the roster's): no array of 100,000 identities waits for the garbage
 * collector after start.
 */
export function takeStored(loaded: LoadedRoster, resolver: Pick<Resolver, 'upsert'>, log: Logger): void {
  const stored = loaded.vault?.eachStored((member) => resolver.upsert(member)) ?? 0;
  log.info({ stored, demo: loaded.inMemory.length, rotationExponent: loaded.roster.rotationExponent }, 'roster loaded');
}
