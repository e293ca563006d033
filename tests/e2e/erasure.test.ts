import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBroker } from '../../adapters/mqtt/embedded-broker.js';
import { runCli } from '../../gateway/cli/vitrin.js';
import { loadConfig } from '../../gateway/config/load.js';
import { recordFromMember } from '../../gateway/identity/roster-file.js';
import { demoRoster } from '../../gateway/identity/demo-roster.js';
import { openRosterStore, startGateway, type RunningGateway } from '../../gateway/main.js';
import { crowdCapture } from '../support/crowd-capture.js';

// DESIGN section 7: a consent withdrawal erases the member's key, profile and events
// on the gateway within seconds. The real gateway replays a store capture until a
// member has a card on the till, then the member is erased over MQTT and another,
// imported one, over the admin API; afterwards neither leaves a byte in the database.

const STORE = 'vitrin/demo-store/';
const TOKEN = 'admin-token-for-tests-0123456789';

interface Received {
  readonly topic: string;
  readonly payload: Buffer;
  readonly at: number;
}

function waitFor<T>(what: string, timeoutMs: number, check: () => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      const value = check();
      if (value !== undefined) {
        clearInterval(timer);
        resolve(value);
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(timer);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 10);
  });
}

describe('consent withdrawal, end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitrin-erasure-test-'));
  const dataDir = join(dir, 'data');
  const rosterKey = randomBytes(32).toString('hex');
  const env = { VITRIN_ROSTER_KEY: rosterKey, VITRIN_DATA__DIR: dataDir, VITRIN_HTTP__ADMINTOKEN: TOKEN, VITRIN_HTTP__HOST: '127.0.0.1', VITRIN_HTTP__PORT: '0' };
  const imported = { ...recordFromMember(demoRoster(1234, 1, 10).members[0]!), id: 'm-import-7', profile: { ...recordFromMember(demoRoster(1234, 1, 10).members[0]!).profile, firstName: 'Leylanur' } };
  const received: Received[] = [];
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, log: pino({ level: 'silent' }) });
  let client: MqttClient | undefined;
  let gateway: RunningGateway | undefined;

  beforeAll(async () => {
    mkdirSync(dataDir);
    const rosterFile = join(dir, 'roster.json');
    writeFileSync(rosterFile, JSON.stringify({ schema: 'vitrin.roster/1', rotationExponent: 10, members: [imported] }));
    const out: string[] = [];
    const io = { out: (line: string) => void out.push(line), err: (line: string) => void out.push(line) };
    expect(await runCli(['roster', 'import', rosterFile], { startGateway, openRosterStore, env, io })).toBe(0);
    expect(JSON.parse(out[0]!)).toEqual({ imported: 1, total: 1, rotationExponent: 10 });

    const capture = join(dir, 'store.btsnoop');
    writeFileSync(capture, crowdCapture().bytes);
    await broker.start();
    const mqttUrl = `mqtt://127.0.0.1:${broker.address().port}`;
    client = await mqtt.connectAsync(mqttUrl, { clientId: 'erasure-test', reconnectPeriod: 0 });
    client.on('message', (topic, payload) => received.push({ topic, payload: Buffer.from(payload), at: Date.now() }));
    await client.subscribeAsync('#', { qos: 1 });
    const loaded = loadConfig({ env: { ...env, VITRIN_MQTT__URL: mqttUrl } });
    gateway = await startGateway({ loaded, env, log: pino({ level: 'silent' }), replay: { file: capture, speed: 0, receiverId: 'rx-pos-1' } });
    await gateway.replayFinished;
    await waitFor('a card for m-demo-0001 on till-1', 10_000, () => received.find((m) => m.topic === `${STORE}pos/till-1/cards` && m.payload.includes('"m-demo-0001"')));
  }, 30_000);

  afterAll(async () => {
    await gateway?.stop();
    await client?.endAsync(true);
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('erases a present member within 5 s of gateway/request/erase: card withdrawn, present list updated, receipt returned', async () => {
    const sent = Date.now();
    await client!.publishAsync(`${STORE}gateway/request/erase`, JSON.stringify({ transaction: 'tx-1', memberId: 'm-demo-0001', requestId: 'withdrawal-42' }), { qos: 1 });
    const response = await waitFor('the erase response', 5_000, () => received.find((m) => m.topic === `${STORE}gateway/response/erase` && m.payload.includes('"tx-1"')));
    expect(response.at - sent).toBeLessThanOrEqual(5_000);
    const answer = JSON.parse(response.payload.toString()) as { status: string; data: Record<string, unknown> };
    expect(answer).toMatchObject({ schema: 'vitrin.response/1', op: 'erase', transaction: 'tx-1', status: 'ok' });
    expect(answer.data).toMatchObject({ schema: 'vitrin.erasure-receipt/1', requestId: 'withdrawal-42', source: 'mqtt', held: true, erased: { cardsWithdrawn: 1 } });
    expect(JSON.stringify(answer.data)).not.toContain('m-demo-0001');

    const withdrawn = received.find((m) => m.topic === `${STORE}pos/till-1/cards` && m.payload.includes('"withdrawn"') && m.payload.includes('"erased"'));
    expect(withdrawn).toBeDefined();
    const present = received.filter((m) => m.topic === `${STORE}pos/till-1/present`).at(-1);
    expect(present?.payload.toString()).not.toContain('m-demo-0001');
    const cards = await (await fetch(`${gateway!.httpUrl}/advisor/cards`)).text();
    expect(cards).not.toContain('m-demo-0001');
  });

  it('answers a second withdrawal of the same member as done, holding nothing', async () => {
    await client!.publishAsync(`${STORE}gateway/request/erase`, JSON.stringify({ transaction: 'tx-2', memberId: 'm-demo-0001' }), { qos: 1 });
    const response = await waitFor('the second response', 5_000, () => received.find((m) => m.topic === `${STORE}gateway/response/erase` && m.payload.includes('"tx-2"')));
    expect(JSON.parse(response.payload.toString())).toMatchObject({ status: 'ok', data: { held: false } });
  });

  it('answers a malformed request with an error code on the response topic', async () => {
    await client!.publishAsync(`${STORE}gateway/request/erase`, JSON.stringify({ transaction: 'tx-3', member: 'x' }), { qos: 1 });
    await client!.publishAsync(`${STORE}gateway/request/erase`, 'not json', { qos: 1 });
    const bad = await waitFor('the error response', 5_000, () => received.find((m) => m.topic === `${STORE}gateway/response/erase` && m.payload.includes('"tx-3"')));
    expect(JSON.parse(bad.payload.toString())).toMatchObject({ status: 'error', error: { code: 'VITRIN_ERR_REQUEST_INVALID' } });
    const unreadable = await waitFor('the unreadable response', 5_000, () => received.find((m) => m.topic.endsWith('gateway/response/erase') && m.payload.includes('"transaction":null')));
    expect(JSON.parse(unreadable.payload.toString())).toMatchObject({ status: 'error', error: { code: 'VITRIN_ERR_REQUEST_INVALID', message: 'the request is not JSON' } });
  });

  it('erases an imported member through the admin API, and refuses callers without the token', async () => {
    const url = `${gateway!.httpUrl}/admin/members/m-import-7/erase`;
    const anonymous = await fetch(url, { method: 'POST' });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ code: 'VITRIN_ERR_HTTP_UNAUTHORIZED' });
    expect((await fetch(url, { method: 'POST', headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ requestId: 'desk-9' }) });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ requestId: 'desk-9', source: 'admin', held: true, erased: { roster: true } });
  });

  it('leaves no byte of either member in the database files after stopping, but keeps the receipts', async () => {
    await gateway!.stop();
    const files = readdirSync(dataDir).map((name) => ({ name, bytes: readFileSync(join(dataDir, name)) }));
    expect(files.map((f) => f.name)).toContain('vitrin.db');
    const needles = ['m-demo-0001', 'm-import-7', 'Leylanur', imported.identityKey, Buffer.from(imported.identityKey, 'hex').toString('latin1')];
    for (const file of files) for (const needle of needles) expect(file.bytes.includes(needle, 0, 'latin1'), `${needle} in ${file.name}`).toBe(false);
    const db = files.find((f) => f.name === 'vitrin.db')!.bytes;
    expect(db.includes('withdrawal-42')).toBe(true);
    expect(db.includes('desk-9')).toBe(true);
    // Other members' events are still there.
    expect(db.includes('m-demo-0002')).toBe(true);
  });
});
