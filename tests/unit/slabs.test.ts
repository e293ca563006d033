import { describe, expect, it } from 'vitest';
import { slabCopy, slabFloats, wipeSlabCopy } from '../../gateway/util/slabs.js';

describe('float slabs', () => {
  it('hands out zeroed views that never overlap, across slab boundaries', () => {
    const views = Array.from({ length: 600 }, (_, i) => slabFloats(100 + (i % 30)));
    views.forEach((v, i) => {
      expect([...v].every((x) => x === 0)).toBe(true);
      v.fill(i + 1);
    });
    views.forEach((v, i) => expect(v.every((x) => x === i + 1)).toBe(true));
    // 600 views of ~500 bytes need several 64 KiB slabs.
    expect(new Set(views.map((v) => v.buffer)).size).toBeGreaterThan(3);
  });

  it('gives a large array a buffer of its own', () => {
    const big = slabFloats(10_000);
    expect(big.byteOffset).toBe(0);
    expect(big.buffer.byteLength).toBe(40_000);
  });
});

describe('byte slabs (identity keys)', () => {
  it('copies small arrays side by side into shared buffers, and wipes only its own copies', () => {
    const sources = Array.from({ length: 5000 }, (_, i) => Uint8Array.from({ length: 16 }, (_, j) => (i * 16 + j) & 0xff));
    const copies = sources.map(slabCopy);
    copies.forEach((copy, i) => expect([...copy]).toEqual([...sources[i]!]));
    // 5,000 keys of 16 bytes: two 64 KiB buffers, not 5,000.
    expect(new Set(copies.map((c) => c.buffer)).size).toBe(2);
    wipeSlabCopy(copies[10]!);
    expect([...copies[10]!].every((b) => b === 0)).toBe(true);
    expect([...copies[9]!]).toEqual([...sources[9]!]);
    expect([...copies[11]!]).toEqual([...sources[11]!]);
    // An array it did not make belongs to someone else: left as it is.
    wipeSlabCopy(sources[10]!);
    expect(sources[10]!.some((b) => b !== 0)).toBe(true);
    const pooled = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    wipeSlabCopy(pooled);
    expect(pooled.toString('hex')).toBe('00112233445566778899aabbccddeeff');
  });

  it('wipes a copy too large to share a slab as well', () => {
    const large = slabCopy(new Uint8Array(20_000).fill(9));
    expect(large.buffer.byteLength).toBe(20_000);
    wipeSlabCopy(large);
    expect(large.every((b) => b === 0)).toBe(true);
  });
});
