import { EraseRequestV1, PlainRequestV1, type EraseRequest } from '../contracts/requests.js';
import type { MemberEraser } from '../identity/erasure.js';
import type { PresenceTracker } from '../presence/tracker.js';
import type { Logger } from '../log.js';
import type { MessageBus } from '../ports.js';
import { RequestRouter, type RequestHandler } from './request-router.js';
import type { Topics } from './topics.js';

export interface GatewayRequestDeps {
  readonly eraser: MemberEraser;
  readonly tracker: PresenceTracker;
  /** The card currently on show for a member, if any. */
  readonly cardOf: (memberId: string) => string | undefined;
  readonly health: () => Record<string, unknown>;
  /** Re-reads the config files and applies what can change while running; says what needs a restart. */
  readonly reload: () => { readonly applied: readonly string[]; readonly restartNeeded: readonly string[] };
  /** Loads the model package from model.dir again; rejects, keeping the model in use, when it fails. */
  readonly reloadModel: () => Promise<unknown>;
  /** Cloud sync now: the outbox goes up, new packages come down; rejects with VITRIN_ERR_CLOUD_OFF when sync is off. */
  readonly sync: () => Promise<unknown>;
}

/** The operations of gateway/request/<op>: erase, present, health, reload, model-reload, sync. */
export function gatewayRequestHandlers(deps: GatewayRequestDeps): Record<string, RequestHandler> {
  return {
    erase: {
      schema: EraseRequestV1,
      run: (request) => {
        const { memberId, requestId } = request as EraseRequest;
        return deps.eraser.erase({ memberId, source: 'mqtt', ...(requestId === undefined ? {} : { requestId }) });
      },
    },
    present: {
      schema: PlainRequestV1,
      run: () =>
        Promise.resolve({
          members: deps.tracker.present().map((m) => {
            const cardId = deps.cardOf(m.memberId);
            return {
              memberId: m.memberId,
              zoneId: m.zoneId ?? null,
              zoneSince: new Date(m.zoneSince).toISOString(),
              firstSeen: new Date(m.firstSeen).toISOString(),
              lastSeen: new Date(m.lastSeen).toISOString(),
              ...(m.distanceM === undefined ? {} : { distanceM: m.distanceM }),
              ...(cardId === undefined ? {} : { cardId }),
            };
          }),
        }),
    },
    health: { schema: PlainRequestV1, run: () => Promise.resolve(deps.health()) },
    reload: { schema: PlainRequestV1, run: () => Promise.resolve(deps.reload()) },
    'model-reload': { schema: PlainRequestV1, run: async () => ({ model: await deps.reloadModel() }) },
    sync: { schema: PlainRequestV1, run: () => deps.sync() },
  };
}

/** The router of gateway/request/<op> with the gateway's operations, answering on gateway/response/<op>. */
export function gatewayRequestRouter(bus: MessageBus, topics: Topics, deps: GatewayRequestDeps, log: Logger): RequestRouter {
  return new RequestRouter({ bus, topics, handlers: gatewayRequestHandlers(deps), log: log.child({ module: 'requests' }) });
}
