/**
 * What pipelines and transactions share: a list of built commands queued
 * locally, checked as they are queued, and sent as one unit through a
 * client or lease.
 *
 * @module
 */

import type { Command } from "../commands/_command.ts";
import { blockTimeout, commandFacts, needsCare } from "../commands/_facts.ts";
import type { RespValue } from "../resp/decode.ts";
import { type CommandArg, commandName } from "../resp/encode.ts";
import { ReplyError } from "../errors.ts";
import { BATCH, checkTimeout, type Executor } from "../_executor.ts";
import { refusal } from "../_guard.ts";

/** Options of {@linkcode Pipeline.exec} and {@linkcode Transaction.exec}. */
export interface ExecOptions {
  /**
   * How long to wait for the replies, in milliseconds (`Infinity`: no
   * limit).
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

const identity = (reply: RespValue): RespValue => reply;

/**
 * Checks the arguments of a command before it is queued: a non-empty array
 * of what the encoder accepts. The encoder checks the same when the batch
 * is written, but refuse it here, at the call that queued it.
 */
function checkArgs(args: unknown, what: string): void {
  if (!Array.isArray(args) || args.length === 0) {
    throw new TypeError(
      `Cannot queue the command in the ${what} as args must be a non-empty array`,
    );
  }
  for (let i = 0; i < args.length; i++) {
    const arg: unknown = args[i];
    if (
      typeof arg === "string" || arg instanceof Uint8Array ||
      typeof arg === "bigint" || (typeof arg === "number" && !Number.isNaN(arg))
    ) continue;
    throw new TypeError(
      `Cannot queue ${commandName(args)} in the ${what} as argument ${i} is ${
        typeof arg === "number" ? "NaN" : arg === null ? "null" : typeof arg
      }, not a string, number, bigint or Uint8Array`,
    );
  }
}

/**
 * The commands of a pipeline or transaction. A batch bound for the shared,
 * multiplexed connections (a client's) refuses commands that change
 * connection state, which would leak into other callers' commands; any
 * batch refuses commands that would leave its replies unmatched
 * (SUBSCRIBE, MONITOR, CLIENT REPLY) and, in a pipeline, commands that
 * block.
 */
export class CommandList {
  readonly executor: Executor;
  readonly #shared: boolean;
  readonly #what: "pipeline" | "transaction";
  readonly #commands: Command<unknown>[] = [];
  #state: "open" | "executed" | "discarded" = "open";

  constructor(
    executor: Executor,
    shared: boolean,
    what: "pipeline" | "transaction",
  ) {
    this.executor = executor;
    this.#shared = shared;
    this.#what = what;
  }

  /** The number of commands queued. */
  get length(): number {
    return this.#commands.length;
  }

  /** Whether `exec()` was called. */
  get executed(): boolean {
    return this.#state === "executed";
  }

  /** Queues a built command after checking it. */
  queue(command: Command<unknown>): void {
    const what = this.#what;
    if (this.#state !== "open") {
      throw new TypeError(
        `Cannot queue ${
          commandName(command.args)
        } as the ${what} was already ${this.#state}`,
      );
    }
    checkArgs(command.args, what);
    // The Set lookup of needsCare first: most commands have nothing to check.
    const spec = needsCare(command.args)
      ? commandFacts(command.args)
      : undefined;
    if (spec !== undefined) {
      const blocks = what === "pipeline" &&
        blockTimeout(spec, command.args) !== undefined;
      const refused = refusal(spec, what, this.#shared, blocks);
      if (refused !== undefined) throw new TypeError(refused);
    }
    this.#commands.push(command);
  }

  /** Queues any command; its result is the reply as decoded. */
  queueRaw(args: readonly CommandArg[], options?: QueueOptions): void {
    if (!Array.isArray(args)) checkArgs(args, this.#what);
    this.queue(
      options?.bytes === true
        ? { args: args as CommandArg[], map: identity, bytes: true }
        : { args: args as CommandArg[], map: identity },
    );
  }

  /**
   * Ends queueing: the commands, for `exec()` (whose options are checked
   * first, so that a bad timeout throws and the batch stays open).
   */
  take(
    verb: "execute" | "discard",
    options?: ExecOptions,
  ): Command<unknown>[] {
    if (options?.timeout !== undefined) {
      checkTimeout(options.timeout, `the ${this.#what}`);
    }
    if (this.#state !== "open") {
      throw new TypeError(
        `Cannot ${verb} the ${this.#what} as it was already ${this.#state}`,
      );
    }
    this.#state = verb === "execute" ? "executed" : "discarded";
    return this.#commands;
  }
}

/**
 * Executes a pipeline's commands: sends them as one unit and resolves with
 * each command's result or the error it failed with, in order (what
 * `exec()` of a pipeline does).
 *
 * @param list The pipeline's commands.
 * @param options A timeout and a signal for the whole unit.
 * @returns The results; `[]` for an empty pipeline, without a round trip.
 * @throws {TypeError} When the pipeline was already executed.
 * @throws {RangeError} When `timeout` is not above 0.
 */
export function executePipeline(
  list: CommandList,
  options: ExecOptions | undefined,
): Promise<unknown[]> {
  const commands = list.take("execute", options);
  if (commands.length === 0) return Promise.resolve([]);
  return sendPipeline(list.executor, commands, options);
}

async function sendPipeline(
  executor: Executor,
  commands: Command<unknown>[],
  options: ExecOptions | undefined,
): Promise<unknown[]> {
  const signal = options?.signal;
  let replies: RespValue[];
  try {
    replies = await executor[BATCH](
      commands,
      options === undefined ? undefined : { timeout: options.timeout, signal },
    );
  } catch (error) {
    if (signal?.aborted && error === signal.reason) throw error;
    // The unit failed as a whole (closed client, pool timeout, full
    // queue, lost connection, timeout): every slot says so.
    const reason = asError(error);
    return commands.map(() => reason);
  }
  return replies.map((reply, i) => mapReply(commands[i], reply));
}

/**
 * The error to put in the slot of a command that failed. Rejections are
 * errors in practice; anything else is wrapped so a slot always holds an
 * `Error` when it does not hold a result.
 */
export function asError(reason: unknown): Error {
  if (reason instanceof Error) return reason;
  return new TypeError(`The command failed with a non-error: ${reason}`);
}

/** A command's reply read with its mapper, or the error it failed with. */
export function mapReply(
  command: Command<unknown>,
  reply: RespValue,
): unknown {
  if (reply instanceof ReplyError) {
    return new ReplyError(reply.message, commandName(command.args));
  }
  try {
    return command.map(reply);
  } catch (error) {
    return asError(error);
  }
}

const textDecoder = /* @__PURE__ */ new TextDecoder();

/**
 * Turns the bulk strings of a reply decoded as bytes back into text, for a
 * command that did not ask for bytes but shares a reply (EXEC) with one
 * that did.
 */
export function toText(value: RespValue): RespValue {
  if (value instanceof Uint8Array) return textDecoder.decode(value);
  if (Array.isArray(value)) return value.map(toText);
  if (value instanceof Map) {
    const map = new Map<RespValue, RespValue>();
    for (const [k, v] of value) map.set(toText(k), toText(v));
    return map;
  }
  if (value instanceof Set) {
    const set = new Set<RespValue>();
    for (const item of value) set.add(toText(item));
    return set;
  }
  return value;
}
