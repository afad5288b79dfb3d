/**
 * The options of a client that finds its server through Redis Sentinel:
 * their type, their known keys, and their checking.
 *
 * @module
 */

import type { TlsOptions } from "../transport/types.ts";
import { parseRedisUrl } from "../url.ts";
import {
  checkKeys,
  integer,
  type KnownKeys,
  nested,
  TLS_KEYS,
} from "../_options_check.ts";
import type { ClientOptions } from "../options.ts";

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

export const SENTINEL_KEYS = {
  name: true,
  nodes: true,
  username: true,
  password: true,
  tls: true,
  role: true,
} satisfies KnownKeys<SentinelOptions>;

/** Sentinel options, checked, with the nodes parsed. */
export interface ResolvedSentinel {
  readonly name: string;
  readonly nodes: readonly { host: string; port: number }[];
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly tls: TlsOptions | undefined;
  readonly role: "master" | "replica";
}

export function resolveSentinel(
  sentinel: SentinelOptions,
  options: ClientOptions,
): ResolvedSentinel {
  if (typeof sentinel !== "object" || sentinel === null) {
    throw new TypeError(
      "Cannot create the client as sentinel must be an object",
    );
  }
  checkKeys(sentinel, SENTINEL_KEYS, "create the client", "sentinel");
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
  nested(sentinel.tls, "sentinel.tls", TLS_KEYS, "create the client", true);
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
