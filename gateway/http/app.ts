import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from '../log.js';
import { adminRoutes, type AdminDeps } from './admin-routes.js';
import { adminPage } from './admin-page.js';
import { advisorRoutes, type AdvisorDeps } from './advisor-routes.js';
import { clientErrorHandler, frameworkErrors, installRequestErrors } from './request-errors.js';

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
  readonly store: { readonly name: string; readonly simulated: boolean };
  readonly advisor: AdvisorDeps;
  readonly admin?: AdminDeps;
}

/** The HTTP app without a socket, so tests drive it with `app.inject()`. */
export function buildApp(deps: AppDeps): FastifyInstance {
  // forceCloseConnections: advisor pages hold event streams open; shutdown must not wait for them.
  const app = Fastify({ loggerInstance: deps.log as FastifyBaseLogger, disableRequestLogging: true, bodyLimit: 64 * 1024, forceCloseConnections: true, clientErrorHandler, frameworkErrors });
  installRequestErrors(app);

  app.get('/healthz', () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const checks = deps.readiness();
    const ready = checks.broker && checks.database && checks.model && checks.radio;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', checks });
  });

  app.get('/metrics', async (_request, reply) => {
    return reply.type(deps.registry.contentType).send(await deps.registry.metrics());
  });

  advisorRoutes(app, deps.advisor);

  app.get('/admin', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-security-policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:")
      .send(adminPage(deps.store.name)),
  );

  adminRoutes(app, deps.admin ?? { token: '', eraseMember: () => Promise.reject(new Error('no admin API')) });

  return app;
}
