/**
 * Hash slots: the CRC16 of a key (or of its `{hash tag}`) modulo 16,384, as
 * Redis Cluster computes it, and the slots a command's keys fall in.
 *
 * @module
 */

import type { CommandArg } from "../resp/encode.ts";
import { type CommandSpec, keyPositions } from "../commands/registry.ts";

/** The number of hash slots in a Redis Cluster. */
export const SLOTS = 16_384;

/** CRC16/XMODEM, one entry per byte value. */
const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let bit = 0; bit < 8; bit++) {
    crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
  }
  TABLE[i] = crc & 0xffff;
}

const encoder = new TextEncoder();

function crcBytes(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc = ((crc << 8) & 0xff00) ^ TABLE[((crc >> 8) ^ bytes[i]) & 0xff];
  }
  return crc;
}

function slotOfBytes(bytes: Uint8Array): number {
  let start = 0;
  let end = bytes.length;
  const open = bytes.indexOf(123); // "{"
  if (open !== -1) {
    const close = bytes.indexOf(125, open + 1); // "}"
    if (close > open + 1) {
      start = open + 1;
      end = close;
    }
  }
  return crcBytes(bytes, start, end) & (SLOTS - 1);
}

/**
 * The hash slot of a key: the CRC16 of the key, or of the part between
 * the first `{` and the next `}` when that part is not empty (a hash tag),
 * modulo 16,384.
 *
 * @example Keys with one hash tag share a slot
 * ```ts
 * import { keySlot } from "./slot.ts";
 *
 * console.assert(keySlot("foo") === 12182);
 * console.assert(keySlot("{user:1}:cart") === keySlot("{user:1}:profile"));
 * ```
 *
 * @param key The key as it is sent: a string (as UTF-8), bytes or a number.
 * @returns The slot, 0 to 16,383.
 */
export function keySlot(key: CommandArg): number {
  if (typeof key !== "string") {
    return slotOfBytes(
      key instanceof Uint8Array ? key : encoder.encode(String(key)),
    );
  }
  // ASCII strings hash without encoding; others as their UTF-8 bytes.
  let start = 0;
  let end = key.length;
  for (let i = 0; i < end; i++) {
    if (key.charCodeAt(i) > 127) return slotOfBytes(encoder.encode(key));
  }
  const open = key.indexOf("{");
  if (open !== -1) {
    const close = key.indexOf("}", open + 1);
    if (close > open + 1) {
      start = open + 1;
      end = close;
    }
  }
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc = ((crc << 8) & 0xff00) ^
      TABLE[((crc >> 8) ^ key.charCodeAt(i)) & 0xff];
  }
  return crc & (SLOTS - 1);
}

/** Whether a spec's one key is the first argument (GET, SET, HSET ...). */
const firstKeyOnly = new WeakMap<CommandSpec, boolean>();

/**
 * The index of a command's only key when the spec puts exactly one key
 * right after the name (most commands), else -1: a lookup without the
 * allocations of {@linkcode commandSlots}.
 *
 * @param spec The command's spec.
 * @param args The whole command, name first.
 * @returns 1, or -1 when the keys must be found the long way.
 */
export function soleKeyIndex(
  spec: CommandSpec,
  args: readonly CommandArg[],
): number {
  let sole = firstKeyOnly.get(spec);
  if (sole === undefined) {
    const specs = spec.keySpecs;
    const only = specs[0];
    sole = specs.length === 1 && only.beginSearch.type === "index" &&
      only.beginSearch.index === 1 && only.findKeys.type === "range" &&
      only.findKeys.lastKey === 0 && !only.flags.includes("not_key") &&
      !only.flags.includes("incomplete");
    firstKeyOnly.set(spec, sole);
  }
  return sole && args.length > 1 ? 1 : -1;
}

/** What {@linkcode commandSlots} found. */
export type CommandSlots =
  /** The command has no key. */
  | { readonly kind: "none" }
  /** Every key is in one slot. */
  | { readonly kind: "one"; readonly slot: number }
  /** The keys are in several slots; `positions` are the keys' indices. */
  | {
    readonly kind: "many";
    readonly slots: readonly number[];
    readonly positions: readonly number[];
  }
  /** The key specs cannot say where the keys are (SORT ... BY, MIGRATE). */
  | { readonly kind: "unknown" };

const NONE: CommandSlots = Object.freeze({ kind: "none" });
const UNKNOWN: CommandSlots = Object.freeze({ kind: "unknown" });

/**
 * The slots of a command's keys, from the registry's key specs.
 *
 * @param spec The command's spec.
 * @param args The whole command, name first.
 * @returns Whether it has no key, keys in one slot, in several, or keys the
 * specs cannot locate.
 */
export function commandSlots(
  spec: CommandSpec,
  args: readonly CommandArg[],
): CommandSlots {
  const positions = keyPositions(spec, args);
  if (positions === undefined) return UNKNOWN;
  if (positions.length === 0) return NONE;
  const first = keySlot(args[positions[0]]);
  let slots: number[] | undefined;
  for (let i = 1; i < positions.length; i++) {
    const slot = keySlot(args[positions[i]]);
    if (slot !== first) {
      slots ??= [first];
      if (!slots.includes(slot)) slots.push(slot);
    }
  }
  return slots === undefined
    ? { kind: "one", slot: first }
    : { kind: "many", slots, positions };
}
