/**
 * One node's pool: what a client for one server, a Sentinel client and a
 * cluster (one per node) all put in front of a server. The router above it
 * decides which node's pool a command goes to.
 *
 * @module
 */

import { Connection } from "../connection/connection.ts";
import type { ResolvedOptions } from "../options.ts";
import { exponentialBackoff, type RetryPolicy } from "../policy/retry.ts";
import { Pool, type PoolEmitter } from "../pool/pool.ts";
import type { LeaseFactory } from "../pool/types.ts";
import { autoTransport } from "../transport/detect.ts";

/** The reconnect policy when none is given: 100 ms doubling up to 5 s. */
export function reconnectPolicy(options: ResolvedOptions): RetryPolicy {
  return options.reconnect ??
    exponentialBackoff({ base: 100, cap: 5_000, attempts: Infinity });
}

/**
 * The address a node's pool names in messages and events: `host:port`, or
 * the unix socket path.
 *
 * @param options The node's resolved options.
 * @returns The address.
 */
export function nodeAddress(options: ResolvedOptions): string {
  if (options.sentinel !== undefined) {
    return `the master "${options.sentinel.name}"`;
  }
  return options.path ?? `${options.host}:${options.port}`;
}

/**
 * Makes the pool of one node: its connections, leases and events.
 *
 * @param options The node's resolved options (host, port, auth, pool).
 * @param emit Receives the pool's events.
 * @param makeLease Makes what `acquire()` hands out.
 * @param where Where each new connection goes, when that can change (the
 * master a Sentinel client follows); by default the options' host and port.
 * @returns The pool; it opens no connection until one is needed.
 */
export function createNodePool<L extends object>(
  options: ResolvedOptions,
  emit: PoolEmitter,
  makeLease: LeaseFactory<L>,
  where?: () => { host: string; port: number },
): Pool<Connection, L> {
  const transport = options.transport ?? autoTransport;
  return new Pool<Connection, L>(
    {
      ...options.pool,
      maxQueued: options.maxQueued,
      commandTimeout: options.commandTimeout,
      connectTimeout: options.connectTimeout,
      db: options.db,
      name: options.name,
      retry: options.retry ?? exponentialBackoff(),
      reconnect: reconnectPolicy(options),
    },
    where === undefined
      ? (events) => new Connection(options, transport, events)
      : (events) =>
        new Connection({ ...options, ...where() }, transport, events),
    makeLease,
    emit,
    nodeAddress(options),
  );
}
