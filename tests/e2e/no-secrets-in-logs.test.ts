import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEddystoneEid } from '../../gateway/ble/decode.js';
import { demoRoster } from '../../gateway/identity/demo-roster.js';
import { computeEid } from '../../gateway/identity/eid.js';
import { recordFromMember } from '../../gateway/identity/roster-file.js';
import { hashPassword } from '../../gateway/mqtt/passwords.js';
import { PACKAGE_ROOT } from '../../gateway/package-root.js';
import { freePort } from '../support/free-port.js';

// The whole service, as systemd runs it, with every kind of secret set: the roster key
// (as a systemd credential), the admin token, the broker password, MQTT password
// hashes, tablet pairing codes and tokens, and members with names and identity keys.
// The test drives it through every door (remote receiver sightings that bring cards,
// a till's feedback, store IT's requests, wrong passwords, the admin API, a tablet)
// at log level debug, then searches everything the process wrote for each secret.

const STORE = 'vitrin/secret-test/';
const K = 10;
const secret = (bytes: number) => randomBytes(bytes).toString('hex');
const ROSTER_KEY = secret(32);
const ADMIN_TOKEN = `tok-${secret(16)}`;
const BROKER_PASSWORD = `broker-${secret(8)}`;
const PASSWORDS = { till: `till-${secret(8)}`, receiver: `rx-${secret(8)}`, admin: `it-${secret(8)}`, wrong: `wrong-${secret(8)}` };
const HASHES = { till: hashPassword(PASSWORDS.till, { iterations: 1000 }), receiver: hashPassword(PASSWORDS.receiver, { iterations: 1000 }), admin: hashPassword(PASSWORDS.admin, { iterations: 1000 }) };

const base = recordFromMember(demoRoster(7, 1, K).members[0]!);
const MEMBERS = [
  { ...base, id: 'm-secret-1', identityKey: secret(16), profile: { ...base.profile, firstName: 'Gülizar' } },
  { ...base, id: 'm-secret-2', identityKey: secret(16), profile: { ...base.profile, firstName: 'Ohannes' } },
];
/** The simulator's one demo member walks too: its name and key are as personal as the imported ones. */
const DEMO = demoRoster(42, 1, K).members[0]!;

interface Message {
  readonly topic: string;
  readonly payload: string;
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
    }, 50);
  });
}

describe('no key, token, password or member name reaches the logs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitrin-secrets-'));
  const env: Record<string, string> = {};
  let output = '';
  let service: ChildProcess | undefined;
  let mqttUrl = '';
  let http = '';
  const clients: MqttClient[] = [];
  const received: Message[] = [];
  let pairingCode = '';
  let tabletToken = '';

  const login = async (username: string, password: string, clientId = username): Promise<MqttClient> => {
    const client = await mqtt.connectAsync(mqttUrl, { username, password, clientId, reconnectPeriod: 0, connectTimeout: 5_000 });
    clients.push(client);
    client.on('message', (topic, payload) => received.push({ topic, payload: payload.toString() }));
    return client;
  };

  beforeAll(async () => {
    const mqttPort = await freePort();
    const httpPort = await freePort();
    mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
    http = `http://127.0.0.1:${httpPort}`;
    const credentials = join(dir, 'credentials');
    mkdirSync(credentials);
    writeFileSync(join(credentials, 'roster-key'), `${ROSTER_KEY}\n`, { mode: 0o600 });
    const configFile = join(dir, 'config.yaml');
    writeFileSync(
      configFile,
      `store: { id: secret-test, name: Secret test store }
mode: demo
log: { level: debug }
data: { dir: ${join(dir, 'data')} }
mqtt:
  password: ${BROKER_PASSWORD}
  embedded: { host: 127.0.0.1, port: ${mqttPort} }
  admins: [ { username: store-it, passwordHash: "${HASHES.admin}" } ]
http: { host: 127.0.0.1, port: ${httpPort} }
ble: { source: simulator }
simulator: { members: 1, nonMembers: 5, arrivalEverySeconds: 2, advertisingIntervalMs: 500 }
receivers:
  - { id: rx-entrance, zone: entrance }
  - { id: rx-floor, zone: floor }
  - { id: rx-pos-1, zone: pos-1 }
  - { id: rx-remote, zone: pos-1, passwordHash: "${HASHES.receiver}" }
terminals:
  - { id: till-1, zone: pos-1, passwordHash: "${HASHES.till}" }
`,
    );
    Object.assign(env, { PATH: process.env.PATH ?? '', HOME: dir, CREDENTIALS_DIRECTORY: credentials, VITRIN_HTTP__ADMINTOKEN: ADMIN_TOKEN });
    const rosterFile = join(dir, 'roster.json');
    writeFileSync(rosterFile, JSON.stringify({ schema: 'vitrin.roster/1', rotationExponent: K, members: MEMBERS }));
    const cli = (args: string[]) => spawn(process.execPath, ['--import', 'tsx', 'gateway/bin.ts', ...args, '--config', configFile], { cwd: PACKAGE_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });

    const imported = spawnSync(process.execPath, ['--import', 'tsx', 'gateway/bin.ts', 'roster', 'import', rosterFile, '--config', configFile], { cwd: PACKAGE_ROOT, env, encoding: 'utf8' });
    output += imported.stdout + imported.stderr;
    expect(imported.status, output).toBe(0);

    service = cli(['start']);
    service.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    service.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor('the gateway to run', 60_000, () => (output.includes('Vitrin is running') ? true : undefined));
  }, 90_000);

  afterAll(async () => {
    for (const client of clients) await client.endAsync(true).catch(() => undefined);
    if (service?.exitCode === null) service.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('goes through every door with its secrets', async () => {
    // Wrong passwords are refused, and their attempts logged without the password.
    await expect(mqtt.connectAsync(mqttUrl, { username: 'pos.till-1', password: PASSWORDS.wrong, reconnectPeriod: 0, connectTimeout: 5_000 })).rejects.toThrow();
    await expect(mqtt.connectAsync(mqttUrl, { username: 'store-it', password: PASSWORDS.wrong, reconnectPeriod: 0, connectTimeout: 5_000 })).rejects.toThrow();

    const till = await login('pos.till-1', PASSWORDS.till);
    await till.subscribeAsync([`${STORE}pos/till-1/cards`, `${STORE}pos/till-1/errors`], { qos: 1 });
    const admin = await login('store-it', PASSWORDS.admin);
    await admin.subscribeAsync([`${STORE}gateway/response/+`, `${STORE}gateway/health`], { qos: 1 });
    const receiver = await login('receiver.rx-remote', PASSWORDS.receiver);

    // The imported members stand at the till, heard by the remote receiver, until each has a card.
    const send = () => {
      const now = Date.now();
      const sightings = MEMBERS.map((m, i) => ({
        address: `c1:00:00:00:00:0${i + 1}`,
        addressType: 'random',
        rssi: -50,
        data: Buffer.from(encodeEddystoneEid(computeEid(Buffer.from(m.identityKey, 'hex'), K, Math.floor(now / 1000)), -59)).toString('hex'),
        at: now,
      }));
      void receiver.publishAsync(`${STORE}receivers/rx-remote/sightings`, JSON.stringify({ schema: 'vitrin.sightings/1', receiverId: 'rx-remote', sentAt: new Date(now).toISOString(), sightings }), { qos: 0 });
    };
    const ticker = setInterval(send, 250);
    const cardFor = (name: string) => received.find((m) => m.topic === `${STORE}pos/till-1/cards` && m.payload.includes(`"${name}"`));
    try {
      await waitFor('cards naming both imported members', 30_000, () => (cardFor('Gülizar') !== undefined && cardFor('Ohannes') !== undefined ? true : undefined));
    } finally {
      clearInterval(ticker);
    }
    const card = JSON.parse(cardFor('Gülizar')!.payload) as { cardId: string };

    // The till's feedback, good and broken.
    await till.publishAsync(`${STORE}pos/till-1/feedback`, JSON.stringify({ schema: 'vitrin.feedback/1', cardId: card.cardId, action: 'accepted' }), { qos: 1 });
    await till.publishAsync(`${STORE}pos/till-1/feedback`, '{"cardId": 5}', { qos: 1 });
    await waitFor('the feedback error', 10_000, () => received.find((m) => m.topic.endsWith('pos/till-1/errors')));

    // Store IT over MQTT: health (and the retained health topic), an erasure.
    await admin.publishAsync(`${STORE}gateway/request/health`, JSON.stringify({ transaction: 'h-1' }), { qos: 1 });
    await admin.publishAsync(`${STORE}gateway/request/erase`, JSON.stringify({ transaction: 'e-1', memberId: 'm-secret-2' }), { qos: 1 });
    await waitFor('the erase answer', 10_000, () => received.find((m) => m.topic.endsWith('gateway/response/erase') && m.payload.includes('"e-1"')));
    const health = await waitFor('gateway/health', 10_000, () => received.find((m) => m.topic === `${STORE}gateway/health`));
    expect(JSON.parse(health.payload)).toMatchObject({ schema: 'vitrin.health/1', storeId: 'secret-test', checks: { broker: true, database: true } });

    // The admin API and a tablet: a wrong token, a pairing code, the tablet's token, the cards it sees, an erasure.
    expect((await fetch(`${http}/admin/status`, { headers: { authorization: `Bearer ${PASSWORDS.wrong}` } })).status).toBe(401);
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const code = await fetch(`${http}/admin/pairing-codes`, { method: 'POST', headers: auth, body: JSON.stringify({ label: 'Tablet A', zones: ['pos-1'] }) });
    expect(code.status).toBe(200);
    pairingCode = ((await code.json()) as { code: string }).code;
    const paired = await fetch(`${http}/advisor/pair`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: pairingCode }) });
    expect(paired.status).toBe(200);
    tabletToken = /vitrin_tablet=([^;]+)/.exec(paired.headers.get('set-cookie') ?? '')![1]!;
    const seen = await fetch(`${http}/advisor/cards`, { headers: { cookie: `vitrin_tablet=${tabletToken}` } });
    expect(seen.status).toBe(200);
    expect((await fetch(`${http}/admin/members/m-secret-1/erase`, { method: 'POST', headers: auth, body: JSON.stringify({ requestId: 'desk-1' }) })).status).toBe(200);
    expect((await fetch(`${http}/metrics`)).status).toBe(200);
    expect((await fetch(`${http}/readyz`)).status).toBeLessThan(600);

    service!.kill('SIGTERM');
    await waitFor('the gateway to stop', 20_000, () => (service!.exitCode !== null ? true : undefined));
    expect(service!.exitCode).toBe(0);
  }, 90_000);

  it('and the log holds none of them', () => {
    // What was logged: the doors were used, so a leak would have had its chance.
    for (const line of ['Vitrin stopped', 'card shown', 'member erased', 'MQTT login refused', '"imported":2']) expect(output).toContain(line);
    const needles: Record<string, string> = {
      'roster key': ROSTER_KEY,
      'roster key (upper case)': ROSTER_KEY.toUpperCase(),
      'admin token': ADMIN_TOKEN,
      'broker password': BROKER_PASSWORD,
      'pairing code': pairingCode,
      'tablet token': tabletToken,
      'demo member name': DEMO.profile.firstName,
      'demo member identity key': Buffer.from(DEMO.identityKey).toString('hex'),
    };
    for (const [name, password] of Object.entries(PASSWORDS)) needles[`${name} password`] = password;
    for (const [name, hash] of Object.entries(HASHES)) {
      needles[`${name} password hash`] = hash;
      needles[`${name} password hash salt`] = hash.split('$')[3]!;
      needles[`${name} password hash digest`] = hash.split('$')[4]!;
    }
    for (const member of MEMBERS) {
      needles[`${member.id} name`] = member.profile.firstName;
      needles[`${member.id} identity key`] = member.identityKey;
      needles[`${member.id} identity key (base64)`] = Buffer.from(member.identityKey, 'hex').toString('base64');
    }
    expect(pairingCode.length).toBeGreaterThan(3);
    expect(tabletToken.length).toBeGreaterThan(10);
    const leaks = Object.entries(needles).filter(([, needle]) => output.includes(needle)).map(([name]) => name);
    expect(leaks).toEqual([]);
  });
});
