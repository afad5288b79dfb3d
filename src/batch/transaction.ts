/**
 * Transactions: commands queued locally and sent as one MULTI ... EXEC
 * block that nothing can come between, read back with each command's own
 * reply mapper.
 *
 * @module
 */

import type { RespValue } from "../resp/decode.ts";
import type { CommandArg } from "../resp/encode.ts";
import type { Command, RedisKey } from "../commands/_command.ts";
import type { CommandTable } from "../commands/table.ts";
import { BATCH, type Executor } from "../_executor.ts";
import type { AcquireOptions } from "../pool/pool.ts";
import { ProtocolError, ReplyError } from "../errors.ts";
import { installCommands } from "../commands/_install.ts";
import {
  CommandList,
  type ExecOptions,
  mapReply,
  type QueueOptions,
  toText,
} from "./_batch.ts";

/**
 * What a transaction's `exec()` resolves to: each command's result in
 * order, or the `ReplyError` the server answered it with inside EXEC (Redis
 * runs the other commands regardless).
 */
export type TransactionResults<R extends unknown[]> = {
  [K in keyof R]: R[K] | Error;
};

/**
 * Each builder of the command table as a chainable method of
 * {@linkcode Transaction}: it queues the command and adds its result type
 * to the tuple `exec()` resolves to.
 */
export type TransactionCommands<R extends unknown[]> = {
  [K in keyof CommandTable]: CommandTable[K] extends
    (...args: infer A) => Command<infer T>
    ? (...args: A) => Transaction<[...R, T]>
    : never;
};

/** Options of {@linkcode Client.transaction}. */
export interface TransactionOptions extends AcquireOptions {
  /**
   * Keys to WATCH before each attempt: when another client changes one of
   * them before EXEC, the attempt is discarded and `fn` runs again.
   *
   * @default {[]}
   */
  watch?: readonly RedisKey[];
  /**
   * How many times to run `fn` again after a WATCHed key changed, before
   * giving up and resolving to `null`.
   *
   * @default {5}
   */
  retries?: number;
}

let executorOf: (transaction: Transaction<unknown[]>) => Executor;

/**
 * The client or lease a transaction sends through (for
 * `client.transaction()`, which checks that `fn` built it on its lease).
 * Not exported from mod.ts.
 *
 * @param transaction A transaction.
 * @returns Its executor.
 */
export function transactionExecutor(
  transaction: Transaction<unknown[]>,
): Executor {
  return executorOf(transaction);
}

/**
 * The chainable command methods of {@linkcode Transaction}, one per builder. (The
 * class and this interface merge: the interface declares the derived
 * methods, the static block of the class installs them.)
 */
export interface Transaction<R extends unknown[] = []>
  extends TransactionCommands<R> {}

/**
 * A MULTI/EXEC transaction: commands queued locally, then sent as MULTI,
 * the commands and EXEC back to back in one write on one connection, so
 * nothing from other callers can come between them even on the client's
 * shared connections. Create one with `client.multi()` or `lease.multi()`;
 * it has a chainable method per typed command, and `send()` for any other.
 *
 * `exec()` resolves to the typed results in order. Redis runs every queued
 * command even when one fails at run time (WRONGTYPE, ...): such a slot
 * holds its `ReplyError`. When the server refuses a command while queuing
 * it (unknown command, wrong arity), it runs none and `exec()` rejects with
 * the EXECABORT `ReplyError`. The block travels as one unit: when the
 * server is still loading its data it is sent again whole, within its
 * deadline, and never in parts. On a lease, after WATCH, `exec()` resolves
 * to `null` when a watched key changed; `client.transaction()` wraps that
 * loop.
 *
 * A transaction on the client refuses commands that change connection
 * state (SELECT, WATCH, ...); use one on a lease for those.
 *
 * @example An atomic block and optimistic locking
 * ```ts ignore
 * import { createClient } from "@respool/redis";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * const [n, ok] = await redis.multi().incr("visits").expire("visits", 60).exec();
 *
 * {
 *   await using conn = await redis.acquire();
 *   await conn.send(["WATCH", "balance"]);
 *   const balance = Number(await conn.get("balance"));
 *   const replies = await conn.multi().set("balance", balance - 10).exec();
 *   if (replies === null) console.log("balance changed meanwhile: try again");
 * }
 * ```
 */
export class Transaction<R extends unknown[] = []> {
  readonly #list: CommandList;

  static {
    installCommands(Transaction.prototype, (self, command) => {
      (self as Transaction).#list.queue(command);
      return self;
    });
    executorOf = (transaction) => transaction.#list.executor;
  }

  /**
   * Constructs an empty transaction; use `client.multi()` or `lease.multi()`
   * instead.
   *
   * @param executor The client or lease that sends the commands.
   * @param shared Whether the executor sends over shared, multiplexed
   * connections (a client): commands that change connection state are then
   * refused.
   */
  constructor(executor: Executor, shared = false) {
    this.#list = new CommandList(executor, shared, "transaction");
  }

  /** The number of commands queued. */
  get length(): number {
    return this.#list.length;
  }

  /**
   * Queues any command; its slot in the result holds the reply as decoded.
   *
   * @param args The command name and its arguments.
   * @param options `bytes: true` returns bulk strings as `Uint8Array`.
   * @returns This transaction, typed with one more result.
   * @throws {TypeError} When `args` is not a non-empty array, when the
   * transaction was executed or discarded, or (on the client) when the
   * command changes connection state.
   */
  send(
    args: readonly CommandArg[],
    options?: QueueOptions,
  ): Transaction<[...R, RespValue]> {
    this.#list.queueRaw(args, options);
    return this as unknown as Transaction<[...R, RespValue]>;
  }

  /**
   * Drops the queued commands without sending anything (nothing reaches the
   * server before `exec()`). A second call does nothing.
   *
   * @throws {TypeError} When the transaction was already executed.
   */
  discard(): void {
    if (this.#list.executed) {
      throw new TypeError(
        "Cannot discard the transaction as it was already executed",
      );
    }
    try {
      this.#list.take("discard").length = 0;
    } catch {
      // Discarded already: nothing to do.
    }
  }

  /**
   * Sends MULTI, the queued commands and EXEC as one block in one write,
   * and reads EXEC's reply with each command's own reply mapper.
   *
   * @param options A timeout for the replies and an abort signal.
   * @returns The results in order (a command that failed inside EXEC holds
   * its `ReplyError`), or `null` when a WATCHed key changed and the server
   * ran nothing.
   * @throws {TypeError} When the transaction was already executed or
   * discarded (thrown synchronously).
   * @throws {RangeError} When `timeout` is not above 0 (thrown
   * synchronously; `Infinity` means no limit).
   * @throws {ReplyError} When the server refused a command while queuing it
   * (EXECABORT) or refused MULTI.
   * @throws {ConnectionError} When the connection failed before EXEC's
   * reply: whether the transaction ran is then unknown.
   * @throws {TimeoutError} When the replies did not come in time.
   */
  exec(options?: ExecOptions): Promise<TransactionResults<R> | null> {
    return this.#send(this.#list.take("execute", options), options);
  }

  async #send(
    commands: Command<unknown>[],
    options: ExecOptions | undefined,
  ): Promise<TransactionResults<R> | null> {
    const bytes = commands.some((command) => command.bytes === true);
    const batch: Command<unknown>[] = [MULTI];
    for (const command of commands) {
      batch.push({ args: command.args, map: identity });
    }
    batch.push(bytes ? EXEC_BYTES : EXEC);
    const replies = await this.#list.executor[BATCH](
      batch,
      options === undefined
        ? undefined
        : { timeout: options.timeout, signal: options.signal },
    );
    const multi = replies[0];
    if (multi instanceof ReplyError) throw mapReply(MULTI, multi);
    const exec = replies[replies.length - 1];
    if (exec instanceof ReplyError) {
      const error = mapReply(EXEC, exec) as ReplyError;
      // EXECABORT does not say which command the server refused: attach
      // that command's error as the standard `cause`.
      const refused = replies.findIndex((reply, i) =>
        i > 0 && reply instanceof ReplyError
      );
      if (refused !== -1 && refused !== replies.length - 1) {
        Object.defineProperty(error, "cause", {
          value: mapReply(commands[refused - 1], replies[refused]),
          writable: true,
          configurable: true,
        });
      }
      throw error;
    }
    if (exec === null) return null;
    if (!Array.isArray(exec) || exec.length !== commands.length) {
      throw new ProtocolError(
        `Cannot read the EXEC reply as it does not hold one reply for each of the ${commands.length} commands`,
      );
    }
    return exec.map((value, i) => {
      const command = commands[i];
      return mapReply(
        command,
        bytes && !command.bytes && !(value instanceof ReplyError)
          ? toText(value)
          : value,
      );
    }) as unknown as TransactionResults<R>;
  }
}

const identity = (reply: RespValue): RespValue => reply;
const MULTI: Command<RespValue> = { args: ["MULTI"], map: identity };
const EXEC: Command<RespValue> = { args: ["EXEC"], map: identity };
const EXEC_BYTES: Command<RespValue> = {
  args: ["EXEC"],
  map: identity,
  bytes: true,
};
