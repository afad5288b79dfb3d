/**
 * The core entry's pipeline: commands queued locally, raw or built by a
 * command family, sent together in one write, with every reply (or error)
 * returned in order. The typed `Pipeline` of the full entry queues and
 * executes through the same command list.
 *
 * @module
 */

import type { RespValue } from "../resp/decode.ts";
import type { CommandArg } from "../resp/encode.ts";
import type { Command } from "../commands/_command.ts";
import { checkCommand, type Executor } from "../_executor.ts";
import {
  CommandList,
  type ExecOptions,
  executePipeline,
  type QueueOptions,
} from "./_batch.ts";

export type { ExecOptions, QueueOptions };

/**
 * What a pipeline's `exec()` resolves to: each command's result in order,
 * or the `Error` it failed with (a `ReplyError` from the server, a
 * `ConnectionError`, a `TimeoutError`, ...).
 */
export type PipelineResults<R extends unknown[]> = {
  [K in keyof R]: R[K] | Error;
};

/**
 * Commands queued locally and sent together, back to back in one write on
 * one connection, when `exec()` is called: `add()` queues a command built
 * by a command family (its slot holds the typed result), `send()` any
 * other (its slot holds the reply as decoded). Create one with
 * `redis.pipeline()` or `lease.pipeline()` of the core client.
 *
 * `exec()` resolves to every result in order. A command the server refuses
 * does not fail the others: its slot holds its `ReplyError`. A timeout, an
 * abort, a lost connection or a retry acts on all of its commands at once,
 * so when one of those ends it, every slot holds that same error. Check a
 * slot with `instanceof Error` before using it.
 *
 * A pipeline on the client refuses commands that change connection state
 * (SELECT, WATCH, ...) or block (BLPOP, ...); use a pipeline on a lease for
 * those. A pipeline is not a transaction: other clients' commands may run
 * between its commands on the server.
 *
 * @example Typed and raw commands in one round trip
 * ```ts ignore
 * import { createClient, strings } from "@respool/redis/core";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * const [ok, n, length] = await redis.pipeline()
 *   .add(strings.set("greeting", "hello"))
 *   .add(strings.incr("visits"))
 *   .send(["STRLEN", "greeting"])
 *   .exec();
 * if (n instanceof Error) throw n;
 * console.log(ok, n + 1, length); // "OK" 2 5
 * ```
 */
export class CorePipeline<R extends unknown[] = []> {
  readonly #list: CommandList;

  /**
   * Constructs an empty pipeline; use `redis.pipeline()` or
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
   * Queues a command built by a command family; its slot in the result
   * holds the typed result.
   *
   * @example Queuing typed commands
   * ```ts ignore
   * const [, hits] = await redis.pipeline()
   *   .add(hashes.hset("page", { title: "Home" }))
   *   .add(strings.incr("hits"))
   *   .exec();
   * ```
   *
   * @param command The command, from a family's builder.
   * @returns This pipeline, typed with one more result.
   * @throws {TypeError} When `command` was not built by a command family,
   * when the pipeline was executed, or (on the client) when the command
   * changes connection state or blocks.
   */
  add<T>(command: Command<T>): CorePipeline<[...R, T]> {
    checkCommand(command, "queue");
    this.#list.queue(command as Command<unknown>);
    return this as unknown as CorePipeline<[...R, T]>;
  }

  /**
   * Queues any command; its slot in the result holds the reply as decoded.
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
  ): CorePipeline<[...R, RespValue]> {
    this.#list.queueRaw(args, options);
    return this as unknown as CorePipeline<[...R, RespValue]>;
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
   * the command's result or the `Error` it failed with.
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
