/**
 * Child processes started by tests. Each runs in a process group of its own,
 * so a signal reaches the program itself and whatever it started (never only
 * a launcher such as npx), and every group still running when the test
 * process exits is killed: a failed test cannot leave a process behind that
 * keeps the run from ending. Uses only node: modules, so it runs unchanged
 * under Deno, Bun and Node.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The repository's root directory. */
export const ROOT: string = fileURLToPath(new URL("..", import.meta.url).href);

/**
 * The path of a runtime's own binary, so that signals reach it: Bun from
 * npm as a dev dependency (the test setup runs `npm ci`); Deno as the tests
 * run it, which `npx -y deno@...` puts on PATH. (Deno is no dev dependency:
 * `deno task` would take node_modules/.bin/deno for a script of a package
 * and run the binary as JavaScript.)
 *
 * @param name `deno` or `bun`.
 * @returns The executable's path.
 */
export function devRuntime(name: "deno" | "bun"): string {
  const candidates = name === "bun"
    ? [join(ROOT, "node_modules", ".bin", "bun")]
    : (process.env.PATH ?? "").split(delimiter).filter(Boolean).map((dir) =>
      join(dir, "deno")
    );
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) {
    throw new Error(
      name === "bun"
        ? "Cannot find bun in node_modules/.bin: run `npx -y deno@2.9.6 task setup` (npm ci) first"
        : "Cannot find deno on PATH: run the tests with `npx -y deno@2.9.6 task test`",
    );
  }
  return found;
}

const running = new Set<ChildProcess>();

process.once("exit", () => {
  for (const child of running) signal(child, "SIGKILL");
});

/** Sends `name` to the child's whole process group. */
function signal(child: ChildProcess, name: "SIGTERM" | "SIGKILL"): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, name);
  } catch {
    // The group is gone already.
  }
}

/** Output and exit of a started process. */
export interface Started {
  readonly child: ChildProcess;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /**
   * Resolves with the exit code (null when killed by a signal) once the
   * process has exited and its output has been read to the end (or, when
   * something it started still holds the pipes, a moment later).
   */
  readonly exited: Promise<number | null>;
}

/**
 * Starts `command` in a process group of its own, collecting its output.
 *
 * @param command The program and its arguments.
 * @param options The working directory and the environment (added to this
 * process's; a variable set to `undefined` is removed).
 * @returns The started process.
 */
export function startProcess(
  command: readonly string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Started {
  const [program, ...args] = command;
  const env: Record<string, string> = {};
  for (
    const [name, value] of Object.entries({ ...process.env, ...options.env })
  ) {
    if (value !== undefined) env[name] = value;
  }
  const child = spawn(program, args, {
    cwd: options.cwd ?? ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  running.add(child);
  let output = "";
  const keep = (chunk: Uint8Array) => output += new TextDecoder().decode(chunk);
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once("error", (error) => {
      output += `\n${error.message}`;
      running.delete(child);
      resolve(null);
    });
    child.once("exit", (code) => {
      running.delete(child);
      // Whatever the program started and left behind goes with the group;
      // then the pipes close and the last output arrives.
      signal(child, "SIGKILL");
      const late = setTimeout(() => resolve(code), 2_000);
      child.once("close", () => {
        clearTimeout(late);
        resolve(code);
      });
    });
  });
  return { child, output: () => output, exited };
}

/**
 * Waits for a line of the process's output to match `pattern`.
 *
 * @returns The match.
 * @throws {Error} When the process exits first or `timeoutMs` passes (the
 * process group is then killed).
 */
export async function waitForOutput(
  started: Started,
  pattern: RegExp,
  timeoutMs: number,
): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  started.exited.then(() => exited = true);
  for (;;) {
    const match = started.output().match(pattern);
    if (match) return match;
    if (exited || Date.now() > deadline) {
      if (!exited) await stopProcess(started, 0);
      throw new Error(
        `${started.child.spawnfile} ${
          exited
            ? "exited"
            : `printed nothing matching ${pattern} in ${timeoutMs} ms`
        }:\n${started.output()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Stops the process group: SIGTERM, then SIGKILL after `graceMs`.
 *
 * @returns The exit code (null when it had to be killed by a signal).
 */
export async function stopProcess(
  started: Started,
  graceMs = 10_000,
): Promise<number | null> {
  if (!running.has(started.child)) return started.exited;
  signal(started.child, graceMs > 0 ? "SIGTERM" : "SIGKILL");
  const timer = setTimeout(() => signal(started.child, "SIGKILL"), graceMs);
  try {
    return await started.exited;
  } finally {
    clearTimeout(timer);
  }
}
