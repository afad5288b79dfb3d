/**
 * Fault suite, part 2: the server is SIGKILLed under 100 concurrent callers
 * and restarted a second later. With appendfsync always, whatever the server
 * acknowledged survives the kill, so the check is exact.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "../../mod.ts";
import { startRedis } from "../_redis.ts";
import { sleep } from "../_util.ts";
import { runWorkload, verify } from "./_workload.ts";

test(
  "Client under 100 concurrent callers settles every call, loses and doubles nothing when the server is killed and restarted",
  {
    timeout: 60_000,
  },
  async () => {
    const server = await startRedis({
      args: ["--appendonly", "yes", "--appendfsync", "always"],
    });
    const redis = createClient(server.url, {
      commandTimeout: 1_000,
      connectTimeout: 500,
      pool: { max: 4 },
      reconnect: (attempt) => Math.min(50 * attempt, 200),
    });
    try {
      await redis.connect();
      const start = Date.now();
      const killAt = start + 1_000;
      const restartAt = killAt + 1_000;
      const restartTimes: number[] = [];
      const workload = runWorkload(redis, {
        workers: 100,
        stopAt: restartAt + 2_500,
        prefix: "kill",
        restartTimes,
      });
      await sleep(killAt - Date.now());
      await server.kill();
      await sleep(restartAt - Date.now());
      await server.restart();
      restartTimes.push(Date.now());
      const report = await workload;
      const check = await verify(redis, report, "kill");
      assert.equal(report.hung, 0);
      assert.equal(check.lostWrites, 0, JSON.stringify(report.rejectedByCode));
      assert.equal(check.doubleApplied, 0);
      assert.equal(check.torn, 0);
      assert.ok(report.txResolved > 0 && report.popped.length > 0);
      assert.ok(report.resolved > 1_000, `resolved ${report.resolved}`);
      assert.ok(
        Object.keys(report.rejectedByCode).every((code) =>
          // Blocking pops wait for a lease within their own timeout; a
          // server still loading its data after a call's deadline says so.
          [
            "CONNECTION",
            "TIMEOUT",
            "POOL_TIMEOUT",
            "QUEUE_FULL",
            "REPLY:LOADING",
          ].includes(code)
        ),
        JSON.stringify([report.rejectedByCode, report.sampleMessages]),
      );
      // Commands succeed again within 2 s of the restart.
      assert.equal(report.recoveries.length, 1);
      assert.ok(
        report.recoveries[0] < 2_000,
        `recovered after ${report.recoveries[0]} ms`,
      );
      assert.ok(redis.stats().reconnects >= 1);
    } finally {
      await redis.close(1_000);
      await server.stop();
    }
  },
);
