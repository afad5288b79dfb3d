/**
 * Pipelines: commands queued locally and sent together in one write, with
 * every reply (or error) returned in order.
 *
 * @module
 */

import type { CommandOptions } from "./connection.ts";
import type { RespValue } from "./resp/decode.ts";
import { type CommandArg, commandName } from "./resp/encode.ts";
import type { Command } from "./commands/_command.ts";
import type { CommandTable } from "./commands/table.ts";
import type { RedisCommands } from "./commands/methods.ts";
import { BATCH, installCommands } from "./commands/_install.ts";
import { asError, checkArgs, checkShared } from "./_batch.ts";

/** Options of {@linkcode Pipeline.exec} and {@linkcode Transaction.exec}. */
export interface ExecOptions {
  /**
   * How long to wait for each reply, in milliseconds; `0` waits for ever.
   *
   * @default {the client's commandTimeout}
   */
  timeout?: number;
  /**
   * Gives up when aborted: `exec()` rejects with the signal's reason and the
   * replies that still arrive are dropped.
   */
  signal?: AbortSignal;
}

/** Options of {@linkcode Pipeline.send} and {@linkcode Transaction.send}. */
export interface QueueOptions {
  /**
   * Return bulk strings in this command's reply as `Uint8Array`.
   *
   * @default {false}
   */
  bytes?: boolean;
}

/**
 * What a pipeline's `exec()` resolves to: each command's result in order,
 * or the `Error` it failed with (a `ReplyError` from the server, a
 * `ConnectionError`, a `TimeoutError`, ...).
 */
export type PipelineResults<R extends unknown[]> = {
  [K in keyof R]: R[K] | Error;
};

/**
 * Each builder of the command table as a chainable method of
 * {@linkcode Pipeline}: it queues the command and adds its result type to
 * the tuple `exec()` resolves to.
 */
export type PipelineCommands<R extends unknown[]> = {
  [K in keyof CommandTable]: CommandTable[K] extends
    (...args: infer A) => Command<infer T> ? (...args: A) => Pipeline<[...R, T]>
    : never;
};

/**
 * The chainable command methods of {@linkcode Pipeline}, one per builder. (The
 * class and this interface merge: the interface declares the derived
 * methods, the static block of the class installs them.)
 */
export interface Pipeline<R extends unknown[] = []>
  extends PipelineCommands<R> {}

/**
 * Commands queued locally and sent together, back to back in one write on
 * one connection, when `exec()` is called. Create one with
 * `client.pipeline()` or `lease.pipeline()`; it has a chainable method per
 * typed command, and `send()` for any other.
 *
 * `exec()` resolves to every result in order. A command that fails does not
 * fail the others: its slot holds its `ReplyError` (or, when the connection
 * fails, the `ConnectionError` / `TimeoutError` it got), so the shape of the
 * result never depends on what failed. Check a slot with
 * `instanceof Error` before using it.
 *
 * A pipeline on the client refuses commands that change connection state
 * (SELECT, WATCH, ...) or block (BLPOP, ...), which would disturb other
 * callers' commands on the shared connections; use a pipeline on a lease
 * for those. A pipeline is not a transaction: other clients' commands may
 * run between its commands on the server. Use `multi()` for atomicity.
 *
 * @example Several commands in one round trip
 * ```ts ignore
 * import { createClient } from "@respool/redis";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * const [ok, n, text] = await redis.pipeline()
 *   .set("greeting", "hello")
 *   .incr("visits")
 *   .get("greeting")
 *   .exec();
 * if (n instanceof Error) throw n;
 * console.log(ok, n + 1, text); // "OK" 2 "hello"
 * ```
 */
export class Pipeline<R extends unknown[] = []> {
  readonly #executor: RedisCommands;
  readonly #shared: boolean;
  readonly #commands: Command<unknown>[] = [];
  #executed = false;

  static {
    installCommands(
      Pipeline.prototype,
      (self, command) => (self as Pipeline<unknown[]>).#queue(command),
    );
  }

  /**
   * Constructs an empty pipeline; use `client.pipeline()` or
   * `lease.pipeline()` instead.
   *
   * @param executor The client or lease that sends the commands.
   * @param shared Whether the executor sends over shared, multiplexed
   * connections (a client): commands that change connection state or block
   * are then refused.
   */
  constructor(executor: RedisCommands, shared = false) {
    this.#executor = executor;
    this.#shared = shared;
  }

  /** The number of commands queued. */
  get length(): number {
    return this.#commands.length;
  }

  #queue(command: Command<unknown>): this {
    if (this.#executed) {
      throw new TypeError(
        `Cannot queue ${
          commandName(command.args)
        } as the pipeline was already executed`,
      );
    }
    checkArgs(command.args, "pipeline");
    if (this.#shared) checkShared(command, "pipeline");
    this.#commands.push(command);
    return this;
  }

  /**
   * Queues any command; its slot in the result holds the reply as decoded.
   *
   * @example Queuing a command that has no typed method
   * ```ts ignore
   * const [, length] = await redis.pipeline()
   *   .set("greeting", "hello")
   *   .send(["STRLEN", "greeting"])
   *   .exec();
   * ```
   *
   * @param args The command name and its arguments.
   * @param options `bytes: true` returns bulk strings as `Uint8Array`.
   * @returns This pipeline, typed with one more result.
   * @throws {TypeError} When `args` is not a non-empty array, when the
   * pipeline was executed, or (on the client) when the command changes
   * connection state or blocks.
   */
  send(
    args: readonly CommandArg[],
    options?: QueueOptions,
  ): Pipeline<[...R, RespValue]> {
    if (!Array.isArray(args)) checkArgs(args, "pipeline");
    const command: Command<RespValue> = options?.bytes === true
      ? { args: args as CommandArg[], map: identity, bytes: true }
      : { args: args as CommandArg[], map: identity };
    return this.#queue(command) as unknown as Pipeline<[...R, RespValue]>;
  }

  /**
   * Sends every queued command back to back in one write on one connection
   * and waits for all the replies. It resolves even when commands fail:
   * each failed command's slot holds its error (server error replies, and
   * connection failures or timeouts, for the commands they hit). An empty
   * pipeline resolves to `[]` without touching the network.
   *
   * @param options A timeout for each reply and an abort signal.
   * @returns The results in the order the commands were queued, each either
   * the command's typed result or the `Error` it failed with.
   * @throws {TypeError} When the pipeline was already executed (thrown
   * synchronously).
   * @throws {unknown} The signal's reason (as a rejection) when `signal`
   * aborts.
   */
  exec(options?: ExecOptions): Promise<PipelineResults<R>> {
    if (this.#executed) {
      throw new TypeError(
        "Cannot execute the pipeline as it was already executed",
      );
    }
    this.#executed = true;
    if (this.#commands.length === 0) {
      return Promise.resolve([] as unknown as PipelineResults<R>);
    }
    return this.#send(options);
  }

  async #send(options: ExecOptions | undefined): Promise<PipelineResults<R>> {
    const commands = this.#commands;
    const signal = options?.signal;
    const sendOptions: CommandOptions | undefined = options === undefined
      ? undefined
      : { timeout: options.timeout, signal };
    let settled: PromiseSettledResult<unknown>[];
    try {
      const promises = await this.#executor[BATCH](commands, sendOptions);
      settled = await Promise.allSettled(promises);
    } catch (error) {
      // No connection took the batch (closed client, pool timeout, full
      // queue): every command failed the same way, so every slot says so.
      if (signal?.aborted && error === signal.reason) throw error;
      const reason = asError(error);
      return commands.map(() => reason) as unknown as PipelineResults<R>;
    }
    if (
      signal?.aborted &&
      settled.some((r) => r.status === "rejected" && r.reason === signal.reason)
    ) throw signal.reason;
    return settled.map((result) =>
      result.status === "fulfilled" ? result.value : asError(result.reason)
    ) as unknown as PipelineResults<R>;
  }
}

const identity = (reply: RespValue): RespValue => reply;
