// AES-128 encryption of single blocks (FIPS-197), table-driven, in plain JS.
//
// Why not node:crypto: the resolver computes one EID per member and period, each
// under a different key, and creating a native cipher costs about 4 µs a key here,
// so 100,000 members took most of a second. Expanding a key and encrypting one block
// in JS costs a fraction of that, with no native object per key. Encryption only;
// the tests check it against FIPS-197's vectors and against node:crypto.

const SBOX = new Uint8Array(256);
const TE0 = new Uint32Array(256);
const TE1 = new Uint32Array(256);
const TE2 = new Uint32Array(256);
const TE3 = new Uint32Array(256);

(function buildTables() {
  // Powers and logarithms of the generator 3 in GF(2^8) give inverses; the affine
  // transform of FIPS-197 section 5.1.1 then gives the S-box.
  const exp = new Uint8Array(256);
  const log = new Uint8Array(256);
  let x = 1;
  for (let i = 0; i < 255; i++) {
    exp[i] = x;
    log[x] = i;
    x ^= (x << 1) ^ (x & 0x80 ? 0x11b : 0);
    x &= 0xff;
  }
  for (let i = 0; i < 256; i++) {
    const inverse = i === 0 ? 0 : exp[(255 - log[i]!) % 255]!;
    let s = inverse;
    for (let r = 1; r <= 4; r++) s ^= ((inverse << r) | (inverse >> (8 - r))) & 0xff;
    SBOX[i] = s ^ 0x63;
  }
  for (let i = 0; i < 256; i++) {
    const s = SBOX[i]!;
    const s2 = ((s << 1) ^ (s & 0x80 ? 0x11b : 0)) & 0xff;
    const s3 = s2 ^ s;
    const word = ((s2 << 24) | (s << 16) | (s << 8) | s3) >>> 0;
    TE0[i] = word;
    TE1[i] = ((word >>> 8) | (word << 24)) >>> 0;
    TE2[i] = ((word >>> 16) | (word << 16)) >>> 0;
    TE3[i] = ((word >>> 24) | (word << 8)) >>> 0;
  }
})();

const RCON = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36];

/** The 44-word key schedule of a 16-byte key, written into `schedule`. */
export function expandKey(key: Uint8Array, schedule: Uint32Array = new Uint32Array(44), keyOffset = 0): Uint32Array {
  const word = (i: number) => {
    const at = keyOffset + 4 * i;
    return ((key[at]! << 24) | (key[at + 1]! << 16) | (key[at + 2]! << 8) | key[at + 3]!) >>> 0;
  };
  return expandKeyWords(word(0), word(1), word(2), word(3), schedule);
}

/** The key schedule of the key given as four big-endian words. */
export function expandKeyWords(k0: number, k1: number, k2: number, k3: number, schedule: Uint32Array): Uint32Array {
  schedule[0] = k0 >>> 0;
  schedule[1] = k1 >>> 0;
  schedule[2] = k2 >>> 0;
  schedule[3] = k3 >>> 0;
  for (let i = 4; i < 44; i++) {
    let t = schedule[i - 1]!;
    if (i % 4 === 0) {
      t = ((SBOX[(t >>> 16) & 0xff]! << 24) | (SBOX[(t >>> 8) & 0xff]! << 16) | (SBOX[t & 0xff]! << 8) | SBOX[t >>> 24]!) >>> 0;
      t = (t ^ (RCON[i / 4 - 1]! << 24)) >>> 0;
    }
    schedule[i] = (schedule[i - 4]! ^ t) >>> 0;
  }
  return schedule;
}

/**
 * Encrypts the block given as four big-endian words under `schedule` and writes the
 * result as four words into `out`. Words, not bytes, because the callers build their
 * blocks from numbers and compare results as numbers.
 */
export function encryptWords(schedule: Uint32Array, w0: number, w1: number, w2: number, w3: number, out: Uint32Array): void {
  let s0 = (w0 ^ schedule[0]!) >>> 0;
  let s1 = (w1 ^ schedule[1]!) >>> 0;
  let s2 = (w2 ^ schedule[2]!) >>> 0;
  let s3 = (w3 ^ schedule[3]!) >>> 0;
  for (let round = 1; round < 10; round++) {
    const k = round * 4;
    const t0 = TE0[s0 >>> 24]! ^ TE1[(s1 >>> 16) & 0xff]! ^ TE2[(s2 >>> 8) & 0xff]! ^ TE3[s3 & 0xff]! ^ schedule[k]!;
    const t1 = TE0[s1 >>> 24]! ^ TE1[(s2 >>> 16) & 0xff]! ^ TE2[(s3 >>> 8) & 0xff]! ^ TE3[s0 & 0xff]! ^ schedule[k + 1]!;
    const t2 = TE0[s2 >>> 24]! ^ TE1[(s3 >>> 16) & 0xff]! ^ TE2[(s0 >>> 8) & 0xff]! ^ TE3[s1 & 0xff]! ^ schedule[k + 2]!;
    const t3 = TE0[s3 >>> 24]! ^ TE1[(s0 >>> 16) & 0xff]! ^ TE2[(s1 >>> 8) & 0xff]! ^ TE3[s2 & 0xff]! ^ schedule[k + 3]!;
    s0 = t0 >>> 0;
    s1 = t1 >>> 0;
    s2 = t2 >>> 0;
    s3 = t3 >>> 0;
  }
  const last = (a: number, b: number, c: number, d: number, k: number) =>
    (((SBOX[a >>> 24]! << 24) | (SBOX[(b >>> 16) & 0xff]! << 16) | (SBOX[(c >>> 8) & 0xff]! << 8) | SBOX[d & 0xff]!) ^ schedule[k]!) >>> 0;
  out[0] = last(s0, s1, s2, s3, 40);
  out[1] = last(s1, s2, s3, s0, 41);
  out[2] = last(s2, s3, s0, s1, 42);
  out[3] = last(s3, s0, s1, s2, 43);
}

/** One 16-byte block under a 16-byte key; for tests and the rare caller with bytes in hand. */
export function encryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  const out = new Uint32Array(4);
  const word = (i: number) => ((block[i]! << 24) | (block[i + 1]! << 16) | (block[i + 2]! << 8) | block[i + 3]!) >>> 0;
  encryptWords(expandKey(key), word(0), word(4), word(8), word(12), out);
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 4; i++) view.setUint32(4 * i, out[i]!, false);
  return bytes;
}
