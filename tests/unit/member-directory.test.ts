import { describe, expect, it } from 'vitest';
import { demoRoster } from '../../gateway/identity/demo-roster.js';
import { MemberDirectory } from '../../gateway/identity/member-directory.js';
import type { Member } from '../../gateway/identity/roster.js';

// Full records (profiles) for cards: demo members from memory, stored ones opened from
// the vault and the last 128 kept. What a card never needs, the identity key, is
// overwritten when a kept record is let go.

const members = demoRoster(5, 200, 10).members;
const held = new Set(members.map((m) => m.id));
const resolver = { has: (id: string) => held.has(id) };
/** The vault opens a fresh record each time, as RosterVault.member does. */
const vault = { member: (id: string): Member | undefined => {
  const m = members.find((x) => x.id === id);
  return m === undefined ? undefined : { ...m, identityKey: Buffer.from(m.identityKey) };
} };

describe('MemberDirectory', () => {
  it('opens a stored member once, and overwrites the kept record’s key when the member is forgotten', () => {
    const directory = new MemberDirectory(resolver, [], vault);
    const first = directory.get(members[0]!.id)!;
    expect(directory.get(members[0]!.id)).toBe(first);
    expect(first.identityKey.some((b) => b !== 0)).toBe(true);
    directory.forget(members[0]!.id);
    expect(first.identityKey.every((b) => b === 0)).toBe(true);
    // Opened again from the vault, whole.
    expect(directory.get(members[0]!.id)!.identityKey).toEqual(Buffer.from(members[0]!.identityKey));
  });

  it('overwrites the key of a record pushed out of the cache, and never returns an erased member', () => {
    const directory = new MemberDirectory(resolver, [], vault);
    const oldest = directory.get(members[0]!.id)!;
    for (const m of members.slice(1, 129)) directory.get(m.id);
    expect(oldest.identityKey.every((b) => b === 0)).toBe(true);
    held.delete(members[5]!.id);
    expect(directory.get(members[5]!.id)).toBeUndefined();
    held.add(members[5]!.id);
  });

  it('leaves demo members’ keys alone: the simulator plays their phones with them', () => {
    const demo = { ...members[7]!, identityKey: Buffer.from(members[7]!.identityKey) };
    const directory = new MemberDirectory(resolver, [demo], vault);
    expect(directory.get(demo.id)).toBe(demo);
    directory.forget(demo.id);
    expect(demo.identityKey.some((b) => b !== 0)).toBe(true);
  });
});
