import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveFeed } from '../../gateway/cards/live-feed.js';
import { buildApp, type Readiness } from '../../gateway/http/app.js';
import { createMetrics } from '../../gateway/metrics.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type AddressInfo } from 'node:net';
import { TabletRegistry } from '../../gateway/advisor/tablets.js';
import { FakeClock } from '../fakes/fake-clock.js';
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
  const tablets = new TabletRegistry(mkdtempSync(join(tmpdir(), 'vitrin-tablets-')), new FakeClock());
  const feedback: unknown[] = [];
  const store = { name: 'Demo & Co', simulated };
  const app = buildApp({
    log: pino({ level: 'silent' }),
    registry: metrics.registry,
    readiness: () => readiness,
    store,
    advisor: {
      tablets,
      live,
      store,
      feedback: (value) => {
        feedback.push(value);
        const cardId = (value as { cardId?: string }).cardId;
        if (cardId === 'c-disk-full') return { ok: false, code: 'VITRIN_ERR_STORE_WRITE', message: 'database or disk is full' };
        return cardId === 'c-1' ? { ok: true } : { ok: false, code: 'VITRIN_ERR_FEEDBACK_UNKNOWN_CARD', message: 'no such card' };
      },
    },
    admin: { token: 'secret-token', eraseMember: () => Promise.reject(new Error('not here')), tablets, zones: ['pos-1', 'floor'] },
  });
  /** A paired tablet's cookie for `zones`. */
  const pair = (zones: string[]) => `vitrin_tablet=${tablets.redeem(tablets.createCode('t', zones).code).token}`;
  return { app, live, metrics, tablets, pair, feedback };
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
    const { app, live, pair } = appWith({ broker: true, database: true, model: true, radio: true });
    const appCookie = pair(['pos-1']);
    live.show(card);
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    close = () => app.close();
    const response = await fetch(`${url}/advisor/events`, { headers: { cookie: appCookie } });
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

  it('the advisor API answers only a paired tablet, and only with the cards of its zones', async () => {
    const { app, live, pair } = appWith({ broker: true, database: true, model: true, radio: true });
    live.show(card);
    live.show({ ...card, cardId: 'c-2', memberId: 'm-2', presence: { ...card.presence, zoneId: 'fitting' } });
    const anonymous = await app.inject('/advisor/cards');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ code: 'VITRIN_ERR_TABLET_UNAUTHORIZED' });
    const tillTablet = await app.inject({ url: '/advisor/cards', headers: { cookie: pair(['pos-1']) } });
    expect(tillTablet.json<{ cards: { cardId: string }[] }>().cards.map((c) => c.cardId)).toEqual(['c-1']);
  });

  it('pairs a tablet once per code, with an HttpOnly cookie, and revoking it ends its access', async () => {
    const { app, tablets } = appWith({ broker: true, database: true, model: true, radio: true });
    const made = await app.inject({ method: 'POST', url: '/admin/pairing-codes', headers: { authorization: 'Bearer secret-token' }, payload: { label: 'Floor tablet', zones: ['pos-1'] } });
    expect(made.statusCode).toBe(200);
    const { code, qrSvg, url } = made.json<{ code: string; qrSvg: string; url: string }>();
    expect(code).toMatch(/^[2-9A-HJKMNP-Z]{8}$/);
    expect(qrSvg).toContain('<svg');
    expect(url).toContain(`/advisor#code=${code}`);
    const paired = await app.inject({ method: 'POST', url: '/advisor/pair', payload: { code: code.toLowerCase() } });
    expect(paired.statusCode).toBe(200);
    const setCookie = String(paired.headers['set-cookie']);
    expect(setCookie).toMatch(/^vitrin_tablet=[\w-]{43}; Path=\/advisor; HttpOnly; SameSite=Strict/);
    expect((await app.inject({ method: 'POST', url: '/advisor/pair', payload: { code } })).json()).toMatchObject({ code: 'VITRIN_ERR_PAIRING' });
    const cookie = setCookie.split(';')[0]!;
    expect((await app.inject({ url: '/advisor/me', headers: { cookie } })).json()).toMatchObject({ tablet: { label: 'Floor tablet', zones: ['pos-1'] } });
    const [tablet] = tablets.list();
    expect((await app.inject({ method: 'DELETE', url: `/admin/tablets/${tablet!.id}`, headers: { authorization: 'Bearer secret-token' } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/advisor/me', headers: { cookie } })).statusCode).toBe(401);
  });

  it('refuses pairing codes for unknown zones and the admin API without its token', async () => {
    const { app } = appWith({ broker: true, database: true, model: true, radio: true });
    expect((await app.inject({ method: 'POST', url: '/admin/pairing-codes', payload: { zones: ['pos-1'] } })).statusCode).toBe(401);
    const bad = await app.inject({ method: 'POST', url: '/admin/pairing-codes', headers: { authorization: 'Bearer secret-token' }, payload: { zones: ['roof'] } });
    expect(bad.statusCode).toBe(400);
  });

  it('takes feedback from a tablet and says what was wrong with bad feedback', async () => {
    const { app, pair, feedback } = appWith({ broker: true, database: true, model: true, radio: true });
    const cookie = pair(['pos-1']);
    expect((await app.inject({ method: 'POST', url: '/advisor/feedback', headers: { cookie }, payload: { cardId: 'c-1', action: 'accepted' } })).json()).toEqual({ ok: true });
    const refused = await app.inject({ method: 'POST', url: '/advisor/feedback', headers: { cookie }, payload: { cardId: 'c-9', action: 'accepted' } });
    expect(refused.statusCode).toBe(404);
    expect(refused.json()).toMatchObject({ code: 'VITRIN_ERR_FEEDBACK_UNKNOWN_CARD' });
    expect(feedback).toHaveLength(2);
    expect((await app.inject({ method: 'POST', url: '/advisor/feedback', payload: { cardId: 'c-1', action: 'accepted' } })).statusCode).toBe(401);
  });

  it('accepts feedback it could not store yet with 202 and says so, so the tablet does not retry into a full disk', async () => {
    const { app, pair } = appWith({ broker: true, database: false, model: true, radio: true });
    const res = await app.inject({ method: 'POST', url: '/advisor/feedback', headers: { cookie: pair(['pos-1']) }, payload: { cardId: 'c-disk-full', action: 'accepted' } });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ ok: true, stored: false, code: 'VITRIN_ERR_STORE_WRITE' });
  });

  it('answers unknown routes, unreadable bodies and undecodable URLs with a stable code', async () => {
    const { app, pair } = appWith({ broker: true, database: true, model: true, radio: true });
    const missing = await app.inject('/no/such/page');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'VITRIN_ERR_HTTP_NOT_FOUND' });

    const cookie = pair(['pos-1']);
    const badJson = await app.inject({ method: 'POST', url: '/advisor/feedback', headers: { cookie, 'content-type': 'application/json' }, payload: '{"cardId": "c-1",' });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json()).toMatchObject({ code: 'VITRIN_ERR_HTTP_REQUEST', details: ['FST_ERR_CTP_INVALID_JSON_BODY'] });

    const tooBig = await app.inject({ method: 'POST', url: '/advisor/feedback', headers: { cookie, 'content-type': 'application/json' }, payload: JSON.stringify({ cardId: 'x'.repeat(70 * 1024) }) });
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json()).toMatchObject({ code: 'VITRIN_ERR_HTTP_REQUEST' });

    const badUrl = await app.inject('/advisor/%E0%A4%A');
    expect(badUrl.statusCode).toBe(400);
    expect(badUrl.json()).toMatchObject({ code: 'VITRIN_ERR_HTTP_REQUEST' });
  });

  it('answers bytes that are not HTTP with a coded 400 before closing the connection', async () => {
    const { app } = appWith({ broker: true, database: true, model: true, radio: true });
    close = () => app.close();
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('\x16\x03\x01 not http at all\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ code: 'VITRIN_ERR_HTTP_REQUEST' });
  });

  it('serves the admin page without data in it', async () => {
    const { app } = appWith({ broker: true, database: true, model: true, radio: true });
    const page = await app.inject('/admin');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Admin token');
    expect(page.headers['cache-control']).toBe('no-store');
  });
});
