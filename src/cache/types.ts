/**
 * The public types of the client-side cache: its options and its stats.
 *
 * @module
 */

/**
 * Options of the client-side cache (`createClient(url, { cache })`): replies
 * of cacheable reads are kept in memory and dropped when the server says
 * their keys changed.
 */
export interface CacheOptions {
  /**
   * The most replies kept; the least recently used goes first.
   *
   * @default {10000}
   */
  maxEntries?: number;
  /**
   * The most memory the kept replies may take, in bytes, as estimated: a
   * string counts its length, bytes their length, plus a fixed overhead per
   * value and per entry. The least recently used go first; a reply larger
   * than this is not kept.
   *
   * @default {33554432}
   */
  maxBytes?: number;
  /**
   * How long a reply is kept at most, in milliseconds (`Infinity`: until
   * evicted or invalidated). A safety net: invalidations are what keep the
   * cache fresh.
   *
   * @default {60000}
   */
  ttl?: number;
}

/** The cache's options, checked, with defaults. */
export interface ResolvedCache {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly ttl: number;
}

/** What the client-side cache holds and has done (`stats().cache`). */
export interface CacheStats {
  /** Reads answered from memory (MGET: per key). */
  readonly hits: number;
  /** Cacheable reads sent to the server (MGET: per key). */
  readonly misses: number;
  /** Replies kept now. */
  readonly entries: number;
  /** The estimated memory they take, in bytes. */
  readonly bytes: number;
  /** Replies dropped for room (`maxEntries`, `maxBytes`) or by `ttl`. */
  readonly evictions: number;
  /**
   * Replies dropped because their keys may have changed: the server's
   * invalidations and flushes, this client's own writes, and the loss of
   * the connection whose tracking covered them.
   */
  readonly invalidations: number;
}
