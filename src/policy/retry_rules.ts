/**
 * When a command (or a batch) that failed may be sent again: the rules,
 * read from the command registry's facts, apart from the pool that
 * applies them.
 *
 * @module
 */

import { ReplyError } from "../errors.ts";
import type { RespValue } from "../resp/decode.ts";
import { type CommandArg, commandName } from "../resp/encode.ts";
import { commandFacts } from "../commands/_facts.ts";

/** What the rules see of a command or batch. */
export interface Resendable {
  readonly args: readonly CommandArg[];
  readonly batch:
    | readonly { readonly args: readonly CommandArg[] }[]
    | undefined;
}

/** Whether running the command twice cannot change the outcome. */
export function retrySafe(args: readonly CommandArg[]): boolean {
  return commandFacts(args)?.retrySafe === true;
}

function isTransaction(
  batch: readonly { readonly args: readonly CommandArg[] }[],
): boolean {
  return batch.length >= 2 && commandName(batch[0].args) === "MULTI" &&
    commandName(batch[batch.length - 1].args) === "EXEC";
}

/**
 * Whether a command or batch whose connection was lost may be sent again on
 * another: always when it was never written; after it may have reached the
 * server, only when every command in it is safe to run twice (MULTI and
 * EXEC around them change no data).
 *
 * @param work The command or batch.
 * @param mayHaveBeenApplied Whether it had been written.
 * @returns Whether to send it again.
 */
export function mayResend(
  work: Resendable,
  mayHaveBeenApplied: boolean,
): boolean {
  if (!mayHaveBeenApplied) return true;
  const batch = work.batch;
  if (batch === undefined) return retrySafe(work.args);
  const transaction = isTransaction(batch);
  for (let i = 0; i < batch.length; i++) {
    if (transaction && (i === 0 || i === batch.length - 1)) continue;
    if (!retrySafe(batch[i].args)) return false;
  }
  return true;
}

function isLoading(reply: RespValue): reply is ReplyError {
  return reply instanceof ReplyError && reply.prefix === "LOADING";
}

/**
 * The LOADING error of a batch the server ran none of because it is still
 * loading its data: a pipeline whose every command was refused so, or a
 * MULTI ... EXEC block aborted (EXECABORT) because a command in it was.
 * Sending such a batch again, whole, cannot run anything twice.
 *
 * @param batch The batch's commands.
 * @param replies Their replies, in order.
 * @returns The first LOADING error, or undefined when some command ran (or
 * none was refused as LOADING).
 */
export function loadingRefusal(
  batch: readonly { readonly args: readonly CommandArg[] }[],
  replies: readonly RespValue[],
): ReplyError | undefined {
  if (isTransaction(batch)) {
    const exec = replies[replies.length - 1];
    if (!(exec instanceof ReplyError) || exec.prefix !== "EXECABORT") {
      return undefined;
    }
    return replies.find(isLoading);
  }
  return replies.every(isLoading) ? replies[0] as ReplyError : undefined;
}
