/**
 * Scripting commands: Lua scripts (EVAL, EVALSHA, SCRIPT) and functions
 * (FCALL, FUNCTION).
 *
 * @module
 */

import {
  type Command,
  command,
  key,
  type RedisKey,
  type RedisValue,
  value,
} from "./_command.ts";
import { asIs, toBooleans, toOk, toText } from "./_reply.ts";
import type { CommandArg } from "../resp/encode.ts";
import type { RespValue } from "../resp/decode.ts";

/** Options of SCRIPT FLUSH. */
export interface ScriptFlushOptions {
  /**
   * `true` flushes in the background (ASYNC), `false` at once (SYNC); left
   * out, the server's `lazyfree-lazy-user-flush` setting decides.
   */
  async?: boolean;
}

/** Options of FUNCTION FLUSH. */
export type FunctionFlushOptions = ScriptFlushOptions;

/** Options of FUNCTION LOAD. */
export interface FunctionLoadOptions {
  /** Replace a library of the same name instead of failing. */
  replace?: boolean;
}

function text(cmd: string, name: string, v: unknown): string | Uint8Array {
  if (typeof v === "string" || v instanceof Uint8Array) return v;
  throw new TypeError(
    `Cannot build ${cmd} as ${name} must be a string or Uint8Array, got ${
      v === null ? "null" : typeof v
    }`,
  );
}

/** `numkeys key... arg...`, checked. */
function keysAndArgs(
  cmd: string,
  keys: readonly RedisKey[],
  args: readonly RedisValue[],
): CommandArg[] {
  if (!Array.isArray(keys)) {
    throw new TypeError(
      `Cannot build ${cmd} as keys must be an array, got ${typeof keys}`,
    );
  }
  if (!Array.isArray(args)) {
    throw new TypeError(
      `Cannot build ${cmd} as args must be an array, got ${typeof args}`,
    );
  }
  return [
    keys.length,
    ...keys.map((k, i) => key(`key ${i}`, k)),
    ...args.map((a, i) => value(`arg ${i}`, a)),
  ];
}

function flushArgs(
  args: CommandArg[],
  options: ScriptFlushOptions | undefined,
): CommandArg[] {
  if (options?.async !== undefined) args.push(options.async ? "ASYNC" : "SYNC");
  return args;
}

/** Scripting commands: each builds the command and says how to read its reply. */
export class ScriptCommands {
  /**
   * EVAL: runs a Lua script. To run the same script often, prefer
   * `createScript()`, which sends only its SHA-1 digest.
   *
   * @example Running a script with a key and an argument
   * ```ts ignore
   * const previous = await redis.eval(
   *   "local v = redis.call('GET', KEYS[1]); redis.call('SET', KEYS[1], ARGV[1]); return v",
   *   ["counter"],
   *   ["0"],
   * );
   * ```
   *
   * @param script The Lua source.
   * @param keys The keys it touches (`KEYS`).
   * @param args Its other arguments (`ARGV`).
   * @returns The script's reply as decoded: strings, numbers, arrays, null.
   * @throws {ReplyError} When the script fails.
   */
  eval(
    script: string | Uint8Array,
    keys: readonly RedisKey[] = [],
    args: readonly RedisValue[] = [],
  ): Command<RespValue> {
    return command([
      "EVAL",
      text("EVAL", "script", script),
      ...keysAndArgs("EVAL", keys, args),
    ], asIs);
  }

  /**
   * EVAL_RO: runs a read-only Lua script (a write inside fails).
   *
   * @param script The Lua source.
   * @param keys The keys it reads (`KEYS`).
   * @param args Its other arguments (`ARGV`).
   * @returns The script's reply as decoded.
   * @throws {ReplyError} When the script fails or writes.
   */
  evalRo(
    script: string | Uint8Array,
    keys: readonly RedisKey[] = [],
    args: readonly RedisValue[] = [],
  ): Command<RespValue> {
    return command([
      "EVAL_RO",
      text("EVAL_RO", "script", script),
      ...keysAndArgs("EVAL_RO", keys, args),
    ], asIs);
  }

  /**
   * EVALSHA: runs a script already in the server's script cache.
   *
   * @param sha1 The script's SHA-1 digest, as SCRIPT LOAD returns it.
   * @param keys The keys it touches (`KEYS`).
   * @param args Its other arguments (`ARGV`).
   * @returns The script's reply as decoded.
   * @throws {ReplyError} NOSCRIPT when the script is not cached.
   */
  evalsha(
    sha1: string,
    keys: readonly RedisKey[] = [],
    args: readonly RedisValue[] = [],
  ): Command<RespValue> {
    return command([
      "EVALSHA",
      text("EVALSHA", "sha1", sha1),
      ...keysAndArgs("EVALSHA", keys, args),
    ], asIs);
  }

  /**
   * EVALSHA_RO: runs a cached read-only script.
   *
   * @param sha1 The script's SHA-1 digest.
   * @param keys The keys it reads (`KEYS`).
   * @param args Its other arguments (`ARGV`).
   * @returns The script's reply as decoded.
   * @throws {ReplyError} NOSCRIPT when the script is not cached.
   */
  evalshaRo(
    sha1: string,
    keys: readonly RedisKey[] = [],
    args: readonly RedisValue[] = [],
  ): Command<RespValue> {
    return command([
      "EVALSHA_RO",
      text("EVALSHA_RO", "sha1", sha1),
      ...keysAndArgs("EVALSHA_RO", keys, args),
    ], asIs);
  }

  /**
   * SCRIPT LOAD: puts a script in the server's script cache.
   *
   * @param script The Lua source.
   * @returns The script's SHA-1 digest, for EVALSHA.
   */
  scriptLoad(script: string | Uint8Array): Command<string> {
    return command(
      ["SCRIPT", "LOAD", text("SCRIPT LOAD", "script", script)],
      toText,
    );
  }

  /**
   * SCRIPT EXISTS: whether scripts are in the script cache.
   *
   * @param sha1s The scripts' SHA-1 digests.
   * @returns One boolean per digest, in order.
   */
  scriptExists(...sha1s: string[]): Command<boolean[]> {
    if (sha1s.length === 0) {
      throw new TypeError(
        "Cannot build SCRIPT EXISTS as it needs at least one digest",
      );
    }
    return command([
      "SCRIPT",
      "EXISTS",
      ...sha1s.map((sha, i) => text("SCRIPT EXISTS", `sha1 ${i}`, sha)),
    ], toBooleans);
  }

  /**
   * SCRIPT FLUSH: empties the script cache.
   *
   * @param options `async: true` flushes in the background.
   * @returns `"OK"`.
   */
  scriptFlush(options?: ScriptFlushOptions): Command<"OK"> {
    return command(flushArgs(["SCRIPT", "FLUSH"], options), toOk);
  }

  /**
   * FCALL: calls a function of a loaded library.
   *
   * @example Loading a library and calling its function
   * ```ts ignore
   * await redis.functionLoad(
   *   "#!lua name=mylib\nredis.register_function('hello', function(keys, args) return 'hi ' .. args[1] end)",
   *   { replace: true },
   * );
   * const greeting = await redis.fcall("hello", [], ["ada"]); // "hi ada"
   * ```
   *
   * @param fn The function's name.
   * @param keys The keys it touches.
   * @param args Its other arguments.
   * @returns The function's reply as decoded.
   * @throws {ReplyError} When the function does not exist or fails.
   */
  fcall(
    fn: string,
    keys: readonly RedisKey[] = [],
    args: readonly RedisValue[] = [],
  ): Command<RespValue> {
    return command([
      "FCALL",
      text("FCALL", "fn", fn),
      ...keysAndArgs("FCALL", keys, args),
    ], asIs);
  }

  /**
   * FCALL_RO: calls a function registered with the `no-writes` flag.
   *
   * @param fn The function's name.
   * @param keys The keys it reads.
   * @param args Its other arguments.
   * @returns The function's reply as decoded.
   * @throws {ReplyError} When the function does not exist, fails or may
   * write.
   */
  fcallRo(
    fn: string,
    keys: readonly RedisKey[] = [],
    args: readonly RedisValue[] = [],
  ): Command<RespValue> {
    return command([
      "FCALL_RO",
      text("FCALL_RO", "fn", fn),
      ...keysAndArgs("FCALL_RO", keys, args),
    ], asIs);
  }

  /**
   * FUNCTION LOAD: loads a library of functions.
   *
   * @param code The library's source, starting with `#!lua name=<library>`.
   * @param options `replace` replaces a library of the same name.
   * @returns The library's name.
   * @throws {ReplyError} When the code is invalid or the library exists
   * and `replace` is not set.
   */
  functionLoad(
    code: string | Uint8Array,
    options?: FunctionLoadOptions,
  ): Command<string> {
    const args: CommandArg[] = ["FUNCTION", "LOAD"];
    if (options?.replace) args.push("REPLACE");
    args.push(text("FUNCTION LOAD", "code", code));
    return command(args, toText);
  }

  /**
   * FUNCTION DELETE: deletes a library and its functions.
   *
   * @param library The library's name.
   * @returns `"OK"`.
   * @throws {ReplyError} When the library does not exist.
   */
  functionDelete(library: string): Command<"OK"> {
    return command(
      ["FUNCTION", "DELETE", text("FUNCTION DELETE", "library", library)],
      toOk,
    );
  }

  /**
   * FUNCTION FLUSH: deletes every library.
   *
   * @param options `async: true` flushes in the background.
   * @returns `"OK"`.
   */
  functionFlush(options?: FunctionFlushOptions): Command<"OK"> {
    return command(flushArgs(["FUNCTION", "FLUSH"], options), toOk);
  }
}
