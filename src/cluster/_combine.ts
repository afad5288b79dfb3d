/**
 * Commands a cluster sends to several nodes: multi-key commands split by
 * slot and put back together in the caller's order, keyless commands sent
 * to every primary (or node) and their answers combined by the command's
 * response policy, and the one-slot rule of transactions.
 *
 * @module
 */

import { commandSpec } from "../commands/registry.ts";
import type { Command } from "../commands/_command.ts";
import { ReplyError } from "../errors.ts";
import type { RespValue } from "../resp/decode.ts";
import type { CommandArg } from "../resp/encode.ts";
import { commandSlots } from "../router/slot.ts";

/** The multi-key commands a cluster splits by slot. */
export const SPLIT: ReadonlySet<string> = new Set([
  "MGET",
  "MSET",
  "DEL",
  "UNLINK",
  "EXISTS",
  "TOUCH",
]);

/** Replies that say where to send a command instead, or to wait. */
export const REDIRECTS: ReadonlySet<string> = new Set([
  "MOVED",
  "ASK",
  "TRYAGAIN",
  "CLUSTERDOWN",
]);

/** One slot's part of a split command. */
export interface Part {
  readonly slot: number;
  readonly args: CommandArg[];
  /** For each key of the part, its index among the command's keys. */
  readonly keys: number[];
}

/**
 * Splits a multi-key command by slot: each part keeps the arguments that
 * follow each of its keys (MSET's values).
 *
 * @param args The command.
 * @param positions Its keys' indices, ascending.
 * @param slotOf The slot of a key.
 * @returns One part per slot, in the order the slots first appear.
 */
export function splitBySlot(
  args: readonly CommandArg[],
  positions: readonly number[],
  slotOf: (key: CommandArg) => number,
): Part[] {
  const prefix = args.slice(0, positions[0]);
  const parts = new Map<number, Part>();
  for (let i = 0; i < positions.length; i++) {
    const slot = slotOf(args[positions[i]]);
    let part = parts.get(slot);
    if (part === undefined) {
      part = { slot, args: [...prefix], keys: [] };
      parts.set(slot, part);
    }
    const end = i + 1 < positions.length ? positions[i + 1] : args.length;
    for (let a = positions[i]; a < end; a++) part.args.push(args[a]);
    part.keys.push(i);
  }
  return [...parts.values()];
}

/**
 * Puts the replies of a split command back together.
 *
 * @param name The command's name, upper case.
 * @param parts The parts, as sent.
 * @param replies Their replies, in the same order.
 * @param keys How many keys the command had.
 * @returns The reply the command would have had on one server.
 */
export function joinSplit(
  name: string,
  parts: readonly Part[],
  replies: readonly RespValue[],
  keys: number,
): RespValue {
  if (name === "MGET") {
    const values: RespValue[] = new Array(keys);
    parts.forEach((part, p) => {
      const reply = replies[p] as RespValue[];
      part.keys.forEach((k, j) => values[k] = reply[j]);
    });
    return values;
  }
  if (name === "MSET") return replies[0];
  let sum = 0;
  for (const reply of replies) sum += Number(reply);
  return sum;
}

/**
 * Combines the answers of a command sent to every primary (or node), by
 * its response policy.
 *
 * @param policy The spec's `response_policy` tip, if any.
 * @param results Each node's outcome.
 * @returns The combined reply.
 * @throws The first node's error, unless the policy needs only one success.
 */
export function combine(
  policy: string | undefined,
  results: readonly PromiseSettledResult<RespValue>[],
): RespValue {
  const values: RespValue[] = [];
  let failure: unknown;
  for (const result of results) {
    if (result.status === "fulfilled") values.push(result.value);
    else failure ??= result.reason;
  }
  if (policy === "one_succeeded") {
    if (values.length > 0) return values[0];
    throw failure;
  }
  if (failure !== undefined) throw failure;
  switch (policy) {
    case "agg_sum":
      return values.reduce<number>((sum, v) => sum + Number(v), 0);
    case "agg_min":
      return values.reduce<number>(
        (min, v) => Math.min(min, Number(v)),
        Infinity,
      );
    case "agg_logical_and":
      return (values[0] as RespValue[]).map((_, i) =>
        values.every((v) => Number((v as RespValue[])[i]) === 1) ? 1 : 0
      );
    case undefined:
      // KEYS: every node's keys.
      return values.flatMap((v) => Array.isArray(v) ? v : [v]);
    default:
      return values[0];
  }
}

/**
 * The one slot of a transaction's keys.
 *
 * @param commands MULTI, the queued commands, EXEC.
 * @returns The slot, or undefined when no command has a key.
 * @throws {TypeError} When the keys are in more than one slot, naming them.
 */
export function transactionSlot(
  commands: readonly Command<unknown>[],
): number | undefined {
  const slots = new Set<number>();
  for (const command of commands) {
    const spec = commandSpec(command.args);
    if (spec === undefined) continue;
    const found = commandSlots(spec, command.args);
    if (found.kind === "one") slots.add(found.slot);
    else if (found.kind === "many") {
      for (const s of found.slots) slots.add(s);
    }
  }
  if (slots.size > 1) {
    throw new TypeError(
      `Cannot run the transaction as its keys are in slots ${
        [...slots].join(", ")
      }: a cluster runs a transaction on one node, so put its keys in one slot with a {hash tag}`,
    );
  }
  return slots.size === 0 ? undefined : slots.values().next().value;
}

/** A reply error that redirects, when `value` is one. */
export function redirectOf(value: unknown): ReplyError | undefined {
  return value instanceof ReplyError && REDIRECTS.has(value.prefix)
    ? value
    : undefined;
}

/** `MOVED <slot> <host:port>` or `ASK ...`, parsed. */
export function parseRedirect(
  error: ReplyError,
): { slot: number; address: string } | undefined {
  const match = /^(?:MOVED|ASK) (\d+) (\S+)/.exec(error.message);
  return match === null
    ? undefined
    : { slot: Number(match[1]), address: match[2] };
}
