import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { LiveFeed } from '../cards/live-feed.js';
import type { Logger } from '../log.js';
import { adminRoutes, type AdminDeps } from './admin-routes.js';
import { advisorPage } from './advisor-page.js';
import { streamFeed } from './feed-stream.js';

export interface Readiness {
  readonly broker: boolean;
  readonly database: boolean;
  readonly model: boolean;
  /** Every local Bluetooth adapter is scanning (always true for the simulator and replays). */
  readonly radio: boolean;
}

export interface AppDeps {
  readonly log: Logger;
  readonly registry: Registry;
  readonly readiness: () => Readiness;
  readonly live: LiveFeed;
  readonly store: { readonly name: string; readonly simulated: boolean };
  readonly admin?: AdminDeps;
}

/** The HTTP app without a socket, so tests drive it with `app.inject()`. */
export function buildApp(deps: AppDeps): FastifyInstance {
  // forceCloseConnections: advisor pages hold event streams open; shutdown must not wait for them.
  const app = Fastify({ loggerInstance: deps.log as FastifyBaseLogger, disableRequestLogging: true, bodyLimit: 64 * 1024, forceCloseConnections: true });

  app.get('/healthz', () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const checks = deps.readiness();
    const ready = checks.broker && checks.database && checks.model && checks.radio;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', checks });
  });

  app.get('/metrics', async (_request, reply) => {
    return reply.type(deps.registry.contentType).send(await deps.registry.metrics());
  });

  app.get('/advisor', async (_request, reply) => {
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-security-policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
      .send(advisorPage(deps.store));
  });

  app.get('/advisor/cards', async (_request, reply) => reply.header('cache-control', 'no-store').send({ cards: deps.live.current() }));

  app.get('/advisor/events', (request, reply) => {
    streamFeed(request, reply, deps.live);
  });

  adminRoutes(app, deps.admin ?? { token: '', eraseMember: () => Promise.reject(new Error('no admin API')) });

  return app;
}
