import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { VitrinError } from '../../gateway/errors.js';
import type { Lifecycle } from '../../gateway/ports.js';
import type { CloudRequest, CloudResponse, CloudTransport } from '../../gateway/sync/sync-ports.js';

const gunzipAsync = promisify(gunzip);

export interface HttpCloudTransportOptions {
  /** cloud.url: http(s)://host[:port][/prefix]. */
  readonly url: string;
  /** PEM files; empty strings: not used. */
  readonly tls: { readonly cert: string; readonly key: string; readonly ca: string };
  /** A response larger than this is abandoned (model packages are the largest). */
  readonly maxResponseBytes?: number;
}

/**
 * The cloud over node:http(s): keep-alive connections, a client certificate for mTLS
 * when configured, a deadline per request that destroys the socket, and gzip
 * responses unpacked. Any status resolves; the core decides what it means.
 */
export class HttpCloudTransport implements CloudTransport, Lifecycle {
  private agent: HttpAgent | HttpsAgent | undefined;
  private base: URL | undefined;

  constructor(private readonly options: HttpCloudTransportOptions) {}

  start(): Promise<void> {
    try {
      const base = new URL(this.options.url);
      const { cert, key, ca } = this.options.tls;
      const read = (file: string) => (file === '' ? undefined : readFileSync(file));
      this.agent =
        base.protocol === 'https:'
          ? new HttpsAgent({ keepAlive: true, maxSockets: 4, cert: read(cert), key: read(key), ca: read(ca) })
          : new HttpAgent({ keepAlive: true, maxSockets: 4 });
      this.base = base;
      return Promise.resolve();
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      return Promise.reject(new VitrinError('VITRIN_ERR_CLOUD_CONFIG', `the cloud connection cannot be set up: ${reason}`, { cause }));
    }
  }

  close(): Promise<void> {
    this.agent?.destroy();
    this.agent = undefined;
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return this.close();
  }

  request(request: CloudRequest): Promise<CloudResponse> {
    const { agent, base } = this;
    if (agent === undefined || base === undefined) return Promise.reject(new Error('the cloud transport is not started'));
    const limit = this.options.maxResponseBytes ?? 256 * 1024 * 1024;
    return new Promise<CloudResponse>((resolve, reject) => {
      const send = base.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(
        {
          protocol: base.protocol,
          hostname: base.hostname.replace(/^\[|\]$/g, ''),
          port: base.port === '' ? undefined : Number(base.port),
          path: `${base.pathname.replace(/\/$/, '')}${request.path}`,
          method: request.method,
          agent,
          headers: { ...request.headers, ...(request.body === undefined ? {} : { 'content-length': String(request.body.length) }) },
        },
        (res) => {
          collect(res, limit).then(resolve, reject);
        },
      );
      const deadline = setTimeout(() => req.destroy(new Error(`no answer within ${request.timeoutMs} ms`)), request.timeoutMs);
      req.on('close', () => clearTimeout(deadline));
      req.on('error', (err) => {
        clearTimeout(deadline);
        reject(err);
      });
      req.end(request.body === undefined ? undefined : Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength));
    });
  }
}

function collect(res: IncomingMessage, limit: number): Promise<CloudResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) res.destroy(new Error(`the cloud's answer is larger than ${limit} bytes`));
      else chunks.push(chunk);
    });
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('the connection closed before the answer was complete')));
    res.on('end', () => {
      if (!res.complete) {
        reject(new Error('the connection closed before the answer was complete'));
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      const raw = Buffer.concat(chunks);
      const body = headers['content-encoding'] === 'gzip' ? gunzipAsync(raw) : Promise.resolve(raw);
      body.then((bytes) => resolve({ status: res.statusCode ?? 0, headers, body: bytes }), reject);
    });
  });
}
