/**
 * One entry of a connection's reply queue: a command, a batch of commands
 * that travels and fails as one unit (a pipeline, a MULTI ... EXEC block),
 * or a subscription change answered by confirmations.
 *
 * @module
 */

import type { RespValue } from "../resp/decode.ts";
import { type CommandArg, commandName } from "../resp/encode.ts";

/** Per-call options of a command. */
export interface CommandOptions {
  /** Return bulk strings as `Uint8Array` instead of strings. */
  bytes?: boolean;
  /**
   * How long to wait for the reply, in milliseconds (`Infinity`: no limit).
   *
   * @default {the client's commandTimeout}
   */
  timeout?: number;
  /** Rejects the command with the signal's reason when aborted. */
  signal?: AbortSignal;
}

/**
 * Turns a raw reply into the value a typed method returns; `source` is the
 * connection the reply arrived on (the client-side cache ties what it keeps
 * to it).
 */
export type ReplyMapper<T> = (reply: RespValue, source?: object) => T;

const FLAT_MAPS: unique symbol = Symbol("respool.flatMaps");

/**
 * Marks a mapper that reads a RESP2 flat array of keys and values the same
 * as a RESP3 map: its reply's maps are then decoded as flat arrays, with no
 * `Map` built only to be read once.
 *
 * @param map The mapper.
 * @returns The same mapper, marked.
 */
export function readsFlatMaps<T>(map: ReplyMapper<T>): ReplyMapper<T> {
  (map as { [FLAT_MAPS]?: true })[FLAT_MAPS] = true;
  return map;
}

/** One command of a batch. */
export interface BatchMember {
  readonly args: readonly CommandArg[];
  /** Read bulk strings of this command's reply as `Uint8Array`. */
  readonly bytes?: boolean;
}

/**
 * A queue entry that failed in a way sending it again might fix: its
 * connection was lost before the reply came, or the server answered that it
 * is still loading its data (and so ran none of it).
 */
export interface LostCommand {
  /** The command's upper-case name, or what the batch is, for messages. */
  readonly name: string;
  /** The command (for a batch, its first member). */
  readonly args: readonly CommandArg[];
  /** The whole batch, when the entry is one. */
  readonly batch: readonly BatchMember[] | undefined;
  readonly map: ReplyMapper<unknown>;
  readonly options: CommandOptions | undefined;
  /** When it was first issued, in epoch milliseconds. */
  readonly issuedAt: number;
  /** How many times it was tried before this one. */
  readonly attempt: number;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** What kind of entry a {@linkcode Pending} is. */
export const SINGLE = 0;
/** N commands, N replies, settled together as an array. */
export const BATCH = 1;
/** A (P|S)(UN)SUBSCRIBE, settled by one confirmation per name. */
export const CONFIRM = 2;

/** An entry of the reply queue. */
export class Pending implements LostCommand {
  readonly kind: number;
  readonly args: readonly CommandArg[];
  readonly batch: readonly BatchMember[] | undefined;
  readonly options: CommandOptions | undefined;
  attempt = 0;
  readonly map: ReplyMapper<unknown>;
  /** Bytes mode of the next reply this entry expects. */
  bytes: boolean;
  /** Whether its reply's maps are decoded as flat arrays (one command). */
  readonly flat: boolean;
  resolve!: (value: unknown) => void;
  reject!: (error: unknown) => void;
  /** Sequence number; compared with the last written one. */
  readonly seq: number;
  readonly issuedAt: number;
  /** When the shared timer times this entry out; 0 when it does not. */
  deadline = 0;
  settled = false;
  signal: AbortSignal | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;
  /** Replies (or confirmations) still expected. */
  remaining: number;
  /** A batch's replies so far. */
  replies: RespValue[] | undefined;
  /** For CONFIRM: the kind of message that confirms (`subscribe`, ...). */
  readonly confirms: string | undefined;

  constructor(
    kind: number,
    args: readonly CommandArg[],
    batch: readonly BatchMember[] | undefined,
    options: CommandOptions | undefined,
    map: ReplyMapper<unknown>,
    seq: number,
    issuedAt: number,
    expected: number,
    confirms?: string,
  ) {
    this.kind = kind;
    this.args = args;
    this.batch = batch;
    this.options = options;
    this.map = map;
    this.seq = seq;
    this.issuedAt = issuedAt;
    this.remaining = expected;
    this.confirms = confirms;
    this.bytes = batch === undefined
      ? options?.bytes === true
      : batch[0].bytes === true;
    this.flat = batch === undefined &&
      (map as { [FLAT_MAPS]?: true })[FLAT_MAPS] === true;
    if (kind === BATCH) this.replies = [];
  }

  /** The upper-case name, for messages: worked out only when needed. */
  get name(): string {
    const batch = this.batch;
    if (batch === undefined) return commandName(this.args);
    return commandName(batch[0].args) === "MULTI"
      ? "MULTI ... EXEC"
      : `the pipeline of ${batch.length} commands`;
  }

  /** Marks the entry settled and drops its abort listener. */
  finish(): void {
    this.settled = true;
    if (this.onAbort !== undefined) {
      this.signal!.removeEventListener("abort", this.onAbort);
    }
  }
}
