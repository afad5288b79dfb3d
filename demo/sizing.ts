/**
 * `deno task demo --sizing`: requests/s and p99 of the service for several
 * `pool.max` and concurrency values, with commands multiplexed over the
 * pool (`pooled`) and with an exclusive lease per request (`leased`). The
 * figures behind the README's "How to size a pool".
 *
 * @module
 */

import { runVariant } from "./compare.ts";
import type { LoadProgress, LoadResult } from "./load.ts";
import { formatTable } from "./report.ts";
import type { Variant } from "./service.ts";

/** Options of {@linkcode runSizing}. */
export interface SizingOptions {
  /** The Redis server. */
  url: string;
  /** Requests per cell. */
  requests: number;
  /** Cap on each cell, in milliseconds. */
  durationMs: number;
  /** Requests ask for users `1..users`. */
  users: number;
  /**
   * The `pool.max` values tried.
   *
   * @default {[1, 2, 4, 10]}
   */
  poolMaxes?: readonly number[];
  /**
   * The concurrencies tried.
   *
   * @default {[10, 50, 200]}
   */
  concurrencies?: readonly number[];
  /**
   * Runs per cell; the cell reports the run with the median requests/s.
   *
   * @default {3}
   */
  repeat?: number;
  /** Called every 100 ms while a cell runs. */
  onProgress?: (progress: LoadProgress) => void;
}

/** One measured cell of the matrix. */
export interface SizingCell {
  /** `pooled` (multiplexed) or `leased` (a lease per request). */
  variant: Variant;
  /** The client's `pool.max`. */
  poolMax: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** The median run. */
  result: LoadResult;
}

/**
 * Runs the matrix, one cell after another, after a warm-up run whose
 * results are dropped; each cell is run `repeat` times and reports its
 * median run, as a shared machine is noisy.
 *
 * @example A small matrix
 * ```ts ignore
 * const cells = await runSizing({
 *   url, requests: 1000, durationMs: 3_000, users: 1000, poolMaxes: [1, 4],
 * });
 * console.log(formatSizing(cells));
 * ```
 *
 * @param options The server and the values to try.
 * @returns The cells.
 */
export async function runSizing(options: SizingOptions): Promise<SizingCell[]> {
  const run = (variant: Variant, poolMax: number, concurrency: number) =>
    runVariant({
      url: options.url,
      variant,
      poolMax,
      concurrency,
      requests: options.requests,
      durationMs: options.durationMs,
      users: options.users,
      label: `${variant} max=${poolMax} c=${concurrency}`,
      onProgress: options.onProgress,
    });
  await run("pooled", 10, 50); // warm-up: JIT, sockets, server
  const cells: SizingCell[] = [];
  for (const variant of ["pooled", "leased"] as const) {
    for (const concurrency of options.concurrencies ?? [10, 50, 200]) {
      for (const poolMax of options.poolMaxes ?? [1, 2, 4, 10]) {
        const runs: LoadResult[] = [];
        for (let i = 0; i < (options.repeat ?? 3); i++) {
          runs.push(await run(variant, poolMax, concurrency));
        }
        runs.sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
        const result = runs[Math.floor(runs.length / 2)];
        cells.push({ variant, poolMax, concurrency, result });
      }
    }
  }
  return cells;
}

/**
 * The matrix as a table.
 *
 * @param cells The measured cells.
 * @returns The table.
 */
export function formatSizing(cells: readonly SizingCell[]): string {
  return formatTable(
    [
      "mode",
      "pool.max",
      "concurrency",
      "requests",
      "req/s",
      "p50 ms",
      "p99 ms",
      "errors",
      "conns",
    ],
    cells.map(({ variant, poolMax, concurrency, result }) => [
      variant === "pooled" ? "multiplexed" : "lease/request",
      poolMax,
      concurrency,
      result.requests,
      Math.round(result.requestsPerSecond),
      result.p50Ms.toFixed(1),
      result.p99Ms.toFixed(1),
      result.errors,
      result.connectionsAccepted,
    ]),
  );
}
