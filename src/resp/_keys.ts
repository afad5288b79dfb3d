/**
 * A small cache of the strings that short map keys decode to: a hash's
 * field names, a stream entry's fields and the like come back in every
 * reply, and a string seen before is cheaper to find than to decode, and
 * cheaper again to use as a property name (the engine has it interned
 * already).
 *
 * @module
 */

/** Keys longer than this many bytes are decoded every time. */
export const MAX_KEY_BYTES = 24;
const SLOTS = 1024;

/**
 * A direct-mapped cache from bytes to the string they decode to; a slot
 * holds the last key hashed to it. Found strings are checked byte for byte,
 * so a collision costs a decode, never a wrong string.
 */
export class KeyCache {
  readonly #strings: (string | undefined)[] = new Array(SLOTS);
  readonly #bytes = new Uint8Array(SLOTS * MAX_KEY_BYTES);
  readonly #lengths = new Uint8Array(SLOTS);

  /**
   * The string bytes `start` to `end` of `buf` decode to.
   *
   * @param buf The bytes.
   * @param start Where the key starts.
   * @param end Where it ends; at most {@linkcode MAX_KEY_BYTES} after `start`.
   * @param decode Decodes the key when it is not cached.
   * @returns The decoded key.
   */
  get(
    buf: Uint8Array,
    start: number,
    end: number,
    decode: (buf: Uint8Array, start: number, end: number) => string,
  ): string {
    const length = end - start;
    let hash = 0x811c9dc5 ^ length;
    for (let i = start; i < end; i++) {
      hash = Math.imul(hash ^ buf[i], 0x01000193);
    }
    const slot = (hash >>> 0) % SLOTS;
    const bytes = this.#bytes;
    const base = slot * MAX_KEY_BYTES;
    const cached = this.#strings[slot];
    if (cached !== undefined && this.#lengths[slot] === length) {
      let i = 0;
      while (i < length && bytes[base + i] === buf[start + i]) i++;
      if (i === length) return cached;
    }
    const text = decode(buf, start, end);
    this.#strings[slot] = text;
    this.#lengths[slot] = length;
    for (let i = 0; i < length; i++) bytes[base + i] = buf[start + i];
    return text;
  }
}
