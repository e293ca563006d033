import { createCipheriv } from 'node:crypto';

// Ephemeral identifiers exactly as Eddystone-EID computes them (google/eddystone,
// eddystone-eid/eid-computation.md): a temporary key from the identity key and the
// top 16 bits of the time counter, then the EID from the temporary key, the rotation
// exponent K and the counter with its K low bits cleared. Vitrin's time counter is
// Unix time in seconds (DESIGN.md section 3).

function aes128Block(key: Uint8Array, block: Uint8Array): Buffer {
  const cipher = createCipheriv('aes-128-ecb', key, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(block), cipher.final()]);
}

export function temporaryKey(identityKey: Uint8Array, timeCounter: number): Buffer {
  const block = new Uint8Array(16);
  block[11] = 0xff;
  block[14] = (timeCounter >>> 24) & 0xff;
  block[15] = (timeCounter >>> 16) & 0xff;
  return aes128Block(identityKey, block);
}

/** The 8-byte EID broadcast at `timeCounter` (seconds) with rotation exponent `exponent`. */
export function computeEid(identityKey: Uint8Array, exponent: number, timeCounter: number): Buffer {
  if (identityKey.length !== 16) throw new RangeError('identity key must be 16 bytes');
  if (!Number.isInteger(exponent) || exponent < 0 || exponent > 15) throw new RangeError('rotation exponent must be 0..15');
  if (!Number.isInteger(timeCounter) || timeCounter < 0 || timeCounter > 0xffffffff) {
    throw new RangeError('time counter must be a 32-bit unsigned integer');
  }
  const period = periodStart(timeCounter, exponent);
  const block = new Uint8Array(16);
  block[11] = exponent;
  new DataView(block.buffer).setUint32(12, period, false);
  return aes128Block(temporaryKey(identityKey, timeCounter), block).subarray(0, 8);
}

/** The counter with its K low bits cleared: the first second of the EID's period. */
export function periodStart(timeCounter: number, exponent: number): number {
  return Math.floor(timeCounter / 2 ** exponent) * 2 ** exponent;
}
