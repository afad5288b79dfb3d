/**
 * What clients, leases and views implement so that typed methods, pipelines
 * and transactions can send through them: two methods keyed by symbols, so
 * they stay out of the public surface's names.
 *
 * @module
 */

import type { Command } from "./commands/_command.ts";
import type { SendOptions } from "./commands/scan.ts";
import type { CommandOptions } from "./connection/connection.ts";
import type { RespValue } from "./resp/decode.ts";
import type { CommandArg } from "./resp/encode.ts";

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

const identity = (reply: RespValue): RespValue => reply;

/** A reply in RESP2's shapes: maps flattened, sets as arrays, booleans 1/0. */
function flatten(reply: RespValue): RespValue {
  if (typeof reply !== "object" || reply === null) {
    return typeof reply === "boolean" ? (reply ? 1 : 0) : reply;
  }
  if (Array.isArray(reply)) return reply.map(flatten);
  if (reply instanceof Map) {
    const flat: RespValue[] = [];
    for (const [key, value] of reply) flat.push(flatten(key), flatten(value));
    return flat;
  }
  if (reply instanceof Set) return [...reply].map(flatten);
  return reply;
}

/**
 * Sends any command through an executor and resolves with its reply as
 * decoded: what `send()` of clients, leases and views does.
 *
 * @param executor The client, lease or view.
 * @param args The command name and its arguments.
 * @param options `bytes`, `flat`, a timeout and a signal.
 * @returns The reply.
 */
export function sendArgs(
  executor: Executor,
  args: readonly CommandArg[],
  options?: SendOptions,
): Promise<RespValue> {
  if (!Array.isArray(args)) {
    return Promise.reject(
      new TypeError(
        `Cannot send the command as args must be an array, got ${typeof args}`,
      ),
    );
  }
  return executor[RUN](
    { args: args as CommandArg[], map: options?.flat ? flatten : identity },
    options,
  );
}

/**
 * Checks that a value is a command built by a command family: an object
 * with an `args` array and a `map` function.
 *
 * @param command The value given.
 * @param verb What could not be done with it, for the message ("run").
 * @throws {TypeError} When it is not a built command.
 */
export function checkCommand(command: unknown, verb: string): void {
  const built = command as Partial<Command<unknown>> | null | undefined;
  if (
    typeof built !== "object" || built === null ||
    !Array.isArray(built.args) || typeof built.map !== "function"
  ) {
    throw new TypeError(
      `Cannot ${verb} the command as it must be built by a command family (strings.get("k"), ...), got ${
        built === null ? "null" : typeof built
      }`,
    );
  }
}
