import { pino } from 'pino';
import { SimulatedStore } from '../../adapters/simulator/simulated-store.js';
import { CardFlow } from '../../gateway/cards/card-flow.js';
import { LiveFeed } from '../../gateway/cards/live-feed.js';
import { PosDelivery } from '../../gateway/cards/pos-delivery.js';
import type { Config } from '../../gateway/config/schema.js';
import { DEMO_CATALOG } from '../../gateway/catalog/demo-catalog.js';
import { StoreCatalog } from '../../gateway/catalog/store-catalog.js';
import { demoRoster } from '../../gateway/identity/demo-roster.js';
import { Resolver } from '../../gateway/identity/resolver.js';
import type { Member, Roster } from '../../gateway/identity/roster.js';
import { createMetrics } from '../../gateway/metrics.js';
import { topicsFor } from '../../gateway/mqtt/topics.js';
import { Pipeline } from '../../gateway/pipeline.js';
import { PresenceTracker } from '../../gateway/presence/tracker.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { LinearScorer } from '../fakes/linear-scorer.js';
import { MemoryBus } from '../fakes/memory-bus.js';
import { MemoryEventStore } from '../fakes/memory-event-store.js';
import { testConfig } from './test-config.js';

export const TEST_FEATURES = [
  { name: 'cartItems', default: 0 },
  { name: 'zoneIsPos', default: 0 },
  { name: 'appSessions7d', default: 0 },
];

/** The core pipeline wired to in-memory fakes and a fake clock, fed by the simulated store. */
export function coreHarness(options: { config?: Config; roster?: Roster<Member> } = {}) {
  const config = options.config ?? testConfig();
  const roster = options.roster ?? demoRoster(config.simulator.seed, config.simulator.members, config.identity.rotationExponent);
  const clock = new FakeClock();
  const log = pino({ level: 'silent' });
  const bus = new MemoryBus();
  const store = new MemoryEventStore();
  const scorer = new LinearScorer(TEST_FEATURES, [0.4, 1, 0.05]);
  const metrics = createMetrics({ mqttConnected: () => bus.isConnected(), outboxDepth: () => store.outboxDepth() });
  const topics = topicsFor(config.store.id);
  const live = new LiveFeed();
  const pos = new PosDelivery(bus, topics, config.terminals);
  const membersById = new Map(roster.members.map((m) => [m.id, m]));
  const catalog = new StoreCatalog(DEMO_CATALOG);
  const cards = new CardFlow({ settings: config, catalog: () => catalog, members: (id) => membersById.get(id), scorer, pos, live, store, metrics, clock, log });
  const source = new SimulatedStore({
    settings: config.simulator,
    roster,
    appUuid: config.identity.appUuid,
    zones: config.zones,
    receivers: config.receivers,
    clock,
    log,
  });
  const pipeline = new Pipeline({
    source,
    resolver: new Resolver(roster, config.identity.appUuid),
    tracker: new PresenceTracker(config),
    cards,
    store,
    metrics,
    clock,
    log,
  });
  return { config, roster, clock, bus, store, scorer, metrics, topics, live, pos, cards, source, pipeline };
}
