import { describe, expect, it } from 'vitest';
import { SlotKeyStore } from '../../gateway/identity/slot-keys.js';

const key = (n: number) => Uint8Array.from({ length: 16 }, (_, i) => (n * 16 + i + 1) & 0xff);

describe('SlotKeyStore', () => {
  it('holds 16 bytes a slot side by side, and says which slots the tables may use', () => {
    const store = new SlotKeyStore();
    store.set(0, key(0), true);
    store.set(1, key(1), false);
    expect([...store.array().subarray(0, 16)]).toEqual([...key(0)]);
    expect([...store.array().subarray(16, 32)]).toEqual([...key(1)]);
    expect([store.has(0), store.has(1), store.has(2)]).toEqual([true, false, false]);
    expect(store.equals(1, key(1))).toBe(true);
    expect(store.equals(1, key(2))).toBe(false);
    expect(() => store.set(2, new Uint8Array(15), true)).toThrow(RangeError);
  });

  it("overwrites an erased slot's key, and the old array's bytes when it grows", () => {
    const store = new SlotKeyStore();
    store.set(0, key(0), true);
    store.set(1, key(1), true);
    store.wipe(0);
    expect(store.array().subarray(0, 16).every((b) => b === 0)).toBe(true);
    expect(store.has(0)).toBe(false);
    expect([...store.array().subarray(16, 32)]).toEqual([...key(1)]);
    const before = store.array();
    store.set(1000, key(5), true);
    expect(before.every((b) => b === 0)).toBe(true);
    expect([...store.array().subarray(16, 32)]).toEqual([...key(1)]);
    expect([...store.array().subarray(16_000, 16_016)]).toEqual([...key(5)]);
  });
});
