/**
 * Cursor iteration as async generators: SCAN over the keyspace, HSCAN,
 * SSCAN and ZSCAN over one collection. Each generator sends one page at a
 * time through an executor (a client or a lease) and follows the cursor
 * until the server returns `"0"`. Breaking out of the loop stops it with
 * nothing left in flight.
 *
 * @module
 */

import { int, key, type RedisKey } from "./_command.ts";
import { toString } from "./_reply.ts";
import type { CommandOptions } from "../connection/_pending.ts";
import type { ScoredMember } from "./sorted_sets.ts";
import { ProtocolError } from "../errors.ts";
import type { CommandArg } from "../resp/encode.ts";
import type { RespValue } from "../resp/decode.ts";

/** Options of a `send()` call. */
export interface SendOptions extends CommandOptions {}

/**
 * Anything that sends a command and returns its raw reply: a `Client`, a
 * `Lease`, a view from `withOptions()`.
 */
export interface CommandSender {
  /**
   * Sends a command.
   *
   * @param args The command name and its arguments.
   * @param options Per-call options.
   * @returns The reply as decoded.
   */
  send(args: readonly CommandArg[], options?: SendOptions): Promise<RespValue>;
}

/** Options of HSCAN. */
export interface HScanOptions {
  /** Only elements matching this glob-style pattern. */
  match?: RedisKey;
  /**
   * How much work the server does per page (a hint, not a limit on the
   * elements returned).
   *
   * @default {10}
   */
  count?: number;
}

/** Options of SSCAN. */
export type SScanOptions = HScanOptions;

/** Options of ZSCAN. */
export type ZScanOptions = HScanOptions;

/** Options of SCAN. */
export interface ScanOptions extends HScanOptions {
  /** Only keys of this type: `"string"`, `"list"`, `"set"`, `"zset"`, `"hash"`, `"stream"`. */
  type?: string;
}

function unexpected(what: string, reply: unknown): never {
  throw new ProtocolError(
    `Cannot read the scan reply as ${what} was expected, got ${
      reply === null ? "null" : Array.isArray(reply) ? "an array" : typeof reply
    }`,
  );
}

function sender(cmd: string, executor: unknown): CommandSender {
  if (
    typeof executor === "object" && executor !== null &&
    typeof (executor as CommandSender).send === "function"
  ) return executor as CommandSender;
  throw new TypeError(
    `Cannot ${cmd} as the executor must have a send() method, got ${
      executor === null ? "null" : typeof executor
    }`,
  );
}

function tail(cmd: string, options: ScanOptions | undefined): CommandArg[] {
  const args: CommandArg[] = [];
  if (options === undefined) return args;
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot build ${cmd} as options must be an object, got ${typeof options}`,
    );
  }
  if (options.match !== undefined) {
    args.push("MATCH", key("match", options.match));
  }
  if (options.count !== undefined) {
    const count = int("count", options.count);
    if (count < 1) {
      throw new RangeError(
        `Cannot build ${cmd} as count must be at least 1, got ${count}`,
      );
    }
    args.push("COUNT", count);
  }
  if (options.type !== undefined) {
    if (typeof options.type !== "string") {
      throw new TypeError(
        `Cannot build ${cmd} as type must be a string, got ${typeof options
          .type}`,
      );
    }
    args.push("TYPE", options.type);
  }
  return args;
}

/**
 * Sends the pages: `[cmd, ...head, cursor, ...tail]` until the cursor is
 * back to `"0"`, yielding each page's elements.
 */
async function* pages(
  executor: CommandSender,
  head: CommandArg[],
  args: CommandArg[],
): AsyncGenerator<RespValue[], void, undefined> {
  let cursor = "0";
  do {
    const reply = await executor.send([...head, cursor, ...args]);
    if (!Array.isArray(reply) || reply.length !== 2) {
      unexpected("a [cursor, elements] array", reply);
    }
    cursor = toString(reply[0]);
    const elements = reply[1];
    if (!Array.isArray(elements)) unexpected("an array of elements", elements);
    yield elements;
  } while (cursor !== "0");
}

function toScore(reply: RespValue): number {
  if (typeof reply === "number") return reply;
  const text = toString(reply).toLowerCase();
  if (text === "inf" || text === "+inf") return Infinity;
  if (text === "-inf") return -Infinity;
  const score = Number(text);
  if (text === "" || Number.isNaN(score)) unexpected("a score", reply);
  return score;
}

/*
 * A cursor guarantees every element present for the whole iteration is
 * returned at least once, not exactly once (the table may be rehashed
 * between pages), so each generator remembers what it yielded. The memory
 * grows with the number of distinct elements seen.
 */

/**
 * Iterates over the keys of the current database with SCAN, each key once.
 *
 * @example Deleting the keys of a session prefix
 * ```ts ignore
 * for await (const k of scan(redis, { match: "session:*", count: 1_000 })) {
 *   await redis.del(k);
 * }
 * ```
 *
 * @param executor A client or lease (anything with `send()`).
 * @param options `match` a pattern, `count` per page, `type` of key.
 * @returns An async generator of key names; `break` stops it.
 * @throws {TypeError} When an option has the wrong type.
 * @throws {RangeError} When `count` is below 1.
 */
export function scan(
  executor: CommandSender,
  options?: ScanOptions,
): AsyncGenerator<string, void, undefined> {
  const target = sender("scan", executor);
  return distinct(pages(target, ["SCAN"], tail("SCAN", options)));
}

async function* distinct(
  source: AsyncGenerator<RespValue[], void, undefined>,
): AsyncGenerator<string, void, undefined> {
  const seen = new Set<string>();
  for await (const elements of source) {
    for (const element of elements) {
      const name = toString(element);
      if (seen.has(name)) continue;
      seen.add(name);
      yield name;
    }
  }
}

/**
 * Iterates over the members of a set with SSCAN, each member once.
 *
 * @param executor A client or lease (anything with `send()`).
 * @param k The set's key.
 * @param options `match` a pattern, `count` per page.
 * @returns An async generator of members; empty when the key does not
 * exist; `break` stops it.
 * @throws {TypeError} When an option has the wrong type.
 */
export function sscan(
  executor: CommandSender,
  k: RedisKey,
  options?: SScanOptions,
): AsyncGenerator<string, void, undefined> {
  const target = sender("sscan", executor);
  const head = ["SSCAN", key("key", k)];
  return distinct(pages(target, head, tail("SSCAN", noType("SSCAN", options))));
}

/**
 * Iterates over the fields and values of a hash with HSCAN, each field
 * once.
 *
 * @example Reading a large hash without blocking the server
 * ```ts ignore
 * for await (const [field, value] of hscan(redis, "user:1")) console.log(field, value);
 * ```
 *
 * @param executor A client or lease (anything with `send()`).
 * @param k The hash's key.
 * @param options `match` a field pattern, `count` per page.
 * @returns An async generator of `[field, value]` pairs; empty when the key
 * does not exist; `break` stops it.
 * @throws {TypeError} When an option has the wrong type.
 */
export function hscan(
  executor: CommandSender,
  k: RedisKey,
  options?: HScanOptions,
): AsyncGenerator<[string, string], void, undefined> {
  const target = sender("hscan", executor);
  const head = ["HSCAN", key("key", k)];
  return hashPairs(
    pages(target, head, tail("HSCAN", noType("HSCAN", options))),
  );
}

async function* hashPairs(
  source: AsyncGenerator<RespValue[], void, undefined>,
): AsyncGenerator<[string, string], void, undefined> {
  const seen = new Set<string>();
  for await (const elements of source) {
    for (let i = 0; i + 1 < elements.length; i += 2) {
      const field = toString(elements[i]);
      if (seen.has(field)) continue;
      seen.add(field);
      yield [field, toString(elements[i + 1])];
    }
  }
}

/**
 * Iterates over the members and scores of a sorted set with ZSCAN, each
 * member once.
 *
 * @param executor A client or lease (anything with `send()`).
 * @param k The sorted set's key.
 * @param options `match` a member pattern, `count` per page.
 * @returns An async generator of `{ member, score }`; empty when the key
 * does not exist; `break` stops it.
 * @throws {TypeError} When an option has the wrong type.
 */
export function zscan(
  executor: CommandSender,
  k: RedisKey,
  options?: ZScanOptions,
): AsyncGenerator<ScoredMember, void, undefined> {
  const target = sender("zscan", executor);
  const head = ["ZSCAN", key("key", k)];
  return scoredMembers(
    pages(target, head, tail("ZSCAN", noType("ZSCAN", options))),
  );
}

async function* scoredMembers(
  source: AsyncGenerator<RespValue[], void, undefined>,
): AsyncGenerator<ScoredMember, void, undefined> {
  const seen = new Set<string>();
  for await (const elements of source) {
    for (let i = 0; i + 1 < elements.length; i += 2) {
      const member = toString(elements[i]);
      if (seen.has(member)) continue;
      seen.add(member);
      yield { member, score: toScore(elements[i + 1]) };
    }
  }
}

function noType(
  cmd: string,
  options: HScanOptions | undefined,
): HScanOptions | undefined {
  if (
    typeof options === "object" && options !== null &&
    (options as ScanOptions).type !== undefined
  ) {
    throw new TypeError(`Cannot build ${cmd} as option type is only for SCAN`);
  }
  return options;
}
