/**
 * What the client-side cache keeps: replies by identity, least recently
 * used first, indexed by key (for invalidations) and by the connection
 * whose tracking covers them (for its loss), within bounds of count, bytes
 * and age.
 *
 * @module
 */

import type { RespValue } from "../resp/types.ts";
import { replySize } from "./_plan.ts";
import type { ResolvedCache } from "./types.ts";

/** A kept reply. */
export interface Entry {
  readonly id: string;
  readonly value: RespValue;
  /** Its keys, as invalidations name them. */
  readonly keys: readonly string[];
  /** The connection whose tracking covers it. */
  readonly source: object;
  readonly size: number;
  readonly expires: number;
}

/** The estimated overhead of one entry and its index, in bytes. */
const ENTRY_OVERHEAD = 160;

/** Adds a value to the list under a key. */
export function add<K, V>(index: Map<K, V[]>, key: K, value: V): void {
  const list = index.get(key);
  if (list === undefined) index.set(key, [value]);
  else list.push(value);
}

/** Takes a value out of the list under a key. */
export function take<K, V>(index: Map<K, V[]>, key: K, value: V): void {
  const list = index.get(key);
  if (list === undefined) return;
  const at = list.indexOf(value);
  if (at < 0) return;
  if (list.length === 1) index.delete(key);
  else list.splice(at, 1);
}

/** The kept replies. */
export class Entries {
  readonly #settings: ResolvedCache;
  /** Least recently used first. */
  readonly #entries = new Map<string, Entry>();
  readonly #byKey = new Map<string, Entry[]>();
  readonly #bySource = new Map<object, Set<Entry>>();
  #bytes = 0;
  /** Dropped for room or age. */
  evictions = 0;

  constructor(settings: ResolvedCache) {
    this.#settings = settings;
  }

  /** How many are kept. */
  get size(): number {
    return this.#entries.size;
  }

  /** Their estimated memory, in bytes. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * The entry for `id`, when kept and not expired; it becomes the most
   * recently used.
   *
   * @param id The reply's identity.
   * @returns The entry.
   */
  get(id: string): Entry | undefined {
    const entries = this.#entries;
    const entry = entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.expires !== Infinity && entry.expires <= Date.now()) {
      this.#remove(entry);
      this.evictions++;
      return undefined;
    }
    entries.delete(id);
    entries.set(id, entry);
    return entry;
  }

  /**
   * Keeps a reply, evicting the least recently used while over a bound; a
   * reply larger than `maxBytes` is not kept.
   *
   * @param id The reply's identity.
   * @param keys Its keys.
   * @param value The reply.
   * @param source The connection whose tracking covers it.
   */
  set(
    id: string,
    keys: readonly string[],
    value: RespValue,
    source: object,
  ): void {
    const { maxBytes, maxEntries, ttl } = this.#settings;
    const size = replySize(value) + ENTRY_OVERHEAD + id.length;
    if (size > maxBytes) return;
    const old = this.#entries.get(id);
    if (old !== undefined) this.#remove(old);
    const entry: Entry = {
      id,
      value,
      keys,
      source,
      size,
      expires: ttl === Infinity ? Infinity : Date.now() + ttl,
    };
    this.#entries.set(id, entry);
    for (const key of keys) add(this.#byKey, key, entry);
    const mine = this.#bySource.get(source);
    if (mine === undefined) this.#bySource.set(source, new Set([entry]));
    else mine.add(entry);
    this.#bytes += size;
    while (this.#entries.size > maxEntries || this.#bytes > maxBytes) {
      this.#remove(this.#entries.values().next().value!);
      this.evictions++;
    }
  }

  /**
   * Drops the replies that read a key.
   *
   * @param key The key, as invalidations name it.
   * @returns How many were dropped.
   */
  dropKey(key: string): number {
    const entries = this.#byKey.get(key);
    if (entries === undefined) return 0;
    const dropped = [...entries];
    for (const entry of dropped) this.#remove(entry);
    return dropped.length;
  }

  /**
   * Drops the replies a connection's tracking covered.
   *
   * @param source The connection.
   * @returns How many were dropped.
   */
  dropSource(source: object): number {
    const entries = this.#bySource.get(source);
    if (entries === undefined) return 0;
    const dropped = [...entries];
    for (const entry of dropped) this.#remove(entry);
    return dropped.length;
  }

  /**
   * Drops every reply.
   *
   * @returns How many were dropped.
   */
  clear(): number {
    const dropped = this.#entries.size;
    this.#entries.clear();
    this.#byKey.clear();
    this.#bySource.clear();
    this.#bytes = 0;
    return dropped;
  }

  #remove(entry: Entry): void {
    if (this.#entries.get(entry.id) !== entry) return;
    this.#entries.delete(entry.id);
    for (const key of entry.keys) take(this.#byKey, key, entry);
    const mine = this.#bySource.get(entry.source)!;
    mine.delete(entry);
    if (mine.size === 0) this.#bySource.delete(entry.source);
    this.#bytes -= entry.size;
  }
}
