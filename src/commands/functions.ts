/**
 * FUNCTION commands that list the loaded libraries and move them between
 * servers: LIST, DUMP and RESTORE. Loading, deleting and calling functions
 * (FUNCTION LOAD, DELETE, FLUSH, FCALL) are in `scripts.ts`.
 *
 * @module
 */

import { binary, type Command, command } from "./_command.ts";
import { optionsOf } from "./_collection_args.ts";
import {
  toOk,
  toPairs,
  toText,
  toTextOrNull,
  toTexts,
  unexpected,
} from "./_reply.ts";
import { ProtocolError } from "../errors.ts";
import type { RespValue } from "../resp/decode.ts";
import type { CommandArg } from "../resp/encode.ts";

/** Options of FUNCTION LIST. */
export interface FunctionListOptions {
  /** Only the libraries whose names match this glob-style pattern. */
  libraryName?: string;
  /** Also return each library's source code. */
  withCode?: boolean;
}

/** Options of FUNCTION RESTORE. */
export interface FunctionRestoreOptions {
  /**
   * What to do with the libraries already loaded: `"append"` fails when a
   * name clashes, `"replace"` replaces the clashing ones, `"flush"` deletes
   * them all first.
   *
   * @default {"append"}
   */
  policy?: "append" | "replace" | "flush";
}

/** A function of a library, as FUNCTION LIST describes it. */
export interface FunctionInfo {
  /** The function's name, for FCALL. */
  name: string;
  /** Its description, or null when it has none. */
  description: string | null;
  /** Its flags: `"no-writes"`, `"allow-oom"`, `"allow-stale"`, ... */
  flags: string[];
}

/** A loaded library, as FUNCTION LIST describes it. */
export interface FunctionLibrary {
  /** The library's name. */
  libraryName: string;
  /** Its engine: `"LUA"`. */
  engine: string;
  /** Its functions. */
  functions: FunctionInfo[];
  /** Its source code, with `withCode`. */
  libraryCode?: string;
}

function need(record: Map<string, RespValue>, name: string): RespValue {
  const v = record.get(name);
  if (v === undefined) {
    throw new ProtocolError(
      `Cannot read the FUNCTION LIST reply as field ${name} is missing`,
    );
  }
  return v;
}

function toFunctionInfo(reply: RespValue): FunctionInfo {
  const fn = toPairs(reply);
  return {
    name: toText(need(fn, "name")),
    description: toTextOrNull(fn.get("description") ?? null),
    flags: toTexts(need(fn, "flags")),
  };
}

/** FUNCTION LIST: one record per library (a map in RESP3, pairs in RESP2). */
function toLibraries(reply: RespValue): FunctionLibrary[] {
  if (!Array.isArray(reply)) return unexpected("an array", reply);
  return reply.map((item) => {
    const lib = toPairs(item);
    const functions = need(lib, "functions");
    if (!Array.isArray(functions)) return unexpected("an array", functions);
    const library: FunctionLibrary = {
      libraryName: toText(need(lib, "library_name")),
      engine: toText(need(lib, "engine")),
      functions: functions.map(toFunctionInfo),
    };
    const code = lib.get("library_code");
    if (code !== undefined) library.libraryCode = toText(code);
    return library;
  });
}

/** FUNCTION DUMP's payload: bytes, as the command is read in bytes mode. */
function toPayload(reply: RespValue): Uint8Array {
  if (reply instanceof Uint8Array) return reply;
  return unexpected("bytes", reply);
}

/** FUNCTION LIST, DUMP and RESTORE: each builds the command and says how to read its reply. */
export class FunctionCommands {
  /**
   * FUNCTION LIST: the loaded libraries and their functions.
   *
   * @example Listing a library's functions and code
   * ```ts ignore
   * const [lib] = await redis.functionList({ libraryName: "mylib", withCode: true });
   * lib.functions.map((f) => f.name); // ["hello"]
   * lib.libraryCode; // "#!lua name=mylib\n..."
   * ```
   *
   * @param options `libraryName` to select libraries by pattern, and
   * `withCode`.
   * @returns One record per library; empty when none is loaded (or none
   * matches).
   * @throws {TypeError} When `libraryName` is not a string.
   */
  functionList(options?: FunctionListOptions): Command<FunctionLibrary[]> {
    const args: CommandArg[] = ["FUNCTION", "LIST"];
    const { libraryName, withCode } = optionsOf("FUNCTION LIST", options);
    if (libraryName !== undefined) {
      if (typeof libraryName !== "string") {
        throw new TypeError(
          `Cannot build FUNCTION LIST as libraryName must be a string, got ${
            libraryName === null ? "null" : typeof libraryName
          }`,
        );
      }
      args.push("LIBRARYNAME", libraryName);
    }
    if (withCode) args.push("WITHCODE");
    return command(args, toLibraries);
  }

  /**
   * FUNCTION DUMP: every loaded library, serialized for FUNCTION RESTORE.
   *
   * @example Copying the libraries to another server
   * ```ts ignore
   * const payload = await source.functionDump();
   * await target.functionRestore(payload, { policy: "replace" });
   * ```
   *
   * @returns The serialized libraries (a payload even when none is loaded).
   */
  functionDump(): Command<Uint8Array> {
    return binary(["FUNCTION", "DUMP"], toPayload);
  }

  /**
   * FUNCTION RESTORE: loads the libraries of a FUNCTION DUMP payload.
   *
   * @example Replacing every library with those of a backup
   * ```ts ignore
   * await redis.functionRestore(backup, { policy: "flush" });
   * ```
   *
   * @param payload The serialized libraries from FUNCTION DUMP.
   * @param options `policy`: `"append"` (the default), `"replace"` or
   * `"flush"`.
   * @returns `"OK"`.
   * @throws {TypeError} When the payload is not bytes or the policy is
   * unknown.
   * @throws {ReplyError} When a library exists under `"append"`, or the
   * payload is corrupt.
   */
  functionRestore(
    payload: Uint8Array,
    options?: FunctionRestoreOptions,
  ): Command<"OK"> {
    if (!(payload instanceof Uint8Array)) {
      throw new TypeError(
        `Cannot build FUNCTION RESTORE as payload must be a Uint8Array, got ${
          payload === null ? "null" : typeof payload
        }`,
      );
    }
    const args: CommandArg[] = ["FUNCTION", "RESTORE", payload];
    const { policy } = optionsOf("FUNCTION RESTORE", options);
    if (policy !== undefined) {
      if (policy !== "append" && policy !== "replace" && policy !== "flush") {
        throw new TypeError(
          `Cannot build FUNCTION RESTORE as policy must be "append", "replace" or "flush", got ${
            typeof policy === "string" ? JSON.stringify(policy) : typeof policy
          }`,
        );
      }
      args.push(policy.toUpperCase());
    }
    return command(args, toOk);
  }
}
