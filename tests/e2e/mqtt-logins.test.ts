import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../gateway/config/load.js';
import { isVitrinError } from '../../gateway/errors.js';
import { startGateway, type RunningGateway } from '../../gateway/main.js';
import { hashPassword } from '../../gateway/mqtt/passwords.js';
import { crowdCapture } from '../support/crowd-capture.js';
import { freePort } from '../support/free-port.js';
import { connackCode, eventually, selfSignedCert, watcher } from '../support/mqtt-logins.js';

// The whole gateway with its embedded broker as a store runs it: the till has its own
// login, POS terminals reach the broker over TLS, anonymous clients are refused, and
// the gateway itself logs in with the password it made up at start.

const STORE = 'vitrin/demo-store/';
const TILL_PASSWORD = 'till-1-secret';
const log = pino({ level: 'silent' });

describe('the gateway with MQTT logins, end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitrin-mqtt-logins-'));
  const cert = selfSignedCert(dir);
  let gateway: RunningGateway | undefined;
  let tlsUrl = '';

  beforeAll(async () => {
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    const store = join(dir, 'store.yaml');
    const tlsPort = await freePort();
    tlsUrl = `mqtts://127.0.0.1:${tlsPort}`;
    const tls = cert === undefined ? '' : `  tls: { cert: ${cert.certFile}, key: ${cert.keyFile}, host: 127.0.0.1, port: ${tlsPort} }\n`;
    writeFileSync(store, `mqtt:\n  embedded: { host: 127.0.0.1, port: 0 }\n${tls}terminals:\n  - { id: till-1, zone: pos-1, passwordHash: "${hashPassword(TILL_PASSWORD, { iterations: 1000 })}" }\n`);
    const env = { VITRIN_DATA__DIR: dataDir, VITRIN_HTTP__HOST: '127.0.0.1', VITRIN_HTTP__PORT: '0' };
    const capture = join(dir, 'store.btsnoop');
    writeFileSync(capture, crowdCapture().bytes);
    gateway = await startGateway({ loaded: loadConfig({ file: store, env }), env, log, replay: { file: capture, speed: 0, receiverId: 'rx-pos-1' } });
    await gateway.replayFinished;
  }, 30_000);

  afterAll(async () => {
    await gateway?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses anonymous clients once a login is configured; the gateway itself is connected', async () => {
    expect(await connackCode(gateway!.mqttUrl, {})).toBe(5);
    expect(await connackCode(gateway!.mqttUrl, { username: 'pos.till-1', password: 'wrong' })).toBe(4);
    expect(JSON.stringify(await (await fetch(`${gateway!.httpUrl}/readyz`)).json())).toContain('"broker":true');
  });

  it('the till logs in over TLS, reads its present list and the gateway state, and nothing of the rest', async ({ skip }) => {
    if (cert === undefined) return skip();
    const till = await watcher(tlsUrl, { username: 'pos.till-1', password: TILL_PASSWORD, ca: cert.pem }, [`${STORE}pos/till-1/present`, `${STORE}gateway/state`, '#']);
    expect(till.granted.get('#')).toBe(128);
    await eventually('the retained present list and state', () => (till.messages.length >= 2 ? true : undefined));
    expect(till.messages.map((m) => m.topic).sort()).toEqual([`${STORE}gateway/state`, `${STORE}pos/till-1/present`]);
    expect(JSON.parse(till.messages.find((m) => m.topic.endsWith('present'))!.payload)).toMatchObject({ schema: 'vitrin.present/1', terminalId: 'till-1' });
    await till.client.endAsync();
  });
});

describe('the gateway refuses to start', () => {
  it('in production with the embedded broker on the LAN and no MQTT login (VITRIN_ERR_MQTT_AUTH_REQUIRED)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitrin-mqtt-open-'));
    const env = {
      VITRIN_MODE: 'production',
      VITRIN_ROSTER_KEY: randomBytes(32).toString('hex'),
      VITRIN_DATA__DIR: dir,
      VITRIN_MQTT__EMBEDDED__HOST: '0.0.0.0',
      VITRIN_MQTT__EMBEDDED__PORT: '0',
      VITRIN_HTTP__HOST: '127.0.0.1',
      VITRIN_HTTP__PORT: '0',
      VITRIN_BLE__SOURCE: 'radio',
    };
    const err: unknown = await startGateway({ loaded: loadConfig({ env }), env, log }).catch((e: unknown) => e);
    rmSync(dir, { recursive: true, force: true });
    expect(isVitrinError(err, 'VITRIN_ERR_MQTT_AUTH_REQUIRED')).toBe(true);
  });
});
