import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBroker } from '../../../adapters/mqtt/embedded-broker.js';
import { MqttBus } from '../../../adapters/mqtt/mqtt-bus.js';
import { isVitrinError } from '../../../gateway/errors.js';
import type { InboundMessage } from '../../../gateway/ports.js';
import { freePort } from '../../support/free-port.js';
import { startMosquitto, type RunningMosquitto } from '../../support/mosquitto.js';

const log = pino({ level: 'silent' });

interface Broker {
  url: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function embedded(): Promise<Broker> {
  let broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, log });
  await broker.start();
  const { port } = broker.address();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    restart: async () => {
      await broker.stop();
      broker = new EmbeddedBroker({ host: '127.0.0.1', port, log });
      await broker.start();
    },
    stop: () => broker.stop(),
  };
}

async function mosquitto(): Promise<Broker | undefined> {
  let running: RunningMosquitto | undefined = await startMosquitto();
  if (running === undefined) return undefined;
  const { port, url } = running;
  return {
    url,
    restart: async () => {
      await running!.stop();
      running = await startMosquitto(port);
    },
    stop: async () => running?.stop(),
  };
}

function newBus(url: string, clientId: string, protocolVersion: 4 | 5 = 4, persistentSession = false): MqttBus {
  return new MqttBus({
    persistentSession,
    url,
    clientId,
    protocolVersion,
    will: { topic: `test/${clientId}/state`, payload: 'offline', qos: 1, retain: true },
    log,
    connectTimeoutMs: 5000,
    reconnectPeriodMs: 200,
  });
}

async function observer(url: string, filter: string, protocolVersion: 4 | 5 = 4) {
  const client: MqttClient = await mqtt.connectAsync(url, { clientId: `obs-${Math.random().toString(16).slice(2)}`, protocolVersion, reconnectPeriod: 0 });
  const messages: { topic: string; payload: string; retain: boolean; properties: Record<string, unknown> | undefined }[] = [];
  client.on('message', (topic, payload, packet) =>
    messages.push({ topic, payload: payload.toString(), retain: packet.retain, properties: packet.properties as Record<string, unknown> | undefined }),
  );
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, messages };
}

async function eventually<T>(check: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const brokers: [string, () => Promise<Broker | undefined>][] = [
  ['embedded broker (aedes)', embedded],
  ['Mosquitto', mosquitto],
];

describe.each(brokers)('MqttBus against the %s', (name, makeBroker) => {
  let broker: Broker | undefined;
  beforeAll(async () => {
    broker = await makeBroker();
  });
  afterAll(async () => broker?.stop());

  it('keeps a retained message for late subscribers', async ({ skip }) => {
    if (broker === undefined) return skip();
    const bus = newBus(broker.url, 'retainer');
    await bus.start();
    await bus.publish('test/retainer/state', 'online', { qos: 1, retain: true });
    const late = await observer(broker.url, 'test/retainer/state');
    const got = await eventually(() => late.messages[0], 'retained state');
    expect(got).toMatchObject({ payload: 'online', retain: true });
    await late.client.endAsync();
    await bus.stop();
  });

  it('has the broker publish the retained last will when the connection dies without a goodbye', async ({ skip }) => {
    if (broker === undefined) return skip();
    const bus = newBus(broker.url, 'mortal');
    await bus.start();
    await bus.publish('test/mortal/state', 'online', { qos: 1, retain: true });
    // Cut the TCP connection under the client, as a crash or power loss would.
    (bus as unknown as { client: MqttClient }).client.stream.destroy();
    await bus.stop();
    const late = await observer(broker.url, 'test/mortal/state');
    const got = await eventually(() => late.messages.find((m) => m.payload === 'offline'), 'the will');
    expect(got.retain).toBe(true);
    await late.client.endAsync();
  });

  it('delivers QoS 1 publishes to matching wildcard handlers, and a throwing handler harms no other', async ({ skip }) => {
    if (broker === undefined) return skip();
    const bus = newBus(broker.url, 'dispatcher');
    await bus.start();
    const plus: InboundMessage[] = [];
    const hash: InboundMessage[] = [];
    await bus.subscribe('dispatch/pos/+/feedback', () => {
      throw new Error('bad handler');
    });
    await bus.subscribe('dispatch/pos/+/feedback', (m) => plus.push(m));
    // Its own prefix: retained messages of the other tests would match test/#.
    const unsubscribe = await bus.subscribe('dispatch/#', (m) => hash.push(m));
    await bus.publish('dispatch/pos/till-1/feedback', '{"a":1}', { qos: 1 });
    await bus.publish('dispatch/other', 'x', { qos: 1 });
    await eventually(() => (plus.length === 1 && hash.length === 2 ? true : undefined), 'dispatch');
    expect(plus[0]).toMatchObject({ topic: 'dispatch/pos/till-1/feedback' });
    expect(plus[0]!.payload.toString()).toBe('{"a":1}');
    unsubscribe();
    await bus.publish('dispatch/other', 'y', { qos: 1 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(hash).toHaveLength(2);
    await bus.stop();
  });

  it.for([4, 5] as const)('with a kept session (MQTT %i), hands over QoS 1 messages sent while the gateway was down, even to a late subscriber', async (version, { skip }) => {
    // The embedded broker speaks MQTT 3.1.1 only (README: MQTT contract).
    if (broker === undefined || (version === 5 && name.startsWith('embedded'))) return skip();
    const clientId = `keeper-v${version}`;
    const first = newBus(broker.url, clientId, version, true);
    await first.start();
    await first.subscribe('keep/pos/+/feedback', () => undefined);
    await first.stop();

    // A till's feedback while the gateway is down: the broker PUBACKs it, so the till forgets it.
    const till = await mqtt.connectAsync(broker.url, { clientId: `till-v${version}`, reconnectPeriod: 0 });
    await till.publishAsync('keep/pos/till-1/feedback', 'sent-while-down', { qos: 1 });
    await till.endAsync();

    const second = newBus(broker.url, clientId, version, true);
    await second.start();
    // The feedback stage subscribes a moment after the connection is up, as in the service.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const received: string[] = [];
    await second.subscribe('keep/pos/+/feedback', (m) => received.push(m.payload.toString()));
    await eventually(() => (received.length > 0 ? true : undefined), 'the message kept by the session');
    expect(received).toEqual(['sent-while-down']);
    await second.stop();

    // Acknowledged once handled: a third start gets nothing again.
    const third = newBus(broker.url, clientId, version, true);
    await third.start();
    const again: string[] = [];
    await third.subscribe('keep/pos/+/feedback', (m) => again.push(m.payload.toString()));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(again).toEqual([]);
    await third.stop();
  });

  it('reconnects by itself after the broker restarts and receives on its subscriptions again', async ({ skip }) => {
    if (broker === undefined) return skip();
    const bus = newBus(broker.url, 'survivor');
    await bus.start();
    const changes: boolean[] = [];
    bus.onConnectionChange((c) => changes.push(c));
    const received: string[] = [];
    await bus.subscribe('test/survivor/in', (m) => received.push(m.payload.toString()));
    await broker.restart();
    await eventually(() => (changes.includes(false) && bus.isConnected() ? true : undefined), 'reconnect', 15_000);
    const sender = await mqtt.connectAsync(broker.url, { clientId: 'sender', reconnectPeriod: 0 });
    await eventually(() => {
      void sender.publishAsync('test/survivor/in', 'after-restart', { qos: 1 });
      return received.includes('after-restart') ? true : undefined;
    }, 'a message after the restart', 15_000);
    await sender.endAsync();
    await bus.stop();
  });
});

describe('MQTT failures with a clear code', () => {
  it('start() fails with VITRIN_ERR_MQTT_CONNECT when nothing listens', async () => {
    const port = await freePort();
    const bus = newBus(`mqtt://127.0.0.1:${port}`, 'lonely');
    const err: unknown = await bus.start().catch((e: unknown) => e);
    expect(isVitrinError(err, 'VITRIN_ERR_MQTT_CONNECT')).toBe(true);
    expect(bus.isConnected()).toBe(false);
  });

  it('the embedded broker on a port in use fails with VITRIN_ERR_MQTT_BROKER_LISTEN', async () => {
    const first = new EmbeddedBroker({ host: '127.0.0.1', port: 0, log });
    await first.start();
    const second = new EmbeddedBroker({ host: '127.0.0.1', port: first.address().port, log });
    const err: unknown = await second.start().catch((e: unknown) => e);
    expect(isVitrinError(err, 'VITRIN_ERR_MQTT_BROKER_LISTEN')).toBe(true);
    expect((err as Error).message).toContain('mqtt.url');
    await first.stop();
  });

  it('MQTT 5 message expiry and content type reach a v5 subscriber through Mosquitto', async ({ skip }) => {
    const broker = await mosquitto();
    if (broker === undefined) return skip();
    const bus = newBus(broker.url, 'v5', 5);
    await bus.start();
    const watcher = await observer(broker.url, 'test/v5/card', 5);
    await bus.publish('test/v5/card', '{}', { qos: 1, messageExpirySeconds: 300, contentType: 'application/json' });
    const got = await eventually(() => watcher.messages[0], 'a v5 message');
    expect(got.properties).toMatchObject({ contentType: 'application/json' });
    expect(got.properties?.messageExpiryInterval).toBeGreaterThan(0);
    await watcher.client.endAsync();
    await bus.stop();
    await broker.stop();
  });
});
