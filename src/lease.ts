/**
 * An exclusive connection borrowed from the pool: the command methods of
 * the client on one connection of its own, for stateful work.
 *
 * @module
 */

import { LeaseReleasedError, TimeoutError } from "./errors.ts";
import type { CommandOptions } from "./connection/connection.ts";
import type { Command } from "./commands/_command.ts";
import {
  blockTimeout,
  type CommandSpec,
  commandSpec,
} from "./commands/registry.ts";
import type { RespValue } from "./resp/decode.ts";
import type { CommandArg } from "./resp/encode.ts";
import { BATCH, checkTimeout, PREFIX, RUN } from "./_executor.ts";
import type { KeyPrefix } from "./_prefix.ts";
import { refusal } from "./_guard.ts";
import type { Tracing } from "./tracing/_spans.ts";
import { RedisCommands } from "./redis_commands.ts";
import type { LeaseOwner } from "./pool/pool.ts";
import type { PoolConnection, Slot } from "./pool/_slot.ts";
import { cleanState, type LeaseState } from "./pool/_reset.ts";
import type { ClientCache } from "./cache/cache.ts";

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

const identity = (reply: RespValue): RespValue => reply;

/**
 * How long a cancelled blocking command's reply is waited for when CLIENT
 * UNBLOCK did not find it blocked (the reply is on its way, or the
 * connection is gone), in milliseconds; then the connection is destroyed.
 */
const UNBLOCK_GRACE = 1_000;

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
  readonly #owner: LeaseOwner;
  #slot: Slot | undefined;
  readonly #state: LeaseState = cleanState();
  /** Blocking commands waiting on the connection. */
  #blocking = 0;
  readonly #cache: ClientCache | undefined;
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
    this.#owner = owner;
    this.#slot = slot;
    this.#cache = cache;
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
    slotOfLease = (lease) => lease.#slot;
  }

  /** Whether the lease was released or destroyed. */
  get released(): boolean {
    return this.#slot === undefined;
  }

  /** The RESP version of the leased connection (2 or 3). */
  get protocol(): 2 | 3 {
    return this.#slot?.connection.protocol ?? 2;
  }

  #connection(what: readonly CommandArg[] | string): PoolConnection {
    const slot = this.#slot;
    if (slot === undefined) {
      const name = typeof what === "string"
        ? what
        : typeof what[0] === "string"
        ? what[0].toUpperCase()
        : "the command";
      throw new LeaseReleasedError(
        `Cannot send ${name} as the lease was released`,
      );
    }
    return slot.connection;
  }

  /**
   * Checks a command against what a lease may send and records the state
   * it leaves on the connection.
   */
  #admit(spec: CommandSpec | undefined): void {
    if (spec?.effect === undefined) return;
    const refused = refusal(spec, "lease", false, false);
    if (refused !== undefined) throw new TypeError(refused);
    const state = this.#state;
    switch (spec.effect) {
      case "multi":
        state.inMulti = true;
        break;
      case "exec":
        state.inMulti = false;
        state.watching = false;
        break;
      case "watch":
        state.watching = true;
        break;
      case "unwatch":
        state.watching = false;
        break;
      case "setname":
        state.renamed = true;
        break;
      case "sticky":
        state.unrecoverable = true;
        break;
    }
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
      return this.#tracing.command(this, command, options, this.#state.db);
    }
    try {
      if (this.#prefix !== undefined) command = this.#prefix.command(command);
      const args = command.args;
      const connection = this.#connection(args);
      if (options?.timeout !== undefined) {
        checkTimeout(options.timeout, String(args[0]));
      }
      const spec = commandSpec(args);
      this.#admit(spec);
      if (this.#cache !== undefined) {
        command = this.#cached(command, spec, connection);
      }
      let map = command.map as (reply: RespValue) => unknown;
      if (spec?.effect === "select") this.#selected(args[1]);
      if (this.#state.inMulti) {
        // Queued by the server: its answer is QUEUED, its result comes with
        // EXEC's reply.
        if (spec?.effect !== "multi" && spec?.effect !== "exec") map = identity;
      } else if (spec?.blocking) {
        const block = blockTimeout(spec, args);
        if (block !== undefined) {
          return this.#runBlocking(connection, command, spec, block, options);
        }
      }
      if (command.bytes) options = { ...options, bytes: true };
      return connection.send(args, map, options) as Promise<T>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * With a cache: a write drops the cached replies of its keys when its
   * reply comes (in a raw MULTI, when EXEC's does); a command that may end
   * key tracking (CLIENT TRACKING, RESET, HELLO...) drops those the
   * connection's tracking covered.
   */
  #cached<T>(
    command: Command<T>,
    spec: CommandSpec | undefined,
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
    if (this.#state.inMulti) {
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

  #selected(db: unknown): void {
    const n = Number(db);
    this.#state.db = n === this.#owner.db ? undefined : n;
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
      return this.#tracing.batch(this, commands, options, this.#state.db);
    }
    try {
      const connection = this.#connection("the batch");
      if (options?.timeout !== undefined) {
        checkTimeout(options.timeout, "the batch");
      }
      if (this.#prefix !== undefined) commands = this.#prefix.batch(commands);
      for (const command of commands) {
        const spec = commandSpec(command.args);
        this.#admit(spec);
        if (spec?.effect === "select") this.#selected(command.args[1]);
        if (spec?.effect === "sticky") this.#cache?.lost(connection);
      }
      const cache = this.#cache;
      return cache === undefined
        ? connection.sendBatch(commands, options)
        : cache.batch(commands, () => connection.sendBatch(commands, options));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /*
   * A blocking command waits on the server without a timer on the
   * connection. When its own timeout passes or its signal aborts, the
   * server is asked to end the wait (CLIENT UNBLOCK ... TIMEOUT, sent on
   * the shared connections), and the command settles with the reply that
   * follows: nothing was taken (reject), or the server had already served
   * it (a command that consumes data resolves with it). So a cancelled
   * BLPOP never pops an element for nobody, and its reply never lands on
   * the next command.
   */
  async #runBlocking<T>(
    connection: PoolConnection,
    command: Command<T>,
    spec: CommandSpec,
    block: number,
    options: CommandOptions | undefined,
  ): Promise<T> {
    const owner = this.#owner;
    const signal = options?.signal;
    if (signal?.aborted) throw signal.reason;
    const limit = options?.timeout ??
      (block === 0 ? Infinity : block + owner.commandTimeout);
    // The unblock needs the connection's id: ask for it ahead of the
    // blocking command, in the same write (no extra round trip).
    const id = connection.clientId === undefined
      ? connection.send(["CLIENT", "ID"]).then(
        (reply) => connection.clientId = reply as number,
        () => undefined,
      )
      : undefined;
    const reply = connection.send(command.args, identity, {
      timeout: Infinity,
      bytes: command.bytes === true || options?.bytes === true,
    });
    this.#blocking++;
    let cancelled: { reason: unknown } | undefined;
    let settled = false;
    let grace: ReturnType<typeof setTimeout> | undefined;
    const cancel = (reason: unknown) => {
      if (cancelled !== undefined) return;
      cancelled = { reason };
      this.#unblock(connection, id).then((unblocked) => {
        if (unblocked || settled) return;
        grace = setTimeout(() => connection.destroy(), UNBLOCK_GRACE);
      });
    };
    const timer = limit === Infinity ? undefined : setTimeout(
      () =>
        cancel(
          new TimeoutError(
            `Cannot get a reply to ${spec.name} within ${limit} ms`,
          ),
        ),
      limit,
    );
    const onAbort = () => cancel(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const value = await reply.catch((error) => {
        throw cancelled === undefined ? error : cancelled.reason;
      });
      // Nothing taken, or nothing lost by refusing it (XREAD, WAIT): the
      // caller gets the timeout or abort it asked for.
      if (cancelled !== undefined && (value === null || !spec.write)) {
        throw cancelled.reason;
      }
      return command.map(value);
    } finally {
      settled = true;
      this.#blocking--;
      clearTimeout(timer);
      clearTimeout(grace);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Asks the server to end the connection's wait; true when it did. */
  async #unblock(
    connection: PoolConnection,
    id: Promise<unknown> | undefined,
  ): Promise<boolean> {
    await id;
    const clientId = connection.clientId;
    if (clientId === undefined) return false;
    try {
      const unblocked = await this.#owner.run(
        ["CLIENT", "UNBLOCK", clientId, "TIMEOUT"],
        undefined,
        { timeout: UNBLOCK_GRACE },
      );
      return unblocked === 1;
    } catch {
      return false;
    }
  }

  /**
   * Gives the connection back to the pool, undoing state left on it. A second
   * call does nothing.
   *
   * @returns Once the connection is back in the pool (or destroyed).
   */
  release(): Promise<void> {
    const slot = this.#slot;
    if (slot === undefined) return Promise.resolve();
    this.#slot = undefined;
    // A blocking command still waiting would hold the connection for as
    // long as it blocks: the connection goes instead.
    if (this.#blocking > 0) this.#state.unrecoverable = true;
    return this.#owner.releaseLease(slot, this, this.#state);
  }

  /**
   * Destroys the leased connection instead of returning it, for when its
   * state is unknown. Commands in flight on it reject. A second call, or a
   * call after release, does nothing.
   */
  destroy(): void {
    const slot = this.#slot;
    if (slot === undefined) return;
    this.#slot = undefined;
    this.#owner.destroyLease(slot, this);
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
