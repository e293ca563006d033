import type { Config } from '../config/schema.js';
import type { Member } from '../identity/roster.js';

export type Decision =
  | { readonly action: 'show' }
  /** The member is in the holdout group: record that a card would have been shown. */
  | { readonly action: 'hold-out' }
  | { readonly action: 'skip'; readonly reason: 'cooldown' };

/**
 * Whether a member dwelling in a zone gets a card now. The cooldown is per zone, so
 * a card on the floor does not keep the till from getting its own when the member
 * walks up to pay. Consent scopes shape what the card says (see buildCard).
 */
export class CardPolicy {
  private readonly lastCardAt = new Map<string, number>();

  constructor(private readonly settings: Config['cards']) {}

  decide(member: Member, zoneId: string, now: number): Decision {
    const last = this.lastCardAt.get(`${member.id}\u0000${zoneId}`);
    if (last !== undefined && now - last < this.settings.cooldownSeconds * 1000) return { action: 'skip', reason: 'cooldown' };
    return member.holdout ? { action: 'hold-out' } : { action: 'show' };
  }

  /** Holdout decisions count too, so treated and held-out members see the same cadence. */
  record(memberId: string, zoneId: string, now: number): void {
    this.lastCardAt.set(`${memberId}\u0000${zoneId}`, now);
  }

  forget(memberId: string): void {
    for (const key of this.lastCardAt.keys()) if (key.startsWith(`${memberId}\u0000`)) this.lastCardAt.delete(key);
  }
}
