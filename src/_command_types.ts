/**
 * The command types both entries export: each family's interface and the
 * options and replies of its commands, the RESP values and the transport
 * interface. `mod.ts` and `core.ts` re-export this module, so the two lists
 * cannot drift apart.
 *
 * @module
 */

export type { Command, RedisKey, RedisValue } from "./commands/_command.ts";
export type {
  GetexOptions,
  SetOptions,
  StringCommands,
} from "./commands/strings.ts";
export type {
  CopyOptions,
  ExpireOptions,
  KeyCommands,
  RestoreOptions,
} from "./commands/keys.ts";
export type {
  ClientCommands,
  ClientInfo,
  ClientKillFilter,
  ClientListOptions,
  ClientType,
} from "./commands/clients.ts";
export type {
  FlushOptions,
  MemoryUsageOptions,
  ServerCommands,
  ServerInfo,
  ServerTime,
} from "./commands/server.ts";
export type { HashCommands } from "./commands/hashes.ts";
export type { BlockingListCommands } from "./commands/list_blocking.ts";
export type { Pairs } from "./commands/_args.ts";
export type {
  ListCommands,
  ListEnd,
  LMPopOptions,
  LPosOptions,
  PoppedElement,
  PoppedElements,
} from "./commands/lists.ts";
export type { SetCommands, SInterCardOptions } from "./commands/sets.ts";
export type {
  PoppedScoredMember,
  ScoredMember,
  SortedSetCommands,
  ZAddIncrOptions,
  ZAddMember,
  ZAddOptions,
  ZStoreOptions,
} from "./commands/sorted_sets.ts";
export type {
  ScoreBound,
  SortedSetRangeCommands,
  ZRangeOptions,
} from "./commands/sorted_set_ranges.ts";
export type {
  SortedSetCombineCommands,
  ZCombineOptions,
} from "./commands/sorted_set_combine.ts";
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
} from "./commands/geo.ts";
export type {
  BitCountOptions,
  BitmapCommands,
  BitPosOptions,
} from "./commands/bitmaps.ts";
export type {
  BitfieldCommands,
  BitfieldEncoding,
  BitfieldGet,
  BitfieldIncrby,
  BitfieldOffset,
  BitfieldOperation,
  BitfieldOverflow,
  BitfieldSet,
} from "./commands/bitfields.ts";
export type { SortCommands, SortOptions } from "./commands/sort.ts";
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
} from "./commands/streams.ts";
export type {
  StreamGroupCommands,
  StreamGroupMessage,
  XGroupCreateOptions,
  XGroupSetIdOptions,
  XInfoConsumer,
  XInfoGroup,
  XReadGroupOptions,
} from "./commands/stream_groups.ts";
export type {
  StreamClaimCommands,
  XAutoClaimIdsResult,
  XAutoClaimOptions,
  XAutoClaimResult,
  XClaimOptions,
  XPendingEntry,
  XPendingRangeOptions,
  XPendingSummary,
} from "./commands/stream_claims.ts";
export type {
  FunctionFlushOptions,
  FunctionLoadOptions,
  ScriptCommands,
  ScriptFlushOptions,
} from "./commands/scripts.ts";
export type { PubSubCommands } from "./commands/pubsub.ts";
export type {
  FunctionCommands,
  FunctionInfo,
  FunctionLibrary,
  FunctionListOptions,
  FunctionRestoreOptions,
} from "./commands/functions.ts";
export type { CommandArg } from "./resp/encode.ts";
export type { DecoderLimits, RespValue } from "./resp/decode.ts";
export type {
  TlsOptions,
  Transport,
  TransportConnectOptions,
  TransportHandlers,
  TransportSocket,
} from "./transport/types.ts";
