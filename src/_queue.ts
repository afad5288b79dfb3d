/**
 * A FIFO queue over a growable ring buffer: O(1) push and shift without the
 * array re-indexing `Array.prototype.shift` does.
 */
const EMPTY: unknown[] = [];

export class Queue<T> {
  // No slots until the first push: most queues of an idle client (offline
  // commands, waiters) stay empty all their life.
  #items: (T | undefined)[] = EMPTY as (T | undefined)[];
  #head = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    if (this.#size === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#size) & (this.#items.length - 1)] = item;
    this.#size++;
  }

  /** Puts an item back at the head. */
  unshiftFront(item: T): void {
    if (this.#size === this.#items.length) this.#grow();
    this.#head = (this.#head - 1) & (this.#items.length - 1);
    this.#items[this.#head] = item;
    this.#size++;
  }

  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#items.length - 1);
    this.#size--;
    return item;
  }

  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[this.#head];
  }

  /** The item at `index` from the head, or undefined. */
  at(index: number): T | undefined {
    return index < this.#size
      ? this.#items[(this.#head + index) & (this.#items.length - 1)]
      : undefined;
  }

  /** Removes the first item equal to `item`; returns whether one was found. */
  remove(item: T): boolean {
    for (let i = 0; i < this.#size; i++) {
      if (this.at(i) === item) {
        const mask = this.#items.length - 1;
        for (let j = i; j < this.#size - 1; j++) {
          this.#items[(this.#head + j) & mask] =
            this.#items[(this.#head + j + 1) & mask];
        }
        this.#items[(this.#head + this.#size - 1) & mask] = undefined;
        this.#size--;
        return true;
      }
    }
    return false;
  }

  /** Removes and returns every item, head first. */
  drain(): T[] {
    const out: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) {
      out.push(item);
    }
    return out;
  }

  #grow(): void {
    const old = this.#items;
    const grown: (T | undefined)[] = new Array(old.length * 2 || 16);
    for (let i = 0; i < this.#size; i++) {
      grown[i] = old[(this.#head + i) & (old.length - 1)];
    }
    this.#items = grown;
    this.#head = 0;
  }
}
