/**
 * An exclusive connection borrowed from the pool: the command methods of
 * the client on one connection of its own, for stateful work.
 *
 * @module
 */

import type { CommandOptions } from "./connection/connection.ts";
import type { Command } from "./commands/_command.ts";
import type { CommandFacts } from "./commands/_facts.ts";
import type { RespValue } from "./resp/decode.ts";
import { BATCH, PREFIX, RUN } from "./_executor.ts";
import type { KeyPrefix } from "./_prefix.ts";
import type { Tracing } from "./tracing/_spans.ts";
import { RedisCommands } from "./redis_commands.ts";
import type { LeaseOwner } from "./pool/pool.ts";
import type { PoolConnection, Slot } from "./pool/_slot.ts";
import type { ClientCache } from "./cache/cache.ts";
import { type CommandLayer, LeasedConnection } from "./core/_leased.ts";

let slotOfLease: (lease: Lease) => Slot | undefined;

/**
 * The leased slot, for code inside respool that takes the connection over
 * (subscriptions). Not part of the public API.
 *
 * @param lease The lease.
 * @returns The slot, or undefined once released.
 */
export function leaseSlot(lease: Lease): Slot | undefined {
  return slotOfLease(lease);
}

/**
 * An exclusive connection from the pool, for stateful work: WATCH/MULTI/EXEC,
 * SELECT, blocking commands. It has the same command methods as the client.
 * `await using` releases it at the end of the scope; `release()` and
 * `destroy()` exist for code without `using`. A released lease throws
 * `LeaseReleasedError` (code `LEASE_RELEASED`) when used.
 *
 * State it leaves behind (an open MULTI, WATCH, another database, another
 * name) is undone on release; state that cannot be undone cheaply (CLIENT
 * TRACKING, HELLO, a blocking command still waiting) gets the connection
 * destroyed instead, so the next user never gets a dirty connection.
 * Commands whose replies would no longer match their commands (SUBSCRIBE,
 * MONITOR, CLIENT REPLY) are refused with a `TypeError`.
 *
 * Inside a MULTI sent with `send(["MULTI"])`, the server queues each
 * command and answers `QUEUED`, so every command resolves to `"QUEUED"`
 * until EXEC, whose reply holds the results; `lease.multi()` gives them
 * typed instead.
 *
 * A blocking command (BLPOP, XREAD BLOCK, ...) that times out or is aborted
 * is unblocked on the server (CLIENT UNBLOCK through the shared
 * connections) before it settles, so it never takes data for nobody: when
 * the server had already served it, a command that consumes data (BLPOP,
 * BLMOVE, XREADGROUP, ...) resolves with what it took instead of failing.
 *
 * @example Optimistic locking on a lease
 * ```ts ignore
 * await using conn = await redis.acquire({ timeout: 1_000 });
 * await conn.send(["WATCH", "n"]);
 * const n = Number(await conn.get("n"));
 * const replies = await conn.multi().set("n", n + 1).exec(); // null when WATCH fired
 * ```
 */
export class Lease extends RedisCommands {
  /** The slot, its state, blocking commands and release: as a core lease. */
  readonly #leased: LeasedConnection;
  readonly #cache: ClientCache | undefined;
  /** With a cache: tells it of the writes of each command sent. */
  readonly #layer: CommandLayer | undefined;
  readonly #prefix: KeyPrefix | undefined;
  readonly #tracing: Tracing | undefined;
  /** Keys written by commands queued in a raw MULTI, for EXEC's reply. */
  #queuedWrites: (string[] | null)[] = [];

  /**
   * Constructs a lease; use `client.acquire()` instead.
   *
   * @param owner The pool.
   * @param slot The leased connection's slot.
   * @param cache The client's cache: reads on a lease bypass it, writes
   * drop the replies of their keys.
   * @param prefix The client's `keyPrefix`.
   * @param tracing The client's spans, bound to the leased connection.
   */
  constructor(
    owner: LeaseOwner,
    slot: Slot,
    cache?: ClientCache,
    prefix?: KeyPrefix,
    tracing?: Tracing,
  ) {
    super();
    this.#leased = new LeasedConnection(owner, slot);
    this.#cache = cache;
    this.#layer = cache &&
      ((command, facts, connection) =>
        this.#cached(command, facts, connection));
    this.#prefix = prefix;
    this.#tracing = tracing;
  }

  /** The client's `keyPrefix`, if one is set.
   *
   * @ignore
   */
  override get [PREFIX](): KeyPrefix | undefined {
    return this.#prefix;
  }

  static {
    slotOfLease = (lease) => lease.#leased.slot;
  }

  /** Whether the lease was released or destroyed. */
  get released(): boolean {
    return this.#leased.slot === undefined;
  }

  /** The RESP version of the leased connection (2 or 3). */
  get protocol(): 2 | 3 {
    return this.#leased.protocol;
  }

  /**
   * Runs one built command on this lease's connection.
   *
   * @param command The command and its reply mapper.
   * @param options Per-call options.
   * @returns The mapped reply.
   */
  override [RUN]<T>(
    command: Command<T>,
    options?: CommandOptions,
  ): Promise<T> {
    if (this.#tracing?.untraced(options)) {
      return this.#tracing.command(
        this,
        command,
        options,
        this.#leased.state.db,
      );
    }
    if (this.#prefix !== undefined) {
      try {
        command = this.#prefix.command(command);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.#leased.run(command, options, this.#layer);
  }

  /**
   * With a cache: a write drops the cached replies of its keys when its
   * reply comes (in a raw MULTI, when EXEC's does); a command that may end
   * key tracking (CLIENT TRACKING, RESET, HELLO...) drops those the
   * connection's tracking covered.
   */
  #cached<T>(
    command: Command<T>,
    spec: CommandFacts | undefined,
    connection: PoolConnection,
  ): Command<T> {
    const cache = this.#cache!;
    if (spec?.effect === "sticky") cache.lost(connection);
    const written = cache.written(command.args);
    if (spec?.effect === "exec") {
      const queued = this.#queuedWrites;
      this.#queuedWrites = [];
      if (queued.length > 0) {
        const map = command.map;
        return {
          args: command.args,
          bytes: command.bytes,
          map: (reply) => {
            for (const keys of queued) cache.changed(keys);
            return map(reply);
          },
        };
      }
    }
    if (written === undefined) return command;
    if (this.#leased.state.inMulti) {
      this.#queuedWrites.push(written);
      return command;
    }
    const map = command.map;
    return {
      args: command.args,
      bytes: command.bytes,
      map: (reply) => {
        cache.changed(written);
        return map(reply);
      },
    };
  }

  /**
   * Sends built commands as one unit on the leased connection.
   *
   * @param commands The commands, in order.
   * @param options A timeout and a signal for the whole unit.
   * @returns The raw replies in order.
   */
  override [BATCH](
    commands: readonly Command<unknown>[],
    options?: CommandOptions,
  ): Promise<RespValue[]> {
    if (this.#tracing?.untraced(options)) {
      return this.#tracing.batch(
        this,
        commands,
        options,
        this.#leased.state.db,
      );
    }
    return this.#leased.batch(commands, options, this.#prefix, this.#cache);
  }

  /**
   * Gives the connection back to the pool, undoing state left on it. A second
   * call does nothing.
   *
   * @returns Once the connection is back in the pool (or destroyed).
   */
  release(): Promise<void> {
    return this.#leased.release(this);
  }

  /**
   * Destroys the leased connection instead of returning it, for when its
   * state is unknown. Commands in flight on it reject. A second call, or a
   * call after release, does nothing.
   */
  destroy(): void {
    this.#leased.destroy(this);
  }

  /**
   * Releases the lease; called by `await using`.
   *
   * @returns Once released.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}
