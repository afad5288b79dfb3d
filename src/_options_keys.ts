/**
 * The names of the client options, and refusing keys that are not
 * options: an options object with a typo such as `comandTimeout` fails at
 * once instead of leaving the default in place. The full client names the
 * nearest known option; the core client lists the known ones, and names
 * the options only the full client serves.
 *
 * @module
 */

import type { DecoderLimits } from "./resp/decode.ts";
import type { CacheOptions } from "./cache/types.ts";
import type {
  ClientOptions,
  CoreClientOptions,
  PoolOptions,
} from "./options.ts";
import {
  checkKeys,
  checkKnownKeys,
  checkNested,
  type KnownKeys,
  nearest,
  type Suggest,
  TLS_KEYS,
} from "./_options_check.ts";

const POOL_KEYS = {
  max: true,
  min: true,
  maxLeases: true,
  acquireTimeout: true,
  idleTimeout: true,
  maxLifetime: true,
  healthCheckInterval: true,
  leakDetection: true,
  longHoldWarning: true,
} satisfies KnownKeys<PoolOptions>;

/** The options only the full client serves. */
export type FullOnlyName = Exclude<
  keyof ClientOptions,
  keyof CoreClientOptions
>;

/**
 * Their names, for the core client to refuse them (without loading what
 * resolves them).
 */
const FULL_ONLY_NAMES = {
  sentinel: true,
  cache: true,
  keyPrefix: true,
  tracer: true,
} satisfies KnownKeys<Pick<ClientOptions, FullOnlyName>>;

/** The names of the core client's options. */
export const CORE_OPTION_KEYS = {
  host: true,
  port: true,
  path: true,
  username: true,
  password: true,
  db: true,
  tls: true,
  protocol: true,
  name: true,
  connectTimeout: true,
  commandTimeout: true,
  maxQueued: true,
  pool: true,
  retry: true,
  reconnect: true,
  transport: true,
  limits: true,
} satisfies KnownKeys<CoreClientOptions>;

/**
 * The names of the client options: the core client's and those only the
 * full client serves. An options object with any other key is refused (see
 * {@linkcode checkOptionKeys}).
 */
export const CLIENT_OPTION_KEYS = {
  ...CORE_OPTION_KEYS,
  ...FULL_ONLY_NAMES,
} satisfies KnownKeys<ClientOptions>;

// Declared in the transport, decoder and cache layers; listed here, where
// they are checked, and kept in step by the type checker.
const LIMITS_KEYS = {
  maxBulkLength: true,
  maxDepth: true,
  maxAggregateLength: true,
  maxLineLength: true,
} satisfies KnownKeys<DecoderLimits>;

const CACHE_KEYS = {
  maxEntries: true,
  maxBytes: true,
  ttl: true,
} satisfies KnownKeys<CacheOptions>;

/**
 * Refuses keys that are not options, in the options and in the objects
 * nested in them (`pool`, `tls`, `limits`, `cache`; `sentinel` is checked
 * where it is resolved), and nested objects of the wrong type.
 *
 * @param options The options as given.
 * @param known The top-level keys they may have.
 * @param subject What could not be done, for the message ("create the
 * client").
 * @throws {TypeError} When a key is unknown (naming it with its path and the
 * nearest known key), or `pool`, `tls` or `limits` is not an object.
 */
export function checkOptionKeys(
  options: object,
  known: Readonly<Record<string, true>>,
  subject: string,
): void {
  checkClientKeys(options, known, subject, nearest);
  const { cache } = options as ClientOptions;
  // resolveCache() says what a cache that is not an object should be.
  if (typeof cache === "object" && cache !== null) {
    checkKeys(cache, CACHE_KEYS, subject, "cache");
  }
}

/** The key checks of `checkOptionKeys()` but `cache`'s. */
function checkClientKeys(
  options: object,
  known: Readonly<Record<string, true>>,
  subject: string,
  suggest?: Suggest,
): void {
  checkKnownKeys(options, known, subject, undefined, suggest);
  const { pool, tls, limits } = options as ClientOptions;
  checkNested(pool, "pool", POOL_KEYS, subject, false, suggest);
  checkNested(tls, "tls", TLS_KEYS, subject, true, suggest);
  checkNested(limits, "limits", LIMITS_KEYS, subject, false, suggest);
}

/**
 * The core client's key checks: an option only the full client serves is
 * refused by name (the core leaves it out), and an unknown key is refused
 * with the list of known ones (the core leaves out the nearest-name
 * search too).
 */
export function checkCoreKeys(options: object): void {
  for (const name in FULL_ONLY_NAMES) {
    if (Object.hasOwn(options, name)) {
      throw new TypeError(
        `Cannot create the client as ${name} is an option of the full client: import createClient from "@respool/redis" instead of "@respool/redis/core"`,
      );
    }
  }
  checkClientKeys(options, CORE_OPTION_KEYS, "create the client");
}
