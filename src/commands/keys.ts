/**
 * Generic key commands.
 *
 * @module
 */

import { type Command, command, int, key, type RedisKey } from "./_command.ts";
import { toBoolean, toNumber } from "./_reply.ts";

function keys(name: string, list: RedisKey[]): RedisKey[] {
  if (list.length === 0) {
    throw new TypeError(`Cannot build ${name} as it needs at least one key`);
  }
  return list.map((k, i) => key(`key ${i}`, k));
}

/** DEL: how many of the keys existed and were removed. */
export function del(...k: RedisKey[]): Command<number> {
  return command(["DEL", ...keys("DEL", k)], toNumber);
}

/** EXISTS: how many of the keys exist (a key named twice counts twice). */
export function exists(...k: RedisKey[]): Command<number> {
  return command(["EXISTS", ...keys("EXISTS", k)], toNumber);
}

/** EXPIRE: whether the time to live was set. */
export function expire(k: RedisKey, seconds: number): Command<boolean> {
  return command(["EXPIRE", key("key", k), int("seconds", seconds)], toBoolean);
}

/** TTL: seconds to live, -1 without expiry, -2 when the key does not exist. */
export function ttl(k: RedisKey): Command<number> {
  return command(["TTL", key("key", k)], toNumber);
}
