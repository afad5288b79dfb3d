/**
 * Plain-text tables of load results, as the demo prints them.
 *
 * @module
 */

import type { LoadProgress, LoadResult } from "./load.ts";

/**
 * Formats rows as a table with a header rule; numeric cells are
 * right-aligned.
 *
 * @example A two-column table
 * ```ts ignore
 * console.log(formatTable(["a", "b"], [["x", 1], ["y", 22]]));
 * ```
 *
 * @param header The column titles.
 * @param rows The cells, row by row.
 * @returns The table, lines joined with `\n`.
 */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string {
  const cells = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, i) =>
    Math.max(...cells.map((row) => row[i].length))
  );
  // A column of numbers is right-aligned, its title included.
  const numeric = widths.map((_, i) =>
    rows.length > 0 && rows.every((row) => NUMBER.test(String(row[i])))
  );
  const line = (texts: string[]) =>
    texts.map((text, i) =>
      numeric[i] ? text.padStart(widths[i]) : text.padEnd(widths[i])
    ).join("  ").trimEnd();
  return [
    line(cells[0]),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...cells.slice(1).map(line),
  ].join("\n");
}

/** The columns of {@linkcode formatResults}. */
export const RESULT_COLUMNS: readonly string[] = [
  "variant",
  "requests",
  "req/s",
  "p50 ms",
  "p95 ms",
  "p99 ms",
  "errors",
  "conns accepted",
  "peak connected",
];

/**
 * The demo's results table: one row per load run.
 *
 * @param results The runs.
 * @returns The table.
 */
export function formatResults(results: readonly LoadResult[]): string {
  return formatTable(
    RESULT_COLUMNS,
    results.map((r) => [
      r.label,
      r.requests,
      Math.round(r.requestsPerSecond),
      r.p50Ms.toFixed(1),
      r.p95Ms.toFixed(1),
      r.p99Ms.toFixed(1),
      r.errors,
      r.connectionsAccepted,
      r.peakConnected,
    ]),
  );
}

/**
 * One line comparing the pooled run with the naive one.
 *
 * @param naive The naive run.
 * @param pooled The pooled run.
 * @returns The sentence.
 */
export function formatComparison(
  naive: LoadResult,
  pooled: LoadResult,
): string {
  const speedup = pooled.requestsPerSecond / naive.requestsPerSecond;
  const tail = naive.p99Ms / pooled.p99Ms;
  return `pooled vs naive: ${speedup.toFixed(1)}x the requests/s, ` +
    `p99 ${tail.toFixed(1)}x lower, ` +
    `${pooled.connectionsAccepted} connection(s) opened instead of ${naive.connectionsAccepted}`;
}

/**
 * The progress line of a running load, for a terminal (`\r`, no newline).
 *
 * @param p How far the run has come.
 * @returns The line.
 */
export function formatProgress(p: LoadProgress): string {
  const rate = p.elapsedMs > 0 ? Math.round(p.done / (p.elapsedMs / 1000)) : 0;
  const width = 24;
  const filled = Math.round((p.done / p.requests) * width);
  const bar = "#".repeat(filled) + ".".repeat(width - filled);
  return `\r  ${p.label.padEnd(7)} [${bar}] ${p.done}/${p.requests}  ` +
    `${rate} req/s  ${p.errors} errors  ${
      (p.elapsedMs / 1000).toFixed(1)
    } s\x1b[K`;
}

const NUMBER = /^-?\d+(\.\d+)?x?$/;
