// The HTTP app as the running gateway serves it: metrics and readiness, the advisor
// tablets' page and feedback, and the admin API and page.

import type { TabletRegistry } from '../advisor/tablets.js';
import type { MergedSource } from '../ble/merged-source.js';
import type { FeedbackIntake } from '../cards/feedback-intake.js';
import type { LiveFeed } from '../cards/live-feed.js';
import type { Config } from '../config/schema.js';
import type { ErasureReceipt } from '../contracts/requests.js';
import { VitrinError } from '../errors.js';
import { buildApp, type Readiness } from '../http/app.js';
import type { Resolver } from '../identity/resolver.js';
import type { LifecycleStack } from '../lifecycle.js';
import type { Logger, RecentProblems } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Topics } from '../mqtt/topics.js';
import { PACKAGE_VERSION } from '../package-root.js';
import type { Clock, MessageBus, RadioControl } from '../ports.js';
import type { PresenceTracker } from '../presence/tracker.js';
import type { ScorerHolder } from '../scoring/scorer-holder.js';
import type { SyncService } from '../sync/sync-service.js';

export interface HttpParts {
  readonly config: Config;
  readonly simulated: boolean;
  readonly startedAt: number;
  readonly readiness: () => Readiness;
  readonly metrics: Metrics;
  readonly tablets: TabletRegistry;
  readonly live: LiveFeed;
  readonly feedback: FeedbackIntake;
  readonly bus: MessageBus;
  readonly topics: Topics;
  readonly eraseMember: (memberId: string, requestId: string | undefined) => Promise<ErasureReceipt>;
  readonly reloadModel: () => Promise<unknown>;
  readonly radios: readonly RadioControl[];
  readonly source: MergedSource;
  readonly members: Resolver;
  readonly tracker: PresenceTracker;
  readonly scorer: ScorerHolder;
  readonly sync: SyncService;
  readonly problems: RecentProblems | undefined;
  readonly clock: Clock;
  readonly log: Logger;
}

/** Builds the app and listens on http.host:http.port, closed when `stack` stops; resolves to its URL. */
export async function startHttp(parts: HttpParts, stack: LifecycleStack): Promise<string> {
  const { config, simulated, bus, topics, log } = parts;
  const store = { name: config.store.name, simulated };
  const app = buildApp({
    log: log.child({ module: 'http' }),
    registry: parts.metrics.registry,
    readiness: parts.readiness,
    store,
    advisor: {
      tablets: parts.tablets,
      live: parts.live,
      store,
      feedback: (value, tablet) => {
        const outcome = parts.feedback.apply(value, { kind: 'tablet', id: tablet.id, zones: tablet.zones });
        // Published like a till's feedback, for integrators watching the store.
        if (outcome.ok) {
          bus.publish(topics.advisorFeedback(tablet.id), JSON.stringify(value), { qos: 1, contentType: 'application/json' }).catch((err: unknown) => log.warn({ err }, 'tablet feedback not published'));
        }
        return outcome;
      },
    },
    admin: {
      token: config.http.adminToken,
      openOnLoopback: config.mode === 'demo',
      eraseMember: parts.eraseMember,
      reloadModel: parts.reloadModel,
      tablets: parts.tablets,
      zones: config.zones.map((z) => z.id),
      status: () => adminStatus(parts),
    },
  });
  let url = '';
  await stack.start(
    'http',
    async () => {
      try {
        url = await app.listen({ host: config.http.host, port: config.http.port });
      } catch (cause) {
        throw new VitrinError('VITRIN_ERR_HTTP_LISTEN', `cannot listen on ${config.http.host}:${config.http.port}`, { cause });
      }
    },
    () => app.close(),
  );
  return url;
}

/** The admin page's picture: gateway, receivers and their sources, zones with their terminals, model, sync, recent errors. */
function adminStatus(parts: HttpParts): unknown {
  const { config, simulated, radios, source, scorer } = parts;
  return {
    gateway: {
      version: PACKAGE_VERSION,
      storeId: config.store.id,
      simulated,
      uptimeSeconds: Math.round((parts.clock.now() - parts.startedAt) / 1000),
      members: parts.members.memberCount(),
      present: parts.tracker.present().length,
    },
    readiness: parts.readiness(),
    receivers: config.receivers.map((r) => {
      const radio = radios.find((x) => x.receiverId === r.id);
      const heard = source.lastHeard(r.id);
      return { id: r.id, zone: r.zone, source: radio !== undefined ? 'adapter' : simulated ? 'simulated' : 'remote', state: radio?.state() ?? null, lastHeard: heard === undefined ? null : new Date(heard).toISOString() };
    }),
    zones: config.zones.map((z) => ({ id: z.id, name: z.name, kind: z.kind, terminals: config.terminals.filter((t) => t.zone === z.id).map((t) => t.id) })),
    model: scorer.model,
    sync: parts.sync.health(),
    recentErrors: parts.problems?.list() ?? [],
  };
}
