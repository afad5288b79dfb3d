/**
 * A mixed workload for the kill/restart test and the soak: concurrent
 * workers doing SET (each on its own key, with increasing values), INCR on
 * one shared counter, GET, MULTI blocks that increment two counters
 * together, and a job queue (RPUSH by most workers, BLPOP with a timeout
 * shorter than the wait by every tenth, so waits are cancelled), while the
 * test kills and restarts the server. It records what a user would: which
 * calls resolved, which rejected and with what code, which never settled,
 * and which jobs each call pushed or popped.
 */
import {
  type Client,
  ConnectionError,
  RedisError,
  ReplyError,
} from "../../mod.ts";

/** What the workload observed. */
export interface WorkloadReport {
  sent: number;
  resolved: number;
  rejectedByCode: Record<string, number>;
  /** The first message seen for each code, to tell what happened. */
  sampleMessages: Record<string, string>;
  /** Calls still pending when the workload's deadline passed (must be 0). */
  hung: number;
  /** INCRs that resolved. */
  incrResolved: number;
  /** INCRs that rejected saying they may have been applied. */
  incrMaybe: number;
  /** MULTI blocks (INCR a, INCR b) that resolved. */
  txResolved: number;
  /** MULTI blocks that rejected saying they may have been applied. */
  txMaybe: number;
  /** Jobs whose RPUSH resolved. */
  pushed: Set<string>;
  /** Jobs whose RPUSH may have been applied. */
  pushMaybe: number;
  /** Jobs BLPOP handed to a caller, in order. */
  popped: string[];
  /** BLPOPs that rejected saying they may have taken a job. */
  popMaybe: number;
  /** Per worker key: the last value a SET resolved for, and later attempts. */
  keys: Map<string, { confirmed: number; attemptedAfter: number[] }>;
  /** Milliseconds from each restart to the first command that resolved. */
  recoveries: number[];
}

/** Runs the workload until `stopAt`; `restarts` receives restart times. */
export async function runWorkload(
  redis: Client,
  options: {
    workers: number;
    stopAt: number;
    prefix: string;
    restartTimes: number[];
  },
): Promise<WorkloadReport> {
  const report: WorkloadReport = {
    sent: 0,
    resolved: 0,
    rejectedByCode: {},
    sampleMessages: {},
    hung: 0,
    incrResolved: 0,
    incrMaybe: 0,
    txResolved: 0,
    txMaybe: 0,
    pushed: new Set(),
    pushMaybe: 0,
    popped: [],
    popMaybe: 0,
    keys: new Map(),
    recoveries: [],
  };
  const pending = new Set<Promise<unknown>>();
  const firstSuccessAfter = new Map<number, number>();

  const track = <T>(promise: Promise<T>): Promise<T> => {
    report.sent++;
    pending.add(promise);
    return promise.then(
      (value) => {
        pending.delete(promise);
        report.resolved++;
        const now = Date.now();
        for (const restart of options.restartTimes) {
          if (now >= restart && !firstSuccessAfter.has(restart)) {
            firstSuccessAfter.set(restart, now - restart);
          }
        }
        return value;
      },
      (error) => {
        pending.delete(promise);
        // Server errors by their prefix: a LOADING answer after the call's
        // deadline is not the same story as a WRONGTYPE.
        const code = error instanceof ReplyError
          ? `REPLY:${error.prefix}`
          : error instanceof RedisError
          ? error.code
          : String(error?.name);
        report.rejectedByCode[code] = (report.rejectedByCode[code] ?? 0) + 1;
        report.sampleMessages[code] ??= String(error?.message);
        throw error;
      },
    );
  };

  const worker = async (id: number) => {
    const key = `${options.prefix}:w${id}`;
    const state = { confirmed: 0, attemptedAfter: [] as number[] };
    report.keys.set(key, state);
    let next = 1;
    let job = 0;
    const jobs = `${options.prefix}:jobs`;
    const maybe = (error: unknown) =>
      error instanceof ConnectionError && error.mayHaveBeenApplied;
    for (let i = 0; Date.now() < options.stopAt; i++) {
      const op = i % 5;
      try {
        if (op === 0) {
          const value = next++;
          state.attemptedAfter.push(value);
          await track(redis.set(key, String(value)));
          state.confirmed = value;
          state.attemptedAfter = [];
        } else if (op === 1) {
          try {
            await track(redis.incr(`${options.prefix}:counter`));
            report.incrResolved++;
          } catch (error) {
            if (error instanceof ConnectionError && error.mayHaveBeenApplied) {
              report.incrMaybe++;
            }
            throw error;
          }
        } else if (op === 2) {
          await track(redis.get(key));
        } else if (op === 3) {
          try {
            await track(
              redis.multi().incr(`${options.prefix}:txa`)
                .incr(`${options.prefix}:txb`).exec(),
            );
            report.txResolved++;
          } catch (error) {
            if (maybe(error)) report.txMaybe++;
            throw error;
          }
        } else if (id % 10 === 0) {
          try {
            // Waits up to 200 ms on the server, but gives up after 150:
            // cancelled waits must take nothing.
            const got = await track(
              redis.withOptions({ timeout: 150 }).blpop(jobs, 0.2),
            );
            if (got !== null) report.popped.push(got.element);
          } catch (error) {
            if (maybe(error)) report.popMaybe++;
            throw error;
          }
        } else {
          const value = `${id}.${job++}`;
          try {
            await track(redis.rpush(jobs, value));
            report.pushed.add(value);
          } catch (error) {
            if (maybe(error)) report.pushMaybe++;
            throw error;
          }
        }
      } catch {
        // Counted by track(); a worker pauses briefly after a failure so a
        // down server is not spun on.
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  };

  await Promise.all(
    Array.from({ length: options.workers }, (_, id) => worker(id)),
  );
  // Every call a worker made was awaited, so none can still be pending; the
  // set is checked anyway in case a call escaped.
  report.hung = pending.size;
  for (const restart of options.restartTimes) {
    const recovery = firstSuccessAfter.get(restart);
    if (recovery !== undefined) report.recoveries.push(recovery);
  }
  return report;
}

/** What the server holds compared with what the workload was told. */
export interface Verdict {
  /** Acknowledged writes the server does not have. */
  lostWrites: number;
  /** Writes applied more often than acknowledged plus maybe applied. */
  doubleApplied: number;
  /** MULTI blocks applied in part (txa and txb differ). */
  torn: number;
  /** The shared INCR counter. */
  counter: number;
}

/**
 * Checks the server against the report: every confirmed SET is there (or a
 * later attempted one); the counter counts each resolved INCR once, plus at
 * most the ones reported as maybe applied; both MULTI counters are equal
 * and count each resolved block once (plus maybe applied); and every pushed
 * job is in the list or was handed to exactly one caller (a BLPOP that may
 * have taken one excuses one missing job).
 */
export async function verify(
  redis: Client,
  report: WorkloadReport,
  prefix: string,
): Promise<Verdict> {
  let lostWrites = 0;
  for (const [key, state] of report.keys) {
    const stored = Number(await redis.get(key) ?? 0);
    if (stored !== state.confirmed && !state.attemptedAfter.includes(stored)) {
      lostWrites++;
    }
  }
  const counter = Number(await redis.get(`${prefix}:counter`) ?? 0);
  const doubleApplied = Math.max(
    0,
    counter - report.incrResolved - report.incrMaybe,
  );
  if (counter < report.incrResolved) {
    lostWrites += report.incrResolved - counter;
  }
  const txa = Number(await redis.get(`${prefix}:txa`) ?? 0);
  const txb = Number(await redis.get(`${prefix}:txb`) ?? 0);
  const torn = txa === txb ? 0 : 1;
  let doubled = Math.max(0, txa - report.txResolved - report.txMaybe);
  lostWrites += Math.max(0, report.txResolved - txa);
  const left = await redis.lrange(`${prefix}:jobs`, 0, -1);
  const seen = new Map<string, number>();
  for (const job of [...report.popped, ...left]) {
    seen.set(job, (seen.get(job) ?? 0) + 1);
  }
  for (const count of seen.values()) doubled += count - 1;
  let missing = 0;
  for (const job of report.pushed) if (!seen.has(job)) missing++;
  lostWrites += Math.max(0, missing - report.popMaybe);
  return { lostWrites, doubleApplied: doubleApplied + doubled, torn, counter };
}
