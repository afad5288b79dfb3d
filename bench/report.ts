/**
 * `deno task bench:report`: runs the comparison on Deno (compare_deno.ts)
 * and on Bun (compare_bun.ts) against one redis-server it starts itself,
 * the runtimes taking turns round by round, plus `redis-benchmark` as the
 * server's ceiling and respool's heap check on both; prints the ratio
 * tables and writes bench/RESULTS.md and bench/results.svg. RESULTS.md ends
 * with the sections of the benches it does not run (bun_floor_results.json,
 * cluster_results.json, cache_results.json, memory_results.json; see
 * _sections.ts), which
 * `deno task bench:report:sections` re-renders alone.
 *
 * Settings (environment): `BENCH_ROUNDS` (11), `BENCH_CELL_MS` (200 ms per
 * client and workload per round), `BENCH_WARMUP_MS` (150), `BENCH_HEAP_OPS`
 * (1000000), `BENCH_HEAP_FIRST` (100000), `BENCH_RB_P16` / `BENCH_RB_P1`
 * (redis-benchmark requests per test: 1000000 / 50000), `BENCH_RUNTIMES`
 * (`deno,bun`), `BENCH_BUN` (the command that runs Bun; default the
 * `node_modules/.bin/bun` the setup installs), and the runners' `BENCH_CLIENTS` and
 * `BENCH_WORKLOADS` filters. About 4 minutes with the defaults on 2 cores.
 *
 * @module
 */
import { cpus, release, totalmem } from "node:os";
import { dirname } from "node:path";
import { startRedis } from "../tests/_redis.ts";
import {
  type Cell,
  type HeapResult,
  medians,
  PROTOCOL_PREFIX,
  ratioTable,
  type ReadyMessage,
} from "./_harness.ts";
import type { Ceiling, Report, RuntimeRun } from "./_report_data.ts";
import { issue17Targets, targets } from "./_report_data.ts";
import { describePinning, onClientCore, pinServer } from "./_pin.ts";
import { renderMarkdown, renderSvg, showTarget } from "./_render.ts";
import { renderJsonSections } from "./_sections.ts";

const benchDir = `${import.meta.dirname}/`;
const root = `${dirname(import.meta.dirname!)}/`;

function setting(name: string, fallback: number): number {
  const raw = Deno.env.get(name);
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`Cannot use ${name}=${raw} as it is not a number > 0`);
  }
  return value;
}

async function output(command: string, args: string[]): Promise<string> {
  try {
    const result = await new Deno.Command(command, {
      args,
      stdout: "piped",
      stderr: "piped",
    }).output();
    return new TextDecoder().decode(result.stdout).trim();
  } catch {
    return "";
  }
}

/** A runner process (`--serve`) that answers one protocol line per request. */
class Runner {
  readonly name: string;
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #messages: unknown[] = [];
  #waiter?: (message: unknown) => void;
  #failure?: (error: Error) => void;
  #exited = false;

  constructor(name: string, command: string[], env: Record<string, string>) {
    this.name = name;
    this.#child = new Deno.Command(command[0], {
      args: command.slice(1),
      cwd: root,
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    void this.#read();
    void this.#child.status.then((status) => {
      this.#exited = true;
      this.#failure?.(
        new Error(`The ${name} runner exited with code ${status.code}`),
      );
    });
  }

  async #read(): Promise<void> {
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of this.#child.stdout) {
      buffered += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffered.indexOf("\n")) !== -1) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        if (line.startsWith(PROTOCOL_PREFIX)) {
          const message = JSON.parse(line.slice(PROTOCOL_PREFIX.length));
          if (this.#waiter) {
            const waiter = this.#waiter;
            this.#waiter = undefined;
            this.#failure = undefined;
            waiter(message);
          } else this.#messages.push(message);
        } else if (line.trim() !== "") {
          console.error(`[${this.name}] ${line}`);
        }
      }
    }
  }

  /** The next protocol message. */
  next<T>(): Promise<T> {
    if (this.#messages.length > 0) {
      return Promise.resolve(this.#messages.shift() as T);
    }
    if (this.#exited) {
      return Promise.reject(new Error(`The ${this.name} runner has exited`));
    }
    return new Promise<T>((resolve, reject) => {
      this.#waiter = resolve as (message: unknown) => void;
      this.#failure = reject;
    });
  }

  /** Sends a request and waits for its answer. */
  async request<T>(request: Record<string, unknown>): Promise<T> {
    await this.#writer.write(
      new TextEncoder().encode(JSON.stringify(request) + "\n"),
    );
    const message = await this.next<T & { type: string; error?: string }>();
    if (message.type === "error") throw new Error(message.error);
    return message;
  }

  async quit(): Promise<void> {
    try {
      await this.#writer.write(new TextEncoder().encode('{"cmd":"quit"}\n'));
      await this.#writer.close();
    } catch {
      // already gone
    }
    await this.#child.status;
  }

  /** Ends the runner at once (after a failure elsewhere). */
  kill(): void {
    if (!this.#exited) {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // exited meanwhile
      }
    }
  }
}

function bunCommand(): string[] {
  const configured = Deno.env.get("BENCH_BUN");
  if (configured) return configured.split(" ").filter(Boolean);
  // The binary itself, not a launcher: the report stops its runners with
  // signals, which npx would not pass on.
  return [new URL("../node_modules/.bin/bun", import.meta.url).pathname];
}

async function redisBenchmark(
  port: number,
  pipeline: number,
  requests: number,
): Promise<{ get: number; set: number }> {
  const [command, ...prefix] = onClientCore(["redis-benchmark"]);
  const text = await output(command, [
    ...prefix,
    "-h",
    "127.0.0.1",
    "-p",
    String(port),
    "-P",
    String(pipeline),
    "-t",
    "get,set",
    "-q",
    "-d",
    "100",
    "-n",
    String(requests),
  ]);
  const found: Record<string, number> = {};
  for (const line of text.split(/[\r\n]+/)) {
    const match = /^\s*(GET|SET): ([\d.]+) requests per second/.exec(line);
    if (match) found[match[1]] = Number(match[2]);
  }
  if (found.GET === undefined || found.SET === undefined) {
    throw new Error(
      `Cannot read redis-benchmark's output (is redis-tools installed?):\n${text}`,
    );
  }
  return { get: found.GET, set: found.SET };
}

function packageVersion(name: string): string {
  try {
    const path = `${root}node_modules/${name}/package.json`;
    return JSON.parse(Deno.readTextFileSync(path)).version;
  } catch {
    return "not installed";
  }
}

const started = performance.now();
const rounds = setting("BENCH_ROUNDS", 11);
const cellMs = setting("BENCH_CELL_MS", 200);
const warmupMs = setting("BENCH_WARMUP_MS", 150);
const heapTotal = setting("BENCH_HEAP_OPS", 1_000_000);
const heapFirst = setting("BENCH_HEAP_FIRST", 100_000);
const requestsP16 = setting("BENCH_RB_P16", 1_000_000);
const requestsP1 = setting("BENCH_RB_P1", 50_000);
const runtimes = (Deno.env.get("BENCH_RUNTIMES") ?? "deno,bun").split(",")
  .map((s) => s.trim()).filter(Boolean);

const server = await startRedis();
const pinned = pinServer(server.port);
const runners: Runner[] = [];
try {
  const env = { ...Deno.env.toObject(), REDIS_URL: server.url };
  if (runtimes.includes("deno")) {
    runners.push(
      new Runner("deno", [
        ...(pinned ? onClientCore([]) : []),
        Deno.execPath(),
        "run",
        "-A",
        "--v8-flags=--expose-gc",
        `${benchDir}compare_deno.ts`,
        "--serve",
      ], env),
    );
  }
  if (runtimes.includes("bun")) {
    runners.push(
      new Runner("bun", [
        ...(pinned ? onClientCore([]) : []),
        ...bunCommand(),
        `${benchDir}compare_bun.ts`,
        "--serve",
      ], env),
    );
  }
  const runs = new Map<Runner, RuntimeRun>();
  for (const runner of runners) {
    runs.set(runner, {
      ready: await runner.next<ReadyMessage>(),
      rounds: [],
      ceiling: { get: [], set: [] },
    });
    console.log(`${runner.name}: ${runs.get(runner)!.ready.version} ready`);
  }
  const ceiling: Ceiling = {
    p1: { get: [], set: [] },
    p16: { get: [], set: [] },
    requestsP1,
    requestsP16,
  };
  for (const runner of runners) {
    await runner.request({ cmd: "round", round: 0, cellMs: warmupMs });
  }
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? runners : [...runners].reverse();
    for (const runner of order) {
      const answer = await runner.request<{ cells: Cell[] }>({
        cmd: "round",
        round: r,
        cellMs,
      });
      runs.get(runner)!.rounds.push(answer.cells);
    }
    for (const runner of order) {
      const answer = await runner.request<{ get?: number; set?: number }>({
        cmd: "ceiling",
        cellMs,
      });
      const ceiling = runs.get(runner)!.ceiling;
      if (answer.get !== undefined) ceiling.get.push(answer.get);
      if (answer.set !== undefined) ceiling.set.push(answer.set);
    }
    const p16 = await redisBenchmark(server.port, 16, requestsP16);
    const p1 = await redisBenchmark(server.port, 1, requestsP1);
    ceiling.p16.get.push(p16.get);
    ceiling.p16.set.push(p16.set);
    ceiling.p1.get.push(p1.get);
    ceiling.p1.set.push(p1.set);
    console.log(
      `round ${r + 1}/${rounds} done (${
        ((performance.now() - started) / 1000).toFixed(0)
      } s)`,
    );
  }
  for (const runner of runners) {
    const answer = await runner.request<{ heap: HeapResult }>({
      cmd: "heap",
      total: heapTotal,
      first: heapFirst,
    });
    runs.set(runner, { ...runs.get(runner)!, heap: answer.heap });
  }
  for (const runner of runners) await runner.quit();

  const cpu = cpus();
  const report: Report = {
    date: new Date(),
    machine: {
      cpu: cpu[0]?.model.trim() ?? "unknown",
      cores: String(cpu.length),
      memory: `${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
      os: `${Deno.build.os} ${release()} (${Deno.build.arch})`,
    },
    versions: {
      respool: `${
        JSON.parse(Deno.readTextFileSync(`${root}deno.json`)).version
      } (git ${
        (await output("git", [
          "-C",
          root,
          "describe",
          "--always",
          "--dirty",
        ])) ||
        "unknown"
      })`,
      ...Object.fromEntries(
        [...runs.values()].map((run) => [run.ready.runtime, run.ready.version]),
      ),
      "redis-server": (await output("redis-server", ["--version"]))
        .replace(/^Redis server /, ""),
      ioredis: packageVersion("ioredis"),
      "node-redis (redis)": packageVersion("redis"),
    },
    settings: {
      rounds: String(rounds),
      "time per client and workload per round": `${cellMs} ms`,
      "warm-up round": `${warmupMs} ms per cell`,
      "concurrent callers / pipeline depth": "100",
      "value size": "100 bytes (16 KiB for the large-value workload)",
      "heap check": `${heapFirst} then ${heapTotal} GETs`,
      "CPU pinning": pinned ? describePinning() : "none",
    },
    runs: [...runs.values()],
    ceiling,
    seconds: (performance.now() - started) / 1000,
  };
  await Deno.writeTextFile(
    `${benchDir}RESULTS.md`,
    renderMarkdown(report) + await renderJsonSections(benchDir),
  );
  await Deno.writeTextFile(`${benchDir}results.svg`, renderSvg(report));

  for (const run of report.runs) {
    console.log(
      `\n${run.ready.version}: median ops/s as a ratio to the fastest\n`,
    );
    console.log(ratioTable(run.ready, medians(run.rounds)));
  }
  for (
    const [issue, results] of [
      [6, targets(report)],
      [17, issue17Targets(report)],
    ] as const
  ) {
    console.log(`\nTargets (issue ${issue}):`);
    for (const t of results) {
      console.log(
        `  ${t.met ? "met    " : "NOT MET"} ${t.runtime}: ${t.what} = ${
          showTarget(t.measured, t.unit, t.bound)
        }`,
      );
    }
  }
  console.log(
    `\nWrote bench/RESULTS.md and bench/results.svg in ${
      report.seconds.toFixed(0)
    } s`,
  );
} finally {
  for (const runner of runners) runner.kill();
  await server.stop();
}
