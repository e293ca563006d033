// A hash map from 32-bit unsigned keys to small non-negative integers (or SHARED, -1),
// open addressing over one typed array of interleaved key and value words. Why not
// Map: half of all uint32 keys are outside V8's small-integer range and would each
// cost a heap number; 100,000 members times four rotation periods in Maps took tens of
// megabytes. Interleaving puts a probe's key and value in one cache line: with 100,000
// members the tables outgrow the CPU caches and every line fetched counts.

const EMPTY = -2;
const DELETED = -3;

export class U32Map {
  private cells: Int32Array;
  private mask: number;
  private used = 0;
  private live = 0;

  constructor(expected = 16) {
    const capacity = U32Map.capacityFor(expected);
    this.cells = U32Map.emptyCells(capacity);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.live;
  }

  get(key: number): number | undefined {
    const { cells, mask } = this;
    const k = key | 0;
    for (let i = U32Map.hash(key) & mask; ; i = (i + 1) & mask) {
      const value = cells[2 * i + 1]!;
      if (value === EMPTY) return undefined;
      if (value !== DELETED && cells[2 * i] === k) return value;
    }
  }

  set(key: number, value: number): void {
    const { cells, mask } = this;
    const k = key | 0;
    let i = U32Map.hash(key) & mask;
    for (; ; i = (i + 1) & mask) {
      const current = cells[2 * i + 1]!;
      if (current === EMPTY) break;
      if (current !== DELETED && cells[2 * i] === k) {
        cells[2 * i + 1] = value;
        return;
      }
    }
    cells[2 * i] = k;
    cells[2 * i + 1] = value;
    this.used++;
    this.live++;
    if (this.used * 2 > mask + 1) this.rehash();
  }

  delete(key: number): boolean {
    const { cells, mask } = this;
    const k = key | 0;
    for (let i = U32Map.hash(key) & mask; ; i = (i + 1) & mask) {
      const value = cells[2 * i + 1]!;
      if (value === EMPTY) return false;
      if (value !== DELETED && cells[2 * i] === k) {
        cells[2 * i + 1] = DELETED;
        this.live--;
        return true;
      }
    }
  }

  /** Bytes held, for the benchmark's memory account. */
  byteLength(): number {
    return this.cells.byteLength;
  }

  private rehash(): void {
    const old = this.cells;
    // Room for half as many again: after deletions a table rebuilt just under half full
    // would be rebuilt again a few inserts later.
    const capacity = U32Map.capacityFor(Math.ceil(this.live * 1.5));
    this.cells = U32Map.emptyCells(capacity);
    this.mask = capacity - 1;
    this.used = 0;
    this.live = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1]! >= -1) this.set(old[i]! >>> 0, old[i + 1]!);
  }

  private static emptyCells(capacity: number): Int32Array {
    const cells = new Int32Array(capacity * 2);
    for (let i = 1; i < cells.length; i += 2) cells[i] = EMPTY;
    return cells;
  }

  /**
   * At least twice the entries: a table starts at most half full and is rebuilt when it
   * passes half (linear probing needs about 1.5 probes per hit and 2.5 per miss there).
   * Four times, as before, cost 8 MB more with 100,000 members and four periods, for
   * lookups that the resolve benchmark could not tell apart.
   */
  private static capacityFor(entries: number): number {
    let capacity = 16;
    while (capacity < entries * 2) capacity *= 2;
    return capacity;
  }

  /** An integer mix, so that keys differing only in their high bits do not crowd one probe run. */
  private static hash(key: number): number {
    const h = Math.imul(key ^ (key >>> 16), 0x45d9f3b);
    return (h ^ (h >>> 16)) >>> 0;
  }
}
