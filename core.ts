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
export type * from "./src/_command_types.ts";
