import type { Card, Withdrawn } from '../contracts/card.js';
import type { Unsubscribe } from '../ports.js';

export type FeedEvent = { readonly type: 'card'; readonly card: Card } | Withdrawn;

/**
 * The cards currently on show, for advisor pages. A new listener first gets every
 * current card, then changes as they happen; a withdrawn card leaves no copy here.
 */
export class LiveFeed {
  private readonly cards = new Map<string, Card>();
  private readonly listeners = new Set<(event: FeedEvent) => void>();

  show(card: Card): void {
    this.cards.set(card.memberId, card);
    this.emit({ type: 'card', card });
  }

  withdraw(event: Withdrawn): void {
    if (!this.cards.delete(event.memberId)) return;
    this.emit(event);
  }

  current(): Card[] {
    return [...this.cards.values()].sort((a, b) => b.issuedAt.localeCompare(a.issuedAt));
  }

  cardFor(memberId: string): Card | undefined {
    return this.cards.get(memberId);
  }

  listen(fn: (event: FeedEvent) => void): Unsubscribe {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  listenerCount(): number {
    return this.listeners.size;
  }

  private emit(event: FeedEvent): void {
    for (const fn of this.listeners) fn(event);
  }
}
