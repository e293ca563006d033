import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';

// Every refusal the HTTP server sends carries a stable code, including the ones Fastify
// and Node's parser make before a route runs: a POS integrator or store IT sees
// VITRIN_ERR_HTTP_* with the reason in details, never a bare "Bad Request".

/** Unknown routes, unreadable bodies and failures inside a route, as `{code, message, details?}`. */
export function installRequestErrors(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ code: 'VITRIN_ERR_HTTP_NOT_FOUND', message: `no route answers ${request.method} ${request.url.slice(0, 200)}` }),
  );
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.code(status).send({ code: 'VITRIN_ERR_HTTP_REQUEST', message: error.message, details: [error.code ?? 'unknown'] });
    }
    request.log.error({ err: error, url: request.url.slice(0, 200) }, 'HTTP route failed');
    return reply.code(500).send({ code: 'VITRIN_ERR_HTTP_INTERNAL', message: 'the gateway failed while answering; the log has the cause' });
  });
}

/** Fastify's own refusals before routing (a URL it cannot decode): `frameworkErrors` in its options. */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  void reply.code(400).send({ code: 'VITRIN_ERR_HTTP_REQUEST', message: error.message, details: [error.code] });
}

/**
 * Node's parser refuses bytes that are not HTTP and oversized headers before Fastify
 * sees a request; this answers them like every other refusal (Fastify's default sends
 * a body without a code). A reset connection gets nothing: no one is listening.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body = JSON.stringify({ code: 'VITRIN_ERR_HTTP_REQUEST', message: status === 408 ? 'the request did not arrive in time' : 'this is not a readable HTTP request', details: [err.code ?? 'unknown'] });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}
