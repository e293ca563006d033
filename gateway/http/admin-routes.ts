import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErasureReceipt } from '../contracts/requests.js';
import { isVitrinError } from '../errors.js';

export interface AdminDeps {
  /** http.adminToken; empty turns the admin API off. */
  readonly token: string;
  readonly eraseMember: (memberId: string, requestId: string | undefined) => Promise<ErasureReceipt>;
  /** Loads model.dir's package again; rejects with a coded error, keeping the model in use, when it fails. */
  readonly reloadModel?: () => Promise<unknown>;
}

const MEMBER_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Compares digests, so neither the token's content nor its length leaks through timing. */
function authorised(request: FastifyRequest, token: string): boolean {
  if (token === '') return false;
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
        if (!authorised(request, deps.token)) return unauthorised(reply, deps.token !== '');
      });

      admin.post<{ Params: { memberId: string }; Body: { requestId?: unknown } | undefined }>('/members/:memberId/erase', async (request, reply) => {
        const { memberId } = request.params;
        const requestId = request.body?.requestId;
        if (!MEMBER_ID.test(memberId) || (requestId !== undefined && (typeof requestId !== 'string' || requestId.length === 0 || requestId.length > 64))) {
          return reply.code(400).send({ code: 'VITRIN_ERR_REQUEST_INVALID', message: 'a member id is 1-64 letters, digits and _.:-; requestId, if given, a string of 1-64 characters' });
        }
        return reply.header('cache-control', 'no-store').send(await deps.eraseMember(memberId, requestId));
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
