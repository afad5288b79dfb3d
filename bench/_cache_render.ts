/**
 * The client-side cache section of bench/RESULTS.md, from the figures the
 * last `deno task bench:cache` / `bench:cache:bun` wrote to
 * bench/cache_results.json (that bench starts its own redis-server; the
 * report does not rerun it).
 */

import { readRuntimeResults } from "./_meta.ts";

interface Latency {
  method?: string;
  batches: number;
  medianUs: number;
  p99Us: number;
  p99WithoutPausesUs?: number;
  p999Us: number;
  maxUs: number;
  pausedBatches: number;
  pausedShare: number;
  pauseMsEach: number;
  loopTurns: number;
  timedMs: number;
  meetsMedian: boolean;
  meetsP99: boolean;
}

interface CacheRun {
  generated: string;
  runtime: string;
  version: string;
  command: string;
  versions: Record<string, string>;
  settings: {
    rounds: number;
    cellMs: number;
    seqMs: number;
    batch: number;
    batchesPerRound: number;
    keys: number;
    callers: number;
    valueBytes: number;
    pauseMs: number;
    pinning: string;
  };
  goals: { hitLatencyUs: number; concurrentRatio: number };
  latency: Latency;
  latencyOneEntry?: Latency;
  sequential: { hitsPerSec: number; oneEntryHitsPerSec?: number };
  concurrent: {
    on: number;
    off: number;
    ratio: number;
    ratioPerRound: number[];
    onHitShare: number[];
    meetsGoal: boolean;
  };
  miss?: { on: number; off: number; ratio: number };
}

function rate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  return n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(Math.round(n));
}

const us = (n: number) => `${n.toFixed(3)} µs`;
const mark = (ok: boolean) => ok ? "✓" : "✗";

function latencyRow(label: string, l: Latency, seq?: number): string {
  const turnEvery = l.loopTurns ? (l.timedMs / l.loopTurns).toFixed(1) : "—";
  return `| ${label} | ${us(l.medianUs)} ${mark(l.meetsMedian)} | ${
    us(l.p99Us)
  } ${mark(l.meetsP99)} | ${
    l.p99WithoutPausesUs === undefined ? "—" : us(l.p99WithoutPausesUs)
  } | ${us(l.p999Us)} | ${l.maxUs.toFixed(1)} µs | ${
    (l.pausedShare * 100).toFixed(2)
  }% (~${
    l.pauseMsEach.toFixed(1)
  } ms each; loop turned every ${turnEvery} ms) | ${
    seq === undefined ? "—" : `${rate(seq)}/s`
  } |`;
}

/**
 * The section, or an empty string when the cache bench never ran.
 *
 * @param file Where the cache bench wrote its figures.
 * @returns Markdown.
 */
export function renderCacheSection(file: string): string {
  const list = readRuntimeResults<CacheRun>(file);
  if (list.length === 0) return "";
  const first = list[0];
  const { goals, settings } = first;
  const out = [
    "",
    "## Client-side cache",
    "",
    "From `deno task bench:cache` and `deno task bench:cache:bun` " +
    "(bench/cache.ts): one redis-server of its own, a client with " +
    "`cache: true` whose cache holds a hot set of " +
    `${settings.keys.toLocaleString("en")} keys (${settings.valueBytes}-byte ` +
    "values), a client without the cache, both with the default pool " +
    "options, the parts interleaved round by round.",
    "",
    `Goals (issue 15): a cached GET (a hit) under ${goals.hitLatencyUs} µs ` +
    "per call, median and p99; " +
    `${settings.callers} concurrent GET over the hot set at least ` +
    `${goals.concurrentRatio}× the ops/s with the cache on as with it off.`,
    "",
    "Runs:",
    "",
  ];
  for (const run of list) {
    out.push(
      `- ${run.version}: \`${run.command}\`, ${run.generated}, ` +
        `${run.versions["redis-server"]}, respool ${run.versions.respool}, ` +
        `${run.settings.rounds} rounds; pinning: ${run.settings.pinning}.`,
    );
  }
  out.push(
    "",
    "### Cached GET (a hit), per call",
    "",
    `How it is timed: ${settings.rounds} rounds × ${settings.batchesPerRound} ` +
      `batches of ${settings.batch} consecutive awaited \`get(key)\` hits, run ` +
      "back to back; each batch is timed with `performance.now()` before and " +
      `after and divided by ${settings.batch}, and the quantiles are over ` +
      "those per-call means. A loop of hits never lets the event loop turn, " +
      "so after 5 ms of reads (20 ms on Deno) the cache makes the next read " +
      "wait for a macrotask (`setImmediate` on Bun, a timer on Deno): the " +
      "batches holding that pause (at least " +
      `${settings.pauseMs} ms longer than the median batch) are counted, ` +
      "and so are the loop's " +
      "turns. The one-entry row is a client whose cache holds only that key, " +
      "for reference. Sequential hits/s: the same awaited loop for " +
      `${settings.seqMs} ms per round, median over the rounds.`,
    "",
    "| runtime, cache | median | p99 | p99 without the pauses | p99.9 | max | batches holding a pause | sequential hits |",
    "| --- | --: | --: | --: | --: | --: | --: | --: |",
  );
  for (const run of list) {
    out.push(
      latencyRow(
        `${run.runtime}, ${run.settings.keys.toLocaleString("en")} entries`,
        run.latency,
        run.sequential.hitsPerSec,
      ),
    );
    if (run.latencyOneEntry) {
      out.push(
        latencyRow(
          `${run.runtime}, 1 entry`,
          run.latencyOneEntry,
          run.sequential.oneEntryHitsPerSec,
        ),
      );
    }
  }
  out.push(
    "",
    `### ${settings.callers} concurrent GET over ${
      settings.keys.toLocaleString("en")
    } hot keys, cache on vs off`,
    "",
    `${settings.callers} async loops, each awaiting \`get\` of keys picked ` +
      "by its own pseudo-random sequence (the same for both modes), for " +
      `${settings.cellMs} ms per mode and round, cache-on and cache-off ` +
      "rounds interleaved; the cache warmed first. Median ops/s over the " +
      "rounds, and their ratio (with the range of the per-round ratios).",
    "",
    "| runtime | cache on | cache off | on ÷ off | hits (cache on) | goal |",
    "| --- | --: | --: | --: | --: | --: |",
  );
  for (const run of list) {
    const c = run.concurrent;
    out.push(
      `| ${run.runtime} | ${rate(c.on)}/s | ${rate(c.off)}/s | ${
        c.ratio.toFixed(2)
      }× (${Math.min(...c.ratioPerRound).toFixed(2)}–${
        Math.max(...c.ratioPerRound).toFixed(2)
      }) | ${
        (Math.min(...c.onHitShare) * 100).toFixed(2)
      }% | ≥ ${run.goals.concurrentRatio}× ${mark(c.meetsGoal)} |`,
    );
  }
  const misses = list.filter((run) => run.miss !== undefined);
  if (misses.length > 0) {
    out.push(
      "",
      "### When the cache cannot help: every read misses",
      "",
      `${settings.callers} async loops, each SETting its own key and then ` +
        "GETting it, so every GET misses (the SET dropped its reply) and " +
        "every SET invalidates a tracked key: SET+GET pairs/s, cache on and " +
        "off interleaved, median over the rounds.",
      "",
      "| runtime | cache on | cache off | on ÷ off |",
      "| --- | --: | --: | --: |",
    );
    for (const run of misses) {
      const m = run.miss!;
      out.push(
        `| ${run.runtime} | ${rate(m.on)}/s | ${rate(m.off)}/s | ${
          m.ratio.toFixed(2)
        }× |`,
      );
    }
  }
  return out.join("\n") + "\n";
}
