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
import { toText, toValue } from "./_reply.ts";
import type { CommandOptions } from "../connection/_pending.ts";
import type { ScoredMember } from "./sorted_sets.ts";
import { ProtocolError } from "../errors.ts";
import type { CommandArg } from "../resp/encode.ts";
import type { RespValue } from "../resp/decode.ts";
import type { KeyPrefix } from "../_prefix.ts";

/** Options of a `send()` call. */
export interface SendOptions extends CommandOptions {
  /**
   * Return RESP3's containers in RESP2's shapes, so a reply reads the same
   * under both protocols: a map as a flat `[key, value, ...]` array, a set
   * as an array, a boolean as 1 or 0. What it cannot undo: RESP3 sends
   * doubles (ZSCORE, INCRBYFLOAT, scores) as numbers where RESP2 sends
   * strings, and some commands nest differently (ZRANGE ... WITHSCORES is
   * `[[member, score], ...]` under RESP3, flat under RESP2). The typed
   * methods read both the same way.
   *
   * @default {false}
   */
  flat?: boolean;
}

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
    cursor = toText(reply[0]);
    const elements = reply[1];
    if (!Array.isArray(elements)) unexpected("an array of elements", elements);
    yield elements;
  } while (cursor !== "0");
}

function toScore(reply: RespValue): number {
  if (typeof reply === "number") return reply;
  const text = toText(reply).toLowerCase();
  if (text === "inf" || text === "+inf") return Infinity;
  if (text === "-inf") return -Infinity;
  const score = Number(text);
  if (text === "" || Number.isNaN(score)) unexpected("a score", reply);
  return score;
}

/**
 * What tells elements of a page apart: the string itself, or for bytes
 * (bytes mode) one character per byte, so that distinct bytes never
 * compare equal the way two invalid UTF-8 sequences would once decoded.
 */
function pageKey(element: string | Uint8Array): string {
  if (typeof element === "string") return element;
  let text = "";
  for (let i = 0; i < element.length; i += 4096) {
    text += String.fromCharCode(...element.subarray(i, i + 4096));
  }
  return text;
}

/*
 * A cursor guarantees every element present for the whole iteration is
 * returned at least once, not exactly once (the table may be rehashed
 * between pages). The generators drop duplicates within a page and keep
 * nothing across pages: remembering every element would make their memory
 * grow with the keyspace (a caller that must see each once can keep a Set).
 */

/**
 * Iterates over the keys of the current database with SCAN (a key may come
 * twice: see above).
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
 * @param prefix The client's `keyPrefix`: only keys under it are walked
 * (it goes before `match`), and they are yielded without it.
 * @returns An async generator of key names (`Uint8Array` when the
 * executor sends in bytes mode, as `withOptions({ bytes: true })` does);
 * `break` stops it.
 * @throws {TypeError} When an option has the wrong type.
 * @throws {RangeError} When `count` is below 1.
 */
export function scan(
  executor: CommandSender,
  options?: ScanOptions,
  prefix?: KeyPrefix,
): AsyncGenerator<string, void, undefined> {
  const target = sender("scan", executor);
  const args = tail("SCAN", options);
  if (prefix === undefined) return distinct(pages(target, ["SCAN"], args));
  const match = args.indexOf("MATCH");
  const pattern = prefix.pattern(
    match < 0 ? undefined : toText(args[match + 1] as RespValue),
  );
  if (match < 0) args.push("MATCH", pattern);
  else args[match + 1] = pattern;
  return distinct(pages(target, ["SCAN"], args), prefix);
}

async function* distinct(
  source: AsyncGenerator<RespValue[], void, undefined>,
  prefix?: KeyPrefix,
): AsyncGenerator<string, void, undefined> {
  for await (const elements of source) {
    const page = new Set<string>();
    for (const element of elements) {
      const name = toValue(element);
      const id = pageKey(name);
      if (page.has(id)) continue;
      page.add(id);
      yield prefix === undefined ? name : prefix.strip(name);
    }
  }
}

/**
 * Iterates over the members of a set with SSCAN (a member may come twice).
 *
 * @param executor A client or lease (anything with `send()`).
 * @param k The set's key.
 * @param options `match` a pattern, `count` per page.
 * @returns An async generator of members (`Uint8Array` in bytes mode);
 * empty when the key does not exist; `break` stops it.
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
 * Iterates over the fields and values of a hash with HSCAN (a field may
 * come twice).
 *
 * @example Reading a large hash without blocking the server
 * ```ts ignore
 * for await (const [field, value] of hscan(redis, "user:1")) console.log(field, value);
 * ```
 *
 * @param executor A client or lease (anything with `send()`).
 * @param k The hash's key.
 * @param options `match` a field pattern, `count` per page.
 * @returns An async generator of `[field, value]` pairs (both `Uint8Array`
 * in bytes mode); empty when the key does not exist; `break` stops it.
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
  for await (const elements of source) {
    const seen = new Set<string>();
    for (let i = 0; i + 1 < elements.length; i += 2) {
      const field = toValue(elements[i]);
      const id = pageKey(field);
      if (seen.has(id)) continue;
      seen.add(id);
      yield [field, toValue(elements[i + 1])];
    }
  }
}

/**
 * Iterates over the members and scores of a sorted set with ZSCAN (a
 * member may come twice).
 *
 * @param executor A client or lease (anything with `send()`).
 * @param k The sorted set's key.
 * @param options `match` a member pattern, `count` per page.
 * @returns An async generator of `{ member, score }` (the member a
 * `Uint8Array` in bytes mode); empty when the key does not exist; `break`
 * stops it.
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
  for await (const elements of source) {
    const seen = new Set<string>();
    for (let i = 0; i + 1 < elements.length; i += 2) {
      const member = toValue(elements[i]);
      const id = pageKey(member);
      if (seen.has(id)) continue;
      seen.add(id);
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
