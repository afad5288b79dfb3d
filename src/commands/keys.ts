/**
 * Generic key commands.
 *
 * @module
 */

import {
  binary,
  type Command,
  command,
  int,
  key,
  type RedisKey,
} from "./_command.ts";
import { toBoolean, toNumber, toOk, toText, toValueOrNull } from "./_reply.ts";
import { ProtocolError } from "../errors.ts";
import type { RespValue } from "../resp/decode.ts";
import type { CommandArg } from "../resp/encode.ts";

/**
 * When EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT may set the expiry. `nx`
 * excludes the others; `gt` and `lt` exclude each other; `xx` combines with
 * `gt` or `lt`. A key without an expiry counts as expiring never (so `gt`
 * never applies to it and `lt` always does).
 */
export interface ExpireOptions {
  /** Only when the key has no expiry. */
  nx?: boolean;
  /** Only when the key has an expiry. */
  xx?: boolean;
  /** Only when the new expiry is later than the current one. */
  gt?: boolean;
  /** Only when the new expiry is earlier than the current one. */
  lt?: boolean;
}

/** Options of COPY. */
export interface CopyOptions {
  /** Copy into this database instead of the connection's own. */
  db?: number;
  /**
   * Overwrite the destination when it exists.
   *
   * @default {false}
   */
  replace?: boolean;
}

/** Options of RESTORE. `idletime` and `freq` exclude each other. */
export interface RestoreOptions {
  /**
   * Overwrite the key when it exists (otherwise RESTORE fails).
   *
   * @default {false}
   */
  replace?: boolean;
  /**
   * The `ttl` argument is a Unix time in milliseconds, not a duration.
   *
   * @default {false}
   */
  absttl?: boolean;
  /** The key's idle time, in seconds (for LRU eviction). */
  idletime?: number;
  /** The key's access frequency, 0 to 255 (for LFU eviction). */
  freq?: number;
}

function keyList(name: string, list: RedisKey[]): RedisKey[] {
  if (list.length === 0) {
    throw new TypeError(`Cannot build ${name} as it needs at least one key`);
  }
  return list.map((k, i) => key(`key ${i}`, k));
}

function nonNegative(command: string, name: string, n: unknown): number {
  const v = int(name, n);
  if (v < 0) {
    throw new RangeError(
      `Cannot build ${command} as ${name} must not be negative, got ${v}`,
    );
  }
  return v;
}

/** Builds EXPIRE, PEXPIRE, EXPIREAT or PEXPIREAT with its condition. */
function expiry(
  name: string,
  k: RedisKey,
  unit: string,
  time: number,
  condition: ExpireOptions | undefined,
): Command<boolean> {
  const args: CommandArg[] = [name, key("key", k), int(unit, time)];
  if (condition !== undefined) {
    if (typeof condition !== "object" || condition === null) {
      throw new TypeError(
        `Cannot build ${name} as its condition must be an object, got ${
          condition === null ? "null" : typeof condition
        }`,
      );
    }
    const given = (["nx", "xx", "gt", "lt"] as const).filter((flag) =>
      condition[flag]
    );
    if (condition.nx && given.length > 1) {
      throw new TypeError(
        `Cannot build ${name} as options ${
          given.join(" and ")
        } exclude each other`,
      );
    }
    if (condition.gt && condition.lt) {
      throw new TypeError(
        `Cannot build ${name} as options gt and lt exclude each other`,
      );
    }
    for (const flag of given) args.push(flag.toUpperCase());
  }
  return command(args, toBoolean);
}

/** DUMP's payload: bytes, as the command is read in bytes mode. */
function toPayloadOrNull(reply: RespValue): Uint8Array | null {
  if (reply === null || reply instanceof Uint8Array) return reply;
  throw new ProtocolError(
    `Cannot read the DUMP reply as bytes were expected, got ${
      Array.isArray(reply) ? "an array" : typeof reply
    }`,
  );
}

/** Generic key commands. */
export class KeyCommands {
  /**
   * DEL: removes keys.
   *
   * @param keys The keys.
   * @returns How many existed.
   */
  del(...keys: RedisKey[]): Command<number> {
    return command(["DEL", ...keyList("DEL", keys)], toNumber);
  }

  /**
   * UNLINK: removes keys, freeing their memory in the background.
   *
   * @param keys The keys.
   * @returns How many existed.
   */
  unlink(...keys: RedisKey[]): Command<number> {
    return command(["UNLINK", ...keyList("UNLINK", keys)], toNumber);
  }

  /**
   * EXISTS: counts the keys that exist (a key named twice counts twice).
   *
   * @param keys The keys.
   * @returns How many exist.
   */
  exists(...keys: RedisKey[]): Command<number> {
    return command(["EXISTS", ...keyList("EXISTS", keys)], toNumber);
  }

  /**
   * TOUCH: marks keys as just accessed (for LRU/LFU eviction).
   *
   * @param keys The keys.
   * @returns How many exist.
   */
  touch(...keys: RedisKey[]): Command<number> {
    return command(["TOUCH", ...keyList("TOUCH", keys)], toNumber);
  }

  /**
   * EXPIRE: sets a time to live in seconds.
   *
   * @example Extending an expiry, never shortening it
   * ```ts ignore
   * const extended = await redis.expire("session:42", 3_600, { gt: true });
   * ```
   *
   * @param k The key.
   * @param seconds The time to live.
   * @param condition When to set it: `nx`, `xx`, `gt`, `lt`.
   * @returns Whether it was set (false when the key does not exist or the
   * condition did not hold).
   * @throws {TypeError} When the condition's options exclude each other.
   */
  expire(
    k: RedisKey,
    seconds: number,
    condition?: ExpireOptions,
  ): Command<boolean> {
    return expiry("EXPIRE", k, "seconds", seconds, condition);
  }

  /**
   * PEXPIRE: sets a time to live in milliseconds.
   *
   * @param k The key.
   * @param milliseconds The time to live.
   * @param condition When to set it: `nx`, `xx`, `gt`, `lt`.
   * @returns Whether it was set (false when the key does not exist or the
   * condition did not hold).
   * @throws {TypeError} When the condition's options exclude each other.
   */
  pexpire(
    k: RedisKey,
    milliseconds: number,
    condition?: ExpireOptions,
  ): Command<boolean> {
    return expiry("PEXPIRE", k, "milliseconds", milliseconds, condition);
  }

  /**
   * EXPIREAT: sets the time a key expires, as a Unix time in seconds.
   *
   * @param k The key.
   * @param unixSeconds When it expires (a time in the past deletes it).
   * @param condition When to set it: `nx`, `xx`, `gt`, `lt`.
   * @returns Whether it was set (false when the key does not exist or the
   * condition did not hold).
   * @throws {TypeError} When the condition's options exclude each other.
   */
  expireat(
    k: RedisKey,
    unixSeconds: number,
    condition?: ExpireOptions,
  ): Command<boolean> {
    return expiry("EXPIREAT", k, "unixSeconds", unixSeconds, condition);
  }

  /**
   * PEXPIREAT: sets the time a key expires, as a Unix time in milliseconds.
   *
   * @param k The key.
   * @param unixMilliseconds When it expires (a time in the past deletes it).
   * @param condition When to set it: `nx`, `xx`, `gt`, `lt`.
   * @returns Whether it was set (false when the key does not exist or the
   * condition did not hold).
   * @throws {TypeError} When the condition's options exclude each other.
   */
  pexpireat(
    k: RedisKey,
    unixMilliseconds: number,
    condition?: ExpireOptions,
  ): Command<boolean> {
    return expiry(
      "PEXPIREAT",
      k,
      "unixMilliseconds",
      unixMilliseconds,
      condition,
    );
  }

  /**
   * TTL: the time to live of a key in seconds.
   *
   * @param k The key.
   * @returns Seconds, -1 when the key has no expiry, -2 when it is missing.
   */
  ttl(k: RedisKey): Command<number> {
    return command(["TTL", key("key", k)], toNumber);
  }

  /**
   * PTTL: the time to live of a key in milliseconds.
   *
   * @param k The key.
   * @returns Milliseconds, -1 when the key has no expiry, -2 when it is
   * missing.
   */
  pttl(k: RedisKey): Command<number> {
    return command(["PTTL", key("key", k)], toNumber);
  }

  /**
   * EXPIRETIME: when a key expires, as a Unix time in seconds.
   *
   * @example Reading an absolute expiry
   * ```ts ignore
   * await redis.set("session", "x", { exat: 1_900_000_000 });
   * await redis.expiretime("session"); // 1900000000
   * ```
   *
   * @param k The key.
   * @returns Seconds since the Unix epoch, -1 when the key has no expiry,
   * -2 when it is missing.
   */
  expiretime(k: RedisKey): Command<number> {
    return command(["EXPIRETIME", key("key", k)], toNumber);
  }

  /**
   * PEXPIRETIME: when a key expires, as a Unix time in milliseconds.
   *
   * @example Turning the expiry into a Date
   * ```ts ignore
   * const at = await redis.pexpiretime("session");
   * if (at >= 0) console.log(new Date(at));
   * ```
   *
   * @param k The key.
   * @returns Milliseconds since the Unix epoch, -1 when the key has no
   * expiry, -2 when it is missing.
   */
  pexpiretime(k: RedisKey): Command<number> {
    return command(["PEXPIRETIME", key("key", k)], toNumber);
  }

  /**
   * PERSIST: removes the time to live of a key.
   *
   * @param k The key.
   * @returns Whether it was removed (false when the key is missing or has no
   * expiry).
   */
  persist(k: RedisKey): Command<boolean> {
    return command(["PERSIST", key("key", k)], toBoolean);
  }

  /**
   * TYPE: the type of the value stored at a key.
   *
   * @param k The key.
   * @returns `"string"`, `"list"`, `"set"`, `"zset"`, `"hash"`, `"stream"`
   * (or a module's type name), or `"none"` when the key does not exist.
   */
  type(k: RedisKey): Command<string> {
    return command(["TYPE", key("key", k)], toText);
  }

  /**
   * RENAME: renames a key, overwriting the new name when it exists.
   *
   * @param k The key.
   * @param newKey Its new name.
   * @returns `"OK"`.
   * @throws {ReplyError} When the key does not exist.
   */
  rename(k: RedisKey, newKey: RedisKey): Command<"OK"> {
    return command(["RENAME", key("key", k), key("newKey", newKey)], toOk);
  }

  /**
   * RENAMENX: renames a key only when the new name does not exist.
   *
   * @param k The key.
   * @param newKey Its new name.
   * @returns Whether it was renamed.
   * @throws {ReplyError} When the key does not exist.
   */
  renamenx(k: RedisKey, newKey: RedisKey): Command<boolean> {
    return command(
      ["RENAMENX", key("key", k), key("newKey", newKey)],
      toBoolean,
    );
  }

  /**
   * COPY: copies the value of a key to another key, possibly in another
   * database.
   *
   * @example Copying into database 1, overwriting
   * ```ts ignore
   * const copied = await redis.copy("config", "config", { db: 1, replace: true });
   * ```
   *
   * @param source The key to copy.
   * @param destination The key to copy to.
   * @param options `db` (the destination database) and `replace`.
   * @returns Whether it was copied (false when the source is missing or the
   * destination exists without `replace`).
   * @throws {RangeError} When `db` is negative.
   */
  copy(
    source: RedisKey,
    destination: RedisKey,
    options?: CopyOptions,
  ): Command<boolean> {
    const args: CommandArg[] = [
      "COPY",
      key("source", source),
      key("destination", destination),
    ];
    if (options?.db !== undefined) {
      args.push("DB", nonNegative("COPY", "db", options.db));
    }
    if (options?.replace) args.push("REPLACE");
    return command(args, toBoolean);
  }

  /**
   * DUMP: the value of a key serialized in Redis's format, for RESTORE.
   *
   * @param k The key.
   * @returns The serialized value, or null when the key does not exist.
   */
  dump(k: RedisKey): Command<Uint8Array | null> {
    return binary(["DUMP", key("key", k)], toPayloadOrNull);
  }

  /**
   * RESTORE: creates a key from a value serialized by DUMP.
   *
   * @example Moving a key's value to another name
   * ```ts ignore
   * const payload = await redis.dump("source");
   * if (payload) await redis.restore("target", 0, payload, { replace: true });
   * ```
   *
   * @param k The key.
   * @param ttl Its time to live in milliseconds, 0 for none (with `absttl`,
   * a Unix time in milliseconds).
   * @param payload The serialized value from DUMP.
   * @param options `replace`, `absttl`, and `idletime` or `freq`.
   * @returns `"OK"`.
   * @throws {TypeError} When the payload is not bytes or `idletime` and
   * `freq` are both given.
   * @throws {RangeError} When `ttl`, `idletime` or `freq` is out of range.
   * @throws {ReplyError} When the key exists without `replace`, or the
   * payload is corrupt.
   */
  restore(
    k: RedisKey,
    ttl: number,
    payload: Uint8Array,
    options?: RestoreOptions,
  ): Command<"OK"> {
    if (!(payload instanceof Uint8Array)) {
      throw new TypeError(
        `Cannot build RESTORE as payload must be a Uint8Array, got ${
          payload === null ? "null" : typeof payload
        }`,
      );
    }
    const args: CommandArg[] = [
      "RESTORE",
      key("key", k),
      nonNegative("RESTORE", "ttl", ttl),
      payload,
    ];
    if (options !== undefined) {
      if (options.idletime !== undefined && options.freq !== undefined) {
        throw new TypeError(
          "Cannot build RESTORE as options idletime and freq exclude each other",
        );
      }
      if (options.replace) args.push("REPLACE");
      if (options.absttl) args.push("ABSTTL");
      if (options.idletime !== undefined) {
        args.push(
          "IDLETIME",
          nonNegative("RESTORE", "idletime", options.idletime),
        );
      }
      if (options.freq !== undefined) {
        const freq = nonNegative("RESTORE", "freq", options.freq);
        if (freq > 255) {
          throw new RangeError(
            `Cannot build RESTORE as freq must be at most 255, got ${freq}`,
          );
        }
        args.push("FREQ", freq);
      }
    }
    return command(args, toOk);
  }

  /**
   * RANDOMKEY: a random key of the database.
   *
   * @returns A key, or null when the database is empty.
   */
  randomkey(): Command<string | null> {
    return command(["RANDOMKEY"], toValueOrNull);
  }
}
