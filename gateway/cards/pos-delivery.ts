import type { Card, Withdrawn } from '../contracts/card.js';
import type { Present } from '../contracts/gateway.js';
import type { TerminalConfig } from '../config/schema.js';
import type { MessageBus, Unsubscribe } from '../ports.js';
import type { Topics } from '../mqtt/topics.js';

interface Shown {
  readonly card: Card;
  readonly terminals: readonly string[];
}

/**
 * Puts cards on the POS terminals of the member's zone over MQTT, and keeps each
 * terminal's retained `present` list equal to the cards it currently shows.
 */
export class PosDelivery {
  private readonly shown = new Map<string, Shown>();

  constructor(
    private readonly bus: MessageBus,
    private readonly topics: Topics,
    private readonly terminals: readonly TerminalConfig[],
  ) {}

  /** The id of the card on show for a member, if any. */
  cardOf(memberId: string): string | undefined {
    return this.shown.get(memberId)?.card.cardId;
  }

  terminalsInZone(zoneId: string): string[] {
    return this.terminals.filter((t) => t.zone === zoneId).map((t) => t.id);
  }

  async show(card: Card): Promise<string[]> {
    const terminals = this.terminalsInZone(card.presence.zoneId);
    const previous = this.shown.get(card.memberId);
    this.shown.set(card.memberId, { card, terminals });
    const ttl = Math.max(1, Math.round((Date.parse(card.expiresAt) - Date.parse(card.issuedAt)) / 1000));
    const payload = JSON.stringify(card);
    await Promise.all(
      terminals.map((t) =>
        this.bus.publish(this.topics.cards(t), payload, { qos: 1, messageExpirySeconds: ttl, contentType: 'application/json' }),
      ),
    );
    await this.publishPresent(new Set([...terminals, ...(previous?.terminals ?? [])]));
    return terminals;
  }

  /** Returns the withdrawn card's id, or undefined when the member had none on show. */
  async withdraw(memberId: string, reason: Withdrawn['reason'], at: number): Promise<Withdrawn | undefined> {
    const shown = this.shown.get(memberId);
    if (shown === undefined) return undefined;
    this.shown.delete(memberId);
    const message: Withdrawn = {
      schema: 'vitrin.card/1',
      type: 'withdrawn',
      cardId: shown.card.cardId,
      memberId,
      reason,
      at: new Date(at).toISOString(),
    };
    const payload = JSON.stringify(message);
    await Promise.all(
      shown.terminals.map((t) => this.bus.publish(this.topics.cards(t), payload, { qos: 1, contentType: 'application/json' })),
    );
    await this.publishPresent(new Set(shown.terminals));
    return message;
  }

  /** Publishes every terminal's list, e.g. at start so stale retained lists from a crash are cleared. */
  async publishAllPresent(): Promise<void> {
    await this.publishPresent(new Set(this.terminals.map((t) => t.id)));
  }

  /** Every list again after each reconnect: a broker restarted without persistence has lost the retained ones. */
  republishOnReconnect(onError: (err: unknown) => void, now: () => number = Date.now): Unsubscribe {
    return this.bus.onConnectionChange((connected) => {
      if (!connected) return;
      this.publishAllPresent().catch(onError);
      this.republishCards(now()).catch(onError);
    });
  }

  /**
   * After a reconnect (the broker may have restarted and lost its queues) the cards still
   * valid go out again, with what is left of their lifetime. A till may so get a card
   * twice; its cardId says it is the same one.
   */
  private async republishCards(now: number): Promise<void> {
    await Promise.all(
      [...this.shown.values()].flatMap(({ card, terminals }) => {
        const left = Math.ceil((Date.parse(card.expiresAt) - now) / 1000);
        if (left <= 0) return [];
        const payload = JSON.stringify(card);
        return terminals.map((t) => this.bus.publish(this.topics.cards(t), payload, { qos: 1, messageExpirySeconds: left, contentType: 'application/json' }));
      }),
    );
  }

  private async publishPresent(terminals: ReadonlySet<string>): Promise<void> {
    await Promise.all(
      [...terminals].map((terminalId) => {
        const present: Present = {
          schema: 'vitrin.present/1',
          terminalId,
          members: [...this.shown.values()]
            .filter((s) => s.terminals.includes(terminalId))
            .map(({ card }) => ({
              memberId: card.memberId,
              cardId: card.cardId,
              ...(card.firstName === undefined ? {} : { firstName: card.firstName }),
              since: card.presence.since,
            })),
        };
        const payload = JSON.stringify(present);
        return this.bus.publish(this.topics.present(terminalId), payload, { qos: 1, retain: true, contentType: 'application/json' });
      }),
    );
  }
}
