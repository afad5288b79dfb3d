/**
 * The one table of command facts: read-only or write, blocking (and where
 * the timeout is), connection effects, retry safety, routing tips and key
 * positions, generated from the server's `COMMAND` and `COMMAND DOCS` by
 * scripts/gen_registry.ts. The table is parsed on the first lookup. What
 * a client must know before it sends a command (effects, blocking and its
 * timeout, retry safety) is read from the same table by
 * src/commands/_facts.ts, which the core entry loads without the rest.
 *
 * @module
 */

import type { CommandArg } from "../resp/encode.ts";
export type { CommandArg };
import {
  COMMANDS,
  EFFECTS,
  KEY_SPECS,
  REQUEST_POLICIES,
  RESPONSE_POLICIES,
} from "./_registry_data.ts";
import { parseKeySpec } from "./_registry_parse.ts";
import { argText, CommandIndex } from "./_facts.ts";

export { blockTimeout, needsCare } from "./_facts.ts";

/** What a command does to the connection it runs on, beyond its reply. */
export type ConnectionEffect =
  | "multi" // MULTI: opens a transaction (undo: DISCARD)
  | "exec" // EXEC, DISCARD: ends the transaction and any WATCH
  | "watch" // WATCH (undo: UNWATCH)
  | "unwatch" // UNWATCH
  | "select" // SELECT (undo: SELECT the configured db)
  | "setname" // CLIENT SETNAME (undo: CLIENT SETNAME back)
  | "subscribe" // SUBSCRIBE and its five siblings: pub/sub mode
  | "takeover" // MONITOR, SYNC, PSYNC: no normal replies after it
  | "replymode" // CLIENT REPLY: later commands may get no reply
  | "sticky" // state that cannot be undone cheaply: HELLO, AUTH, ...
  | "ownwrites"; // WAIT, WAITAOF: about this connection's own writes

/** Where the search for a key spec's keys begins. */
export type BeginSearch =
  | { readonly type: "index"; readonly index: number }
  | {
    readonly type: "keyword";
    /** Upper case, matched case-insensitively. */
    readonly keyword: string;
    /** Where the search starts; negative: from the end, backwards. */
    readonly startFrom: number;
  }
  | { readonly type: "unknown" };

/** How a key spec's keys are found from where the search began. */
export type FindKeys =
  | {
    readonly type: "range";
    /** The last key, relative to the first; negative: from the end. */
    readonly lastKey: number;
    readonly keyStep: number;
    /** When above 1, only the first 1/limit of the remaining args. */
    readonly limit: number;
  }
  | {
    readonly type: "keynum";
    /** Where the number of keys is, relative to the first. */
    readonly keyNumIndex: number;
    /** Where the first key is, relative to the first. */
    readonly firstKey: number;
    readonly keyStep: number;
  }
  | { readonly type: "unknown" };

/** How a command uses a key: read (RO) or written (RW, OW, RM). */
export type KeyAccess = "RO" | "RW" | "OW" | "RM";

/** One key spec of a command, as the server's `COMMAND` reports it. */
export interface KeySpec {
  /** Where the search for the keys begins. */
  readonly beginSearch: BeginSearch;
  /** How the keys are found from there. */
  readonly findKeys: FindKeys;
  /** Undefined for a spec that finds no real key (`not_key`: a channel). */
  readonly access: KeyAccess | undefined;
  /** Every flag, as the server spells it: "RW", "access", "incomplete"... */
  readonly flags: readonly string[];
}

/** Everything the client knows about one command or subcommand. */
export interface CommandSpec {
  /** Upper case; a subcommand as "CLIENT REPLY". */
  readonly name: string;
  /** As `COMMAND` reports it: negative means at least -arity args. */
  readonly arity: number;
  /** Flag `readonly`: reads keys, changes nothing. */
  readonly readonly: boolean;
  /** Flag `write`: may change keys. */
  readonly write: boolean;
  /** Flag `pubsub`: a pub/sub command. */
  readonly pubsub: boolean;
  /** Flag `movablekeys`: key positions depend on the arguments. */
  readonly movableKeys: boolean;
  /** Flag `no_multi`: refused inside MULTI. */
  readonly noMulti: boolean;
  /** Flag `loading`: runs while the server loads its data. */
  readonly loading: boolean;
  /** Flag `blocking` (or the overlay's): may wait for data or replicas. */
  readonly blocking: boolean;
  /** Tip `nondeterministic_output`: the same call may answer differently. */
  readonly nondeterministic: boolean;
  /** Tip `request_policy:<x>`: "all_shards", "all_nodes", "multi_shard"... */
  readonly requestPolicy: string | undefined;
  /** Tip `response_policy:<x>`: "agg_sum", "all_succeeded"... */
  readonly responsePolicy: string | undefined;
  /** Where its keys are; see {@linkcode keyPositions}. */
  readonly keySpecs: readonly KeySpec[];
  /** What it does to its connection beyond the reply (client-side fact). */
  readonly effect: ConnectionEffect | undefined;
  /** Sending it twice cannot change the outcome. */
  readonly retrySafe: boolean;
  /**
   * Its reply may be kept in a client-side cache, invalidated by the
   * server's tracking: it reads keys (the server tracks keys only for
   * read-only commands), its answer changes only when they are written, and
   * sending it has no other effect (client-side fact).
   */
  readonly cacheable: boolean;
}

/**
 * Read-only commands whose answer changes without a write to their keys
 * (time, access statistics), that read keys they do not declare, that have
 * a side effect a cached answer would skip, or that walk with a cursor.
 */
const UNCACHEABLE = new Set([
  "TOUCH", // updates access times: the point of calling it
  "SORT_RO", // BY and GET read keys it does not declare
  "EVAL_RO", // scripts may read keys they do not declare
  "EVALSHA_RO",
  "FCALL_RO",
  "OBJECT", // idle time and frequency change on every access
  "MEMORY", // sizes change without a write (rehashing, encoding)
  "XINFO", // idle times, lag
  "XPENDING", // idle times
  "SCAN",
  "HSCAN",
  "SSCAN",
  "ZSCAN",
]);

// Filled by load() on the first lookup.
const index = new CommandIndex<CommandSpec>();
const all: CommandSpec[] = [];

function load(): void {
  const effects = EFFECTS.split(" ") as ConnectionEffect[];
  const requests = REQUEST_POLICIES.split(" ");
  const responses = RESPONSE_POLICIES.split(" ");
  const keySpecs = KEY_SPECS.trim().split("\n").map(parseKeySpec);
  let container: CommandSpec | undefined;
  for (const line of COMMANDS.trim().split("\n")) {
    const [label, arity, flagText, specText] = line.split(",");
    const isSub = label[0] === "|";
    const own = (isSub ? label.slice(1) : label).toUpperCase();
    const bits = parseInt(flagText ?? "0", 36);
    const specs = Object.freeze(
      specText ? specText.split(".").map((i) => keySpecs[parseInt(i, 36)]) : [],
    );
    const top = isSub ? container!.name : own;
    const spec: CommandSpec = Object.freeze({
      name: isSub ? `${container!.name} ${own}` : own,
      arity: Number(arity),
      readonly: (bits & 1) !== 0,
      write: (bits & 2) !== 0,
      pubsub: (bits & 4) !== 0,
      movableKeys: (bits & 8) !== 0,
      noMulti: (bits & 16) !== 0,
      loading: (bits & 32) !== 0,
      blocking: (bits & 64) !== 0,
      nondeterministic: (bits & 128) !== 0,
      requestPolicy: requests[((bits >> 9) & 7) - 1],
      responsePolicy: responses[((bits >> 12) & 15) - 1],
      keySpecs: specs,
      effect: effects[((bits >> 16) & 15) - 1],
      retrySafe: (bits & 256) !== 0,
      cacheable: (bits & 1) !== 0 && (bits & (4 | 64 | 128)) === 0 &&
        !UNCACHEABLE.has(top) &&
        specs.some((s) => !s.flags.includes("not_key")),
    });
    all.push(spec);
    index.add(own, spec, isSub ? container : undefined);
    if (!isSub) container = spec;
  }
  Object.freeze(all);
}

/**
 * Finds the spec of a command given as it would be sent, subcommands
 * included.
 *
 * @example Looking up a command and a subcommand
 * ```ts
 * import { commandSpec } from "./registry.ts";
 *
 * console.assert(commandSpec(["get", "k"])?.readonly === true);
 * console.assert(commandSpec(["CLIENT", "reply", "OFF"])?.effect === "replymode");
 * console.assert(commandSpec(["NOSUCHCOMMAND"]) === undefined);
 * ```
 *
 * @param args The command: its name (a string or UTF-8 bytes, any case),
 * then, for a container such as CLIENT or CONFIG, the subcommand.
 * @returns The spec, or undefined for an unknown command or an unknown
 * subcommand of a known container.
 */
export function commandSpec(
  args: readonly CommandArg[],
): CommandSpec | undefined {
  if (all.length === 0) load();
  return index.find(args);
}

/** Whether an argument equals an upper-case ASCII word, ignoring case. */
function isWord(arg: CommandArg, word: string): boolean {
  if (typeof arg === "string") {
    return arg.length === word.length && arg.toUpperCase() === word;
  }
  if (!(arg instanceof Uint8Array) || arg.length !== word.length) return false;
  for (let i = 0; i < arg.length; i++) {
    const b = arg[i];
    if ((b >= 97 && b <= 122 ? b - 32 : b) !== word.charCodeAt(i)) return false;
  }
  return true;
}

/** A non-negative integer as the server parses one, else -1. */
function count(arg: CommandArg | undefined): number {
  if (typeof arg === "number") {
    return Number.isSafeInteger(arg) && arg >= 0 ? arg : -1;
  }
  const text = argText(arg);
  return text !== undefined && /^(0|[1-9]\d{0,14})$/.test(text)
    ? Number(text)
    : -1;
}

/**
 * A key spec in one shape for the hot loop: begins at `start` (after
 * `keyword` when given), then `a`, `b`, `c` are lastkey, keystep, limit for
 * a range or keynumidx, firstkey, keystep for a keynum.
 */
interface KeyPlan {
  readonly keyword: string | undefined;
  readonly start: number;
  readonly keynum: boolean;
  readonly a: number;
  readonly b: number;
  readonly c: number;
}

/** Compiled key specs; null when the specs cannot say (unknown, incomplete). */
const plans = new WeakMap<CommandSpec, readonly KeyPlan[] | null>();

function compile(spec: CommandSpec): readonly KeyPlan[] | null {
  const compiled: KeyPlan[] = [];
  for (const { beginSearch: begin, findKeys: find, flags } of spec.keySpecs) {
    if (flags.includes("not_key")) continue;
    if (
      flags.includes("incomplete") || begin.type === "unknown" ||
      find.type === "unknown"
    ) return null;
    const range = find.type === "range";
    compiled.push({
      keyword: begin.type === "keyword" ? begin.keyword : undefined,
      start: begin.type === "keyword" ? begin.startFrom : begin.index,
      keynum: !range,
      a: range ? find.lastKey : find.keyNumIndex,
      b: range ? find.keyStep : find.firstKey,
      c: range ? find.limit : find.keyStep,
    });
  }
  return compiled;
}

/**
 * The positions of a command's keys, per its key specs (the algorithm of
 * https://redis.io/docs/latest/develop/reference/key-specs/), leaving out
 * specs flagged `not_key` (a channel, not a key).
 *
 * @param spec The command's spec, from {@linkcode commandSpec}.
 * @param args The whole command, name first.
 * @returns Indices into args, ascending and without duplicates; [] for a
 * keyless command; undefined when a spec is of "unknown" type or flagged
 * `incomplete`, or the args are too short or inconsistent for the specs (ask
 * the server with `COMMAND GETKEYS` then).
 */
export function keyPositions(
  spec: CommandSpec,
  args: readonly CommandArg[],
): number[] | undefined {
  let plan = plans.get(spec);
  if (plan === undefined) plans.set(spec, plan = compile(spec));
  if (plan === null) return undefined;
  const positions: number[] = [];
  const argc = args.length;
  let found = 0;
  for (let p = 0; p < plan.length; p++) {
    const { keyword, start, keynum, a, b, c } = plan[p];
    let first = start;
    if (keyword !== undefined) {
      // As the server searches: forwards to the last arg but one, or
      // backwards from the end down to the first arg after the name.
      const backwards = start < 0;
      const end = backwards ? 0 : argc - 1;
      first = 0;
      for (
        let i = backwards ? argc + start : start;
        i !== end && i >= 1 && i < argc;
        i += backwards ? -1 : 1
      ) {
        if (isWord(args[i], keyword)) {
          first = i + 1;
          break;
        }
      }
      if (first === 0) continue; // keyword absent: this spec finds no key
    }
    let last: number;
    let step = b;
    if (!keynum) {
      last = a >= 0
        ? first + a
        : c <= 1
        ? argc + a
        : first + Math.trunc((argc - first) / c) + a;
    } else {
      const keys = count(args[first + a]);
      if (keys < 0) return undefined;
      if (keys === 0) continue; // EVAL script 0: no key from this spec
      first += b;
      last = first + keys - 1;
      step = c;
    }
    if (last >= argc || last < first || first >= argc || step < 1) {
      return undefined;
    }
    for (let i = first; i <= last; i += step) positions.push(i);
    found++;
  }
  if (found < 2) return positions;
  positions.sort((x, y) => x - y);
  return positions.filter((x, i) => i === 0 || positions[i - 1] !== x);
}

/**
 * Every spec in the table, subcommands included.
 *
 * @returns The specs, in name order.
 */
export function allCommandSpecs(): readonly CommandSpec[] {
  if (all.length === 0) load();
  return all;
}
