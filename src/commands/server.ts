/**
 * Connection and server commands.
 *
 * SELECT and the other commands that change a connection's state have no
 * typed method here: they belong on a lease (`client.acquire()`), sent with
 * `send()`. (CLIENT SETNAME has one, in `clients.ts`, for leases.)
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
  setField,
  toNumber,
  toNumberOrNull,
  toOk,
  toText,
  toTextOrNull,
  toTextRecord,
  toValue,
} from "./_reply.ts";
import { flattenPairs, type Pairs } from "./_args.ts";
import { ProtocolError } from "../errors.ts";
import type { RespValue } from "../resp/decode.ts";
import type { CommandArg } from "../resp/encode.ts";

/**
 * The reply of INFO: sections by lowercase name (`server`, `clients`,
 * `memory`, `keyspace`, ...), each a record of fields and their values as
 * text.
 */
export type ServerInfo = Record<string, Record<string, string>>;

/** The server's clock, as TIME returns it. */
export interface ServerTime {
  /** Seconds since the Unix epoch. */
  seconds: number;
  /** Microseconds into the current second. */
  microseconds: number;
}

/** Options of FLUSHDB and FLUSHALL. `async` and `sync` exclude each other. */
export interface FlushOptions {
  /** Free the memory in the background. */
  async?: boolean;
  /** Free the memory before replying. */
  sync?: boolean;
}

/** Options of MEMORY USAGE. */
export interface MemoryUsageOptions {
  /**
   * How many elements of a collection to sample; 0 samples them all.
   *
   * @default {5}
   */
  samples?: number;
}

export function text(command: string, name: string, v: unknown): string {
  if (typeof v === "string") return v;
  throw new TypeError(
    `Cannot build ${command} as ${name} must be a string, got ${
      v === null ? "null" : typeof v
    }`,
  );
}

function nonNegative(command: string, name: string, n: unknown): number {
  const v = int(name, n);
  if (v < 0) {
    throw new RangeError(
      `Cannot build ${command} as ${name} must not be negative, got ${v}`,
    );
  }
  return v;
}

function flushArgs(name: string, options: FlushOptions | undefined) {
  const args: CommandArg[] = [name];
  if (options?.async && options.sync) {
    throw new TypeError(
      `Cannot build ${name} as options async and sync exclude each other`,
    );
  }
  if (options?.async) args.push("ASYNC");
  if (options?.sync) args.push("SYNC");
  return args;
}

/** INFO: `# Section` headers and `field:value` lines. */
function toServerInfo(reply: RespValue): ServerInfo {
  const info: ServerInfo = {};
  let section: Record<string, string> | undefined;
  for (const raw of toText(reply).split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      section = {};
      setField(info, line.slice(1).trim().toLowerCase(), section);
      continue;
    }
    if (section === undefined) {
      section = {};
      setField(info, "", section);
    }
    const colon = line.indexOf(":");
    if (colon === -1) setField(section, line, "");
    else setField(section, line.slice(0, colon), line.slice(colon + 1));
  }
  return info;
}

/** TIME: two bulk strings, seconds and microseconds. */
function toServerTime(reply: RespValue): ServerTime {
  if (Array.isArray(reply) && reply.length === 2) {
    return { seconds: toNumber(reply[0]), microseconds: toNumber(reply[1]) };
  }
  throw new ProtocolError(
    "Cannot read the TIME reply as a [seconds, microseconds] array was expected",
  );
}

/** Connection and server commands. */
export class ServerCommands {
  /**
   * PING: checks the connection.
   *
   * @param message A message to echo instead of PONG.
   * @returns `"PONG"` or the message.
   */
  ping(message?: string): Command<string> {
    return command(
      message === undefined ? ["PING"] : ["PING", value("message", message)],
      toText,
    );
  }

  /**
   * ECHO: the message, as the server read it.
   *
   * @param message The message.
   * @returns The message.
   */
  echo(message: RedisValue): Command<string> {
    return command(["ECHO", value("message", message)], toValue);
  }

  /**
   * INFO: the server's state and statistics, parsed into sections.
   *
   * @example Reading the server version and the memory in use
   * ```ts ignore
   * const info = await redis.info("server", "memory");
   * info.server.redis_version; // "7.0.15"
   * Number(info.memory.used_memory);
   * ```
   *
   * @param sections The sections to read (`server`, `clients`, `memory`,
   * `stats`, `replication`, `keyspace`, ..., or `all`/`everything`); none
   * for the default set.
   * @returns Sections by lowercase name, each a record of field to value.
   */
  info(...sections: string[]): Command<ServerInfo> {
    return command(
      [
        "INFO",
        ...sections.map((section, i) => text("INFO", `section ${i}`, section)),
      ],
      toServerInfo,
    );
  }

  /**
   * DBSIZE: the number of keys in the connection's database.
   *
   * @returns The number of keys.
   */
  dbsize(): Command<number> {
    return command(["DBSIZE"], toNumber);
  }

  /**
   * FLUSHDB: removes every key of the connection's database.
   *
   * @param options `async` to free the memory in the background, or `sync`.
   * @returns `"OK"`.
   * @throws {TypeError} When both `async` and `sync` are given.
   */
  flushdb(options?: FlushOptions): Command<"OK"> {
    return command(flushArgs("FLUSHDB", options), toOk);
  }

  /**
   * FLUSHALL: removes every key of every database.
   *
   * @param options `async` to free the memory in the background, or `sync`.
   * @returns `"OK"`.
   * @throws {TypeError} When both `async` and `sync` are given.
   */
  flushall(options?: FlushOptions): Command<"OK"> {
    return command(flushArgs("FLUSHALL", options), toOk);
  }

  /**
   * TIME: the server's clock.
   *
   * @returns Seconds since the Unix epoch and microseconds into the second.
   */
  time(): Command<ServerTime> {
    return command(["TIME"], toServerTime);
  }

  /**
   * CONFIG GET: configuration parameters matching patterns.
   *
   * @example Reading parameters by name and by pattern
   * ```ts ignore
   * const { maxmemory } = await redis.configGet("maxmemory");
   * const limits = await redis.configGet("maxmemory*", "timeout");
   * ```
   *
   * @param patterns Parameter names, or glob-style patterns.
   * @returns The matching parameters and their values; `{}` when none match.
   */
  configGet(...patterns: string[]): Command<Record<string, string>> {
    if (patterns.length === 0) {
      throw new TypeError(
        "Cannot build CONFIG GET as it needs at least one parameter",
      );
    }
    return command(
      [
        "CONFIG",
        "GET",
        ...patterns.map((p, i) => text("CONFIG GET", `parameter ${i}`, p)),
      ],
      toTextRecord,
    );
  }

  /**
   * CONFIG SET: changes configuration parameters at run time (all or none).
   *
   * @example Setting one parameter, or several at once
   * ```ts ignore
   * await redis.configSet("maxmemory-policy", "allkeys-lru");
   * await redis.configSet({ "maxmemory": "100mb", "maxmemory-policy": "allkeys-lru" });
   * ```
   *
   * @param parameters A parameter name and its value; or a record of names
   * and values, or an iterable of `[name, value]` pairs.
   * @returns `"OK"`.
   * @throws {ReplyError} When a parameter is unknown or a value is invalid.
   */
  configSet(
    ...parameters:
      | [parameters: Pairs<string>]
      | [name: string, value: RedisValue]
  ): Command<"OK"> {
    const args: CommandArg[] = ["CONFIG", "SET"];
    if (parameters.length === 2) {
      args.push(
        text("CONFIG SET", "name", parameters[0]),
        value("value", parameters[1]),
      );
    } else if (parameters.length === 1) {
      args.push(...flattenPairs("CONFIG SET", parameters[0], true));
    } else {
      throw new TypeError(
        `Cannot build CONFIG SET as it takes parameters, or a name and a value, got ${
          (parameters as unknown[]).length
        } arguments`,
      );
    }
    return command(args, toOk);
  }

  /**
   * MEMORY USAGE: the bytes a key and its value take in memory.
   *
   * @param k The key.
   * @param options `samples`: how many elements of a collection to sample.
   * @returns The bytes, or null when the key does not exist.
   * @throws {RangeError} When `samples` is negative.
   */
  memoryUsage(
    k: RedisKey,
    options?: MemoryUsageOptions,
  ): Command<number | null> {
    const args: CommandArg[] = ["MEMORY", "USAGE", key("key", k)];
    if (options?.samples !== undefined) {
      args.push(
        "SAMPLES",
        nonNegative("MEMORY USAGE", "samples", options.samples),
      );
    }
    return command(args, toNumberOrNull);
  }

  /**
   * OBJECT ENCODING: how the server stores the value of a key internally.
   *
   * @param k The key.
   * @returns The encoding (`"int"`, `"embstr"`, `"raw"`, `"listpack"`,
   * `"hashtable"`, `"quicklist"`, `"intset"`, `"skiplist"`, ...), or null
   * when the key does not exist.
   */
  objectEncoding(k: RedisKey): Command<string | null> {
    return command(["OBJECT", "ENCODING", key("key", k)], toTextOrNull);
  }

  /**
   * OBJECT FREQ: the logarithmic access frequency counter of a key. Only
   * under an LFU `maxmemory-policy` (`allkeys-lfu`, `volatile-lfu`).
   *
   * @example Reading a key's access frequency
   * ```ts ignore
   * await redis.configSet("maxmemory-policy", "allkeys-lfu");
   * await redis.objectFreq("hot"); // 0 to 255
   * ```
   *
   * @param k The key.
   * @returns The counter (0 to 255), or null when the key does not exist.
   * @throws {ReplyError} When the eviction policy is not an LFU one.
   */
  objectFreq(k: RedisKey): Command<number | null> {
    return command(["OBJECT", "FREQ", key("key", k)], toNumberOrNull);
  }

  /**
   * OBJECT IDLETIME: how long a key has gone unread and unwritten. Not
   * available under an LFU `maxmemory-policy`.
   *
   * @example Finding a key that sat idle
   * ```ts ignore
   * const idle = await redis.objectIdletime("cache:report");
   * if (idle !== null && idle > 3_600) await redis.unlink("cache:report");
   * ```
   *
   * @param k The key.
   * @returns The idle time in seconds, or null when the key does not exist.
   * @throws {ReplyError} When the eviction policy is an LFU one.
   */
  objectIdletime(k: RedisKey): Command<number | null> {
    return command(["OBJECT", "IDLETIME", key("key", k)], toNumberOrNull);
  }

  /**
   * OBJECT REFCOUNT: how many references the server holds to the value of
   * a key (shared integers report a very large count).
   *
   * @example Reading a reference count
   * ```ts ignore
   * await redis.set("greeting", "hello");
   * await redis.objectRefcount("greeting"); // 1
   * ```
   *
   * @param k The key.
   * @returns The reference count, or null when the key does not exist.
   */
  objectRefcount(k: RedisKey): Command<number | null> {
    return command(["OBJECT", "REFCOUNT", key("key", k)], toNumberOrNull);
  }

  /**
   * WAIT: blocks until the writes sent before it on the same connection
   * reached some replicas, or a timeout passes. On the client it runs on a
   * lease of its own, so it only covers writes made on that connection: to
   * wait for your writes, send them and WAIT on one lease.
   *
   * @example Waiting for one replica after writing on a lease
   * ```ts ignore
   * await using conn = await redis.acquire();
   * await conn.set("order:1", "paid");
   * const acked = await conn.wait(1, 1_000);
   * ```
   *
   * @param numreplicas How many replicas to wait for.
   * @param timeoutMs How long to wait, in milliseconds; 0 for ever.
   * @returns How many replicas acknowledged the writes.
   * @throws {RangeError} When a number is negative.
   */
  wait(numreplicas: number, timeoutMs: number): Command<number> {
    return command([
      "WAIT",
      nonNegative("WAIT", "numreplicas", numreplicas),
      nonNegative("WAIT", "timeoutMs", timeoutMs),
    ], toNumber);
  }
}
