import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import qrcode from 'qrcode-generator';
import type { TabletRegistry } from '../advisor/tablets.js';
import type { ErasureReceipt } from '../contracts/requests.js';
import { isVitrinError } from '../errors.js';

export interface AdminDeps {
  /** http.adminToken; empty turns the admin API off. */
  readonly token: string;
  readonly eraseMember: (memberId: string, requestId: string | undefined) => Promise<ErasureReceipt>;
  /** Loads model.dir's package again; rejects with a coded error, keeping the model in use, when it fails. */
  readonly reloadModel?: () => Promise<unknown>;
  /** Demo mode without a token: the admin API answers clients on this machine only. */
  readonly openOnLoopback?: boolean;
  /** What the admin page shows: gateway, adapters and receivers, zones, terminals, model, sync, recent errors. */
  readonly status?: () => unknown;
  readonly tablets?: TabletRegistry;
  /** Zone ids a tablet may be paired to. */
  readonly zones?: readonly string[];
}

const MEMBER_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/** Compares digests, so neither the token's content nor its length leaks through timing. */
function authorised(request: FastifyRequest, token: string, openOnLoopback: boolean): boolean {
  if (token === '') return openOnLoopback && LOOPBACK.test(request.socket.remoteAddress ?? '');
  const header = request.headers.authorization ?? '';
  const offered = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
  return timingSafeEqual(digest(offered), digest(token));
}

function unauthorised(reply: FastifyReply, enabled: boolean): FastifyReply {
  const message = enabled ? 'the admin API needs Authorization: Bearer <http.adminToken>' : 'the admin API is off: set http.adminToken';
  return reply.code(401).header('www-authenticate', 'Bearer').send({ code: 'VITRIN_ERR_HTTP_UNAUTHORIZED', message });
}

/** Store IT's API under /admin, behind the admin token. */
export function adminRoutes(app: FastifyInstance, deps: AdminDeps): void {
  app.register(
    (admin, _options, done) => {
      admin.addHook('onRequest', async (request, reply) => {
        if (!authorised(request, deps.token, deps.openOnLoopback === true)) return unauthorised(reply, deps.token !== '');
      });

      admin.post<{ Params: { memberId: string }; Body: { requestId?: unknown } | undefined }>('/members/:memberId/erase', async (request, reply) => {
        const { memberId } = request.params;
        const requestId = request.body?.requestId;
        if (!MEMBER_ID.test(memberId) || (requestId !== undefined && (typeof requestId !== 'string' || requestId.length === 0 || requestId.length > 64))) {
          return reply.code(400).send({ code: 'VITRIN_ERR_REQUEST_INVALID', message: 'a member id is 1-64 letters, digits and _.:-; requestId, if given, a string of 1-64 characters' });
        }
        return reply.header('cache-control', 'no-store').send(await deps.eraseMember(memberId, requestId));
      });
      admin.get('/status', async (_request, reply) => reply.header('cache-control', 'no-store').send(deps.status?.() ?? {}));

      admin.post<{ Body: { label?: unknown; zones?: unknown; ttlMinutes?: unknown } | undefined }>('/pairing-codes', async (request, reply) => {
        const { label = 'tablet', zones, ttlMinutes = 15 } = request.body ?? {};
        const known = deps.zones ?? [];
        const valid =
          typeof label === 'string' && label.length > 0 && label.length <= 40 &&
          Array.isArray(zones) && zones.length > 0 && zones.every((z) => typeof z === 'string' && known.includes(z)) &&
          typeof ttlMinutes === 'number' && ttlMinutes >= 1 && ttlMinutes <= 60;
        if (deps.tablets === undefined || !valid) {
          return reply.code(400).send({ code: 'VITRIN_ERR_REQUEST_INVALID', message: `send {label (1-40 characters), zones (of: ${known.join(', ')}), ttlMinutes? (1-60)}` });
        }
        const { code, expiresAt } = deps.tablets.createCode(label, zones as string[], ttlMinutes);
        // The QR code opens the advisor page with the code filled in; the origin is the one store IT reached us by.
        const url = `${request.protocol}://${request.headers.host ?? 'localhost'}/advisor#code=${code}`;
        const qr = qrcode(0, 'M');
        qr.addData(url);
        qr.make();
        return reply.header('cache-control', 'no-store').send({ code, expiresAt, url, qrSvg: qr.createSvgTag({ cellSize: 6, margin: 2, scalable: true }) });
      });

      admin.get('/tablets', async (_request, reply) => reply.header('cache-control', 'no-store').send({ tablets: deps.tablets?.list() ?? [] }));

      admin.delete<{ Params: { id: string } }>('/tablets/:id', async (request, reply) => {
        if (deps.tablets?.revoke(request.params.id) !== true) return reply.code(404).send({ code: 'VITRIN_ERR_REQUEST_INVALID', message: 'no such paired tablet' });
        return reply.send({ revoked: request.params.id });
      });

      admin.post('/model/reload', async (_request, reply) => {
        if (deps.reloadModel === undefined) return reply.code(404).send({ code: 'VITRIN_ERR_REQUEST_INVALID', message: 'no model to reload here' });
        try {
          return reply.send({ model: await deps.reloadModel() });
        } catch (err) {
          const code = isVitrinError(err) ? err.code : 'VITRIN_ERR_REQUEST_FAILED';
          return reply.code(422).send({ code, message: err instanceof Error ? err.message : String(err), ...(isVitrinError(err) ? { details: err.details } : {}) });
        }
      });
      done();
    },
    { prefix: '/admin' },
  );
}
