/**
 * The options of {@linkcode createCluster}: every client option, applied to
 * each node's pool, plus where reads go, how announced addresses map to
 * dialled ones, and how the slot map is kept fresh.
 *
 * @module
 */

import {
  checkOptionKeys,
  CLIENT_OPTION_KEYS,
  type ClientOptions,
  parseRedisUrl,
  type ResolvedOptions,
  resolveOptions,
} from "../options.ts";
import { checkKeys, type KnownKeys } from "../_options_check.ts";

/** Where read-only commands go. */
export type ReadFrom = "primary" | "replica" | "preferReplica";

/** How the slot map is kept fresh. */
export interface RefreshOptions {
  /**
   * The least time between two refreshes, in milliseconds: however many
   * MOVED replies or lost connections ask for one, at most one runs per
   * interval (with up to 20% jitter).
   *
   * @default {1000}
   */
  minInterval?: number;
  /**
   * How often the slot map is refreshed when nothing asks for it, in
   * milliseconds; `Infinity` for never.
   *
   * @default {60000}
   */
  interval?: number;
  /**
   * How many nodes a refresh asks; it takes the answer most of them agree
   * on.
   *
   * @default {3}
   */
  nodes?: number;
}

const REFRESH_KEYS = {
  minInterval: true,
  interval: true,
  nodes: true,
} satisfies KnownKeys<RefreshOptions>;

/** Options of {@linkcode createCluster}. */
export interface ClusterOptions
  extends Omit<ClientOptions, "host" | "port" | "path" | "db" | "sentinel"> {
  /**
   * Where read-only commands go: `"primary"`; `"replica"`, a live replica
   * of the slot (round robin), the primary only when none is up; or
   * `"preferReplica"`, the same, and a read that fails on a replica's
   * connection is tried once more on the primary. Replica connections send
   * READONLY.
   *
   * @default {"primary"}
   */
  readFrom?: ReadFrom;
  /**
   * The address to dial for the address a node announces (`"host:port"`
   * keys and values), for clusters behind NAT or in containers; or a
   * function from one to the other.
   */
  addressMap?: Record<string, string> | ((address: string) => string);
  /**
   * How many MOVED/ASK redirections one command may follow.
   *
   * @default {16}
   */
  maxRedirections?: number;
  /** How the slot map is kept fresh. */
  refresh?: RefreshOptions;
}

/** Cluster options with the defaults filled in. */
export interface ResolvedClusterOptions {
  /** Each seed's resolved client options. */
  readonly seeds: readonly ResolvedOptions[];
  /** The options every node's pool starts from (host and port replaced). */
  readonly node: ResolvedOptions;
  readonly readFrom: ReadFrom;
  readonly addressMap: (address: string) => string;
  readonly maxRedirections: number;
  readonly minInterval: number;
  readonly interval: number;
  readonly refreshNodes: number;
}

/** The options a cluster has and a client has not. */
const CLUSTER_ONLY_KEYS = {
  readFrom: true,
  addressMap: true,
  maxRedirections: true,
  refresh: true,
} satisfies KnownKeys<Omit<ClusterOptions, keyof ClientOptions>>;
/** The client options a cluster refuses: the seeds say where the nodes are. */
const NOT_CLUSTER_KEYS = {
  host: true,
  port: true,
  path: true,
  db: true,
  sentinel: true,
} satisfies KnownKeys<Omit<ClientOptions, keyof ClusterOptions>>;
// Both lists above match their types exactly, so this one does too.
const CLUSTER_OPTION_KEYS: Readonly<Record<string, true>> = {
  ...Object.fromEntries(
    Object.keys(CLIENT_OPTION_KEYS)
      .filter((name) => !Object.hasOwn(NOT_CLUSTER_KEYS, name))
      .map((name) => [name, true]),
  ),
  ...CLUSTER_ONLY_KEYS,
};

function count(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  infinite = false,
): number {
  if (value === undefined) return fallback;
  if (infinite && value === Infinity) return value;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(
      `Cannot create the cluster as ${name} must be an integer, got ${
        typeof value === "number" ? value : typeof value
      }`,
    );
  }
  if (value < min) {
    throw new RangeError(
      `Cannot create the cluster as ${name} must be ${min} or more, got ${value}`,
    );
  }
  return value;
}

/**
 * Checks seeds and options and fills in the defaults.
 *
 * @param seeds `redis://` or `rediss://` URLs, or `host:port` strings.
 * @param options The options.
 * @returns The resolved options.
 * @throws {TypeError} When a seed or option has the wrong type, or an
 * options object has a key that is not an option (`addressMap`'s keys are
 * addresses, not options, and are free).
 * @throws {RangeError} When an option is out of range.
 */
export function resolveClusterOptions(
  seeds: readonly string[] | string,
  options: ClusterOptions = {},
): ResolvedClusterOptions {
  const list = typeof seeds === "string" ? [seeds] : seeds;
  if (!Array.isArray(list) || list.length === 0) {
    throw new TypeError(
      "Cannot create the cluster as seeds must be a non-empty array of redis:// URLs",
    );
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      "Cannot create the cluster as options must be an object",
    );
  }
  for (const name of Object.keys(NOT_CLUSTER_KEYS)) {
    if (Object.hasOwn(options, name)) {
      throw new TypeError(
        `Cannot create the cluster as ${name} is not a cluster option: give the nodes as seeds (a cluster has only db 0)`,
      );
    }
  }
  checkOptionKeys(options, CLUSTER_OPTION_KEYS, "create the cluster");
  const refresh = options.refresh ?? {};
  if (typeof refresh !== "object" || refresh === null) {
    throw new TypeError(
      "Cannot create the cluster as refresh must be an object",
    );
  }
  checkKeys(refresh, REFRESH_KEYS, "create the cluster", "refresh");
  const clientOptions: ClientOptions = {};
  for (const [name, value] of Object.entries(options)) {
    if (!Object.hasOwn(CLUSTER_ONLY_KEYS, name)) {
      (clientOptions as Record<string, unknown>)[name] = value;
    }
  }
  const resolved = list.map((seed, i) => {
    if (typeof seed !== "string") {
      throw new TypeError(
        `Cannot create the cluster as seeds[${i}] must be a string, got ${typeof seed}`,
      );
    }
    const url = /^[a-z]+:\/\//i.test(seed) ? seed : `redis://${seed}`;
    const fromUrl = parseRedisUrl(url);
    if (fromUrl.path !== undefined) {
      throw new TypeError(
        `Cannot create the cluster as seeds[${i}] is a unix socket: cluster nodes are dialled by host and port`,
      );
    }
    if (fromUrl.db !== undefined && fromUrl.db !== 0) {
      throw new RangeError(
        `Cannot create the cluster as seeds[${i}] selects db ${fromUrl.db}: a cluster has only db 0`,
      );
    }
    return resolveOptions(url, clientOptions);
  });
  const readFrom = options.readFrom ?? "primary";
  if (!["primary", "replica", "preferReplica"].includes(readFrom)) {
    throw new TypeError(
      `Cannot create the cluster as readFrom must be "primary", "replica" or "preferReplica", got ${
        String(readFrom)
      }`,
    );
  }
  const map = options.addressMap;
  let addressMap: (address: string) => string;
  if (map === undefined) addressMap = (address) => address;
  else if (typeof map === "function") addressMap = map;
  else if (typeof map === "object" && map !== null) {
    const table = new Map(Object.entries(map));
    addressMap = (address) => table.get(address) ?? address;
  } else {
    throw new TypeError(
      `Cannot create the cluster as addressMap must be an object or a function, got ${typeof map}`,
    );
  }
  return {
    seeds: resolved,
    node: resolved[0],
    readFrom,
    addressMap,
    maxRedirections: count(
      "maxRedirections",
      options.maxRedirections,
      16,
      0,
    ),
    minInterval: count("refresh.minInterval", refresh.minInterval, 1_000, 0),
    interval: count("refresh.interval", refresh.interval, 60_000, 1, true),
    refreshNodes: count("refresh.nodes", refresh.nodes, 3, 1),
  };
}
