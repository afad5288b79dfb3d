/**
 * One load run of one variant of the service: a cold cache, the service on
 * a fresh HTTP server, the load, then everything closed.
 *
 * @module
 */

import { createClient } from "../mod.ts";
import { type LoadProgress, type LoadResult, runLoad } from "./load.ts";
import { serve } from "./runtime.ts";
import { createService, prepareUsers, type Variant } from "./service.ts";

/** Options of {@linkcode runVariant}. */
export interface VariantRunOptions {
  /** The Redis server. */
  url: string;
  /** How each request gets its connection. */
  variant: Variant;
  /** `pool.max` of the shared client (`pooled`, `leased`). */
  poolMax: number;
  /** How many requests to send. */
  requests: number;
  /** How many requests are in flight at once. */
  concurrency: number;
  /** Cap on the run, in milliseconds. */
  durationMs: number;
  /** Requests ask for users `1..users`. */
  users: number;
  /**
   * The row's name in the results.
   *
   * @default {the variant}
   */
  label?: string;
  /** Called every 100 ms while the load runs. */
  onProgress?: (progress: LoadProgress) => void;
}

/**
 * Gives every user a session and a cold cache, serves the variant and
 * sends it the load.
 *
 * @example Measuring the pooled variant
 * ```ts ignore
 * const result = await runVariant({
 *   url, variant: "pooled", poolMax: 10, requests: 1000, concurrency: 50,
 *   durationMs: 10_000, users: 1000,
 * });
 * ```
 *
 * @param options What to run.
 * @returns The measurements.
 */
export async function runVariant(
  options: VariantRunOptions,
): Promise<LoadResult> {
  // One connection, opened before the counters are first read, so the
  // run's INFO polling neither opens connections nor counts as one.
  await using monitor = createClient(options.url, {
    name: "respool-demo-monitor",
    pool: { max: 1 },
  });
  await prepareUsers(monitor, options.users);
  await using service = createService({
    url: options.url,
    variant: options.variant,
    poolMax: options.poolMax,
  });
  await using server = await serve(service.handle);
  return await runLoad({
    label: options.label ?? options.variant,
    baseUrl: server.url,
    requests: options.requests,
    concurrency: options.concurrency,
    durationMs: options.durationMs,
    users: options.users,
    monitor,
    onProgress: options.onProgress,
  });
}
