// The identity keys the resolver computes EIDs from, 16 bytes a slot in one array. A
// key held as its own Uint8Array cost about 100 bytes of heap beside its 16 bytes (the
// view object); 100,000 members paid 10 MB for that alone. Every byte this class lets
// go of is overwritten first: an erased member's key, and the old array when it grows.

const KEY_BYTES = 16;

export class SlotKeyStore {
  private bytes = new Uint8Array(64 * KEY_BYTES);
  /** 1 where the slot holds a key the resolver may use (the member consented to presence). */
  private usable = new Uint8Array(64);

  /** The array holding every slot's key, at slot × 16; valid until the next `set`. */
  array(): Uint8Array {
    return this.bytes;
  }

  has(slot: number): boolean {
    return this.usable[slot] === 1;
  }

  /** Copies `key` into the slot; `usable` false keeps it out of the tables (no presence consent). */
  set(slot: number, key: Uint8Array, usable: boolean): void {
    if (key.length !== KEY_BYTES) throw new RangeError(`an identity key has ${KEY_BYTES} bytes, not ${key.length}`);
    this.reserve(slot + 1);
    this.bytes.set(key, slot * KEY_BYTES);
    this.usable[slot] = usable ? 1 : 0;
  }

  /** Whether the slot's key equals `key`. */
  equals(slot: number, key: Uint8Array): boolean {
    if (key.length !== KEY_BYTES || slot * KEY_BYTES >= this.bytes.length) return false;
    for (let i = 0; i < KEY_BYTES; i++) if (this.bytes[slot * KEY_BYTES + i] !== key[i]) return false;
    return true;
  }

  /** Overwrites the slot's key with zeros. */
  wipe(slot: number): void {
    if (slot * KEY_BYTES >= this.bytes.length) return;
    this.bytes.fill(0, slot * KEY_BYTES, (slot + 1) * KEY_BYTES);
    this.usable[slot] = 0;
  }

  private reserve(slots: number): void {
    if (slots <= this.usable.length) return;
    const capacity = Math.max(slots, this.usable.length * 2);
    const bytes = new Uint8Array(capacity * KEY_BYTES);
    bytes.set(this.bytes);
    this.bytes.fill(0);
    this.bytes = bytes;
    const usable = new Uint8Array(capacity);
    usable.set(this.usable);
    this.usable = usable;
  }
}
