import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveFeed } from '../../gateway/cards/live-feed.js';
import { buildApp, type Readiness } from '../../gateway/http/app.js';
import { createMetrics } from '../../gateway/metrics.js';
import type { Card } from '../../gateway/contracts/card.js';

const card: Card = {
  schema: 'vitrin.card/1',
  type: 'card',
  cardId: 'c-1',
  storeId: 'demo-store',
  memberId: 'm-1',
  firstName: '<b>Elif</b>',
  tier: 'gold',
  segments: [],
  presence: { zoneId: 'pos-1', zoneName: 'Till 1', since: '2026-11-23T10:00:00.000Z', dwellSeconds: 6 },
  suggestions: [],
  offers: [],
  issuedAt: '2026-11-23T10:00:06.000Z',
  expiresAt: '2026-11-23T10:05:06.000Z',
};

function appWith(readiness: Readiness, simulated = true) {
  const live = new LiveFeed();
  const metrics = createMetrics({ mqttConnected: () => readiness.broker, outboxDepth: () => 7 });
  const app = buildApp({ log: pino({ level: 'silent' }), registry: metrics.registry, readiness: () => readiness, live, store: { name: 'Demo & Co', simulated } });
  return { app, live, metrics };
}

describe('HTTP app', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('/healthz answers 200 while the process runs', async () => {
    const { app } = appWith({ broker: false, database: false, model: false, radio: true });
    expect((await app.inject('/healthz')).statusCode).toBe(200);
  });

  it('/readyz is 503 naming what is not up, 200 when broker, database and model are', async () => {
    const down = await appWith({ broker: false, database: true, model: true, radio: true }).app.inject('/readyz');
    expect(down.statusCode).toBe(503);
    expect(down.json()).toEqual({ status: 'not-ready', checks: { broker: false, database: true, model: true, radio: true } });
    const up = await appWith({ broker: true, database: true, model: true, radio: true }).app.inject('/readyz');
    expect(up.statusCode).toBe(200);
  });

  it('/metrics exposes vitrin_ series in Prometheus text format', async () => {
    const { app, metrics } = appWith({ broker: true, database: true, model: true, radio: true });
    metrics.advertisements.inc({ result: 'stranger' }, 3);
    const res = await app.inject('/metrics');
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('vitrin_advertisements_total{result="stranger"} 3');
    expect(res.body).toContain('vitrin_mqtt_connected 1');
    expect(res.body).toContain('vitrin_outbox_depth 7');
    expect(res.body).toContain('vitrin_process_');
  });

  it('/advisor says plainly when the store is simulated, and escapes the store name', async () => {
    const page = (await appWith({ broker: true, database: true, model: true, radio: true }).app.inject('/advisor')).body;
    expect(page).toContain('Simulated store');
    expect(page).toContain('Demo &#38; Co');
    const real = (await appWith({ broker: true, database: true, model: true, radio: true }, false).app.inject('/advisor')).body;
    expect(real).not.toContain('Simulated store');
  });

  it('/advisor/events streams current cards, then new ones and withdrawals', async () => {
    const { app, live } = appWith({ broker: true, database: true, model: true, radio: true });
    live.show(card);
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    close = () => app.close();
    const response = await fetch(`${url}/advisor/events`);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        text += Buffer.from(value).toString();
      }
    };
    await readUntil('"cardId":"c-1"');
    live.withdraw({ schema: 'vitrin.card/1', type: 'withdrawn', cardId: 'c-1', memberId: 'm-1', reason: 'left', at: card.issuedAt });
    await readUntil('event: withdrawn');
    expect(live.listenerCount()).toBe(1);
    await reader.cancel();
  });
});
