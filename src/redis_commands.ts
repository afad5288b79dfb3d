/**
 * The command methods shared by {@linkcode Client} and {@linkcode Lease}:
 * `send()`, pipelines, transactions, scans, scripts, and one typed method
 * per builder of the command table, bound here, above the command layer,
 * so that the builders know nothing of who sends them.
 *
 * @module
 */

import type { CommandArg } from "./resp/encode.ts";
import type { RespValue } from "./resp/decode.ts";
import type { CommandOptions } from "./connection/connection.ts";
import type { Command, RedisKey } from "./commands/_command.ts";
import type { CommandTable } from "./commands/table.ts";
import { installCommands } from "./commands/_install.ts";
import { BATCH, PREFIX, RUN, SHARED } from "./_executor.ts";
import { CommandBase } from "./_command_base.ts";
import type { KeyPrefix } from "./_prefix.ts";
import { Pipeline } from "./batch/pipeline.ts";
import { Transaction } from "./batch/transaction.ts";
import {
  hscan as scanHash,
  type HScanOptions,
  scan as scanKeys,
  type ScanOptions,
  type SendOptions,
  sscan as scanSet,
  type SScanOptions,
  zscan as scanSortedSet,
  type ZScanOptions,
} from "./commands/scan.ts";
import { createScript, type Script } from "./commands/script.ts";
import { checkKeys, type KnownKeys } from "./_options_check.ts";
import type { ScoredMember } from "./commands/sorted_sets.ts";
import type { BytesReplies } from "./commands/bytes.ts";

export { BATCH, PREFIX, RUN, SHARED };
export type { SendOptions };

// Checked once per view in withOptions(), never per command.
const COMMAND_OPTION_KEYS = {
  bytes: true,
  timeout: true,
  signal: true,
} satisfies KnownKeys<CommandOptions>;

/** Each builder of the table as a method returning a promise of its reply. */
export type AsyncCommands = {
  [K in keyof CommandTable]: CommandTable[K] extends
    (...args: infer A) => Command<infer T> ? (...args: A) => Promise<T>
    : never;
};

/**
 * A view made by `withOptions({ bytes: true })`: the methods of
 * {@linkcode RedisCommands}, with `Uint8Array` wherever a reply carries a
 * value the application stored (see {@linkcode BytesReplies} for each
 * command that changes, and {@linkcode RedisCommands.withOptions} for
 * what stays text).
 */
export type BytesCommands =
  & Omit<
    RedisCommands,
    keyof BytesReplies | "scan" | "hscan" | "sscan" | "zscan" | "withOptions"
  >
  & {
    [K in keyof BytesReplies]: (
      ...args: Parameters<AsyncCommands[K]>
    ) => Promise<BytesReplies[K]>;
  }
  & {
    /** SCAN's keys, as bytes (without the `keyPrefix`, if any). */
    scan(options?: ScanOptions): AsyncGenerator<Uint8Array, void, undefined>;
    /** HSCAN's fields and values, as bytes. */
    hscan(
      key: RedisKey,
      options?: HScanOptions,
    ): AsyncGenerator<[Uint8Array, Uint8Array], void, undefined>;
    /** SSCAN's members, as bytes. */
    sscan(
      key: RedisKey,
      options?: SScanOptions,
    ): AsyncGenerator<Uint8Array, void, undefined>;
    /** ZSCAN's members, as bytes, with their scores. */
    zscan(
      key: RedisKey,
      options?: ZScanOptions,
    ): AsyncGenerator<ScoredMember<Uint8Array>, void, undefined>;
    /**
     * A view with more options, back to strings.
     *
     * @param options The options, with `bytes: false`.
     * @returns The view.
     */
    withOptions(options: CommandOptions & { bytes: false }): RedisCommands;
    /**
     * A view with more options, still in bytes mode.
     *
     * @param options The options (a timeout, a signal).
     * @returns The view.
     */
    withOptions(options: CommandOptions): BytesCommands;
  };

/**
 * The typed methods of {@linkcode RedisCommands}, one per builder. (The
 * class and this interface merge: the interface declares the derived
 * methods, `installCommands` below installs them.)
 */
export interface RedisCommands extends AsyncCommands {}

/**
 * The command methods of clients and leases: `send()` for any command, and a
 * typed method for each command in the builder table.
 */
export abstract class RedisCommands extends CommandBase {
  /**
   * Starts a pipeline: commands queued locally, sent in one write by
   * `exec()`, which resolves to every result (or error) in order. On the
   * client's shared connections, commands that change connection state are
   * refused (pipeline them on a lease); blocking commands are refused in
   * any pipeline.
   *
   * @example Several commands in one round trip
   * ```ts ignore
   * const [ok, n] = await redis.pipeline().set("n", "1").incr("n").exec();
   * ```
   *
   * @returns An empty pipeline.
   */
  pipeline(): Pipeline {
    return new Pipeline(this, this[SHARED]);
  }

  /**
   * Starts a MULTI/EXEC transaction: commands queued locally, sent as one
   * block by `exec()`, which resolves to the typed results (or `null` when
   * a WATCHed key changed). Nothing from other callers comes between its
   * commands, even on the client's shared connections, where commands that
   * change connection state are refused: for optimistic locking use
   * `client.transaction()`.
   *
   * @example An atomic block
   * ```ts ignore
   * const [n, ok] = await redis.multi().incr("n").expire("n", 60).exec();
   * ```
   *
   * @returns An empty transaction.
   */
  multi(): Transaction {
    return new Transaction(this, this[SHARED]);
  }

  /**
   * A view of this client or lease whose commands all use the given
   * options: a timeout, an abort signal, or bytes replies. Cheap to make;
   * make one per request.
   *
   * With `bytes: true`, every typed method returns what the application
   * stored as `Uint8Array`, byte for byte, and the types say so
   * ({@linkcode BytesCommands}): string values, list elements, set and
   * sorted-set members, hash values, hash field names in lists and pairs
   * (`hkeys`, `hrandfield`, `hscan`), stream field values, GEO members,
   * SORT results, ECHO's message, and keys in replies (`randomkey`, the key
   * of `blpop`, `lmpop`, `bzpopmin`, `xread`, and the keys of `scan()`,
   * without the `keyPrefix`). What the server makes or uses to name things
   * stays as in text mode: numbers and scores are numbers; status replies
   * (`"OK"`, PING's and TYPE's answers), stream IDs, OBJECT ENCODING,
   * GEOHASH, names of groups, consumers, clients, channels, scripts and
   * functions, INFO, CONFIG GET, CLIENT LIST, XINFO and XPENDING are
   * strings; and so is every name that becomes a property name: the field
   * names of `hgetall()`'s record and of a stream entry's `fields` (read
   * binary field names with `hkeys()` or `hscan()`). `eval()` and
   * `fcall()` return the reply as decoded, like `send()`. Pipelines and
   * transactions started from the view take its timeout and signal, not
   * bytes mode (queue `send(args, { bytes: true })` in them instead).
   * Callers who do not ask for bytes get strings at no extra cost.
   *
   * @example A request-scoped timeout and signal
   * ```ts ignore
   * const scoped = redis.withOptions({ timeout: 200, signal: request.signal });
   * const user = await scoped.hgetall(`user:${id}`);
   * ```
   *
   * @example Binary values
   * ```ts ignore
   * const binary = redis.withOptions({ bytes: true });
   * await redis.set("avatar", new Uint8Array([0xff, 0xd8, 0xff]));
   * const avatar = await binary.get("avatar"); // Uint8Array [255, 216, 255]
   * for await (const key of binary.scan({ match: "img:*" })) {} // Uint8Array keys
   * ```
   *
   * @param options The options every command of the view gets (per-call
   * options of `send()` win), with `bytes: true`.
   * @returns The view, its methods typed with bytes.
   * @throws {TypeError} When the options are not an object or have a key
   * that is not an option.
   */
  withOptions(options: CommandOptions & { bytes: true }): BytesCommands;
  /**
   * A view whose commands all use the given options (a timeout, a signal),
   * replies as strings (see the overload with `bytes: true` above).
   *
   * @param options The options every command of the view gets (per-call
   * options of `send()` win).
   * @returns The view.
   * @throws {TypeError} When the options are not an object or have a key
   * that is not an option.
   */
  withOptions(options: CommandOptions): RedisCommands;
  withOptions(options: CommandOptions): RedisCommands | BytesCommands {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        `Cannot make the view as options must be an object, got ${
          options === null ? "null" : typeof options
        }`,
      );
    }
    checkKeys(options, COMMAND_OPTION_KEYS, "make the view");
    return new CommandView(this, options);
  }

  /**
   * Iterates over the keys with SCAN. The server may return a key twice
   * (when its table is rehashed between pages); duplicates within a page
   * are dropped, and nothing is remembered across pages, so memory stays
   * flat however large the keyspace. With `keyPrefix`, only the prefixed
   * keys are walked, and they are yielded without the prefix.
   *
   * @example Deleting keys by pattern
   * ```ts ignore
   * for await (const key of redis.scan({ match: "session:*", count: 500 })) {
   *   await redis.del(key);
   * }
   * ```
   *
   * @param options `match` a pattern, `count` per page, `type` of key.
   * @returns An async generator of key names; `break` stops it.
   */
  scan(options?: ScanOptions): AsyncGenerator<string, void, undefined> {
    return scanKeys(this, options, this[PREFIX]);
  }

  /**
   * Iterates over a hash's fields with HSCAN (a field may come twice, as
   * with {@linkcode RedisCommands.scan}).
   *
   * @param key The hash's key.
   * @param options `match` a field pattern, `count` per page.
   * @returns An async generator of `[field, value]` pairs.
   */
  hscan(
    key: RedisKey,
    options?: HScanOptions,
  ): AsyncGenerator<[string, string], void, undefined> {
    return scanHash(this, key, options);
  }

  /**
   * Iterates over a set's members with SSCAN (a member may come twice).
   *
   * @param key The set's key.
   * @param options `match` a member pattern, `count` per page.
   * @returns An async generator of members.
   */
  sscan(
    key: RedisKey,
    options?: SScanOptions,
  ): AsyncGenerator<string, void, undefined> {
    return scanSet(this, key, options);
  }

  /**
   * Iterates over a sorted set's members with ZSCAN (a member may come
   * twice).
   *
   * @param key The sorted set's key.
   * @param options `match` a member pattern, `count` per page.
   * @returns An async generator of `{ member, score }`.
   */
  zscan(
    key: RedisKey,
    options?: ZScanOptions,
  ): AsyncGenerator<ScoredMember, void, undefined> {
    return scanSortedSet(this, key, options);
  }

  /**
   * A Lua script bound to this client or lease: `run(keys, args)` sends
   * EVALSHA and loads the script when the server does not know it
   * (NOSCRIPT), also after SCRIPT FLUSH or a restart.
   *
   * @example Running a script
   * ```ts ignore
   * const incrBy = redis.script("return redis.call('INCRBY', KEYS[1], ARGV[1])");
   * const n = await incrBy.run(["counter"], [5]);
   * ```
   *
   * @param lua The script's source.
   * @returns The script.
   */
  script(lua: string): Script {
    return createScript(lua, this);
  }
}

installCommands(
  RedisCommands.prototype,
  (self, command) => (self as RedisCommands)[RUN](command),
);

/** Commands of a client or lease, each sent with fixed options. */
class CommandView extends RedisCommands {
  readonly #target: RedisCommands;
  readonly #options: CommandOptions;

  constructor(target: RedisCommands, options: CommandOptions) {
    super();
    this.#target = target;
    this.#options = options;
  }

  override [RUN]<T>(
    command: Command<T>,
    options?: CommandOptions,
  ): Promise<T> {
    return this.#target[RUN](
      command,
      options === undefined ? this.#options : { ...this.#options, ...options },
    );
  }

  override get [SHARED](): boolean {
    return this.#target[SHARED];
  }

  override get [PREFIX](): KeyPrefix | undefined {
    return this.#target[PREFIX];
  }

  override [BATCH](
    commands: readonly Command<unknown>[],
    options?: CommandOptions,
  ): Promise<RespValue[]> {
    return this.#target[BATCH](
      commands,
      options === undefined ? this.#options : { ...this.#options, ...options },
    );
  }

  // The target's send() may guard commands (the client refuses stateful
  // ones on shared connections): go through it, not around it.
  override send(
    args: readonly CommandArg[],
    options?: SendOptions,
  ): Promise<RespValue> {
    return this.#target.send(
      args,
      options === undefined ? this.#options : { ...this.#options, ...options },
    );
  }
}
