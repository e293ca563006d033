import { FeedbackV1, type Feedback, type FeedbackError } from '../contracts/feedback.js';
import { contractChecker } from '../contracts/validator.js';
import type { ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import type { Topics } from '../mqtt/topics.js';
import type { Clock, EventStore, InboundMessage, Lifecycle, MessageBus, Unsubscribe } from '../ports.js';
import type { RecentCards } from './recent-cards.js';

const checkFeedback = contractChecker(FeedbackV1);

export interface FeedbackSource {
  readonly kind: 'pos' | 'tablet';
  /** Terminal id, or the tablet's pairing id. */
  readonly id: string;
  /** Zones the source may act in (tablets); undefined: the card's own terminals decide. */
  readonly zones?: readonly string[];
}

export type FeedbackOutcome = { readonly ok: true } | { readonly ok: false; readonly code: ErrorCode; readonly message: string; readonly problems?: readonly string[] };

export interface FeedbackIntakeOptions {
  readonly bus: MessageBus;
  /**
   * false: tills' messages come straight from the embedded broker (take), which
   * acknowledges them only once taken; true (default): from a subscription on the bus.
   */
  readonly subscribe?: boolean;
  readonly topics: Topics;
  readonly recent: RecentCards;
  readonly store: EventStore;
  readonly clock: Clock;
  readonly log: Logger;
  /** The card flow's suppression: a purchase closes the visit, dismissals add up. */
  readonly onPurchase: (memberId: string) => void;
  readonly onDismiss: (memberId: string) => void;
  readonly onOutcome?: (action: string) => void;
}

/**
 * Feedback about cards, from tills over MQTT and from advisor tablets: checked against
 * vitrin.feedback/1, matched to a card the source was shown, stored joined to the
 * recommendation (card, suggestion, score, model) for the cloud, and fed to the
 * decision policy. Anything wrong is answered to the sender with a code; nothing here
 * can stop the gateway.
 */
export class FeedbackIntake implements Lifecycle {
  private unsubscribe: Unsubscribe | undefined;

  constructor(private readonly options: FeedbackIntakeOptions) {}

  async start(): Promise<void> {
    if (this.options.subscribe === false) return;
    this.unsubscribe = await this.options.bus.subscribe(this.options.topics.allFeedback, (message) => void this.take(message));
  }

  stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    return Promise.resolve();
  }

  /** One piece of feedback from a source; returns what was wrong, if anything. */
  apply(value: unknown, source: FeedbackSource): FeedbackOutcome {
    const problems = checkFeedback(value);
    if (problems.length > 0) return this.refuse('VITRIN_ERR_FEEDBACK_INVALID', 'the feedback breaks vitrin.feedback/1', problems.slice(0, 10));
    const feedback = value as Feedback;
    const now = this.options.clock.now();
    const card = this.options.recent.get(feedback.cardId, now);
    const allowed = card !== undefined && (source.kind === 'pos' ? card.terminals.includes(source.id) : (source.zones ?? []).includes(card.zoneId));
    // The same answer whether the card does not exist or is another terminal's: a till learns nothing about other tills.
    if (card === undefined || !allowed) return this.refuse('VITRIN_ERR_FEEDBACK_UNKNOWN_CARD', `no card ${feedback.cardId} was shown here lately`);
    const suggestion = feedback.suggestionId === undefined ? undefined : card.suggestions.find((s) => s.id === feedback.suggestionId);
    if (feedback.suggestionId !== undefined && suggestion === undefined) {
      return this.refuse('VITRIN_ERR_FEEDBACK_UNKNOWN_CARD', `card ${feedback.cardId} has no suggestion ${feedback.suggestionId}`);
    }
    const at = feedback.at === undefined ? now : Math.min(now, Date.parse(feedback.at));
    const bought = new Set((feedback.basket?.items ?? []).map((i) => i.sku));
    this.options.store.append({
      type: 'feedback',
      memberId: card.memberId,
      at,
      payload: {
        cardId: card.cardId,
        action: feedback.action,
        source: source.kind,
        sourceId: source.id,
        zoneId: card.zoneId,
        model: card.model ?? null,
        ...(suggestion === undefined ? {} : { suggestionId: suggestion.id, sku: suggestion.sku, kind: suggestion.kind, score: suggestion.score ?? null }),
        ...(feedback.reason === undefined ? {} : { reason: feedback.reason }),
        ...(feedback.basket === undefined ? {} : { basket: feedback.basket }),
        // The join the cloud measures uplift with: which of the card's suggestions the basket holds.
        ...(feedback.action === 'purchased' ? { suggestedSkusBought: card.suggestions.filter((s) => bought.has(s.sku)).map((s) => s.sku) } : {}),
      },
    });
    // Committed before the sender hears back (MQTT.js sends the PUBACK after this handler
    // returns; the tablet's HTTP answer waits for it): acknowledged feedback survives a crash.
    let durable = true;
    try {
      this.options.store.flush();
    } catch (err) {
      durable = false;
      this.options.log.error({ err, code: 'VITRIN_ERR_STORE_WRITE' }, 'feedback kept in memory, not yet on disk; retried');
    }
    if (feedback.action === 'purchased') this.options.onPurchase(card.memberId);
    if (feedback.action === 'dismissed') this.options.onDismiss(card.memberId);
    this.options.onOutcome?.(feedback.action);
    return durable ? { ok: true } : { ok: false, code: 'VITRIN_ERR_STORE_WRITE', message: 'the feedback is taken but not yet on disk (the database is busy or full); it is retried' };
  }

  /**
   * A till's message on pos/<terminal>/feedback. Resolves once it is applied (committed,
   * or kept for a retry when the disk is full), so a broker may acknowledge it then;
   * what was wrong goes back to the till on its errors topic without holding that up.
   */
  take(message: InboundMessage): Promise<void> {
    const terminalId = message.topic.split('/').at(-2) ?? '';
    let value: unknown;
    let outcome: FeedbackOutcome;
    try {
      value = JSON.parse(message.payload.toString('utf8'));
      outcome = this.apply(value, { kind: 'pos', id: terminalId });
    } catch {
      outcome = this.refuse('VITRIN_ERR_FEEDBACK_INVALID', 'the feedback is not JSON');
    }
    if (!outcome.ok) void this.answer(terminalId, outcome, value);
    return Promise.resolve();
  }

  private async answer(terminalId: string, outcome: Extract<FeedbackOutcome, { ok: false }>, value: unknown): Promise<void> {
    const cardId = (value as { cardId?: unknown } | undefined)?.cardId;
    const error: FeedbackError = {
      schema: 'vitrin.feedback-error/1',
      code: outcome.code,
      message: outcome.message,
      ...(outcome.problems === undefined ? {} : { problems: [...outcome.problems] }),
      ...(typeof cardId === 'string' && cardId.length <= 64 ? { cardId } : {}),
      at: new Date(this.options.clock.now()).toISOString(),
    };
    try {
      await this.options.bus.publish(this.options.topics.errors(terminalId), JSON.stringify(error), { qos: 1, contentType: 'application/json' });
    } catch (err) {
      this.options.log.warn({ err, terminal: terminalId }, 'feedback error not published');
    }
  }

  private refuse(code: ErrorCode, message: string, problems?: readonly string[]): FeedbackOutcome {
    this.options.onOutcome?.(code === 'VITRIN_ERR_FEEDBACK_INVALID' ? 'invalid' : 'unknown-card');
    return { ok: false, code, message, ...(problems === undefined ? {} : { problems }) };
  }
}
