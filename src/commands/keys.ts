/**
 * Generic key commands.
 *
 * @module
 */

import { type Command, command, int, key, type RedisKey } from "./_command.ts";
import { toBoolean, toNumber } from "./_reply.ts";

function keyList(name: string, list: RedisKey[]): RedisKey[] {
  if (list.length === 0) {
    throw new TypeError(`Cannot build ${name} as it needs at least one key`);
  }
  return list.map((k, i) => key(`key ${i}`, k));
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
   * EXISTS: counts the keys that exist (a key named twice counts twice).
   *
   * @param keys The keys.
   * @returns How many exist.
   */
  exists(...keys: RedisKey[]): Command<number> {
    return command(["EXISTS", ...keyList("EXISTS", keys)], toNumber);
  }

  /**
   * EXPIRE: sets a time to live in seconds.
   *
   * @param k The key.
   * @param seconds The time to live.
   * @returns Whether it was set (false when the key does not exist).
   */
  expire(k: RedisKey, seconds: number): Command<boolean> {
    return command(
      ["EXPIRE", key("key", k), int("seconds", seconds)],
      toBoolean,
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
}
