/**
 * BITFIELD and BITFIELD_RO: integers of any width from 1 to 64 bits, read,
 * written and incremented at any bit offset of a string, in one command.
 *
 * @module
 */

import { type Command, command, int, key, type RedisKey } from "./_command.ts";
import { toNumberOrNull, unexpected } from "./_reply.ts";
import type { RespValue } from "../resp/decode.ts";
import type { CommandArg } from "../resp/encode.ts";

/**
 * The integer type of a field: `"i1"` to `"i64"` (signed) or `"u1"` to
 * `"u63"` (unsigned), as the server spells them.
 */
export type BitfieldEncoding = `i${number}` | `u${number}`;

/**
 * Where a field starts: a bit offset (0 is the most significant bit of the
 * first byte), or `"#n"` for the n-th field of the encoding's width (`"#2"`
 * of `"u8"` is bit 16).
 */
export type BitfieldOffset = number | `#${number}`;

/** GET: reads a field. */
export interface BitfieldGet {
  /** The operation. */
  op: "get";
  /** The field's integer type. */
  encoding: BitfieldEncoding;
  /** Where the field starts. */
  offset: BitfieldOffset;
}

/** SET: writes a field; its result is the value it had. */
export interface BitfieldSet {
  /** The operation. */
  op: "set";
  /** The field's integer type. */
  encoding: BitfieldEncoding;
  /** Where the field starts. */
  offset: BitfieldOffset;
  /** The new value (a bigint for 64-bit values beyond 2^53). */
  value: number | bigint;
}

/** INCRBY: adds to a field; its result is the new value. */
export interface BitfieldIncrby {
  /** The operation. */
  op: "incrby";
  /** The field's integer type. */
  encoding: BitfieldEncoding;
  /** Where the field starts. */
  offset: BitfieldOffset;
  /** What to add (negative to subtract). */
  increment: number | bigint;
}

/**
 * OVERFLOW: how the SET and INCRBY operations after it handle a value that
 * does not fit: `"wrap"` around (the default), `"sat"`urate at the minimum
 * or maximum, or `"fail"` (the operation does nothing and its result is
 * null). It has no result of its own.
 */
export interface BitfieldOverflow {
  /** The operation. */
  op: "overflow";
  /** The behaviour from here on. */
  behavior: "wrap" | "sat" | "fail";
}

/** One operation of BITFIELD. */
export type BitfieldOperation =
  | BitfieldGet
  | BitfieldSet
  | BitfieldIncrby
  | BitfieldOverflow;

const ENCODING = /^(?:i(?:[1-9]|[1-5]\d|6[0-4])|u(?:[1-9]|[1-5]\d|6[0-3]))$/;
const FIELD_INDEX = /^#\d+$/;

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  return typeof v === "number" ? String(v) : typeof v;
}

function field(
  command: string,
  name: string,
  op: { encoding: unknown; offset: unknown },
): CommandArg[] {
  const { encoding, offset } = op;
  if (typeof encoding !== "string" || !ENCODING.test(encoding)) {
    throw new TypeError(
      `Cannot build ${command} as ${name}.encoding must be "i1" to "i64" or "u1" to "u63", got ${
        describe(encoding)
      }`,
    );
  }
  if (typeof offset === "string") {
    if (FIELD_INDEX.test(offset)) return [encoding, offset];
    throw new TypeError(
      `Cannot build ${command} as ${name}.offset must be a bit offset or "#n", got ${
        describe(offset)
      }`,
    );
  }
  const bit = int(`${name}.offset`, offset);
  if (bit < 0) {
    throw new RangeError(
      `Cannot build ${command} as ${name}.offset must be at least 0, got ${bit}`,
    );
  }
  return [encoding, bit];
}

function integer(name: string, v: unknown): number | bigint {
  return typeof v === "bigint" ? v : int(name, v);
}

function operationArgs(
  command: string,
  operations: readonly BitfieldOperation[],
  readOnly: boolean,
): CommandArg[] {
  if (!Array.isArray(operations) || operations.length === 0) {
    throw new TypeError(
      `Cannot build ${command} as operations must be a non-empty array`,
    );
  }
  const args: CommandArg[] = [];
  operations.forEach((op: unknown, i) => {
    const name = `operations[${i}]`;
    if (typeof op !== "object" || op === null) {
      throw new TypeError(
        `Cannot build ${command} as ${name} must be an object, got ${
          describe(op)
        }`,
      );
    }
    const o = op as BitfieldOperation;
    if (readOnly && o.op !== "get") {
      throw new TypeError(
        `Cannot build ${command} as ${name}.op must be "get", got ${
          describe(o.op)
        }`,
      );
    }
    switch (o.op) {
      case "get":
        args.push("GET", ...field(command, name, o));
        break;
      case "set":
        args.push(
          "SET",
          ...field(command, name, o),
          integer(`${name}.value`, o.value),
        );
        break;
      case "incrby":
        args.push(
          "INCRBY",
          ...field(command, name, o),
          integer(`${name}.increment`, o.increment),
        );
        break;
      case "overflow":
        if (
          o.behavior !== "wrap" && o.behavior !== "sat" && o.behavior !== "fail"
        ) {
          throw new TypeError(
            `Cannot build ${command} as ${name}.behavior must be "wrap", "sat" or "fail", got ${
              describe(o.behavior)
            }`,
          );
        }
        args.push("OVERFLOW", o.behavior.toUpperCase());
        break;
      default:
        throw new TypeError(
          `Cannot build ${command} as ${name}.op must be "get", "set", "incrby" or "overflow", got ${
            describe((o as { op: unknown }).op)
          }`,
        );
    }
  });
  return args;
}

/** One integer, or null for an operation that failed on overflow. */
function toFieldValues(reply: RespValue): (number | null)[] {
  if (Array.isArray(reply)) return reply.map(toNumberOrNull);
  return unexpected("an array", reply);
}

/** A field value per GET (BITFIELD_RO never fails). */
function toReadValues(reply: RespValue): number[] {
  if (!Array.isArray(reply)) return unexpected("an array", reply);
  return reply.map((item) =>
    toNumberOrNull(item) ?? unexpected("an integer", item)
  );
}

/** BITFIELD and BITFIELD_RO: each builds the command and says how to read its reply. */
export class BitfieldCommands {
  /**
   * BITFIELD: runs GET, SET and INCRBY operations on integer fields of a
   * string, in order, atomically, growing the string as needed. OVERFLOW
   * operations set how the SET and INCRBY after them handle overflow.
   *
   * @example A saturating 8-bit counter next to a 16-bit one
   * ```ts ignore
   * await redis.bitfield("counters", [
   *   { op: "set", encoding: "u8", offset: 0, value: 250 },
   *   { op: "overflow", behavior: "sat" },
   *   { op: "incrby", encoding: "u8", offset: 0, increment: 10 },
   *   { op: "incrby", encoding: "i16", offset: "#1", increment: -5 },
   *   { op: "get", encoding: "u8", offset: 0 },
   * ]); // [0, 255, -5, 255]
   * ```
   *
   * @param k The key.
   * @param operations The operations, in order (at least one).
   * @returns One result per GET, SET and INCRBY, in order: the value read,
   * the value before the SET, the value after the INCRBY; null for an
   * operation that failed under `"fail"` overflow. (64-bit values beyond
   * 2^53 come as the nearest number.)
   * @throws {TypeError} When an operation, encoding, offset or value is
   * malformed.
   * @throws {RangeError} When an offset is negative.
   */
  bitfield(
    k: RedisKey,
    operations: readonly BitfieldOperation[],
  ): Command<(number | null)[]> {
    return command(
      [
        "BITFIELD",
        key("key", k),
        ...operationArgs("BITFIELD", operations, false),
      ],
      toFieldValues,
    );
  }

  /**
   * BITFIELD_RO: reads integer fields of a string (GET operations only);
   * unlike BITFIELD it is a read-only command, so replicas serve it.
   *
   * @example Reading two fields at once
   * ```ts ignore
   * await redis.bitfieldRo("counters", [
   *   { op: "get", encoding: "u8", offset: 0 },
   *   { op: "get", encoding: "i16", offset: "#1" },
   * ]); // [255, -5]
   * ```
   *
   * @param k The key.
   * @param operations The GET operations, in order (at least one).
   * @returns One value per operation; 0 past the end of the string or when
   * the key is missing.
   * @throws {TypeError} When an operation is not a well-formed GET.
   * @throws {RangeError} When an offset is negative.
   */
  bitfieldRo(
    k: RedisKey,
    operations: readonly BitfieldGet[],
  ): Command<number[]> {
    return command(
      [
        "BITFIELD_RO",
        key("key", k),
        ...operationArgs("BITFIELD_RO", operations, true),
      ],
      toReadValues,
    );
  }
}
