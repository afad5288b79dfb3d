/**
 * The typed command methods shared by {@linkcode Client} and
 * {@linkcode Lease}: each is one line that hands a builder's command to the
 * executor, so the command itself is defined once, in its family's file.
 *
 * @module
 */

import type { CommandArg } from "../resp/encode.ts";
import type { RespValue } from "../resp/decode.ts";
import type { CommandOptions } from "../connection.ts";
import type { Command, RedisKey, RedisValue } from "./_command.ts";
import * as keys from "./keys.ts";
import * as server from "./server.ts";
import * as strings from "./strings.ts";
import type { SetOptions } from "./strings.ts";

/** Options of {@linkcode RedisCommands.send}. */
export interface SendOptions extends CommandOptions {}

/** The command methods of clients and leases. */
export abstract class RedisCommands {
  /**
   * Runs one built command.
   *
   * @param command The command and its reply mapper.
   * @param options Per-call options.
   * @returns The mapped reply.
   */
  protected abstract run<T>(
    command: Command<T>,
    options?: CommandOptions,
  ): Promise<T>;

  /**
   * Sends any command and returns the server's reply as decoded.
   *
   * @example Sending a command that has no typed method
   * ```ts ignore
   * const length = await redis.send(["STRLEN", "greeting"]);
   * const raw = await redis.send(["GET", "greeting"], { bytes: true }); // Uint8Array
   * ```
   *
   * @param args The command name and its arguments.
   * @param options `bytes: true` returns bulk strings as `Uint8Array`; also a
   * per-call `timeout` and `signal`.
   * @returns The reply: strings, numbers, arrays, `Map`s (RESP3 maps), `Set`s
   * (RESP3 sets), `null`, or bytes.
   * @throws {ReplyError} When the server answers with an error.
   */
  send(
    args: readonly CommandArg[],
    options?: SendOptions,
  ): Promise<RespValue> {
    if (!Array.isArray(args)) {
      return Promise.reject(
        new TypeError(
          `Cannot send the command as args must be an array, got ${typeof args}`,
        ),
      );
    }
    return this.run({ args: args as CommandArg[], map: identity }, options);
  }

  /**
   * GET: the value of a key.
   *
   * @param key The key.
   * @returns The value, or null when the key does not exist.
   */
  get(key: RedisKey): Promise<string | null> {
    return this.run(strings.get(key));
  }

  /**
   * SET: stores a value, with an optional expiry and condition.
   *
   * @example Setting with an expiry only when absent
   * ```ts ignore
   * const ok = await redis.set("lock", "me", { px: 30_000, nx: true }); // "OK" or null
   * ```
   *
   * @param key The key.
   * @param value The value.
   * @param options Expiry (`ex`, `px`, `exat`, `pxat`, `keepTtl`),
   * condition (`nx`, `xx`) and `get` for the old value.
   * @returns `"OK"`, or null when `nx`/`xx` prevented it; with `get`, the old
   * value or null.
   */
  set(
    key: RedisKey,
    value: RedisValue,
    options?: SetOptions,
  ): Promise<string | null> {
    return this.run(strings.set(key, value, options));
  }

  /**
   * INCR: adds one to the integer stored at a key.
   *
   * @param key The key.
   * @returns The new value.
   */
  incr(key: RedisKey): Promise<number> {
    return this.run(strings.incr(key));
  }

  /**
   * DEL: removes keys.
   *
   * @param keys The keys.
   * @returns How many existed.
   */
  del(...keys_: RedisKey[]): Promise<number> {
    return this.run(keys.del(...keys_));
  }

  /**
   * EXISTS: counts the keys that exist.
   *
   * @param keys The keys.
   * @returns How many exist.
   */
  exists(...keys_: RedisKey[]): Promise<number> {
    return this.run(keys.exists(...keys_));
  }

  /**
   * EXPIRE: sets a time to live in seconds.
   *
   * @param key The key.
   * @param seconds The time to live.
   * @returns Whether it was set (false when the key does not exist).
   */
  expire(key: RedisKey, seconds: number): Promise<boolean> {
    return this.run(keys.expire(key, seconds));
  }

  /**
   * TTL: the time to live of a key in seconds.
   *
   * @param key The key.
   * @returns Seconds, -1 when the key has no expiry, -2 when it is missing.
   */
  ttl(key: RedisKey): Promise<number> {
    return this.run(keys.ttl(key));
  }

  /**
   * PING: checks the connection.
   *
   * @param message A message to echo instead of PONG.
   * @returns `"PONG"` or the message.
   */
  ping(message?: string): Promise<string> {
    return this.run(server.ping(message));
  }
}

const identity = (reply: RespValue): RespValue => reply;
