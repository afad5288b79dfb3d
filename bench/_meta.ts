/**
 * What the standalone benches read from their environment and write into
 * their results: numeric settings from `BENCH_*` variables, the runtime,
 * and the versions measured (respool's commit, redis-server, peers).
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import process from "node:process";

/**
 * A numeric setting from the environment.
 *
 * @param name The variable.
 * @param fallback Its value when unset or empty.
 * @param allowZero Whether 0 is allowed (otherwise it must be above 0).
 * @returns The value.
 * @throws {RangeError} When it is not such a number.
 */
export function env(name: string, fallback: number, allowZero = false): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !allowZero)) {
    throw new RangeError(
      `Cannot use ${name}=${raw} as it is not a number ${
        allowZero ? ">= 0" : "> 0"
      }`,
    );
  }
  return value;
}

/** The runtime this process runs on, and its version line. */
export function runtime(): { name: "deno" | "bun" | "node"; version: string } {
  const g = globalThis as {
    Bun?: { version: string };
    Deno?: { version: { deno: string; v8: string } };
  };
  if (g.Bun) return { name: "bun", version: `bun ${g.Bun.version}` };
  if (g.Deno) {
    return {
      name: "deno",
      version: `deno ${g.Deno.version.deno} (V8 ${g.Deno.version.v8})`,
    };
  }
  return { name: "node", version: `node ${process.version}` };
}

/** The checkout's commit, `+dirty` when src/ or mod.ts has changes. */
export function gitCommit(): string {
  const run = (args: string[]) =>
    String(spawnSync("git", args, { encoding: "utf8" }).stdout ?? "").trim();
  const head = run(["rev-parse", "--short", "HEAD"]);
  if (!head) return "unknown";
  return run(["status", "--porcelain", "--", "src", "mod.ts"])
    ? `${head}+dirty`
    : head;
}

/** `redis-server --version`'s line. */
export function redisVersion(): string {
  const found = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  return String(found.stdout ?? "").trim() || "unknown";
}

/** respool's version from deno.json, with the commit measured. */
export function respoolVersion(): string {
  const file = fileURLToPath(new URL("../deno.json", import.meta.url).href);
  return `${
    JSON.parse(readFileSync(file, "utf8")).version
  } (git ${gitCommit()})`;
}

/** An installed npm package's version, or "unknown". */
export function packageVersion(name: string): string {
  try {
    const file = fileURLToPath(
      new URL(`../node_modules/${name}/package.json`, import.meta.url).href,
    );
    return JSON.parse(readFileSync(file, "utf8")).version;
  } catch {
    return "unknown";
  }
}

/**
 * Stores one runtime's results in a JSON file that keeps each runtime's
 * last run under its name (what the RESULTS.md sections are rendered
 * from).
 *
 * @param file The results file.
 * @param runtimeName The key to store them under (`deno`, `bun`).
 * @param entry The results.
 */
export function saveRuntimeResults(
  file: string,
  runtimeName: string,
  entry: unknown,
): void {
  let all: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      all = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      all = {};
    }
  }
  all[runtimeName] = entry;
  writeFileSync(file, JSON.stringify(all, null, 2) + "\n");
  console.log(`\nwrote ${runtimeName} results to ${file}`);
}

/**
 * The runs of a results file written by {@linkcode saveRuntimeResults}:
 * Deno's, then Bun's, then any other; none when the file is missing or
 * unreadable.
 *
 * @param file The results file.
 * @returns The runs, in that order.
 */
export function readRuntimeResults<T>(file: string): T[] {
  let runs: Record<string, T>;
  try {
    runs = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return [];
  }
  return ["deno", "bun"].filter((name) => name in runs)
    .map((name) => runs[name])
    .concat(
      Object.entries(runs).filter(([name]) => name !== "deno" && name !== "bun")
        .map(([, run]) => run),
    );
}

/**
 * Runs a bench's `main` and exits, with 1 when it threw: the peers (ioredis,
 * node-redis) leave handles behind (timers, sockets closing) that would keep
 * the process alive.
 */
export async function runMain(main: () => Promise<void>): Promise<never> {
  let failed = false;
  try {
    await main();
  } catch (error) {
    failed = true;
    console.error(error);
  }
  process.exit(failed ? 1 : 0);
}
