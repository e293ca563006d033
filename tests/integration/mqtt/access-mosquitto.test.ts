import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttBus } from '../../../adapters/mqtt/mqtt-bus.js';
import { PosDelivery } from '../../../gateway/cards/pos-delivery.js';
import { runCli } from '../../../gateway/cli/vitrin.js';
import { loadConfig } from '../../../gateway/config/load.js';
import type { Config } from '../../../gateway/config/schema.js';
import { GatewayStatus } from '../../../gateway/mqtt/gateway-status.js';
import { topicsFor } from '../../../gateway/mqtt/topics.js';
import { PACKAGE_ROOT } from '../../../gateway/package-root.js';
import type { InboundMessage } from '../../../gateway/ports.js';
import { freePort } from '../../support/free-port.js';
import { launchMosquitto, mosquittoInstalled, type RunningMosquitto } from '../../support/mosquitto.js';
import {
  connackCode,
  gatewayBus,
  eventually,
  pause,
  PASSWORDS,
  sampleCard,
  selfSignedCert,
  STORE,
  storeConfigYaml,
  watcher,
  writeFile,
  type Cert,
} from '../../support/mqtt-logins.js';

// Debian's Mosquitto, started by the test with the files `vitrin mosquitto-config`
// writes and systemd/mosquitto.conf.template, as a store would run it. Assertions are
// on what clients observe: Mosquitto 2.0 grants any subscription and filters each
// delivery, and drops a forbidden MQTT 3.1.1 publish after acknowledging it.

const log = pino({ level: 'silent' });
const topics = topicsFor('s1');
const tillA = { username: 'pos.till-a', password: PASSWORDS.tillA };
const tillB = { username: 'pos.till-b', password: PASSWORDS.tillB };

interface Setup {
  readonly dir: string;
  readonly config: Config;
  readonly cert: Cert | undefined;
  readonly mosquittoConf: string;
  readonly port: number;
  readonly tlsPort: number;
}

/** The store's files, as store IT makes them: hashes in config, then `vitrin mosquitto-config`, then the template. */
async function storeSetup(persistence: boolean): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), 'vitrin-access-mosquitto-'));
  const cert = selfSignedCert(dir);
  const configFile = writeFile(dir, 'store.yaml', storeConfigYaml());
  // The ESPresense login's hash comes from `vitrin hash-password`, as documented.
  const hashed: string[] = [];
  const io = { out: (line: string) => void hashed.push(line), err: () => undefined };
  const noGateway = () => Promise.reject(new Error('not started here'));
  expect(await runCli(['hash-password', '--iterations', '1000'], { startGateway: noGateway, env: {}, io, readInput: () => Promise.resolve('esp-secret\n') })).toBe(0);
  const env = { VITRIN_BLE__ESPRESENSE__PASSWORDHASH: hashed[0]! };
  const config = loadConfig({ file: configFile, env }).config as Config;
  const written: string[] = [];
  const out = join(dir, 'mosquitto');
  const code = await runCli(['mosquitto-config', '--out', out, '--config', configFile], { startGateway: noGateway, env, io: { out: (l) => void written.push(l), err: (l) => void written.push(l) } });
  expect(code, written.join('\n')).toBe(0);
  expect(JSON.parse(written[0]!)).toMatchObject({ passwordFile: join(out, 'passwd'), aclFile: join(out, 'acl') });

  const port = await freePort();
  const tlsPort = await freePort();
  let conf = readFileSync(join(PACKAGE_ROOT, 'systemd', 'mosquitto.conf.template'), 'utf8');
  const replacements: [string, string][] = [
    ['/etc/mosquitto/vitrin/', `${out}/`],
    ['listener 1883 127.0.0.1', `listener ${port} 127.0.0.1`],
    ['persistence true', `persistence ${String(persistence)}\npersistence_location ${dir}/`],
    ...(cert === undefined
      ? ([['\nlistener 8883\n', '\n#listener 8883\n']] as [string, string][])
      : ([
          ['listener 8883', `listener ${tlsPort} 127.0.0.1`],
          ['/etc/mosquitto/certs/vitrin.crt', cert.certFile],
          ['/etc/mosquitto/certs/vitrin.key', cert.keyFile],
        ] as [string, string][])),
  ];
  for (const [from, to] of replacements) {
    expect(conf, `the template has "${from.trim()}"`).toContain(from);
    conf = conf.replaceAll(from, to);
  }
  if (cert === undefined) conf = conf.replace(/^(certfile|keyfile|tls_version) .*$/gm, '#$&');
  return { dir, config, cert, mosquittoConf: conf, port, tlsPort };
}

const skipAll = !mosquittoInstalled();

describe.skipIf(skipAll)('Mosquitto with the logins and ACL of vitrin mosquitto-config', () => {
  let setup: Setup;
  let mosquitto: RunningMosquitto;
  let bus: MqttBus;
  let pos: PosDelivery;
  let url = '';
  let tlsUrl = '';
  const feedback: InboundMessage[] = [];

  beforeAll(async () => {
    setup = await storeSetup(false);
    mosquitto = await launchMosquitto(setup.mosquittoConf, setup.cert === undefined ? [setup.port] : [setup.port, setup.tlsPort]);
    url = mosquitto.url;
    tlsUrl = `mqtts://127.0.0.1:${setup.tlsPort}`;
    bus = gatewayBus(url);
    await bus.start();
    await bus.subscribe(`${STORE}pos/+/feedback`, (m) => feedback.push(m));
    pos = new PosDelivery(bus, topics, setup.config.terminals);
    await pos.publishAllPresent();
  });

  afterAll(async () => {
    await bus?.stop();
    await mosquitto?.stop();
  });

  it('refuses anonymous clients and wrong passwords, and admits each configured login', async () => {
    expect(await connackCode(url, {})).toBe(5);
    expect(await connackCode(url, { username: 'pos.till-a', password: 'wrong' })).toBe(5);
    expect(await connackCode(url, { username: 'pos.till-a', password: PASSWORDS.tillB })).toBe(5);
    for (const login of [tillA, tillB, { username: 'receiver.rx-floor', password: PASSWORDS.receiver }, { username: 'store-it', password: PASSWORDS.admin }, { username: 'espresense', password: 'esp-secret' }]) {
      expect(await connackCode(url, login), login.username).toBe(0);
    }
  });

  it("terminal A, subscribed to B's cards, to pos/+/cards and to #, receives only its own topics", async () => {
    const a = await watcher(url, tillA, [`${STORE}pos/till-a/cards`, `${STORE}pos/till-b/cards`, `${STORE}pos/+/cards`, '#']);
    const b = await watcher(url, tillB, [`${STORE}pos/till-b/cards`]);
    await pos.show(sampleCard('for-b', 'pos-2'));
    await pos.show(sampleCard('for-a', 'pos-1'));
    await eventually("B's card at B", () => b.messages.find((m) => m.payload.includes('"for-b"')));
    await eventually("A's card at A", () => a.messages.find((m) => m.payload.includes('"for-a"')));
    await pause(300);
    expect(a.messages.some((m) => m.payload.includes('"for-b"') || m.topic.includes('till-b'))).toBe(false);
    const readable = new Set([`${STORE}pos/till-a/cards`, `${STORE}pos/till-a/present`, `${STORE}gateway/state`, `${STORE}gateway/info`]);
    expect(a.messages.filter((m) => !readable.has(m.topic))).toEqual([]);
    // Mosquitto 2.0 grants the wildcard subscriptions (SUBACK 1) and filters every delivery instead.
    expect([...a.granted.values()].every((code) => code === 1 || code === 128)).toBe(true);
    await a.client.endAsync();
    await b.client.endAsync();
  });

  it("terminal A cannot publish B's feedback: the gateway never receives it", async () => {
    const a = await watcher(url, tillA);
    await a.client.publishAsync(`${STORE}pos/till-b/feedback`, '{"forged":"b"}', { qos: 1 });
    await a.client.publishAsync(`${STORE}pos/till-a/feedback`, '{"from":"a"}', { qos: 1 });
    await eventually("A's own feedback", () => feedback.find((m) => m.topic === `${STORE}pos/till-a/feedback`));
    await pause(300);
    expect(feedback.map((m) => m.payload.toString())).toEqual(['{"from":"a"}']);
    // Nor may it forge a card on B's till.
    const b = await watcher(url, tillB, [`${STORE}pos/till-b/cards`]);
    await a.client.publishAsync(`${STORE}pos/till-b/cards`, '{"forged":true}', { qos: 1 });
    await pause(300);
    expect(b.messages).toEqual([]);
    await a.client.endAsync();
    await b.client.endAsync();
  });

  it('cards carry their expiry: MQTT 5 message expiry, and an expired card never reaches a till that was offline', async () => {
    const sessionId = 'till-a-session';
    const v5 = { ...tillA, protocolVersion: 5 as const, clientId: sessionId, clean: false, properties: { sessionExpiryInterval: 600 } };
    const online = await watcher(url, v5, [`${STORE}pos/till-a/cards`]);
    await pos.show(sampleCard('live', 'pos-1', 300));
    const live = await eventually('a live card', () => online.messages.find((m) => m.payload.includes('"live"')));
    expect(live.properties?.messageExpiryInterval).toBeGreaterThan(290);
    expect(live.properties?.messageExpiryInterval).toBeLessThanOrEqual(300);
    const card = JSON.parse(live.payload) as { issuedAt: string; expiresAt: string };
    expect(Date.parse(card.expiresAt) - Date.parse(card.issuedAt)).toBe(300_000);
    await online.client.endAsync();

    // Offline, with its session kept: one card that expires in 1 s, one that lives on.
    await pos.show(sampleCard('short', 'pos-1', 1));
    await pos.show(sampleCard('long', 'pos-1', 300));
    await pause(2500);
    const back = await watcher(url, v5);
    await eventually('the queued long card', () => back.messages.find((m) => m.payload.includes('"long"')));
    await pause(200);
    expect(back.messages.some((m) => m.payload.includes('"short"'))).toBe(false);
    await back.client.endAsync();
  });

  it('TLS: a terminal and the gateway connect with the CA; anonymous and untrusting clients are refused', async ({ skip }) => {
    if (setup.cert === undefined) return skip();
    const a = await watcher(tlsUrl, { ...tillA, ca: setup.cert.pem }, [`${STORE}pos/till-a/cards`]);
    await pos.show(sampleCard('over-tls', 'pos-1'));
    await eventually('a card over TLS', () => a.messages.find((m) => m.payload.includes('"over-tls"')));
    await a.client.endAsync();
    expect(await connackCode(tlsUrl, { ca: setup.cert.pem })).toBe(5);
    expect(await connackCode(tlsUrl, tillA)).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    const tlsBus = gatewayBus(tlsUrl, { caFile: setup.cert.certFile, clientId: 'vitrin-gateway-tls' });
    await tlsBus.start();
    expect(tlsBus.isConnected()).toBe(true);
    await tlsBus.stop();
  });
});

describe.skipIf(skipAll)('a Mosquitto restart', () => {
  let setup: Setup;
  let mosquitto: RunningMosquitto | undefined;
  let bus: MqttBus;
  let status: GatewayStatus;

  beforeAll(async () => {
    // No persistence: the restarted broker has forgotten every retained message, so what is there afterwards the gateway republished.
    setup = await storeSetup(false);
    mosquitto = await launchMosquitto(setup.mosquittoConf, [setup.port]);
  });

  afterAll(async () => {
    await status?.stop();
    await bus?.stop();
    await mosquitto?.stop();
  });

  it('the gateway reconnects within 5 s and republishes gateway/state online and the present lists', async () => {
    bus = gatewayBus(mosquitto!.url);
    await bus.start();
    status = new GatewayStatus(bus, topics, { schema: 'vitrin.info/1', version: 'test', storeId: 's1', simulated: false, model: null, configDigest: 'x', startedAt: new Date().toISOString() }, log);
    await status.start();
    // As main.ts wires them.
    const pos = new PosDelivery(bus, topics, setup.config.terminals);
    await pos.publishAllPresent();
    const stopRepublishing = pos.republishOnReconnect((err) => {
      throw err;
    });
    await pos.show(sampleCard('present', 'pos-1'));

    await mosquitto!.stop();
    await eventually('the gateway to notice', () => (bus.isConnected() ? undefined : true));
    mosquitto = await launchMosquitto(setup.mosquittoConf, [setup.port]);
    const restarted = Date.now();
    await eventually('a reconnect', () => (bus.isConnected() ? true : undefined), 5000);
    expect(Date.now() - restarted).toBeLessThan(5000);

    const it = await watcher(mosquitto.url, { username: 'store-it', password: PASSWORDS.admin }, [`${STORE}gateway/state`, `${STORE}pos/+/present`]);
    const state = await eventually('retained online', () => it.messages.find((m) => m.topic === `${STORE}gateway/state`), 5000);
    expect(state).toMatchObject({ payload: 'online', retain: true });
    const present = await eventually("till-a's retained present list", () => it.messages.find((m) => m.topic === `${STORE}pos/till-a/present`), 5000);
    expect(present.retain).toBe(true);
    expect(JSON.parse(present.payload)).toMatchObject({ schema: 'vitrin.present/1', terminalId: 'till-a', members: [{ memberId: 'm-present', cardId: 'present' }] });
    expect(it.messages.find((m) => m.topic === `${STORE}pos/till-b/present`)).toMatchObject({ retain: true });
    stopRepublishing();
    await it.client.endAsync();
  });
});
