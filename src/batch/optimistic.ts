/**
 * Optimistic locking: WATCH, read, MULTI ... EXEC on one lease, run again
 * while a watched key changed. The loop is the same for any lease, so a
 * client for one server and, later, one for a cluster node share it.
 *
 * @module
 */

import { key } from "../commands/_command.ts";
import type { CommandArg } from "../resp/encode.ts";
import type { Executor } from "../_executor.ts";
import type { AcquireOptions } from "../pool/types.ts";
import {
  Transaction,
  transactionExecutor,
  type TransactionOptions,
  type TransactionResults,
} from "./transaction.ts";

/** What the loop needs of a lease. */
export interface OptimisticLease extends Executor {
  send(args: readonly CommandArg[]): Promise<unknown>;
  release(): Promise<void>;
}

/**
 * Runs `fn` on a lease of its own after WATCHing `options.watch`, executes
 * the transaction it returns, and runs it again while a watched key changed,
 * up to `options.retries` times. The lease is released in every case.
 *
 * @param acquire Leases a connection.
 * @param fn Reads through the lease and returns `lease.multi()...`.
 * @param options The keys to WATCH, the retries, and the acquire options.
 * @returns The results, or `null` when a watched key changed every time.
 * @throws {TypeError} When `fn` is not a function or does not return a
 * transaction built on the lease it was given, or an option has the wrong
 * type.
 * @throws {RangeError} When `retries` is negative.
 */
export async function runOptimistic<
  L extends OptimisticLease,
  R extends unknown[],
>(
  acquire: (options: AcquireOptions) => Promise<L>,
  fn: (lease: L) => Transaction<R> | Promise<Transaction<R>>,
  options?: TransactionOptions,
): Promise<TransactionResults<R> | null> {
  if (typeof fn !== "function") {
    throw new TypeError(
      `Cannot run the transaction as fn must be a function, got ${typeof fn}`,
    );
  }
  const retries = options?.retries ?? 5;
  if (typeof retries !== "number" || !Number.isInteger(retries)) {
    throw new TypeError(
      `Cannot run the transaction as retries must be an integer, got ${retries}`,
    );
  }
  if (retries < 0) {
    throw new RangeError(
      `Cannot run the transaction as retries must be 0 or more, got ${retries}`,
    );
  }
  const watch = options?.watch ?? [];
  if (!Array.isArray(watch)) {
    throw new TypeError(
      "Cannot run the transaction as watch must be an array of keys",
    );
  }
  const watchCommand = watch.length === 0
    ? undefined
    : ["WATCH", ...watch.map((k, i) => key(`watch[${i}]`, k))];
  const lease = await acquire({
    signal: options?.signal,
    timeout: options?.timeout,
  });
  try {
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (watchCommand !== undefined) await lease.send(watchCommand);
      const transaction = await fn(lease);
      if (
        !(transaction instanceof Transaction) ||
        transactionExecutor(transaction) !== lease
      ) {
        throw new TypeError(
          "Cannot run the transaction as fn must return a transaction built with lease.multi() on the lease it was given",
        );
      }
      const results = await transaction.exec();
      if (results !== null) return results;
    }
    return null;
  } finally {
    // An error may leave WATCH set; the pool undoes it on release.
    await lease.release();
  }
}
