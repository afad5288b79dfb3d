/**
 * The one table of command facts: read-only or write, blocking (and where
 * the timeout is), connection effects, retry safety, routing tips and key
 * positions, generated from the server's `COMMAND` and `COMMAND DOCS` by
 * scripts/gen_registry.ts. The table is parsed on the first lookup.
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
import {
  parseKeySpec,
  parseTimeout,
  type TimeoutRule,
} from "./_registry_parse.ts";

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
/** Top-level commands by upper- and lower-case name. */
const names = new Map<string, CommandSpec>();
/** A container's subcommands by upper- and lower-case subcommand name. */
const subcommands = new Map<CommandSpec, Map<string, CommandSpec>>();
const timeouts = new Map<string, TimeoutRule>();
const all: CommandSpec[] = [];
/**
 * Top-level names, upper and lower case, of the commands that change
 * connection state or may block, themselves or through a subcommand.
 */
const careful = new Set<string>();

function load(): void {
  const effects = EFFECTS.split(" ") as ConnectionEffect[];
  const requests = REQUEST_POLICIES.split(" ");
  const responses = RESPONSE_POLICIES.split(" ");
  const keySpecs = KEY_SPECS.trim().split("\n").map(parseKeySpec);
  let container: CommandSpec | undefined;
  for (const line of COMMANDS.trim().split("\n")) {
    const [label, arity, flagText, specText, timeout] = line.split(",");
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
    if (timeout) timeouts.set(spec.name, parseTimeout(timeout));
    let index = names;
    if (isSub) {
      index = subcommands.get(container!) ?? new Map();
      subcommands.set(container!, index);
    } else {
      container = spec;
    }
    index.set(own, spec);
    index.set(own.toLowerCase(), spec);
    if (spec.effect !== undefined || spec.blocking) {
      careful.add(container!.name);
      careful.add(container!.name.toLowerCase());
    }
  }
  Object.freeze(all);
}

/** An argument as text: bytes as Latin-1, so a non-ASCII name never matches. */
function argText(arg: CommandArg | undefined): string | undefined {
  if (typeof arg === "string") return arg;
  if (arg instanceof Uint8Array) {
    let text = "";
    for (let i = 0; i < arg.length; i++) text += String.fromCharCode(arg[i]);
    return text;
  }
  return arg === undefined ? undefined : String(arg);
}

function lookup(
  index: Map<string, CommandSpec>,
  arg: CommandArg,
): CommandSpec | undefined {
  if (typeof arg === "string") {
    return index.get(arg) ?? index.get(arg.toUpperCase());
  }
  if (!(arg instanceof Uint8Array) || arg.length > 32) return undefined;
  const name = argText(arg)!;
  return index.get(name) ?? index.get(name.toUpperCase());
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
  if (args.length === 0) return undefined;
  const spec = lookup(names, args[0]);
  if (spec === undefined || args.length < 2) return spec;
  const subs = subcommands.get(spec);
  return subs === undefined ? spec : lookup(subs, args[1]);
}

/**
 * Whether a command may need more than plain multiplexing: it changes
 * connection state or may block (itself or through a subcommand), or its
 * name is not a plain known one (bytes, mixed case, unknown). False means
 * it can go straight to a shared connection; one Set lookup, for the hot
 * path of every command.
 *
 * @param args The command as it would be sent.
 * @returns Whether to look at its spec before sending it.
 */
export function needsCare(args: readonly CommandArg[]): boolean {
  if (all.length === 0) load();
  const name = args[0];
  if (typeof name !== "string") return true;
  return careful.has(name) || !names.has(name);
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

/** Milliseconds from a timeout argument as the server reads it. */
function timeoutMs(arg: CommandArg | undefined, seconds: boolean): number {
  const value = typeof arg === "number" ? arg : Number(argText(arg) ?? NaN);
  if (!Number.isFinite(value) || value < 0) return 0;
  if (!seconds) return Math.trunc(value);
  // The server truncates seconds * 1000 (so 0.0004 s means for ever);
  // rounding first keeps 0.29 s at 290 ms despite binary fractions.
  const ms = value * 1000;
  const rounded = Math.round(ms);
  return Math.abs(ms - rounded) < 1e-6 ? rounded : Math.trunc(ms);
}

/**
 * How long a command may block with these args.
 *
 * @param spec The command's spec, from {@linkcode commandSpec}.
 * @param args The whole command, name first.
 * @returns Milliseconds; 0 when it may block for ever (a timeout of 0, or
 * one that is not a finite non-negative number); undefined when it does not
 * block with these args (XREAD without BLOCK, or a non-blocking command).
 */
export function blockTimeout(
  spec: CommandSpec,
  args: readonly CommandArg[],
): number | undefined {
  if (!spec.blocking) return undefined;
  if (all.length === 0) load();
  const rule = timeouts.get(spec.name);
  if (rule === undefined) return 0;
  const at = rule.at;
  if (typeof at === "number") {
    return timeoutMs(args[at < 0 ? args.length + at : at], rule.seconds);
  }
  // Walk the options before the token as the server's parser does, so that
  // a key or value spelled like the token is not taken for it.
  for (let i = spec.name.includes(" ") ? 2 : 1; i < args.length;) {
    const word = argText(args[i])!.toUpperCase();
    if (word === at) return timeoutMs(args[i + 1], rule.seconds);
    const values = rule.before.get(word);
    if (values === undefined) return undefined;
    i += 1 + values;
  }
  return undefined;
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
