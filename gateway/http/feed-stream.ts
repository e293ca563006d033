import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FeedEvent, LiveFeed } from '../cards/live-feed.js';
import type { Card } from '../contracts/card.js';

const HEARTBEAT_MS = 15_000;

/**
 * Server-sent events for an advisor tablet: the current cards it may see first, then
 * changes. A card outside the tablet's zones never goes out, and a withdrawal only for
 * a card this connection was sent. A comment line every 15 s keeps proxies and
 * tablets' Wi-Fi from idling the stream out.
 */
export function streamFeed(request: FastifyRequest, reply: FastifyReply, live: LiveFeed, visible: (card: Card) => boolean): void {
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  const shown = new Set<string>();
  const send = (event: FeedEvent): void => {
    if (event.type === 'card') {
      if (!visible(event.card)) {
        // The member walked into a zone this tablet does not cover: their card here goes.
        if (shown.delete(event.card.memberId)) out.write(`event: withdrawn\ndata: ${JSON.stringify({ type: 'withdrawn', memberId: event.card.memberId, reason: 'moved' })}\n\n`);
        return;
      }
      shown.add(event.card.memberId);
    } else if (!shown.delete(event.memberId)) return;
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
