import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { NobleGattReader } from '../../../adapters/ble-noble/gatt-reader.js';
import { NobleSource } from '../../../adapters/ble-noble/noble-source.js';
import { SystemClock } from '../../../adapters/clock/system-clock.js';
import { encodeAppleOverflow, hasOverflowBit } from '../../../gateway/ble/apple-overflow.js';
import { encodeLegacyReport } from '../../../gateway/ble/hci-events.js';
import { isVitrinError } from '../../../gateway/errors.js';
import { BackgroundEidReader } from '../../../gateway/identity/background-eid.js';
import type { Advertisement, GattReadRequest } from '../../../gateway/ports.js';
import { openPtyPair } from '../../support/pty-pair.js';
import type { VirtualDeviceSpec } from '../../support/virtual-gatt-device.js';
import { VirtualHciController } from '../../support/virtual-hci-controller.js';

// GATT reads through the real noble stack (HCI UART driver, HCI, ACL, ATT and GATT
// layers, Noble and Peripheral) against the virtual controller on a pseudo-terminal,
// which connects to virtual phones and answers the ATT exchange from their tables.

const log = pino({ level: 'silent' });
const BIT = 44;
const SERVICE = '6a1d5e0c-8f3b-4c2e-9a7d-2b5f1e3c4d61';
const EID_CHARACTERISTIC = '6a1d5e0c-8f3b-4c2e-9a7d-2b5f1e3c4d62';
const EID = Uint8Array.from([0x1f, 0x2e, 0x3d, 0x4c, 0x5b, 0x6a, 0x79, 0x88]);

/** What an iPhone with the app in the background serves: GAP, GATT, Apple's own services, then ours. */
function iphone(address: string, overrides: Partial<VirtualDeviceSpec> = {}): VirtualDeviceSpec {
  return {
    address,
    addressType: 'random',
    services: [
      { uuid: '1800', characteristics: [{ uuid: '2a00', value: Buffer.from('iPhone') }, { uuid: '2a01', value: Uint8Array.from([0x40, 0x00]) }] },
      { uuid: '1801', characteristics: [{ uuid: '2a05', value: new Uint8Array(4), properties: 0x20 }] },
      { uuid: '180a', characteristics: [{ uuid: '2a29', value: Buffer.from('Apple Inc.') }, { uuid: '2a24', value: Buffer.from('iPhone15,2') }] },
      { uuid: 'd0611e78-bbb4-4591-a5f8-487910ae4366', characteristics: [{ uuid: '8667556c-9a37-4c91-84ed-54ee27d90049', value: new Uint8Array(0), properties: 0x98 }] },
      {
        uuid: SERVICE,
        characteristics: [
          { uuid: '6a1d5e0c-8f3b-4c2e-9a7d-2b5f1e3c4d63', value: Uint8Array.from([1]) },
          { uuid: EID_CHARACTERISTIC, value: EID },
        ],
      },
    ],
    ...overrides,
  };
}

let cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
  await new Promise((r) => setTimeout(r, 50));
});

async function startStack() {
  const pty = await openPtyPair();
  cleanup.push(() => pty.close());
  const controller = new VirtualHciController(pty.controllerEnd, []);
  controller.start();
  cleanup.push(() => controller.stop());
  const clock = new SystemClock();
  const source = new NobleSource({ binding: 'hci', device: 0, receiverId: 'rx-floor', uart: pty.hostEnd, startTimeoutMs: 10_000, overflowBit: BIT, clock, log });
  const heard: Advertisement[] = [];
  source.onAdvertisement((ad) => heard.push(ad));
  await source.start();
  cleanup.push(() => source.stop());
  await controller.scanEnabled();
  const reader = new NobleGattReader({ hosts: [source], clock });
  /** The phone advertises once; resolves when the adapter has reported it. */
  const advertise = async (address: string, data = encodeAppleOverflow([BIT]), eventType = 0x00) => {
    const before = heard.length;
    controller.send([encodeLegacyReport({ eventType, address, addressType: 'random', rssi: -58, data })]);
    await until(() => heard.slice(before).some((ad) => ad.address === address));
  };
  return { controller, source, reader, heard, advertise };
}

const request = (address: string, timeoutMs = 4000): GattReadRequest => ({
  receiverId: 'rx-floor',
  address,
  addressType: 'random',
  service: SERVICE,
  characteristic: EID_CHARACTERISTIC,
  timeoutMs,
});

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the read to fail');
    },
    (err: unknown) => err,
  );
}

describe('GATT reads through noble on a virtual controller', () => {
  it('connects, discovers our service among the phone’s others, reads the EID, disconnects and scans again', async () => {
    const { controller, source, reader, advertise } = await startStack();
    const phone = '4a:11:22:33:44:55';
    controller.addDevice(iphone(phone));
    await advertise(phone);

    const value = await reader.read(request(phone));

    expect(Buffer.from(value).toString('hex')).toBe(Buffer.from(EID).toString('hex'));
    expect(controller.connectAttempts).toEqual([phone]);
    expect(controller.hostDisconnects).toEqual([phone]);
    expect(controller.openLinks()).toEqual([]);
    // noble stopped scanning (and reset the controller) to connect; the adapter scans again since the connection.
    expect(controller.scanActive).toBe(true);
    expect(controller.scanEnables.at(-1)).toEqual({ enable: true, afterConnectAttempts: 1 });
    // The held peripheral is forgotten once the read is over: noble's memory is flat again.
    expect(source.cacheSizes()).toEqual({ peripherals: 0, discoveries: 0, bindings: 0 });
    expect(source.state()).toBe('scanning');
  });

  it('never connects to a device heard without our bit, or to one that cannot be connected to', async () => {
    const { controller, reader, advertise } = await startStack();
    const other = '4a:00:00:00:00:01';
    const beacon = '4a:00:00:00:00:02';
    controller.addDevice(iphone(other));
    controller.addDevice(iphone(beacon));
    await advertise(other, encodeAppleOverflow([BIT + 1]));
    await advertise(beacon, encodeAppleOverflow([BIT]), 0x03); // ADV_NONCONN_IND

    for (const address of [other, beacon, '4a:00:00:00:00:03']) {
      const err = await failure(reader.read(request(address)));
      expect(isVitrinError(err, 'VITRIN_ERR_GATT_READ')).toBe(true);
    }
    expect(controller.connectAttempts).toEqual([]);
  });

  it('gives up on a phone that has gone, cancelling the connection attempt, and the next phone still reads', async () => {
    const { controller, reader, advertise } = await startStack();
    const gone = '4a:00:00:00:00:0a';
    const here = '4a:00:00:00:00:0b';
    controller.addDevice(iphone(here));
    await advertise(gone); // heard, but out of range by the time the gateway connects
    await advertise(here);

    const started = Date.now();
    const [lost, found] = await Promise.allSettled([reader.read(request(gone, 1500)), reader.read(request(here, 4000))]);

    expect(lost.status).toBe('rejected');
    expect(isVitrinError((lost as PromiseRejectedResult).reason, 'VITRIN_ERR_GATT_READ')).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(controller.commands).toContain(0x200e); // LE Create Connection Cancel
    expect(found).toEqual({ status: 'fulfilled', value: expect.any(Uint8Array) });
    expect(controller.connectAttempts).toEqual([gone, here]);
    expect(controller.openLinks()).toEqual([]);
    expect(controller.scanActive).toBe(true);
    expect(controller.scanEnables.at(-1)).toEqual({ enable: true, afterConnectAttempts: 2 });
  });

  it('hangs up on a phone that connects but never answers the read, within the timeout', async () => {
    const { controller, reader, advertise, source } = await startStack();
    const mute = '4a:00:00:00:00:0c';
    controller.addDevice(iphone(mute, { ignoreReads: true }));
    await advertise(mute);

    const started = Date.now();
    const err = await failure(reader.read(request(mute, 1500)));

    expect(isVitrinError(err, 'VITRIN_ERR_GATT_READ')).toBe(true);
    expect(String((err as Error).message)).not.toContain(mute);
    expect(Date.now() - started).toBeLessThan(1500 + 1500);
    expect(controller.hostDisconnects).toEqual([mute]);
    expect(controller.openLinks()).toEqual([]);
    expect(controller.scanActive).toBe(true);
    expect(source.cacheSizes()).toEqual({ peripherals: 0, discoveries: 0, bindings: 0 });
  });

  it('fails cleanly when the service is missing, the connection is refused, or the phone drops the link', async () => {
    const { controller, reader, advertise } = await startStack();
    const android = '4a:00:00:00:00:0d';
    const refusing = '4a:00:00:00:00:0e';
    const leaving = '4a:00:00:00:00:0f';
    controller.addDevice({ address: android, addressType: 'random', services: [{ uuid: '180f', characteristics: [{ uuid: '2a19', value: Uint8Array.from([90]) }] }] });
    controller.addDevice(iphone(refusing, { refuseConnection: true }));
    controller.addDevice(iphone(leaving, { ignoreReads: true }));
    for (const address of [android, refusing, leaving]) await advertise(address);

    expect(isVitrinError(await failure(reader.read(request(android))), 'VITRIN_ERR_GATT_READ')).toBe(true);
    expect(controller.hostDisconnects).toEqual([android]);
    expect(isVitrinError(await failure(reader.read(request(refusing))), 'VITRIN_ERR_GATT_READ')).toBe(true);

    const started = Date.now();
    const pending = failure(reader.read(request(leaving, 8000)));
    await until(() => controller.openLinks().includes(leaving));
    await new Promise((r) => setTimeout(r, 200));
    controller.dropLink(leaving);
    expect(isVitrinError(await pending, 'VITRIN_ERR_GATT_READ')).toBe(true);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(controller.openLinks()).toEqual([]);
    expect(controller.scanActive).toBe(true);
  });

  it('end to end with the core: one connection per address and period, the EID from cache afterwards', async () => {
    const { controller, source, reader, advertise } = await startStack();
    const phone = '4a:00:00:00:00:10';
    controller.addDevice(iphone(phone));
    const eids: string[] = [];
    const background = new BackgroundEidReader({
      ios: {
        overflowBit: BIT,
        serviceUuid: SERVICE,
        eidCharacteristicUuid: EID_CHARACTERISTIC,
        maxConnections: 1,
        connectTimeoutSeconds: 4,
        retrySeconds: 30,
        banAfterFailures: 5,
        banSeconds: 3600,
      },
      rotationExponent: 10,
      reader,
      clock: new SystemClock(),
      log,
      onEid: (_ad, eid) => eids.push(Buffer.from(eid).toString('hex')),
    });
    await background.start();
    source.onAdvertisement((ad) => {
      if (hasOverflowBit(ad.data, BIT)) background.offer(ad);
    });

    await advertise(phone);
    await until(() => eids.length === 1);
    for (let i = 0; i < 3; i++) await advertise(phone);
    await until(() => eids.length === 4);

    expect(new Set(eids)).toEqual(new Set([Buffer.from(EID).toString('hex')]));
    expect(controller.connectAttempts).toEqual([phone]);
    expect(background.counts()).toMatchObject({ readsStarted: 1, readsSucceeded: 1, cacheHits: 3, inFlight: 0 });
    // Its later reports hold the phone's peripheral again (for a while, until swept): one entry, not one per report.
    expect(source.cacheSizes().peripherals).toBe(1);
  });
});
