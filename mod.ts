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
export type { ClientBase } from "./src/_client_base.ts";
export type { EventListenerOf } from "./src/_events.ts";
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
  type CoreClientOptions,
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
export type {
  Span,
  SpanAttributes,
  SpanAttributeValue,
  SpanException,
  SpanOptions,
  SpanStatus,
  Tracer,
} from "./src/tracing/types.ts";
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
  type BytesCommands,
  RedisCommands,
  type SendOptions,
} from "./src/redis_commands.ts";
export type { CommandBase } from "./src/_command_base.ts";
export type { BytesReplies } from "./src/commands/bytes.ts";
export type { CommandTable } from "./src/commands/table.ts";
export type * from "./src/_command_types.ts";
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
