/**
 * Makes sure what the test suite needs is on this machine: the dev
 * dependencies in node_modules and a redis-server on PATH (installed with
 * apt-get when this is a root shell on Debian/Ubuntu).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import process from "node:process";

function has(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`]).status === 0;
}

function run(command: string, args: string[]): void {
  execFileSync(command, args, { stdio: "inherit" });
}

/** Dev dependencies missing from node_modules or at another version. */
function missingDevDependencies(): string[] {
  const manifest = JSON.parse(readFileSync("package.json", "utf8")) as {
    devDependencies?: Record<string, string>;
  };
  return Object.entries(manifest.devDependencies ?? {}).filter(
    ([name, version]) => {
      const installed = `node_modules/${name}/package.json`;
      if (!existsSync(installed)) return true;
      return JSON.parse(readFileSync(installed, "utf8")).version !== version;
    },
  ).map(([name]) => name);
}

const stale = missingDevDependencies();
if (stale.length > 0) {
  console.log(
    `setup: installing dev dependencies with npm ci (${stale.join(", ")})`,
  );
  run("npm", ["ci", "--no-audit", "--no-fund"]);
}

// Bun comes from npm as a binary that signals reach directly (npx would
// stand in between). Its package puts the binary in place with an install
// script; run it again if npm skipped it.
const bun = "node_modules/.bin/bun";
if (spawnSync(bun, ["--version"], { stdio: "ignore" }).status !== 0) {
  console.log(`setup: ${bun} does not run; running its install script`);
  execFileSync("node", ["install.js"], {
    cwd: "node_modules/bun",
    stdio: "inherit",
  });
}

const needed = ["redis-server", "openssl"];
const missing = needed.filter((c) => !has(c));
if (missing.length > 0) {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (isRoot && has("apt-get")) {
    console.log(
      `setup: ${
        missing.join(", ")
      } not found; installing redis-server and openssl with apt-get`,
    );
    run("apt-get", ["update", "-qq"]);
    run("apt-get", [
      "install",
      "-y",
      "-qq",
      "redis-server",
      "redis-tools",
      "openssl",
    ]);
  } else {
    console.error(
      `setup: ${
        missing.join(", ")
      } not found; install it with: sudo apt-get install redis-server openssl`,
    );
    process.exit(1);
  }
}
