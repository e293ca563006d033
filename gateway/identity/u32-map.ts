// A hash map from 32-bit unsigned keys to small non-negative integers (or SHARED, -1),
// on two typed arrays with open addressing. Why not Map: half of all uint32 keys are
// outside V8's small-integer range and would each cost a heap number; 100,000 members
// times four rotation periods in Maps took tens of megabytes, here a few.

const EMPTY = -2;
const DELETED = -3;

export class U32Map {
  private keys: Uint32Array;
  private values: Int32Array;
  private mask: number;
  private used = 0;
  private live = 0;

  constructor(expected = 16) {
    const capacity = U32Map.capacityFor(expected);
    this.keys = new Uint32Array(capacity);
    this.values = new Int32Array(capacity).fill(EMPTY);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.live;
  }

  get(key: number): number | undefined {
    const { keys, values, mask } = this;
    for (let i = U32Map.hash(key) & mask; ; i = (i + 1) & mask) {
      const value = values[i]!;
      if (value === EMPTY) return undefined;
      if (value !== DELETED && keys[i] === key) return value;
    }
  }

  set(key: number, value: number): void {
    const { keys, values, mask } = this;
    let i = U32Map.hash(key) & mask;
    for (; ; i = (i + 1) & mask) {
      const current = values[i]!;
      if (current === EMPTY) break;
      if (current !== DELETED && keys[i] === key) {
        values[i] = value;
        return;
      }
    }
    keys[i] = key;
    values[i] = value;
    this.used++;
    this.live++;
    if (this.used * 2 > keys.length) this.rehash();
  }

  delete(key: number): boolean {
    const { keys, values, mask } = this;
    for (let i = U32Map.hash(key) & mask; ; i = (i + 1) & mask) {
      const value = values[i]!;
      if (value === EMPTY) return false;
      if (value !== DELETED && keys[i] === key) {
        values[i] = DELETED;
        this.live--;
        return true;
      }
    }
  }

  /** Bytes held by the two arrays, for the benchmark's memory account. */
  byteLength(): number {
    return this.keys.byteLength + this.values.byteLength;
  }

  private rehash(): void {
    const { keys, values } = this;
    const capacity = U32Map.capacityFor(this.live);
    this.keys = new Uint32Array(capacity);
    this.values = new Int32Array(capacity).fill(EMPTY);
    this.mask = capacity - 1;
    this.used = 0;
    this.live = 0;
    for (let i = 0; i < keys.length; i++) if (values[i]! >= -1) this.set(keys[i]!, values[i]!);
  }

  private static capacityFor(entries: number): number {
    let capacity = 16;
    while (capacity < entries * 4) capacity *= 2;
    return capacity;
  }

  /** An integer mix, so that keys differing only in their high bits do not crowd one probe run. */
  private static hash(key: number): number {
    const h = Math.imul(key ^ (key >>> 16), 0x45d9f3b);
    return (h ^ (h >>> 16)) >>> 0;
  }
}
