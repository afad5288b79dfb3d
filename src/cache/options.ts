/**
 * The client-side cache's options, checked, with their defaults.
 *
 * @module
 */

import { integer } from "../_options_check.ts";
import type { CacheOptions, ResolvedCache } from "./types.ts";

/**
 * Resolves the `cache` option.
 *
 * @param cache The option as given.
 * @param protocol The protocol asked for (the cache needs RESP3).
 * @returns The bounds, or undefined when the cache is off.
 * @throws {TypeError} When it is not an object or a boolean, or with
 * protocol 2.
 * @throws {RangeError} When a bound is out of range.
 */
export function resolveCache(
  cache: CacheOptions | boolean | undefined,
  protocol: 2 | 3,
): ResolvedCache | undefined {
  if (cache === undefined || cache === false) return undefined;
  if (cache !== true && (typeof cache !== "object" || cache === null)) {
    throw new TypeError(
      `Cannot create the client as cache must be an object or a boolean, got ${
        cache === null ? "null" : typeof cache
      }`,
    );
  }
  if (protocol !== 3) {
    throw new TypeError(
      "Cannot create the client as cache needs protocol 3: the server's invalidations arrive as RESP3 pushes on the connection that read the key",
    );
  }
  // Its keys were checked with the others, by checkOptionKeys().
  const given = cache === true ? {} : cache;
  return {
    maxEntries: integer("cache.maxEntries", given.maxEntries ?? 10_000, 1),
    maxBytes: integer("cache.maxBytes", given.maxBytes ?? 32 * 1024 * 1024, 1),
    ttl: integer("cache.ttl", given.ttl ?? 60_000, 1, undefined, true),
  };
}
