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
import type { ConnectionFactory, LeaseFactory } from "../pool/types.ts";
import { autoTransport } from "../transport/detect.ts";
import { Tracing } from "../tracing/_spans.ts";

/** How long a tracking connection may stay silent before it is PINGed. */
const PROBE_INTERVAL = 5_000;

// The policies are pure functions: every client without its own shares one.
const DEFAULT_RECONNECT = exponentialBackoff({
  base: 100,
  cap: 5_000,
  attempts: Infinity,
});
const DEFAULT_RETRY = exponentialBackoff();

/** The reconnect policy when none is given: 100 ms doubling up to 5 s. */
export function reconnectPolicy(options: ResolvedOptions): RetryPolicy {
  return options.reconnect ?? DEFAULT_RECONNECT;
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

/** What a node's pool is made with beyond its options. */
export interface NodePoolExtras {
  /**
   * Where each new connection goes, when that can change (the master a
   * Sentinel client follows); by default the options' host and port.
   */
  readonly where?: () => { host: string; port: number };
  /**
   * The client-side cache's tracker: each connection turns on key
   * tracking, and its invalidations and its loss go to the tracker.
   */
  readonly tracker?: Tracker;
}

/**
 * Makes the pool of one node, with the client-side cache's tracker (see
 * {@linkcode NodePoolExtras}) and the options' `tracer` recording a span
 * per connection opened.
 *
 * @param options The node's resolved options (host, port, auth, pool).
 * @param emit Receives the pool's events.
 * @param makeLease Makes what `acquire()` hands out.
 * @param extras Where connections go and the cache's tracker.
 * @returns The pool; it opens no connection until one is needed.
 */
export function createNodePool<L extends object>(
  options: ResolvedOptions,
  emit: PoolEmitter,
  makeLease: LeaseFactory<L>,
  extras: NodePoolExtras = {},
): Pool<Connection, L> {
  const { where, tracker } = extras;
  const tracer = options.tracer;
  const tracked = tracker === undefined
    ? undefined
    : (open: ConnectionFactory<Connection>): ConnectionFactory<Connection> =>
    (
      events,
    ) => {
      // The tracker hears of invalidations before subscriptions do, and of
      // a lost connection before the pool moves its commands elsewhere.
      // Each event named: the pool's are methods of its slot, which a
      // spread would not copy.
      const connection: Connection = open({
        push: (message) =>
          tracker.push(connection, message) || events.push?.(message),
        close: (closed, error) => {
          tracker.lost(closed);
          events.close?.(closed, error);
        },
        timeout: () => events.timeout?.(),
        idle: () => events.idle(),
        retry: (command, error, applied) =>
          events.retry?.(command, error, applied) ?? false,
      });
      return connection;
    };
  const traced = tracer === undefined
    ? tracked
    : (open: ConnectionFactory<Connection>) =>
      new Tracing(tracer, options.db).connections(
        tracked === undefined ? open : tracked(open),
      );
  return openNodePool(options, emit, makeLease, {
    where,
    tracking: tracker !== undefined,
    connections: traced,
  });
}

/**
 * Makes the pool of one node: its connections, leases and events (the
 * core client's; {@linkcode createNodePool} adds the cache's tracker and
 * tracing).
 *
 * @param options The node's resolved options (host, port, auth, pool).
 * @param emit Receives the pool's events.
 * @param makeLease Makes what `acquire()` hands out.
 * @param extras `where` connections go (see {@linkcode NodePoolExtras}),
 * whether they turn on key `tracking` (and idle ones are PINGed so that a
 * dead one is found), and a wrapper of the connection factory.
 * @returns The pool; it opens no connection until one is needed.
 */
export function openNodePool<L extends object>(
  options: ResolvedOptions,
  emit: PoolEmitter,
  makeLease: LeaseFactory<L>,
  extras: {
    readonly where?: () => { host: string; port: number };
    readonly tracking?: boolean;
    readonly connections?: (
      open: ConnectionFactory<Connection>,
    ) => ConnectionFactory<Connection>;
  } = {},
): Pool<Connection, L> {
  const { where, tracking, connections } = extras;
  const transport = options.transport ?? autoTransport;
  const open: ConnectionFactory<Connection> = where === undefined && !tracking
    ? (events: ConnectionEvents) => new Connection(options, transport, events)
    : (events: ConnectionEvents) => {
      const base = where === undefined ? options : { ...options, ...where() };
      const settings: ConnectionSettings = tracking
        ? { ...base, tracking: true }
        : base;
      return new Connection(settings, transport, events);
    };
  return new Pool<Connection, L>(
    {
      ...options.pool,
      maxQueued: options.maxQueued,
      commandTimeout: options.commandTimeout,
      connectTimeout: options.connectTimeout,
      db: options.db,
      name: options.name,
      retry: options.retry ?? DEFAULT_RETRY,
      reconnect: reconnectPolicy(options),
      // With tracking, a silent connection would leave its cached replies
      // stale: idle shared connections are PINGed so a dead one is found.
      probeInterval: tracking ? PROBE_INTERVAL : 0,
    },
    connections === undefined ? open : connections(open),
    makeLease,
    emit,
    nodeAddress(options),
  );
}
