import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

// The cloud as the gateway sees it, on a real node:http server on loopback: it
// records every uplink batch it receives (with the Idempotency-Key), serves package
// lists, and can misbehave on purpose: 500/503, 429 with Retry-After, slow answers,
// no answer at all, and connections dropped before or after the batch was taken.

export interface ReceivedBatch {
  readonly key: string;
  readonly authorization: string | undefined;
  readonly batchId: string;
  readonly records: readonly { readonly id: string; readonly kind: string; readonly type: string; readonly payload: Record<string, unknown>; readonly recommendationIds?: string[]; readonly memberId?: string }[];
  /** True when the cloud kept the records (answered 2xx, or dropped the connection after keeping them). */
  readonly kept: boolean;
}

export type Behaviour =
  | { readonly kind: 'ok' }
  | { readonly kind: 'status'; readonly status: number; readonly retryAfter?: string }
  | { readonly kind: 'delay'; readonly ms: number }
  /** Keeps the records, then never answers (the client times out). */
  | { readonly kind: 'hang' }
  /** Destroys the socket; `afterKeeping`: once the batch was stored (the answer is lost). */
  | { readonly kind: 'drop'; readonly afterKeeping: boolean };

export interface TestCloudOptions {
  /** Decides what happens to each uplink POST; default: 200. */
  readonly behave?: (attempt: number) => Behaviour;
  /** The package list for a GET; default: 204. */
  readonly packages?: (query: URLSearchParams) => unknown;
  /** Called when a POST's body has been read, before it is answered. */
  readonly onBatch?: (batch: ReceivedBatch) => void;
}

export class TestCloud {
  readonly batches: ReceivedBatch[] = [];
  readonly polls: URLSearchParams[] = [];
  private server: Server | undefined;
  private attempts = 0;
  private readonly held = new Set<ServerResponse>();

  constructor(public options: TestCloudOptions = {}) {}

  get url(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }

  /** Every record the cloud kept, by id, with the keys of the batches that carried it. */
  kept(): Map<string, { readonly type: string; readonly payload: Record<string, unknown>; readonly keys: Set<string> }> {
    const byId = new Map<string, { type: string; payload: Record<string, unknown>; keys: Set<string> }>();
    for (const batch of this.batches) {
      if (!batch.kept) continue;
      for (const r of batch.records) {
        const entry = byId.get(r.id) ?? { type: r.type, payload: r.payload, keys: new Set<string>() };
        entry.keys.add(batch.key);
        byId.set(r.id, entry);
      }
    }
    return byId;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://cloud');
    if (req.method === 'GET' && url.pathname.endsWith('/packages')) {
      this.polls.push(url.searchParams);
      const list = this.options.packages?.(url.searchParams);
      if (list === undefined) res.writeHead(204).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(list));
      return;
    }
    if (req.method !== 'POST' || !url.pathname.endsWith('/records')) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      return;
    }
    const behaviour = this.options.behave?.(++this.attempts) ?? { kind: 'ok' };
    const keeps = behaviour.kind === 'ok' || behaviour.kind === 'delay' || behaviour.kind === 'hang' || (behaviour.kind === 'drop' && behaviour.afterKeeping);
    let body: { batchId: string; records: ReceivedBatch['records'] };
    try {
      body = JSON.parse(gunzipSync(Buffer.concat(chunks)).toString('utf8')) as typeof body;
    } catch {
      res.writeHead(400).end('not gzip JSON');
      return;
    }
    const batch: ReceivedBatch = { key: String(req.headers['idempotency-key'] ?? ''), authorization: req.headers.authorization, batchId: body.batchId, records: body.records, kept: keeps };
    this.batches.push(batch);
    this.options.onBatch?.(batch);
    switch (behaviour.kind) {
      case 'ok':
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: body.records.length }));
        return;
      case 'status':
        res.writeHead(behaviour.status, behaviour.retryAfter === undefined ? {} : { 'retry-after': behaviour.retryAfter }).end(`status ${behaviour.status}`);
        return;
      case 'delay':
        setTimeout(() => res.writeHead(200).end('{}'), behaviour.ms);
        return;
      case 'hang':
        this.held.add(res);
        return;
      case 'drop':
        req.socket.destroy();
        return;
    }
  }
}
