/**
 * respool: a Redis/Valkey client for Deno, Bun, Node and Cloudflare Workers
 * with its own bounded connection pool.
 *
 * Plain commands are multiplexed over the pool's connections; `acquire()`
 * lends an exclusive connection released by `await using`; a lease that is
 * garbage-collected without release is reported with the stack of its
 * `acquire`. Timeouts, retries and reconnects are explicit policies.
 *
 * @example Quick start
 * ```ts ignore
 * import { createClient } from "@respool/redis";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * await redis.set("greeting", "hello", { ex: 60 });
 * console.log(await redis.get("greeting")); // "hello"
 * ```
 *
 * @module
 */

export {
  Client,
  type ClientEventListener,
  type ClientEventMap,
  type ClientStats,
  createClient,
} from "./src/client.ts";
export type { FailoverDetail } from "./src/sentinel/follower.ts";
export {
  Cluster,
  type ClusterAcquireOptions,
  type ClusterEventListener,
  type ClusterEventMap,
  ClusterLease,
  type ClusterStats,
  createCluster,
  type SlotMove,
  type TopologyChange,
} from "./src/cluster/cluster.ts";
export type {
  ClusterOptions,
  ReadFrom,
  RefreshOptions,
} from "./src/cluster/options.ts";
export { keySlot } from "./src/router/slot.ts";
export type {
  CommandOptions,
  ReplyMapper,
} from "./src/connection/connection.ts";
export {
  ClosedError,
  ClusterError,
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
export {
  type ClientOptions,
  parseRedisUrl,
  type PoolOptions,
  type SentinelOptions,
  type UrlSettings,
} from "./src/options.ts";
export {
  constantBackoff,
  exponentialBackoff,
  type ExponentialBackoffOptions,
  noRetry,
  type RetryPolicy,
} from "./src/policy/retry.ts";
export type { AcquireOptions, PoolStats } from "./src/pool/pool.ts";
export type { CacheOptions, CacheStats } from "./src/cache/types.ts";
export { Lease } from "./src/lease.ts";
export {
  type ExecOptions,
  Pipeline,
  type PipelineCommands,
  type PipelineResults,
  type QueueOptions,
} from "./src/batch/pipeline.ts";
export {
  Transaction,
  type TransactionCommands,
  type TransactionOptions,
  type TransactionResults,
} from "./src/batch/transaction.ts";
export { PubSubCommands } from "./src/commands/pubsub.ts";
export {
  Subscription,
  type SubscriptionEventMap,
  type SubscriptionHost,
  type SubscriptionKind,
  type SubscriptionMessage,
  type SubscriptionOptions,
} from "./src/pubsub/subscription.ts";
export {
  type AsyncCommands,
  BATCH,
  RedisCommands,
  RUN,
  type SendOptions,
} from "./src/redis_commands.ts";
export { commands, type CommandTable } from "./src/commands/table.ts";
export type { Command, RedisKey, RedisValue } from "./src/commands/_command.ts";
export {
  type GetexOptions,
  type SetOptions,
  StringCommands,
} from "./src/commands/strings.ts";
export {
  type CopyOptions,
  type ExpireOptions,
  KeyCommands,
  type RestoreOptions,
} from "./src/commands/keys.ts";
export {
  ClientCommands,
  type ClientInfo,
  type ClientKillFilter,
  type ClientListOptions,
  type ClientType,
} from "./src/commands/clients.ts";
export {
  type FlushOptions,
  type MemoryUsageOptions,
  ServerCommands,
  type ServerInfo,
  type ServerTime,
} from "./src/commands/server.ts";
export { HashCommands } from "./src/commands/hashes.ts";
export { BlockingListCommands } from "./src/commands/list_blocking.ts";
export type { Pairs } from "./src/commands/_args.ts";
export {
  ListCommands,
  type ListEnd,
  type LMPopOptions,
  type LPosOptions,
  type PoppedElement,
  type PoppedElements,
} from "./src/commands/lists.ts";
export { SetCommands, type SInterCardOptions } from "./src/commands/sets.ts";
export {
  type PoppedScoredMember,
  type ScoredMember,
  SortedSetCommands,
  type ZAddIncrOptions,
  type ZAddMember,
  type ZAddOptions,
  type ZStoreOptions,
} from "./src/commands/sorted_sets.ts";
export {
  type ScoreBound,
  SortedSetRangeCommands,
  type ZRangeOptions,
} from "./src/commands/sorted_set_ranges.ts";
export {
  type BitCountOptions,
  BitmapCommands,
  type BitPosOptions,
} from "./src/commands/bitmaps.ts";
export {
  StreamCommands,
  type StreamFields,
  type StreamId,
  type StreamMessage,
  type StreamOffsets,
  type StreamRead,
  type XAddOptions,
  type XInfoStream,
  type XRangeOptions,
  type XReadOptions,
  type XTrimOptions,
} from "./src/commands/streams.ts";
export {
  StreamGroupCommands,
  type StreamGroupMessage,
  type XGroupCreateOptions,
  type XGroupSetIdOptions,
  type XInfoConsumer,
  type XInfoGroup,
  type XReadGroupOptions,
} from "./src/commands/stream_groups.ts";
export {
  StreamClaimCommands,
  type XAutoClaimIdsResult,
  type XAutoClaimOptions,
  type XAutoClaimResult,
  type XClaimOptions,
  type XPendingEntry,
  type XPendingRangeOptions,
  type XPendingSummary,
} from "./src/commands/stream_claims.ts";
export {
  type FunctionFlushOptions,
  type FunctionLoadOptions,
  ScriptCommands,
  type ScriptFlushOptions,
} from "./src/commands/scripts.ts";
export {
  createScript,
  Script,
  type ScriptRunOptions,
} from "./src/commands/script.ts";
export type {
  CommandSender,
  HScanOptions,
  ScanOptions,
  SScanOptions,
  ZScanOptions,
} from "./src/commands/scan.ts";
export {
  type CommandArg,
  encodeCommand,
  RespWriter,
} from "./src/resp/encode.ts";
export {
  Decoder,
  type DecoderHandlers,
  type DecoderLimits,
  type RespValue,
} from "./src/resp/decode.ts";
export type {
  TlsOptions,
  Transport,
  TransportConnectOptions,
  TransportHandlers,
  TransportSocket,
} from "./src/transport/types.ts";
export { detectRuntime, type RuntimeName } from "./src/transport/detect.ts";
