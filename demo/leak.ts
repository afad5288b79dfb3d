/**
 * The leak act: requests hit a handler that acquires a lease and never
 * releases it. The monitor warns as the pool fills up; a forced garbage
 * collection makes the pool report each leak with the stack of its
 * `acquire()` and reclaim the slot.
 *
 * @module
 */

import { cwd } from "node:process";
import type { PoolStats } from "../mod.ts";
import { formatStats, startMonitor } from "./monitor.ts";
import { forceGc, gcMethod, serve } from "./runtime.ts";
import { createService } from "./service.ts";

/** Options of {@linkcode runLeakAct}. */
export interface LeakActOptions {
  /** The Redis server. */
  url: string;
  /**
   * How many requests hit the leaky handler.
   *
   * @default {5}
   */
  leaks?: number;
  /**
   * `pool.max` of the service's client: leases may take all but one of its
   * connections (`pool.maxLeases`), the last is kept for plain commands.
   *
   * @default {6}
   */
  poolMax?: number;
  /**
   * How often the monitor prints, in milliseconds.
   *
   * @default {1000}
   */
  monitorEveryMs?: number;
  /**
   * Where lines go.
   *
   * @default {console.log}
   */
  log?: (line: string) => void;
}

/** What the leak act saw. */
export interface LeakActResult {
  /** Requests sent to the leaky handler. */
  leaked: number;
  /** The `leak` events the client emitted. */
  events: { stack: string; heldMs: number }[];
  /** Stats after the leaks, before the collection. */
  before: PoolStats;
  /** Stats after the collection. */
  after: PoolStats;
  /** How long a fresh `acquire()` took afterwards, in milliseconds. */
  reacquireMs: number;
  /** How many warnings the monitor printed. */
  warnings: number;
  /** How GC was forced, or `undefined` when it could not be. */
  gc: string | undefined;
}

/**
 * Runs the leak act against a Redis server.
 *
 * @example Running the act quietly
 * ```ts ignore
 * const result = await runLeakAct({ url, log: () => {} });
 * console.log(result.events.length, result.after.leased);
 * ```
 *
 * @param options Which server, how many leaks.
 * @returns What happened.
 */
export async function runLeakAct(
  options: LeakActOptions,
): Promise<LeakActResult> {
  const log = options.log ?? console.log;
  const leaks = options.leaks ?? 5;
  const poolMax = options.poolMax ?? 6;
  // What leases may hold: the pool keeps one connection for plain commands.
  const max = Math.max(1, poolMax - 1);
  const monitorEveryMs = options.monitorEveryMs ?? 1_000;
  await using service = createService({
    url: options.url,
    variant: "pooled",
    poolMax,
  });
  const client = service.client!;
  const events: LeakActResult["events"] = [];
  client.addEventListener("leak", (event) => events.push(event.detail));
  await using server = await serve(service.handle);
  // Start from a collected heap, so that no collection of the runtime's own
  // comes between the leaks and the moment the demo shows them.
  await forceGc();
  using monitor = startMonitor(client, {
    max,
    intervalMs: monitorEveryMs,
    log,
  });

  log(`  GET /api/leaky?user=1..${leaks}: the handler acquires a lease and`);
  log("  never releases it (no `await using`)");
  const statuses = await Promise.all(
    Array.from({ length: leaks }, async (_, i) => {
      const response = await fetch(`${server.url}/api/leaky?user=${i + 1}`);
      await response.arrayBuffer();
      return response.status;
    }),
  );
  log(`  responses: ${statuses.join(" ")}; the leases stay taken`);
  monitor.sample();

  const before = client.stats();
  log(`  stats before GC:  ${formatStats(before, max)}`);
  if (before.leaks > 0) {
    log(`  (the runtime's own GC already collected ${before.leaks} of them)`);
  }
  if (gcMethod === undefined) {
    log(
      "  cannot force GC here: run Deno with --v8-flags=--expose-gc (Node: --expose-gc)",
    );
  } else {
    log(`  forcing garbage collection with ${gcMethod}`);
    const deadline = Date.now() + 5_000;
    while (events.length < leaks && Date.now() < deadline) {
      await forceGc();
      await sleep(20);
    }
  }
  if (events.length > 0) {
    const first = events[0];
    log(
      `  leak event x${events.length}: a lease garbage-collected without release ` +
        `after ${first.heldMs} ms, acquired at:`,
    );
    for (const frame of acquireFrames(first.stack)) log(`      ${frame}`);
  }
  const after = client.stats();
  log(`  stats after GC:   ${formatStats(after, max)}`);

  const started = performance.now();
  {
    await using conn = await client.acquire({ timeout: 1_000 }).catch(() => {
      log(`  acquire() timed out: the leaked slots were not reclaimed`);
      return undefined;
    });
    await conn?.ping();
  }
  const reacquireMs = performance.now() - started;
  if (after.leased === 0 && after.leaks >= leaks) {
    log(
      `  the pool reclaimed all ${leaks} slots: acquire() got a connection in ${
        reacquireMs.toFixed(1)
      } ms`,
    );
  }
  // Let the monitor's own once-a-second tick show the recovered pool.
  await sleep(monitorEveryMs);
  // Leaks left unreclaimed would make a graceful close wait for them.
  if (after.leased > 0) client.destroy();
  return {
    leaked: leaks,
    events,
    before,
    after,
    reacquireMs,
    warnings: monitor.warnings,
    gc: gcMethod,
  };
}

/** The stack's frames, with paths relative to the working directory. */
function acquireFrames(stack: string, count = 6): string[] {
  const base = `file://${cwd()}/`;
  return stack.split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("at ") && !line.includes("ext:"))
    .slice(0, count)
    .map((line) => line.replaceAll(base, "").replaceAll(`${cwd()}/`, ""));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
