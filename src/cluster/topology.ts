/**
 * The cluster's shape as a node reports it: `CLUSTER SHARDS` (Redis 7+) or
 * `CLUSTER SLOTS` (older servers) parsed into shards, each with its slot
 * ranges, its primary and its replicas; and the slot map built from it.
 *
 * @module
 */

import type { RespValue } from "../resp/decode.ts";
import { SLOTS } from "../router/slot.ts";

/** A node as the cluster announces it. */
export interface NodeInfo {
  /** The host it announces (its IP, or its endpoint when it has no IP). */
  readonly host: string;
  /** The port it announces (its TLS port when the client uses TLS). */
  readonly port: number;
  /** Whether it serves the shard's slots or replicates them. */
  readonly role: "primary" | "replica";
  /** False when the cluster marks it failed. */
  readonly healthy: boolean;
}

/** One shard: slot ranges served by a primary, with its replicas. */
export interface ShardInfo {
  /** Ranges as flat pairs: start, end (inclusive), start, end... */
  readonly ranges: readonly number[];
  readonly primary: NodeInfo;
  readonly replicas: readonly NodeInfo[];
}

/** What one node said of the cluster. */
export interface Topology {
  readonly shards: readonly ShardInfo[];
  /**
   * The slot ranges and their primaries as one string: two answers that
   * agree on who serves what have the same signature.
   */
  readonly signature: string;
}

/** A map or a flat RESP2 key-value array, read as a map. */
function fields(value: RespValue): Map<string, RespValue> {
  if (value instanceof Map) return value as Map<string, RespValue>;
  const map = new Map<string, RespValue>();
  if (Array.isArray(value)) {
    for (let i = 0; i + 1 < value.length; i += 2) {
      map.set(String(value[i]), value[i + 1]);
    }
  }
  return map;
}

function text(value: RespValue | undefined): string {
  return value === undefined || value === null ? "" : String(value);
}

function sign(shards: ShardInfo[]): string {
  const parts: string[] = [];
  for (const shard of shards) {
    const { host, port } = shard.primary;
    for (let i = 0; i < shard.ranges.length; i += 2) {
      parts.push(`${shard.ranges[i]}-${shard.ranges[i + 1]}@${host}:${port}`);
    }
  }
  return parts.sort().join(",");
}

/**
 * Parses a `CLUSTER SHARDS` reply.
 *
 * @param reply The reply, RESP2 or RESP3.
 * @param tls Whether to dial the nodes' TLS ports.
 * @param askedHost The host of the node asked, for nodes announcing none.
 * @returns The topology; shards without slots or a primary are left out.
 */
export function parseShards(
  reply: RespValue,
  tls: boolean,
  askedHost: string,
): Topology {
  if (!Array.isArray(reply)) {
    throw new TypeError("CLUSTER SHARDS did not answer with an array");
  }
  const shards: ShardInfo[] = [];
  for (const entry of reply) {
    const shard = fields(entry);
    const slots = shard.get("slots");
    const ranges = Array.isArray(slots) ? slots.map(Number) : [];
    let primary: NodeInfo | undefined;
    const replicas: NodeInfo[] = [];
    const nodes = shard.get("nodes");
    for (const item of Array.isArray(nodes) ? nodes : []) {
      const node = fields(item);
      const port = Number(node.get(tls ? "tls-port" : "port") ?? NaN);
      const ip = text(node.get("ip"));
      const endpoint = text(node.get("endpoint"));
      const host = ip !== "" && ip !== "?"
        ? ip
        : endpoint !== "" && endpoint !== "?"
        ? endpoint
        : askedHost;
      if (!Number.isInteger(port) || port <= 0) continue;
      const role = text(node.get("role")) === "master" ? "primary" : "replica";
      // "loading" is also what a primary reports for a replica whose
      // replication offset is still 0 (a new cluster with no writes yet):
      // only "failed" rules a node out.
      const healthy = !/^fail/.test(text(node.get("health")));
      const info: NodeInfo = { host, port, role, healthy };
      if (role === "primary") primary = info;
      else replicas.push(info);
    }
    if (primary !== undefined && ranges.length >= 2) {
      shards.push({ ranges, primary, replicas });
    }
  }
  return { shards, signature: sign(shards) };
}

/**
 * Parses a `CLUSTER SLOTS` reply (servers before Redis 7).
 *
 * @param reply The reply.
 * @param askedHost The host of the node asked, for nodes announcing none.
 * @returns The topology, one shard per primary.
 */
export function parseSlots(reply: RespValue, askedHost: string): Topology {
  if (!Array.isArray(reply)) {
    throw new TypeError("CLUSTER SLOTS did not answer with an array");
  }
  const byPrimary = new Map<string, ShardInfo & { ranges: number[] }>();
  for (const entry of reply) {
    if (!Array.isArray(entry) || entry.length < 3) continue;
    const [start, end, ...nodes] = entry;
    const infos: NodeInfo[] = [];
    for (const node of nodes) {
      if (!Array.isArray(node) || node.length < 2) continue;
      const ip = text(node[0]);
      infos.push({
        host: ip === "" || ip === "?" ? askedHost : ip,
        port: Number(node[1]),
        role: infos.length === 0 ? "primary" : "replica",
        healthy: true,
      });
    }
    if (infos.length === 0) continue;
    const key = `${infos[0].host}:${infos[0].port}`;
    let shard = byPrimary.get(key);
    if (shard === undefined) {
      shard = { ranges: [], primary: infos[0], replicas: infos.slice(1) };
      byPrimary.set(key, shard);
    }
    shard.ranges.push(Number(start), Number(end));
  }
  const shards = [...byPrimary.values()];
  return { shards, signature: sign(shards) };
}

/**
 * For each slot, the index of the shard serving it, or -1.
 *
 * @param topology The topology.
 * @returns One entry per slot.
 */
export function slotOwners(topology: Topology): Int16Array {
  const owners = new Int16Array(SLOTS).fill(-1);
  topology.shards.forEach((shard, index) => {
    for (let i = 0; i + 1 < shard.ranges.length; i += 2) {
      const end = Math.min(shard.ranges[i + 1], SLOTS - 1);
      for (let slot = Math.max(0, shard.ranges[i]); slot <= end; slot++) {
        owners[slot] = index;
      }
    }
  });
  return owners;
}

/** What moved in a refresh: a range of slots and its old and new primary. */
export interface SlotMove {
  /** The first slot of the range. */
  readonly from: number;
  /** The last slot of the range (inclusive). */
  readonly to: number;
  /** The primary that served it, if any. */
  readonly was: string | undefined;
  /** The primary that serves it now, if any. */
  readonly now: string | undefined;
}

/** The `detail` of a `topology` event. */
export interface TopologyChange {
  /** The slot ranges whose primary changed. */
  readonly moved: readonly SlotMove[];
  /** Every primary and its replicas, after the change. */
  readonly shards: readonly { primary: string; replicas: string[] }[];
}

/** The ranges whose primary changed between two slot maps. */
export function moves(
  before: readonly ({ primary: { address: string } } | undefined)[],
  after: readonly ({ primary: { address: string } } | undefined)[],
): SlotMove[] {
  const result: SlotMove[] = [];
  let open: { from: number; was?: string; now?: string } | undefined;
  for (let slot = 0; slot <= SLOTS; slot++) {
    const was = slot < SLOTS ? before[slot]?.primary.address : undefined;
    const now = slot < SLOTS ? after[slot]?.primary.address : undefined;
    const differs = slot < SLOTS && was !== now;
    if (
      open !== undefined &&
      (!differs || open.was !== was || open.now !== now)
    ) {
      result.push({
        from: open.from,
        to: slot - 1,
        was: open.was,
        now: open.now,
      });
      open = undefined;
    }
    if (differs && open === undefined) open = { from: slot, was, now };
  }
  return result;
}
