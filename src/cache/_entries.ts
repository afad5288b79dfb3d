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

/** A kept reply, linked into the recency list. */
export interface Entry {
  /** Where it is: see {@linkcode Entries.get}. */
  readonly space: string;
  readonly id: string;
  readonly value: RespValue;
  /** Its keys, as invalidations name them. */
  readonly keys: readonly string[];
  /** The connection whose tracking covers it. */
  readonly source: object;
  readonly size: number;
  readonly expires: number;
  /** The next less recently used, or the list's head. */
  older: Entry | List;
  /** The next more recently used, or the list's head. */
  newer: Entry | List;
}

/** The head of the recency list: its `newer` is the oldest entry. */
interface List {
  older: Entry | List;
  newer: Entry | List;
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
  /** By space, then by identity within it. */
  readonly #spaces = new Map<string, Map<string, Entry>>();
  #size = 0;
  /**
   * A circle through every entry, most recently used at `older`, least at
   * `newer`. A hit relinks its entry in constant time (a Map's delete and
   * set would do it too, but their cost grows with the Map's size as
   * deleted slots pile up).
   */
  readonly #list: List = { older: undefined!, newer: undefined! };
  readonly #byKey = new Map<string, Entry[]>();
  readonly #bySource = new Map<object, Set<Entry>>();
  #bytes = 0;
  /** Dropped for room or age. */
  evictions = 0;

  constructor(settings: ResolvedCache) {
    this.#settings = settings;
    this.#list.older = this.#list.newer = this.#list;
  }

  /** How many are kept. */
  get size(): number {
    return this.#size;
  }

  /** Their estimated memory, in bytes. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * The entry for a reply, when kept and not expired; it becomes the most
   * recently used. A reply's identity is split in two so that the hot case
   * needs no string built: a command with one string argument (GET key) is
   * found under its name (the space) by that argument, with the strings the
   * caller already has; any other under the space "" by its whole identity.
   *
   * @param space The command's name, or "".
   * @param id The argument, or the whole identity.
   * @param now The time, in epoch milliseconds (for `ttl`).
   * @returns The entry.
   */
  get(space: string, id: string, now: number): Entry | undefined {
    const entry = this.#spaces.get(space)?.get(id);
    if (entry === undefined) return undefined;
    if (entry.expires <= now) {
      this.#remove(entry);
      this.evictions++;
      return undefined;
    }
    const list = this.#list;
    if (list.older !== entry) {
      entry.older.newer = entry.newer;
      entry.newer.older = entry.older;
      entry.older = list.older;
      entry.newer = list;
      list.older.newer = entry;
      list.older = entry;
    }
    return entry;
  }

  /**
   * Keeps a reply, evicting the least recently used while over a bound; a
   * reply larger than `maxBytes` is not kept.
   *
   * @param space The command's name, or "" (see {@linkcode Entries.get}).
   * @param id The argument, or the whole identity.
   * @param keys Its keys.
   * @param value The reply.
   * @param source The connection whose tracking covers it.
   */
  set(
    space: string,
    id: string,
    keys: readonly string[],
    value: RespValue,
    source: object,
  ): void {
    const { maxBytes, maxEntries, ttl } = this.#settings;
    const size = replySize(value) + ENTRY_OVERHEAD + space.length + id.length;
    if (size > maxBytes) return;
    let ids = this.#spaces.get(space);
    if (ids === undefined) this.#spaces.set(space, ids = new Map());
    const old = ids.get(id);
    if (old !== undefined) this.#remove(old);
    const list = this.#list;
    const entry: Entry = {
      space,
      id,
      value,
      keys,
      source,
      size,
      expires: ttl === Infinity ? Infinity : Date.now() + ttl,
      older: list.older,
      newer: list,
    };
    list.older.newer = entry;
    list.older = entry;
    ids.set(id, entry);
    this.#size++;
    for (const key of keys) add(this.#byKey, key, entry);
    const mine = this.#bySource.get(source);
    if (mine === undefined) this.#bySource.set(source, new Set([entry]));
    else mine.add(entry);
    this.#bytes += size;
    while (this.#size > maxEntries || this.#bytes > maxBytes) {
      this.#remove(list.newer as Entry);
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
    const dropped = this.#size;
    this.#spaces.clear();
    this.#size = 0;
    this.#list.older = this.#list.newer = this.#list;
    this.#byKey.clear();
    this.#bySource.clear();
    this.#bytes = 0;
    return dropped;
  }

  #remove(entry: Entry): void {
    const ids = this.#spaces.get(entry.space);
    if (ids?.get(entry.id) !== entry) return;
    ids.delete(entry.id);
    this.#size--;
    entry.older.newer = entry.newer;
    entry.newer.older = entry.older;
    for (const key of entry.keys) take(this.#byKey, key, entry);
    const mine = this.#bySource.get(entry.source)!;
    mine.delete(entry);
    if (mine.size === 0) this.#bySource.delete(entry.source);
    this.#bytes -= entry.size;
  }
}
