/**
 * Argument readers shared by several families: the "record or pairs"
 * arguments of MSET, MSETNX, HSET and CONFIG SET, and floating-point
 * increments.
 *
 * @module
 */

import type { RedisKey, RedisValue } from "./_command.ts";
import type { CommandArg } from "../resp/encode.ts";

/**
 * Names and values to store: a record (`{ a: "1", b: "2" }`), or an iterable
 * of `[name, value]` pairs, such as a `Map` or an array of tuples (which
 * allows byte names).
 */
export type Pairs<N extends RedisKey | RedisValue = RedisKey> =
  | Record<string, RedisValue>
  | Iterable<readonly [N, RedisValue]>;

function isValue(v: unknown, keysOnly: boolean): v is RedisValue {
  return typeof v === "string" || v instanceof Uint8Array ||
    (!keysOnly && (typeof v === "number" || typeof v === "bigint"));
}

function describe(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "an array" : typeof v;
}

/**
 * Flattens names and values into command arguments.
 *
 * @param command The command name, for error messages.
 * @param input A record or an iterable of pairs.
 * @param keysOnly Whether names must be keys (string or bytes).
 * @returns `[name, value, name, value, ...]`, never empty.
 * @throws {TypeError} When the input is not a record or pairs, a pair is
 * malformed, or there is nothing to store.
 */
export function flattenPairs(
  command: string,
  input: unknown,
  keysOnly: boolean,
): CommandArg[] {
  if (typeof input !== "object" || input === null) {
    throw new TypeError(
      `Cannot build ${command} as its argument must be a record or an iterable of pairs, got ${
        describe(input)
      }`,
    );
  }
  const args: CommandArg[] = [];
  if (Symbol.iterator in input) {
    let i = 0;
    for (const pair of input as Iterable<unknown>) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new TypeError(
          `Cannot build ${command} as pair ${i} must be a [name, value] array, got ${
            describe(pair)
          }`,
        );
      }
      const [name, v] = pair;
      if (!isValue(name, keysOnly)) {
        throw new TypeError(
          `Cannot build ${command} as the name of pair ${i} must be a ${
            keysOnly
              ? "string or Uint8Array"
              : "string, number, bigint or Uint8Array"
          }, got ${describe(name)}`,
        );
      }
      if (!isValue(v, false)) {
        throw new TypeError(
          `Cannot build ${command} as the value of pair ${i} must be a string, number, bigint or Uint8Array, got ${
            describe(v)
          }`,
        );
      }
      args.push(name, v);
      i++;
    }
  } else {
    for (const [name, v] of Object.entries(input)) {
      if (!isValue(v, false)) {
        throw new TypeError(
          `Cannot build ${command} as the value of ${
            JSON.stringify(name)
          } must be a string, number, bigint or Uint8Array, got ${describe(v)}`,
        );
      }
      args.push(name, v);
    }
  }
  if (args.length === 0) {
    throw new TypeError(
      `Cannot build ${command} as it needs at least one name and value`,
    );
  }
  return args;
}

/** Checks that a number is finite (INCRBYFLOAT, HINCRBYFLOAT). */
export function finite(name: string, n: unknown): number {
  if (typeof n !== "number" || !Number.isFinite(n)) {
    throw new TypeError(
      `Cannot build the command as ${name} must be a finite number, got ${
        typeof n === "number" ? n : typeof n
      }`,
    );
  }
  return n;
}
