import { RosterDeltaV1, type RosterDelta } from '../contracts/sync.js';
import { contractChecker } from '../contracts/validator.js';
import { VitrinError } from '../errors.js';
import type { MemberEraser } from '../identity/erasure.js';
import { memberFromRecord } from '../identity/roster-file.js';
import type { RosterVault } from '../identity/roster-vault.js';
import type { Logger } from '../log.js';
import type { PackageApplier } from './downlink.js';

const checkDelta = contractChecker(RosterDeltaV1);

export interface RosterApplierDeps {
  /** Absent without a roster key: roster deltas are then refused, since keys are never stored in the clear. */
  readonly vault: RosterVault | undefined;
  readonly eraser: MemberEraser;
  /** The rotation exponent the resolver runs with; a delta that changes it takes effect at the next start. */
  readonly rotationExponent: number;
  readonly log: Logger;
}

/** Parses and checks a delta whole; throws VITRIN_ERR_PACKAGE_INVALID listing the problems. */
export function parseRosterDelta(body: Buffer, lastVersion: number): RosterDelta {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (cause) {
    throw new VitrinError('VITRIN_ERR_PACKAGE_INVALID', 'the roster delta is not JSON', { cause });
  }
  const problems = checkDelta(value);
  if (problems.length > 0) throw new VitrinError('VITRIN_ERR_PACKAGE_INVALID', 'the roster delta breaks vitrin.roster-delta/1', { details: problems.slice(0, 20) });
  const delta = value as RosterDelta;
  if (delta.baseVersion !== undefined && delta.baseVersion !== lastVersion) {
    throw new VitrinError('VITRIN_ERR_PACKAGE_INVALID', `the roster delta builds on version ${delta.baseVersion}, this gateway holds ${lastVersion}`);
  }
  const seen = new Set<string>();
  const twice: string[] = [];
  [...delta.upsert.map((m) => m.id), ...delta.remove.map((r) => r.memberId)].forEach((id, i) => {
    if (seen.has(id)) twice.push(`entry ${i}: a member listed twice`);
    seen.add(id);
  });
  if (twice.length > 0) throw new VitrinError('VITRIN_ERR_PACKAGE_INVALID', 'the roster delta lists a member twice', { details: twice.slice(0, 20) });
  return delta;
}

/**
 * A roster delta: members added or changed (keys, consent, holdout, profile with its
 * segments) are sealed into the vault in one transaction and picked up by the
 * resolver at once; members removed, or whose presence consent was withdrawn, are
 * erased exactly as gateway/request/erase erases them, each with a receipt for the
 * cloud. Every write is idempotent and the version is recorded last, so a crash
 * half-way re-applies the same delta after the restart.
 */
export function rosterApplier(deps: RosterApplierDeps): PackageApplier {
  return {
    apply: async (body, _envelope, last) => {
      const delta = parseRosterDelta(body, last?.version ?? 0);
      const vault = deps.vault;
      if (vault === undefined) throw new VitrinError('VITRIN_ERR_PACKAGE_APPLY', 'a roster delta needs the roster key (VITRIN_ROSTER_KEY or the roster-key credential): identity keys are stored encrypted');
      const keep = delta.upsert.filter((m) => m.consent.presence);
      const withdrawn: { readonly memberId: string; readonly requestId?: string }[] = [...delta.upsert.filter((m) => !m.consent.presence).map((m) => ({ memberId: m.id })), ...delta.remove];
      if (keep.length > 0 || delta.rotationExponent !== undefined) {
        try {
          vault.write(keep.map(memberFromRecord), delta.rotationExponent);
        } catch (cause) {
          throw new VitrinError('VITRIN_ERR_PACKAGE_APPLY', 'the roster delta could not be stored', { cause });
        }
        // The vault's listener hands the new records to the resolver and drops cached profiles.
        vault.poll();
      }
      if (delta.rotationExponent !== undefined && delta.rotationExponent !== deps.rotationExponent) {
        deps.log.warn({ stored: delta.rotationExponent, running: deps.rotationExponent }, 'the roster changes the EID rotation exponent: it applies at the next start');
      }
      for (const removal of withdrawn) {
        await deps.eraser.erase({ memberId: removal.memberId, source: 'cloud', ...(removal.requestId === undefined ? {} : { requestId: removal.requestId }) });
      }
      return `${keep.length} member(s) added or changed, ${withdrawn.length} erased`;
    },
  };
}
