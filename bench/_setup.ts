/**
 * What the benchmarks need beyond the test setup (tests/_setup.ts, which the
 * tasks run first and which installs the dev dependencies, ioredis and
 * node-redis among them): `redis-benchmark`, from Debian's redis-tools
 * (which redis-server depends on, so it is normally there already).
 */
import { execFileSync, spawnSync } from "node:child_process";
import process from "node:process";

function has(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`]).status === 0;
}

if (!has("redis-benchmark")) {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (isRoot && has("apt-get")) {
    console.log(
      "bench setup: redis-benchmark not found; installing redis-tools with apt-get",
    );
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
    execFileSync("apt-get", ["install", "-y", "-qq", "redis-tools"], {
      stdio: "inherit",
    });
  } else {
    console.error(
      "bench setup: redis-benchmark not found; install it with: sudo apt-get install redis-tools",
    );
    process.exit(1);
  }
}
