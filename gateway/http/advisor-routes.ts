import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Tablet, TabletRegistry } from '../advisor/tablets.js';
import type { FeedbackOutcome } from '../cards/feedback-intake.js';
import type { LiveFeed } from '../cards/live-feed.js';
import { isVitrinError } from '../errors.js';
import { advisorPage } from './advisor-page.js';
import { streamFeed } from './feed-stream.js';

export interface AdvisorDeps {
  readonly tablets: TabletRegistry;
  readonly live: LiveFeed;
  /** Feedback from a tablet, exactly as a till's: checked, stored, published. */
  readonly feedback: (value: unknown, tablet: Tablet) => FeedbackOutcome;
  readonly store: { readonly name: string; readonly simulated: boolean };
}

const COOKIE = 'vitrin_tablet';
const ONE_YEAR_S = 365 * 24 * 3600;

function tokenOf(request: FastifyRequest): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return value.join('=');
  }
  return undefined;
}

function cookie(request: FastifyRequest, token: string, maxAge: number): string {
  // Secure only where the page really came over TLS (a reverse proxy in front); stores often serve it plain on the LAN.
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `${COOKIE}=${token}; Path=/advisor; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure}`;
}

/** The advisor tablets' page and API under /advisor. Everything but the page and pairing needs a paired tablet. */
export function advisorRoutes(app: FastifyInstance, deps: AdvisorDeps): void {
  const tabletOf = (request: FastifyRequest, reply: FastifyReply): Tablet | undefined => {
    const tablet = deps.tablets.byToken(tokenOf(request));
    if (tablet === undefined) {
      void reply.code(401).header('cache-control', 'no-store').send({ code: 'VITRIN_ERR_TABLET_UNAUTHORIZED', message: 'pair this tablet with a code from store IT' });
    }
    return tablet;
  };

  app.get('/advisor', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-security-policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:")
      .header('referrer-policy', 'no-referrer')
      .send(advisorPage(deps.store)),
  );

  app.post<{ Body: { code?: unknown } | undefined }>('/advisor/pair', async (request, reply) => {
    const code = request.body?.code;
    if (typeof code !== 'string' || code.length > 32) return reply.code(400).send({ code: 'VITRIN_ERR_PAIRING', message: 'send {"code": "…"} with the code from store IT' });
    try {
      const { tablet, token } = deps.tablets.redeem(code);
      return reply.header('set-cookie', cookie(request, token, ONE_YEAR_S)).header('cache-control', 'no-store').send({ tablet });
    } catch (err) {
      if (!isVitrinError(err)) throw err;
      return reply.code(403).send({ code: err.code, message: err.message });
    }
  });

  app.post('/advisor/unpair', async (request, reply) => reply.header('set-cookie', cookie(request, '', 0)).send({ ok: true }));

  app.get('/advisor/me', async (request, reply) => {
    const tablet = tabletOf(request, reply);
    if (tablet === undefined) return reply;
    return reply.header('cache-control', 'no-store').send({ tablet });
  });

  app.get('/advisor/cards', async (request, reply) => {
    const tablet = tabletOf(request, reply);
    if (tablet === undefined) return reply;
    return reply.header('cache-control', 'no-store').send({ cards: deps.live.current().filter((c) => tablet.zones.includes(c.presence.zoneId)) });
  });

  app.get('/advisor/events', (request, reply) => {
    const tablet = tabletOf(request, reply);
    if (tablet === undefined) return;
    streamFeed(request, reply, deps.live, (card) => tablet.zones.includes(card.presence.zoneId));
  });

  app.post('/advisor/feedback', async (request, reply) => {
    const tablet = tabletOf(request, reply);
    if (tablet === undefined) return reply;
    const outcome = deps.feedback(request.body, tablet);
    if (outcome.ok) return reply.send({ ok: true });
    // Taken and kept in memory, written when the disk allows: the advisor must not send it again.
    if (outcome.code === 'VITRIN_ERR_STORE_WRITE') return reply.code(202).send({ ok: true, stored: false, code: outcome.code, message: outcome.message });
    return reply.code(outcome.code === 'VITRIN_ERR_FEEDBACK_INVALID' ? 400 : 404).send({ code: outcome.code, message: outcome.message, ...(outcome.problems === undefined ? {} : { problems: outcome.problems }) });
  });
}
