/**
 * The core entry of respool, for Cloudflare Workers and other places where
 * bundle size matters: the same pool, leases, pipelines, timeouts, retries
 * and leak detection as `@respool/redis`, with commands sent by `send()`
 * or built by the command families a program imports (`strings`,
 * `hashes`, ...) and run by `run()`, so that a bundler keeps only those.
 *
 * Left out (import `createClient` from `@respool/redis` for them): the typed
 * methods (`redis.get(...)`), transactions with `multi()`, subscriptions,
 * Sentinel, the client-side cache, tracing and `keyPrefix`. Passing one of
 * those options throws a `TypeError` naming it.
 *
 * @example A Worker, per request
 * ```ts ignore
 * import { createClient, hashes, strings } from "@respool/redis/core";
 *
 * export default {
 *   async fetch(_request: Request, env: { REDIS_URL: string }) {
 *     await using redis = createClient(env.REDIS_URL);
 *     const hits = await redis.run(strings.incr("hits"));
 *     const [, user] = await redis.pipeline()
 *       .add(strings.set("seen", "1", { ex: 60 }))
 *       .add(hashes.hgetall("user:1"))
 *       .exec();
 *     {
 *       await using conn = await redis.acquire({ timeout: 1_000 });
 *       await conn.send(["WATCH", "hits"]);
 *       await conn.send(["MULTI"]);
 *       await conn.run(strings.incr("hits"));
 *       await conn.send(["EXEC"]);
 *     } // released here
 *     return Response.json({ hits, user });
 *   },
 * };
 * ```
 *
 * @module
 */

export {
  CoreClient,
  type CoreClientEventMap,
  createClient,
} from "./src/core/client.ts";
export { CoreLease } from "./src/core/lease.ts";
export { CoreCommands, type SendOptions } from "./src/core/commands.ts";
export type { CommandBase } from "./src/_command_base.ts";
export {
  CorePipeline,
  type ExecOptions,
  type PipelineResults,
  type QueueOptions,
} from "./src/batch/core_pipeline.ts";
export {
  bitfields,
  bitmaps,
  blockingLists,
  clients,
  functions,
  geo,
  hashes,
  keys,
  lists,
  pubsub,
  scripts,
  server,
  sets,
  sort,
  sortedSetCombine,
  sortedSetRanges,
  sortedSets,
  streamClaims,
  streamGroups,
  streams,
  strings,
} from "./src/commands/families.ts";
export type { ClientEventMap } from "./src/client_types.ts";
export type { FailoverDetail } from "./src/sentinel/follower.ts";
export type { EventListenerOf } from "./src/_events.ts";
export type {
  CommandOptions,
  ReplyMapper,
} from "./src/connection/connection.ts";
export {
  ClosedError,
  ConnectionError,
  LeaseReleasedError,
  PoolTimeoutError,
  ProtocolError,
  QueueFullError,
  RedisError,
  type RedisErrorCode,
  ReplyError,
  TimeoutError,
} from "./src/errors.ts";
export type { CoreClientOptions, PoolOptions } from "./src/options.ts";
export {
  constantBackoff,
  exponentialBackoff,
  type ExponentialBackoffOptions,
  noRetry,
  type RetryPolicy,
} from "./src/policy/retry.ts";
export type { AcquireOptions, PoolStats } from "./src/pool/pool.ts";
export type { Command, RedisKey, RedisValue } from "./src/commands/_command.ts";
export type {
  GetexOptions,
  SetOptions,
  StringCommands,
} from "./src/commands/strings.ts";
export type {
  CopyOptions,
  ExpireOptions,
  KeyCommands,
  RestoreOptions,
} from "./src/commands/keys.ts";
export type {
  ClientCommands,
  ClientInfo,
  ClientKillFilter,
  ClientListOptions,
  ClientType,
} from "./src/commands/clients.ts";
export type {
  FlushOptions,
  MemoryUsageOptions,
  ServerCommands,
  ServerInfo,
  ServerTime,
} from "./src/commands/server.ts";
export type { HashCommands } from "./src/commands/hashes.ts";
export type { BlockingListCommands } from "./src/commands/list_blocking.ts";
export type { Pairs } from "./src/commands/_args.ts";
export type {
  ListCommands,
  ListEnd,
  LMPopOptions,
  LPosOptions,
  PoppedElement,
  PoppedElements,
} from "./src/commands/lists.ts";
export type { SetCommands, SInterCardOptions } from "./src/commands/sets.ts";
export type {
  PoppedScoredMember,
  ScoredMember,
  SortedSetCommands,
  ZAddIncrOptions,
  ZAddMember,
  ZAddOptions,
  ZStoreOptions,
} from "./src/commands/sorted_sets.ts";
export type {
  ScoreBound,
  SortedSetRangeCommands,
  ZRangeOptions,
} from "./src/commands/sorted_set_ranges.ts";
export type {
  SortedSetCombineCommands,
  ZCombineOptions,
} from "./src/commands/sorted_set_combine.ts";
export type {
  GeoAddOptions,
  GeoCommands,
  GeoCoordinates,
  GeoMatch,
  GeoMember,
  GeoOrigin,
  GeoSearchOptions,
  GeoSearchStoreOptions,
  GeoShape,
  GeoUnit,
} from "./src/commands/geo.ts";
export type {
  BitCountOptions,
  BitmapCommands,
  BitPosOptions,
} from "./src/commands/bitmaps.ts";
export type {
  BitfieldCommands,
  BitfieldEncoding,
  BitfieldGet,
  BitfieldIncrby,
  BitfieldOffset,
  BitfieldOperation,
  BitfieldOverflow,
  BitfieldSet,
} from "./src/commands/bitfields.ts";
export type { SortCommands, SortOptions } from "./src/commands/sort.ts";
export type {
  StreamCommands,
  StreamFields,
  StreamId,
  StreamMessage,
  StreamOffsets,
  StreamRead,
  XAddOptions,
  XInfoStream,
  XRangeOptions,
  XReadOptions,
  XSetIdOptions,
  XTrimOptions,
} from "./src/commands/streams.ts";
export type {
  StreamGroupCommands,
  StreamGroupMessage,
  XGroupCreateOptions,
  XGroupSetIdOptions,
  XInfoConsumer,
  XInfoGroup,
  XReadGroupOptions,
} from "./src/commands/stream_groups.ts";
export type {
  StreamClaimCommands,
  XAutoClaimIdsResult,
  XAutoClaimOptions,
  XAutoClaimResult,
  XClaimOptions,
  XPendingEntry,
  XPendingRangeOptions,
  XPendingSummary,
} from "./src/commands/stream_claims.ts";
export type {
  FunctionFlushOptions,
  FunctionLoadOptions,
  ScriptCommands,
  ScriptFlushOptions,
} from "./src/commands/scripts.ts";
export type { PubSubCommands } from "./src/commands/pubsub.ts";
export type {
  FunctionCommands,
  FunctionInfo,
  FunctionLibrary,
  FunctionListOptions,
  FunctionRestoreOptions,
} from "./src/commands/functions.ts";
export type { CommandArg } from "./src/resp/encode.ts";
export type { DecoderLimits, RespValue } from "./src/resp/decode.ts";
export type {
  TlsOptions,
  Transport,
  TransportConnectOptions,
  TransportHandlers,
  TransportSocket,
} from "./src/transport/types.ts";
