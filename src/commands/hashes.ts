/**
 * Hash commands.
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
  toValue,
  toValueOrNull,
  toValueOrNullEach,
  toValueRecord,
  toValues,
} from "./_reply.ts";
import { finite, flattenPairs, type Pairs } from "./_args.ts";
import { ProtocolError } from "../errors.ts";
import type { RespValue } from "../resp/decode.ts";
import type { CommandArg } from "../resp/encode.ts";

function fieldList(name: string, fields: RedisValue[]): RedisValue[] {
  if (fields.length === 0) {
    throw new TypeError(`Cannot build ${name} as it needs at least one field`);
  }
  return fields.map((f, i) => value(`field ${i}`, f));
}

/**
 * HRANDFIELD WITHVALUES: a flat field/value array under RESP2, an array of
 * two-element arrays under RESP3; both become pairs.
 */
function toFieldValuePairs(reply: RespValue): [string, string][] {
  if (!Array.isArray(reply)) {
    throw new ProtocolError(
      `Cannot read the HRANDFIELD reply as an array was expected, got ${
        reply === null ? "null" : typeof reply
      }`,
    );
  }
  const pairs: [string, string][] = [];
  if (reply.length > 0 && Array.isArray(reply[0])) {
    for (const pair of reply) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new ProtocolError(
          "Cannot read the HRANDFIELD reply as a [field, value] pair was expected",
        );
      }
      pairs.push([toValue(pair[0]), toValue(pair[1])]);
    }
    return pairs;
  }
  if (reply.length % 2 !== 0) {
    throw new ProtocolError(
      "Cannot read the HRANDFIELD reply as its field/value array has an odd length",
    );
  }
  for (let i = 0; i < reply.length; i += 2) {
    pairs.push([toValue(reply[i]), toValue(reply[i + 1])]);
  }
  return pairs;
}

/** Hash commands. */
export class HashCommands {
  /**
   * HSET: stores fields of a hash.
   *
   * @example Setting one field, a record, or pairs
   * ```ts ignore
   * await redis.hset("user:1", "name", "ada");
   * await redis.hset("user:1", { name: "ada", born: 1815 });
   * await redis.hset("user:1", new Map([["name", "ada"]]));
   * ```
   *
   * @param k The key.
   * @param fields A field and its value; or a record of fields and values,
   * or an iterable of `[field, value]` pairs (a `Map`, an array of tuples).
   * @returns How many fields were added (fields that existed and were
   * overwritten do not count).
   * @throws {TypeError} When there is nothing to store.
   */
  hset(
    k: RedisKey,
    ...fields:
      | [fields: Pairs<RedisValue>]
      | [field: RedisValue, value: RedisValue]
  ): Command<number> {
    const args: CommandArg[] = ["HSET", key("key", k)];
    if (fields.length === 2) {
      args.push(value("field", fields[0]), value("value", fields[1]));
    } else if (fields.length === 1) {
      args.push(...flattenPairs("HSET", fields[0], false));
    } else {
      throw new TypeError(
        `Cannot build HSET as it takes fields, or a field and a value, got ${
          (fields as unknown[]).length
        } arguments`,
      );
    }
    return command(args, toNumber);
  }

  /**
   * HSETNX: stores a field of a hash only when the field does not exist.
   *
   * @param k The key.
   * @param field The field.
   * @param v The value.
   * @returns Whether it was stored.
   */
  hsetnx(k: RedisKey, field: RedisValue, v: RedisValue): Command<boolean> {
    return command(
      ["HSETNX", key("key", k), value("field", field), value("value", v)],
      toBoolean,
    );
  }

  /**
   * HGET: the value of a field of a hash.
   *
   * @param k The key.
   * @param field The field.
   * @returns The value, or null when the field or the key does not exist.
   */
  hget(k: RedisKey, field: RedisValue): Command<string | null> {
    return command(
      ["HGET", key("key", k), value("field", field)],
      toValueOrNull,
    );
  }

  /**
   * HMGET: the values of several fields of a hash.
   *
   * @param k The key.
   * @param fields The fields.
   * @returns The values in the order of the fields, null for each missing
   * field.
   */
  hmget(k: RedisKey, ...fields: RedisValue[]): Command<(string | null)[]> {
    return command(
      ["HMGET", key("key", k), ...fieldList("HMGET", fields)],
      toValueOrNullEach,
    );
  }

  /**
   * HGETALL: every field and value of a hash.
   *
   * @param k The key.
   * @returns The fields and values; `{}` when the key does not exist.
   */
  hgetall(k: RedisKey): Command<Record<string, string>> {
    return command(["HGETALL", key("key", k)], toValueRecord);
  }

  /**
   * HDEL: removes fields of a hash.
   *
   * @param k The key.
   * @param fields The fields.
   * @returns How many existed.
   */
  hdel(k: RedisKey, ...fields: RedisValue[]): Command<number> {
    return command(
      ["HDEL", key("key", k), ...fieldList("HDEL", fields)],
      toNumber,
    );
  }

  /**
   * HEXISTS: whether a hash has a field.
   *
   * @param k The key.
   * @param field The field.
   * @returns Whether the field exists.
   */
  hexists(k: RedisKey, field: RedisValue): Command<boolean> {
    return command(
      ["HEXISTS", key("key", k), value("field", field)],
      toBoolean,
    );
  }

  /**
   * HSTRLEN: the length in bytes of the value of a field of a hash.
   *
   * @example Measuring a field's value
   * ```ts ignore
   * await redis.hset("user:1", { name: "Ada" });
   * await redis.hstrlen("user:1", "name"); // 3
   * ```
   *
   * @param k The key.
   * @param field The field.
   * @returns The length; 0 when the field or the key is missing.
   */
  hstrlen(k: RedisKey, field: RedisValue): Command<number> {
    return command(["HSTRLEN", key("key", k), value("field", field)], toNumber);
  }

  /**
   * HINCRBY: adds an integer to the integer stored in a field of a hash.
   *
   * @param k The key.
   * @param field The field.
   * @param increment The integer to add (may be negative).
   * @returns The new value.
   */
  hincrby(
    k: RedisKey,
    field: RedisValue,
    increment: number,
  ): Command<number> {
    return command(
      [
        "HINCRBY",
        key("key", k),
        value("field", field),
        int("increment", increment),
      ],
      toNumber,
    );
  }

  /**
   * HINCRBYFLOAT: adds a number to the number stored in a field of a hash.
   *
   * @param k The key.
   * @param field The field.
   * @param increment The number to add (may be negative or fractional).
   * @returns The new value.
   */
  hincrbyfloat(
    k: RedisKey,
    field: RedisValue,
    increment: number,
  ): Command<number> {
    return command(
      [
        "HINCRBYFLOAT",
        key("key", k),
        value("field", field),
        finite("increment", increment),
      ],
      toNumber,
    );
  }

  /**
   * HKEYS: the fields of a hash.
   *
   * @param k The key.
   * @returns The fields; `[]` when the key does not exist.
   */
  hkeys(k: RedisKey): Command<string[]> {
    return command(["HKEYS", key("key", k)], toValues);
  }

  /**
   * HVALS: the values of a hash.
   *
   * @param k The key.
   * @returns The values; `[]` when the key does not exist.
   */
  hvals(k: RedisKey): Command<string[]> {
    return command(["HVALS", key("key", k)], toValues);
  }

  /**
   * HLEN: the number of fields of a hash.
   *
   * @param k The key.
   * @returns The number of fields; 0 when the key does not exist.
   */
  hlen(k: RedisKey): Command<number> {
    return command(["HLEN", key("key", k)], toNumber);
  }

  /**
   * HRANDFIELD: a random field of a hash.
   *
   * @param k The key.
   * @returns A field, or null when the key does not exist.
   */
  hrandfield(k: RedisKey): Command<string | null> {
    return command(["HRANDFIELD", key("key", k)], toValueOrNull);
  }

  /**
   * HRANDFIELD with a count: random fields of a hash.
   *
   * @example Distinct fields, or a sample with repeats
   * ```ts ignore
   * await redis.hrandfieldCount("user:1", 2); // up to 2 distinct fields
   * await redis.hrandfieldCount("user:1", -5); // exactly 5, maybe repeated
   * ```
   *
   * @param k The key.
   * @param count More than 0: up to that many distinct fields; less than 0:
   * exactly `-count` fields, possibly repeated.
   * @returns The fields; `[]` when the key does not exist.
   */
  hrandfieldCount(k: RedisKey, count: number): Command<string[]> {
    return command(
      ["HRANDFIELD", key("key", k), int("count", count)],
      toValues,
    );
  }

  /**
   * HRANDFIELD with a count and WITHVALUES: random fields of a hash with
   * their values, as pairs (a record could not hold repeated fields).
   *
   * @example Sampling fields with their values
   * ```ts ignore
   * const pairs = await redis.hrandfieldWithValues("user:1", 2);
   * // [["name", "ada"], ["born", "1815"]]
   * ```
   *
   * @param k The key.
   * @param count More than 0: up to that many distinct fields; less than 0:
   * exactly `-count` fields, possibly repeated.
   * @returns `[field, value]` pairs; `[]` when the key does not exist.
   */
  hrandfieldWithValues(
    k: RedisKey,
    count: number,
  ): Command<[string, string][]> {
    return command(
      ["HRANDFIELD", key("key", k), int("count", count), "WITHVALUES"],
      toFieldValuePairs,
    );
  }
}
