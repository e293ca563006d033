import { VitrinError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Clock, Lifecycle, RosterStore, Unsubscribe } from '../ports.js';
import type { RosterCipher } from './roster-cipher.js';
import type { ConsentScopes, Member, MemberIdentity } from './roster.js';
import { slabCopy } from '../util/slabs.js';

export interface RosterVaultOptions {
  readonly store: RosterStore;
  readonly cipher: RosterCipher;
  /** Drives the poll for members imported while running; without it the vault does not poll. */
  readonly clock?: Clock;
  readonly log: Logger;
  readonly pollMs?: number;
}

/**
 * The roster at rest, sealed with the roster key. Opening it checks the key first,
 * so a wrong key is told apart from damage. While running it polls for members
 * written by `vitrin roster import` and hands them to the resolver.
 */
export class RosterVault implements Lifecycle {
  private lastSeq = 0;
  private stopPolling: Unsubscribe | undefined;
  private listener: ((members: readonly MemberIdentity[]) => void) | undefined;

  constructor(private readonly options: RosterVaultOptions) {}

  /**
   * Every stored member's identity (id, key, consent, holdout). Profiles are dropped
   * after opening: with 100,000 members they would be most of the process's memory,
   * and only a card needs one. Throws VITRIN_ERR_ROSTER_KEY when the key is not the roster's.
   */
  loadAll(): MemberIdentity[] {
    const members: MemberIdentity[] = [];
    this.eachStored((member) => members.push(member));
    return members;
  }

  /**
   * loadAll, one member at a time: each identity can be dropped as soon as `take` has it,
   * so 100,000 of them never wait together for a full garbage collection. Returns how many.
   */
  eachStored(take: (member: MemberIdentity) => void): number {
    this.checkKey();
    return this.read(0, take);
  }

  /** Called with members written by another process (`vitrin roster import`) while running. */
  listen(fn: (members: readonly MemberIdentity[]) => void): void {
    this.listener = fn;
  }

  rotationExponent(): number | undefined {
    return this.options.store.rotationExponent();
  }

  /** Seals and writes members in one transaction; the same id replaces the stored member. */
  write(members: readonly Member[], rotationExponent?: number): void {
    this.checkKey();
    const { cipher } = this.options;
    this.options.store.put(
      members.map((m) => ({ id: m.id, sealed: cipher.seal(m) })),
      cipher.keyCheck(),
      rotationExponent,
    );
  }

  /** One member with the profile, opened from disk. */
  member(memberId: string): Member | undefined {
    const row = this.options.store.get(memberId);
    return row === undefined ? undefined : this.options.cipher.open(row.id, row.sealed);
  }

  erase(memberId: string): boolean {
    return this.options.store.remove(memberId);
  }

  count(): number {
    return this.options.store.count();
  }

  start(): Promise<void> {
    this.stopPolling = this.options.clock?.setInterval(() => this.poll(), this.options.pollMs ?? 5_000);
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.stopPolling?.();
    this.stopPolling = undefined;
    return Promise.resolve();
  }

  /** Picks up members written since the last look; public for tests and `gateway/request/reload`. */
  poll(): number {
    try {
      const members: MemberIdentity[] = [];
      this.read(this.lastSeq, (member) => members.push(member));
      if (members.length > 0) {
        this.listener?.(members);
        this.options.log.info({ members: members.length }, 'roster updated');
      }
      return members.length;
    } catch (err) {
      this.options.log.error({ err }, 'roster update not read; the next poll retries');
      return 0;
    }
  }

  /** Page by page, so that opening 100,000 records never holds more than a page of them at once. */
  private read(after: number, take: (member: MemberIdentity) => void): number {
    let count = 0;
    for (let seq = after; ; ) {
      const rows = this.options.store.since(seq, PAGE);
      for (const row of rows) take(identityOf(this.options.cipher.open(row.id, row.sealed)));
      count += rows.length;
      const last = rows.at(-1);
      if (last === undefined) break;
      seq = this.lastSeq = last.seq;
    }
    return count;
  }

  private checkKey(): void {
    const check = this.options.store.keyCheck();
    if (check !== undefined && !this.options.cipher.opensKeyCheck(check)) {
      throw new VitrinError('VITRIN_ERR_ROSTER_KEY', 'the roster key does not open the stored roster: it was imported under another key');
    }
  }
}

const PAGE = 1_000;

/** One shared object per combination of consents: 100,000 members need eight, not 100,000. */
const CONSENTS = new Map<number, ConsentScopes>();
function internConsent(c: ConsentScopes): ConsentScopes {
  const code = (c.presence ? 1 : 0) | (c.personalisation ? 2 : 0) | (c.showName ? 4 : 0);
  let shared = CONSENTS.get(code);
  if (shared === undefined) CONSENTS.set(code, (shared = Object.freeze({ presence: c.presence, personalisation: c.personalisation, showName: c.showName })));
  return shared;
}

function identityOf(member: Member): MemberIdentity {
  // A copy in a shared slab: a slice would keep the whole opened record's buffer alive, and
  // a typed array of its own costs about 200 bytes for 16 (with 100,000 members, 20 MB).
  const identityKey = slabCopy(member.identityKey);
  // The opened record is ours and goes now: its key bytes are overwritten, not left to the
  // allocator. (Its decrypted JSON text, a JavaScript string, cannot be; the collector takes it.)
  member.identityKey.fill(0);
  return { id: member.id, identityKey, consent: internConsent(member.consent), holdout: member.holdout };
}
