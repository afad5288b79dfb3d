/**
 * CPU pinning for the benchmarks (Linux `taskset`): by default redis-server
 * on one core and the clients on another (`BENCH_PIN=split`); with
 * `BENCH_PIN=same` all of them on one core; `BENCH_PIN=0` pins nothing.
 *
 * Why: on this 2-core machine a GET answered on the client's own core is
 * about three times faster than one that wakes the other core, and the
 * scheduler picks one or the other from run to run, so unpinned sequential
 * figures jump between two modes. Pinned, every client always pays the same
 * cross-core round trip, as it would against a server elsewhere. On one
 * core (`same`) a round trip costs no wake-up of another core, so each
 * client's own CPU time per command weighs more. Pinning is skipped where
 * `taskset` is missing or the machine has one core.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { cpus } from "node:os";
import process from "node:process";

/** The core the clients (and redis-benchmark) get. */
export const CLIENT_CORE = 0;

/** `split`, `same` or `off`, from `BENCH_PIN`. */
export function pinMode(): "split" | "same" | "off" {
  const wanted = process.env.BENCH_PIN ?? "split";
  if (wanted === "0" || wanted === "off") return "off";
  if (wanted !== "split" && wanted !== "same") {
    throw new RangeError(
      `Cannot pin as BENCH_PIN=${wanted}: use split, same or 0`,
    );
  }
  if (process.platform !== "linux" || cpus().length < 2) return "off";
  if (spawnSync("sh", ["-c", "command -v taskset"]).status !== 0) return "off";
  return wanted;
}

/** Whether pinning is on. */
export function pinning(): boolean {
  return pinMode() !== "off";
}

/** The core the server gets: the other one, or the clients' (`same`). */
export function serverCore(): number {
  return pinMode() === "same" ? CLIENT_CORE : 1;
}

/** How the run was pinned, for reports. */
export function describePinning(): string {
  switch (pinMode()) {
    case "split":
      return `redis-server on core ${serverCore()}; clients and redis-benchmark on core ${CLIENT_CORE} (taskset; BENCH_PIN=split)`;
    case "same":
      return `redis-server, clients and redis-benchmark all on core ${CLIENT_CORE} (taskset; BENCH_PIN=same)`;
    default:
      return "none (BENCH_PIN=0)";
  }
}

function pinPid(pid: number, core: number): boolean {
  return spawnSync("taskset", ["-a", "-p", "-c", String(core), String(pid)])
    .status === 0;
}

/**
 * Pins the redis-server listening on `port` (found by its process title,
 * `redis-server 127.0.0.1:<port>`) and all its threads to
 * {@linkcode serverCore}.
 *
 * @returns Whether it was pinned.
 */
export function pinServer(port: number): boolean {
  if (!pinning()) return false;
  const found = spawnSync("pgrep", ["-f", `redis-server 127.0.0.1:${port}$`], {
    encoding: "utf8",
  });
  const pids = String(found.stdout ?? "").split("\n").map(Number).filter((
    n,
  ) => n > 0);
  return pids.length > 0 && pids.every((pid) => pinPid(pid, serverCore()));
}

/**
 * Pins this process (all threads) to the client core.
 *
 * @returns Whether it was pinned.
 */
export function pinSelf(): boolean {
  return pinning() && pinPid(process.pid, CLIENT_CORE);
}

/** `command` prefixed with `taskset -c <client core>` when pinning is on. */
export function onClientCore(command: string[]): string[] {
  return pinning()
    ? ["taskset", "-c", String(CLIENT_CORE), ...command]
    : command;
}
