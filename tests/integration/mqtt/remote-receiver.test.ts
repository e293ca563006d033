import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBroker } from '../../../adapters/mqtt/embedded-broker.js';
import { MqttBus } from '../../../adapters/mqtt/mqtt-bus.js';
import { SystemClock } from '../../../adapters/clock/system-clock.js';
import { SightingForwarder } from '../../../gateway/ble/sighting-forwarder.js';
import { SightingsSource } from '../../../gateway/ble/sightings-source.js';
import { topicsFor } from '../../../gateway/mqtt/topics.js';
import type { Advertisement, AdvertisementSource } from '../../../gateway/ports.js';
import { APP_UUID, storeCapture } from '../../support/store-capture.js';

// A Vitrin box in receiver mode and the main gateway, through a real broker: what
// the receiver forwards arrives as advertisements; nothing else crosses the network.

const log = pino({ level: 'silent' });
const topics = topicsFor('demo-store');

class ListSource implements AdvertisementSource {
  readonly kind = 'ble' as const;
  private fn: ((ad: Advertisement) => void) | undefined;
  onAdvertisement(fn: (ad: Advertisement) => void) {
    this.fn = fn;
    return () => (this.fn = undefined);
  }
  emit(ad: Advertisement) {
    this.fn?.(ad);
  }
  start = () => Promise.resolve();
  stop = () => Promise.resolve();
}

describe('remote receivers over MQTT', () => {
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, log });
  let url = '';
  const buses: MqttBus[] = [];
  const bus = (clientId: string) => {
    const b = new MqttBus({ url, clientId, protocolVersion: 4, will: { topic: `t/${clientId}`, payload: 'offline', qos: 1, retain: false }, log, connectTimeoutMs: 5000, reconnectPeriodMs: 500 });
    buses.push(b);
    return b;
  };
  beforeAll(async () => {
    await broker.start();
    url = `mqtt://127.0.0.1:${broker.address().port}`;
  });
  afterAll(async () => {
    for (const b of buses) await b.stop();
    await broker.stop();
  });

  it('forwards only app frames, and the gateway receives them as advertisements of that receiver', async () => {
    const receiverBus = bus('rx');
    const gatewayBus = bus('gw');
    await receiverBus.start();
    await gatewayBus.start();
    const outcomes: string[] = [];
    const sightings = new SightingsSource({ bus: gatewayBus, filter: topics.allSightings, receivers: new Set(['rx-entrance']), log, onMessage: (o) => outcomes.push(o) });
    const received: Advertisement[] = [];
    sightings.onAdvertisement((ad) => received.push(ad));
    await sightings.start();

    const radio = new ListSource();
    const forwarder = new SightingForwarder({ source: radio, bus: receiverBus, topic: topics.sightings, appUuid: APP_UUID, clock: new SystemClock(), log, flushMs: 50 });
    await forwarder.start();
    const capture = storeCapture({ seconds: 3 });
    for (const r of capture.reports) radio.emit({ receiverId: 'rx-entrance', address: r.address, addressType: 'random', rssi: r.rssi, data: r.data, receivedAt: r.atMs });
    const members = capture.reports.filter((r) => r.memberId !== undefined);
    const deadline = Date.now() + 5000;
    while (received.length < members.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await forwarder.stop();

    const memberAddresses = new Set(members.map((r) => r.address));
    const memberReceived = received.filter((ad) => memberAddresses.has(ad.address));
    expect(memberReceived.map((ad) => [ad.address, ad.rssi, ad.receivedAt])).toEqual(members.map((r) => [r.address, r.rssi, r.atMs]));
    expect(received.every((ad) => ad.receiverId === 'rx-entrance')).toBe(true);
    // Strangers in other formats never leave the receiver.
    expect(forwarder.counts().ignored).toBeGreaterThan(0);
    expect(outcomes.every((o) => o === 'accepted')).toBe(true);
  });

  it('drops malformed sightings and unknown receivers without stopping', async () => {
    const gatewayBus = bus('gw2');
    await gatewayBus.start();
    const outcomes: string[] = [];
    const source = new SightingsSource({ bus: gatewayBus, filter: topics.allSightings, receivers: new Set(['rx-entrance']), log, onMessage: (o) => outcomes.push(o) });
    await source.start();
    const client = await mqtt.connectAsync(url);
    await client.publishAsync(topics.sightings('rx-entrance'), 'not json');
    await client.publishAsync(topics.sightings('rx-entrance'), JSON.stringify({ schema: 'vitrin.sightings/1', receiverId: 'rx-entrance', sentAt: 'yesterday', sightings: [] }));
    await client.publishAsync(topics.sightings('rx-rogue'), JSON.stringify({ schema: 'vitrin.sightings/1', receiverId: 'rx-rogue', sentAt: new Date().toISOString(), sightings: [] }));
    await client.endAsync();
    const deadline = Date.now() + 3000;
    while (outcomes.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(outcomes).toEqual(['invalid', 'invalid', 'unknown-receiver']);
  });
});
