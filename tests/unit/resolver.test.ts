import { describe, expect, it } from 'vitest';
import { demoRoster } from '../../gateway/identity/demo-roster.js';
import { computeEid } from '../../gateway/identity/eid.js';
import { Resolver } from '../../gateway/identity/resolver.js';
import type { Member, MemberIdentity } from '../../gateway/identity/roster.js';
import { slabCopy } from '../../gateway/util/slabs.js';
import { FakeClock } from '../fakes/fake-clock.js';

const APP_UUID = '6a1d5e0c-8f3b-4c2e-9a7d-2b5f1e3c4d60';
const K = 10;
const NOW = 1_795_000_000_000;
const roster = demoRoster(1, 5, K);
const alice = roster.members[0]!;

function eddystone(member: MemberIdentity, seconds: number) {
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
      expect(resolver.resolve(eddystone(alice, nowSeconds + skew), NOW)).toEqual({ status: 'member', member: { id: alice.id } });
    }
    expect(resolver.resolve(eddystone(alice, nowSeconds + 2048), NOW)).toEqual({ status: 'unknown' });
  });

  it('recognises the 4-byte iBeacon carrier only under the app UUID', () => {
    const eid = computeEid(alice.identityKey, K, nowSeconds);
    expect(resolver.resolve(ibeacon(eid), NOW)).toEqual({ status: 'member', member: { id: alice.id } });
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
    expect(resolver.resolve(eddystone(alice, later / 1000), later)).toEqual({ status: 'member', member: { id: alice.id } });
    expect(resolver.resolve(eddystone(alice, nowSeconds), later)).toEqual({ status: 'unknown' });
  });

  it('agrees with the reference EID computation for every member of a large roster', () => {
    const many = demoRoster(9, 2000, K);
    const r = new Resolver(many, APP_UUID);
    for (const member of many.members) {
      const eid = computeEid(member.identityKey, K, nowSeconds);
      expect(r.resolveEid(eid, NOW)).toEqual({ status: 'member', member: { id: member.id } });
    }
  });

  it('works across the 2^16-second boundary where the temporary key changes', () => {
    const boundary = 0x5f5f0000 * 1000;
    const r = new Resolver(roster, APP_UUID);
    for (const at of [boundary - 1000, boundary, boundary + 1000]) {
      expect(r.resolve(eddystone(alice, at / 1000), at)).toEqual({ status: 'member', member: { id: alice.id } });
    }
  });

  it('has the next period ready before the boundary: crossing it builds nothing while resolving', async () => {
    const clock = new FakeClock(Math.floor(NOW / 1024_000) * 1024_000 + 1000);
    const big = demoRoster(3, 3000, K);
    const r = new Resolver(big, APP_UUID, { clock, sliceSize: 500 });
    await r.start();
    const startup = r.counts().blockingBuilds;
    clock.advance(0); // the background slices run between other work
    expect(r.counts().backgroundBuilds).toBe(1);
    clock.advance(1024_000);
    const member = big.members[2999]!;
    expect(r.resolve(eddystone(member, clock.now() / 1000), clock.now())).toEqual({ status: 'member', member: { id: member.id } });
    expect(r.counts().blockingBuilds).toBe(startup);
    await r.stop();
  });

  it('erases a member at once: no identifier of theirs resolves, others still do', () => {
    const five = demoRoster(1, 5, K);
    const r = new Resolver(five, APP_UUID);
    const [first, second] = [five.members[0]!, five.members[1]!];
    expect(r.erase(first.id)).toBe(true);
    expect(r.erase(first.id)).toBe(false);
    expect(r.resolve(eddystone(first, nowSeconds), NOW)).toEqual({ status: 'unknown' });
    expect(r.resolve(ibeacon(computeEid(first.identityKey, K, nowSeconds)), NOW)).toEqual({ status: 'unknown' });
    expect(r.has(first.id)).toBe(false);
    expect(r.resolve(eddystone(second, nowSeconds), NOW)).toEqual({ status: 'member', member: { id: second.id } });
    expect(r.memberCount()).toBe(4);
  });

  it("keeps its own copy of each key and overwrites the vault's copy (a shared slab) as soon as it takes it", () => {
    const plain = demoRoster(1, 3, K).members;
    const members = plain.map((m) => ({ ...m, identityKey: slabCopy(m.identityKey) }));
    const r = new Resolver({ rotationExponent: K, members }, APP_UUID);
    for (const member of members) expect([...member.identityKey].every((b) => b === 0)).toBe(true);
    expect(r.resolve(eddystone(plain[1]!, nowSeconds), NOW)).toEqual({ status: 'member', member: { id: plain[1]!.id } });

    // Re-read from the vault (a roster update, same key): nothing changes, and that copy is overwritten too.
    const reread = { ...plain[1]!, identityKey: slabCopy(plain[1]!.identityKey) };
    r.upsert(reread);
    expect([...reread.identityKey].every((b) => b === 0)).toBe(true);
    expect(r.resolve(eddystone(plain[1]!, nowSeconds), NOW)).toEqual({ status: 'member', member: { id: plain[1]!.id } });
    // A key that is not a slab copy (demo members, whose phones the simulator plays) is left to its owner.
    const before = plain.map((m) => [...m.identityKey]);
    const demo = new Resolver({ rotationExponent: K, members: plain }, APP_UUID);
    demo.erase(plain[0]!.id);
    expect(plain.map((m) => [...m.identityKey])).toEqual(before);
  });

  it('follows a change of presence consent alone: withdrawn, the member stops resolving; given again, resolves', () => {
    const three = demoRoster(4, 3, K).members;
    const r = new Resolver({ rotationExponent: K, members: three }, APP_UUID);
    const member = three[1]!;
    expect(r.resolve(eddystone(member, nowSeconds), NOW)).toEqual({ status: 'member', member: { id: member.id } });
    r.upsert({ ...member, consent: { ...member.consent, presence: false } });
    expect(r.resolve(eddystone(member, nowSeconds), NOW)).toEqual({ status: 'unknown' });
    expect(r.has(member.id)).toBe(true);
    r.upsert(member);
    expect(r.resolve(eddystone(member, nowSeconds), NOW)).toEqual({ status: 'member', member: { id: member.id } });
    expect(() => r.upsert({ ...member, identityKey: new Uint8Array(15) })).toThrow(RangeError);
    expect(r.resolve(eddystone(member, nowSeconds), NOW)).toEqual({ status: 'member', member: { id: member.id } });
  });

  it('takes a new member and a changed key while running', () => {
    const r = new Resolver(demoRoster(1, 2, K), APP_UUID);
    r.resolve(eddystone(alice, nowSeconds), NOW);
    const newcomer = demoRoster(77, 1, K).members[0]!;
    r.upsert({ ...newcomer, id: 'm-new' });
    expect(r.resolve(eddystone(newcomer, nowSeconds), NOW)).toMatchObject({ status: 'member', member: { id: 'm-new' } });
    const rekeyed = { ...alice, identityKey: Buffer.alloc(16, 7) };
    r.upsert(rekeyed);
    expect(r.resolve(eddystone(alice, nowSeconds), NOW)).toEqual({ status: 'unknown' });
    expect(r.resolve(eddystone(rekeyed, nowSeconds), NOW)).toEqual({ status: 'member', member: { id: rekeyed.id } });
  });

  it('remembers an address for the life of the period only', () => {
    const r = new Resolver(roster, APP_UUID);
    const start = Math.floor(NOW / 1024_000) * 1024_000;
    r.rememberAddress('aa:bb:cc:dd:ee:ff', alice, start + 10);
    expect(r.memberAtAddress('aa:bb:cc:dd:ee:ff', start + 1_000_000)).toEqual({ id: alice.id });
    expect(r.memberAtAddress('aa:bb:cc:dd:ee:ff', start + 1024_000)).toBeUndefined();
    r.rememberAddress('aa:bb:cc:dd:ee:ff', alice, start + 1024_000);
    r.erase(alice.id);
    expect(r.memberAtAddress('aa:bb:cc:dd:ee:ff', start + 1024_000)).toBeUndefined();
  });

  it('keeps the address memory bounded while addresses rotate', () => {
    const r = new Resolver(roster, APP_UUID, { addressCapacity: 100 });
    for (let i = 0; i < 1000; i++) r.rememberAddress(`addr-${i}`, alice, NOW);
    expect(r.memberAtAddress('addr-999', NOW)).toEqual({ id: alice.id });
    expect(r.memberAtAddress('addr-0', NOW)).toBeUndefined();
  });
});
