import { describe, expect, it } from 'vitest';
import { decodeAdvertisement } from '../../gateway/ble/decode.js';
import { appUuidForms, readEspresenseMessage } from '../../gateway/ble/espresense.js';

const APP_UUID = '6a1d5e0c-8f3b-4c2e-9a7d-2b5f1e3c4d60';
const forms = appUuidForms(APP_UUID);
const read = (id: string, payload: unknown, room = 'till_1') =>
  readEspresenseMessage(id, room, Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)), forms, APP_UUID);

/** The fields ESPresense's BleFingerprint::report() writes, for an iBeacon. */
function report(id: string, extra: Record<string, unknown> = {}) {
  return { id, idType: 30, 'rssi@1m': -61, rssi: -72, raw: 3.1, distance: 2.84, speed: 0, mac: 'c0ffee123456', ...extra };
}

describe('ESPresense messages', () => {
  it('turns the app iBeacon into the advertising data the node heard', () => {
    const id = `iBeacon:${APP_UUID}-4660-22136`;
    const reading = read(id, report(id));
    expect(reading).toMatchObject({ kind: 'app', room: 'till_1', address: 'c0:ff:ee:12:34:56', rssi: -72 });
    if (reading.kind !== 'app') return;
    expect(decodeAdvertisement(reading.data)).toEqual({ kind: 'ibeacon', uuid: APP_UUID, major: 0x1234, minor: 0x5678, measuredPower: -61 });
  });

  it('accepts the UUID without dashes, in capitals, byte-reversed, and a mac with colons', () => {
    const bare = APP_UUID.replaceAll('-', '');
    const reversed = Buffer.from(bare, 'hex').reverse().toString('hex');
    for (const uuid of [bare, APP_UUID.toUpperCase(), reversed]) {
      const id = `iBeacon:${uuid}-1-2`;
      expect(read(id, report(id, { mac: 'C0:FF:EE:12:34:56' }))).toMatchObject({ kind: 'app', address: 'c0:ff:ee:12:34:56' });
    }
  });

  it('never reads the payload of any other device', () => {
    // A published ESPresense report of a non-iBeacon device (ESPresense issue 41), and
    // other ids the firmware emits; their payloads here are not even JSON.
    const sample = '{"id":"dc3056789abc","name":"MH","rssi@1m":-59,"rssi":-75,"mac":"dc3056789abc","raw":2.87,"distance":2.26,"speed":0}';
    expect(read('dc3056789abc', sample)).toEqual({ kind: 'other' });
    for (const id of ['iBeacon:e2c56db5-dffb-48d2-b060-d0f5a71096e0-1-2', 'apple:1005:9-26', 'name:elifs-iphone', 'altBeacon:6a1d5e0c8f3b4c2e9a7d2b5f1e3c4d60-1-2']) {
      expect(read(id, 'not json')).toEqual({ kind: 'other' });
    }
  });

  it('says what is wrong with a broken message about the app', () => {
    const id = `iBeacon:${APP_UUID}-1-2`;
    expect(read(id, 'not json')).toEqual({ kind: 'invalid', problem: 'payload is not JSON' });
    expect(read(id, [1])).toMatchObject({ kind: 'invalid' });
    expect(read(id, report('iBeacon:other-1-2'))).toMatchObject({ kind: 'invalid', problem: 'payload id differs from the topic' });
    expect(read(id, report(id, { rssi: 'strong' }))).toMatchObject({ kind: 'invalid', problem: 'rssi is not a number in -127..20' });
    expect(read(id, report(id, { mac: 'here' }))).toMatchObject({ kind: 'invalid', problem: 'mac is not a device address' });
    const big = `iBeacon:${APP_UUID}-70000-2`;
    expect(read(big, report(big))).toMatchObject({ kind: 'invalid', problem: 'major or minor above 65535' });
  });

  it('falls back to the firmware default power at 1 m when the node sends none', () => {
    const id = `iBeacon:${APP_UUID}-1-2`;
    const { 'rssi@1m': _, ...withoutPower } = report(id);
    const reading = read(id, withoutPower);
    expect(reading.kind === 'app' && decodeAdvertisement(reading.data)).toMatchObject({ measuredPower: -59 });
  });
});
