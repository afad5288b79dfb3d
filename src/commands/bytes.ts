/**
 * What the typed commands return in bytes mode, the mode of a view made by
 * `withOptions({ bytes: true })`: one entry per command whose reply carries
 * values the application stored, which that mode returns as `Uint8Array`.
 * The rule for what stays text is documented once, on
 * `RedisCommands.withOptions()` (and in the README).
 *
 * @module
 */

import type { GeoMatch } from "./_geo.ts";
import type { PoppedElement, PoppedElements } from "./_list_args.ts";
import type { PoppedScoredMember, ScoredMember } from "./_sorted_set_reply.ts";
import type {
  StreamGroupMessage,
  StreamMessage,
  StreamRead,
  XAutoClaimResult,
  XInfoStream,
} from "./_stream_reply.ts";

/**
 * The reply of each typed command that changes in bytes mode, by method
 * name; the methods not listed resolve to the same values in both modes.
 * Field names of records and stream IDs stay text (see
 * `RedisCommands.withOptions()` for the rule).
 */
export interface BytesReplies {
  /** GET. */
  get: Uint8Array | null;
  /** SET: `"OK"` (a status), or with `get` the old value. */
  set: "OK" | Uint8Array | null;
  /** MGET. */
  mget: (Uint8Array | null)[];
  /** GETDEL. */
  getdel: Uint8Array | null;
  /** GETEX. */
  getex: Uint8Array | null;
  /** GETRANGE. */
  getrange: Uint8Array;
  /** RANDOMKEY. */
  randomkey: Uint8Array | null;
  /** ECHO. */
  echo: Uint8Array;
  /** LPOP. */
  lpop: Uint8Array | null;
  /** LPOP with a count. */
  lpopCount: Uint8Array[] | null;
  /** RPOP. */
  rpop: Uint8Array | null;
  /** RPOP with a count. */
  rpopCount: Uint8Array[] | null;
  /** LRANGE. */
  lrange: Uint8Array[];
  /** LINDEX. */
  lindex: Uint8Array | null;
  /** LMOVE. */
  lmove: Uint8Array | null;
  /** LMPOP. */
  lmpop: PoppedElements<Uint8Array> | null;
  /** BLPOP. */
  blpop: PoppedElement<Uint8Array> | null;
  /** BRPOP. */
  brpop: PoppedElement<Uint8Array> | null;
  /** BLMOVE. */
  blmove: Uint8Array | null;
  /** BLMPOP. */
  blmpop: PoppedElements<Uint8Array> | null;
  /** SMEMBERS. */
  smembers: Uint8Array[];
  /** SINTER. */
  sinter: Uint8Array[];
  /** SUNION. */
  sunion: Uint8Array[];
  /** SDIFF. */
  sdiff: Uint8Array[];
  /** SPOP. */
  spop: Uint8Array | null;
  /** SPOP with a count. */
  spopCount: Uint8Array[];
  /** SRANDMEMBER. */
  srandmember: Uint8Array | null;
  /** SRANDMEMBER with a count. */
  srandmemberCount: Uint8Array[];
  /** ZPOPMIN. */
  zpopmin: ScoredMember<Uint8Array>[];
  /** ZPOPMAX. */
  zpopmax: ScoredMember<Uint8Array>[];
  /** BZPOPMIN. */
  bzpopmin: PoppedScoredMember<Uint8Array> | null;
  /** BZPOPMAX. */
  bzpopmax: PoppedScoredMember<Uint8Array> | null;
  /** ZRANDMEMBER. */
  zrandmember: Uint8Array | null;
  /** ZRANDMEMBER with a count. */
  zrandmemberCount: Uint8Array[];
  /** ZRANDMEMBER with a count and WITHSCORES. */
  zrandmemberWithScores: ScoredMember<Uint8Array>[];
  /** ZRANGE. */
  zrange: Uint8Array[];
  /** ZRANGE WITHSCORES. */
  zrangeWithScores: ScoredMember<Uint8Array>[];
  /** ZUNION. */
  zunion: Uint8Array[];
  /** ZUNION WITHSCORES. */
  zunionWithScores: ScoredMember<Uint8Array>[];
  /** ZINTER. */
  zinter: Uint8Array[];
  /** ZINTER WITHSCORES. */
  zinterWithScores: ScoredMember<Uint8Array>[];
  /** ZDIFF. */
  zdiff: Uint8Array[];
  /** ZDIFF WITHSCORES. */
  zdiffWithScores: ScoredMember<Uint8Array>[];
  /** GEOSEARCH. */
  geosearch: GeoMatch<Uint8Array>[];
  /** SORT. */
  sort: (Uint8Array | null)[];
  /** SORT_RO. */
  sortRo: (Uint8Array | null)[];
  /** HGET. */
  hget: Uint8Array | null;
  /** HMGET. */
  hmget: (Uint8Array | null)[];
  /** HGETALL: values as bytes by field name (text). */
  hgetall: Record<string, Uint8Array>;
  /** HKEYS. */
  hkeys: Uint8Array[];
  /** HVALS. */
  hvals: Uint8Array[];
  /** HRANDFIELD. */
  hrandfield: Uint8Array | null;
  /** HRANDFIELD with a count. */
  hrandfieldCount: Uint8Array[];
  /** HRANDFIELD with a count and WITHVALUES. */
  hrandfieldWithValues: [Uint8Array, Uint8Array][];
  /** XRANGE. */
  xrange: StreamMessage<Uint8Array>[];
  /** XREVRANGE. */
  xrevrange: StreamMessage<Uint8Array>[];
  /** XREAD. */
  xread: StreamRead<StreamMessage<Uint8Array>, Uint8Array>[] | null;
  /** XREADGROUP. */
  xreadgroup:
    | StreamRead<StreamGroupMessage<Uint8Array>, Uint8Array>[]
    | null;
  /** XCLAIM. */
  xclaim: StreamMessage<Uint8Array>[];
  /** XAUTOCLAIM. */
  xautoclaim: XAutoClaimResult<Uint8Array>;
  /** XINFO STREAM: its first and last entries' values. */
  xinfoStream: XInfoStream<Uint8Array>;
}
