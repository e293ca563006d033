import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computeEid, periodStart, temporaryKey } from '../../gateway/identity/eid.js';

const KEY = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');

describe('Eddystone-EID computation', () => {
  it('uses AES-128 as FIPS-197 Appendix C.1 defines it', () => {
    // FIPS-197, Appendix C.1: key 000102..0f, plaintext 00112233..ff.
    const cipher = createCipheriv('aes-128-ecb', KEY, null).setAutoPadding(false);
    const out = Buffer.concat([cipher.update(Buffer.from('00112233445566778899aabbccddeeff', 'hex')), cipher.final()]);
    expect(out.toString('hex')).toBe('69c4e0d86a7b0430d8cdb78070b4c55a');
  });

  it('keeps one identifier for a whole rotation period and changes it at the boundary', () => {
    const k = 10;
    const start = periodStart(1_790_000_000, k);
    const first = computeEid(KEY, k, start).toString('hex');
    expect(computeEid(KEY, k, start + 1023).toString('hex')).toBe(first);
    expect(computeEid(KEY, k, start + 1024).toString('hex')).not.toBe(first);
    expect(first).toMatch(/^[0-9a-f]{16}$/);
  });

  it('derives the temporary key from the top 16 bits of the counter only', () => {
    expect(temporaryKey(KEY, 0x12340000)).toEqual(temporaryKey(KEY, 0x1234ffff));
    expect(temporaryKey(KEY, 0x12340000)).not.toEqual(temporaryKey(KEY, 0x12350000));
  });

  it('builds the blocks of the spec: 0xFF salt for the key, K and the cleared counter for the EID', () => {
    // Recompute by hand from the layout in eddystone-eid/eid-computation.md.
    const t = 0x5f5e1234;
    const k = 4;
    const tkBlock = Buffer.alloc(16);
    tkBlock[11] = 0xff;
    tkBlock.writeUInt16BE(t >>> 16, 14);
    const tk = createCipheriv('aes-128-ecb', KEY, null).setAutoPadding(false).update(tkBlock);
    const eidBlock = Buffer.alloc(16);
    eidBlock[11] = k;
    eidBlock.writeUInt32BE(t & ~0xf >>> 0, 12);
    const eid = createCipheriv('aes-128-ecb', tk, null).setAutoPadding(false).update(eidBlock).subarray(0, 8);
    expect(computeEid(KEY, k, t)).toEqual(eid);
  });

  it('refuses keys, exponents and counters outside the spec', () => {
    expect(() => computeEid(Buffer.alloc(15), 10, 0)).toThrow(RangeError);
    expect(() => computeEid(KEY, 16, 0)).toThrow(RangeError);
    expect(() => computeEid(KEY, 10, 2 ** 32)).toThrow(RangeError);
  });
});
