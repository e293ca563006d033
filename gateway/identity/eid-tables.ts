import { encryptWords, expandKey, expandKeyWords } from './aes128.js';
import { U32Map } from './u32-map.js';

// One rotation period's identifiers for every member slot, in hash tables keyed by
// numbers: the EID's first four bytes (what an iBeacon carries in major and minor)
// map to the slot that broadcasts them. Two slots sharing a prefix is expected among
// 100,000 members (about one pair per 10,000 at K = 10); such a prefix maps to SHARED,
// which the iBeacon carrier cannot get past, and the full EIDs of its claimants go to
// a second, small table for the Eddystone carrier.

/** A prefix (or, rarely, a whole EID) that more than one slot broadcasts. */
export const SHARED = -1;

export interface PeriodTable {
  /** Time counter / 2^K. */
  readonly period: number;
  readonly byPrefix: U32Map;
  /** Whole EIDs (16 hex digits) of the slots whose prefix is SHARED. */
  readonly byEid: Map<string, number>;
  /** Per slot, the EID's bytes 0-3 and 4-7; valid below `filled`. */
  high: Uint32Array;
  low: Uint32Array;
  /** Slots below this index are in the tables. */
  filled: number;
}

/** Identity keys by slot, 16 bytes each at slot × 16; a slot whose member is gone (or did not consent) is skipped. */
export interface SlotKeys {
  readonly count: () => number;
  /** Every slot's key; read again after anything that may add slots. */
  readonly bytes: () => Uint8Array;
  readonly has: (slot: number) => boolean;
}

export function emptyTable(period: number, capacity: number): PeriodTable {
  return { period, byPrefix: new U32Map(capacity), byEid: new Map(), high: new Uint32Array(capacity), low: new Uint32Array(capacity), filled: 0 };
}

function eidHex(high: number, low: number): string {
  return high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0');
}

function grow(table: PeriodTable, size: number): void {
  if (size <= table.high.length) return;
  const capacity = Math.max(size, table.high.length * 2, 64);
  const high = new Uint32Array(capacity);
  const low = new Uint32Array(capacity);
  high.set(table.high);
  low.set(table.low);
  table.high = high;
  table.low = low;
}

function claim(table: PeriodTable, slot: number, high: number, low: number): void {
  table.high[slot] = high;
  table.low[slot] = low;
  const holder = table.byPrefix.get(high);
  if (holder === undefined) {
    table.byPrefix.set(high, slot);
    return;
  }
  if (holder !== SHARED) {
    table.byPrefix.set(high, SHARED);
    table.byEid.set(eidHex(high, table.low[holder]!), holder);
  }
  const full = eidHex(high, low);
  table.byEid.set(full, table.byEid.has(full) ? SHARED : slot);
}

/** Takes a slot out of a table: its member was erased or replaced. A shared prefix stays shared: never guessed. */
export function release(table: PeriodTable, slot: number): void {
  if (slot >= table.filled) return;
  const high = table.high[slot]!;
  const holder = table.byPrefix.get(high);
  if (holder === slot) table.byPrefix.delete(high);
  else if (holder === SHARED) {
    const full = eidHex(high, table.low[slot]!);
    if (table.byEid.get(full) === slot) table.byEid.delete(full);
  }
}

/**
 * Computes EIDs the way Eddystone-EID does (see eid.ts, the reference), for many keys
 * at once. Temporary keys depend only on the counter's top 16 bits, so they are kept
 * per slot for the two most recent 2^16-second epochs.
 */
export class EidCalculator {
  private readonly schedule = new Uint32Array(44);
  private readonly out = new Uint32Array(4);
  private readonly tempKeys = new Map<number, Uint32Array>();

  constructor(private readonly exponent: number) {}

  /** Fills `table` from slot `table.filled` up to `until` (exclusive). */
  fill(table: PeriodTable, keys: SlotKeys, until: number): void {
    const periodStart = table.period * 2 ** this.exponent;
    const epoch = Math.floor(periodStart / 65536);
    const tempKeys = this.tempKeysFor(epoch, keys.count());
    grow(table, until);
    const bytes = keys.bytes();
    for (let slot = table.filled; slot < until; slot++) {
      if (!keys.has(slot)) continue;
      let t = slot * 5;
      if (tempKeys[t] === 0) {
        // The temporary key's block: 0xFF at byte 11, the counter's top 16 bits at bytes 14-15.
        encryptWords(expandKey(bytes, this.schedule, slot * 16), 0, 0, 0xff, epoch & 0xffff, this.out);
        tempKeys.set([1, this.out[0]!, this.out[1]!, this.out[2]!, this.out[3]!], t);
      }
      t++;
      expandKeyWords(tempKeys[t]!, tempKeys[t + 1]!, tempKeys[t + 2]!, tempKeys[t + 3]!, this.schedule);
      // The EID's block: K at byte 11, the period's first second at bytes 12-15.
      encryptWords(this.schedule, 0, 0, this.exponent, periodStart >>> 0, this.out);
      claim(table, slot, this.out[0]!, this.out[1]!);
    }
    table.filled = Math.max(table.filled, until);
  }

  /** Forgets a slot's temporary keys (its member's key changed or was erased): overwritten, not only marked. */
  forget(slot: number): void {
    for (const keys of this.tempKeys.values()) if (slot * 5 < keys.length) keys.fill(0, slot * 5, slot * 5 + 5);
  }

  /** Per slot five words: a 'computed' flag, then the temporary key. */
  private tempKeysFor(epoch: number, slots: number): Uint32Array {
    let keys = this.tempKeys.get(epoch);
    if (keys === undefined || keys.length < slots * 5) {
      const bigger = new Uint32Array(Math.max(slots, 64) * 5 * (keys === undefined ? 1 : 2));
      if (keys !== undefined) {
        bigger.set(keys);
        keys.fill(0);
      }
      keys = bigger;
      this.tempKeys.set(epoch, keys);
      while (this.tempKeys.size > 2) {
        const farthest = [...this.tempKeys.keys()].reduce((a, b) => (Math.abs(b - epoch) > Math.abs(a - epoch) ? b : a));
        this.tempKeys.get(farthest)?.fill(0);
        this.tempKeys.delete(farthest);
      }
    }
    return keys;
  }
}
