import { describe, expect, it } from 'vitest';
import { decodeAdvertisement, encodeEddystoneEid, encodeIBeacon } from '../../gateway/ble/decode.js';

describe('decodeAdvertisement', () => {
  it('reads an Eddystone-EID frame: tx power and the 8-byte identifier', () => {
    const eid = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const frame = decodeAdvertisement(encodeEddystoneEid(eid, -4));
    expect(frame).toEqual({ kind: 'eddystone-eid', txPower: -4, eid });
  });

  it('reads an iBeacon: UUID, major, minor and measured power', () => {
    const frame = decodeAdvertisement(encodeIBeacon('6a1d5e0c-8f3b-4c2e-9a7d-2b5f1e3c4d60', 0xbeef, 0x0102, -59));
    expect(frame).toEqual({ kind: 'ibeacon', uuid: '6a1d5e0c-8f3b-4c2e-9a7d-2b5f1e3c4d60', major: 0xbeef, minor: 0x0102, measuredPower: -59 });
  });

  it('reads an iBeacon written out byte by byte, independent of our encoder', () => {
    // Flags; manufacturer data: company 0x004C little-endian, type 0x02, length 0x15, UUID, major, minor, power 0xC5 (-59 dBm).
    const hex = '0201061aff4c000215e2c56db5dffb48d2b060d0f5a71096e00000' + '0000c5';
    expect(decodeAdvertisement(Buffer.from(hex, 'hex'))).toEqual({
      kind: 'ibeacon',
      uuid: 'e2c56db5-dffb-48d2-b060-d0f5a71096e0',
      major: 0,
      minor: 0,
      measuredPower: -59,
    });
  });

  it('ignores frames that are not ours without throwing', () => {
    const eddystoneUid = Uint8Array.from([0x03, 0x03, 0xaa, 0xfe, 0x17, 0x16, 0xaa, 0xfe, 0x00, 0xe7, ...new Array<number>(18).fill(1)]);
    expect(decodeAdvertisement(eddystoneUid)).toBeUndefined();
    expect(decodeAdvertisement(Uint8Array.from([0x0a, 0xff, 0x4c, 0x00, 0x10, 0x05, 1, 2, 3, 4, 5]))).toBeUndefined();
    expect(decodeAdvertisement(new Uint8Array())).toBeUndefined();
  });

  it('survives malformed data: lengths past the end, zero lengths, truncated frames, random bytes', () => {
    expect(decodeAdvertisement(Uint8Array.from([0x1f, 0x16, 0xaa]))).toBeUndefined();
    expect(decodeAdvertisement(Uint8Array.from([0x00, 0x16, 0xaa, 0xfe, 0x30]))).toBeUndefined();
    expect(decodeAdvertisement(Uint8Array.from([0x05, 0x16, 0xaa, 0xfe, 0x30, 0x00]))).toBeUndefined();
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      const bytes = Uint8Array.from({ length: i % 40 }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
      expect(() => decodeAdvertisement(bytes)).not.toThrow();
    }
  });
});
