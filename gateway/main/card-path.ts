// The path from a dwelling member to a card and back: the store's catalog, the card
// flow that decides and scores, delivery to tills (MQTT) and tablets (live feed), and
// the feedback they send.

import { CardFlow } from '../cards/card-flow.js';
import { FeedbackIntake } from '../cards/feedback-intake.js';
import { LiveFeed } from '../cards/live-feed.js';
import { PosDelivery } from '../cards/pos-delivery.js';
import { RecentCards } from '../cards/recent-cards.js';
import { loadCatalog } from '../catalog/load-catalog.js';
import type { StoreCatalog } from '../catalog/store-catalog.js';
import type { Config } from '../config/schema.js';
import type { Member } from '../identity/roster.js';
import type { LifecycleStack } from '../lifecycle.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Topics } from '../mqtt/topics.js';
import type { Clock, EventStore, MessageBus, Scorer } from '../ports.js';

export interface CardPathParts {
  readonly config: Config;
  readonly dataDir: string;
  readonly bus: MessageBus;
  readonly topics: Topics;
  readonly members: (memberId: string) => Member | undefined;
  readonly scorer: Scorer;
  readonly store: EventStore;
  readonly metrics: Metrics;
  /** false with the embedded broker, which hands tills' feedback over before acknowledging it. */
  readonly subscribeFeedback: boolean;
  readonly clock: Clock;
  readonly log: Logger;
}

export interface CardPath {
  readonly cards: CardFlow;
  readonly pos: PosDelivery;
  readonly live: LiveFeed;
  readonly feedback: FeedbackIntake;
  /** A catalog package from the cloud takes the place of the one on disk. */
  readonly setCatalog: (next: StoreCatalog) => void;
}

/** Publishes every till's present list now and again after each reconnect, until `stack` stops. */
export async function startCardPath(parts: CardPathParts, stack: LifecycleStack): Promise<CardPath> {
  const { config, bus, topics, store, metrics, clock, log } = parts;
  const live = new LiveFeed();
  const pos = new PosDelivery(bus, topics, config.terminals);
  await pos.publishAllPresent();
  const stopRepublishing = pos.republishOnReconnect((err) => log.warn({ err }, 'could not republish the present lists and cards'), () => clock.now());
  stack.onStop('present lists', async () => stopRepublishing());
  let catalog = loadCatalog(parts.dataDir, config.mode === 'demo', log.child({ module: 'catalog' }));
  const recent = new RecentCards();
  const cards = new CardFlow({ settings: config, recent, catalog: () => catalog, members: parts.members, scorer: parts.scorer, pos, live, store, metrics, clock, log: log.child({ module: 'cards' }) });
  const feedback = new FeedbackIntake({
    bus,
    subscribe: parts.subscribeFeedback,
    topics,
    recent,
    store,
    clock,
    log: log.child({ module: 'feedback' }),
    onPurchase: (memberId) => cards.purchased(memberId),
    onDismiss: (memberId) => cards.dismissed(memberId),
    onOutcome: (outcome) => metrics.feedback.inc({ outcome }),
  });
  const setCatalog = (next: StoreCatalog) => {
    catalog = next;
  };
  return { cards, pos, live, feedback, setCatalog };
}
