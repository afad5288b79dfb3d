/**
 * What clients, leases and views implement so that typed methods, pipelines
 * and transactions can send through them: two methods keyed by symbols, so
 * they stay out of the public surface's names.
 *
 * @module
 */

import type { Command } from "./commands/_command.ts";
import type { CommandOptions } from "./connection/connection.ts";
import type { RespValue } from "./resp/decode.ts";

/** The key of the method that runs one built command. */
export const RUN: unique symbol = Symbol("respool.run");

/**
 * The key of the method that sends built commands as one unit on one
 * connection: one write, nothing in between, one timeout and one retry.
 */
export const BATCH: unique symbol = Symbol("respool.batch");

/**
 * The key of the getter that says whether the executor sends over the
 * client's shared, multiplexed connections (so pipelines and transactions
 * refuse what would disturb other callers).
 */
export const SHARED: unique symbol = Symbol("respool.shared");

/**
 * The key of the getter for the executor's `keyPrefix` (`scan()` puts it
 * before its pattern and takes it off the keys it yields).
 */
export const PREFIX: unique symbol = Symbol("respool.prefix");

/** Something typed methods, pipelines and transactions can send through. */
export interface Executor {
  /** Whether commands go over the shared connections. */
  readonly [SHARED]: boolean;
  /** Runs one built command and maps its reply. */
  [RUN]<T>(command: Command<T>, options?: CommandOptions): Promise<T>;
  /**
   * Sends built commands as one unit and resolves with their raw replies
   * in order (server errors as `ReplyError` values); rejects when the unit
   * as a whole failed (connection, timeout, abort, closed).
   */
  [BATCH](
    batch: readonly Command<unknown>[],
    options?: CommandOptions,
  ): Promise<RespValue[]>;
}

/**
 * Checks a per-call timeout: a positive number of milliseconds, or
 * `Infinity` for none.
 *
 * @param timeout The value given.
 * @param what What it is the timeout of, for the message.
 * @throws {TypeError} When it is not a number.
 * @throws {RangeError} When it is not positive.
 */
export function checkTimeout(timeout: unknown, what: string): void {
  if (typeof timeout !== "number") {
    throw new TypeError(
      `Cannot send ${what} as timeout must be a number of milliseconds, got ${typeof timeout}`,
    );
  }
  if (!(timeout > 0)) {
    throw new RangeError(
      `Cannot send ${what} as timeout must be more than 0 milliseconds (Infinity for no limit), got ${timeout}`,
    );
  }
}
