/**
 * The shape every command builder returns: the arguments to send and how to
 * read the reply. One builder per command serves the client, leases,
 * pipelines and transactions alike.
 *
 * @module
 */

import type { CommandArg } from "../resp/encode.ts";
import type { CommandOptions, ReplyMapper } from "../connection/_pending.ts";

/** A key or value: strings are sent as UTF-8, bytes as they are. */
export type RedisKey = string | Uint8Array;
/** A value to store. */
export type RedisValue = string | number | bigint | Uint8Array;

/** A command ready to send, with the function that reads its reply. */
export interface Command<T> {
  /** The command name and arguments. */
  readonly args: CommandArg[];
  /** Turns the raw reply into the typed result. */
  readonly map: ReplyMapper<T>;
  /** Read bulk strings in the reply as `Uint8Array` (DUMP, binary values). */
  readonly bytes?: boolean;
  /** Its keys carry the client's `keyPrefix` already (internal). */
  readonly prefixed?: boolean;
}

/** Builds a {@linkcode Command}. */
export function command<T>(
  args: CommandArg[],
  map: ReplyMapper<T>,
): Command<T> {
  return { args, map };
}

/** Builds a command whose reply is read as bytes. */
export function binary<T>(args: CommandArg[], map: ReplyMapper<T>): Command<T> {
  return { args, map, bytes: true };
}

/**
 * The options to send a command with: the caller's, in bytes mode when the
 * command reads its reply as bytes.
 */
export function sendOptions(
  command: Command<unknown>,
  options: CommandOptions | undefined,
): CommandOptions | undefined {
  return command.bytes ? { ...options, bytes: true } : options;
}

/** Checks that a key is a string or bytes. */
export function key(name: string, value: unknown): RedisKey {
  if (typeof value === "string" || value instanceof Uint8Array) return value;
  throw new TypeError(
    `Cannot build the command as ${name} must be a string or Uint8Array, got ${
      value === null ? "null" : typeof value
    }`,
  );
}

/** Checks that a value is something RESP can carry. */
export function value(name: string, v: unknown): RedisValue {
  if (
    typeof v === "string" || typeof v === "number" || typeof v === "bigint" ||
    v instanceof Uint8Array
  ) return v;
  throw new TypeError(
    `Cannot build the command as ${name} must be a string, number, bigint or Uint8Array, got ${
      v === null ? "null" : typeof v
    }`,
  );
}

/** Checks that a number is an integer. */
export function int(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new TypeError(
      `Cannot build the command as ${name} must be an integer, got ${
        typeof v === "number" ? v : typeof v
      }`,
    );
  }
  return v;
}
