import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeAppleOverflow, hasOverflowBit } from '../../gateway/ble/apple-overflow.js';
import { encodeIBeacon } from '../../gateway/ble/decode.js';
import { decodeFrames } from '../../gateway/ble/frames.js';

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex.replaceAll(' ', ''), 'hex'));
const mask = (bits: number[]) => {
  const m = Buffer.alloc(16);
  for (const b of bits) m[b >> 3]! |= 0x80 >> (b & 7);
  return m.toString('hex');
};

describe("Apple's overflow area", () => {
  it('finds the bit in an advert as an iPhone sends it in the background', () => {
    // Flags 0x1A, then manufacturer data 4C 00, type 01 and the mask: byte 7 = 0x02 is bit 62.
    const data = bytes('02011a 14ff4c0001 00000000000000020000000000000000');
    expect(hasOverflowBit(data, 62)).toBe(true);
    for (const other of [0, 61, 63, 127]) expect(hasOverflowBit(data, other)).toBe(false);
  });

  it('encodes what it reads, and what frames.ts decodes, for any set of bits', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 127 }), { maxLength: 12 }), (bits) => {
        const data = encodeAppleOverflow(bits);
        expect(data.length).toBe(3 + 21);
        for (let b = 0; b < 128; b++) expect(hasOverflowBit(data, b)).toBe(bits.includes(b));
        expect(decodeFrames(data).frames).toEqual([{ type: 'apple-overflow', bits: [...bits].sort((x, y) => x - y) }]);
      }),
      { numRuns: 300 },
    );
  });

  it('looks past other structures, other companies and other Apple types to the overflow area', () => {
    const overflow = `14ff4c0001${mask([44])}`;
    expect(hasOverflowBit(bytes(`020106 07ff060001092002 ${overflow}`), 44)).toBe(true);
    expect(hasOverflowBit(bytes(`${`14ff4c0001${mask([3])}`} ${overflow}`), 44)).toBe(true);
    // The same bytes under another company id, or as another Apple type, are not the overflow area.
    expect(hasOverflowBit(bytes(`14ff4d0001${mask([44])}`), 44)).toBe(false);
    expect(hasOverflowBit(bytes(`14ff4c0010${mask([44])}`), 44)).toBe(false);
    // An iBeacon whose UUID happens to have the bit's position set is not it either.
    expect(hasOverflowBit(encodeIBeacon('ffffffff-ffff-ffff-ffff-ffffffffffff', 0xffff, 0xffff, -59), 44)).toBe(false);
  });

  it('trusts nothing malformed: a short mask, a length past the end, a bit out of range', () => {
    expect(hasOverflowBit(bytes(`13ff4c0001${mask([44]).slice(0, 30)}`), 44)).toBe(false);
    // The overflow area after a structure whose length runs past the end is never reached.
    expect(hasOverflowBit(bytes(`14ff4c0001${mask([44])}`).subarray(0, 20), 44)).toBe(false);
    expect(hasOverflowBit(bytes(`ff01 14ff4c0001${mask([44])}`), 44)).toBe(false);
    const all = encodeAppleOverflow(Array.from({ length: 128 }, (_, i) => i));
    for (const bit of [-1, 128, 1.5, Number.NaN]) expect(hasOverflowBit(all, bit)).toBe(false);
    expect(hasOverflowBit(new Uint8Array(0), 0)).toBe(false);
    expect(() => encodeAppleOverflow([128])).toThrow(RangeError);
  });

  it('never throws on random input and agrees with the full decoder', () => {
    const appleish = fc
      .tuple(fc.constantFrom(0x01, 0x02, 0x10), fc.uint8Array({ maxLength: 24 }))
      .map(([kind, body]) => Uint8Array.from([body.length + 4, 0xff, 0x4c, 0x00, kind, ...body]));
    const structures = fc.array(fc.oneof(appleish, fc.uint8Array({ maxLength: 30 })), { maxLength: 5 }).map((parts) => Uint8Array.from(parts.flatMap((p) => [...p])));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), structures), fc.integer({ min: -2, max: 130 }), (data, bit) => {
        const fast = hasOverflowBit(data, bit);
        const full = decodeFrames(data).frames.some((f) => f.type === 'apple-overflow' && f.bits.includes(bit));
        expect(fast).toBe(full);
      }),
      { numRuns: 5000 },
    );
  });
});
