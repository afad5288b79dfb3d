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
import { toNumber, toOkOrNull, toStringOrNull } from "./_reply.ts";
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

function positive(name: string, n: unknown): number {
  const v = int(name, n);
  if (v <= 0) {
    throw new RangeError(
      `Cannot build SET as ${name} must be positive, got ${v}`,
    );
  }
  return v;
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
    return command(["GET", key("key", k)], toStringOrNull);
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
    const expiries = ["ex", "px", "exat", "pxat", "keepTtl"] as const;
    const given = expiries.filter((name) =>
      options[name] !== undefined && options[name] !== false
    );
    if (given.length > 1) {
      throw new TypeError(
        `Cannot build SET as options ${given.join(" and ")} exclude each other`,
      );
    }
    if (options.nx && options.xx) {
      throw new TypeError(
        "Cannot build SET as options nx and xx exclude each other",
      );
    }
    if (options.ex !== undefined) args.push("EX", positive("ex", options.ex));
    if (options.px !== undefined) args.push("PX", positive("px", options.px));
    if (options.exat !== undefined) {
      args.push("EXAT", positive("exat", options.exat));
    }
    if (options.pxat !== undefined) {
      args.push("PXAT", positive("pxat", options.pxat));
    }
    if (options.keepTtl) args.push("KEEPTTL");
    if (options.nx) args.push("NX");
    if (options.xx) args.push("XX");
    if (options.get) {
      args.push("GET");
      return command(args, toStringOrNull);
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
}
