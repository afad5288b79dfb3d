/**
 * The soak: 100 concurrent callers for 30 s (SOAK_SECONDS) while the server
 * is SIGKILLed every 5 s (SOAK_KILL_EVERY) and restarted 1 s later, with
 * MULTI blocks and cancelled blocking pops in the mix. Prints what it
 * observed; exits non-zero if a call hung, a write was lost, a write or job
 * was applied twice, or a MULTI block was applied in part. Run with `deno task soak` (or bun tests/faults/soak.ts).
 */
import process from "node:process";
import { createClient } from "../../mod.ts";
import { startRedis } from "../_redis.ts";
import { sleep } from "../_util.ts";
import { runWorkload, verify } from "./_workload.ts";

const seconds = Number(process.env.SOAK_SECONDS ?? 30);
const killEvery = Number(process.env.SOAK_KILL_EVERY ?? 5) * 1_000;

const server = await startRedis({
  args: ["--appendonly", "yes", "--appendfsync", "always"],
});
const redis = createClient(server.url, {
  commandTimeout: 1_000,
  connectTimeout: 500,
  pool: { max: 4 },
  reconnect: (attempt) => Math.min(50 * attempt, 200),
});
let exitCode = 0;
try {
  await redis.connect();
  const start = Date.now();
  const stopAt = start + seconds * 1_000;
  const restartTimes: number[] = [];
  const workload = runWorkload(redis, {
    workers: 100,
    stopAt,
    prefix: "soak",
    restartTimes,
  });
  let kills = 0;
  for (let at = start + killEvery; at + 1_000 < stopAt; at += killEvery) {
    await sleep(at - Date.now());
    await server.kill();
    kills++;
    await sleep(1_000);
    await server.restart();
    restartTimes.push(Date.now());
  }
  const report = await workload;
  const check = await verify(redis, report, "soak");
  const recoveries = report.recoveries;
  const summary = {
    runtime: typeof (globalThis as { Bun?: unknown }).Bun !== "undefined"
      ? "bun"
      : "deno",
    seconds,
    kills,
    sent: report.sent,
    resolved: report.resolved,
    rejectedByCode: report.rejectedByCode,
    sampleMessages: report.sampleMessages,
    hung: report.hung,
    lostWrites: check.lostWrites,
    doubleApplied: check.doubleApplied,
    tornTransactions: check.torn,
    incrResolved: report.incrResolved,
    incrMaybeApplied: report.incrMaybe,
    transactionsResolved: report.txResolved,
    transactionsMaybeApplied: report.txMaybe,
    jobsPushed: report.pushed.size,
    jobsPopped: report.popped.length,
    popsMaybeTaken: report.popMaybe,
    counter: check.counter,
    recoveryMs: {
      max: Math.max(...recoveries),
      median: recoveries.sort((a, b) =>
        a - b
      )[Math.floor(recoveries.length / 2)],
    },
    stats: redis.stats(),
  };
  console.log(JSON.stringify(summary, null, 2));
  if (
    report.hung !== 0 || check.lostWrites !== 0 ||
    check.doubleApplied !== 0 || check.torn !== 0
  ) exitCode = 1;
} finally {
  await redis.close(1_000);
  await server.stop();
}
process.exit(exitCode);
