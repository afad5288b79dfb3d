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
import type { CacheOptions, ResolvedCache } from "./cache/types.ts";

export { parseRedisUrl, type UrlSettings } from "./url.ts";

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
   * Whether to record the stack of each `acquire` (about 1.5 µs each) so the
   * `leak` event can say where a leaked lease came from. Leaked leases are
   * reclaimed and reported either way.
   *
   * @default {true}
   */
  leakDetection?: boolean;
  /**
   * A lease held longer than this, in milliseconds, fires a `longhold` event.
   *
   * @default {60000}
   */
  longHoldWarning?: number;
}

/** Where the sentinels are and which master to follow. */
export interface SentinelOptions {
  /** The master's name, as in `sentinel monitor <name> ...`. */
  name: string;
  /**
   * Some sentinels: `redis://` or `rediss://` URLs, or `host:port`. The
   * others are learned from them (`SENTINEL SENTINELS`).
   */
  nodes: readonly string[];
  /** The ACL user for the sentinels (the data nodes use `username`). */
  username?: string;
  /** The sentinels' password (the data nodes use `password`). */
  password?: string;
  /** TLS to the sentinels; a `rediss://` node URL turns it on too. */
  tls?: TlsOptions | boolean;
  /**
   * Which node the client talks to: the master, or a replica (falling back
   * to the master when no replica is up).
   *
   * @default {"master"}
   */
  role?: "master" | "replica";
}

/** Options of {@linkcode createClient}. */
export interface ClientOptions {
  /**
   * Find the server through Redis Sentinel and follow its master through
   * failovers; `host`, `port` and `path` are not given then.
   */
  sentinel?: SentinelOptions;
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
  /**
   * Keep replies of cacheable reads in memory, invalidated by the server
   * (RESP3 key tracking; needs `protocol: 3`, the default). `true` for the
   * default bounds.
   */
  cache?: CacheOptions | boolean;
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
  readonly pool: Readonly<Required<PoolOptions>>;
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
}

const CACHE_KEYS = ["maxEntries", "maxBytes", "ttl"];

function resolveCache(
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
  const given = cache === true ? {} : cache;
  for (const key of Object.keys(given)) {
    if (!CACHE_KEYS.includes(key)) {
      throw new TypeError(
        `Cannot create the client as cache.${key} is not an option (known: ${
          CACHE_KEYS.join(", ")
        })`,
      );
    }
  }
  return {
    maxEntries: integer("cache.maxEntries", given.maxEntries ?? 10_000, 1),
    maxBytes: integer("cache.maxBytes", given.maxBytes ?? 32 * 1024 * 1024, 1),
    ttl: integer("cache.ttl", given.ttl ?? 60_000, 1, undefined, true),
  };
}

/** Sentinel options, checked, with the nodes parsed. */
export interface ResolvedSentinel {
  readonly name: string;
  readonly nodes: readonly { host: string; port: number }[];
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly tls: TlsOptions | undefined;
  readonly role: "master" | "replica";
}

function resolveSentinel(
  sentinel: SentinelOptions,
  options: ClientOptions,
): ResolvedSentinel {
  if (typeof sentinel !== "object" || sentinel === null) {
    throw new TypeError(
      "Cannot create the client as sentinel must be an object",
    );
  }
  for (const name of ["host", "port", "path"] as const) {
    if (options[name] !== undefined) {
      throw new TypeError(
        `Cannot create the client as ${name} is given with sentinel: the sentinels say where the master is`,
      );
    }
  }
  if (typeof sentinel.name !== "string" || sentinel.name === "") {
    throw new TypeError(
      "Cannot create the client as sentinel.name must be the master's name",
    );
  }
  if (!Array.isArray(sentinel.nodes) || sentinel.nodes.length === 0) {
    throw new TypeError(
      "Cannot create the client as sentinel.nodes must be a non-empty array of sentinel addresses",
    );
  }
  const role = sentinel.role ?? "master";
  if (role !== "master" && role !== "replica") {
    throw new TypeError(
      `Cannot create the client as sentinel.role must be "master" or "replica", got ${
        String(role)
      }`,
    );
  }
  let tls = sentinel.tls === true ? {} : sentinel.tls || undefined;
  const nodes = sentinel.nodes.map((node, i) => {
    if (typeof node !== "string") {
      throw new TypeError(
        `Cannot create the client as sentinel.nodes[${i}] must be a string, got ${typeof node}`,
      );
    }
    const url = parseRedisUrl(
      /^[a-z]+:\/\//i.test(node) ? node : `redis://${node}`,
    );
    if (url.path !== undefined) {
      throw new TypeError(
        `Cannot create the client as sentinel.nodes[${i}] is a unix socket: sentinels are dialled by host and port`,
      );
    }
    if (url.tls) tls ??= {};
    return {
      host: url.host ?? "127.0.0.1",
      port: integer(`sentinel.nodes[${i}] port`, url.port ?? 26379, 1, 65_535),
    };
  });
  if (sentinel.username !== undefined && sentinel.password === undefined) {
    throw new TypeError(
      `Cannot create the client as sentinel user "${sentinel.username}" has no password`,
    );
  }
  return {
    name: sentinel.name,
    nodes,
    username: sentinel.username,
    password: sentinel.password,
    tls,
    role,
  };
}

function integer(
  name: string,
  value: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
  infinite = false,
): number {
  if (infinite && value === Infinity) return value;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(
      `Cannot create the client as ${name} must be an integer, got ${
        typeof value === "number" ? value : typeof value
      }`,
    );
  }
  if (value < min || value > max) {
    throw new RangeError(
      `Cannot create the client as ${name} must be between ${min} and ${max}, got ${value}`,
    );
  }
  return value;
}

/**
 * Merges a URL and options (options win) and fills in the defaults.
 *
 * @param url The server URL, if any.
 * @param options The options, if any.
 * @returns The resolved options.
 * @throws {TypeError} When the URL or an option has the wrong type.
 * @throws {RangeError} When an option is out of range.
 */
export function resolveOptions(
  url: string | undefined,
  options: ClientOptions = {},
): ResolvedOptions {
  if (url !== undefined && typeof url !== "string") {
    throw new TypeError(
      `Cannot create the client as the URL must be a string, got ${typeof url}`,
    );
  }
  const fromUrl = url === undefined ? {} : parseRedisUrl(url);
  const sentinel = options.sentinel === undefined
    ? undefined
    : resolveSentinel(options.sentinel, options);
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
      leakDetection: pool.leakDetection ?? true,
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
    cache: resolveCache(options.cache, protocol),
  };
}
