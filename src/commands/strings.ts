/**
 * String commands.
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
import {
  toBoolean,
  toNumber,
  toOk,
  toOkOrNull,
  toValue,
  toValueOrNull,
  toValueOrNullEach,
} from "./_reply.ts";
import { finite, flattenPairs, type Pairs } from "./_args.ts";
import type { CommandArg } from "../resp/encode.ts";

/** Options of SET. At most one of `ex`, `px`, `exat`, `pxat`, `keepTtl`. */
export interface SetOptions {
  /** Expire after this many seconds. */
  ex?: number;
  /** Expire after this many milliseconds. */
  px?: number;
  /** Expire at this Unix time, in seconds. */
  exat?: number;
  /** Expire at this Unix time, in milliseconds. */
  pxat?: number;
  /** Keep the key's current time to live. */
  keepTtl?: boolean;
  /** Only set when the key does not exist. */
  nx?: boolean;
  /** Only set when the key exists. */
  xx?: boolean;
  /** Return the old value (the reply is then the old value or null). */
  get?: boolean;
}

/**
 * Options of GETEX. At most one of `ex`, `px`, `exat`, `pxat`, `persist`;
 * with none, GETEX reads like GET.
 */
export interface GetexOptions {
  /** Expire after this many seconds. */
  ex?: number;
  /** Expire after this many milliseconds. */
  px?: number;
  /** Expire at this Unix time, in seconds. */
  exat?: number;
  /** Expire at this Unix time, in milliseconds. */
  pxat?: number;
  /** Remove the key's time to live. */
  persist?: boolean;
}

function positive(command: string, name: string, n: unknown): number {
  const v = int(name, n);
  if (v <= 0) {
    throw new RangeError(
      `Cannot build ${command} as ${name} must be positive, got ${v}`,
    );
  }
  return v;
}

/** Pushes the one expiry option given (EX, PX, EXAT, PXAT, ...) onto args. */
function expiry(
  command: string,
  args: CommandArg[],
  options: SetOptions & GetexOptions,
  names: readonly ("ex" | "px" | "exat" | "pxat" | "keepTtl" | "persist")[],
): void {
  const given = names.filter((name) =>
    options[name] !== undefined && options[name] !== false
  );
  if (given.length > 1) {
    throw new TypeError(
      `Cannot build ${command} as options ${
        given.join(" and ")
      } exclude each other`,
    );
  }
  if (options.ex !== undefined) {
    args.push("EX", positive(command, "ex", options.ex));
  }
  if (options.px !== undefined) {
    args.push("PX", positive(command, "px", options.px));
  }
  if (options.exat !== undefined) {
    args.push("EXAT", positive(command, "exat", options.exat));
  }
  if (options.pxat !== undefined) {
    args.push("PXAT", positive(command, "pxat", options.pxat));
  }
  if (options.keepTtl) args.push("KEEPTTL");
  if (options.persist) args.push("PERSIST");
}

function keyList(command: string, keys: RedisKey[]): RedisKey[] {
  if (keys.length === 0) {
    throw new TypeError(`Cannot build ${command} as it needs at least one key`);
  }
  return keys.map((k, i) => key(`key ${i}`, k));
}

/** String commands: each builds the command and says how to read its reply. */
export class StringCommands {
  /**
   * GET: the value of a key.
   *
   * @param k The key.
   * @returns The value, or null when the key does not exist.
   */
  get(k: RedisKey): Command<string | null> {
    return command(["GET", key("key", k)], toValueOrNull);
  }

  /**
   * SET: stores a value, with an optional expiry and condition.
   *
   * @example Setting with an expiry only when absent
   * ```ts ignore
   * const ok = await redis.set("lock", "me", { px: 30_000, nx: true }); // "OK" or null
   * ```
   *
   * @param k The key.
   * @param v The value.
   * @param options Expiry (`ex`, `px`, `exat`, `pxat`, `keepTtl`), condition
   * (`nx`, `xx`) and `get` for the old value.
   * @returns `"OK"`, or null when `nx`/`xx` prevented it; with `get`, the old
   * value or null.
   */
  set(
    k: RedisKey,
    v: RedisValue,
    options?: SetOptions,
  ): Command<string | null> {
    const args: CommandArg[] = ["SET", key("key", k), value("value", v)];
    if (options === undefined) return command(args, toOkOrNull);
    if (options.nx && options.xx) {
      throw new TypeError(
        "Cannot build SET as options nx and xx exclude each other",
      );
    }
    expiry("SET", args, options, ["ex", "px", "exat", "pxat", "keepTtl"]);
    if (options.nx) args.push("NX");
    if (options.xx) args.push("XX");
    if (options.get) {
      args.push("GET");
      return command(args, toValueOrNull);
    }
    return command(args, toOkOrNull);
  }

  /**
   * INCR: adds one to the integer stored at a key.
   *
   * @param k The key.
   * @returns The new value.
   */
  incr(k: RedisKey): Command<number> {
    return command(["INCR", key("key", k)], toNumber);
  }

  /**
   * INCRBY: adds an integer to the integer stored at a key.
   *
   * @param k The key.
   * @param increment The integer to add (may be negative).
   * @returns The new value.
   */
  incrby(k: RedisKey, increment: number): Command<number> {
    return command(
      ["INCRBY", key("key", k), int("increment", increment)],
      toNumber,
    );
  }

  /**
   * INCRBYFLOAT: adds a number to the number stored at a key.
   *
   * @param k The key.
   * @param increment The number to add (may be negative or fractional).
   * @returns The new value.
   */
  incrbyfloat(k: RedisKey, increment: number): Command<number> {
    return command(
      ["INCRBYFLOAT", key("key", k), finite("increment", increment)],
      toNumber,
    );
  }

  /**
   * DECR: subtracts one from the integer stored at a key.
   *
   * @param k The key.
   * @returns The new value.
   */
  decr(k: RedisKey): Command<number> {
    return command(["DECR", key("key", k)], toNumber);
  }

  /**
   * DECRBY: subtracts an integer from the integer stored at a key.
   *
   * @param k The key.
   * @param decrement The integer to subtract.
   * @returns The new value.
   */
  decrby(k: RedisKey, decrement: number): Command<number> {
    return command(
      ["DECRBY", key("key", k), int("decrement", decrement)],
      toNumber,
    );
  }

  /**
   * MGET: the values of several keys.
   *
   * @param keys The keys.
   * @returns The values in the order of the keys, null for each key that
   * does not exist or does not hold a string.
   */
  mget(...keys: RedisKey[]): Command<(string | null)[]> {
    return command(["MGET", ...keyList("MGET", keys)], toValueOrNullEach);
  }

  /**
   * MSET: stores several values at once.
   *
   * @example Setting from a record or from pairs
   * ```ts ignore
   * await redis.mset({ "user:1": "ada", "user:2": "grace" });
   * await redis.mset([["user:3", "edsger"], [bytesKey, "alan"]]);
   * ```
   *
   * @param entries A record of keys and values, or an iterable of
   * `[key, value]` pairs (a `Map`, an array of tuples).
   * @returns `"OK"`.
   */
  mset(entries: Pairs): Command<"OK"> {
    return command(["MSET", ...flattenPairs("MSET", entries, true)], toOk);
  }

  /**
   * MSETNX: stores several values only when none of the keys exists.
   *
   * @param entries A record of keys and values, or an iterable of
   * `[key, value]` pairs (a `Map`, an array of tuples).
   * @returns Whether the values were stored (false when any key existed).
   */
  msetnx(entries: Pairs): Command<boolean> {
    return command(
      ["MSETNX", ...flattenPairs("MSETNX", entries, true)],
      toBoolean,
    );
  }

  /**
   * SETNX: stores a value only when the key does not exist.
   *
   * @param k The key.
   * @param v The value.
   * @returns Whether it was stored.
   */
  setnx(k: RedisKey, v: RedisValue): Command<boolean> {
    return command(["SETNX", key("key", k), value("value", v)], toBoolean);
  }

  /**
   * GETDEL: the value of a key, deleting the key.
   *
   * @param k The key.
   * @returns The value, or null when the key does not exist.
   */
  getdel(k: RedisKey): Command<string | null> {
    return command(["GETDEL", key("key", k)], toValueOrNull);
  }

  /**
   * GETEX: the value of a key, setting or removing its time to live.
   *
   * @example Reading a session and sliding its expiry
   * ```ts ignore
   * const session = await redis.getex("session:42", { ex: 1_800 });
   * ```
   *
   * @param k The key.
   * @param options One of `ex`, `px`, `exat`, `pxat` (a new expiry) or
   * `persist` (no expiry).
   * @returns The value, or null when the key does not exist.
   * @throws {TypeError} When more than one option is given.
   * @throws {RangeError} When a time is not positive.
   */
  getex(k: RedisKey, options?: GetexOptions): Command<string | null> {
    const args: CommandArg[] = ["GETEX", key("key", k)];
    if (options !== undefined) {
      expiry("GETEX", args, options, ["ex", "px", "exat", "pxat", "persist"]);
    }
    return command(args, toValueOrNull);
  }

  /**
   * GETRANGE: part of the value of a key, by byte offsets.
   *
   * @param k The key.
   * @param start The first byte offset; negative counts from the end.
   * @param end The last byte offset (inclusive); negative counts from the end.
   * @returns The part; `""` when the key does not exist or the range is empty.
   */
  getrange(k: RedisKey, start: number, end: number): Command<string> {
    return command(
      ["GETRANGE", key("key", k), int("start", start), int("end", end)],
      toValue,
    );
  }

  /**
   * SETRANGE: overwrites part of the value of a key from a byte offset,
   * padding with zero bytes when the value is shorter.
   *
   * @param k The key.
   * @param offset The byte offset to write at.
   * @param v The bytes to write.
   * @returns The length of the value after the write.
   * @throws {RangeError} When the offset is negative.
   */
  setrange(k: RedisKey, offset: number, v: RedisValue): Command<number> {
    if (int("offset", offset) < 0) {
      throw new RangeError(
        `Cannot build SETRANGE as offset must not be negative, got ${offset}`,
      );
    }
    return command(
      ["SETRANGE", key("key", k), offset, value("value", v)],
      toNumber,
    );
  }

  /**
   * APPEND: appends to the value of a key (creating it when missing).
   *
   * @param k The key.
   * @param v The value to append.
   * @returns The length of the value after the append.
   */
  append(k: RedisKey, v: RedisValue): Command<number> {
    return command(["APPEND", key("key", k), value("value", v)], toNumber);
  }

  /**
   * STRLEN: the length of the value of a key, in bytes.
   *
   * @param k The key.
   * @returns The length; 0 when the key does not exist.
   */
  strlen(k: RedisKey): Command<number> {
    return command(["STRLEN", key("key", k)], toNumber);
  }
}
