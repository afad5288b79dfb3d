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
  createClient,
} from "./src/client.ts";
export type { CommandOptions, ReplyMapper } from "./src/connection.ts";
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
export {
  type ClientOptions,
  parseRedisUrl,
  type PoolOptions,
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
export { Lease } from "./src/pool/lease.ts";
export {
  type AsyncCommands,
  BATCH,
  RedisCommands,
  RUN,
  type SendOptions,
} from "./src/commands/methods.ts";
export { commands, type CommandTable } from "./src/commands/table.ts";
export type { Command, RedisKey, RedisValue } from "./src/commands/_command.ts";
export { type SetOptions, StringCommands } from "./src/commands/strings.ts";
export { KeyCommands } from "./src/commands/keys.ts";
export { ServerCommands } from "./src/commands/server.ts";
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
