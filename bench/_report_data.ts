/**
 * The data the report task gathers, and the figures derived from it
 * (medians, ratios, targets) that both renderers (Markdown and SVG) show.
 *
 * @module
 */
import {
  type Cell,
  type HeapResult,
  median,
  medians,
  type ReadyMessage,
} from "./_harness.ts";

/** One runtime's run: what its runner announced, its rounds, its heap check. */
export interface RuntimeRun {
  readonly ready: ReadyMessage;
  readonly rounds: Cell[][];
  readonly heap?: HeapResult;
  /** respool at redis-benchmark's depth, ops/s per round. */
  readonly ceiling: { get: number[]; set: number[] };
}

/** `redis-benchmark` throughput (requests/s) per pipeline depth and test. */
export interface Ceiling {
  /** `-P 1`: one request in flight per connection. */
  readonly p1: { get: number[]; set: number[] };
  /** `-P 16`: sixteen in flight per connection. */
  readonly p16: { get: number[]; set: number[] };
  readonly requestsP1: number;
  readonly requestsP16: number;
}

/** Everything the report writes. */
export interface Report {
  readonly date: Date;
  readonly machine: Record<string, string>;
  readonly versions: Record<string, string>;
  readonly settings: Record<string, string>;
  readonly runs: RuntimeRun[];
  readonly ceiling: Ceiling;
  readonly seconds: number;
}

/** Median ops/s of one workload and peer over the rounds. */
export type MedianTable = Map<string, Map<string, number>>;

/** The medians of a run. */
export function runMedians(run: RuntimeRun): MedianTable {
  return medians(run.rounds);
}

/** The fastest median of a workload (NaN when none ran). */
export function fastest(table: MedianTable, workload: string): number {
  const values = [...(table.get(workload)?.values() ?? [])].filter((v) =>
    !Number.isNaN(v)
  );
  return values.length === 0 ? NaN : Math.max(...values);
}

/** Lowest and highest ops/s of one cell over the rounds. */
export function spread(
  run: RuntimeRun,
  workload: string,
  peer: string,
): [number, number] {
  const values = run.rounds.flat()
    .filter((c) =>
      c.workload === workload && c.peer === peer && !Number.isNaN(c.opsPerSec)
    )
    .map((c) => c.opsPerSec);
  return [Math.min(...values), Math.max(...values)];
}

/** The ceiling's medians. */
export function ceilingMedians(ceiling: Ceiling): {
  p1: { get: number; set: number };
  p16: { get: number; set: number };
} {
  return {
    p1: { get: median(ceiling.p1.get), set: median(ceiling.p1.set) },
    p16: { get: median(ceiling.p16.get), set: median(ceiling.p16.set) },
  };
}

/** One target of an issue (6 or 17), measured. */
export interface TargetResult {
  readonly runtime: string;
  readonly what: string;
  /**
   * The measured ratio (or fraction, for the ceiling and heap targets; or
   * microseconds).
   */
  readonly measured: number;
  /** The bound it must meet (≥, or ≤ for `atMost`). */
  readonly bound: number;
  readonly atMost?: boolean;
  /** How `measured` is shown (`×` ratio, `%` or `µs`). */
  readonly unit: "×" | "%" | "µs";
  readonly met: boolean;
}

function target(
  runtime: string,
  what: string,
  measured: number,
  bound: number,
  unit: TargetResult["unit"],
  atMost = false,
): TargetResult {
  return {
    runtime,
    what,
    measured,
    bound,
    unit,
    atMost,
    met: atMost ? measured <= bound : measured >= bound,
  };
}

/**
 * The targets of issue 17 that a report run measures: on Bun, respool at
 * least level with Bun's `RedisClient` on every workload both ran; explicit
 * pipelines of 16 at 90% of `redis-benchmark -P 16`; acquire+release (leak
 * detection on, the default) within 1 µs.
 */
export function issue17Targets(report: Report): TargetResult[] {
  const results: TargetResult[] = [];
  const ceiling = ceilingMedians(report.ceiling);
  for (const run of report.runs) {
    const table = runMedians(run);
    const rt = run.ready.runtime;
    if (rt === "bun" && run.ready.peers.some((p) => p.id === "bun")) {
      for (const workload of run.ready.workloads) {
        const theirs = table.get(workload.id)?.get("bun");
        if (theirs === undefined || Number.isNaN(theirs)) continue;
        const measured = ratio(table, workload.id, ["bun"]);
        results.push(
          target(
            rt,
            `${workload.title}: respool ÷ Bun RedisClient`,
            measured,
            1,
            "×",
          ),
        );
      }
    }
    for (const test of ["get", "set"] as const) {
      const mine = median(run.ceiling[test]);
      if (Number.isNaN(mine)) continue;
      results.push(target(
        rt,
        `50 concurrent pipelines of 16 ${test.toUpperCase()}: respool ÷ redis-benchmark -P 16`,
        mine / ceiling.p16[test],
        0.9,
        "%",
      ));
    }
    const acquire = table.get("acquire")?.get("respool");
    if (acquire !== undefined && !Number.isNaN(acquire)) {
      results.push(
        target(
          rt,
          "pool acquire+release, per call",
          1e6 / acquire,
          1,
          "µs",
          true,
        ),
      );
    }
  }
  return results;
}

function ratio(table: MedianTable, workload: string, peers: string[]): number {
  const row = table.get(workload);
  const mine = row?.get("respool") ?? NaN;
  const theirs = Math.max(
    ...peers.map((p) => row?.get(p) ?? NaN).filter((v) => !Number.isNaN(v)),
  );
  return mine / theirs;
}

/**
 * The targets of issue 6 against this run. A peer with two variants
 * (ioredis plain and auto-pipelining) is measured by its faster one.
 */
export function targets(report: Report): TargetResult[] {
  const results: TargetResult[] = [];
  const add = (
    runtime: string,
    what: string,
    measured: number,
    bound: number,
    unit: "×" | "%",
    atMost = false,
  ) => results.push(target(runtime, what, measured, bound, unit, atMost));
  const ceiling = ceilingMedians(report.ceiling);
  for (const run of report.runs) {
    const table = runMedians(run);
    const rt = run.ready.runtime;
    const has = (id: string) => run.ready.peers.some((p) => p.id === id);
    const titles = new Map(run.ready.workloads.map((w) => [w.id, w.title]));
    const ioredisBoth = ["ioredis", "ioredis-auto"].filter(has);
    for (const workload of ["conc-get", "conc-set"]) {
      if (!titles.has(workload)) continue;
      const title = titles.get(workload)!;
      if (rt === "bun") {
        if (has("bun")) {
          add(
            rt,
            `${title}: respool ÷ Bun RedisClient`,
            ratio(table, workload, ["bun"]),
            1,
            "×",
          );
        }
        if (has("ioredis-auto")) {
          add(
            rt,
            `${title}: respool ÷ ioredis (auto-pipelining)`,
            ratio(table, workload, ["ioredis-auto"]),
            1,
            "×",
          );
        }
      } else {
        if (ioredisBoth.length > 0) {
          add(
            rt,
            `${title}: respool ÷ best ioredis`,
            ratio(table, workload, ioredisBoth),
            1.5,
            "×",
          );
        }
        if (has("node-redis")) {
          add(
            rt,
            `${title}: respool ÷ node-redis`,
            ratio(table, workload, ["node-redis"]),
            1.5,
            "×",
          );
        }
      }
    }
    if (rt === "deno" && titles.has("seq-get")) {
      if (ioredisBoth.length > 0) {
        add(
          rt,
          "sequential GET: respool ÷ best ioredis",
          ratio(table, "seq-get", ioredisBoth),
          1.2,
          "×",
        );
      }
      if (has("node-redis")) {
        add(
          rt,
          "sequential GET: respool ÷ node-redis",
          ratio(table, "seq-get", ["node-redis"]),
          1.2,
          "×",
        );
      }
    }
    for (const test of ["get", "set"] as const) {
      const mine = median(run.ceiling[test]);
      if (Number.isNaN(mine)) continue;
      add(
        rt,
        `50 concurrent pipelines of 16 ${test.toUpperCase()}: respool ÷ redis-benchmark -P 16`,
        mine / ceiling.p16[test],
        0.7,
        "%",
      );
    }
    if (run.heap) {
      const { heapAfterFirst, heapAfterTotal, total, first } = run.heap;
      add(
        rt,
        `heap after ${total / 1000}k GETs vs after ${first / 1000}k (growth)`,
        heapAfterTotal / heapAfterFirst - 1,
        0.05,
        "%",
        true,
      );
    }
  }
  return results;
}
