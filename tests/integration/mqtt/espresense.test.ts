import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBroker } from '../../../adapters/mqtt/embedded-broker.js';
import { MqttBus } from '../../../adapters/mqtt/mqtt-bus.js';
import { decodeAdvertisement } from '../../../gateway/ble/decode.js';
import { EspresenseSource, type EspresenseOutcome } from '../../../gateway/ble/espresense-source.js';
import { demoRoster } from '../../../gateway/identity/demo-roster.js';
import { computeEid } from '../../../gateway/identity/eid.js';
import { Resolver } from '../../../gateway/identity/resolver.js';
import type { Advertisement } from '../../../gateway/ports.js';
import { FakeClock } from '../../fakes/fake-clock.js';

// ESPresense nodes publishing through a real broker, as the firmware does: the app's
// iBeacon arrives as an advertisement of the room's receiver and resolves to the
// member; other devices, other rooms and broken payloads are counted and dropped.

const APP_UUID = '6a1d5e0c-8f3b-4c2e-9a7d-2b5f1e3c4d60';
const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const log = pino({ level: 'silent' });

describe('ESPresense nodes as receivers', () => {
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, log });
  let bus: MqttBus;
  let url = '';
  beforeAll(async () => {
    await broker.start();
    url = `mqtt://127.0.0.1:${broker.address().port}`;
    bus = new MqttBus({ url, clientId: 'gw', protocolVersion: 4, will: { topic: 'gw/state', payload: 'offline', qos: 1, retain: false }, log, connectTimeoutMs: 5000, reconnectPeriodMs: 500 });
    await bus.start();
  });
  afterAll(async () => {
    await bus.stop();
    await broker.stop();
  });

  it('delivers the member behind an app iBeacon and nothing else', async () => {
    const roster = demoRoster(42, 3, 10);
    const member = roster.members[1]!;
    const eid = computeEid(member.identityKey, 10, NOW / 1000);
    const outcomes: EspresenseOutcome[] = [];
    const source = new EspresenseSource({
      bus,
      topicPrefix: 'espresense',
      rooms: new Map([['till_1', 'rx-pos-1']]),
      appUuid: APP_UUID,
      clock: new FakeClock(NOW),
      log,
      onMessage: (o) => outcomes.push(o),
    });
    const received: Advertisement[] = [];
    source.onAdvertisement((ad) => received.push(ad));
    await source.start();

    const node = await mqtt.connectAsync(url);
    const appId = `iBeacon:${APP_UUID}-${eid.readUInt16BE(0)}-${eid.readUInt16BE(2)}`;
    const message = (id: string) => JSON.stringify({ id, idType: 30, 'rssi@1m': -59, rssi: -68, raw: 2.1, distance: 1.9, speed: 0, mac: 'fa1234567890' });
    await node.publishAsync(`espresense/devices/${appId}/till_1`, message(appId));
    await node.publishAsync('espresense/devices/apple:1005:9-26/till_1', message('apple:1005:9-26'));
    await node.publishAsync(`espresense/devices/${appId}/stockroom`, message(appId));
    await node.publishAsync(`espresense/devices/${appId}/till_1`, '{"id":');
    await node.endAsync();
    const deadline = Date.now() + 3000;
    while (outcomes.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await source.stop();

    expect(outcomes).toEqual(['accepted', 'other', 'unknown-room', 'invalid']);
    expect(received).toHaveLength(1);
    const ad = received[0]!;
    expect(ad).toMatchObject({ receiverId: 'rx-pos-1', address: 'fa:12:34:56:78:90', rssi: -68, receivedAt: NOW });
    const frame = decodeAdvertisement(ad.data);
    expect(frame && new Resolver(roster, APP_UUID).resolve(frame, NOW)).toEqual({ status: 'member', member: { id: member.id } });
  });

  it('does not subscribe at all when no room is configured', async () => {
    const source = new EspresenseSource({ bus, topicPrefix: 'espresense', rooms: new Map(), appUuid: APP_UUID, clock: new FakeClock(NOW), log });
    const received: Advertisement[] = [];
    source.onAdvertisement((ad) => received.push(ad));
    await source.start();
    const node = await mqtt.connectAsync(url);
    const id = `iBeacon:${APP_UUID}-1-2`;
    await node.publishAsync(`espresense/devices/${id}/till_1`, JSON.stringify({ id, rssi: -60, mac: 'fa1234567890' }));
    await node.endAsync();
    await new Promise((r) => setTimeout(r, 200));
    await source.stop();
    expect(received).toEqual([]);
  });
});
