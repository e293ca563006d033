// Float32Arrays carved out of shared 64 KiB buffers. A typed array of more than 64 bytes
// gets a buffer of its own outside V8's heap, which costs microseconds to make and to
// collect: as much as the rest of a card's scoring work. Views into a shared buffer cost
// tens of nanoseconds. Space is never handed out twice: a buffer is left behind when
// full, and freed by the garbage collector once no view of it is left.

const SLAB_BYTES = 64 * 1024;
const FLOAT_BYTES = Float32Array.BYTES_PER_ELEMENT;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/** A zeroed Float32Array of `length`, from the current slab when it fits there. */
export function slabFloats(length: number): Float32Array {
  const bytes = length * FLOAT_BYTES;
  if (bytes > SLAB_BYTES / 4) return new Float32Array(length);
  if (used + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const view = new Float32Array(slab, used, length);
  used += bytes;
  return view;
}
