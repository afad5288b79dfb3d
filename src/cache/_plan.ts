/**
 * What the client-side cache needs to know about a command: whether its
 * reply may be kept, which keys a write changes, the identity of a reply in
 * the cache, and how to copy and weigh a kept reply.
 *
 * @module
 */

import {
  type CommandSpec,
  commandSpec,
  keyPositions,
} from "../commands/registry.ts";
import type { CommandArg } from "../resp/encode.ts";
import type { RespValue } from "../resp/types.ts";

/** Neither kept nor a write: sent as it is. */
export const OTHER = 0;
/** A read whose reply may be kept. */
export const READ = 1;
/** Changes keys: their kept replies go when its reply comes. */
export const WRITE = 2;

/** How the cache treats a command. */
export interface Plan {
  readonly kind: typeof OTHER | typeof READ | typeof WRITE;
  readonly spec: CommandSpec | undefined;
}

const OTHER_PLAN: Plan = Object.freeze({ kind: OTHER, spec: undefined });

/**
 * Scripts are not flagged `write` but may write the keys they declare (and
 * others: those the server's invalidations cover).
 */
const SCRIPTS = new Set(["EVAL", "EVALSHA", "FCALL"]);

/** Plans by command name as given; containers are planned per call. */
const plans = new Map<string, Plan | null>();

function planOf(spec: CommandSpec | undefined): Plan {
  if (spec === undefined) return OTHER_PLAN;
  if (spec.cacheable) return { kind: READ, spec };
  if (spec.write || SCRIPTS.has(spec.name)) return { kind: WRITE, spec };
  return OTHER_PLAN;
}

/**
 * How the cache treats a command.
 *
 * @param args The command as it would be sent.
 * @returns Its plan; one map lookup for a plain command name.
 */
export function cachePlan(args: readonly CommandArg[]): Plan {
  const name = args[0];
  if (typeof name === "string") {
    const known = plans.get(name);
    if (known != null) return known;
    if (known === null) return planOf(commandSpec(args));
    const spec = commandSpec([name]);
    if (spec === undefined) return OTHER_PLAN;
    // A container's plan depends on its subcommand.
    const plan = commandSpec([name, "\u0000"]) === undefined
      ? null
      : planOf(spec);
    plans.set(name, plan);
    return plan ?? planOf(commandSpec(args));
  }
  return planOf(commandSpec(args));
}

const latin1 = (bytes: Uint8Array): string => {
  let text = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    text += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return text;
};

/**
 * The identity of a reply in the cache: the command name and every
 * argument, each tagged with its type and prefixed with its length, so two
 * different commands never share one.
 *
 * @param name The command's upper-case name.
 * @param args The command as sent (name first).
 * @param bytes Whether bulk strings are read as bytes.
 * @returns The identity.
 */
export function cacheId(
  name: string,
  args: readonly CommandArg[],
  bytes: boolean,
): string {
  let id = bytes ? "B" + name : name;
  for (let i = 1; i < args.length; i++) {
    const arg = args[i];
    if (typeof arg === "string") id += "\u0000s" + arg.length + ":" + arg;
    else if (arg instanceof Uint8Array) {
      id += "\u0000b" + arg.length + ":" + latin1(arg);
    } else id += "\u0000n" + String(arg);
  }
  return id;
}

const utf8 = new TextDecoder();

/**
 * A key as the server's invalidation names it once decoded: bytes through
 * the same (replacing) UTF-8 decoding, a string with lone surrogates as its
 * UTF-8 encoding comes back. Different keys may share a name (invalid
 * UTF-8); that only invalidates more.
 *
 * @param key The key as sent.
 * @returns Its name in invalidations.
 */
export function invalidationKey(key: CommandArg): string {
  if (typeof key === "string") {
    return key.isWellFormed() ? key : key.toWellFormed();
  }
  if (key instanceof Uint8Array) return utf8.decode(key);
  return String(key);
}

/**
 * The keys of a command, as invalidations name them.
 *
 * @param spec The command's spec.
 * @param args The command as sent.
 * @returns The keys; undefined when the registry cannot say.
 */
export function keysOf(
  spec: CommandSpec,
  args: readonly CommandArg[],
): string[] | undefined {
  // The fast path: one key, right after the name.
  if (args.length === 2 && spec.arity === 2 && !spec.movableKeys) {
    return [invalidationKey(args[1])];
  }
  const positions = keyPositions(spec, args);
  if (positions === undefined) return undefined;
  return positions.map((p) => invalidationKey(args[p]));
}

/**
 * A copy of a kept reply, so the caller may change what it gets without
 * changing what the cache keeps.
 *
 * @param value The kept reply.
 * @returns The copy (the value itself when it cannot be changed).
 */
export function copyReply(value: RespValue): RespValue {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    const copy = new Array<RespValue>(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = copyReply(value[i]);
    return copy;
  }
  if (value instanceof Uint8Array) return value.slice();
  if (value instanceof Map) {
    const copy = new Map<RespValue, RespValue>();
    for (const [k, v] of value) copy.set(copyReply(k), copyReply(v));
    return copy;
  }
  if (value instanceof Set) {
    const copy = new Set<RespValue>();
    for (const v of value) copy.add(copyReply(v));
    return copy;
  }
  return value;
}

/** The estimated overhead of one value, in bytes. */
const VALUE_OVERHEAD = 16;

/**
 * The estimated memory a reply takes: lengths of strings and bytes plus a
 * fixed overhead per value.
 *
 * @param value The reply.
 * @returns Bytes, estimated.
 */
export function replySize(value: RespValue): number {
  if (typeof value === "string") return VALUE_OVERHEAD + value.length;
  if (typeof value !== "object" || value === null) return VALUE_OVERHEAD;
  if (value instanceof Uint8Array) return 64 + value.byteLength;
  let size = 32;
  if (Array.isArray(value) || value instanceof Set) {
    for (const v of value) size += 8 + replySize(v);
  } else if (value instanceof Map) {
    for (const [k, v] of value) size += 16 + replySize(k) + replySize(v);
  }
  return size;
}
