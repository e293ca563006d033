import { connect } from 'node:net';
import { hostilePayload, pick, randomBytes, type Random } from './fuzz.js';

// Malformed HTTP for the gateway's routes: bodies that are not JSON or not the right
// JSON, bodies over the limit, wrong content types, methods and paths no route has,
// missing and forged credentials; and, over a raw socket, requests no HTTP client would
// send: broken request lines, header junk, lying lengths, broken chunking.

export interface HttpCase {
  readonly kind: string;
  readonly method?: string;
  readonly path?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** Sent as is over a socket. */
  readonly raw?: Buffer;
}

export interface Credentials {
  readonly tablet: string;
  readonly admin: string;
}

const JSON_TYPE = { 'content-type': 'application/json' };

function junkPath(random: Random): string {
  return pick(random, [
    '/advisor/%ZZ',
    '/admin/members/%00/erase',
    `/advisor/${'a'.repeat(4_000)}`,
    '//admin//status',
    '/admin/tablets/%F0%9F%98%80',
    '/advisor/feedback;jsessionid=1',
    '/advisor/feedback/',
    '/ADMIN/STATUS',
    `/admin/members/${'x'.repeat(200)}/erase`,
  ]);
}

const RAW_REQUESTS = [
  'GARBAGE\r\n\r\n',
  'GET\r\n\r\n',
  'GET /healthz HTTP/9.9\r\n\r\n',
  'GET /advisor/cards HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n',
  'GET /advisor/cards HTTP/1.1\r\nHost: x\r\nX: \u0000\r\n\r\n',
  'POST /advisor/feedback HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 9\r\n\r\n{}',
  'POST /advisor/feedback HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
  'POST /advisor/pair HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n',
  'POST /advisor/pair HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n',
  `GET /admin/status HTTP/1.1\r\nHost: x\r\nCookie: ${'c'.repeat(20_000)}\r\n\r\n`,
  `GET /admin/status HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 3_000 }, (_, i) => `X-${i}: ${i}`).join('\r\n')}\r\n\r\n`,
  'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
  'GET /healthz HTTP/1.1\r\nHost: x\r\n folded: header\r\n\r\n',
  'GET /advisor/me HTTP/1.1\n\n',
  // Dot segments as sent, not as a client would normalise them.
  'GET /advisor/../admin/status HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /admin/%2e%2e/advisor/cards HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET http://evil.example/admin/status HTTP/1.1\r\nHost: evil.example\r\n\r\n',
];

const ADMIN_ROUTES: readonly [string, string][] = [
  ['GET', '/admin/status'],
  ['GET', '/admin/tablets'],
  ['POST', '/admin/pairing-codes'],
  ['POST', '/admin/model/reload'],
  ['POST', '/admin/members/m-demo-0001/erase'],
  ['DELETE', '/admin/tablets/x'],
];
const TABLET_ROUTES: readonly [string, string][] = [
  ['GET', '/advisor/me'],
  ['GET', '/advisor/cards'],
  ['POST', '/advisor/feedback'],
  ['GET', '/advisor/events'],
];

export function httpCase(random: Random, credentials: Credentials): HttpCase {
  const roll = random();
  const tablet = { cookie: `vitrin_tablet=${credentials.tablet}` };
  const admin = { authorization: `Bearer ${credentials.admin}` };
  if (roll < 0.3) return { kind: 'tablet feedback, hostile body', method: 'POST', path: '/advisor/feedback', headers: { ...JSON_TYPE, ...tablet }, body: hostilePayload(random, 'feedback') };
  if (roll < 0.38) return { kind: 'pairing, hostile body', method: 'POST', path: '/advisor/pair', headers: JSON_TYPE, body: hostilePayload(random, 'request') };
  if (roll < 0.48) {
    const path = pick(random, ['/admin/pairing-codes', '/admin/members/%20/erase', '/admin/members/..%2F..%2Fetc/erase', `/admin/members/${'m'.repeat(70)}/erase`]);
    return { kind: 'admin API with the token, hostile body', method: 'POST', path, headers: { ...JSON_TYPE, ...admin }, body: hostilePayload(random, 'request') };
  }
  if (roll < 0.56) {
    const authorization = pick(random, ['', 'Bearer', 'Bearer ', `Bearer ${credentials.tablet}`, 'Basic YWRtaW46YWRtaW4=', `bearer ${credentials.admin}`, `Bearer ${credentials.admin}x`, `Bearer ${'a'.repeat(5_000)}`]);
    const [method, path] = pick(random, ADMIN_ROUTES);
    return { kind: 'admin API without a valid token', method, path, headers: authorization === '' ? JSON_TYPE : { ...JSON_TYPE, authorization }, ...(method === 'POST' ? { body: '{}' } : {}) };
  }
  if (roll < 0.63) {
    const cookie = pick(random, ['', 'vitrin_tablet=', 'vitrin_tablet=forged', `vitrin_tablet=${credentials.admin}`, `vitrin_tablet=${'z'.repeat(3_000)}`, 'vitrin_tablet=%00; vitrin_tablet=x', ';;;=;']);
    const [method, path] = pick(random, TABLET_ROUTES);
    return { kind: 'tablet routes without a valid token', method, path, headers: cookie === '' ? JSON_TYPE : { ...JSON_TYPE, cookie }, ...(method === 'POST' ? { body: '{"cardId":"x","action":"shown"}' } : {}) };
  }
  if (roll < 0.7) {
    const type = pick(random, ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/json; charset=utf-16', 'application/jsonx', '']);
    return { kind: 'wrong content type', method: 'POST', path: pick(random, ['/advisor/feedback', '/advisor/pair', '/admin/pairing-codes']), headers: { ...(type === '' ? {} : { 'content-type': type }), ...tablet, ...admin }, body: '{"cardId":"x","action":"shown"}' };
  }
  if (roll < 0.72) return { kind: 'body over the limit', method: 'POST', path: pick(random, ['/advisor/feedback', '/advisor/pair', '/admin/pairing-codes']), headers: { ...JSON_TYPE, ...tablet, ...admin }, body: JSON.stringify({ cardId: 'x', action: 'shown', reason: 'r'.repeat(100_000) }) };
  if (roll < 0.8) return { kind: 'method no route has', method: pick(random, ['PUT', 'PATCH', 'DELETE', 'OPTIONS']), path: pick(random, ['/advisor/feedback', '/advisor/pair', '/admin/status', '/admin/pairing-codes', '/healthz', '/metrics']), headers: { ...tablet, ...admin } };
  if (roll < 0.88) return { kind: 'path junk', method: pick(random, ['GET', 'POST']), path: junkPath(random), headers: { ...JSON_TYPE, ...tablet, ...admin }, body: '{}' };
  if (roll < 0.97) return { kind: 'header junk (raw socket)', raw: Buffer.from(pick(random, RAW_REQUESTS)) };
  return { kind: 'bytes that are not HTTP (raw socket)', raw: randomBytes(random, 1 + Math.floor(random() * 300)) };
}

export interface HttpAnswer {
  /** The status, or what happened instead. */
  readonly status: number | 'no answer';
  readonly code?: string;
}

function codeOf(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as { code?: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** The status line of whatever the server answers on a socket, before it closes. */
function rawRequest(port: number, bytes: Buffer): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const done = () => {
      socket.destroy();
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer);
      const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
      resolve(status === null ? { status: 'no answer' } : { status: Number(status[1]), ...(codeOf(body) === undefined ? {} : { code: codeOf(body)! }) });
    };
    socket.setTimeout(3_000, done);
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (/^HTTP\/1\.[01] \d{3}/.test(answer) && answer.includes('\r\n\r\n')) setTimeout(done, 20);
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.write(bytes);
    // Requests that never end their headers are answered when the socket is half-closed, or time out.
    setTimeout(() => socket.end(), 200);
  });
}

export async function send(httpUrl: string, port: number, request: HttpCase): Promise<HttpAnswer> {
  if (request.raw !== undefined) return rawRequest(port, request.raw);
  try {
    const response = await fetch(`${httpUrl}${request.path ?? '/'}`, {
      method: request.method ?? 'GET',
      headers: request.headers ?? {},
      ...(request.body === undefined || request.method === 'GET' ? {} : { body: request.body }),
      signal: AbortSignal.timeout(5_000),
    });
    // Server-sent events never end: the status is enough.
    if ((response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      await response.body?.cancel();
      return { status: response.status };
    }
    const text = await response.text();
    const code = codeOf(text);
    return { status: response.status, ...(code === undefined ? {} : { code }) };
  } catch {
    return { status: 'no answer' };
  }
}
