import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAdvertisement } from '../../gateway/ble/decode.js';
import { decodeFrames, frameToJson } from '../../gateway/ble/frames.js';

// Radio frames are untrusted input: random, truncated and oversized data must never
// throw, and a decode must not produce more output than the input could hold.

const adStructure = fc
  .tuple(fc.constantFrom(0x01, 0x03, 0x09, 0x16, 0x20, 0x21, 0xff), fc.uint8Array({ maxLength: 30 }))
  .map(([type, body]) => Uint8Array.from([body.length + 1, type, ...body]));

const plausible = fc.array(adStructure, { maxLength: 6 }).map((parts) => Uint8Array.from(parts.flatMap((p) => [...p])));
const eddystoneish = fc
  .tuple(fc.constantFrom(0x00, 0x10, 0x20, 0x30, 0x40), fc.uint8Array({ maxLength: 24 }))
  .map(([frameType, body]) => Uint8Array.from([body.length + 4, 0x16, 0xaa, 0xfe, frameType, ...body]));
const appleish = fc
  .tuple(fc.constantFrom(0x01, 0x02, 0x10), fc.uint8Array({ maxLength: 24 }))
  .map(([kind, body]) => Uint8Array.from([body.length + 4, 0xff, 0x4c, 0x00, kind, ...body]));

const anyAdvertisingData = fc.oneof(fc.uint8Array({ maxLength: 300 }), plausible, eddystoneish, appleish);

describe('decoders under random input', () => {
  it('decodeFrames never throws and yields at most one frame per AD structure', () => {
    fc.assert(
      fc.property(anyAdvertisingData, fc.nat(40), (data, cut) => {
        for (const input of [data, data.subarray(0, Math.max(0, data.length - cut))]) {
          const { frames } = decodeFrames(input);
          expect(frames.length).toBeLessThanOrEqual(Math.ceil(input.length / 2));
          expect(() => JSON.stringify(frames.map(frameToJson))).not.toThrow();
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('decodeAdvertisement never throws and agrees with decodeFrames on EID frames', () => {
    fc.assert(
      fc.property(anyAdvertisingData, (data) => {
        const fast = decodeAdvertisement(data);
        const full = decodeFrames(data).frames.map(frameToJson);
        if (fast?.kind === 'eddystone-eid') {
          expect(full).toContainEqual(expect.objectContaining({ type: 'eddystone-eid', eid: Buffer.from(fast.eid).toString('hex') }));
        }
      }),
      { numRuns: 3000 },
    );
  });
});
