import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FeedEvent, LiveFeed } from '../cards/live-feed.js';

const HEARTBEAT_MS = 15_000;

/**
 * Server-sent events for the advisor page: every current card first, then changes.
 * A comment line every 15 s keeps proxies and tablets' Wi-Fi from idling it out.
 */
export function streamFeed(request: FastifyRequest, reply: FastifyReply, live: LiveFeed): void {
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  const send = (event: FeedEvent): void => {
    out.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  };
  out.write('retry: 2000\n\n');
  for (const card of live.current().reverse()) send({ type: 'card', card });
  const unsubscribe = live.listen(send);
  const heartbeat = setInterval(() => out.write(': heartbeat\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  request.raw.on('close', () => {
    clearInterval(heartbeat);
    unsubscribe();
  });
}
