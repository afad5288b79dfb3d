/**
 * The cluster's router: one pool per node (opened when first used, closed
 * when the node leaves the map), the slot map, and its refresh: single
 * flight, rate-limited with jitter, asking a few nodes and taking the
 * answer most of them agree on.
 *
 * @module
 */

import type { Connection } from "../connection/connection.ts";
import { ClosedError, ConnectionError, ReplyError } from "../errors.ts";
import type { ResolvedOptions } from "../options.ts";
import type { Pool, PoolStats } from "../pool/pool.ts";
import type { LeaseFactory } from "../pool/types.ts";
import type { RespValue } from "../resp/decode.ts";
import { createNodePool } from "../router/node_pool.ts";
import type { Tracker } from "../cache/cache.ts";
import { SLOTS } from "../router/slot.ts";
import type { ResolvedClusterOptions } from "./options.ts";
import {
  moves,
  type NodeInfo,
  parseShards,
  parseSlots,
  slotOwners,
  type Topology,
  type TopologyChange,
} from "./topology.ts";

export type { SlotMove, TopologyChange } from "./topology.ts";

/** One node: its dialled address and, once used, its pool. */
export interface ClusterNode<L extends object = object> {
  /** `host:port` as dialled (after the address map). */
  readonly address: string;
  readonly options: ResolvedOptions;
  role: "primary" | "replica";
  pool: Pool<Connection, L> | undefined;
  /** Its last connection attempt failed or its connection was lost. */
  failing: boolean;
}

interface Shard<L extends object> {
  primary: ClusterNode<L>;
  replicas: ClusterNode<L>[];
  next: number;
}

/** What the router needs from the cluster. */
export interface RouterHost<L extends object> {
  readonly options: ResolvedClusterOptions;
  emit(type: string, detail: unknown): void;
  readonly makeLease: LeaseFactory<L>;
  /** The client-side cache, when on: every node's connections track. */
  readonly tracker?: Tracker;
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** The slot map and the nodes' pools. */
export class Router<L extends object> {
  readonly #host: RouterHost<L>;
  readonly #options: ResolvedClusterOptions;
  readonly #nodes = new Map<string, ClusterNode<L>>();
  readonly #retired = new WeakSet<Error>();
  #owners: (Shard<L> | undefined)[] = new Array(SLOTS);
  /** The map as the last refresh left it (MOVED patches a copy). */
  #refreshed = this.#owners;
  #shards: Shard<L>[] = [];
  #signature: string | undefined;
  #refreshing: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #periodic: ReturnType<typeof setTimeout> | undefined;
  #lastRefresh = -Infinity;
  #slotsOnly = false;
  #closed = false;
  #lastError: Error | undefined;
  /** Topology queries sent (CLUSTER SHARDS or SLOTS). */
  queries = 0;
  /** MOVED and ASK replies followed. */
  redirections = 0;

  constructor(host: RouterHost<L>) {
    this.#host = host;
    this.#options = host.options;
  }

  /** Whether a slot map was ever loaded. */
  get ready(): boolean {
    return this.#signature !== undefined;
  }

  /** Whether the router was closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Loads the slot map when none was loaded yet.
   *
   * @throws {ConnectionError} When no node could be asked.
   */
  whenReady(): Promise<void> {
    if (this.#signature !== undefined) return Promise.resolve();
    if (this.#closed) {
      return Promise.reject(
        new ClosedError("Cannot run the command as the cluster was closed"),
      );
    }
    return this.#refreshing ?? this.refresh();
  }

  /** The node with an address (dialled form), made when unknown. */
  node(address: string): ClusterNode<L> {
    let node = this.#nodes.get(address);
    if (node === undefined) {
      const colon = address.lastIndexOf(":");
      const host = address.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
      const port = Number(address.slice(colon + 1));
      node = {
        address,
        options: {
          ...this.#options.node,
          host,
          port,
          readOnly: this.#options.readFrom !== "primary",
        },
        role: "primary",
        pool: undefined,
        failing: false,
      };
      this.#nodes.set(address, node);
    }
    return node;
  }

  /** A node's pool, opened on first use. */
  pool(node: ClusterNode<L>): Pool<Connection, L> {
    if (node.pool !== undefined) return node.pool;
    const { address } = node;
    const host = this.#host;
    node.pool = createNodePool<L>(
      node.options,
      (type, detail) => {
        if (type === "ready") node.failing = false;
        else if (type === "error" || type === "reconnecting") {
          node.failing = true;
          this.requestRefresh();
        }
        host.emit(type, { ...(detail as object), node: address });
        return true;
      },
      host.makeLease,
      host,
    );
    return node.pool;
  }

  /** The primary serving a slot. */
  primary(slot: number): ClusterNode<L> | undefined {
    return this.#owners[slot]?.primary;
  }

  /** Where a read of a slot goes: a live replica, else the primary. */
  reader(slot: number): ClusterNode<L> | undefined {
    const shard = this.#owners[slot];
    if (shard === undefined) return undefined;
    const replicas = shard.replicas;
    for (let i = 0; i < replicas.length; i++) {
      const replica = replicas[shard.next++ % replicas.length];
      if (!replica.failing) return replica;
    }
    return shard.primary;
  }

  /** A primary for a keyless command: a live one at random. */
  anyPrimary(): ClusterNode<L> | undefined {
    const live = this.#shards.filter((s) => !s.primary.failing);
    const from = live.length > 0 ? live : this.#shards;
    return from[Math.floor(Math.random() * from.length)]?.primary;
  }

  /** Every primary, once each. */
  primaries(): ClusterNode<L>[] {
    return [...new Set(this.#shards.map((s) => s.primary))];
  }

  /** Every primary and every replica the map lists as healthy. */
  allNodes(): ClusterNode<L>[] {
    return [
      ...new Set(this.#shards.flatMap((s) => [s.primary, ...s.replicas])),
    ];
  }

  /** Every node with a pool, for stats. */
  pooled(): ClusterNode<L>[] {
    return [...this.#nodes.values()].filter((n) => n.pool !== undefined);
  }

  /**
   * Marks a node as failing (a command to it timed out) and asks for a
   * refresh: while a primary is failing the map is asked again every
   * `minInterval`, so a failover is seen even when the hung node still
   * accepts connections.
   */
  suspect(node: ClusterNode<L>): void {
    node.failing = true;
    this.requestRefresh();
  }

  /** Whether an error is the refusal of a node that left the map. */
  isRetired(error: unknown): boolean {
    return error instanceof Error && this.#retired.has(error);
  }

  /**
   * Records a MOVED reply: the slot is served by `address` now. Schedules
   * a refresh (rate-limited) to learn what else moved.
   */
  moved(slot: number, announced: string): ClusterNode<L> {
    const node = this.node(this.#options.addressMap(announced));
    let shard = this.#shards.find((s) => s.primary === node);
    if (shard === undefined) {
      shard = { primary: node, replicas: [], next: 0 };
      this.#shards.push(shard);
    }
    if (this.#owners === this.#refreshed) this.#owners = this.#owners.slice();
    this.#owners[slot] = shard;
    this.redirections++;
    this.requestRefresh();
    return node;
  }

  /** The node an ASK reply names. */
  asked(announced: string): ClusterNode<L> {
    this.redirections++;
    return this.node(this.#options.addressMap(announced));
  }

  /**
   * Asks for a refresh: it runs at once when none ran within
   * `minInterval`, else once that interval (plus jitter) has passed. Any
   * number of requests meanwhile share that one refresh.
   */
  requestRefresh(): void {
    if (this.#closed || this.#refreshing || this.#timer !== undefined) return;
    const wait = this.#lastRefresh + this.#options.minInterval - Date.now();
    if (wait <= 0) {
      this.refresh().catch(() => {});
      return;
    }
    const jitter = Math.random() * 0.2 * this.#options.minInterval;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.refresh().catch(() => {});
    }, wait + jitter);
  }

  /**
   * Refreshes the slot map now, or joins the refresh in flight.
   *
   * @throws {ConnectionError} When no node answered.
   */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
      this.#schedule();
    });
    return this.#refreshing;
  }

  #schedule(): void {
    if (this.#closed) return;
    // A primary still failing after the refresh: the cluster has not failed
    // over yet, so look again soon.
    if (this.#shards.some((s) => s.primary.failing)) this.requestRefresh();
    clearTimeout(this.#periodic);
    this.#periodic = this.#options.interval === Infinity
      ? undefined
      : setTimeout(() => {
        this.#periodic = undefined;
        this.requestRefresh();
      }, this.#options.interval);
  }

  async #refresh(): Promise<void> {
    this.#lastRefresh = Date.now();
    const known = [...this.#nodes.values()].filter((n) => !n.failing);
    shuffle(known);
    const seeds = this.#options.seeds.map((s) =>
      this.node(`${s.host}:${s.port}`)
    );
    const tried: string[] = [];
    // Healthy known nodes first, then the seeds, then the rest.
    const order = [
      ...new Set([...known, ...shuffle(seeds), ...this.#nodes.values()]),
    ];
    let topology: Topology | undefined;
    for (let i = 0; i < order.length && topology === undefined;) {
      const batch = order.slice(i, i + this.#options.refreshNodes);
      i += batch.length;
      tried.push(...batch.map((n) => n.address));
      topology = await this.#poll(batch);
      if (this.#closed) return;
    }
    if (topology === undefined) {
      const error = new ConnectionError(
        `Cannot load the cluster's slot map as no node answered (tried ${
          tried.join(", ")
        })${this.#lastError ? `: ${this.#lastError.message}` : ""}`,
        { cause: this.#lastError },
      );
      throw error;
    }
    this.#apply(topology);
  }

  /** Asks `nodes` at once; the answer a majority gives, or the commonest. */
  #poll(nodes: ClusterNode<L>[]): Promise<Topology | undefined> {
    return new Promise((resolve) => {
      const votes = new Map<string, { topology: Topology; count: number }>();
      let settled = 0;
      let done = false;
      const finish = () => {
        let best: { topology: Topology; count: number } | undefined;
        for (const vote of votes.values()) {
          if (best === undefined || vote.count > best.count) best = vote;
        }
        done = true;
        resolve(best?.topology);
      };
      for (const node of nodes) {
        this.#ask(node).then((topology) => {
          if (done) return;
          const vote = votes.get(topology.signature) ??
            { topology, count: 0 };
          vote.count++;
          votes.set(topology.signature, vote);
          if (vote.count * 2 > nodes.length) finish();
        }, (error: Error) => {
          this.#lastError = error;
        }).finally(() => {
          if (++settled === nodes.length && !done) finish();
        });
      }
    });
  }

  async #ask(node: ClusterNode<L>): Promise<Topology> {
    const pool = this.pool(node);
    const options = { timeout: this.#options.node.connectTimeout };
    const host = node.options.host;
    const tls = node.options.tls !== undefined;
    if (!this.#slotsOnly) {
      this.queries++;
      let reply: RespValue;
      try {
        reply = await pool.run(
          ["CLUSTER", "SHARDS"],
          undefined,
          options,
        ) as RespValue;
        const topology = parseShards(reply, tls, host);
        if (topology.shards.length > 0 || !Array.isArray(reply)) {
          return topology;
        }
      } catch (error) {
        if (
          !(error instanceof ReplyError) ||
          !/unknown (sub)?command/i.test(error.message)
        ) throw error;
        this.#slotsOnly = true;
      }
    }
    this.queries++;
    const reply = await pool.run(
      ["CLUSTER", "SLOTS"],
      undefined,
      options,
    ) as RespValue;
    return parseSlots(reply, host);
  }

  #apply(topology: Topology): void {
    const map = this.#options.addressMap;
    const nodeOf = (info: NodeInfo, role: "primary" | "replica") => {
      const node = this.node(map(`${info.host}:${info.port}`));
      node.role = role;
      return node;
    };
    const shards: Shard<L>[] = topology.shards.map((s) => ({
      primary: nodeOf(s.primary, "primary"),
      replicas: s.replicas.filter((r) => r.healthy).map((r) =>
        nodeOf(r, "replica")
      ),
      next: 0,
    }));
    const index = slotOwners(topology);
    const owners: (Shard<L> | undefined)[] = new Array(SLOTS);
    for (let slot = 0; slot < SLOTS; slot++) {
      owners[slot] = index[slot] === -1 ? undefined : shards[index[slot]];
    }
    const before = this.#refreshed;
    const changed = this.#signature !== undefined &&
      this.#signature !== topology.signature;
    this.#owners = this.#refreshed = owners;
    this.#shards = shards;
    this.#signature = topology.signature;
    // Nodes the map no longer lists leave with their pools; what was queued
    // on them was never sent and goes where the map says now.
    const listed = new Set(shards.flatMap((s) => [s.primary, ...s.replicas]));
    for (const node of [...this.#nodes.values()]) {
      if (!listed.has(node)) this.#retire(node);
    }
    if (changed) {
      this.#host.emit(
        "topology",
        {
          moved: moves(before, owners),
          shards: shards.map((s) => ({
            primary: s.primary.address,
            replicas: s.replicas.map((r) => r.address),
          })),
        } satisfies TopologyChange,
      );
    }
  }

  #retire(node: ClusterNode<L>): void {
    this.#nodes.delete(node.address);
    const pool = node.pool;
    if (pool === undefined) return;
    const refusal = new ClosedError(
      `Cannot run the command on ${node.address} as it left the cluster's slot map`,
    );
    this.#retired.add(refusal);
    pool.close(
      this.#options.node.commandTimeout === Infinity
        ? 5_000
        : Math.min(5_000, this.#options.node.commandTimeout),
      refusal,
    );
  }

  /**
   * Sums the nodes' stats and lists each.
   *
   * @returns The totals and the stats per node, keyed by dialled address.
   */
  stats(): { totals: PoolStats; nodes: Record<string, PoolStats> } {
    const totals: PoolStats = {
      total: 0,
      idle: 0,
      leased: 0,
      waiting: 0,
      queued: 0,
      inFlight: 0,
      created: 0,
      destroyed: 0,
      leaks: 0,
      timeouts: 0,
      reconnects: 0,
      retries: 0,
    };
    const nodes: Record<string, PoolStats> = {};
    for (const node of this.pooled()) {
      const stats = node.pool!.stats();
      nodes[node.address] = stats;
      for (const key of Object.keys(totals) as (keyof PoolStats)[]) {
        totals[key] += stats[key];
      }
    }
    return { totals, nodes };
  }

  #stop(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#periodic !== undefined) clearTimeout(this.#periodic);
    this.#timer = this.#periodic = undefined;
  }

  /** Closes every pool gracefully. */
  async close(timeout: number): Promise<void> {
    this.#stop();
    await Promise.all(this.pooled().map((n) => n.pool!.close(timeout)));
  }

  /** Closes every pool at once. */
  destroy(): void {
    this.#stop();
    for (const node of this.pooled()) node.pool!.destroy();
  }
}
