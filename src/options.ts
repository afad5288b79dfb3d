/**
 * Client options, their defaults, and `redis://`, `rediss://` and `unix://`
 * URL parsing.
 *
 * @module
 */

import type { DecoderLimits } from "./resp/decode.ts";
import type { TlsOptions, Transport } from "./transport/types.ts";
import type { RetryPolicy } from "./policy/retry.ts";
import { parseRedisUrl } from "./url.ts";
import { integer } from "./_options_check.ts";
import {
  checkCoreKeys,
  checkOptionKeys,
  CLIENT_OPTION_KEYS,
  type FullOnlyName,
} from "./_options_keys.ts";
import {
  type ResolvedSentinel,
  resolveSentinel,
  type SentinelOptions,
} from "./sentinel/options.ts";
import { resolveCache } from "./cache/options.ts";
import type { CacheOptions, ResolvedCache } from "./cache/types.ts";
import { KeyPrefix } from "./_prefix.ts";
import type { Tracer } from "./tracing/types.ts";
import { resolveTracer } from "./tracing/_attributes.ts";

export { parseRedisUrl, type UrlSettings } from "./url.ts";
export {
  checkOptionKeys,
  CLIENT_OPTION_KEYS,
  CORE_OPTION_KEYS,
} from "./_options_keys.ts";
export type { ResolvedSentinel, SentinelOptions };

/** Options of the client's bounded connection pool. */
export interface PoolOptions {
  /**
   * The most connections the pool opens.
   *
   * @default {10}
   */
  max?: number;
  /**
   * Connections kept open even when idle.
   *
   * @default {0}
   */
  min?: number;
  /**
   * The most connections leases may hold at once, subscriptions and
   * blocking commands included. Below `max`, plain commands always keep a
   * connection of their own, however many leases are taken; with `max: 1`
   * a lease takes the only connection and plain commands wait for its
   * release.
   *
   * @default {max - 1, at least 1}
   */
  maxLeases?: number;
  /**
   * How long `acquire` waits for a free connection, in milliseconds
   * (`Infinity`: no limit).
   *
   * @default {5000}
   */
  acquireTimeout?: number;
  /**
   * How long a connection above `min` may stay idle before it is closed, in
   * milliseconds.
   *
   * @default {30000}
   */
  idleTimeout?: number;
  /**
   * How long a connection may live before it is replaced, in milliseconds;
   * `0` for no limit.
   *
   * @default {0}
   */
  maxLifetime?: number;
  /**
   * A connection idle longer than this, in milliseconds, is PINGed before it
   * is handed out.
   *
   * @default {30000}
   */
  healthCheckInterval?: number;
  /**
   * How leases dropped without release (leaks) are found. With `"sample"`
   * and `"always"` every lease is tracked: a leaked one is counted
   * (`stats().leaks`), its connection reclaimed and a `leak` event fired
   * once the lease is garbage-collected (and no sooner than the pool's
   * next maintenance round, at most a second after it was acquired: leases
   * released before then cost no tracking at all). They differ in which
   * `acquire` calls record their stack for the event, the costly part:
   * `acquire()` + `release()` takes about 0.4 µs with `"sample"` and 5 µs
   * with `"always"` on Deno (0.4 and 0.7 µs on Bun).
   *
   * - `"sample"`: the first acquire and then 1 in 128. A leak reported
   *   without a stack says so, and from then on the pool records the stack
   *   of every acquire, so the next leak carries one.
   * - `"always"`: every acquire, so the first leak carries its stack.
   * - `false`: nothing is tracked; a leaked lease keeps its connection
   *   until the client is closed.
   *
   * `true` means `"always"` (what it meant before the levels existed).
   *
   * @default {"sample"}
   */
  leakDetection?: "sample" | "always" | boolean;
  /**
   * A lease held longer than this, in milliseconds, fires a `longhold` event.
   *
   * @default {60000}
   */
  longHoldWarning?: number;
}

/** Checks `pool.leakDetection`; `true` is read as `"always"`. */
function leakDetection(value: unknown): "sample" | "always" | false {
  if (value === undefined) return "sample";
  if (value === true) return "always";
  if (value === "sample" || value === "always" || value === false) return value;
  throw new TypeError(
    `Cannot create the client as pool.leakDetection must be "sample", "always" or false, got ${
      typeof value === "string" ? `"${value}"` : String(value)
    }`,
  );
}

/**
 * Options of {@linkcode createClient}: those of {@linkcode CoreClientOptions}
 * and the features only the full client has.
 */
export interface ClientOptions extends CoreClientOptions {
  /**
   * Find the server through Redis Sentinel and follow its master through
   * failovers; `host`, `port` and `path` are not given then.
   */
  sentinel?: SentinelOptions;
  /**
   * Keep replies of cacheable reads in memory, invalidated by the server
   * (RESP3 key tracking; needs `protocol: 3`, the default). `true` for the
   * default bounds.
   */
  cache?: CacheOptions | boolean;
  /**
   * Put before every key of every command (found by the command's key
   * positions: multi-key commands and scripts' keys included), and before
   * `scan()`'s pattern (and taken off the keys it yields). Channels are not
   * keys; replies that name keys (BLPOP, KEYS, ...) name them in full.
   */
  keyPrefix?: string;
  /**
   * An OpenTelemetry `Tracer` (`trace.getTracer("...")`): a span per
   * command, pipeline, transaction, connection opened and `acquire` wait,
   * named and attributed by the database conventions for Redis. Argument
   * values are never recorded.
   */
  tracer?: Tracer;
}

/**
 * The options of the core client (`@respool/redis/core`) and what the full
 * client's options ({@linkcode ClientOptions}) have besides Sentinel, the
 * cache, the key prefix and tracing.
 */
export interface CoreClientOptions {
  /**
   * The server's host name or address.
   *
   * @default {"127.0.0.1"}
   */
  host?: string;
  /**
   * The server's TCP port.
   *
   * @default {6379}
   */
  port?: number;
  /** A unix socket path; when set, `host` and `port` are ignored. */
  path?: string;
  /** The ACL user name (Redis 6+). */
  username?: string;
  /** The password (never included in error messages). */
  password?: string;
  /**
   * The database number to SELECT.
   *
   * @default {0}
   */
  db?: number;
  /** TLS settings; `true` for TLS with the system's trust store. */
  tls?: TlsOptions | boolean;
  /**
   * The RESP version to ask for with HELLO; a server without HELLO gets 2.
   *
   * @default {3}
   */
  protocol?: 2 | 3;
  /** A name for the connections (`CLIENT SETNAME`). */
  name?: string;
  /**
   * How long opening a connection (with its handshake) may take, in
   * milliseconds.
   *
   * @default {5000}
   */
  connectTimeout?: number;
  /**
   * How long a command may wait for its reply, in milliseconds (`Infinity`:
   * no limit; a silent connection is then never declared dead).
   *
   * @default {10000}
   */
  commandTimeout?: number;
  /**
   * The most commands queued while no connection is usable; more reject at
   * once with `QueueFullError`. With `0`, commands issued while the first
   * connection opens still wait for it, but none wait while the server
   * cannot be reached.
   *
   * @default {10000}
   */
  maxQueued?: number;
  /** The pool's options. */
  pool?: PoolOptions;
  /** When and how often to retry a command after a connection failure. */
  retry?: RetryPolicy;
  /** When to try again to open a connection after a failure. */
  reconnect?: RetryPolicy;
  /** The socket implementation; by default the current runtime's. */
  transport?: Transport;
  /** Limits on what the server may send. */
  limits?: DecoderLimits;
}

/** The options only the full client serves, resolved by these functions. */
const FULL_ONLY = {
  sentinel: resolveSentinel,
  cache: resolveCache,
  keyPrefix: resolvePrefix,
  tracer: resolveTracer,
} satisfies Record<FullOnlyName, unknown>;

function resolvePrefix(prefix: unknown): KeyPrefix | undefined {
  if (prefix === undefined || prefix === "") return undefined;
  if (typeof prefix !== "string") {
    throw new TypeError(
      `Cannot create the client as keyPrefix must be a string, got ${
        prefix === null ? "null" : typeof prefix
      }`,
    );
  }
  return new KeyPrefix(prefix);
}

/** Options with every default filled in and every value checked. */
export interface ResolvedOptions {
  readonly host: string;
  readonly port: number;
  readonly path: string | undefined;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly db: number;
  readonly tls: TlsOptions | undefined;
  readonly protocol: 2 | 3;
  readonly name: string | undefined;
  readonly connectTimeout: number;
  readonly commandTimeout: number;
  readonly maxQueued: number;
  readonly pool: Readonly<
    Required<Omit<PoolOptions, "leakDetection">> & {
      leakDetection: "sample" | "always" | false;
    }
  >;
  readonly retry: RetryPolicy | undefined;
  readonly reconnect: RetryPolicy | undefined;
  readonly transport: Transport | undefined;
  readonly limits: DecoderLimits;
  /**
   * Send READONLY after the handshake, so a cluster replica serves reads
   * (set by the cluster client, not an option of its own).
   */
  readonly readOnly: boolean;
  /** The sentinels to ask, when the server is found through Sentinel. */
  readonly sentinel: ResolvedSentinel | undefined;
  /** The client-side cache's bounds, when it is on. */
  readonly cache: ResolvedCache | undefined;
  /** The key prefix, when one is set. */
  readonly keyPrefix: KeyPrefix | undefined;
  /** The tracer, when spans are recorded. */
  readonly tracer: Tracer | undefined;
}

/**
 * Merges a URL and options (options win) and fills in the defaults.
 *
 * @param url The server URL, if any.
 * @param options The options, if any.
 * @returns The resolved options.
 * @throws {TypeError} When the URL or an option has the wrong type, or an
 * options object has a key that is not an option.
 * @throws {RangeError} When an option is out of range.
 */
export function resolveOptions(
  url: string | undefined,
  options: ClientOptions = {},
): ResolvedOptions {
  return resolveWith(
    url,
    options,
    (given) => checkOptionKeys(given, CLIENT_OPTION_KEYS, "create the client"),
    FULL_ONLY,
  );
}

/**
 * Merges a URL and the core client's options (options win) and fills in
 * the defaults; `sentinel`, `cache`, `keyPrefix` and `tracer` are refused.
 *
 * @param url The server URL, if any.
 * @param options The options, if any.
 * @returns The resolved options.
 * @throws {TypeError} When the URL or an option has the wrong type, or an
 * options object has a key that is not a core option.
 * @throws {RangeError} When an option is out of range.
 */
export function resolveCoreOptions(
  url: string | undefined,
  options: CoreClientOptions = {},
): ResolvedOptions {
  return resolveWith(url, options, checkCoreKeys);
}

function resolveWith(
  url: string | undefined,
  options: ClientOptions,
  check: (options: object) => void,
  full?: typeof FULL_ONLY,
): ResolvedOptions {
  if (url !== undefined && typeof url !== "string") {
    throw new TypeError(
      `Cannot create the client as the URL must be a string, got ${typeof url}`,
    );
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot create the client as options must be an object, got ${
        options === null ? "null" : typeof options
      }`,
    );
  }
  check(options);
  const fromUrl = url === undefined ? {} : parseRedisUrl(url);
  const sentinel = options.sentinel === undefined
    ? undefined
    : full?.sentinel(options.sentinel, options);
  const username = options.username ?? fromUrl.username;
  const password = options.password ?? fromUrl.password;
  if (username !== undefined && password === undefined) {
    throw new TypeError(
      `Cannot create the client as user "${username}" has no password: give one (an ACL user with nopass accepts any, even "")`,
    );
  }
  const tlsOption = options.tls ?? fromUrl.tls;
  const tls = tlsOption === true
    ? {}
    : tlsOption === false
    ? undefined
    : tlsOption;
  const pool = options.pool ?? {};
  const max = integer("pool.max", pool.max ?? 10, 1);
  const path = options.path ?? fromUrl.path;
  if (path !== undefined && tls !== undefined) {
    throw new TypeError(
      "Cannot create the client as tls is set with a unix socket path: Redis serves no TLS on unix sockets",
    );
  }
  const protocol = options.protocol ?? 3;
  if (protocol !== 2 && protocol !== 3) {
    throw new RangeError(
      `Cannot create the client as protocol must be 2 or 3, got ${protocol}`,
    );
  }
  for (const name of ["retry", "reconnect"] as const) {
    const policy = options[name];
    if (policy !== undefined && typeof policy !== "function") {
      throw new TypeError(
        `Cannot create the client as ${name} must be a function, got ${typeof policy}`,
      );
    }
  }
  return {
    host: options.host ?? fromUrl.host ?? "127.0.0.1",
    port: integer("port", options.port ?? fromUrl.port ?? 6379, 1, 65_535),
    path,
    username,
    password,
    db: integer("db", options.db ?? fromUrl.db ?? 0, 0),
    tls,
    protocol,
    name: options.name,
    connectTimeout: integer(
      "connectTimeout",
      options.connectTimeout ?? 5_000,
      1,
    ),
    commandTimeout: integer(
      "commandTimeout",
      options.commandTimeout ?? 10_000,
      1,
      undefined,
      true,
    ),
    maxQueued: integer("maxQueued", options.maxQueued ?? 10_000, 0),
    pool: {
      max,
      min: integer("pool.min", pool.min ?? 0, 0, max),
      maxLeases: integer(
        "pool.maxLeases",
        pool.maxLeases ?? Math.max(1, max - 1),
        1,
        max,
      ),
      acquireTimeout: integer(
        "pool.acquireTimeout",
        pool.acquireTimeout ?? 5_000,
        1,
        undefined,
        true,
      ),
      idleTimeout: integer("pool.idleTimeout", pool.idleTimeout ?? 30_000, 0),
      maxLifetime: integer("pool.maxLifetime", pool.maxLifetime ?? 0, 0),
      healthCheckInterval: integer(
        "pool.healthCheckInterval",
        pool.healthCheckInterval ?? 30_000,
        0,
      ),
      leakDetection: leakDetection(pool.leakDetection),
      longHoldWarning: integer(
        "pool.longHoldWarning",
        pool.longHoldWarning ?? 60_000,
        0,
      ),
    },
    retry: options.retry,
    reconnect: options.reconnect,
    transport: options.transport,
    limits: options.limits ?? {},
    readOnly: false,
    sentinel,
    cache: full?.cache(options.cache, protocol),
    keyPrefix: full?.keyPrefix(options.keyPrefix),
    tracer: full?.tracer(options.tracer),
  };
}
