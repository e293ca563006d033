import type { Frame } from '../ble/decode.js';
import type { Clock, Lifecycle, Unsubscribe } from '../ports.js';
import { EidCalculator, emptyTable, release, SHARED, type PeriodTable, type SlotKeys } from './eid-tables.js';
import type { MemberIdentity, Roster } from './roster.js';
import { SlotKeyStore } from './slot-keys.js';
import { wipeSlabCopy } from '../util/slabs.js';

/** Who an identifier belongs to; the rest of a member (consent, profile) is the directory's. */
export interface ResolvedMember {
  readonly id: string;
}

export type Resolution =
  | { readonly status: 'member'; readonly member: ResolvedMember }
  /** Not a member's identifier: drop it without a trace. */
  | { readonly status: 'unknown' }
  /** A 4-byte iBeacon prefix that two members share this period: never guessed. */
  | { readonly status: 'ambiguous' };

const UNKNOWN: Resolution = { status: 'unknown' };
const AMBIGUOUS: Resolution = { status: 'ambiguous' };

export interface ResolverOptions {
  /** Drives the background build of the next period's table; without it tables are built when first needed. */
  readonly clock?: Clock;
  /** Members computed per slice of the background build; each slice takes about 1 µs a member. */
  readonly sliceSize?: number;
  /** Addresses remembered per period at most (random addresses rotate; memory must not). */
  readonly addressCapacity?: number;
}

export interface ResolverCounts {
  /** Tables built in one go because resolving needed them before the background build had them ready. */
  readonly blockingBuilds: number;
  readonly backgroundBuilds: number;
}

/**
 * Maps an advertised identifier to a member in O(1). Every member's EIDs for the
 * previous, current and next rotation period (phone clocks drift) sit in hash tables;
 * the period after next is built in small slices in the background, so crossing a
 * boundary costs nothing and no slice holds the event loop for more than a few ms.
 *
 * Members live in slots: an id and a 16-byte key each, in flat arrays (an object per
 * member cost about 200 bytes of heap). Erasing a member empties its slot, overwrites
 * its key and takes its identifiers out of every table at once; a changed member gets
 * a new slot. Keys are copied in; a copy the roster vault made (a slab copy) is
 * overwritten as soon as it is taken.
 */
export class Resolver implements Lifecycle {
  /** Slot to member id; undefined once the slot is vacated. */
  private readonly ids: (string | undefined)[] = [];
  private readonly slotKeys = new SlotKeyStore();
  private readonly slotById = new Map<string, number>();
  private readonly tables = new Map<number, PeriodTable>();
  private readonly calculator: EidCalculator;
  private readonly keys: SlotKeys;
  private readonly exponent: number;
  /** Address to slot, for the life of a random address: cleared when the period turns. */
  private addresses = new Map<string, number>();
  private addressPeriod = -1;
  private window: readonly PeriodTable[] = [];
  /**
   * One bit per 1,024 prefixes (the top 22 bits of an EID's first four bytes), set for
   * every prefix in the window. 512 KiB, whatever the roster's size: most adverts are
   * strangers', and this answers them from the CPU cache instead of three hash tables
   * that, with 100,000 members, do not fit in it.
   */
  private readonly prefixFilter = new Uint32Array(1 << 17);
  private windowPeriod = Number.NaN;
  private cancelSlice: Unsubscribe | undefined;
  private running = false;
  private blockingBuilds = 0;
  private backgroundBuilds = 0;

  constructor(
    roster: Roster,
    private readonly appUuid: string,
    private readonly options: ResolverOptions = {},
  ) {
    this.exponent = roster.rotationExponent;
    this.calculator = new EidCalculator(this.exponent);
    this.keys = {
      count: () => this.ids.length,
      bytes: () => this.slotKeys.array(),
      has: (slot) => this.slotKeys.has(slot),
    };
    for (const member of roster.members) this.upsert(member);
  }

  start(): Promise<void> {
    this.running = true;
    if (this.options.clock !== undefined) {
      this.windowPeriod = Number.NaN;
      this.tablesAt(this.options.clock.now());
    }
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.running = false;
    this.cancelSlice?.();
    this.cancelSlice = undefined;
    return Promise.resolve();
  }

  resolve(frame: Frame, nowMs: number): Resolution {
    if (frame.kind === 'eddystone-eid') return this.resolveEid(frame.eid, nowMs);
    if (frame.uuid !== this.appUuid) return UNKNOWN;
    const prefix = ((frame.major << 16) | frame.minor) >>> 0;
    const window = this.tablesAt(nowMs);
    if (!this.mayHold(prefix)) return UNKNOWN;
    // One claimant across the whole window, or it is not ours to say: a prefix that
    // another member broadcasts in a neighbouring period is as ambiguous as a shared one.
    let found: number | undefined;
    for (const table of window) {
      const slot = table.byPrefix.get(prefix);
      if (slot === undefined) continue;
      if (slot === SHARED || (found !== undefined && found !== slot)) return AMBIGUOUS;
      found = slot;
    }
    return found === undefined ? UNKNOWN : this.answer(found);
  }

  /** The member broadcasting this 8-byte EID now (or in the neighbouring periods). */
  resolveEid(eid: Uint8Array, nowMs: number): Resolution {
    if (eid.length < 8) return UNKNOWN;
    const high = ((eid[0]! << 24) | (eid[1]! << 16) | (eid[2]! << 8) | eid[3]!) >>> 0;
    const low = ((eid[4]! << 24) | (eid[5]! << 16) | (eid[6]! << 8) | eid[7]!) >>> 0;
    const window = this.tablesAt(nowMs);
    if (!this.mayHold(high)) return UNKNOWN;
    let found: number | undefined;
    for (const table of window) {
      let slot = table.byPrefix.get(high);
      if (slot === undefined) continue;
      if (slot === SHARED) slot = table.byEid.get(Buffer.from(eid.buffer, eid.byteOffset, 8).toString('hex'));
      else if (table.low[slot] !== low) continue;
      if (slot === undefined) continue;
      if (slot === SHARED || (found !== undefined && found !== slot)) return AMBIGUOUS;
      found = slot;
    }
    return found === undefined ? UNKNOWN : this.answer(found);
  }

  /** Remembers that `address` belongs to `member` until the period turns (the phone then takes a new address). */
  rememberAddress(address: string, member: ResolvedMember, nowMs: number): void {
    this.turnAddressPeriod(nowMs);
    const slot = this.slotById.get(member.id);
    if (slot === undefined) return;
    if (this.addresses.size >= (this.options.addressCapacity ?? 10_000) && !this.addresses.has(address)) {
      this.addresses.delete(this.addresses.keys().next().value!);
    }
    this.addresses.set(address, slot);
  }

  /** The member last resolved at `address` in this period, if any. */
  memberAtAddress(address: string, nowMs: number): ResolvedMember | undefined {
    this.turnAddressPeriod(nowMs);
    const slot = this.addresses.get(address);
    const id = slot === undefined ? undefined : this.ids[slot];
    return id === undefined ? undefined : { id };
  }

  /** Whether the member is on the roster here (not erased). */
  has(id: string): boolean {
    return this.slotById.has(id);
  }

  memberCount(): number {
    return this.slotById.size;
  }

  counts(): ResolverCounts {
    return { blockingBuilds: this.blockingBuilds, backgroundBuilds: this.backgroundBuilds };
  }

  /** Adds a member, or replaces one with the same id (new key, consent or profile). */
  upsert(member: MemberIdentity): void {
    // Checked before anything changes: an update with a broken key must not drop the member held.
    if (member.identityKey.length !== 16) throw new RangeError(`member ${member.id}: an identity key has 16 bytes, not ${member.identityKey.length}`);
    const usable = member.consent.presence === true;
    const existing = this.slotById.get(member.id);
    try {
      if (existing !== undefined) {
        if (this.slotKeys.equals(existing, member.identityKey) && this.slotKeys.has(existing) === usable) return;
        this.vacate(existing);
      }
      const slot = this.ids.length;
      this.slotKeys.set(slot, member.identityKey, usable);
      this.ids.push(member.id);
      this.slotById.set(member.id, slot);
      this.admit(slot);
    } finally {
      wipeSlabCopy(member.identityKey);
    }
  }

  private admit(slot: number): void {
    // Complete tables take the newcomer now; a table being built reaches it by itself.
    for (const table of this.tables.values()) if (table.filled === slot) this.calculator.fill(table, this.keys, slot + 1);
    for (const table of this.window) if (table.filled > slot) this.markPrefix(table.high[slot]!);
  }

  /** Forgets a member at once: key and every identifier. Returns whether the member was here. */
  erase(id: string): boolean {
    const slot = this.slotById.get(id);
    if (slot === undefined) return false;
    this.vacate(slot);
    return true;
  }

  /** Empties a slot; its key is overwritten, not only dropped. */
  private vacate(slot: number): void {
    const id = this.ids[slot];
    if (id === undefined) return;
    for (const table of this.tables.values()) release(table, slot);
    this.calculator.forget(slot);
    for (const [address, held] of this.addresses) if (held === slot) this.addresses.delete(address);
    this.slotKeys.wipe(slot);
    this.ids[slot] = undefined;
    this.slotById.delete(id);
  }

  private answer(slot: number): Resolution {
    const id = this.ids[slot];
    return id === undefined ? UNKNOWN : { status: 'member', member: { id } };
  }

  private turnAddressPeriod(nowMs: number): void {
    const period = this.periodAt(nowMs);
    if (period === this.addressPeriod) return;
    this.addressPeriod = period;
    this.addresses = new Map();
  }

  private periodAt(nowMs: number): number {
    return Math.floor(nowMs / 1000 / 2 ** this.exponent);
  }

  /** The previous, current and next period's tables, complete; builds what is missing. */
  private tablesAt(nowMs: number): readonly PeriodTable[] {
    const period = this.periodAt(nowMs);
    if (period === this.windowPeriod) return this.window;
    const window: PeriodTable[] = [];
    for (const p of [period, period - 1, period + 1]) {
      let table = this.tables.get(p);
      if (table === undefined) this.tables.set(p, (table = emptyTable(p, this.ids.length)));
      if (table.filled < this.ids.length) {
        this.calculator.fill(table, this.keys, this.ids.length);
        this.blockingBuilds++;
      }
      window.push(table);
    }
    for (const p of this.tables.keys()) if (p < period - 1 || p > period + 2) this.tables.delete(p);
    // Complete tables stay complete: upsert fills them, erase releases from them.
    this.window = window;
    this.windowPeriod = period;
    // Erased members' bits stay until the window turns: a stale bit only costs a lookup.
    this.prefixFilter.fill(0);
    for (const table of window) for (let slot = 0; slot < table.filled; slot++) if (this.keys.has(slot)) this.markPrefix(table.high[slot]!);
    this.buildAhead(period + 2);
    return window;
  }

  private mayHold(prefix: number): boolean {
    return (this.prefixFilter[prefix >>> 15]! & (1 << ((prefix >>> 10) & 31))) !== 0;
  }

  private markPrefix(prefix: number): void {
    this.prefixFilter[prefix >>> 15]! |= 1 << ((prefix >>> 10) & 31);
  }

  /** Builds a future period's table in slices between other work. */
  private buildAhead(period: number): void {
    const clock = this.options.clock;
    if (!this.running || clock === undefined) return;
    this.cancelSlice?.();
    this.cancelSlice = undefined;
    let table = this.tables.get(period);
    if (table === undefined) this.tables.set(period, (table = emptyTable(period, this.ids.length)));
    const building = table;
    const step = () => {
      this.cancelSlice = undefined;
      if (!this.running || this.tables.get(period) !== building) return;
      const until = Math.min(this.ids.length, building.filled + (this.options.sliceSize ?? 2000));
      this.calculator.fill(building, this.keys, until);
      if (building.filled < this.ids.length) this.cancelSlice = clock.setTimeout(step, 0);
      else this.backgroundBuilds++;
    };
    if (building.filled < this.ids.length) this.cancelSlice = clock.setTimeout(step, 0);
  }
}
