import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedBroker } from '../../../adapters/mqtt/embedded-broker.js';
import type { InboundMessage } from '../../../gateway/ports.js';
import { eventually, pause, STORE, watcher, type Watcher } from '../../support/mqtt-logins.js';

// A till may forget a feedback message once its PUBACK arrives. With the embedded
// broker that PUBACK must mean "committed by the gateway": the broker hands the message
// to the gateway's intake first and acknowledges only when the intake resolves.

const log = pino({ level: 'silent' });
const FEEDBACK = `${STORE}pos/till-1/feedback`;

/** A till's QoS 1 publish, with whether its PUBACK has come back. */
function publishTracked(client: MqttClient, topic: string, payload: string): { acked: () => boolean; done: Promise<void> } {
  let acked = false;
  const done = client.publishAsync(topic, payload, { qos: 1 }).then(() => {
    acked = true;
  });
  return { acked: () => acked, done };
}

interface Deferred {
  readonly message: InboundMessage;
  resolve(): void;
  reject(err: Error): void;
}

describe('the embedded broker acknowledges feedback only after the gateway has taken it', () => {
  let broker: EmbeddedBroker;
  let url = '';
  let till: MqttClient;
  let integrator: Watcher;

  beforeEach(async () => {
    broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, intakeFilter: `${STORE}pos/+/feedback`, log });
    await broker.start();
    url = `mqtt://127.0.0.1:${broker.address().port}`;
    till = mqtt.connect(url, { clientId: 'pos.till-1', reconnectPeriod: 200 });
    till.on('error', () => undefined);
    await new Promise<void>((resolve) => till.once('connect', () => resolve()));
    integrator = await watcher(url, { clientId: 'integrator' }, [`${STORE}pos/+/feedback`]);
  });

  afterEach(async () => {
    till.end(true);
    integrator.client.end(true);
    await broker.stop();
  });

  it('holds the PUBACK while the gateway commits, then acknowledges and delivers to other subscribers', async () => {
    const taken: Deferred[] = [];
    broker.attachIntake((message) => new Promise<void>((resolve, reject) => taken.push({ message, resolve, reject })));
    const sent = publishTracked(till, FEEDBACK, '{"cardId":"c-1","action":"shown"}');
    const pending = await eventually('the intake has the message', () => taken[0]);
    expect(pending.message.topic).toBe(FEEDBACK);
    expect(pending.message.payload.toString()).toBe('{"cardId":"c-1","action":"shown"}');
    await pause(300);
    expect(sent.acked()).toBe(false);
    expect(integrator.messages).toEqual([]);
    pending.resolve();
    await sent.done;
    await eventually('the integrator sees it', () => integrator.messages.find((m) => m.topic === FEEDBACK));
  });

  it('keeps feedback that arrives before the gateway is ready, unacknowledged, and hands it over in order', async () => {
    const first = publishTracked(till, FEEDBACK, '{"n":1}');
    const second = publishTracked(till, FEEDBACK, '{"n":2}');
    await pause(300);
    expect(first.acked() || second.acked()).toBe(false);
    const taken: string[] = [];
    broker.attachIntake((message) => {
      taken.push(message.payload.toString());
      return Promise.resolve();
    });
    await Promise.all([first.done, second.done]);
    expect(taken).toEqual(['{"n":1}', '{"n":2}']);
  });

  it('an intake that fails leaves the message unacknowledged: the till is disconnected and sends it again', async () => {
    const taken: string[] = [];
    broker.attachIntake((message) => {
      taken.push(message.payload.toString());
      return taken.length === 1 ? Promise.reject(new Error('database busy')) : Promise.resolve();
    });
    const sent = publishTracked(till, FEEDBACK, '{"cardId":"c-2","action":"accepted"}');
    await sent.done;
    expect(taken).toEqual(['{"cardId":"c-2","action":"accepted"}', '{"cardId":"c-2","action":"accepted"}']);
  });

  it('other topics are acknowledged without the intake', async () => {
    const taken: InboundMessage[] = [];
    broker.attachIntake((message) => {
      taken.push(message);
      return Promise.resolve();
    });
    await till.publishAsync(`${STORE}gateway/request/health`, '{"transaction":"t"}', { qos: 1 });
    expect(taken).toEqual([]);
  });

  it('after detachIntake (the gateway stopping) feedback is no longer acknowledged', async () => {
    broker.attachIntake(() => Promise.resolve());
    broker.detachIntake();
    const sent = publishTracked(till, FEEDBACK, '{"n":3}');
    await pause(300);
    expect(sent.acked()).toBe(false);
  });
});
