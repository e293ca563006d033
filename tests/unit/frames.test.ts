import { describe, expect, it } from 'vitest';
import { decodeFrames, frameToJson } from '../../gateway/ble/frames.js';

const frames = (hexData: string) => {
  const decoded = decodeFrames(Buffer.from(hexData.replace(/\s+/g, ''), 'hex'));
  return { truncated: decoded.truncated, frames: decoded.frames.map(frameToJson) };
};

describe('decodeFrames', () => {
  it('AltBeacon: the test vector of android-beacon-library (AltBeaconTest.TestRecognizeBeacon)', () => {
    // Its test asserts the manufacturer reserved byte is 9; the rest follows altbeacon/spec's layout.
    expect(frames('02011a1bff1801beac2f234454cf6d4a0fadf2f4911ba9ffa600010002c509')).toEqual({
      truncated: false,
      frames: [{ type: 'altbeacon', mfgId: 0x0118, id1: '2f234454-cf6d-4a0f-adf2-f4911ba9ffa6', id2: 1, id3: 2, txPower: -59, reserved: 9 }],
    });
  });

  it('iBeacon: UUID lower-case and dashed, major and minor big-endian, measured power signed', () => {
    expect(frames('0201061aff4c000215 e2c56db5dffb48d2b060d0f5a71096e0 0102 0304 c5').frames).toEqual([
      { type: 'ibeacon', uuid: 'e2c56db5-dffb-48d2-b060-d0f5a71096e0', major: 0x0102, minor: 0x0304, txPower: -59 },
    ]);
  });

  it('Eddystone-UID: 10-byte namespace and 6-byte instance as hex', () => {
    expect(frames('0303aafe 1716aafe 00 e7 edd1ebeac04e5defa017 0123456789ab 0000').frames).toEqual([
      { type: 'eddystone-uid', namespace: 'edd1ebeac04e5defa017', instance: '0123456789ab', txPower: -25 },
    ]);
  });

  it('Eddystone-URL: scheme prefix and expansion codes', () => {
    // https://www. + "example" + .com/ + "sale"
    const body = '10 eb 01' + Buffer.from('example').toString('hex') + '00' + Buffer.from('sale').toString('hex');
    const length = (body.replace(/\s+/g, '').length / 2 + 3).toString(16).padStart(2, '0');
    expect(frames(`0303aafe ${length}16aafe ${body}`).frames).toEqual([{ type: 'eddystone-url', url: 'https://www.example.com/sale', txPower: -21 }]);
  });

  it('Eddystone-TLM: battery mV, 8.8 fixed-point temperature, counters; uptime in 0.1 s units', () => {
    expect(frames('0303aafe 1116aafe 20 00 0bb8 1980 00000064 00002710').frames).toEqual([
      { type: 'eddystone-tlm', batteryMv: 3000, temperatureC: 25.5, advCount: 100, uptimeS: 1000 },
    ]);
    expect(frames('0303aafe 1116aafe 20 00 0bb8 8000 00000001 00000001').frames[0]).toMatchObject({ temperatureC: null });
    expect(frames('0303aafe 0a16aafe 20 01 aabbccddee').frames[0]).toEqual({ type: 'eddystone-etlm', data: 'aabbccddee' });
  });

  it('Eddystone-EID and reserved frame types', () => {
    expect(frames('0303aafe 0d16aafe 30 f4 0102030405060708').frames).toEqual([{ type: 'eddystone-eid', eid: '0102030405060708', txPower: -12 }]);
    expect(frames('0303aafe 0616aafe 40 0102').frames).toEqual([{ type: 'eddystone-reserved', frameType: 0x40, data: '0102' }]);
  });

  it("Apple's overflow area: the set bits, where iOS puts background service UUIDs", () => {
    // Manufacturer data 4C 00, type 01, then a 128-bit mask with bits 0 and 77 set.
    const mask = Buffer.alloc(16);
    mask[0] = 0x80;
    mask[9] = 0x04; // bit 77 = byte 9, 0x80 >> 5
    expect(frames(`14ff4c0001${mask.toString('hex')}`).frames).toEqual([{ type: 'apple-overflow', bits: [0, 77] }]);
  });

  it('other manufacturer and service data in general', () => {
    expect(frames('09ff0600010920020102').frames).toEqual([{ type: 'manufacturer', companyId: 0x0006, data: '010920020102' }]);
    expect(frames('05160d18aabb').frames).toEqual([{ type: 'service', uuid: '180d', data: 'aabb' }]);
    expect(frames('0721' + '00'.repeat(6)).frames[0]).toMatchObject({ type: 'malformed', format: 'service' });
  });

  it('reports truncation and keeps the frames before it', () => {
    expect(frames('0d16aafe30f40102030405060708 1fff4c')).toEqual({
      truncated: true,
      frames: [{ type: 'eddystone-eid', eid: '0102030405060708', txPower: -12 }],
    });
  });
});
