/**
 * The core client: `send()`, `run()` for commands built by the families a
 * program imports, pipelines, leases, stats and events over the same pool
 * as the full client, without the typed methods and the features a Worker
 * rarely needs (Sentinel, client-side caching, tracing, key prefixes,
 * subscriptions).
 *
 * @module
 */

import type { CommandOptions, Connection } from "../connection/connection.ts";
import { type Command, sendOptions } from "../commands/_command.ts";
import type { RespValue } from "../resp/decode.ts";
import {
  type CoreClientOptions,
  resolveCoreOptions,
  type ResolvedOptions,
} from "../options.ts";
import type { AcquireOptions, Pool, PoolStats } from "../pool/pool.ts";
import { openNodePool } from "../router/node_pool.ts";
import { type EventListenerOf, Events } from "../_events.ts";
import type { ClientEventMap } from "../client_types.ts";
import { BATCH, RUN, SHARED } from "../_executor.ts";
import { batchRefusal, runGuarded } from "./_guarded.ts";
import { CoreCommands } from "./commands.ts";
import { CoreLease } from "./lease.ts";

/**
 * The `detail` of each event the core client emits: those of the full
 * client but `failover` (the core has no Sentinel).
 */
export type CoreClientEventMap = Omit<ClientEventMap, "failover">;

/**
 * A Redis/Valkey client with the full client's pool, leases, pipelines,
 * timeouts, retries and leak detection, and no typed methods: `send()`
 * takes any command, `run()` a command built by one of the command
 * families the program imports (`strings`, `hashes`, ...), so that a
 * bundler keeps only those. Create one with {@linkcode createClient}.
 *
 * Commands are multiplexed over the pool's connections; a command that
 * changes connection state (SELECT, WATCH, MULTI, ...) is refused there
 * and belongs on a lease from `acquire()`; a blocking command (BLPOP, XREAD
 * BLOCK, ...) runs on a lease of its own.
 *
 * @example Per request, in a Worker
 * ```ts ignore
 * import { createClient, strings } from "@respool/redis/core";
 *
 * export default {
 *   async fetch(_request: Request, env: { REDIS_URL: string }) {
 *     await using redis = createClient(env.REDIS_URL);
 *     const hits = await redis.run(strings.incr("hits"));
 *     return Response.json({ hits });
 *   },
 * };
 * ```
 */
export class CoreClient extends CoreCommands {
  readonly #events = new Events<CoreClientEventMap>();
  readonly #pool: Pool<Connection, CoreLease>;
  readonly #acquireTimeout: number;
  #closing: Promise<void> | undefined;

  /**
   * Constructs a client; nothing touches the network until the first
   * command or {@linkcode CoreClient.connect}. Prefer
   * {@linkcode createClient}.
   *
   * @param options Resolved options.
   */
  constructor(options: ResolvedOptions) {
    super();
    this.#acquireTimeout = options.pool.acquireTimeout;
    this.#pool = openNodePool<CoreLease>(
      options,
      (type, detail) =>
        this.#events.emit(type as keyof CoreClientEventMap, detail as never),
      (owner, slot) => new CoreLease(owner, slot),
    );
  }

  /**
   * Commands go over the shared, multiplexed connections.
   *
   * @ignore
   */
  override get [SHARED](): boolean {
    return true;
  }

  /**
   * Runs one built command on the shared connections (a blocking one on a
   * lease of its own).
   *
   * @ignore
   */
  override [RUN]<T>(
    command: Command<T>,
    options?: CommandOptions,
  ): Promise<T> {
    return runGuarded(
      this,
      this.#acquireTimeout,
      command,
      options,
      this.#send,
    );
  }

  readonly #send = <T>(
    command: Command<T>,
    options?: CommandOptions,
  ): Promise<T> =>
    this.#pool.run(
      command.args,
      command.map,
      sendOptions(command, options),
    );

  /**
   * Sends built commands as one unit on one shared connection.
   *
   * @ignore
   */
  override [BATCH](
    commands: readonly Command<unknown>[],
    options?: CommandOptions,
  ): Promise<RespValue[]> {
    const refused = batchRefusal(options);
    if (refused !== undefined) return Promise.reject(refused);
    return this.#pool.runBatch(commands, options);
  }

  /**
   * Opens a connection (or `pool.min` connections) now instead of at the
   * first command, so configuration errors surface here.
   *
   * @returns Once a connection is ready.
   * @throws {ConnectionError} When the server cannot be reached.
   * @throws {ReplyError} When the server refuses the handshake.
   */
  connect(): Promise<void> {
    return this.#pool.warm();
  }

  /**
   * Borrows an exclusive connection for stateful work. Release it with
   * `await using`, `release()` or `destroy()`; a lease dropped without
   * release is reported as a `leak` event and its connection reclaimed.
   *
   * @example A lease for a database of its own
   * ```ts ignore
   * {
   *   await using conn = await redis.acquire({ timeout: 1_000 });
   *   await conn.send(["SELECT", 2]);
   *   await conn.run(strings.set("k", "in db 2"));
   * } // released (and reset to the configured db) here
   * ```
   *
   * @param options A timeout (default `pool.acquireTimeout`) and a signal.
   * @returns The lease.
   * @throws {PoolTimeoutError} When no connection became free in time.
   * @throws {ClosedError} When the client is closed.
   */
  acquire(options?: AcquireOptions): Promise<CoreLease> {
    return this.#pool.acquire(options);
  }

  /**
   * Whether a lease dropped without release is detected: `false` where the
   * runtime has no `FinalizationRegistry` (Cloudflare Workers with a
   * compatibility date before 2025-05-05) or with
   * `pool.leakDetection: false`.
   */
  get leakTracking(): boolean {
    return this.#pool.leakTracking;
  }

  /**
   * A snapshot of the pool: sizes, waiters, in-flight commands and
   * counters.
   *
   * @returns The stats.
   */
  stats(): PoolStats {
    return this.#pool.stats();
  }

  /**
   * Closes gracefully: waits (up to `timeout`) for leases to be released
   * and replies in flight to arrive, then closes every connection.
   *
   * @param timeout How long to wait, in milliseconds.
   * @returns Once everything is closed.
   */
  close(timeout = 5_000): Promise<void> {
    this.#closing ??= this.#pool.close(timeout).then(() => {
      this.#events.emit("close", {});
    });
    return this.#closing;
  }

  /** Closes at once: commands in flight and waiters reject. */
  destroy(): void {
    this.#pool.destroy();
  }

  /**
   * Closes; called by `await using`.
   *
   * @returns Once closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Listens for an event.
   *
   * @param type The event.
   * @param listener Called with a `CustomEvent` whose `detail` describes it.
   * @param options As for `EventTarget.addEventListener`.
   */
  addEventListener<K extends keyof CoreClientEventMap & string>(
    type: K,
    listener: EventListenerOf<CoreClientEventMap, K>,
    options?: AddEventListenerOptions,
  ): void {
    this.#events.add(type, listener, options);
  }

  /**
   * Stops listening for an event.
   *
   * @param type The event.
   * @param listener The listener passed to `addEventListener`.
   */
  removeEventListener<K extends keyof CoreClientEventMap & string>(
    type: K,
    listener: EventListenerOf<CoreClientEventMap, K>,
  ): void {
    this.#events.remove(type, listener);
  }
}

/**
 * Creates a core client. Nothing touches the network until the first
 * command.
 *
 * @example Creating a client from a URL and options
 * ```ts
 * import { createClient } from "@respool/redis/core";
 *
 * const redis = createClient("redis://127.0.0.1:6379/0", {
 *   pool: { max: 4, acquireTimeout: 2_000 },
 *   commandTimeout: 5_000,
 * });
 * await redis.close();
 * ```
 *
 * @param url A `redis://`, `rediss://` or `unix://` URL, or the options.
 * @param options Options; they win over what the URL says.
 * @returns The client.
 * @throws {TypeError} When the URL or an option has the wrong type, or an
 * option is one only the full client serves (`sentinel`, `cache`,
 * `keyPrefix`, `tracer`: import `createClient` from `@respool/redis` for
 * those).
 * @throws {RangeError} When an option is out of range.
 */
export function createClient(
  url?: string | CoreClientOptions,
  options?: CoreClientOptions,
): CoreClient {
  if (typeof url === "object" && url !== null) {
    return new CoreClient(resolveCoreOptions(undefined, url));
  }
  return new CoreClient(resolveCoreOptions(url, options));
}
