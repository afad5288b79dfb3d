/**
 * The command facts every client needs before it sends a command: what it
 * does to its connection, whether it may block (and where its timeout is),
 * whether it writes, and whether sending it twice is safe. Read from
 * src/commands/_facts_data.ts, generated with the registry's table
 * (src/commands/_registry_data.ts) and listing only the commands with one
 * of those facts, without key specs and policies, so that the core entry
 * carries only this part; src/commands/registry.ts reads the whole table.
 * A command that is not listed has none of those facts.
 *
 * @module
 */

import { EFFECTS } from "./_registry_data.ts";
import { CAREFUL, FACTS } from "./_facts_data.ts";
import { parseTimeout, type TimeoutRule } from "./_registry_parse.ts";
import type { CommandArg } from "../resp/encode.ts";
import type { ConnectionEffect } from "./registry.ts";

/** What a client needs to know of a command before it sends it. */
export interface CommandFacts {
  /** Upper case; a subcommand as "CLIENT REPLY". */
  readonly name: string;
  /** Flag `write`: may change keys. */
  readonly write: boolean;
  /** Flag `blocking` (or the overlay's): may wait for data or replicas. */
  readonly blocking: boolean;
  /** Sending it twice cannot change the outcome. */
  readonly retrySafe: boolean;
  /** What it does to its connection beyond the reply. */
  readonly effect: ConnectionEffect | undefined;
}

/**
 * Commands by name, and each container's subcommands by subcommand name,
 * each under its upper- and lower-case name: the facts here, the specs in
 * the registry.
 */
export class CommandIndex<T extends object> {
  readonly #names = new Map<string, T>();
  readonly #subcommands = new Map<T, Map<string, T>>();

  /** Whether nothing was added yet. */
  get empty(): boolean {
    return this.#names.size === 0;
  }

  /**
   * Adds a command, or with `container` one of its subcommands.
   *
   * @param own Its name (a subcommand's own part), upper case.
   * @param entry What is found by that name.
   * @param container The command it is a subcommand of.
   */
  add(own: string, entry: T, container?: T): void {
    let index = this.#names;
    if (container !== undefined) {
      index = this.#subcommands.get(container) ?? new Map();
      this.#subcommands.set(container, index);
    }
    index.set(own, entry);
    index.set(own.toLowerCase(), entry);
  }

  /**
   * Finds a command given as it would be sent, subcommands included.
   *
   * @param args Its name (a string or UTF-8 bytes, any case), then, for a
   * container such as CLIENT or CONFIG, the subcommand.
   * @returns The entry, or undefined for an unknown command or an unknown
   * subcommand of a known container.
   */
  find(args: readonly CommandArg[]): T | undefined {
    if (args.length === 0) return undefined;
    const entry = lookup(this.#names, args[0]);
    if (entry === undefined || args.length < 2) return entry;
    const subs = this.#subcommands.get(entry);
    return subs === undefined ? entry : lookup(subs, args[1]);
  }
}

// Filled by load() on the first lookup.
const index = new CommandIndex<CommandFacts>();
const timeouts = new Map<string, TimeoutRule>();
/**
 * Top-level names, upper and lower case, of the commands that change
 * connection state or may block, themselves or through a subcommand: from
 * CAREFUL, so that a process's first command does not wait for FACTS to be
 * read (1 to 2.5 ms on a cold start, measured on Deno, Node and Bun).
 */
const careful = new Set(
  CAREFUL.split(" ").flatMap((name) => [name, name.toUpperCase()]),
);

function load(): void {
  const effects = EFFECTS.split(" ") as ConnectionEffect[];
  let container: CommandFacts | undefined;
  for (const line of FACTS.trim().split("\n")) {
    const [label, flagText, timeout] = line.split(",");
    const isSub = label[0] === "|";
    const own = (isSub ? label.slice(1) : label).toUpperCase();
    const bits = parseInt(flagText ?? "0", 36);
    const facts: CommandFacts = Object.freeze({
      name: isSub ? `${container!.name} ${own}` : own,
      write: (bits & 2) !== 0,
      blocking: (bits & 64) !== 0,
      retrySafe: (bits & 256) !== 0,
      effect: effects[((bits >> 16) & 15) - 1],
    });
    if (timeout) timeouts.set(facts.name, parseTimeout(timeout));
    index.add(own, facts, isSub ? container : undefined);
    if (!isSub) container = facts;
  }
}

/** An argument as text: bytes as Latin-1, so a non-ASCII name never matches. */
export function argText(arg: CommandArg | undefined): string | undefined {
  if (typeof arg === "string") return arg;
  if (arg instanceof Uint8Array) {
    let text = "";
    for (let i = 0; i < arg.length; i++) text += String.fromCharCode(arg[i]);
    return text;
  }
  return arg === undefined ? undefined : String(arg);
}

/** A name (or subcommand name) looked up as given, then in upper case. */
function lookup<T>(
  index: ReadonlyMap<string, T>,
  arg: CommandArg,
): T | undefined {
  if (typeof arg === "string") {
    return index.get(arg) ?? index.get(arg.toUpperCase());
  }
  if (!(arg instanceof Uint8Array) || arg.length > 32) return undefined;
  const name = argText(arg)!;
  return index.get(name) ?? index.get(name.toUpperCase());
}

/**
 * Finds the facts of a command given as it would be sent, subcommands
 * included: the same entry `commandSpec()` of the registry finds.
 *
 * @param args The command: its name (a string or UTF-8 bytes, any case),
 * then, for a container such as CLIENT or CONFIG, the subcommand.
 * @returns The facts, or undefined for an unknown command or an unknown
 * subcommand of a known container.
 */
export function commandFacts(
  args: readonly CommandArg[],
): CommandFacts | undefined {
  if (index.empty) load();
  return index.find(args);
}

/**
 * Whether a command may need more than plain multiplexing: it changes
 * connection state or may block (itself or through a subcommand), or its
 * name is spelled so that only a lookup can tell (bytes, mixed case,
 * non-ASCII). False means it can go straight to a shared connection: one
 * Set lookup and a look at the name's letters, for the hot path of every
 * command.
 *
 * @param args The command as it would be sent.
 * @returns Whether to look at its facts before sending it.
 */
export function needsCare(args: readonly CommandArg[]): boolean {
  const name = args[0];
  if (typeof name !== "string") return true;
  if (careful.has(name)) return true;
  // All upper or all lower case: careful names are listed in both.
  let upper = false;
  let lower = false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 97 && c <= 122) lower = true;
    else if (c >= 65 && c <= 90) upper = true;
    else if (c > 127) return true;
  }
  return upper && lower;
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
 * @param spec The command's facts (or its registry spec).
 * @param args The whole command, name first.
 * @returns Milliseconds; 0 when it may block for ever (a timeout of 0, or
 * one that is not a finite non-negative number); undefined when it does not
 * block with these args (XREAD without BLOCK, or a non-blocking command).
 */
export function blockTimeout(
  spec: Pick<CommandFacts, "name" | "blocking">,
  args: readonly CommandArg[],
): number | undefined {
  if (!spec.blocking) return undefined;
  if (index.empty) load();
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
