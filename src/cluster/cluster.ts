/**
 * The cluster client: every command of {@linkcode Client}, routed by hash
 * slot over one pool per node; leases, transactions and subscriptions on
 * the node of their slot; a slot map refreshed without storms.
 *
 * @module
 */

import { ClientBase, EMIT, SUBSCRIBE } from "../_client_base.ts";
import { runOptimistic } from "../batch/optimistic.ts";
import type {
  Transaction,
  TransactionOptions,
  TransactionResults,
} from "../batch/transaction.ts";
import type { ScanOptions } from "../commands/scan.ts";
import { scan as scanKeys } from "../commands/scan.ts";
import { ClusterError, ReplyError } from "../errors.ts";
import type { Subscription } from "../pubsub/subscription.ts";
import type { SubscriptionKind, SubscriptionOptions } from "../pubsub/types.ts";
import { clusterSubscribe } from "./_subscribe.ts";
import type { CommandArg } from "../resp/encode.ts";
import { reconnectPolicy } from "../router/node_pool.ts";
import { keySlot } from "../router/slot.ts";
import { key as checkKey } from "../commands/_command.ts";
import { parseRedirect } from "./_combine.ts";
import { ClusterLease, NodeCommands } from "./_lease.ts";
import { Routing } from "./_routed.ts";
import type { Command } from "../commands/_command.ts";
import type { CommandOptions } from "../connection/connection.ts";
import type { RespValue } from "../resp/decode.ts";
import { BATCH, PREFIX, RUN, SHARED } from "../redis_commands.ts";
import { Router } from "./_router.ts";
import { Tracing } from "../tracing/_spans.ts";
import { noteNode } from "../tracing/_attributes.ts";
import type { KeyPrefix } from "../_prefix.ts";
import { ClientCache, type Send } from "../cache/cache.ts";
import {
  type ClusterOptions,
  resolveClusterOptions,
  type ResolvedClusterOptions,
} from "./options.ts";

import type {
  ClusterAcquireOptions,
  ClusterEventListener,
  ClusterEventMap,
  ClusterStats,
} from "./types.ts";

export type {
  ClusterAcquireOptions,
  ClusterEventListener,
  ClusterEventMap,
  ClusterStats,
};
export type { SlotMove, TopologyChange } from "./topology.ts";
export { ClusterLease };

/**
 * A Redis Cluster client: each command goes to the node serving its keys'
 * slot; pipelines are split by node; MGET, MSET, DEL, UNLINK, EXISTS and
 * TOUCH are split by slot. Create one with {@linkcode createCluster}.
 *
 * @example Commands, a pipeline and a lease
 * ```ts ignore
 * import { createCluster } from "@respool/redis";
 *
 * await using cluster = createCluster(["redis://127.0.0.1:7000"]);
 * await cluster.set("user:1", "a");
 * const [a, b] = await cluster.mget("user:1", "user:2");
 * {
 *   await using conn = await cluster.acquire({ key: "{user:1}:cart" });
 *   await conn.send(["WATCH", "{user:1}:cart"]);
 * }
 * ```
 */
export class Cluster extends ClientBase<ClusterEventMap> {
  readonly #router: Router<ClusterLease>;
  readonly #routing: Routing;
  readonly #options: ResolvedClusterOptions;
  readonly #subscriptions = new Set<{ close(): Promise<void> }>();
  readonly #cache: ClientCache | undefined;
  readonly #prefix: KeyPrefix | undefined;
  readonly #tracing: Tracing | undefined;
  readonly #send: Send;
  #closing: Promise<void> | undefined;

  /**
   * Constructs a cluster client; nothing touches the network until the
   * first command. Prefer {@linkcode createCluster}.
   *
   * @param options Resolved options.
   */
  constructor(options: ResolvedClusterOptions) {
    super();
    this.#options = options;
    // One cache for every node: a key lives on one node at a time, and each
    // node's connections track what they read. MGET's missing keys are
    // fetched with one MGET per slot.
    const cache = this.#cache = options.node.cache &&
      new ClientCache(options.node.cache, keySlot);
    const prefix = this.#prefix = options.node.keyPrefix;
    const tracer = options.node.tracer;
    const tracing = this.#tracing = tracer && new Tracing(tracer, 0);
    this.#router = new Router<ClusterLease>({
      options,
      emit: (type, detail) => this[EMIT](type, detail),
      makeLease: (owner, slot) =>
        new ClusterLease(
          owner,
          slot,
          cache,
          prefix,
          tracing?.on(slot.connection),
        ),
      tracker: cache,
    });
    this.#routing = new Routing(this.#router, {
      commandTimeout: options.node.commandTimeout,
      acquireTimeout: options.node.pool.acquireTimeout,
      maxRedirections: options.maxRedirections,
      readFrom: options.readFrom,
    });
    this.#send = (command, o) => this.#routing.run(command, o);
  }

  /** Cluster commands go over shared, multiplexed connections. */
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

  /** A key as the server names it: with the `keyPrefix`. */
  #key(key: CommandArg): CommandArg {
    return this.#prefix === undefined ? key : this.#prefix.add(key);
  }

  /**
   * Runs one built command on the node serving its keys' slot; splits
   * MGET, MSET, DEL, UNLINK, EXISTS and TOUCH by slot; sends keyless
   * commands with an all-shards policy to every primary.
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
    if (this.#prefix !== undefined) {
      try {
        command = this.#prefix.command(command);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.#cache === undefined
      ? this.#routing.run(command, options)
      : this.#cache.run(command, options, this.#send);
  }

  /**
   * Sends a pipeline split by node, or a transaction on its slot's node.
   *
   * @param commands The commands, in order.
   * @param options A timeout and a signal.
   * @returns The raw replies, in the caller's order.
   */
  override [BATCH](
    commands: readonly Command<unknown>[],
    options?: CommandOptions,
  ): Promise<RespValue[]> {
    if (this.#tracing?.untraced(options)) {
      return this.#tracing.batch(this, commands, options);
    }
    if (this.#prefix !== undefined) {
      try {
        commands = this.#prefix.batch(commands);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.#cache === undefined
      ? this.#routing.batch(commands, options)
      : this.#cache.batch(commands, () =>
        this.#routing.batch(commands, options));
  }

  /**
   * Loads the slot map now instead of at the first command, so that
   * unreachable seeds surface here.
   *
   * @returns Once the slot map is loaded.
   * @throws {ConnectionError} When no seed answered.
   */
  connect(): Promise<void> {
    return this.#router.whenReady();
  }

  /**
   * Refreshes the slot map now (joining a refresh in flight).
   *
   * @returns Once the refresh is done.
   */
  refreshSlots(): Promise<void> {
    return this.#router.refresh();
  }

  /**
   * The addresses of the primaries in the slot map, as dialled.
   *
   * @returns The addresses; empty before the map is loaded.
   */
  primaries(): string[] {
    return this.#router.primaries().map((node) => node.address);
  }

  /**
   * The address of the primary serving a key's slot.
   *
   * @param key The key.
   * @returns `host:port` as dialled, after loading the map if needed.
   */
  async nodeFor(key: CommandArg): Promise<string> {
    await this.#router.whenReady();
    const slot = keySlot(this.#key(checkKey("key", key)));
    const node = this.#router.primary(slot);
    if (node === undefined) {
      throw new ClusterError(`Cannot find a node for slot ${slot}`, slot);
    }
    return node.address;
  }

  /**
   * Borrows an exclusive connection to the primary serving `key`'s slot,
   * for WATCH/MULTI, blocking commands or connection state. Commands on it
   * for keys of other slots get the server's MOVED error.
   *
   * @param options `key` (required), and a timeout and signal.
   * @returns The lease.
   * @throws {TypeError} When no key is given.
   */
  async acquire(options: ClusterAcquireOptions): Promise<ClusterLease> {
    if (this.#tracing?.untraced(options)) {
      return this.#tracing.acquire((o) => this.acquire(o), options);
    }
    if (
      typeof options !== "object" || options === null ||
      options.key === undefined
    ) {
      throw new TypeError(
        "Cannot acquire a connection on a cluster without a key: pass { key } to lease the connection to the node serving its slot",
      );
    }
    const slot = keySlot(this.#key(checkKey("key", options.key)));
    const router = this.#router;
    await router.whenReady();
    for (let attempt = 0;; attempt++) {
      let node = router.primary(slot);
      if (node === undefined) {
        await router.refresh();
        node = router.primary(slot);
      }
      if (node === undefined) {
        throw new ClusterError(
          `Cannot acquire a connection as no node serves slot ${slot}`,
          slot,
        );
      }
      try {
        noteNode(options, node.address);
        return await router.pool(node).acquire(options);
      } catch (error) {
        // The node left the map while we waited: wait on the new owner.
        if (!router.isRetired(error) || attempt >= 3) throw error;
      }
    }
  }

  /**
   * Runs an optimistic-locking transaction on a lease of the node serving
   * the `watch` keys' slot (they must share one): WATCH, `fn`, EXEC, and
   * again while a watched key changed. Keys queued in the transaction must
   * be in that slot too; others are refused before MULTI is sent.
   *
   * @param fn Reads through the lease and returns `lease.multi()...`.
   * @param options `watch` (required: it picks the node), `retries`, and
   * the timeout and signal for acquiring the lease.
   * @returns The results, or `null` when a watched key changed every time.
   * @throws {TypeError} Without `watch` keys, or with keys in several slots.
   */
  async transaction<R extends unknown[]>(
    fn: (lease: ClusterLease) => Transaction<R> | Promise<Transaction<R>>,
    options: TransactionOptions,
  ): Promise<TransactionResults<R> | null> {
    const watch = options?.watch;
    if (!Array.isArray(watch) || watch.length === 0) {
      throw new TypeError(
        "Cannot run the transaction on a cluster without watch keys: they pick the node (for a plain MULTI use cluster.multi())",
      );
    }
    const slots = [
      ...new Set(
        watch.map((k, i) => keySlot(this.#key(checkKey(`watch[${i}]`, k)))),
      ),
    ];
    if (slots.length > 1) {
      throw new TypeError(
        `Cannot run the transaction as its watch keys are in slots ${
          slots.join(", ")
        }: put them in one slot with a {hash tag}`,
      );
    }
    for (let redirections = 0;; redirections++) {
      try {
        return await runOptimistic(
          (o) => this.acquire({ ...o, key: watch[0] }),
          fn,
          options,
        );
      } catch (error) {
        // MOVED to WATCH or a read: nothing ran; go to the new owner.
        const target = error instanceof ReplyError &&
          error.prefix === "MOVED" && parseRedirect(error);
        if (!target || redirections >= this.#options.maxRedirections) {
          throw error;
        }
        this.#router.moved(target.slot, target.address);
      }
    }
  }

  /**
   * Iterates over the keys of every primary with SCAN, primary by primary.
   * As with a single server, a key may come twice (a rehash between pages,
   * or its slot moving during the scan); nothing is remembered across
   * pages. With `keyPrefix`, only the prefixed keys, without the prefix.
   *
   * @param options `match` a pattern, `count` per page, `type` of key.
   * @returns An async generator of key names.
   */
  override async *scan(
    options?: ScanOptions,
  ): AsyncGenerator<string, void, undefined> {
    await this.#router.whenReady();
    for (const node of this.#router.primaries()) {
      yield* scanKeys(
        new NodeCommands(this.#router.pool(node)),
        options,
        this.#prefix,
      );
    }
  }

  /**
   * Opens a subscription: cluster-wide channels and patterns on one node,
   * shard channels on their slot's primary.
   *
   * @ignore
   */
  override [SUBSCRIBE](
    kind: SubscriptionKind,
    args: (string | SubscriptionOptions)[],
  ): Promise<Subscription<string>> {
    return clusterSubscribe(this.#router, kind, args, {
      reconnect: reconnectPolicy(this.#options.node),
      maxRedirections: this.#options.maxRedirections,
      subscriptions: this.#subscriptions,
    });
  }

  /**
   * Whether a lease dropped without release is detected (see
   * `Client.leakTracking`).
   */
  get leakTracking(): boolean {
    return typeof FinalizationRegistry === "function";
  }

  /**
   * The sums over every node's pool, each node's stats, and the cluster's
   * own counters.
   *
   * @returns The stats.
   */
  stats(): ClusterStats {
    const { totals, nodes } = this.#router.stats();
    return {
      ...totals,
      nodes,
      topologyQueries: this.#router.queries,
      redirections: this.#router.redirections,
      ...(this.#cache && { cache: this.#cache.stats }),
    };
  }

  /**
   * Closes gracefully: subscriptions end, then every node's pool closes
   * (waiting up to `timeout` for leases and replies).
   *
   * @param timeout How long to wait, in milliseconds.
   * @returns Once everything is closed.
   */
  close(timeout = 5_000): Promise<void> {
    this.#closing ??= (async () => {
      this.#cache?.answerWaiting();
      await Promise.all([...this.#subscriptions].map((sub) => sub.close()));
      this.#subscriptions.clear();
      await this.#router.close(timeout);
      this.#cache?.close();
      this[EMIT]("close", {});
    })();
    return this.#closing;
  }

  /** Closes at once: commands in flight and waiters reject. */
  destroy(): void {
    for (const subscription of this.#subscriptions) subscription.close();
    this.#subscriptions.clear();
    this.#router.destroy();
    this.#cache?.close();
  }
}

/**
 * Creates a Redis Cluster client from seed nodes; the others are
 * discovered. Nothing touches the network until the first command.
 *
 * @example Creating a cluster client
 * ```ts
 * import { createCluster } from "@respool/redis";
 *
 * const cluster = createCluster(["redis://127.0.0.1:7000", "redis://127.0.0.1:7001"], {
 *   readFrom: "replica",
 *   commandTimeout: 2_000,
 * });
 * await cluster.close();
 * ```
 *
 * @param seeds `redis://`/`rediss://` URLs or `host:port` of some nodes.
 * @param options Every client option (for each node's pool), plus
 * `readFrom`, `addressMap`, `maxRedirections` and `refresh`.
 * @returns The cluster client.
 * @throws {TypeError} When a seed or option has the wrong type.
 * @throws {RangeError} When an option is out of range.
 */
export function createCluster(
  seeds: string | readonly string[],
  options?: ClusterOptions,
): Cluster {
  return new Cluster(resolveClusterOptions(seeds, options));
}
