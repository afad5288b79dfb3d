/**
 * The article's pool monitor: prints `stats()` every second and warns when
 * leases hold more than 80% of what they may take (`pool.maxLeases`).
 *
 * @module
 */

import type { Client, PoolStats } from "../mod.ts";

/** Options of {@linkcode startMonitor}. */
export interface MonitorOptions {
  /**
   * How many connections leases may hold (`pool.maxLeases`, by default
   * `pool.max - 1`), to tell how full the pool is.
   */
  max: number;
  /**
   * How often to print, in milliseconds.
   *
   * @default {1000}
   */
  intervalMs?: number;
  /**
   * Warn when more than this share of `max` is leased.
   *
   * @default {0.8}
   */
  warnAbove?: number;
  /**
   * Where lines go.
   *
   * @default {console.log}
   */
  log?: (line: string) => void;
}

/** A running monitor; stop it (or leave its `using` scope) when done. */
export interface Monitor extends Disposable {
  /** Prints one line now, as each tick does. */
  sample(): void;
  /** How many warnings it printed. */
  readonly warnings: number;
  /** Stops printing. */
  stop(): void;
}

/**
 * Prints the pool's stats now and every `intervalMs`, with a warning above
 * `warnAbove` leased.
 *
 * @example Watching a client's pool
 * ```ts ignore
 * using monitor = startMonitor(redis, { max: 10 });
 * ```
 *
 * @param client The client to watch.
 * @param options How often and how full.
 * @returns The monitor.
 */
export function startMonitor(client: Client, options: MonitorOptions): Monitor {
  const log = options.log ?? console.log;
  const warnAbove = options.warnAbove ?? 0.8;
  let warnings = 0;
  const sample = () => {
    const stats = client.stats();
    log(`  monitor  ${formatStats(stats, options.max)}`);
    const share = stats.leased / options.max;
    if (share > warnAbove) {
      warnings++;
      log(
        `  monitor  WARNING: ${stats.leased}/${options.max} connections leased ` +
          `(${Math.round(share * 100)}%, above ${
            Math.round(warnAbove * 100)
          }%): acquire() will queue and time out`,
      );
    }
  };
  sample();
  const timer = setInterval(sample, options.intervalMs ?? 1_000);
  const stop = () => clearInterval(timer);
  return {
    sample,
    get warnings() {
      return warnings;
    },
    stop,
    [Symbol.dispose]: stop,
  };
}

/**
 * One line of pool stats.
 *
 * @param stats A `stats()` snapshot.
 * @param max How many connections leases may hold.
 * @returns The line.
 */
export function formatStats(stats: PoolStats, max: number): string {
  const percent = Math.round((stats.leased / max) * 100);
  return `leased ${stats.leased}/${max} (${percent}%)  idle ${stats.idle}  ` +
    `total ${stats.total}  waiting ${stats.waiting}  leaks ${stats.leaks}  ` +
    `created ${stats.created}  destroyed ${stats.destroyed}`;
}
