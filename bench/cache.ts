/**
 * The client-side cache against issue 15's goals, on one redis-server this
 * process starts on a free loopback port (and stops). Runs unchanged on
 * Deno and Bun:
 *
 * ```sh
 * deno run -A bench/cache.ts            # deno task bench:cache
 * node_modules/.bin/bun bench/cache.ts  # deno task bench:cache:bun
 * ```
 *
 * What it measures, round by round (the parts interleaved in each round,
 * the order of cache on and off alternating between rounds):
 *
 * - **Latency of a cached GET (a hit).** The client whose cache holds the
 *   1,000 hot keys of the concurrent part reads one of them: batches of
 *   `BENCH_BATCH` (100) consecutive awaited `get(key)` calls, each batch
 *   timed with two `performance.now()` calls and divided by its size, so
 *   that the timer's resolution does not dominate: a distribution of
 *   per-call means, from which the median, p99 and p99.9 are taken. The
 *   batches run back to back, so the cache's yield (after 5 ms of reads
 *   without the event loop turning, 20 ms on Deno, a read waits for the
 *   next macrotask)
 *   falls inside some of them: those are counted as paused batches
 *   (at least 0.5 ms longer than the median batch), and the event loop's turns
 *   are counted with a timer. For reference, the same for a client whose
 *   cache holds only that key (a hit costs more in a fuller cache).
 * - **Sequential hits/s.** The same awaited `get(key)` in a loop for
 *   `BENCH_SEQ_MS`, the clock read every 1,000 hits (both clients).
 * - **100 concurrent GET over a hot set of 1,000 keys, cache on vs off.**
 *   100 async loops, each awaiting `get` of keys its own xorshift32
 *   sequence picks (seeded by loop and round, the same for both modes) for
 *   `BENCH_CELL_MS`; two clients with the default pool options, one with
 *   `cache: true`, the other without; the cache is warmed (every key read
 *   once) before the rounds. Ops/s median over the rounds per mode, and the
 *   ratio of the medians (with the per-round ratios' range).
 *
 * The figures go to bench/cache_results.json, one entry per runtime (the
 * other runtime's entry is kept), which `deno task bench:report` (or
 * `deno task bench:report:sections`) renders into bench/RESULTS.md.
 *
 * Settings (environment): `BENCH_ROUNDS` (3), `BENCH_CELL_MS` (2000),
 * `BENCH_SEQ_MS` (1000), `BENCH_BATCH` (100), `BENCH_BATCHES` (10000
 * batches per round), `BENCH_WARMUP_MS` (1000, the uncounted warm-up of
 * each part), `BENCH_PIN` (as in _pin.ts).
 *
 * @module
 */
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { type Client, createClient } from "../mod.ts";
import { type RedisServer, startRedis } from "../tests/_redis.ts";
import { median } from "./_harness.ts";
import { describePinning, pinSelf, pinServer } from "./_pin.ts";
import {
  env,
  redisVersion,
  respoolVersion,
  runMain,
  runtime,
  saveRuntimeResults,
} from "./_meta.ts";

/** Issue 15's goals. */
export const GOALS = {
  /** A cached GET's per-call latency, median and p99, in µs. */
  hitLatencyUs: 1,
  /** 100 concurrent GET over 1,000 hot keys, cache on ÷ cache off. */
  concurrentRatio: 20,
};

const RESULTS_FILE = fileURLToPath(
  new URL("./cache_results.json", import.meta.url).href,
);

const KEY_COUNT = 1_000;
const CALLERS = 100;
const VALUE = "v".repeat(100);
const KEYS = Array.from(
  { length: KEY_COUNT },
  (_, i) => `bench:cache:${String(i).padStart(4, "0")}`,
);
/**
 * A batch at least this much longer (ms) than the median batch holds a
 * pause: the cache's yield waits a timer on Deno (1–2.5 ms), far above a GC's
 * scavenge or the scheduler's noise (well under 0.1 ms here).
 */
const PAUSE_MS = 0.5;

/** The checkout's commit, `+dirty` when src/ or mod.ts has changes. */
/** The value at quantile `q` (0–1) of sorted `values` (nearest rank). */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

function formatRate(opsPerSec: number): string {
  if (opsPerSec >= 1e6) return `${(opsPerSec / 1e6).toFixed(2)}M/s`;
  if (opsPerSec >= 1e3) return `${(opsPerSec / 1e3).toFixed(1)}k/s`;
  return `${opsPerSec.toFixed(0)}/s`;
}

const round3 = (n: number) => Number(n.toFixed(3));

/** Per-call latency of cached GETs of one key, over timed batches. */
class LatencySeries {
  readonly #client: Client;
  readonly #key: string;
  readonly #batch: number;
  readonly #perCall: Float64Array;
  #filled = 0;
  #turns = 0;
  #ms = 0;
  #misses = 0;
  readonly roundMedians: number[] = [];

  constructor(client: Client, key: string, batch: number, capacity: number) {
    this.#client = client;
    this.#key = key;
    this.#batch = batch;
    this.#perCall = new Float64Array(capacity);
  }

  /** Times `batches` batches back to back (recorded unless `warmUp`). */
  async run(batches: number, warmUp = false): Promise<void> {
    const client = this.#client;
    const key = this.#key;
    const batch = this.#batch;
    const out = warmUp ? new Float64Array(batches) : this.#perCall;
    const offset = warmUp ? 0 : this.#filled;
    const misses = client.stats().cache!.misses;
    // Counts the event loop's turns while the batches run: nothing but the
    // cache's yield lets a timer run during a loop of hits.
    let turns = -1;
    let ticker: ReturnType<typeof setTimeout> | undefined;
    const tick = () => {
      turns++;
      ticker = setTimeout(tick, 0);
    };
    tick();
    const started = performance.now();
    for (let b = 0; b < batches; b++) {
      const start = performance.now();
      for (let i = 0; i < batch; i++) await client.get(key);
      out[offset + b] = ((performance.now() - start) * 1000) / batch;
    }
    const ms = performance.now() - started;
    clearTimeout(ticker);
    if (warmUp) return;
    this.#filled += batches;
    this.#ms += ms;
    this.#turns += turns;
    this.#misses += client.stats().cache!.misses - misses;
    this.roundMedians.push(
      median(Array.from(out.subarray(offset, offset + batches))),
    );
  }

  /** Quantiles of the per-call means, and what paused the batches. */
  summary() {
    const values = this.#perCall.subarray(0, this.#filled);
    const sorted = values.slice().sort();
    const med = quantile(sorted, 0.5);
    const p99 = quantile(sorted, 0.99);
    const threshold = med + (PAUSE_MS * 1000) / this.#batch;
    let paused = 0;
    let pausedUs = 0;
    for (const v of values) {
      if (v >= threshold) {
        paused++;
        pausedUs += (v - med) * this.#batch;
      }
    }
    // The same quantile over the batches that held no pause.
    const calm = sorted.subarray(0, sorted.length - paused);
    return {
      batches: sorted.length,
      hits: sorted.length * this.#batch,
      medianUs: round3(med),
      p99Us: round3(p99),
      p99WithoutPausesUs: round3(quantile(calm, 0.99)),
      p999Us: round3(quantile(sorted, 0.999)),
      maxUs: round3(sorted[sorted.length - 1]),
      meanUs: round3(sorted.reduce((a, b) => a + b, 0) / sorted.length),
      perRoundMedianUs: this.roundMedians.map(round3),
      pausedBatches: paused,
      pausedShare: Number((paused / sorted.length).toFixed(5)),
      pauseMsEach: paused ? round3(pausedUs / paused / 1000) : 0,
      loopTurns: this.#turns,
      timedMs: Math.round(this.#ms),
      misses: this.#misses,
      meetsMedian: med < GOALS.hitLatencyUs,
      meetsP99: p99 < GOALS.hitLatencyUs,
    };
  }
}

type LatencySummary = ReturnType<LatencySeries["summary"]>;

function printLatency(title: string, s: LatencySummary): void {
  const met = (ok: boolean) => ok ? "met" : "NOT MET";
  console.log(`${title}:`);
  console.log(
    `  median ${s.medianUs.toFixed(3)} µs, p99 ${
      s.p99Us.toFixed(3)
    } µs, p99.9 ${s.p999Us.toFixed(3)} µs, max ${s.maxUs.toFixed(1)} µs, mean ${
      s.meanUs.toFixed(3)
    } µs; p99 of the batches without a pause ${
      s.p99WithoutPausesUs.toFixed(3)
    } µs` +
      ` (goal < ${GOALS.hitLatencyUs} µs: median ${met(s.meetsMedian)}, p99 ${
        met(s.meetsP99)
      }); per-round medians ${
        s.perRoundMedianUs.map((m) => m.toFixed(3)).join(", ")
      } µs`,
  );
  console.log(
    `  batches holding a pause (≥ ${PAUSE_MS} ms longer than the median batch): ${s.pausedBatches} of ${s.batches} (${
      (s.pausedShare * 100).toFixed(2)
    }%), about ${
      s.pauseMsEach.toFixed(2)
    } ms each; the event loop turned ${s.loopTurns} times in ${
      (s.timedMs / 1000).toFixed(1)
    } s of batches (every ${
      s.loopTurns ? (s.timedMs / s.loopTurns).toFixed(1) : "—"
    } ms, every ${
      s.loopTurns ? Math.round(s.hits / s.loopTurns) : "—"
    } hits): the cache's yield after ${
      "Deno" in globalThis ? 20 : 5
    } ms of reads; misses ${s.misses}`,
  );
}

/** Sequential awaited hits for `ms`; hits/s. */
async function sequential(
  client: Client,
  key: string,
  ms: number,
): Promise<number> {
  let hits = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < 1000; i++) await client.get(key);
    hits += 1000;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  return (hits * 1000) / elapsed;
}

/** One caller of the concurrent part: awaited GETs until told to stop. */
async function caller(
  client: Client,
  seed: number,
  state: { running: boolean },
): Promise<number> {
  let x = seed | 0 || 1;
  let done = 0;
  while (state.running) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    await client.get(KEYS[(x >>> 0) % KEY_COUNT]);
    done++;
  }
  return done;
}

/** `CALLERS` callers for `ms`; ops/s. */
async function concurrent(
  client: Client,
  round: number,
  ms: number,
): Promise<number> {
  const state = { running: true };
  const start = performance.now();
  const timer = setTimeout(() => state.running = false, ms);
  try {
    const counts = await Promise.all(
      Array.from(
        { length: CALLERS },
        (_, i) =>
          caller(client, 0x9e3779b9 ^ (round * 7919 + i * 104729), state),
      ),
    );
    const elapsed = performance.now() - start;
    return (counts.reduce((a, b) => a + b, 0) * 1000) / elapsed;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The miss path: `CALLERS` loops, each writing its own key and reading it
 * back, so every read misses (the write dropped its reply) and every write
 * invalidates a tracked key; pairs/s for `ms`. What the cache costs when
 * it cannot help.
 */
async function missing(client: Client, ms: number): Promise<number> {
  const state = { running: true };
  const start = performance.now();
  const timer = setTimeout(() => state.running = false, ms);
  try {
    const counts = await Promise.all(
      Array.from({ length: CALLERS }, async (_, i) => {
        const key = `bench:cache:miss:${i}`;
        let done = 0;
        while (state.running) {
          await client.set(key, VALUE);
          if (await client.get(key) !== VALUE) throw new Error("wrong value");
          done++;
        }
        return done;
      }),
    );
    const elapsed = performance.now() - start;
    return (counts.reduce((a, b) => a + b, 0) * 1000) / elapsed;
  } finally {
    clearTimeout(timer);
  }
}

/** Stops the server once, however the process ends. */
function guard(server: RedisServer): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  const stop = () => stopping ??= server.stop();
  for (const name of ["SIGINT", "SIGTERM"] as const) {
    process.once(name, () => {
      console.error(`\n${name}: stopping redis-server`);
      stop().finally(() => process.exit(130));
    });
  }
  return stop;
}

async function main(): Promise<void> {
  const { name: runtimeName, version } = runtime();
  const rounds = env("BENCH_ROUNDS", 3);
  const cellMs = env("BENCH_CELL_MS", 2000);
  const seqMs = env("BENCH_SEQ_MS", 1000);
  const batch = Math.round(env("BENCH_BATCH", 100));
  const batches = Math.round(env("BENCH_BATCHES", 10_000));
  const warmupMs = env("BENCH_WARMUP_MS", 1000);

  const server = await startRedis();
  const stopServer = guard(server);
  const on = createClient(server.url, { cache: true });
  const off = createClient(server.url);
  const solo = createClient(server.url, { cache: true });
  try {
    const pinned = pinServer(server.port) && pinSelf();
    console.log(
      `${version}: client-side cache bench, ${rounds} rounds; redis-server on ${server.url}${
        pinned ? `; pinning: ${describePinning()}` : ""
      }`,
    );
    const entries: [string, string][] = KEYS.map((k) => [k, VALUE]);
    await off.mset(entries);
    // Both clients answer right, and the cache is warm (every key cached).
    for (const key of KEYS) {
      const [a, b] = await Promise.all([on.get(key), off.get(key)]);
      if (a !== VALUE || b !== VALUE) {
        throw new Error(`Cannot bench as ${key} reads ${a} / ${b}`);
      }
    }
    const key = KEYS[0];
    if (await solo.get(key) !== VALUE) throw new Error("Cannot bench");
    const warm = on.stats().cache!;
    if (warm.entries !== KEY_COUNT || solo.stats().cache!.entries !== 1) {
      throw new Error(
        `Cannot bench as the cache holds ${warm.entries} of ${KEY_COUNT} keys`,
      );
    }

    const hot = new LatencySeries(on, key, batch, batches * rounds);
    const one = new LatencySeries(solo, key, batch, batches * rounds);
    // Uncounted warm-up of every part (the JIT needs about a million hits).
    await sequential(on, key, warmupMs);
    await sequential(solo, key, warmupMs / 2);
    await hot.run(Math.max(1, Math.round(batches / 10)), true);
    await one.run(Math.max(1, Math.round(batches / 10)), true);
    await concurrent(on, 0, warmupMs);
    await concurrent(off, 0, warmupMs);

    const loadBefore = loadavg()[0];
    const seqRates: number[] = [];
    const soloRates: number[] = [];
    const onRates: number[] = [];
    const offRates: number[] = [];
    const onHitShare: number[] = [];
    const missOn: number[] = [];
    const missOff: number[] = [];
    await missing(on, warmupMs / 2);
    await missing(off, warmupMs / 2);
    for (let r = 0; r < rounds; r++) {
      await hot.run(batches);
      await one.run(batches);
      seqRates.push(await sequential(on, key, seqMs));
      soloRates.push(await sequential(solo, key, seqMs));
      const modes = r % 2 === 0 ? ["on", "off"] : ["off", "on"];
      for (const mode of modes) {
        if (mode === "on") {
          const s0 = on.stats().cache!;
          onRates.push(await concurrent(on, r + 1, cellMs));
          const s1 = on.stats().cache!;
          const hits = s1.hits - s0.hits;
          onHitShare.push(hits / (hits + s1.misses - s0.misses));
        } else {
          offRates.push(await concurrent(off, r + 1, cellMs));
        }
      }
      for (const mode of modes) {
        if (mode === "on") missOn.push(await missing(on, cellMs / 2));
        else missOff.push(await missing(off, cellMs / 2));
      }
      console.log(
        `round ${r + 1}/${rounds}: hit median ${
          hot.roundMedians[r].toFixed(3)
        } µs/call (one-entry cache ${
          one.roundMedians[r].toFixed(3)
        }), sequential ${formatRate(seqRates[r])}, 100 concurrent cache on ${
          formatRate(onRates[r])
        } / off ${formatRate(offRates[r])} (${
          (onRates[r] / offRates[r]).toFixed(1)
        }×)`,
      );
    }
    const loadAfter = loadavg()[0];

    const latency = hot.summary();
    const latencyOneEntry = one.summary();
    const seq = median(seqRates);
    const onMedian = median(onRates);
    const offMedian = median(offRates);
    const ratio = onMedian / offMedian;
    const ratios = onRates.map((v, i) => v / offRates[i]);
    const final = on.stats().cache!;
    const method =
      `${rounds} rounds × ${batches} batches of ${batch} consecutive awaited get() hits of one key, run back to back; each batch timed with performance.now() before and after and divided by ${batch}; quantiles over the per-call means`;

    console.log(`\nCached GET (a hit), per call: ${method}.`);
    printLatency(
      `The hot-set client (cache holding the ${KEY_COUNT} keys)`,
      latency,
    );
    printLatency(
      "For reference, a client whose cache holds only that key",
      latencyOneEntry,
    );
    console.log(
      `Sequential awaited hits (hot-set client): ${
        formatRate(seq)
      } (median of ${rounds} × ${seqMs} ms: ${
        seqRates.map(formatRate).join(", ")
      }); one-entry cache ${formatRate(median(soloRates))}`,
    );
    console.log(
      `100 concurrent GET over ${KEY_COUNT} hot keys, ${rounds} interleaved rounds of ${cellMs} ms per mode, default pool options:`,
    );
    console.log(
      `  cache on  ${formatRate(onMedian)} (${
        onRates.map(formatRate).join(", ")
      }; hits ${onHitShare.map((s) => `${(s * 100).toFixed(2)}%`).join(", ")})`,
    );
    console.log(
      `  cache off ${formatRate(offMedian)} (${
        offRates.map(formatRate).join(", ")
      })`,
    );
    console.log(
      `  on ÷ off ${ratio.toFixed(1)}× (per round ${
        ratios.map((v) => v.toFixed(1)).join(", ")
      }; goal ≥ ${GOALS.concurrentRatio}×: ${
        ratio >= GOALS.concurrentRatio ? "met" : "NOT MET"
      })`,
    );
    const missRatio = median(missOn) / median(missOff);
    console.log(
      `${CALLERS} concurrent SET then GET of the caller's own key (every GET misses), ${rounds} interleaved rounds of ${
        cellMs / 2
      } ms per mode: cache on ${formatRate(median(missOn))} pairs/s (${
        missOn.map(formatRate).join(", ")
      }), off ${formatRate(median(missOff))} (${
        missOff.map(formatRate).join(", ")
      }); on ÷ off ${missRatio.toFixed(2)}×`,
    );
    console.log(
      `load average (1 min) ${loadBefore.toFixed(2)} before, ${
        loadAfter.toFixed(2)
      } after; hot-set cache at the end: ${JSON.stringify(final)}`,
    );

    const entry = {
      generated: new Date().toISOString(),
      runtime: runtimeName,
      version,
      versions: {
        respool: respoolVersion(),
        "redis-server": redisVersion(),
      },
      command: runtimeName === "bun"
        ? "deno task bench:cache:bun"
        : "deno task bench:cache",
      settings: {
        rounds,
        cellMs,
        seqMs,
        batch,
        batchesPerRound: batches,
        warmupMs,
        keys: KEY_COUNT,
        callers: CALLERS,
        valueBytes: VALUE.length,
        cache: "cache: true (default bounds)",
        pool: "default",
        pauseMs: PAUSE_MS,
        pinning: pinned ? describePinning() : "none",
        loadAverage: { before: loadBefore, after: loadAfter },
      },
      goals: GOALS,
      latency: { method, ...latency },
      latencyOneEntry,
      sequential: {
        hitsPerSec: Math.round(seq),
        perRound: seqRates.map(Math.round),
        oneEntryHitsPerSec: Math.round(median(soloRates)),
      },
      concurrent: {
        on: Math.round(onMedian),
        off: Math.round(offMedian),
        onPerRound: onRates.map(Math.round),
        offPerRound: offRates.map(Math.round),
        onHitShare: onHitShare.map((s) => Number(s.toFixed(5))),
        ratio: round3(ratio),
        ratioPerRound: ratios.map(round3),
        meetsGoal: ratio >= GOALS.concurrentRatio,
      },
      miss: {
        on: Math.round(median(missOn)),
        off: Math.round(median(missOff)),
        onPerRound: missOn.map(Math.round),
        offPerRound: missOff.map(Math.round),
        ratio: round3(missRatio),
      },
      cacheStats: final,
    };
    saveRuntimeResults(RESULTS_FILE, runtimeName, entry);
  } finally {
    await Promise.allSettled([on.close(), off.close(), solo.close()]);
    await stopServer();
  }
}

await runMain(main);
