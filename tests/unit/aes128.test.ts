import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encryptBlock } from '../../gateway/identity/aes128.js';

const hex = (s: string) => Buffer.from(s, 'hex');

describe('AES-128 block encryption', () => {
  it('matches FIPS-197 Appendix B and Appendix C.1', () => {
    // FIPS-197 (2001), Appendix B "Cipher Example".
    expect(Buffer.from(encryptBlock(hex('2b7e151628aed2a6abf7158809cf4f3c'), hex('3243f6a8885a308d313198a2e0370734'))).toString('hex')).toBe('3925841d02dc09fbdc118597196a0b32');
    // FIPS-197, Appendix C.1 "AES-128 (Nk=4, Nr=10)".
    expect(Buffer.from(encryptBlock(hex('000102030405060708090a0b0c0d0e0f'), hex('00112233445566778899aabbccddeeff'))).toString('hex')).toBe('69c4e0d86a7b0430d8cdb78070b4c55a');
  });

  it('agrees with node:crypto on any key and block', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (key, block) => {
        const cipher = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
        expect(Buffer.from(encryptBlock(key, block))).toEqual(Buffer.concat([cipher.update(block), cipher.final()]));
      }),
      { numRuns: 500 },
    );
  });
});
