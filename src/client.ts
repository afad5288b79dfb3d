/**
 * The client: typed commands multiplexed over a bounded pool, leases for
 * stateful work, stats and events.
 *
 * @module
 */

import type { CommandOptions, Connection } from "./connection/connection.ts";
import {
  type ClientOptions,
  type ResolvedOptions,
  resolveOptions,
} from "./options.ts";
import type { RetryPolicy } from "./policy/retry.ts";
import { Subscription } from "./pubsub/subscription.ts";
import {
  subscribeArgs,
  type SubscriptionKind,
  type SubscriptionOptions,
} from "./pubsub/types.ts";
import { createNodePool, reconnectPolicy } from "./router/node_pool.ts";
import { followerFor, type MasterFollower } from "./sentinel/follower.ts";
import { type Command, sendOptions } from "./commands/_command.ts";
import type { RespValue } from "./resp/decode.ts";
import type { AcquireOptions, Pool } from "./pool/pool.ts";
import { Lease } from "./lease.ts";
import { BATCH, PREFIX, RUN, SHARED } from "./_executor.ts";
import type { KeyPrefix } from "./_prefix.ts";
import { batchRefusal, runGuarded } from "./core/_guarded.ts";
import { clientTracing, type Tracing } from "./tracing/_spans.ts";
import { ClientBase, EMIT, SUBSCRIBE } from "./_client_base.ts";
import { ClientCache, type Send } from "./cache/cache.ts";
import type {
  ClientEventListener,
  ClientEventMap,
  ClientStats,
} from "./client_types.ts";

export type { ClientEventListener, ClientEventMap, ClientStats };
import type {
  Transaction,
  TransactionOptions,
  TransactionResults,
} from "./batch/transaction.ts";
import { runOptimistic } from "./batch/optimistic.ts";

/**
 * A Redis/Valkey client: commands are multiplexed over a bounded pool of
 * connections (many in flight per connection, those issued in one tick sent
 * in one write); `acquire()` lends an exclusive connection for stateful
 * work. Create one with {@linkcode createClient}.
 *
 * @example Commands, a lease and events
 * ```ts ignore
 * import { createClient } from "@respool/redis";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * redis.addEventListener("leak", (e) => console.warn(e.detail.stack));
 * await redis.set("greeting", "hello", { ex: 60 });
 * console.log(await redis.get("greeting"));
 * {
 *   await using conn = await redis.acquire({ timeout: 1_000 });
 *   await conn.send(["SELECT", 2]);
 * } // released (and reset to db 0) here
 * ```
 */
export class Client extends ClientBase<ClientEventMap> {
  readonly #options: ResolvedOptions;
  readonly #pool: Pool<Connection, Lease>;
  readonly #follower: MasterFollower | undefined;
  readonly #reconnectPolicy: RetryPolicy;
  /** Made by the first subscribe: most clients never subscribe. */
  #subscriptions: Set<{ close(): Promise<void> }> | undefined;
  readonly #cache: ClientCache | undefined;
  readonly #prefix: KeyPrefix | undefined;
  readonly #tracing: Tracing | undefined;
  #closing: Promise<void> | undefined;

  /**
   * Constructs a client; nothing touches the network until the first
   * command or {@linkcode Client.connect}. Prefer {@linkcode createClient}.
   *
   * @param options Resolved options.
   */
  constructor(options: ResolvedOptions) {
    super();
    this.#options = options;
    this.#reconnectPolicy = reconnectPolicy(options);
    const cache = this.#cache = options.cache && new ClientCache(options.cache);
    const prefix = this.#prefix = options.keyPrefix;
    const follower = this.#follower = followerFor(options, {
      pool: () => this.#pool,
      emit: (type, detail) => {
        // The old node's connections close once their replies are in; what
        // they read is not trusted a moment longer.
        if (type === "failover") cache?.changed(null);
        return this.#emit(type, detail);
      },
    });
    const tracing = this.#tracing = clientTracing(options, follower);
    this.#pool = createNodePool<Lease>(
      options,
      (type, detail) => {
        // A lost or failed connection: maybe a failover; ask again.
        if (type === "error" || type === "reconnecting") follower?.lost();
        return this.#emit(type, detail);
      },
      (owner, slot) =>
        new Lease(owner, slot, cache, prefix, tracing?.on(slot.connection)),
      { where: follower && (() => follower.address), tracker: cache },
    );
  }

  /** Commands go over the shared, multiplexed connections. */
  override get [SHARED](): boolean {
    return true;
  }

  /** The `keyPrefix`, if one is set.
   *
   * @ignore
   */
  override get [PREFIX](): KeyPrefix | undefined {
    return this.#prefix;
  }

  /**
   * Runs one built command: multiplexed on the shared connections, or, when
   * it blocks, on a lease of its own. Commands that change connection state
   * are refused.
   *
   * @param command The command and its reply mapper.
   * @param options Per-call options.
   * @returns The mapped reply.
   */
  override [RUN]<T>(
    command: Command<T>,
    options?: CommandOptions,
  ): Promise<T> {
    if (this.#tracing?.untraced(options)) {
      return this.#tracing.command(this, command, options);
    }
    return runGuarded(
      this,
      this.#options.pool.acquireTimeout,
      command,
      options,
      this.#pass,
    );
  }

  /** A command the guard let through: under the prefix, past the cache. */
  readonly #pass: Send = (command, options) => {
    if (this.#prefix !== undefined) {
      try {
        command = this.#prefix.command(command);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    if (this.#cache !== undefined) {
      return this.#cache.run(command, options, this.#send);
    }
    return this.#send(command, options);
  };

  /** Sends a command on the shared connections (past the cache). */
  readonly #send: Send = (command, options) => {
    const o = sendOptions(command, options);
    const follower = this.#follower;
    const args = command.args;
    if (follower !== undefined) {
      return follower.run(() => this.#pool.run(args, command.map, o));
    }
    return this.#pool.run(args, command.map, o);
  };

  /**
   * Sends built commands as one unit on one shared connection.
   *
   * @param commands The commands, in order.
   * @param options A timeout and a signal for the whole unit.
   * @returns The raw replies in order.
   */
  override [BATCH](
    commands: readonly Command<unknown>[],
    options?: CommandOptions,
  ): Promise<RespValue[]> {
    if (this.#tracing?.untraced(options)) {
      return this.#tracing.batch(this, commands, options);
    }
    const refused = batchRefusal(options);
    if (refused !== undefined) return Promise.reject(refused);
    if (this.#prefix !== undefined) {
      try {
        commands = this.#prefix.batch(commands);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const follower = this.#follower;
    const send = follower === undefined
      ? () => this.#pool.runBatch(commands, options)
      : () => follower.run(() => this.#pool.runBatch(commands, options));
    return this.#cache === undefined
      ? send()
      : this.#cache.batch(commands, send);
  }

  /**
   * Opens a connection (or `pool.min` connections) now instead of at the
   * first command, so configuration errors surface here.
   *
   * @returns Once a connection is ready.
   * @throws {ConnectionError} When the server cannot be reached.
   * @throws {ReplyError} When the server refuses the handshake.
   */
  async connect(): Promise<void> {
    await this.#follower?.ready();
    await this.#pool.warm();
  }

  /**
   * Borrows an exclusive connection for stateful work. Release it with
   * `await using`, `release()` or `destroy()`; a lease dropped without
   * release is reported as a `leak` event and its connection reclaimed.
   *
   * @example Leasing for a transaction
   * ```ts ignore
   * await using conn = await redis.acquire({ timeout: 1_000 });
   * await conn.send(["MULTI"]);
   * await conn.send(["INCR", "n"]);
   * await conn.send(["EXEC"]);
   * ```
   *
   * @param options A timeout (default `pool.acquireTimeout`) and a signal.
   * @returns The lease.
   * @throws {PoolTimeoutError} When no connection became free in time.
   * @throws {ClosedError} When the client is closed.
   */
  acquire(options?: AcquireOptions): Promise<Lease> {
    if (this.#tracing?.untraced(options)) {
      return this.#tracing.acquire((o) => this.acquire(o), options);
    }
    const follower = this.#follower;
    if (follower !== undefined) {
      return follower.ready().then(() => this.#pool.acquire(options));
    }
    return this.#pool.acquire(options);
  }

  /**
   * Opens a subscription on a lease of its own.
   *
   * @ignore
   */
  override async [SUBSCRIBE](
    kind: SubscriptionKind,
    args: (string | SubscriptionOptions)[],
  ): Promise<Subscription<string>> {
    const { names, options } = subscribeArgs(kind, args);
    const pool = this.#pool;
    const subscriptions = this.#subscriptions ??= new Set();
    const follower = this.#follower;
    const subscription: Subscription<string> = new Subscription<string>({
      acquire: follower === undefined
        ? (o) => pool.acquire(o)
        : (o) => follower.ready().then(() => pool.acquire(o)),
      reconnect: this.#reconnectPolicy,
      get closed() {
        return pool.closed;
      },
      ended: () => subscriptions.delete(subscription),
    }, options);
    subscriptions.add(subscription);
    return await subscription.open(kind, names);
  }

  /**
   * Runs an optimistic-locking transaction on a lease of its own: WATCHes
   * the `watch` keys, calls `fn` (which reads through the lease and returns
   * a transaction built with `lease.multi()`), and executes it. When a
   * watched key changed before EXEC, it runs `fn` again, up to `retries`
   * times. The lease is released in every case, also when `fn` throws.
   *
   * @example Incrementing a counter by read-modify-write
   * ```ts ignore
   * const replies = await redis.transaction(async (lease) => {
   *   const n = Number(await lease.get("counter"));
   *   return lease.multi().set("counter", n + 1);
   * }, { watch: ["counter"] });
   * if (replies === null) console.log("too much contention, gave up");
   * ```
   *
   * @param fn Reads through the lease and returns the transaction to run;
   * it may run several times, so it must not have other side effects.
   * @param options The keys to WATCH, the number of retries (default 5),
   * and the timeout and signal for acquiring the lease.
   * @returns The transaction's results, or `null` when a watched key
   * changed on every attempt.
   * @throws {TypeError} When `fn` does not return a transaction built with
   * `lease.multi()` on the lease it was given, or an option has the wrong
   * type.
   * @throws {RangeError} When `retries` is negative.
   * @throws {PoolTimeoutError} When no connection became free in time.
   * @throws {ReplyError} When the server refused the transaction
   * (EXECABORT).
   */
  transaction<R extends unknown[]>(
    fn: (lease: Lease) => Transaction<R> | Promise<Transaction<R>>,
    options?: TransactionOptions,
  ): Promise<TransactionResults<R> | null> {
    return runOptimistic((o) => this.acquire(o), fn, options);
  }

  /**
   * Whether a lease dropped without release is detected: reported with a
   * `leak` event and its connection reclaimed. `false` where the runtime has
   * no `FinalizationRegistry` (Cloudflare Workers with a compatibility date
   * before 2025-05-05): leases work as usual there, but one never released
   * keeps its connection until the client closes.
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
  stats(): ClientStats {
    const stats: ClientStats = this.#pool.stats();
    if (this.#follower !== undefined) stats.master = this.#follower.current;
    if (this.#cache !== undefined) stats.cache = this.#cache.stats;
    return stats;
  }

  /**
   * Closes gracefully: waits (up to `timeout`) for leases to be released
   * and replies in flight to arrive, then closes every connection.
   *
   * @param timeout How long to wait, in milliseconds.
   * @returns Once everything is closed.
   */
  close(timeout = 5_000): Promise<void> {
    this.#closing ??= (async () => {
      this.#cache?.answerWaiting();
      // Subscriptions would hold their leases until the timeout: end them.
      const subscriptions = [...this.#subscriptions ?? []];
      await Promise.all(subscriptions.map((sub) => sub.close()));
      this.#subscriptions?.clear();
      await Promise.all([this.#pool.close(timeout), this.#follower?.close()]);
      this.#cache?.close();
      this.#emit("close", {});
    })();
    return this.#closing;
  }

  /** Closes at once: commands in flight and waiters reject. */
  destroy(): void {
    for (const subscription of this.#subscriptions ?? []) {
      subscription.close();
    }
    this.#subscriptions?.clear();
    this.#pool.destroy();
    this.#follower?.destroy();
    this.#cache?.close();
  }

  #emit(type: string, detail: unknown): boolean {
    return this[EMIT](type, detail);
  }
}

/**
 * Creates a client. Nothing touches the network until the first command.
 *
 * @example Creating a client from a URL and options
 * ```ts
 * import { createClient } from "@respool/redis";
 *
 * const redis = createClient("redis://127.0.0.1:6379/0", {
 *   pool: { max: 10, acquireTimeout: 5_000 },
 *   commandTimeout: 10_000,
 * });
 * await redis.close();
 * ```
 *
 * @param url A `redis://`, `rediss://` or `unix://` URL, or the options.
 * @param options Options; they win over what the URL says.
 * @returns The client.
 * @throws {TypeError} When the URL or an option has the wrong type.
 * @throws {RangeError} When an option is out of range.
 */
export function createClient(
  url?: string | ClientOptions,
  options?: ClientOptions,
): Client {
  if (typeof url === "object" && url !== null) {
    return new Client(resolveOptions(undefined, url));
  }
  return new Client(resolveOptions(url, options));
}
