/**
 * What tracing costs, in one process against one redis-server it starts on
 * a free loopback port (and stops). Two runs:
 *
 * - **No tracer** (the default): this checkout against a checkout from
 *   before tracing (the baseline, given as the argument), the `tracer`
 *   option absent in both: the difference is what the `undefined` checks
 *   cost. Nothing else runs in the process, so neither checkout's code sees
 *   the other paths a tracer takes.
 * - **With a tracer** (`--tracers`): this checkout without a tracer, with a
 *   tracer whose spans do nothing (the cost of making the spans: names,
 *   attributes, one more promise) and with OpenTelemetry's SDK
 *   (`BasicTracerProvider`, no processor: spans recorded and dropped).
 *
 * ```sh
 * git worktree add /tmp/before <commit before tracing>
 * deno task bench:tracing /tmp/before    # deno run -A bench/tracing.ts /tmp/before
 * deno task bench:tracing --tracers
 * ```
 *
 * Two workloads, each cell `BENCH_CELL_MS` (500) of it on one client (pool
 * defaults): 100 concurrent callers each awaiting `get()` in a loop, and
 * one caller awaiting pipelines of 100 `get()`. The cells of a round
 * interleave the variants, the order rotating from round to round, so that
 * all of them see the same machine (a shared, noisy one); `BENCH_ROUNDS`
 * (20) rounds after 2 of warm-up. Prints each variant's median GETs per
 * second, the middle half of the rounds, and the median of the per-round
 * ratios to the first variant (each round's cells run back to back, so a
 * round's ratio is less noisy than the medians' ratio). Runs unchanged on
 * Bun (`node_modules/.bin/bun bench/tracing.ts /tmp/before`). `BENCH_PIN`
 * as in _pin.ts.
 *
 * @module
 */
import process from "node:process";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import type { Tracer } from "../mod.ts";
import { startRedis } from "../tests/_redis.ts";
import { median } from "./_harness.ts";
import { describePinning, pinSelf, pinServer } from "./_pin.ts";

/** What the workloads need of a client, old or new. */
interface Getter {
  get(key: string): Promise<unknown>;
  set(key: string, value: string): Promise<unknown>;
  pipeline(): { get(key: string): unknown; exec(): Promise<unknown[]> };
  close(): Promise<void>;
}

type CreateClient = (url: string, options?: object) => Getter;

const argument = process.argv[2];
if (argument === undefined) {
  console.error(
    "usage: deno run -A bench/tracing.ts <checkout from before tracing> | --tracers",
  );
  process.exit(2);
}
const withTracers = argument === "--tracers";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const WARMUP = 2;
const CELL_MS = Number(process.env.BENCH_CELL_MS ?? 500);
const KEY = "bench:tracing";

/** A tracer whose spans do nothing: what making them costs. */
const idle: Tracer = {
  startSpan: () => ({
    setAttributes() {},
    setStatus() {},
    recordException() {},
    end() {},
  }),
};

const workloads: [string, (client: Getter) => Promise<number>][] = [
  ["100 concurrent GET", async (client) => {
    let done = 0;
    const stop = performance.now() + CELL_MS;
    await Promise.all(Array.from({ length: 100 }, async () => {
      while (performance.now() < stop) {
        await client.get(KEY);
        done++;
      }
    }));
    return done * 1000 / CELL_MS;
  }],
  ["pipeline of 100 GET", async (client) => {
    let done = 0;
    const stop = performance.now() + CELL_MS;
    while (performance.now() < stop) {
      const pipeline = client.pipeline();
      for (let i = 0; i < 100; i++) pipeline.get(KEY);
      await pipeline.exec();
      done += 100;
    }
    return done * 1000 / CELL_MS;
  }],
];

/** The value a quarter (or three quarters) of the way through. */
function quartile(values: readonly number[], q: 1 | 3): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q / 4))];
}

const server = await startRedis();
try {
  pinServer(server.port);
  pinSelf();
  const create = (await import("../mod.ts")).createClient as CreateClient;
  const variants: [string, Getter][] = withTracers
    ? [
      ["this checkout, no tracer", create(server.url)],
      [
        "this checkout, tracer with idle spans",
        create(server.url, {
          tracer: idle,
        }),
      ],
      [
        "this checkout, OpenTelemetry SDK tracer",
        create(server.url, {
          tracer: new BasicTracerProvider().getTracer("bench") as Tracer,
        }),
      ],
    ]
    : [
      [
        `baseline (${argument}), no tracer`,
        ((await import(`${argument}/mod.ts`)).createClient as CreateClient)(
          server.url,
        ),
      ],
      ["this checkout, no tracer", create(server.url)],
    ];
  for (const [, client] of variants) await client.set(KEY, "v".repeat(100));
  console.log(
    `${
      ROUNDS - WARMUP
    } rounds (+${WARMUP} warm-up) of ${CELL_MS} ms cells; pinning: ${describePinning()}`,
  );
  for (const [name, run] of workloads) {
    const samples: number[][] = variants.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < variants.length; i++) {
        const which = (i + round) % variants.length;
        const value = await run(variants[which][1]);
        if (round >= WARMUP) samples[which].push(value);
      }
    }
    console.log(
      `\n${name}: GET/s median [middle half], median of per-round ratios to the first`,
    );
    variants.forEach(([label], i) => {
      const ratios = samples[i].map((value, r) => value / samples[0][r]);
      console.log(
        `  ${label.padEnd(44)} ${
          Math.round(median(samples[i])).toString().padStart(8)
        }  [${Math.round(quartile(samples[i], 1))}..${
          Math.round(quartile(samples[i], 3))
        }]  ${median(ratios).toFixed(3)} [${quartile(ratios, 1).toFixed(3)}..${
          quartile(ratios, 3).toFixed(3)
        }]`,
      );
    });
  }
  for (const [, client] of variants) await client.close();
} finally {
  await server.stop();
}
