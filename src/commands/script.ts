/**
 * A Lua script sent by its SHA-1 digest (EVALSHA) and loaded again on
 * demand when the server's script cache does not have it.
 *
 * @module
 */

import { key, type RedisKey, type RedisValue, value } from "./_command.ts";
import type { CommandSender, SendOptions } from "./scan.ts";
import { ReplyError } from "../errors.ts";
import type { CommandArg } from "../resp/encode.ts";
import type { RespValue } from "../resp/decode.ts";

/** Options of {@linkcode Script.run}. */
export interface ScriptRunOptions extends SendOptions {
  /**
   * Run with EVALSHA_RO/EVAL_RO: the script may not write, and may run on
   * a replica.
   *
   * @default {false}
   */
  readOnly?: boolean;
}

function hex(bytes: ArrayBuffer): string {
  let out = "";
  for (const byte of new Uint8Array(bytes)) {
    out += byte.toString(16).padStart(2, "0");
  }
  return out;
}

function isSender(v: unknown): v is CommandSender {
  return typeof v === "object" && v !== null &&
    typeof (v as CommandSender).send === "function";
}

function keysAndArgs(
  keys: readonly RedisKey[],
  args: readonly RedisValue[],
): CommandArg[] {
  if (!Array.isArray(keys)) {
    throw new TypeError(
      `Cannot run the script as keys must be an array, got ${typeof keys}`,
    );
  }
  if (!Array.isArray(args)) {
    throw new TypeError(
      `Cannot run the script as args must be an array, got ${typeof args}`,
    );
  }
  return [
    keys.length,
    ...keys.map((k, i) => key(`key ${i}`, k)),
    ...args.map((a, i) => value(`arg ${i}`, a)),
  ];
}

/**
 * A Lua script that runs by its SHA-1 digest: `run()` sends EVALSHA, and
 * when the server answers NOSCRIPT (its script cache was flushed, or this
 * is a new server) sends EVAL once, which runs the script and caches it
 * again. The digest is computed locally with `crypto.subtle`.
 *
 * A script may be bound to an executor (`createScript(lua, redis)`), then
 * `run(keys, args)` uses it; or it may be shared and given an executor at
 * each call, `run(executor, keys, args)`. The executor is a `Client` or a
 * `Lease`, anything whose `send()` sends at once: not a pipeline or a
 * transaction, whose replies come too late to react to NOSCRIPT.
 *
 * @example Running a script on a client and on a lease
 * ```ts ignore
 * const getAndSet = createScript(
 *   "local v = redis.call('GET', KEYS[1]); redis.call('SET', KEYS[1], ARGV[1]); return v",
 * );
 * const previous = await getAndSet.run(redis, ["counter"], ["0"]);
 * {
 *   await using conn = await redis.acquire();
 *   await getAndSet.run(conn, ["counter"], ["1"]);
 * }
 * ```
 */
export class Script {
  /** The Lua source. */
  readonly lua: string;
  readonly #executor: CommandSender | undefined;
  #sha1: Promise<string> | undefined;

  /**
   * Constructs a script; prefer {@linkcode createScript}.
   *
   * @param lua The Lua source.
   * @param executor The client or lease `run(keys, args)` uses.
   * @throws {TypeError} When `lua` is not a string or the executor has no
   * `send()` method.
   */
  constructor(lua: string, executor?: CommandSender) {
    if (typeof lua !== "string") {
      throw new TypeError(
        `Cannot create the script as lua must be a string, got ${
          lua === null ? "null" : typeof lua
        }`,
      );
    }
    if (executor !== undefined && !isSender(executor)) {
      throw new TypeError(
        "Cannot create the script as the executor must have a send() method",
      );
    }
    this.lua = lua;
    this.#executor = executor;
  }

  /**
   * The script's SHA-1 digest in lowercase hex, as SCRIPT LOAD returns it;
   * computed on first use.
   *
   * @returns A promise of the digest.
   */
  get sha1(): Promise<string> {
    this.#sha1 ??= crypto.subtle.digest(
      "SHA-1",
      new TextEncoder().encode(this.lua),
    ).then(hex);
    return this.#sha1;
  }

  /**
   * Runs the script with the executor it was bound to.
   *
   * @param keys The keys it touches (`KEYS`).
   * @param args Its other arguments (`ARGV`).
   * @param options `readOnly`, and per-call `timeout`, `signal`, `bytes`.
   * @returns The script's reply as decoded.
   */
  run(
    keys?: readonly RedisKey[],
    args?: readonly RedisValue[],
    options?: ScriptRunOptions,
  ): Promise<RespValue>;
  /**
   * Runs the script with the given executor.
   *
   * @param executor A client or lease.
   * @param keys The keys it touches (`KEYS`).
   * @param args Its other arguments (`ARGV`).
   * @param options `readOnly`, and per-call `timeout`, `signal`, `bytes`.
   * @returns The script's reply as decoded.
   */
  run(
    executor: CommandSender,
    keys?: readonly RedisKey[],
    args?: readonly RedisValue[],
    options?: ScriptRunOptions,
  ): Promise<RespValue>;
  /**
   * Runs the script: EVALSHA, then EVAL once if the server answers
   * NOSCRIPT.
   *
   * @param params An executor (unless bound), then keys, args and options.
   * @returns The script's reply as decoded.
   * @throws {TypeError} When no executor is given or bound, or an argument
   * has the wrong type.
   * @throws {ReplyError} When the script fails.
   */
  async run(...params: unknown[]): Promise<RespValue> {
    let executor = this.#executor;
    if (isSender(params[0])) {
      executor = params[0];
      params = params.slice(1);
    } else if (params[0] !== undefined && !Array.isArray(params[0])) {
      throw new TypeError(
        "Cannot run the script as the first argument must be a client, a lease or the keys",
      );
    }
    if (executor === undefined) {
      throw new TypeError(
        "Cannot run the script as it is not bound to a client: pass one as the first argument",
      );
    }
    const [keys = [], args = [], options] = params as [
      readonly RedisKey[] | undefined,
      readonly RedisValue[] | undefined,
      ScriptRunOptions | undefined,
    ];
    const tail = keysAndArgs(keys, args);
    let sendOptions: SendOptions | undefined = options;
    let readOnly = false;
    if (options !== undefined) {
      ({ readOnly = false, ...sendOptions } = options);
    }
    const sha1 = await this.sha1;
    try {
      return await executor.send(
        [readOnly ? "EVALSHA_RO" : "EVALSHA", sha1, ...tail],
        sendOptions,
      );
    } catch (error) {
      if (!(error instanceof ReplyError) || error.prefix !== "NOSCRIPT") {
        throw error;
      }
      return await executor.send(
        [readOnly ? "EVAL_RO" : "EVAL", this.lua, ...tail],
        sendOptions,
      );
    }
  }
}

/**
 * Creates a {@linkcode Script}: run by its SHA-1 digest, loaded again when
 * the server does not have it.
 *
 * @example Running a script and surviving SCRIPT FLUSH
 * ```ts ignore
 * const incrBy = createScript("return redis.call('INCRBY', KEYS[1], ARGV[1])", redis);
 * await incrBy.run(["counter"], [5]); // EVALSHA (EVAL the first time)
 * ```
 *
 * @param lua The Lua source.
 * @param executor A client or lease to bind, so `run(keys, args)` needs no
 * executor.
 * @returns The script.
 * @throws {TypeError} When `lua` is not a string.
 */
export function createScript(lua: string, executor?: CommandSender): Script {
  return new Script(lua, executor);
}
