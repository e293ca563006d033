import type { Config, ZoneConfig } from '../config/schema.js';
import type { Member } from '../identity/roster.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Moment } from '../presence/moments.js';
import type { Clock, EventStore, Scorer } from '../ports.js';
import type { StoreCatalog } from '../catalog/store-catalog.js';
import { candidatesFor, type Candidate } from '../scoring/candidates.js';
import { candidateFeatures, cardBatch, visitFeatures } from '../scoring/features.js';
import { CardPolicy } from '../decide/policy.js';
import { buildCard } from './build-card.js';
import type { RecentCards } from './recent-cards.js';
import { rankCandidates } from './suggestions.js';
import type { LiveFeed } from './live-feed.js';
import type { PosDelivery } from './pos-delivery.js';

export interface CardFlowDeps {
  readonly settings: Pick<Config, 'store' | 'cards' | 'zones'>;
  /** Cards shown lately, for feedback; the card flow adds to it. */
  readonly recent?: RecentCards;
  readonly members: (memberId: string) => Member | undefined;
  readonly scorer: Scorer;
  /** This store's catalog, stock and offers; read at each card, so a new catalog applies at once. */
  readonly catalog: () => StoreCatalog;
  readonly pos: PosDelivery;
  readonly live: LiveFeed;
  readonly store: EventStore;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly log: Logger;
}

/**
 * From presence moments to cards: a member dwelling in a zone where staff can act
 * (a till, the floor, a fitting room) is scored and gets a card; leaving withdraws it.
 * Work for one member runs in order, so a slow score can never put a card up after
 * the member has left.
 */
export class CardFlow {
  private readonly policy: CardPolicy;
  private readonly zones: Map<string, ZoneConfig>;
  private readonly queues = new Map<string, Promise<void>>();
  private lastPrune = 0;
  private settings: CardFlowDeps['settings'];

  constructor(private readonly deps: CardFlowDeps) {
    this.settings = deps.settings;
    this.policy = new CardPolicy(deps.settings);
    this.zones = new Map(deps.settings.zones.map((z) => [z.id, z]));
  }

  handle(moment: Moment): Promise<void> {
    const previous = this.queues.get(moment.memberId) ?? Promise.resolve();
    const next = previous.then(() => this.process(moment)).catch((err: unknown) => {
      this.deps.metrics.cards.inc({ outcome: 'failed' });
      this.deps.log.error({ err, moment: moment.kind, memberId: moment.memberId }, 'card step failed');
    });
    this.queues.set(moment.memberId, next);
    void next.finally(() => {
      if (this.queues.get(moment.memberId) === next) this.queues.delete(moment.memberId);
    });
    return next;
  }

  /** Resolves when every queued step has finished; used on shutdown. */
  async drain(): Promise<void> {
    while (this.queues.size > 0) await Promise.all(this.queues.values());
  }

  /** A config reload: new card settings apply from the next decision on. */
  reconfigure(cards: Config['cards']): void {
    this.settings = { ...this.settings, cards };
    this.policy.reconfigure(this.settings);
  }

  /** A purchase at a till or marked on a tablet: the visit gets no more cards. */
  purchased(memberId: string): void {
    this.policy.purchased(memberId);
  }

  dismissed(memberId: string): void {
    this.policy.dismissed(memberId, this.deps.clock.now());
  }

  private async process(moment: Moment): Promise<void> {
    const now = this.deps.clock.now();
    if (now - this.lastPrune > 60_000) {
      this.policy.prune(now);
      this.lastPrune = now;
    }
    if (moment.kind === 'entered-store') this.policy.visitStarted(moment.memberId);
    if (moment.kind === 'dwelling') await this.offer(moment.memberId, moment.zoneId, moment.since);
    if (moment.kind === 'left') await this.withdraw(moment.memberId, 'left');
  }

  /** Takes the member's card off every till and advisor page; true when there was one. */
  async withdraw(memberId: string, reason: 'left' | 'erased'): Promise<boolean> {
    const now = this.deps.clock.now();
    const withdrawn = await this.deps.pos.withdraw(memberId, reason, now);
    if (reason === 'erased') {
      this.policy.erased(memberId, now);
      this.deps.recent?.forgetMember(memberId);
    }
    if (withdrawn === undefined) return false;
    this.deps.live.withdraw(withdrawn);
    this.deps.store.append({ type: 'card-withdrawn', memberId, at: now, payload: { cardId: withdrawn.cardId, reason } });
    return true;
  }

  private async offer(memberId: string, zoneId: string, since: number): Promise<void> {
    const zone = this.zones.get(zoneId);
    const member = this.deps.members(memberId);
    if (zone === undefined || zone.kind === 'entrance' || member === undefined) return;
    const now = this.deps.clock.now();
    const decision = this.policy.decide(member, zone, now);
    if (decision.action === 'skip') {
      this.deps.metrics.cards.inc({ outcome: decision.reason });
      return;
    }
    const candidates = member.consent.personalisation ? candidatesFor(member.profile, this.deps.catalog(), now) : [];
    const scores = member.consent.personalisation ? await this.score(member, zone, since, now, candidates) : undefined;
    const { suggestions, offers } = rankCandidates(candidates, scores?.subarray(1));
    const propensity = scores?.[0];
    const card = buildCard({
      storeId: this.deps.settings.store.id,
      member,
      zone,
      zoneSince: since,
      at: now,
      ttlSeconds: this.settings.cards.ttlSeconds,
      propensity,
      suggestions,
      offers,
      model: this.deps.scorer.model,
    });
    this.policy.record(memberId, zoneId, now);
    // What the cloud joins exposures and reactions on: the card id, each suggestion's id, its score and the model.
    const summary = {
      cardId: card.cardId,
      zoneId,
      propensity: card.propensity ?? null,
      model: card.model ?? null,
      suggestions: card.suggestions.map((s) => ({ id: s.id, sku: s.sku, kind: s.kind, score: s.score ?? null })),
    };
    if (decision.action === 'hold-out') {
      this.deps.metrics.cards.inc({ outcome: 'held_out' });
      this.deps.store.append({ type: 'card-held-out', memberId, at: now, payload: summary });
      return;
    }
    const terminals = await this.deps.pos.show(card);
    this.deps.recent?.add(card, terminals, now);
    this.deps.live.show(card);
    this.deps.metrics.cards.inc({ outcome: 'shown' });
    this.deps.store.append({ type: 'card-shown', memberId, at: now, payload: { ...summary, terminals } });
    this.deps.log.info({ cardId: card.cardId, zoneId, terminals }, 'card shown');
  }

  /**
   * One model run per card: the visit's row first (its probability is the card's
   * propensity), then one row per candidate. A failed run leaves the card without a
   * score, its suggestions in the rule's order: a till still gets the card.
   */
  private async score(member: Member, zone: ZoneConfig, since: number, now: number, candidates: readonly Candidate[]): Promise<Float32Array | undefined> {
    const visit = visitFeatures({
      member,
      zoneKind: zone.kind,
      dwellSeconds: (now - since) / 1000,
      at: now,
      timezone: this.deps.settings.store.timezone,
    });
    const batch = cardBatch(this.deps.scorer.features, visit, candidates.map(candidateFeatures));
    const stopTimer = this.deps.metrics.modelSeconds.startTimer();
    try {
      return await this.deps.scorer.score(batch);
    } catch (err) {
      this.deps.metrics.cards.inc({ outcome: 'unscored' });
      this.deps.log.error({ err, code: 'VITRIN_ERR_MODEL_RUN' }, 'scoring failed; the card goes out without scores');
      return undefined;
    } finally {
      stopTimer();
    }
  }
}
