// Small typed arrays carved out of shared 64 KiB buffers. A typed array gets a buffer of
// its own: outside V8's heap above 64 bytes, which costs microseconds to make and to
// collect (a card's batch of features, about 500 bytes, cost as much as the rest of its
// scoring), and an ArrayBuffer object of about 100 bytes in any case (a member's 16-byte
// identity key took seven times its size). A view into a shared buffer costs tens of
// nanoseconds and no buffer of its own. Space is never handed out twice: a buffer is left
// behind when full, and freed by the garbage collector once no view of it is left.

const SLAB_BYTES = 64 * 1024;

class Slab {
  private buffer: ArrayBuffer;
  private used = 0;

  constructor(private readonly onNew: (buffer: ArrayBuffer) => void = () => undefined) {
    this.buffer = this.fresh();
  }

  /** `bytes` zeroed bytes, aligned to `align`; undefined when the request is too large to share a slab. */
  take(bytes: number, align: number): { buffer: ArrayBuffer; offset: number } | undefined {
    if (bytes > SLAB_BYTES / 4) return undefined;
    let offset = Math.ceil(this.used / align) * align;
    if (offset + bytes > SLAB_BYTES) {
      this.buffer = this.fresh();
      offset = 0;
    }
    this.used = offset + bytes;
    return { buffer: this.buffer, offset };
  }

  private fresh(): ArrayBuffer {
    const buffer = new ArrayBuffer(SLAB_BYTES);
    this.onNew(buffer);
    return buffer;
  }
}

/**
 * The buffers of slabCopy's copies, so that only those are overwritten by wipeSlabCopy.
 * One entry per 64 KiB slab: an entry per copy cost about 30 bytes of heap a member.
 */
const byteSlabs = new WeakSet<ArrayBufferLike>();

const floats = new Slab();
const bytes = new Slab((buffer) => byteSlabs.add(buffer));

/** A zeroed Float32Array of `length`, from the current slab when it fits there. */
export function slabFloats(length: number): Float32Array {
  const place = floats.take(length * Float32Array.BYTES_PER_ELEMENT, Float32Array.BYTES_PER_ELEMENT);
  return place === undefined ? new Float32Array(length) : new Float32Array(place.buffer, place.offset, length);
}

/** A copy of `source` in the current byte slab: for the many small, long-lived arrays (identity keys). */
export function slabCopy(source: Uint8Array): Uint8Array {
  const place = bytes.take(source.length, 1);
  const copy = place === undefined ? new Uint8Array(source.length) : new Uint8Array(place.buffer, place.offset, source.length);
  // Too large to share a slab: a buffer of its own, wiped the same way.
  if (place === undefined) byteSlabs.add(copy.buffer);
  copy.set(source);
  return copy;
}

/**
 * Overwrites a copy slabCopy made, whose slab outlives it (an erased member's key).
 * Arrays from anywhere else are left alone: their owner may still need them. Any view
 * into a byte slab counts as a copy: pass the copy itself, never a wider view.
 */
export function wipeSlabCopy(array: Uint8Array): void {
  if (byteSlabs.has(array.buffer)) array.fill(0);
}
