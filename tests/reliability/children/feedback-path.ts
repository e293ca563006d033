// A child process of the crash cycles: the gateway's feedback path alone, composed as
// gateway/main.ts composes it (SqliteEventStore, FeedbackIntake on the MqttBus, the
// HTTP app with the advisor routes and the tablet registry), without radio, scoring or
// cards. It loads its modules first and opens the database only when the parent says
// so, so that the next cycle's child is warm while the current one is under load.
// The parent kills it with SIGKILL; nothing here ever stops cleanly on purpose.

import { resolve } from 'node:path';
import { pino } from 'pino';
import { SystemClock } from '../../../adapters/clock/system-clock.js';
import { MqttBus } from '../../../adapters/mqtt/mqtt-bus.js';
import { SqliteEventStore } from '../../../adapters/sqlite/sqlite-event-store.js';
import { TabletRegistry } from '../../../gateway/advisor/tablets.js';
import { FeedbackIntake } from '../../../gateway/cards/feedback-intake.js';
import { LiveFeed } from '../../../gateway/cards/live-feed.js';
import { RecentCards } from '../../../gateway/cards/recent-cards.js';
import type { Card } from '../../../gateway/contracts/card.js';
import { buildApp } from '../../../gateway/http/app.js';
import { createMetrics } from '../../../gateway/metrics.js';
import { topicsFor } from '../../../gateway/mqtt/topics.js';

export interface Go {
  readonly dataDir: string;
  readonly mqttUrl: string;
  readonly storeId: string;
  readonly card: Card;
  readonly terminal: string;
  /** Pair a tablet for the card's zone and send its token back (the first cycle). */
  readonly pair: boolean;
}

export interface Ready {
  readonly httpUrl: string;
  readonly token?: string;
}

async function run(go: Go): Promise<Ready> {
  const log = pino({ level: 'silent' });
  const clock = new SystemClock();
  const topics = topicsFor(go.storeId);
  const store = new SqliteEventStore({ dataDir: resolve(go.dataDir), log, clock });
  await store.start();
  const bus = new MqttBus({
    url: go.mqttUrl,
    // One client id across the cycles, with a kept session, as the gateway connects to Mosquitto.
    clientId: 'vitrin-gateway',
    persistentSession: true,
    protocolVersion: 4,
    will: { topic: topics.state, payload: 'offline', qos: 1, retain: true },
    log,
    connectTimeoutMs: 5_000,
    reconnectPeriodMs: 2_000,
  });
  await bus.start();
  const recent = new RecentCards();
  recent.add(go.card, [go.terminal], clock.now());
  const feedback = new FeedbackIntake({ bus, topics, recent, store, clock, log, onPurchase: () => undefined, onDismiss: () => undefined });
  await feedback.start();
  const tablets = new TabletRegistry(resolve(go.dataDir), clock);
  const app = buildApp({
    log,
    registry: createMetrics({ mqttConnected: () => bus.isConnected(), outboxDepth: () => store.outboxDepth() }).registry,
    readiness: () => ({ broker: bus.isConnected(), database: store.isWritable(), model: true, radio: true }),
    store: { name: 'crash cycles', simulated: true },
    advisor: { tablets, live: new LiveFeed(), store: { name: 'crash cycles', simulated: true }, feedback: (value, tablet) => feedback.apply(value, { kind: 'tablet', id: tablet.id, zones: tablet.zones }) },
  });
  const httpUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  if (!go.pair) return { httpUrl };
  const { code } = tablets.createCode('crash cycles', [go.card.presence.zoneId], 15);
  return { httpUrl, token: tablets.redeem(code).token };
}

process.on('message', (message: { go?: Go }) => {
  if (message.go === undefined) return;
  run(message.go).then(
    (ready) => process.send?.({ ready }),
    (err: unknown) => process.send?.({ failed: err instanceof Error ? err.message : String(err) }),
  );
});
process.send?.({ loaded: true });
