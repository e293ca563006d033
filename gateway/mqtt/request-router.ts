import type { TSchema } from '@sinclair/typebox';
import { ResponseV1, type Response } from '../contracts/requests.js';
import { contractChecker } from '../contracts/validator.js';
import { isVitrinError, type ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import type { InboundMessage, Lifecycle, MessageBus, Unsubscribe } from '../ports.js';
import type { Topics } from './topics.js';

export interface RequestHandler {
  /** The request payload's schema; checked before `run` sees it. */
  readonly schema: TSchema;
  run(request: unknown): Promise<unknown>;
}

export interface RequestRouterOptions {
  readonly bus: MessageBus;
  readonly topics: Topics;
  readonly handlers: Readonly<Record<string, RequestHandler>>;
  readonly log: Logger;
  readonly onRequest?: (op: string, outcome: 'ok' | 'invalid' | 'failed') => void;
}

const checkResponse = contractChecker(ResponseV1);
const MAX_OP_LENGTH = 32;

/**
 * gateway/request/<op> → gateway/response/<op>, with the caller's transaction id.
 * Every request gets an answer, a malformed one too (with the code and the problems),
 * so a caller never waits for nothing; none of them can stop the gateway.
 */
export class RequestRouter implements Lifecycle {
  private unsubscribe: Unsubscribe | undefined;
  private readonly checkers = new Map<string, (value: unknown) => string[]>();

  constructor(private readonly options: RequestRouterOptions) {
    for (const [op, handler] of Object.entries(options.handlers)) this.checkers.set(op, contractChecker(handler.schema));
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.options.bus.subscribe(this.options.topics.allRequests, (message) => void this.receive(message));
  }

  stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    return Promise.resolve();
  }

  private async receive(message: InboundMessage): Promise<void> {
    const op = (message.topic.split('/').at(-1) ?? '').slice(0, MAX_OP_LENGTH);
    let payload: unknown;
    try {
      payload = JSON.parse(message.payload.toString('utf8'));
    } catch {
      return this.fail(op, null, 'VITRIN_ERR_REQUEST_INVALID', 'the request is not JSON');
    }
    const raw = (payload as { transaction?: unknown } | null)?.transaction;
    const transaction = typeof raw === 'string' && raw.length > 0 && raw.length <= 64 ? raw : null;
    const handler = this.options.handlers[op];
    const check = this.checkers.get(op);
    if (handler === undefined || check === undefined) {
      return this.fail(op, transaction, 'VITRIN_ERR_REQUEST_INVALID', `unknown operation "${op}"; known: ${Object.keys(this.options.handlers).join(', ')}`);
    }
    const problems = check(payload);
    if (problems.length > 0) return this.fail(op, transaction, 'VITRIN_ERR_REQUEST_INVALID', 'the request breaks its schema', problems.slice(0, 10));
    try {
      const data = await handler.run(payload);
      this.options.onRequest?.(op, 'ok');
      await this.respond(op, { schema: 'vitrin.response/1', op, transaction, status: 'ok', data });
    } catch (err) {
      this.options.log.error({ err, op }, 'request failed');
      const code: ErrorCode = isVitrinError(err) ? err.code : 'VITRIN_ERR_REQUEST_FAILED';
      this.options.onRequest?.(op, 'failed');
      await this.respond(op, { schema: 'vitrin.response/1', op, transaction, status: 'error', error: { code, message: err instanceof Error ? err.message : String(err) } });
    }
  }

  private async fail(op: string, transaction: string | null, code: ErrorCode, message: string, details?: string[]): Promise<void> {
    this.options.onRequest?.(op, 'invalid');
    const error = { code, message, ...(details === undefined ? {} : { details }) };
    await this.respond(op === '' ? 'unknown' : op, { schema: 'vitrin.response/1', op, transaction, status: 'error', error });
  }

  private async respond(op: string, response: Response): Promise<void> {
    const problems = checkResponse(response);
    if (problems.length > 0) this.options.log.error({ op, problems }, 'a response breaks vitrin.response/1');
    // Unknown ops answer on their own topic name only if it is a plain word: never echo wildcards or junk into a topic.
    const topicOp = /^[a-z][a-z0-9-]*$/.test(op) ? op : 'unknown';
    try {
      await this.options.bus.publish(this.options.topics.response(topicOp), JSON.stringify(response), { qos: 1, contentType: 'application/json' });
    } catch (err) {
      this.options.log.warn({ err, op: topicOp }, 'response not published');
    }
  }
}
