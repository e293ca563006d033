import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../gateway/config/load.js';
import { startGateway, type RunningGateway } from '../../gateway/main.js';
import { crowdCapture } from '../support/crowd-capture.js';

// "When feedback is safe" (README): with the embedded broker a till's PUBACK means the
// feedback is already in SQLite. The real gateway on its own embedded broker replays a
// store capture until m-demo-0001 has a card on till-1; the till answers it, and the
// moment its PUBACK arrives the database is read: the event must be there, once.

const STORE = 'vitrin/demo-store/';

interface Present {
  readonly members: readonly { readonly memberId: string; readonly cardId: string }[];
}

function feedbackRows(dataDir: string, cardId: string): Record<string, unknown>[] {
  const db = new Database(join(dataDir, 'vitrin.db'), { readonly: true });
  try {
    return db
      .prepare<[], { payload: string }>("SELECT payload FROM events WHERE type = 'feedback'")
      .all()
      .map((r) => JSON.parse(r.payload) as Record<string, unknown>)
      .filter((p) => p.cardId === cardId);
  } finally {
    db.close();
  }
}

async function connect(url: string, clientId: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, { clientId, reconnectPeriod: 0 });
}

describe('till feedback through the embedded broker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitrin-till-feedback-'));
  const dataDir = join(dir, 'data');
  const env = { VITRIN_DATA__DIR: dataDir, VITRIN_HTTP__HOST: '127.0.0.1', VITRIN_HTTP__PORT: '0', VITRIN_MQTT__EMBEDDED__HOST: '127.0.0.1', VITRIN_MQTT__EMBEDDED__PORT: '0' };
  let gateway: RunningGateway | undefined;
  let till: MqttClient | undefined;
  let integrator: MqttClient | undefined;
  const seenByIntegrator: string[] = [];
  let cardId = '';

  beforeAll(async () => {
    const capture = join(dir, 'store.btsnoop');
    writeFileSync(capture, crowdCapture().bytes);
    gateway = await startGateway({ loaded: loadConfig({ env }), env, log: pino({ level: 'silent' }), replay: { file: capture, speed: 0, receiverId: 'rx-pos-1' } });
    await gateway.replayFinished;
    till = await connect(gateway.mqttUrl, 'pos.till-1');
    // The present list is retained: the card is there however early it was sent.
    const present = new Promise<Present>((resolve) => till!.on('message', (topic, payload) => topic.endsWith('/present') && resolve(JSON.parse(payload.toString()) as Present)));
    await till.subscribeAsync(`${STORE}pos/till-1/present`, { qos: 1 });
    const card = (await present).members.find((m) => m.memberId === 'm-demo-0001');
    expect(card).toBeDefined();
    cardId = card!.cardId;
    integrator = await connect(gateway.mqttUrl, 'integrator');
    integrator.on('message', (_topic, payload) => seenByIntegrator.push(payload.toString()));
    await integrator.subscribeAsync(`${STORE}pos/+/feedback`, { qos: 1 });
  }, 30_000);

  afterAll(async () => {
    await till?.endAsync();
    await integrator?.endAsync();
    await gateway?.stop();
  });

  it('is committed when the PUBACK arrives, stored once, and still reaches other subscribers', async () => {
    const message = JSON.stringify({ cardId, action: 'shown' });
    await till!.publishAsync(`${STORE}pos/till-1/feedback`, message, { qos: 1 });
    expect(feedbackRows(dataDir, cardId)).toEqual([expect.objectContaining({ action: 'shown', source: 'pos', sourceId: 'till-1' })]);
    await expect.poll(() => seenByIntegrator, { timeout: 5000 }).toEqual([message]);
    // Given time to arrive a second way (a subscription of the gateway's own), it has not.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(feedbackRows(dataDir, cardId)).toHaveLength(1);
  });

  it('feedback the gateway refuses is still acknowledged, and answered on the till errors topic', async () => {
    const errors = new Promise<{ code: string }>((resolve) => till!.on('message', (topic, payload) => topic.endsWith('/errors') && resolve(JSON.parse(payload.toString()) as { code: string })));
    await till!.subscribeAsync(`${STORE}pos/till-1/errors`, { qos: 1 });
    await till!.publishAsync(`${STORE}pos/till-1/feedback`, '{"cardId":"no-such-card","action":"shown"}', { qos: 1 });
    expect((await errors).code).toBe('VITRIN_ERR_FEEDBACK_UNKNOWN_CARD');
  });
});
