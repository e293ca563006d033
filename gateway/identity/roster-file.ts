import { contractChecker } from '../contracts/validator.js';
import { RosterFileV1, type RosterFile, type RosterMemberRecord } from '../contracts/roster.js';
import { VitrinError } from '../errors.js';
import type { Member } from './roster.js';

const checkRosterFile = contractChecker(RosterFileV1);

export function memberFromRecord(record: RosterMemberRecord): Member {
  return { id: record.id, identityKey: Buffer.from(record.identityKey, 'hex'), consent: record.consent, holdout: record.holdout, profile: record.profile };
}

export function recordFromMember(member: Member): RosterMemberRecord {
  return {
    id: member.id,
    identityKey: Buffer.from(member.identityKey).toString('hex'),
    consent: member.consent,
    holdout: member.holdout,
    profile: { ...member.profile, segments: [...member.profile.segments], cart: [...member.profile.cart], wishlist: [...member.profile.wishlist], offers: [...member.profile.offers] },
  };
}

/**
 * A roster file's members, checked against vitrin.roster/1. Every problem is listed
 * with its path (at most 20); member ids appear in none of them, since a problem
 * list may end up in a ticket.
 */
export function parseRosterFile(text: string): { readonly rotationExponent?: number; readonly members: Member[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new VitrinError('VITRIN_ERR_ROSTER_INVALID', 'the roster file is not JSON', { cause });
  }
  const problems = checkRosterFile(value);
  if (problems.length > 0) throw new VitrinError('VITRIN_ERR_ROSTER_INVALID', 'the roster file does not match vitrin.roster/1', { details: problems.slice(0, 20) });
  const file = value as RosterFile;
  const seen = new Set<string>();
  const duplicates: string[] = [];
  file.members.forEach((m, i) => {
    if (seen.has(m.id)) duplicates.push(`/members/${i}/id: the same id as an earlier member`);
    seen.add(m.id);
  });
  if (duplicates.length > 0) throw new VitrinError('VITRIN_ERR_ROSTER_INVALID', 'the roster file lists a member twice', { details: duplicates.slice(0, 20) });
  return { ...(file.rotationExponent === undefined ? {} : { rotationExponent: file.rotationExponent }), members: file.members.map(memberFromRecord) };
}
