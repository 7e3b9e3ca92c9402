/**
 * Compact in-memory ids for a group's index (memory on large logs). A Uint8Array of its own per
 * 32-byte id costs a backing store and an ArrayBuffer besides the view (~200 bytes on V8 for
 * 32 bytes of id); an IdSlab hands out views into shared 64 KiB buffers instead. The views are
 * never written after they are made and never transferred (a transfer or a `.buffer` would see
 * the whole slab): they are the index's own copies, not buffers handed on.
 */
const SLAB_BYTES = 64 * 1024;

export class IdSlab {
  #buf = new Uint8Array(0);
  #at = 0;

  /** A copy of `bytes` in the slab (a view of exactly its length). */
  copy(bytes: Uint8Array): Uint8Array {
    if (bytes.length > SLAB_BYTES) return bytes.slice();
    if (this.#at + bytes.length > this.#buf.length) {
      this.#buf = new Uint8Array(SLAB_BYTES);
      this.#at = 0;
    }
    const out = this.#buf.subarray(this.#at, this.#at + bytes.length);
    out.set(bytes);
    this.#at += bytes.length;
    return out;
  }
}
