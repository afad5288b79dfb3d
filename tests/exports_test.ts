/**
 * The public surface, listed: what `@respool/redis`,
 * `@respool/redis/core` and `@respool/redis/resp` export at runtime, and
 * every name (types included) mod.ts and core.ts export. A change to either list is a change to the
 * public API and must be made here on purpose.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as root from "../mod.ts";
import * as resp from "../resp.ts";
import * as core from "../core.ts";

const RUNTIME = [
  "Client",
  "ClosedError",
  "Cluster",
  "ClusterError",
  "ClusterLease",
  "ConnectionError",
  "Lease",
  "LeaseReleasedError",
  "Pipeline",
  "PoolTimeoutError",
  "ProtocolError",
  "QueueFullError",
  "RedisCommands",
  "RedisError",
  "ReplyError",
  "Script",
  "Subscription",
  "TimeoutError",
  "Transaction",
  "constantBackoff",
  "createClient",
  "createCluster",
  "createScript",
  "exponentialBackoff",
  "keySlot",
  "noRetry",
  "parseRedisUrl",
];

/**
 * Every name an `export { ... } from` of a module's text exports, and those
 * of the modules it re-exports whole (`export type * from`).
 */
function exportedNames(file: string, base = import.meta.url): string[] {
  const url = new URL(file, base);
  const text = readFileSync(fileURLToPath(url.href), "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "");
  const names: string[] = [];
  for (const block of text.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const item of block[1].split(",")) {
      const name = item.replace(/^\s*type\s+/, "").trim();
      if (name !== "") names.push(name);
    }
  }
  for (
    const whole of text.matchAll(/export\s+(?:type\s+)?\*\s+from\s+"([^"]+)"/g)
  ) {
    names.push(...exportedNames(whole[1], url.href));
  }
  return names.sort();
}

test("@respool/redis exports these values at runtime, and nothing else", () => {
  assert.deepEqual(Object.keys(root).sort(), RUNTIME);
});

test("@respool/redis/resp exports the codec", () => {
  assert.deepEqual(Object.keys(resp).sort(), [
    "Decoder",
    "RespWriter",
    "encodeCommand",
  ]);
});

test("mod.ts exports each name once, internals not among them", () => {
  const names = exportedNames("../mod.ts");
  assert.equal(new Set(names).size, names.length, "a name exported twice");
  for (
    const internal of [
      "RUN",
      "BATCH",
      "commands",
      "Decoder",
      "RespWriter",
      "encodeCommand",
      "detectRuntime",
    ]
  ) {
    assert.ok(!names.includes(internal), `${internal} is exported`);
  }
  assert.deepEqual(names, EXPORTED);
});

// Every name mod.ts exports, types included, sorted.
const EXPORTED: string[] = [
  "AcquireOptions",
  "AsyncCommands",
  "BitCountOptions",
  "BitPosOptions",
  "BitfieldCommands",
  "BitfieldEncoding",
  "BitfieldGet",
  "BitfieldIncrby",
  "BitfieldOffset",
  "BitfieldOperation",
  "BitfieldOverflow",
  "BitfieldSet",
  "BitmapCommands",
  "BlockingListCommands",
  "BytesCommands",
  "BytesReplies",
  "CacheOptions",
  "CacheStats",
  "Client",
  "ClientBase",
  "ClientCommands",
  "ClientEventListener",
  "ClientEventMap",
  "ClientInfo",
  "ClientKillFilter",
  "ClientListOptions",
  "ClientOptions",
  "ClientStats",
  "ClientType",
  "ClosedError",
  "Cluster",
  "ClusterAcquireOptions",
  "ClusterError",
  "ClusterEventListener",
  "ClusterEventMap",
  "ClusterLease",
  "ClusterOptions",
  "ClusterStats",
  "Command",
  "CommandArg",
  "CommandBase",
  "CommandOptions",
  "CommandSender",
  "CommandTable",
  "ConnectionError",
  "CopyOptions",
  "CoreClientOptions",
  "DecoderLimits",
  "EventListenerOf",
  "ExecOptions",
  "ExpireOptions",
  "ExponentialBackoffOptions",
  "FailoverDetail",
  "FlushOptions",
  "FunctionCommands",
  "FunctionFlushOptions",
  "FunctionInfo",
  "FunctionLibrary",
  "FunctionListOptions",
  "FunctionLoadOptions",
  "FunctionRestoreOptions",
  "GeoAddOptions",
  "GeoCommands",
  "GeoCoordinates",
  "GeoMatch",
  "GeoMember",
  "GeoOrigin",
  "GeoSearchOptions",
  "GeoSearchStoreOptions",
  "GeoShape",
  "GeoUnit",
  "GetexOptions",
  "HScanOptions",
  "HashCommands",
  "KeyCommands",
  "LMPopOptions",
  "LPosOptions",
  "Lease",
  "LeaseReleasedError",
  "ListCommands",
  "ListEnd",
  "MemoryUsageOptions",
  "Pairs",
  "Pipeline",
  "PipelineCommands",
  "PipelineResults",
  "PoolOptions",
  "PoolStats",
  "PoolTimeoutError",
  "PoppedElement",
  "PoppedElements",
  "PoppedScoredMember",
  "ProtocolError",
  "PubSubCommands",
  "QueueFullError",
  "QueueOptions",
  "ReadFrom",
  "RedisCommands",
  "RedisError",
  "RedisErrorCode",
  "RedisKey",
  "RedisValue",
  "RefreshOptions",
  "ReplyError",
  "ReplyMapper",
  "RespValue",
  "RestoreOptions",
  "RetryPolicy",
  "SInterCardOptions",
  "SScanOptions",
  "ScanOptions",
  "ScoreBound",
  "ScoredMember",
  "Script",
  "ScriptCommands",
  "ScriptFlushOptions",
  "ScriptRunOptions",
  "SendOptions",
  "SentinelOptions",
  "ServerCommands",
  "ServerInfo",
  "ServerTime",
  "SetCommands",
  "SetOptions",
  "SlotMove",
  "SortCommands",
  "SortOptions",
  "SortedSetCombineCommands",
  "SortedSetCommands",
  "SortedSetRangeCommands",
  "Span",
  "SpanAttributeValue",
  "SpanAttributes",
  "SpanException",
  "SpanOptions",
  "SpanStatus",
  "StreamClaimCommands",
  "StreamCommands",
  "StreamFields",
  "StreamGroupCommands",
  "StreamGroupMessage",
  "StreamId",
  "StreamMessage",
  "StreamOffsets",
  "StreamRead",
  "StringCommands",
  "Subscription",
  "SubscriptionEventMap",
  "SubscriptionHost",
  "SubscriptionKind",
  "SubscriptionMessage",
  "SubscriptionOptions",
  "TimeoutError",
  "TlsOptions",
  "TopologyChange",
  "Tracer",
  "Transaction",
  "TransactionCommands",
  "TransactionOptions",
  "TransactionResults",
  "Transport",
  "TransportConnectOptions",
  "TransportHandlers",
  "TransportSocket",
  "UrlSettings",
  "XAddOptions",
  "XAutoClaimIdsResult",
  "XAutoClaimOptions",
  "XAutoClaimResult",
  "XClaimOptions",
  "XGroupCreateOptions",
  "XGroupSetIdOptions",
  "XInfoConsumer",
  "XInfoGroup",
  "XInfoStream",
  "XPendingEntry",
  "XPendingRangeOptions",
  "XPendingSummary",
  "XRangeOptions",
  "XReadGroupOptions",
  "XReadOptions",
  "XSetIdOptions",
  "XTrimOptions",
  "ZAddIncrOptions",
  "ZAddMember",
  "ZAddOptions",
  "ZCombineOptions",
  "ZRangeOptions",
  "ZScanOptions",
  "ZStoreOptions",
  "constantBackoff",
  "createClient",
  "createCluster",
  "createScript",
  "exponentialBackoff",
  "keySlot",
  "noRetry",
  "parseRedisUrl",
];

const CORE_RUNTIME = [
  "ClosedError",
  "ConnectionError",
  "CoreClient",
  "CoreCommands",
  "CoreLease",
  "CorePipeline",
  "LeaseReleasedError",
  "PoolTimeoutError",
  "ProtocolError",
  "QueueFullError",
  "RedisError",
  "ReplyError",
  "TimeoutError",
  "bitfields",
  "bitmaps",
  "blockingLists",
  "clients",
  "constantBackoff",
  "createClient",
  "exponentialBackoff",
  "functions",
  "geo",
  "hashes",
  "keys",
  "lists",
  "noRetry",
  "pubsub",
  "scripts",
  "server",
  "sets",
  "sort",
  "sortedSetCombine",
  "sortedSetRanges",
  "sortedSets",
  "streamClaims",
  "streamGroups",
  "streams",
  "strings",
];

test("@respool/redis/core exports these values at runtime, and nothing else", () => {
  assert.deepEqual(Object.keys(core).sort(), CORE_RUNTIME);
});

test("@respool/redis/core shares its error classes and policies with @respool/redis", () => {
  const shared = CORE_RUNTIME.filter((name) => name in root) as (
    & keyof typeof core
    & keyof typeof root
  )[];
  assert.deepEqual(shared.sort(), [
    "ClosedError",
    "ConnectionError",
    "LeaseReleasedError",
    "PoolTimeoutError",
    "ProtocolError",
    "QueueFullError",
    "RedisError",
    "ReplyError",
    "TimeoutError",
    "constantBackoff",
    "createClient",
    "exponentialBackoff",
    "noRetry",
  ]);
  for (const name of shared) {
    if (name === "createClient") continue;
    assert.equal(core[name], root[name], name);
  }
  assert.notEqual(core.createClient, root.createClient);
});

test("core.ts exports each name once, internals and full-only names not among them", () => {
  const names = exportedNames("../core.ts");
  assert.equal(new Set(names).size, names.length, "a name exported twice");
  for (
    const internal of [
      "RUN",
      "BATCH",
      "commands",
      "Client",
      "Lease",
      "Pipeline",
      "RedisCommands",
      "ClientOptions",
      "Cluster",
      "Subscription",
      "Transaction",
      "Tracer",
      "SentinelOptions",
      "CacheOptions",
    ]
  ) {
    assert.ok(!names.includes(internal), `${internal} is exported`);
  }
  // Every type core.ts exports that mod.ts exports too is the same
  // declaration: the command families' types, options, errors.
  const modNames = new Set(exportedNames("../mod.ts"));
  const coreOnly = names.filter((name) => !modNames.has(name));
  assert.deepEqual(coreOnly, [
    "CoreClient",
    "CoreClientEventMap",
    "CoreCommands",
    "CoreLease",
    "CorePipeline",
    "bitfields",
    "bitmaps",
    "blockingLists",
    "clients",
    "functions",
    "geo",
    "hashes",
    "keys",
    "lists",
    "pubsub",
    "scripts",
    "server",
    "sets",
    "sort",
    "sortedSetCombine",
    "sortedSetRanges",
    "sortedSets",
    "streamClaims",
    "streamGroups",
    "streams",
    "strings",
  ]);
});

test("deno.json and jsr.json export the same entry points", () => {
  const read = (file: string) =>
    JSON.parse(
      readFileSync(fileURLToPath(new URL(file, import.meta.url).href), "utf8"),
    ) as { exports: Record<string, string> };
  const expected = {
    ".": "./mod.ts",
    "./core": "./core.ts",
    "./resp": "./resp.ts",
  };
  assert.deepEqual(read("../deno.json").exports, expected);
  assert.deepEqual(read("../jsr.json").exports, expected);
});
