import type { Member } from './roster.js';
import type { Resolver } from './resolver.js';
import type { RosterVault } from './roster-vault.js';

const CACHE_SIZE = 128;

/**
 * Full members (with profiles) for the card flow. Demo members live in memory; stored
 * members are opened from the vault when a card needs them, and the last few are
 * kept. A member the resolver no longer holds (erased) is never returned, even if a
 * cached or stored copy were still around.
 */
export class MemberDirectory {
  private readonly inMemory: Map<string, Member>;
  private readonly cache = new Map<string, Member>();

  constructor(
    private readonly resolver: Pick<Resolver, 'has'>,
    inMemory: readonly Member[],
    private readonly vault?: Pick<RosterVault, 'member'>,
  ) {
    this.inMemory = new Map(inMemory.map((m) => [m.id, m]));
  }

  get(memberId: string): Member | undefined {
    if (!this.resolver.has(memberId)) return undefined;
    const known = this.inMemory.get(memberId) ?? this.cache.get(memberId);
    if (known !== undefined) return known;
    const opened = this.vault?.member(memberId);
    if (opened === undefined) return undefined;
    if (this.cache.size >= CACHE_SIZE) this.drop(this.cache.keys().next().value!);
    this.cache.set(memberId, opened);
    return opened;
  }

  /** Drops what is kept of a member: it changed or was erased. */
  forget(memberId: string): void {
    this.drop(memberId);
    this.inMemory.delete(memberId);
  }

  /**
   * A record opened from the vault is this directory's alone: its identity key (cards
   * never need it) is overwritten before the record is let go. Demo members' keys are
   * not: the simulator plays their phones with them.
   */
  private drop(memberId: string): void {
    this.cache.get(memberId)?.identityKey.fill(0);
    this.cache.delete(memberId);
  }
}
