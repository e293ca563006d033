import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemClock } from '../../../adapters/clock/system-clock.js';
import { EmbeddedBroker } from '../../../adapters/mqtt/embedded-broker.js';
import { MqttBus } from '../../../adapters/mqtt/mqtt-bus.js';
import { startReceiver, type ReceiverKit } from '../../../gateway/main/receiver.js';
import { topicsFor } from '../../../gateway/mqtt/topics.js';
import type { ServiceNotifier } from '../../../gateway/ports.js';
import { FakeRadio } from '../../fakes/fake-radio.js';
import { APP_UUID, storeCapture } from '../../support/store-capture.js';
import { testConfig } from '../../support/test-config.js';

// Receiver mode (startReceiver) on a real broker: the box says it is online, forwards
// what its adapter hears, tells systemd, and says offline when it stops. The adapter is a
// stand-in (no radio here) and the box connects anonymously; the composition root's own
// kit, with its login and client id, is run against Mosquitto in dynsec-mosquitto.test.ts.

const log = pino({ level: 'silent' });
const topics = topicsFor('demo-store');
const stateTopic = `${topics.base}receivers/rx-floor/state`;

function recordingNotifier(calls: string[]): ServiceNotifier {
  return {
    ready: (status) => calls.push(`ready: ${status ?? ''}`),
    stopping: () => calls.push('stopping'),
    status: (text) => calls.push(`status: ${text}`),
    startWatchdog: () => calls.push('watchdog on'),
    stopWatchdog: () => calls.push('watchdog off'),
    close: () => calls.push('close'),
  };
}

describe('receiver mode', () => {
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, log });
  let url = '';
  beforeAll(async () => {
    await broker.start();
    url = `mqtt://127.0.0.1:${broker.address().port}`;
  });
  afterAll(() => broker.stop());

  const kit = (radio: FakeRadio, calls: string[]): ReceiverKit => ({
    clock: new SystemClock(),
    notifier: recordingNotifier(calls),
    bus: (willTopic) =>
      new MqttBus({ url, clientId: 'vitrin-rx-floor', protocolVersion: 4, will: { topic: willTopic, payload: 'offline', qos: 1, retain: true }, log, connectTimeoutMs: 5000, reconnectPeriodMs: 500 }),
    radios: () => [radio],
  });

  it('says online, forwards its adapter’s app frames as sightings, and says offline when stopped', async () => {
    const config = testConfig({ VITRIN_BLE__MODE: 'receiver', VITRIN_MQTT__URL: url });
    const watcher = await mqtt.connectAsync(url, { clientId: 'watcher' });
    const seen: { topic: string; payload: string }[] = [];
    watcher.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString() }));
    await watcher.subscribeAsync([stateTopic, topics.allSightings], { qos: 1 });
    const radio = new FakeRadio('rx-floor');
    const calls: string[] = [];
    const running = await startReceiver(config, kit(radio, calls), log);
    try {
      expect(radio.started).toBe(true);
      expect(calls).toEqual(['ready: receiver: forwarding sightings', 'watchdog on']);
      const capture = storeCapture({ seconds: 2 });
      for (const r of capture.reports) radio.emit({ receiverId: 'rx-floor', address: r.address, addressType: 'random', rssi: r.rssi, data: r.data, receivedAt: r.atMs });
      const members = capture.reports.filter((r) => r.memberId !== undefined).length;
      const forwarded = () => seen.filter((m) => m.topic === topics.sightings('rx-floor')).reduce((n, m) => n + (JSON.parse(m.payload) as { sightings: unknown[] }).sightings.length, 0);
      const deadline = Date.now() + 5000;
      while (forwarded() < members && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      // The capture's members use the configured app's frames; its strangers never leave the box.
      expect(APP_UUID).toBe(config.identity.appUuid.toLowerCase());
      expect(members).toBeGreaterThan(0);
      expect(forwarded()).toBe(members);
    } finally {
      await running.stop();
      await running.stop(); // a second stop (a signal during shutdown) changes nothing
    }
    const deadline = Date.now() + 3000;
    while (seen.filter((m) => m.topic === stateTopic).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await watcher.endAsync();
    expect(seen.filter((m) => m.topic === stateTopic).map((m) => m.payload)).toEqual(['online', 'offline']);
    expect(radio.started).toBe(false);
    expect(calls.slice(2)).toEqual(['stopping', 'watchdog off', 'close']);
  });

  it('refuses to start without the main gateway’s broker (VITRIN_ERR_RECEIVER_MODE)', async () => {
    const config = testConfig({ VITRIN_BLE__MODE: 'receiver' });
    const radio = new FakeRadio('rx-floor');
    await expect(startReceiver(config, kit(radio, []), log)).rejects.toMatchObject({ code: 'VITRIN_ERR_RECEIVER_MODE' });
    expect(radio.started).toBe(false);
  });
});
