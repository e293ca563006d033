import type { Card } from '../contracts/card.js';

/** What feedback about a card is joined with, for suppression and for the cloud. */
export interface ShownCard {
  readonly cardId: string;
  readonly memberId: string;
  readonly zoneId: string;
  readonly terminals: readonly string[];
  readonly issuedAt: number;
  readonly model?: { readonly id: string; readonly version: string };
  readonly suggestions: readonly { readonly id: string; readonly sku: string; readonly kind: string; readonly score?: number }[];
}

/**
 * Cards shown lately, by id: feedback may come minutes after a card was withdrawn (the
 * customer pays after walking away from the till). Bounded by count and age; an
 * erased member's cards go at once.
 */
export class RecentCards {
  private readonly cards = new Map<string, ShownCard>();

  constructor(
    private readonly maxCards = 5_000,
    private readonly maxAgeMs = 24 * 3_600_000,
  ) {}

  add(card: Card, terminals: readonly string[], at: number): void {
    if (this.cards.size >= this.maxCards) this.cards.delete(this.cards.keys().next().value!);
    this.cards.set(card.cardId, {
      cardId: card.cardId,
      memberId: card.memberId,
      zoneId: card.presence.zoneId,
      terminals,
      issuedAt: at,
      ...(card.model === undefined ? {} : { model: card.model }),
      suggestions: card.suggestions.map((s) => ({ id: s.id, sku: s.sku, kind: s.kind, ...(s.score === undefined ? {} : { score: s.score }) })),
    });
  }

  get(cardId: string, now: number): ShownCard | undefined {
    const card = this.cards.get(cardId);
    if (card === undefined || now - card.issuedAt > this.maxAgeMs) return undefined;
    return card;
  }

  forgetMember(memberId: string): void {
    for (const [id, card] of this.cards) if (card.memberId === memberId) this.cards.delete(id);
  }
}
