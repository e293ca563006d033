import type { Peripheral } from '@stoprocent/noble';

// noble can only connect through the Peripheral object of an address it has in its
// maps, and the adapter forgets every address once reported (noble-cache.ts). Reports
// that may lead to a GATT read (connectable, with our overflow bit) keep theirs here
// for a short while instead: long enough for the core to decide and start a read,
// short and capped so rotating addresses cannot grow noble's memory again.

interface Held {
  peripheral: Peripheral;
  until: number;
  busy: boolean;
}

export interface PeripheralLease {
  readonly peripheral: Peripheral;
  /** The read is over: the peripheral is forgotten; a later report holds it afresh. */
  release(): void;
}

export class HeldPeripherals {
  /** Insertion order is refresh order, so the oldest hold is always first. */
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly limit: number,
    private readonly holdMs: number,
    private readonly forget: (peripheral: Peripheral) => void,
  ) {}

  get size(): number {
    return this.held.size;
  }

  has(address: string): boolean {
    return this.held.has(address);
  }

  hold(address: string, peripheral: Peripheral, now: number): void {
    // The same entry object moves to the young end: a lease out on it must still find it on release.
    const entry = this.held.get(address) ?? { peripheral, until: 0, busy: false };
    if (!entry.busy) entry.peripheral = peripheral;
    entry.until = now + this.holdMs;
    this.held.delete(address);
    this.held.set(address, entry);
    if (this.held.size <= this.limit) return;
    for (const [oldest, entry] of this.held) {
      if (entry.busy) continue;
      this.drop(oldest, entry);
      break;
    }
  }

  /** The held peripheral of `address` for one read, or undefined if none is held or a read already has it. */
  checkout(address: string, now: number): PeripheralLease | undefined {
    const entry = this.held.get(address);
    if (entry === undefined || entry.busy) return undefined;
    if (entry.until < now) {
      this.drop(address, entry);
      return undefined;
    }
    entry.busy = true;
    return { peripheral: entry.peripheral, release: () => this.release(address, entry) };
  }

  /** Forgets holds past their time. Called per report; stops at the first live hold, so it costs next to nothing. */
  sweep(now: number): void {
    for (const [address, entry] of this.held) {
      if (entry.busy) continue;
      if (entry.until >= now) return;
      this.drop(address, entry);
    }
  }

  /** The noble instance is going away with everything it holds. */
  clear(): void {
    this.held.clear();
  }

  private release(address: string, entry: Held): void {
    if (this.held.get(address) === entry) this.held.delete(address);
    const { peripheral } = entry;
    if (peripheral.state === 'connected' || peripheral.state === 'disconnecting') {
      // The link outlived the read's wait for it: forget once it is really down, unless held again by then.
      peripheral.once('disconnect', () => {
        if (!this.held.has(address)) this.forget(peripheral);
      });
      return;
    }
    this.forget(peripheral);
  }

  private drop(address: string, entry: Held): void {
    this.held.delete(address);
    this.forget(entry.peripheral);
  }
}
