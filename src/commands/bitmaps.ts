/**
 * Bitmap and HyperLogLog commands: both work on string values.
 *
 * @module
 */

import {
  type Command,
  command,
  int,
  key,
  type RedisKey,
  type RedisValue,
  value,
} from "./_command.ts";
import { atLeast, keyList, optionsOf } from "./_collection_args.ts";
import { toBoolean, toNumber, toOk } from "./_reply.ts";
import { ProtocolError } from "../errors.ts";
import type { RespValue } from "../resp/decode.ts";
import type { CommandArg } from "../resp/encode.ts";

/** Options of BITCOUNT: a range to count in. */
export interface BitCountOptions {
  /** The first byte (or bit) of the range; negative counts from the end. */
  start: number;
  /** The last byte (or bit) of the range, included. */
  end: number;
  /**
   * Whether `start` and `end` count bytes or bits.
   *
   * @default {"byte"}
   */
  unit?: "byte" | "bit";
}

/** Options of BITPOS: a range to search in. `end` needs `start`, `unit` needs `end`. */
export interface BitPosOptions {
  /** The first byte (or bit) to search; negative counts from the end. */
  start?: number;
  /** The last byte (or bit) to search, included. */
  end?: number;
  /**
   * Whether `start` and `end` count bytes or bits.
   *
   * @default {"byte"}
   */
  unit?: "byte" | "bit";
}

function toBit(reply: RespValue): 0 | 1 {
  if (reply === 0 || reply === 1) return reply;
  throw new ProtocolError(
    `Cannot read the reply as 0 or 1 was expected, got ${
      reply === null ? "null" : typeof reply
    }`,
  );
}

function bit(command: string, b: unknown): 0 | 1 {
  const v = int("bit", b);
  if (v !== 0 && v !== 1) {
    throw new RangeError(
      `Cannot build ${command} as bit must be 0 or 1, got ${v}`,
    );
  }
  return v;
}

function unitArg(command: string, unit: unknown): "BYTE" | "BIT" {
  if (unit === "byte") return "BYTE";
  if (unit === "bit") return "BIT";
  throw new TypeError(
    `Cannot build ${command} as unit must be "byte" or "bit", got ${
      typeof unit === "string" ? JSON.stringify(unit) : typeof unit
    }`,
  );
}

/**
 * Bitmap and HyperLogLog commands: each builds the command and says how to
 * read its reply.
 */
export class BitmapCommands {
  /**
   * PFADD: adds elements to a HyperLogLog, creating it if needed.
   *
   * @param k The key.
   * @param elements The elements (none only creates the key).
   * @returns Whether the estimated cardinality changed (or the key was
   * created).
   */
  pfadd(k: RedisKey, ...elements: RedisValue[]): Command<boolean> {
    return command(
      [
        "PFADD",
        key("key", k),
        ...elements.map((e, i) => value(`element ${i}`, e)),
      ],
      toBoolean,
    );
  }

  /**
   * PFCOUNT: the estimated number of distinct elements added to one or
   * more HyperLogLogs (of their union when several).
   *
   * @param keys The keys (at least one); a missing key counts as empty.
   * @returns The estimate.
   */
  pfcount(...keys: RedisKey[]): Command<number> {
    return command(["PFCOUNT", ...keyList("PFCOUNT", keys)], toNumber);
  }

  /**
   * PFMERGE: merges HyperLogLogs into `destination` (which is merged too
   * when it exists).
   *
   * @param destination The key to merge into.
   * @param sources The keys to merge from.
   * @returns `"OK"`.
   */
  pfmerge(destination: RedisKey, ...sources: RedisKey[]): Command<"OK"> {
    return command(
      [
        "PFMERGE",
        key("destination", destination),
        ...sources.map((s, i) => key(`source ${i}`, s)),
      ],
      toOk,
    );
  }

  /**
   * SETBIT: sets or clears the bit at an offset, growing the string as
   * needed.
   *
   * @param k The key.
   * @param offset The bit offset (0 is the most significant bit of the
   * first byte).
   * @param b The new bit: 0 or 1.
   * @returns The bit that was there before.
   */
  setbit(k: RedisKey, offset: number, b: 0 | 1): Command<0 | 1> {
    return command(
      [
        "SETBIT",
        key("key", k),
        atLeast("SETBIT", "offset", offset, 0),
        bit("SETBIT", b),
      ],
      toBit,
    );
  }

  /**
   * GETBIT: the bit at an offset.
   *
   * @param k The key.
   * @param offset The bit offset.
   * @returns The bit; 0 past the end of the string or when the key is
   * missing.
   */
  getbit(k: RedisKey, offset: number): Command<0 | 1> {
    return command(
      ["GETBIT", key("key", k), atLeast("GETBIT", "offset", offset, 0)],
      toBit,
    );
  }

  /**
   * BITCOUNT: the number of set bits, in the whole string or a range.
   *
   * @example Counting set bits in the first bit range
   * ```ts ignore
   * await redis.bitcount("flags");                                   // whole string
   * await redis.bitcount("flags", { start: 0, end: 0 });             // first byte
   * await redis.bitcount("flags", { start: 0, end: 4, unit: "bit" }); // first 5 bits
   * ```
   *
   * @param k The key.
   * @param range `start` and `end` (both included), in bytes or with
   * `unit: "bit"` in bits.
   * @returns The number of set bits; 0 when the key is missing.
   */
  bitcount(k: RedisKey, range?: BitCountOptions): Command<number> {
    const args: CommandArg[] = ["BITCOUNT", key("key", k)];
    if (range !== undefined) {
      const { start, end, unit } = optionsOf("BITCOUNT", range);
      args.push(int("start", start), int("end", end));
      if (unit !== undefined) args.push(unitArg("BITCOUNT", unit));
    }
    return command(args, toNumber);
  }

  /**
   * BITPOS: the position of the first bit set to 0 or 1.
   *
   * @param k The key.
   * @param b The bit to look for: 0 or 1.
   * @param range `start`, `end` (included) and `unit` to search a range.
   * @returns The bit position counted from the start of the string; -1
   * when not found (looking for 0 past the end of the string without an
   * `end` finds the first bit past it).
   */
  bitpos(k: RedisKey, b: 0 | 1, range?: BitPosOptions): Command<number> {
    const args: CommandArg[] = ["BITPOS", key("key", k), bit("BITPOS", b)];
    const { start, end, unit } = optionsOf("BITPOS", range);
    if (end !== undefined && start === undefined) {
      throw new TypeError("Cannot build BITPOS as option end needs start");
    }
    if (unit !== undefined && end === undefined) {
      throw new TypeError("Cannot build BITPOS as option unit needs end");
    }
    if (start !== undefined) args.push(int("start", start));
    if (end !== undefined) args.push(int("end", end));
    if (unit !== undefined) args.push(unitArg("BITPOS", unit));
    return command(args, toNumber);
  }

  /**
   * BITOP: combines strings bit by bit (AND, OR, XOR) or inverts one (NOT),
   * storing the result at `destination`. Shorter strings count as padded
   * with zero bytes.
   *
   * @example Users active on both days
   * ```ts ignore
   * await redis.bitop("and", "active:both", "active:mon", "active:tue");
   * await redis.bitcount("active:both");
   * ```
   *
   * @param operation `"and"`, `"or"`, `"xor"`, or `"not"` (exactly one
   * source).
   * @param destination The key to store at.
   * @param sources The keys to combine (at least one).
   * @returns The length of the stored string in bytes (that of the longest
   * source).
   * @throws {TypeError} When the operation is unknown, there is no source,
   * or `"not"` is given more than one.
   */
  bitop(
    operation: "and" | "or" | "xor" | "not",
    destination: RedisKey,
    ...sources: RedisKey[]
  ): Command<number> {
    if (
      operation !== "and" && operation !== "or" && operation !== "xor" &&
      operation !== "not"
    ) {
      throw new TypeError(
        `Cannot build BITOP as operation must be "and", "or", "xor" or "not", got ${
          typeof operation === "string"
            ? JSON.stringify(operation)
            : typeof operation
        }`,
      );
    }
    const list = keyList("BITOP", sources);
    if (operation === "not" && list.length !== 1) {
      throw new TypeError(
        `Cannot build BITOP as operation "not" takes exactly one source, got ${list.length}`,
      );
    }
    return command(
      [
        "BITOP",
        operation.toUpperCase(),
        key("destination", destination),
        ...list,
      ],
      toNumber,
    );
  }
}
