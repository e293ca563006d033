import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBroker } from '../../../adapters/mqtt/embedded-broker.js';
import { MqttBus } from '../../../adapters/mqtt/mqtt-bus.js';
import { PosDelivery } from '../../../gateway/cards/pos-delivery.js';
import { loadConfig } from '../../../gateway/config/load.js';
import type { Config } from '../../../gateway/config/schema.js';
import { embeddedAccessPlan } from '../../../gateway/mqtt/access.js';
import { BrokerLogins, newGatewayLogin, type GatewayLogin } from '../../../gateway/mqtt/broker-logins.js';
import { topicsFor } from '../../../gateway/mqtt/topics.js';
import type { InboundMessage } from '../../../gateway/ports.js';
import { testConfig } from '../../support/test-config.js';
import {
  connackCode,
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

// The embedded broker as main.ts builds it: logins and topic rules from config, the
// gateway's own login made up per start, a TLS listener with a self-signed certificate.

const log = pino({ level: 'silent' });
const tillA = { username: 'pos.till-a', password: PASSWORDS.tillA };
const tillB = { username: 'pos.till-b', password: PASSWORDS.tillB };

describe('the embedded broker enforces logins and topic rules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitrin-access-embedded-'));
  let config: Config;
  let cert: Cert | undefined;
  let broker: EmbeddedBroker;
  let login: GatewayLogin;
  let bus: MqttBus;
  let pos: PosDelivery;
  let url = '';
  let tlsUrl = '';
  const feedback: InboundMessage[] = [];

  beforeAll(async () => {
    cert = selfSignedCert(dir);
    const tls = cert === undefined ? {} : { tls: { ca: '', cert: cert.certFile, key: cert.keyFile, host: '127.0.0.1', port: 0 } };
    config = loadConfig({ file: writeFile(dir, 'store.yaml', storeConfigYaml(tls)), env: {} }).config as Config;
    login = newGatewayLogin(config.mqtt.clientId);
    const { tls: t } = config.mqtt;
    broker = new EmbeddedBroker({
      host: '127.0.0.1',
      port: 0,
      ...(cert === undefined ? {} : { tls: { host: t.host, port: t.port, certFile: t.cert, keyFile: t.key } }),
      access: new BrokerLogins(embeddedAccessPlan(config), login),
      log,
    });
    await broker.start();
    url = `mqtt://127.0.0.1:${broker.address().port}`;
    if (cert !== undefined) tlsUrl = `mqtts://127.0.0.1:${broker.tlsAddress().port}`;
    bus = new MqttBus({ url, clientId: login.clientId, username: login.username, password: login.password, protocolVersion: 4, will: { topic: topicsFor('s1').state, payload: 'offline', qos: 1, retain: true }, log, connectTimeoutMs: 5000, reconnectPeriodMs: 500 });
    await bus.start();
    await bus.subscribe(`${STORE}pos/+/feedback`, (m) => feedback.push(m));
    pos = new PosDelivery(bus, topicsFor('s1'), config.terminals);
  });

  afterAll(async () => {
    await bus?.stop();
    await broker?.stop();
  });

  it('refuses anonymous clients, wrong passwords and a client taking the gateway client id', async () => {
    expect(await connackCode(url, {})).toBe(5);
    expect(await connackCode(url, { username: 'pos.till-a', password: 'wrong' })).toBe(4);
    expect(await connackCode(url, { username: 'pos.till-c', password: PASSWORDS.tillA })).toBe(4);
    expect(await connackCode(url, { ...tillA, clientId: config.mqtt.clientId })).toBe(2);
    expect(await connackCode(url, tillA)).toBe(0);
    expect(bus.isConnected()).toBe(true);
  });

  it("terminal A cannot take over B's connection with B's client id; B itself may reconnect under it", async () => {
    const b = await watcher(url, { ...tillB, clientId: 'pos.till-b' }, [`${STORE}pos/till-b/cards`]);
    expect(await connackCode(url, { ...tillA, clientId: 'pos.till-b' })).toBe(2);
    await pause(200);
    expect(b.closed()).toBe(false);
    // Till B's own login reconnecting (its old connection half-dead) takes the id over as MQTT says.
    const again = await watcher(url, { ...tillB, clientId: 'pos.till-b' });
    await eventually('the old connection of B closed', () => (b.closed() ? true : undefined));
    // Once B is gone, the id is free again for whoever logs in.
    await again.client.endAsync();
    await pause(100);
    expect(await connackCode(url, { ...tillA, clientId: 'pos.till-b' })).toBe(0);
    b.client.end(true);
  });

  it("terminal A cannot subscribe to B's cards (SUBACK 0x80) and never receives them", async () => {
    const a = await watcher(url, tillA, [`${STORE}pos/till-a/cards`, `${STORE}pos/till-b/cards`, `${STORE}pos/+/cards`, '#', `${STORE}pos/till-a/#`]);
    expect(Object.fromEntries(a.granted)).toEqual({
      [`${STORE}pos/till-a/cards`]: 1,
      [`${STORE}pos/till-b/cards`]: 128,
      [`${STORE}pos/+/cards`]: 128,
      '#': 128,
      [`${STORE}pos/till-a/#`]: 128,
    });
    const b = await watcher(url, tillB, [`${STORE}pos/till-b/cards`]);
    await pos.show(sampleCard('for-b', 'pos-2'));
    await pos.show(sampleCard('for-a', 'pos-1'));
    await eventually("B's card at B", () => b.messages.find((m) => m.payload.includes('"for-b"')));
    await eventually("A's card at A", () => a.messages.find((m) => m.payload.includes('"for-a"')));
    await pause(200);
    expect(a.messages.map((m) => m.topic)).toEqual([`${STORE}pos/till-a/cards`]);
    expect(a.messages.some((m) => m.payload.includes('"for-b"'))).toBe(false);
    // Cards carry their expiry in the payload (the embedded broker speaks MQTT 3.1.1, without message expiry).
    expect(JSON.parse(a.messages[0]!.payload)).toMatchObject({ cardId: 'for-a', expiresAt: expect.any(String) });
    await a.client.endAsync();
    await b.client.endAsync();
  });

  it("terminal A cannot publish B's feedback: the gateway never receives it, and A is disconnected", async () => {
    const a = await watcher(url, tillA);
    await a.client.publishAsync(`${STORE}pos/till-a/feedback`, '{"from":"a"}', { qos: 1 });
    await eventually("A's own feedback", () => feedback.find((m) => m.topic === `${STORE}pos/till-a/feedback`));
    void a.client.publishAsync(`${STORE}pos/till-b/feedback`, '{"forged":"b"}', { qos: 1 }).catch(() => undefined);
    await eventually('A disconnected', () => (a.closed() ? true : undefined));
    await pause(200);
    expect(feedback.map((m) => m.topic)).toEqual([`${STORE}pos/till-a/feedback`]);
    a.client.end(true);
  });

  it('a remote receiver publishes its own sightings and state, nothing else', async () => {
    const sightings: InboundMessage[] = [];
    const unsubscribe = await bus.subscribe(`${STORE}receivers/#`, (m) => sightings.push(m));
    const rx = await watcher(url, { username: 'receiver.rx-floor', password: PASSWORDS.receiver });
    await rx.client.publishAsync(`${STORE}receivers/rx-floor/state`, 'online', { qos: 1, retain: true });
    await eventually('the receiver state', () => sightings[0]);
    void rx.client.publishAsync(`${STORE}receivers/rx-pos-1/sightings`, '{}', { qos: 1 }).catch(() => undefined);
    await eventually('the receiver disconnected', () => (rx.closed() ? true : undefined));
    await pause(100);
    expect(sightings.map((m) => m.topic)).toEqual([`${STORE}receivers/rx-floor/state`]);
    unsubscribe();
    rx.client.end(true);
  });

  it('store IT reads the whole store and may send requests, but cannot put a card on a till', async () => {
    const admin = await watcher(url, { username: 'store-it', password: PASSWORDS.admin }, [`${STORE}#`, `${STORE}gateway/response/#`]);
    expect([...admin.granted.values()]).toEqual([1, 1]);
    const a = await watcher(url, tillA, [`${STORE}pos/till-a/cards`]);
    void admin.client.publishAsync(`${STORE}pos/till-a/cards`, '{"forged":true}', { qos: 1 }).catch(() => undefined);
    await eventually('the admin disconnected', () => (admin.closed() ? true : undefined));
    await pause(200);
    expect(a.messages).toEqual([]);
    admin.client.end(true);
    await a.client.endAsync();
  });

  it('TLS: a terminal that trusts the certificate logs in and gets its card; anonymous and untrusting clients are refused', async ({ skip }) => {
    if (cert === undefined) return skip();
    const a = await watcher(tlsUrl, { ...tillA, ca: cert.pem }, [`${STORE}pos/till-a/cards`]);
    await pos.show(sampleCard('over-tls', 'pos-1'));
    await eventually('a card over TLS', () => a.messages.find((m) => m.payload.includes('"over-tls"')));
    await a.client.endAsync();
    expect(await connackCode(tlsUrl, { ca: cert.pem })).toBe(5);
    // A self-signed certificate the client does not trust: no connection at all.
    expect(await connackCode(tlsUrl, tillA)).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('the gateway side connects over TLS with mqtt.tls.ca', async ({ skip }) => {
    if (cert === undefined) return skip();
    const tlsBus = new MqttBus({ url: tlsUrl, clientId: 'gw-tls', username: login.username, password: login.password, caFile: cert.certFile, protocolVersion: 4, will: { topic: 'vitrin/s1/test/will', payload: 'offline', qos: 1, retain: false }, log, connectTimeoutMs: 5000, reconnectPeriodMs: 500 });
    await tlsBus.start();
    expect(tlsBus.isConnected()).toBe(true);
    await tlsBus.stop();
  });
});

describe('a hash from mosquitto_passwd in config', () => {
  it('logs in at the embedded broker: both brokers read the same $7$ strings', async ({ skip }) => {
    if (!existsSync('/usr/bin/mosquitto_passwd')) return skip();
    const file = join(mkdtempSync(join(tmpdir(), 'vitrin-passwd-')), 'passwd');
    execFileSync('/usr/bin/mosquitto_passwd', ['-c', '-b', file, 'store-it', 'from-mosquitto']);
    const passwordHash = readFileSync(file, 'utf8').trim().split(':')[1]!;
    const config = testConfig({ VITRIN_MQTT__ADMINS: JSON.stringify([{ username: 'store-it', passwordHash }]) });
    const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, access: new BrokerLogins(embeddedAccessPlan(config), newGatewayLogin('gw')), log });
    await broker.start();
    try {
      const url = `mqtt://127.0.0.1:${broker.address().port}`;
      expect(await connackCode(url, { username: 'store-it', password: 'from-mosquitto' })).toBe(0);
      expect(await connackCode(url, { username: 'store-it', password: 'from-vitrin' })).toBe(4);
    } finally {
      await broker.stop();
    }
  });
});

describe('the embedded broker without logins (demo)', () => {
  // A LAN address of this machine, if it has one: a client from there is not local.
  const lan = Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;

  it('admits clients on this machine anonymously and refuses the rest', async ({ skip }) => {
    const config = testConfig({ VITRIN_MQTT__EMBEDDED__HOST: '0.0.0.0' });
    const plan = embeddedAccessPlan(config);
    expect(plan.warning).toContain('only clients on this machine');
    const broker = new EmbeddedBroker({ host: '0.0.0.0', port: 0, access: new BrokerLogins(plan, newGatewayLogin(config.mqtt.clientId)), log });
    await broker.start();
    try {
      const { port } = broker.address();
      expect(await connackCode(`mqtt://127.0.0.1:${port}`, {})).toBe(0);
      if (lan === undefined) return skip();
      expect(await connackCode(`mqtt://${lan}:${port}`, {})).toBe(5);
    } finally {
      await broker.stop();
    }
  });
});
