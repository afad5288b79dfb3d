/**
 * Helpers shared by pipelines and transactions: what may be queued on the
 * shared connections, and reading a reply decoded as bytes back as text.
 *
 * @module
 */

import type { Command } from "./commands/_command.ts";
import { blockTime, isStateful } from "./commands/_flags.ts";
import type { RespValue } from "./resp/decode.ts";
import { type CommandArg, commandName } from "./resp/encode.ts";
import { ReplyError } from "./errors.ts";

/**
 * Throws when a command may not be queued in a batch bound for the shared,
 * multiplexed connections: one that changes connection state would leak it
 * into other callers' commands, and (in a pipeline) one that blocks would
 * stall them.
 *
 * @param command The command to queue.
 * @param what `"pipeline"` or `"transaction"`: blocking commands do not
 * block inside MULTI, so only pipelines refuse them.
 */
export function checkShared(
  command: Command<unknown>,
  what: "pipeline" | "transaction",
): void {
  const args = command.args;
  const name = commandName(args);
  if (isStateful(name, args[1])) {
    throw new TypeError(
      `Cannot queue ${name} in a ${what} on the shared connections as it changes connection state: use a ${what} on a lease from client.acquire()`,
    );
  }
  if (
    what === "pipeline" &&
    (command.block !== undefined || blockTime(name, args) !== undefined)
  ) {
    throw new TypeError(
      `Cannot queue ${name} in a pipeline on the shared connections as it blocks: use a pipeline on a lease from client.acquire()`,
    );
  }
}

/**
 * Checks the arguments of a command before it is queued: a non-empty array
 * of what the encoder accepts. The encoder checks the same when the batch
 * is written, but a command it refused then would be left out of a
 * MULTI ... EXEC block that still runs, so refuse it here, at the call that
 * queued it.
 *
 * @param args The command.
 * @param what `"pipeline"` or `"transaction"`.
 * @returns The arguments.
 * @throws {TypeError} When the command cannot be encoded.
 */
export function checkArgs(args: unknown, what: string): CommandArg[] {
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
  return args as CommandArg[];
}

const textDecoder = new TextDecoder();

/**
 * Turns the bulk strings of a reply decoded as bytes back into text, for a
 * command that did not ask for bytes but shares a reply (EXEC) with one
 * that did.
 *
 * @param value The reply, decoded with bulk strings as `Uint8Array`.
 * @returns The same reply with strings.
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

/**
 * The error to put in the slot of a command that failed. Rejections are
 * errors in practice; anything else is wrapped so a slot always holds an
 * `Error` when it does not hold a result.
 *
 * @param reason Why the command failed.
 * @returns The error.
 */
export function asError(reason: unknown): Error {
  if (reason instanceof Error) return reason;
  return new TypeError(`The command failed with a non-error: ${reason}`);
}

/** A server error inside an EXEC reply, named after its command. */
export function replyErrorOf(
  error: ReplyError,
  args: readonly CommandArg[],
): ReplyError {
  return new ReplyError(error.message, commandName(args));
}
