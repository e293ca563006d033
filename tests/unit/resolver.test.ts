import { describe, expect, it } from 'vitest';
import { demoRoster } from '../../gateway/identity/demo-roster.js';
import { computeEid } from '../../gateway/identity/eid.js';
import { Resolver } from '../../gateway/identity/resolver.js';
import type { Member } from '../../gateway/identity/roster.js';

const APP_UUID = '6a1d5e0c-8f3b-4c2e-9a7d-2b5f1e3c4d60';
const K = 10;
const NOW = 1_795_000_000_000;
const roster = demoRoster(1, 5, K);
const alice = roster.members[0]!;

function eddystone(member: Member, seconds: number) {
  return { kind: 'eddystone-eid' as const, txPower: -4, eid: computeEid(member.identityKey, K, seconds) };
}

function ibeacon(eid: Buffer, uuid = APP_UUID) {
  return { kind: 'ibeacon' as const, uuid, major: eid.readUInt16BE(0), minor: eid.readUInt16BE(2), measuredPower: -59 };
}

describe('Resolver', () => {
  const resolver = new Resolver(roster, APP_UUID);
  const nowSeconds = NOW / 1000;

  it("recognises a member's current EID, and the previous and next period's (phone clock skew)", () => {
    for (const skew of [-1024, 0, 1024]) {
      expect(resolver.resolve(eddystone(alice, nowSeconds + skew), NOW)).toEqual({ status: 'member', member: alice });
    }
    expect(resolver.resolve(eddystone(alice, nowSeconds + 2048), NOW)).toEqual({ status: 'unknown' });
  });

  it('recognises the 4-byte iBeacon carrier only under the app UUID', () => {
    const eid = computeEid(alice.identityKey, K, nowSeconds);
    expect(resolver.resolve(ibeacon(eid), NOW)).toEqual({ status: 'member', member: alice });
    expect(resolver.resolve(ibeacon(eid, 'f7826da6-4fa2-4e98-8024-bc5b71e0893e'), NOW)).toEqual({ status: 'unknown' });
  });

  it('answers unknown for identifiers of nobody', () => {
    expect(resolver.resolve({ kind: 'eddystone-eid', txPower: 0, eid: new Uint8Array(8) }, NOW)).toEqual({ status: 'unknown' });
  });

  it('never guesses an identifier that two members share', () => {
    // Two members holding the same key collide on every carrier; a real 4-byte
    // collision between different keys behaves the same way in the prefix table.
    const eid = computeEid(alice.identityKey, K, nowSeconds);
    const sameKey: Member = { ...alice, id: 'm-same-key' };
    const ambiguous = new Resolver({ rotationExponent: K, members: [alice, sameKey] }, APP_UUID);
    expect(ambiguous.resolve(ibeacon(eid), NOW)).toEqual({ status: 'ambiguous' });
    expect(ambiguous.resolve(eddystone(alice, nowSeconds), NOW)).toEqual({ status: 'ambiguous' });
  });

  it('ignores members without presence consent, as if they were strangers', () => {
    const withdrawn: Member = { ...alice, consent: { ...alice.consent, presence: false } };
    const r = new Resolver({ rotationExponent: K, members: [withdrawn] }, APP_UUID);
    expect(r.resolve(eddystone(withdrawn, nowSeconds), NOW)).toEqual({ status: 'unknown' });
  });

  it('follows the rotation: a new period resolves the new identifier', () => {
    const later = NOW + 3 * 1024 * 1000;
    expect(resolver.resolve(eddystone(alice, later / 1000), later)).toEqual({ status: 'member', member: alice });
    expect(resolver.resolve(eddystone(alice, nowSeconds), later)).toEqual({ status: 'unknown' });
  });
});
