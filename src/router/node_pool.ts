/**
 * One node's pool: what a client for one server, a Sentinel client and a
 * cluster (one per node) all put in front of a server. The router above it
 * decides which node's pool a command goes to.
 *
 * @module
 */

import type { Tracker } from "../cache/cache.ts";
import {
  Connection,
  type ConnectionEvents,
  type ConnectionSettings,
} from "../connection/connection.ts";
import type { ResolvedOptions } from "../options.ts";
import { exponentialBackoff, type RetryPolicy } from "../policy/retry.ts";
import { Pool, type PoolEmitter } from "../pool/pool.ts";
import type { LeaseFactory } from "../pool/types.ts";
import { autoTransport } from "../transport/detect.ts";
import { Tracing } from "../tracing/_spans.ts";

/** How long a tracking connection may stay silent before it is PINGed. */
const PROBE_INTERVAL = 5_000;

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
 * @param extras `where` each new connection goes, when that can change
 * (the master a Sentinel client follows; by default the options' host and
 * port), and the client-side cache's `tracker`: each connection turns on
 * key tracking, and its invalidations and its loss go to the tracker.
 * @returns The pool; it opens no connection until one is needed.
 */
export function createNodePool<L extends object>(
  options: ResolvedOptions,
  emit: PoolEmitter,
  makeLease: LeaseFactory<L>,
  extras: {
    readonly where?: () => { host: string; port: number };
    readonly tracker?: Tracker;
  } = {},
): Pool<Connection, L> {
  const { where, tracker } = extras;
  const transport = options.transport ?? autoTransport;
  const settings = (): ConnectionSettings => {
    const base = where === undefined ? options : { ...options, ...where() };
    return tracker === undefined ? base : { ...base, tracking: true };
  };
  const open = tracker === undefined
    ? (events: ConnectionEvents) =>
      new Connection(settings(), transport, events)
    : (events: ConnectionEvents) => {
      // The tracker hears of invalidations before subscriptions do, and of
      // a lost connection before the pool moves its commands elsewhere.
      const connection: Connection = new Connection(settings(), transport, {
        ...events,
        push: (message) =>
          tracker.push(connection, message) || events.push?.(message),
        close: (closed, error) => {
          tracker.lost(closed);
          events.close?.(closed, error);
        },
      });
      return connection;
    };
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
      // With tracking, a silent connection would leave its cached replies
      // stale: idle shared connections are PINGed so a dead one is found.
      probeInterval: tracker === undefined ? 0 : PROBE_INTERVAL,
    },
    options.tracer === undefined
      ? open
      : new Tracing(options.tracer, options.db).connections(open),
    makeLease,
    emit,
    nodeAddress(options),
  );
}
