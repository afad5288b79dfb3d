/**
 * The command families as builder objects, for the core entry
 * (`@respool/redis/core`): `redis.run(strings.incr("hits"))`. Each is made
 * at module level and marked pure, so a bundler keeps only the families a
 * program uses. The full client's typed methods come from the same
 * builders (src/commands/table.ts).
 *
 * @module
 */

import { StringCommands } from "./strings.ts";
import { KeyCommands } from "./keys.ts";
import { HashCommands } from "./hashes.ts";
import { ListCommands } from "./lists.ts";
import { BlockingListCommands } from "./list_blocking.ts";
import { SetCommands } from "./sets.ts";
import { SortedSetCommands } from "./sorted_sets.ts";
import { SortedSetRangeCommands } from "./sorted_set_ranges.ts";
import { SortedSetCombineCommands } from "./sorted_set_combine.ts";
import { GeoCommands } from "./geo.ts";
import { BitmapCommands } from "./bitmaps.ts";
import { BitfieldCommands } from "./bitfields.ts";
import { SortCommands } from "./sort.ts";
import { StreamCommands } from "./streams.ts";
import { StreamGroupCommands } from "./stream_groups.ts";
import { StreamClaimCommands } from "./stream_claims.ts";
import { ScriptCommands } from "./scripts.ts";
import { FunctionCommands } from "./functions.ts";
import { ServerCommands } from "./server.ts";
import { ClientCommands } from "./clients.ts";
import { PubSubCommands } from "./pubsub.ts";

/**
 * String commands: GET, SET, INCR, MGET, APPEND, ... Each method builds a command for `run()` or a pipeline's `add()`.
 *
 * @example Running one
 * ```ts ignore
 * import { createClient, strings } from "@respool/redis/core";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * console.log(await redis.run(strings.incr("hits")));
 * ```
 */
export const strings: StringCommands = /* @__PURE__ */ new StringCommands();

/**
 * Key commands: DEL, EXISTS, EXPIRE, TTL, RENAME, TYPE, ... Each method builds a command for `run()` or a pipeline's `add()`.
 *
 * @example Running one
 * ```ts ignore
 * import { createClient, keys } from "@respool/redis/core";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * console.log(await redis.run(keys.expire("session:1", 60)));
 * ```
 */
export const keys: KeyCommands = /* @__PURE__ */ new KeyCommands();

/**
 * Hash commands: HSET, HGET, HGETALL, HINCRBY, ... Each method builds a command for `run()` or a pipeline's `add()`.
 *
 * @example Running one
 * ```ts ignore
 * import { createClient, hashes } from "@respool/redis/core";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * console.log(await redis.run(hashes.hget("user:1", "name")));
 * ```
 */
export const hashes: HashCommands = /* @__PURE__ */ new HashCommands();

/**
 * List commands: LPUSH, RPUSH, LRANGE, LPOP, ... Each method builds a command for `run()` or a pipeline's `add()`.
 *
 * @example Running one
 * ```ts ignore
 * import { createClient, lists } from "@respool/redis/core";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * console.log(await redis.run(lists.lrange("queue", 0, -1)));
 * ```
 */
export const lists: ListCommands = /* @__PURE__ */ new ListCommands();

/**
 * Blocking list commands: BLPOP, BRPOP, BLMOVE, BLMPOP. Through the client each runs on a lease of its own, and a timeout or abort cancels the server's wait. Each method builds a command for `run()` or a pipeline's `add()`.
 *
 * @example Running one
 * ```ts ignore
 * import { createClient, blockingLists } from "@respool/redis/core";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * console.log(await redis.run(blockingLists.blpop(["jobs"], 5)));
 * ```
 */
export const blockingLists: BlockingListCommands =
  /* @__PURE__ */ new BlockingListCommands();

/**
 * Set commands: SADD, SMEMBERS, SISMEMBER, SINTER, ... Each method builds a command for `run()` or a pipeline's `add()`.
 *
 * @example Running one
 * ```ts ignore
 * import { createClient, sets } from "@respool/redis/core";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * console.log(await redis.run(sets.sadd("tags", "a", "b")));
 * ```
 */
export const sets: SetCommands = /* @__PURE__ */ new SetCommands();

/**
 * Sorted set commands: ZADD, ZSCORE, ZINCRBY, ZPOPMIN, ... Each method builds a command for `run()` or a pipeline's `add()`.
 *
 * @example Running one
 * ```ts ignore
 * import { createClient, sortedSets } from "@respool/redis/core";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * console.log(await redis.run(sortedSets.zincrby("scores", 1, "ada")));
 * ```
 */
export const sortedSets: SortedSetCommands =
  /* @__PURE__ */ new SortedSetCommands();

/**
 * Sorted set range commands: ZRANGE, ZCOUNT, ZRANGESTORE, ... Each method builds a command for `run()` or a pipeline's `add()`.
 *
 * @example Running one
 * ```ts ignore
 * import { createClient, sortedSetRanges } from "@respool/redis/core";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * console.log(await redis.run(sortedSetRanges.zrange("scores", 0, 9)));
 * ```
 */
export const sortedSetRanges: SortedSetRangeCommands =
  /* @__PURE__ */ new SortedSetRangeCommands();

/**
 * Sorted set commands that combine sets: ZUNION, ZINTER, ZDIFF and their STORE forms. Each method builds a command for `run()` or a pipeline's `add()`.
 *
 * @example Running one
 * ```ts ignore
 * import { createClient, sortedSetCombine } from "@respool/redis/core";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * console.log(await redis.run(sortedSetCombine.zunion(["a", "b"])));
 * ```
 */
export const sortedSetCombine: SortedSetCombineCommands =
  /* @__PURE__ */ new SortedSetCombineCommands();

/**
 * Geospatial commands: GEOADD, GEOSEARCH, GEODIST, ... Each method builds a command for `run()` or a pipeline's `add()`.
 *
 * @example Running one
 * ```ts ignore
 * import { createClient, geo } from "@respool/redis/core";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * console.log(await redis.run(geo.geodist("places", "a", "b")));
 * ```
 */
export const geo: GeoCommands = /* @__PURE__ */ new GeoCommands();

/**
 * Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP. Each method builds a command for `run()` or a pipeline's `add()`.
 *
 * @example Running one
 * ```ts ignore
 * import { createClient, bitmaps } from "@respool/redis/core";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * console.log(await redis.run(bitmaps.bitcount("seen")));
 * ```
 */
export const bitmaps: BitmapCommands = /* @__PURE__ */ new BitmapCommands();

/**
 * BITFIELD and BITFIELD_RO. Each method builds a command for `run()` or a pipeline's `add()`.
 *
 * @example Running one
 * ```ts ignore
 * import { createClient, bitfields } from "@respool/redis/core";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * console.log(await redis.run(bitfields.bitfieldRo("b", [{ op: "get", encoding: "u8", offset: 0 }])));
 * ```
 */
export const bitfields: BitfieldCommands =
  /* @__PURE__ */ new BitfieldCommands();

/**
 * SORT and SORT_RO. Each method builds a command for `run()` or a pipeline's `add()`.
 *
 * @example Running one
 * ```ts ignore
 * import { createClient, sort } from "@respool/redis/core";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * console.log(await redis.run(sort.sortRo("ids")));
 * ```
 */
export const sort: SortCommands = /* @__PURE__ */ new SortCommands();

/**
 * Stream commands: XADD, XRANGE, XREAD, XLEN, XTRIM, ... Each method builds a command for `run()` or a pipeline's `add()`.
 *
 * @example Running one
 * ```ts ignore
 * import { createClient, streams } from "@respool/redis/core";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * console.log(await redis.run(streams.xlen("events")));
 * ```
 */
export const streams: StreamCommands = /* @__PURE__ */ new StreamCommands();

/**
 * Stream consumer group commands: XGROUP, XREADGROUP, XACK, XINFO GROUPS, ... Each method builds a command for `run()` or a pipeline's `add()`.
 *
 * @example Running one
 * ```ts ignore
 * import { createClient, streamGroups } from "@respool/redis/core";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * console.log(await redis.run(streamGroups.xack("events", "workers", "1-0")));
 * ```
 */
export const streamGroups: StreamGroupCommands =
  /* @__PURE__ */ new StreamGroupCommands();

/**
 * Stream pending-entry commands: XPENDING, XCLAIM, XAUTOCLAIM. Each method builds a command for `run()` or a pipeline's `add()`.
 *
 * @example Running one
 * ```ts ignore
 * import { createClient, streamClaims } from "@respool/redis/core";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * console.log(await redis.run(streamClaims.xpending("events", "workers")));
 * ```
 */
export const streamClaims: StreamClaimCommands =
  /* @__PURE__ */ new StreamClaimCommands();

/**
 * Lua script commands: EVAL, EVALSHA, SCRIPT LOAD, ... Each method builds a command for `run()` or a pipeline's `add()`.
 *
 * @example Running one
 * ```ts ignore
 * import { createClient, scripts } from "@respool/redis/core";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * console.log(await redis.run(scripts.eval("return 1", [], [])));
 * ```
 */
export const scripts: ScriptCommands = /* @__PURE__ */ new ScriptCommands();

/**
 * Function commands: FCALL, FUNCTION LOAD, FUNCTION LIST, ... Each method builds a command for `run()` or a pipeline's `add()`.
 *
 * @example Running one
 * ```ts ignore
 * import { createClient, functions } from "@respool/redis/core";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * console.log(await redis.run(functions.functionList()));
 * ```
 */
export const functions: FunctionCommands =
  /* @__PURE__ */ new FunctionCommands();

/**
 * Server commands: PING, INFO, DBSIZE, FLUSHDB, TIME, ... Each method builds a command for `run()` or a pipeline's `add()`.
 *
 * @example Running one
 * ```ts ignore
 * import { createClient, server } from "@respool/redis/core";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * console.log(await redis.run(server.ping()));
 * ```
 */
export const server: ServerCommands = /* @__PURE__ */ new ServerCommands();

/**
 * CLIENT commands: CLIENT ID, CLIENT LIST, CLIENT KILL, ... Each method builds a command for `run()` or a pipeline's `add()`.
 *
 * @example Running one
 * ```ts ignore
 * import { createClient, clients } from "@respool/redis/core";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * console.log(await redis.run(clients.clientId()));
 * ```
 */
export const clients: ClientCommands = /* @__PURE__ */ new ClientCommands();

/**
 * Publishing and pub/sub introspection: PUBLISH, SPUBLISH, PUBSUB CHANNELS, ... (subscribing needs the full client). Each method builds a command for `run()` or a pipeline's `add()`.
 *
 * @example Running one
 * ```ts ignore
 * import { createClient, pubsub } from "@respool/redis/core";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * console.log(await redis.run(pubsub.publish("news", "hello")));
 * ```
 */
export const pubsub: PubSubCommands = /* @__PURE__ */ new PubSubCommands();
