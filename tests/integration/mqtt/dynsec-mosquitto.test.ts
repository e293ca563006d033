import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { MqttBus } from '../../../adapters/mqtt/mqtt-bus.js';
import { PosDelivery } from '../../../gateway/cards/pos-delivery.js';
import { runCli } from '../../../gateway/cli/vitrin.js';
import { loadConfig } from '../../../gateway/config/load.js';
import { receiverKit } from '../../../gateway/main.js';
import { startReceiver } from '../../../gateway/main/receiver.js';
import type { Config } from '../../../gateway/config/schema.js';
import { topicsFor } from '../../../gateway/mqtt/topics.js';
import { PACKAGE_ROOT } from '../../../gateway/package-root.js';
import type { InboundMessage } from '../../../gateway/ports.js';
import { FakeRadio } from '../../fakes/fake-radio.js';
import { freePort } from '../../support/free-port.js';
import { DYNSEC_PLUGIN, launchMosquitto, mosquittoInstalled, type RunningMosquitto } from '../../support/mosquitto.js';
import { connackCode, eventually, gatewayBus, pause, PASSWORDS, sampleCard, STORE, storeConfigYaml, watcher, writeFile } from '../../support/mqtt-logins.js';
import { APP_UUID, storeCapture } from '../../support/store-capture.js';

// Debian's Mosquitto with its dynamic security plugin and the dynamic-security.json that
// `vitrin mosquitto-config` writes, configured as systemd/mosquitto.conf.template's
// alternative lines say: each till and receiver bound to its username as client id, the
// gateway to mqtt.clientId.

const topics = topicsFor('s1');
const tillA = { username: 'pos.till-a', password: PASSWORDS.tillA, clientId: 'pos.till-a' };
const tillB = { username: 'pos.till-b', password: PASSWORDS.tillB, clientId: 'pos.till-b' };
const receiver = { username: 'receiver.rx-floor', password: PASSWORDS.receiver, clientId: 'receiver.rx-floor' };
const PLUGIN = DYNSEC_PLUGIN;

const skipAll = !mosquittoInstalled() || PLUGIN === undefined;

describe.skipIf(skipAll)("Mosquitto's dynamic security plugin with the logins of vitrin mosquitto-config", () => {
  let mosquitto: RunningMosquitto;
  let bus: MqttBus;
  let pos: PosDelivery;
  let url = '';
  let dir = '';
  const feedback: InboundMessage[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vitrin-dynsec-'));
    const configFile = writeFile(dir, 'store.yaml', storeConfigYaml());
    const config = loadConfig({ file: configFile, env: {} }).config as Config;
    const out = join(dir, 'mosquitto');
    const written: string[] = [];
    const code = await runCli(['mosquitto-config', '--out', out, '--config', configFile], {
      startGateway: () => Promise.reject(new Error('not started here')),
      env: {},
      io: { out: (l) => void written.push(l), err: (l) => void written.push(l) },
    });
    expect(code, written.join('\n')).toBe(0);
    const dynsecFile = join(out, 'dynamic-security.json');
    expect(JSON.parse(written[0]!)).toMatchObject({ dynamicSecurityFile: dynsecFile });

    // The template's alternative lines, uncommented in place of the password and ACL files.
    const template = readFileSync(join(PACKAGE_ROOT, 'systemd', 'mosquitto.conf.template'), 'utf8');
    expect(template).toContain(`#plugin /usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so`);
    expect(template).toContain('#plugin_opt_config_file /etc/mosquitto/vitrin/dynamic-security.json');
    const port = await freePort();
    mosquitto = await launchMosquitto(
      ['per_listener_settings false', 'allow_anonymous false', `plugin ${PLUGIN}`, `plugin_opt_config_file ${dynsecFile}`, `listener ${port} 127.0.0.1`, 'persistence false'].join('\n'),
      [port],
    );
    url = mosquitto.url;
    bus = gatewayBus(url);
    await bus.start();
    await bus.subscribe(`${STORE}pos/+/feedback`, (m) => feedback.push(m));
    pos = new PosDelivery(bus, topics, config.terminals);
  });

  afterAll(async () => {
    await bus?.stop();
    await mosquitto?.stop();
  });

  it('refuses anonymous clients and wrong passwords, and admits each login (tills and receivers under their own client id)', async () => {
    expect(await connackCode(url, {})).toBe(5);
    expect(await connackCode(url, { ...tillA, password: 'wrong' })).toBe(5);
    for (const login of [tillA, tillB, receiver, { username: 'store-it', password: PASSWORDS.admin }]) {
      expect(await connackCode(url, login), login.username).toBe(0);
    }
  });

  it("a receiver's login connects only as its receiver, and the gateway's only as mqtt.clientId", async () => {
    const b = await watcher(url, tillB, [`${STORE}pos/till-b/cards`]);
    expect(await connackCode(url, { ...receiver, clientId: 'pos.till-b' })).toBe(5);
    expect(await connackCode(url, { ...receiver, clientId: 'vitrin-gateway' })).toBe(5);
    expect(await connackCode(url, { ...receiver, clientId: 'mqttjs_0123abcd' })).toBe(5);
    expect(await connackCode(url, { username: 'vitrin-gw', password: PASSWORDS.gateway, clientId: 'pos.till-b' })).toBe(5);
    await pause(300);
    expect(b.closed()).toBe(false);
    expect(bus.isConnected()).toBe(true);
    await b.client.endAsync();
  });

  it('a receiver box, as `vitrin start` runs it in receiver mode, connects under its bound login and forwards its sightings', async () => {
    const boxYaml = storeConfigYaml()
      .replace('  username: vitrin-gw\n', `  url: ${JSON.stringify(url)}\n  username: receiver.rx-floor\n`)
      .replace(`  password: ${PASSWORDS.gateway}\n`, `  password: ${PASSWORDS.receiver}\n`)
      .replace('ble:\n', 'ble:\n  mode: receiver\n');
    const box = loadConfig({ file: writeFile(dir, 'box.yaml', boxYaml), env: {} }).config as Config;
    expect(box.identity.appUuid.toLowerCase()).toBe(APP_UUID);
    const heard: InboundMessage[] = [];
    const unsubscribe = await bus.subscribe(`${STORE}receivers/rx-floor/#`, (m) => heard.push(m));
    const radio = new FakeRadio('rx-floor');
    const log = pino({ level: 'silent' });
    // The composition root's own kit (its MqttBus, login and client id); only the adapter is a stand-in.
    const running = await startReceiver(box, { ...receiverKit(box, {}, log), radios: () => [radio] }, log);
    try {
      const capture = storeCapture({ seconds: 2 });
      for (const r of capture.reports) radio.emit({ receiverId: 'rx-floor', address: r.address, addressType: 'random', rssi: r.rssi, data: r.data, receivedAt: r.atMs });
      const members = capture.reports.filter((r) => r.memberId !== undefined).length;
      const forwarded = () => heard.filter((m) => m.topic.endsWith('/sightings')).reduce((n, m) => n + (JSON.parse(m.payload.toString()) as { sightings: unknown[] }).sightings.length, 0);
      await eventually('the sightings at the gateway', () => (forwarded() >= members ? true : undefined));
      expect(forwarded()).toBe(members);
      expect(heard.find((m) => m.topic.endsWith('/state'))?.payload.toString()).toBe('online');
    } finally {
      await running.stop();
      unsubscribe();
    }
  });

  it("a till's login cannot take over another till's connection, nor connect under any other client id", async () => {
    const b = await watcher(url, tillB, [`${STORE}pos/till-b/cards`]);
    expect(await connackCode(url, { ...tillA, clientId: 'pos.till-b' })).toBe(5);
    expect(await connackCode(url, { ...tillA, clientId: 'vitrin-gateway' })).toBe(5);
    expect(await connackCode(url, { ...tillA, clientId: 'mqttjs_0123abcd' })).toBe(5);
    await pause(300);
    expect(b.closed()).toBe(false);
    expect(bus.isConnected()).toBe(true);
    await pos.show(sampleCard('still-b', 'pos-2'));
    await eventually("B's card at B, still connected", () => b.messages.find((m) => m.payload.includes('"still-b"')));
    await b.client.endAsync();
  });

  it("terminal A is refused B's topics and wildcards (SUBACK 0x80), gets its own cards, and cannot forge B's feedback", async () => {
    const a = await watcher(url, tillA, [`${STORE}pos/till-a/cards`, `${STORE}pos/till-b/cards`, `${STORE}pos/+/cards`, '#']);
    expect(Object.fromEntries(a.granted)).toEqual({ [`${STORE}pos/till-a/cards`]: 1, [`${STORE}pos/till-b/cards`]: 128, [`${STORE}pos/+/cards`]: 128, '#': 128 });
    await pos.show(sampleCard('for-b', 'pos-2'));
    await pos.show(sampleCard('for-a', 'pos-1'));
    await eventually("A's card at A", () => a.messages.find((m) => m.payload.includes('"for-a"')));
    await a.client.publishAsync(`${STORE}pos/till-b/feedback`, '{"forged":"b"}', { qos: 1 });
    await a.client.publishAsync(`${STORE}pos/till-a/feedback`, '{"from":"a"}', { qos: 1 });
    await eventually("A's own feedback", () => feedback.find((m) => m.topic === `${STORE}pos/till-a/feedback`));
    await pause(300);
    expect(a.messages.some((m) => m.payload.includes('"for-b"'))).toBe(false);
    expect(feedback.map((m) => m.payload.toString())).toEqual(['{"from":"a"}']);
    await a.client.endAsync();
  });
});
