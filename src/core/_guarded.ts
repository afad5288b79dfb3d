/**
 * The rules a client applies to a command before it goes to the shared
 * connections, for the core client and the full one alike: a per-call
 * timeout is checked, a command that changes connection state is refused,
 * and a blocking command runs on a lease of its own.
 *
 * @module
 */

import type { Command } from "../commands/_command.ts";
import { blockTimeout, commandFacts, needsCare } from "../commands/_facts.ts";
import type { CommandOptions } from "../connection/connection.ts";
import type { AcquireOptions } from "../pool/types.ts";
import { checkTimeout, type Executor, RUN } from "../_executor.ts";
import { refusal } from "../_guard.ts";

/** What a client lends a blocking command: a lease of its own. */
export interface LeaseLender {
  /** Acquires a lease. */
  acquire(
    options?: AcquireOptions,
  ): Promise<Pick<Executor, typeof RUN> & { release(): Promise<void> }>;
}

/**
 * Runs one built command on a client: checks its timeout, refuses a
 * command that changes connection state, runs a blocking one on a lease
 * of its own, and passes any other to `next`.
 *
 * @param client Lends the lease of a blocking command.
 * @param acquireTimeout The pool's `acquireTimeout`, in milliseconds.
 * @param command The command.
 * @param options Per-call options.
 * @param next Sends a command that passed (with the key prefix, the cache,
 * the Sentinel follower of the full client, if any, in between).
 * @returns The mapped reply.
 */
export function runGuarded<T>(
  client: LeaseLender,
  acquireTimeout: number,
  command: Command<T>,
  options: CommandOptions | undefined,
  next: (command: Command<T>, options?: CommandOptions) => Promise<T>,
): Promise<T> {
  const args = command.args;
  if (options?.timeout !== undefined) {
    try {
      checkTimeout(options.timeout, String(args[0]));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  const facts = needsCare(args) ? commandFacts(args) : undefined;
  if (facts !== undefined && (facts.effect !== undefined || facts.blocking)) {
    const refused = refusal(facts, "client", true, false);
    if (refused !== undefined) return Promise.reject(new TypeError(refused));
    if (blockTimeout(facts, args) !== undefined) {
      return runBlocking(client, acquireTimeout, command, options);
    }
  }
  return next(command, options);
}

/** A blocking command, on a lease of its own so it never stalls others. */
async function runBlocking<T>(
  client: LeaseLender,
  acquireTimeout: number,
  command: Command<T>,
  options: CommandOptions | undefined,
): Promise<T> {
  // Waiting for the lease counts against the call's own timeout too.
  const timeout = options?.timeout;
  const lease = await client.acquire({
    signal: options?.signal,
    timeout: timeout === undefined
      ? undefined
      : Math.min(timeout, acquireTimeout),
  });
  try {
    return await lease[RUN](command, options);
  } finally {
    await lease.release();
  }
}

/**
 * Checks the per-call timeout of a batch (a pipeline, a transaction).
 *
 * @param options The batch's options.
 * @returns The error to reject with, or undefined.
 */
export function batchRefusal(
  options: CommandOptions | undefined,
): unknown {
  if (options?.timeout === undefined) return undefined;
  try {
    checkTimeout(options.timeout, "the batch");
  } catch (error) {
    return error;
  }
  return undefined;
}
