import { describe, expect, it } from 'vitest';
import { slabFloats } from '../../gateway/util/float-slab.js';

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
