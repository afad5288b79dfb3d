/**
 * Arguments shared by the sorted set commands that combine sets (ZUNION,
 * ZINTER and their STORE forms): the keys, weights and aggregate.
 *
 * @module
 */

import type { RedisKey } from "./_command.ts";
import { keyList, optionsOf, score } from "./_collection_args.ts";
import type { CommandArg } from "../resp/encode.ts";

/**
 * Options of ZUNION, ZINTER, ZUNIONSTORE and ZINTERSTORE: how the scores of
 * the sets combine.
 */
export interface ZCombineOptions {
  /** One multiplier per key, applied to its scores. */
  weights?: readonly number[];
  /**
   * How the scores of a member in several sets combine.
   *
   * @default {"sum"}
   */
  aggregate?: "sum" | "min" | "max";
}

/**
 * `numkeys key... [WEIGHTS w...] [AGGREGATE SUM|MIN|MAX]`, checked.
 *
 * @param command The command, for error messages.
 * @param keys The key, or the keys.
 * @param options `weights` (one per key) and `aggregate`.
 * @returns The arguments after the command name (and destination).
 * @throws {TypeError} When there is no key, the weights do not match the
 * keys, or the aggregate is unknown.
 */
export function combineArgs(
  command: string,
  keys: RedisKey | readonly RedisKey[],
  options: ZCombineOptions | undefined,
): CommandArg[] {
  const list = keyList(command, keys);
  const args: CommandArg[] = [list.length, ...list];
  const { weights, aggregate } = optionsOf(command, options);
  if (weights !== undefined) {
    if (!Array.isArray(weights) || weights.length !== list.length) {
      throw new TypeError(
        `Cannot build ${command} as weights must hold one number per key (${list.length})`,
      );
    }
    args.push(
      "WEIGHTS",
      ...weights.map((w, i) => score(command, `weights[${i}]`, w)),
    );
  }
  if (aggregate !== undefined) {
    if (aggregate !== "sum" && aggregate !== "min" && aggregate !== "max") {
      throw new TypeError(
        `Cannot build ${command} as aggregate must be "sum", "min" or "max", got ${
          typeof aggregate === "string"
            ? JSON.stringify(aggregate)
            : typeof aggregate
        }`,
      );
    }
    args.push("AGGREGATE", aggregate.toUpperCase());
  }
  return args;
}
