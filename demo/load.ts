/**
 * The load generator: N requests at concurrency C against the service,
 * with latency percentiles and what the Redis server saw meanwhile
 * (connections accepted and the peak of connected clients; for a cluster,
 * summed over its nodes).
 *
 * @module
 */

import type { Client } from "../mod.ts";

/** Options of {@linkcode runLoad}. */
export interface LoadOptions {
  /** What the results are called in the table, e.g. `"pooled"`. */
  label: string;
  /** The service, e.g. `http://127.0.0.1:8000`. */
  baseUrl: string;
  /** How many requests to send. */
  requests: number;
  /** How many requests are in flight at once. */
  concurrency: number;
  /** Stop sending after this long even if requests remain, in milliseconds. */
  durationMs: number;
  /** Requests ask for users `1..users`, in the same pseudo-random order each run. */
  users: number;
  /**
   * A client of the service's Redis server, used to read INFO; for a
   * cluster, one client per node, whose counters are summed.
   */
  monitor: Client | readonly Client[];
  /** Called every 100 ms while the load runs. */
  onProgress?: (progress: LoadProgress) => void;
  /**
   * How often `connected_clients` is sampled, in milliseconds.
   *
   * @default {20}
   */
  sampleEveryMs?: number;
}

/** How far a load run has come. */
export interface LoadProgress {
  /** The run's name. */
  label: string;
  /** Requests finished so far. */
  done: number;
  /** Requests failed so far. */
  errors: number;
  /** Requests the run will send at most. */
  requests: number;
  /** Time since the run started, in milliseconds. */
  elapsedMs: number;
}

/** The outcome of a load run. */
export interface LoadResult {
  /** The run's name. */
  label: string;
  /** Requests answered (with any status) or failed. */
  requests: number;
  /** Requests that failed or were not answered with 200. */
  errors: number;
  /** How long the run took, in milliseconds. */
  elapsedMs: number;
  /** Requests finished per second. */
  requestsPerSecond: number;
  /** Median latency, in milliseconds. */
  p50Ms: number;
  /** 95th percentile latency, in milliseconds. */
  p95Ms: number;
  /** 99th percentile latency, in milliseconds. */
  p99Ms: number;
  /** `total_connections_received` after minus before. */
  connectionsAccepted: number;
  /** Peak `connected_clients` minus the clients connected before the run. */
  peakConnected: number;
}

/**
 * Sends the requests and measures.
 *
 * @example A short run
 * ```ts ignore
 * const result = await runLoad({
 *   label: "pooled", baseUrl: server.url, requests: 200, concurrency: 10,
 *   durationMs: 10_000, users: 100, monitor: admin,
 * });
 * console.log(result.requestsPerSecond, result.p99Ms);
 * ```
 *
 * @param options What to send and where.
 * @returns The measurements.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { requests, concurrency, users } = options;
  const monitors = Array.isArray(options.monitor)
    ? options.monitor as readonly Client[]
    : [options.monitor as Client];
  const latencies = new Float64Array(requests);
  const nextUser = userSequence(users);
  let started = 0;
  let done = 0;
  let errors = 0;

  const before = await serverCounters(monitors);
  const sampler = sampleConnected(monitors, options.sampleEveryMs ?? 20);
  const t0 = performance.now();
  const deadline = t0 + options.durationMs;
  const progress = () =>
    options.onProgress?.({
      label: options.label,
      done,
      errors,
      requests,
      elapsedMs: performance.now() - t0,
    });
  const ticker = setInterval(progress, 100);

  const worker = async () => {
    while (started < requests && performance.now() < deadline) {
      const url = `${options.baseUrl}/api/data?user=${nextUser(started++)}`;
      const sent = performance.now();
      try {
        const response = await fetch(url);
        await response.arrayBuffer();
        if (response.status !== 200) errors++;
      } catch {
        errors++;
      }
      latencies[done++] = performance.now() - sent;
    }
  };
  try {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, requests) }, worker),
    );
  } finally {
    clearInterval(ticker);
  }
  const elapsedMs = performance.now() - t0;
  progress();
  const peak = await sampler.stop();
  const after = await serverCounters(monitors);

  const sorted = latencies.subarray(0, done).sort();
  return {
    label: options.label,
    requests: done,
    errors,
    elapsedMs,
    requestsPerSecond: done / (elapsedMs / 1000),
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    connectionsAccepted: after.received - before.received,
    peakConnected: Math.max(0, peak - before.connected),
  };
}

/** The nearest-rank percentile of sorted values (0 when there are none). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** The same pseudo-random users in the same order each run (mulberry32). */
function userSequence(users: number): (index: number) => number {
  const order: number[] = [];
  let seed = 0x5eed;
  return (index) => {
    while (order.length <= index) {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      const random = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      order.push(1 + Math.floor(random * users));
    }
    return order[index];
  };
}

/** The servers' counters, summed over the monitors' servers. */
async function serverCounters(monitors: readonly Client[]) {
  const infos = await Promise.all(
    monitors.map((monitor) => monitor.info("stats", "clients")),
  );
  return {
    received: sum(
      infos.map((i) => Number(i.stats?.total_connections_received)),
    ),
    connected: sum(infos.map((i) => Number(i.clients?.connected_clients))),
  };
}

/**
 * Polls `connected_clients` (summed over the servers) until stopped;
 * resolves to the peak seen.
 */
function sampleConnected(monitors: readonly Client[], everyMs: number) {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const infos = await Promise.all(
        monitors.map((monitor) => monitor.info("clients")),
      );
      peak = Math.max(
        peak,
        sum(infos.map((info) => Number(info.clients?.connected_clients))),
      );
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    async stop(): Promise<number> {
      running = false;
      await loop;
      return peak;
    },
  };
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
