import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { U32Map } from '../../gateway/identity/u32-map.js';

describe('U32Map', () => {
  it('behaves as a Map for any sequence of sets and deletes, across growth', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 0xffffffff }), value: fc.integer({ min: -1, max: 1_000_000 }) }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 0xffffffff }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 20 }), (ops, probes) => {
        const ours = new U32Map(4);
        const reference = new Map<number, number>();
        for (const o of ops) {
          if (o.kind === 'set') {
            ours.set(o.key, o.value);
            reference.set(o.key, o.value);
          } else expect(ours.delete(o.key)).toBe(reference.delete(o.key));
        }
        expect(ours.size).toBe(reference.size);
        for (const key of [...reference.keys(), ...probes]) expect(ours.get(key)).toBe(reference.get(key));
      }),
      { numRuns: 300 },
    );
  });

  it('tells keys apart that differ only in their top bit', () => {
    const map = new U32Map();
    map.set(0x80000001, 1);
    map.set(0x00000001, 2);
    expect([map.get(0x80000001), map.get(1), map.get(0x7fffffff)]).toEqual([1, 2, undefined]);
  });
});
