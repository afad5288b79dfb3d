/**
 * The test suite's own process handling: a child and whatever it starts go
 * down together, so a test cannot leave a process behind that keeps the run
 * from ending.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { startProcess, stopProcess, waitForOutput } from "./_process.ts";
import { waitFor } from "./_util.ts";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test(
  "stopProcess() ends the child and what it started, and reports the exit",
  { timeout: 30_000 },
  async () => {
    // A launcher (sh) that starts the real program (sleep) in the
    // background and waits: a signal to the launcher alone would leave
    // sleep running, as npx left Bun running before.
    const started = startProcess([
      "sh",
      "-c",
      "sleep 60 & echo grandchild $!; wait",
    ]);
    const [, pid] = await waitForOutput(started, /grandchild (\d+)\n/, 10_000);
    assert.ok(alive(Number(pid)));
    const code = await stopProcess(started, 2_000);
    assert.notEqual(code, 0);
    await waitFor(() => !alive(Number(pid)), 5_000);
  },
);
