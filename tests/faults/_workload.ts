/**
 * A mixed workload for the kill/restart test and the soak: concurrent
 * workers doing SET (each on its own key, with increasing values), INCR on
 * one shared counter, and GET, while the test kills and restarts the server.
 * It records what a user would: which calls resolved, which rejected and
 * with what code, and which never settled.
 */
import { type Client, ConnectionError, RedisError } from "../../mod.ts";

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
        const code = error instanceof RedisError
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
    for (let i = 0; Date.now() < options.stopAt; i++) {
      const op = i % 3;
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
        } else {
          await track(redis.get(key));
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

/**
 * Checks the server against the report: every confirmed SET is there (or a
 * later attempted one), and the counter counts each resolved INCR once, plus
 * at most the ones reported as maybe applied.
 */
export async function verify(
  redis: Client,
  report: WorkloadReport,
  prefix: string,
): Promise<{ lostWrites: number; doubleApplied: number; counter: number }> {
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
  return { lostWrites, doubleApplied, counter };
}
