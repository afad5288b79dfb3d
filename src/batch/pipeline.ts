/**
 * Pipelines: commands queued locally and sent together in one write, with
 * every reply (or error) returned in order.
 *
 * @module
 */

import type { RespValue } from "../resp/decode.ts";
import type { CommandArg } from "../resp/encode.ts";
import type { Command } from "../commands/_command.ts";
import type { CommandTable } from "../commands/table.ts";
import type { Executor } from "../_executor.ts";
import { installCommands } from "../commands/_install.ts";
import type { PipelineResults } from "./core_pipeline.ts";
import {
  CommandList,
  type ExecOptions,
  executePipeline,
  type QueueOptions,
} from "./_batch.ts";

export type { ExecOptions, PipelineResults, QueueOptions };

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
 * `exec()` resolves to every result in order. A command the server refuses
 * does not fail the others: its slot holds its `ReplyError`. The pipeline
 * travels as one unit: a timeout, an abort, a lost connection or a retry
 * acts on all of its commands at once, so when one of those ends it, every
 * slot holds that same error (a `ConnectionError` says whether the commands
 * may have been applied). Check a slot with `instanceof Error` before
 * using it.
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
  readonly #list: CommandList;

  static {
    installCommands(Pipeline.prototype, (self, command) => {
      (self as Pipeline).#list.queue(command);
      return self;
    });
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
  constructor(executor: Executor, shared = false) {
    this.#list = new CommandList(executor, shared, "pipeline");
  }

  /** The number of commands queued. */
  get length(): number {
    return this.#list.length;
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
    this.#list.queueRaw(args, options);
    return this as unknown as Pipeline<[...R, RespValue]>;
  }

  /**
   * Sends every queued command back to back in one write on one connection
   * and waits for all the replies. It resolves even when commands fail: a
   * command the server refused holds its `ReplyError`; a failure of the
   * whole unit (connection lost, timeout) is in every slot. An empty
   * pipeline resolves to `[]` without touching the network.
   *
   * @param options A timeout for the replies and an abort signal.
   * @returns The results in the order the commands were queued, each either
   * the command's typed result or the `Error` it failed with.
   * @throws {TypeError} When the pipeline was already executed (thrown
   * synchronously).
   * @throws {RangeError} When `timeout` is not above 0 (thrown
   * synchronously; `Infinity` means no limit).
   * @throws {unknown} The signal's reason (as a rejection) when `signal`
   * aborts.
   */
  exec(options?: ExecOptions): Promise<PipelineResults<R>> {
    return executePipeline(this.#list, options) as Promise<
      PipelineResults<R>
    >;
  }
}
