/**
 * The "Bun: the JavaScript floor" section of bench/RESULTS.md, from what
 * the last `deno task bench:bun:floor` wrote to bench/bun_floor_results.json
 * (that bench starts its own redis-server; the report does not rerun it).
 *
 * @module
 */

import { readRuntimeResults } from "./_meta.ts";

/** One workload of the floor bench: medians and paired ratios. */
export interface FloorRow {
  id: string;
  title: string;
  /** Median ops/s of each client over the rounds. */
  opsPerSec: { respool: number; bun: number; floor: number };
  /** Medians of each round's ratio of ops/s (above 1: the first is faster). */
  respoolVsBun: number;
  floorVsBun: number;
  respoolVsFloor: number;
}

interface FloorRun {
  generated: string;
  version: string;
  command: string;
  versions: Record<string, string>;
  settings: { rounds: number; cellMs: number; pinning: string };
  rows: FloorRow[];
}

function rate(n: number): string {
  return `${(n / 1000).toFixed(1)}k/s`;
}

/**
 * The section, empty when the bench never ran.
 *
 * @param file bench/bun_floor_results.json.
 * @returns Markdown.
 */
export function renderFloorSection(file: string): string {
  const out: string[] = [];
  for (const run of readRuntimeResults<FloorRun>(file)) {
    out.push(
      "",
      "## Bun: the JavaScript floor",
      "",
      "From `deno task bench:bun:floor` (bench/bun_floor.ts): respool, Bun's " +
        "`RedisClient` and a raw `Bun.connect` socket that does the least a " +
        "client written in JavaScript can do (RESP2, no handshake, each " +
        "command encoded once and reused, one command in flight, replies " +
        "read to their known end into the same strings; no timeouts, no " +
        "pool), on the sequential workloads, interleaved round by round. " +
        "Bun's client parses and queues in native code; a JavaScript client " +
        "gets every chunk through a `data` callback and writes from " +
        "JavaScript. So floor ÷ Bun is what Bun's socket API leaves to any " +
        "JavaScript client, and respool ÷ floor is what respool's own work " +
        "costs.",
      "",
      `${run.version}, ${run.generated}, ${run.versions["redis-server"]}, ` +
        `respool ${run.versions.respool}; ${run.settings.rounds} rounds of ` +
        `${run.settings.cellMs} ms per client; pinning: ` +
        `${run.settings.pinning}. Ratios are medians of each round's pair ` +
        "(above 1: the first is faster).",
      "",
      "| workload | respool | Bun RedisClient | floor | respool ÷ Bun | floor ÷ Bun | respool ÷ floor |",
      "| --- | --: | --: | --: | --: | --: | --: |",
    );
    for (const row of run.rows) {
      const { respool, bun, floor } = row.opsPerSec;
      out.push(
        `| ${row.title} | ${rate(respool)} | ${rate(bun)} | ${rate(floor)} | ` +
          `${row.respoolVsBun.toFixed(3)}× | ${row.floorVsBun.toFixed(3)}× | ` +
          `${row.respoolVsFloor.toFixed(3)}× |`,
      );
    }
  }
  return out.length === 0 ? "" : out.join("\n") + "\n";
}
