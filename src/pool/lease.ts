/**
 * An exclusive connection borrowed from the pool.
 *
 * @module
 */

import { LeaseReleasedError } from "../errors.ts";
import type { CommandOptions } from "../connection.ts";
import type { Command } from "../commands/_command.ts";
import { blockTime } from "../commands/_flags.ts";
import { BATCH, RedisCommands, RUN } from "../commands/methods.ts";
import type { Slot } from "./_slot.ts";

/** State a lease left on its connection, to be undone on release. */
export interface LeaseState {
  /** MULTI was sent without EXEC or DISCARD. */
  inMulti: boolean;
  /** WATCH was sent without EXEC, DISCARD or UNWATCH. */
  watching: boolean;
  /** The database SELECTed, when not the configured one. */
  db: number | undefined;
  /** State that cannot be undone cheaply: the connection is destroyed. */
  unrecoverable: boolean;
}

/** What a lease needs from its pool. */
export interface LeaseOwner {
  /** The configured database, and the margin added to blocking commands. */
  readonly db: number;
  readonly commandTimeout: number;
  releaseLease(slot: Slot, lease: Lease, state: LeaseState): Promise<void>;
  destroyLease(slot: Slot, lease: Lease): void;
}

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

/** CLIENT subcommands that change what later commands see. */
const CLIENT_STATE = new Set([
  "REPLY",
  "SETNAME",
  "TRACKING",
  "CACHING",
  "NO-EVICT",
  "NO-TOUCH",
]);

/**
 * An exclusive connection from the pool, for stateful work: WATCH/MULTI/EXEC,
 * SELECT, blocking commands. It has the same command methods as the client.
 * `await using` releases it at the end of the scope; `release()` and
 * `destroy()` exist for code without `using`. A released lease throws
 * `LeaseReleasedError` (code `LEASE_RELEASED`) when used.
 *
 * State it leaves behind (an open MULTI, WATCH, another database) is undone
 * on release; state that cannot be undone cheaply (subscriptions, CLIENT
 * REPLY OFF, replies still pending) gets the connection destroyed instead, so
 * the next user never gets a dirty connection.
 *
 * @example Optimistic locking on a lease
 * ```ts ignore
 * await using conn = await redis.acquire({ timeout: 1_000 });
 * await conn.send(["WATCH", "n"]);
 * const n = Number(await conn.get("n"));
 * await conn.send(["MULTI"]);
 * await conn.send(["SET", "n", n + 1]);
 * const replies = await conn.send(["EXEC"]); // null when WATCH fired
 * ```
 */
export class Lease extends RedisCommands {
  #owner: LeaseOwner;
  #slot: Slot | undefined;
  #state: LeaseState = {
    inMulti: false,
    watching: false,
    db: undefined,
    unrecoverable: false,
  };

  /**
   * Constructs a lease; use `client.acquire()` instead.
   *
   * @param owner The pool.
   * @param slot The leased connection's slot.
   */
  constructor(owner: LeaseOwner, slot: Slot) {
    super();
    this.#owner = owner;
    this.#slot = slot;
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
    const connection = this.#slot?.connection as
      | { protocol?: 2 | 3 }
      | undefined;
    return connection?.protocol ?? 2;
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
    const slot = this.#slot;
    const args = command.args;
    const name = typeof args[0] === "string" ? args[0].toUpperCase() : "";
    if (slot === undefined) {
      return Promise.reject(
        new LeaseReleasedError(
          `Cannot send ${name || "the command"} as the lease was released`,
        ),
      );
    }
    this.#track(name, args);
    if (command.bytes) options = { ...options, bytes: true };
    const block = command.block ?? blockTime(name, args);
    if (block !== undefined && options?.timeout === undefined) {
      options = {
        ...options,
        timeout: block === 0 ? 0 : block + this.#owner.commandTimeout,
      };
    }
    return slot.connection.send(args, command.map, options);
  }

  /**
   * Sends built commands back to back on the leased connection.
   *
   * @param commands The commands, in order.
   * @param options Per-call options applied to each command.
   * @returns One promise per command, for its mapped reply.
   */
  override [BATCH](
    commands: readonly Command<unknown>[],
    options?: CommandOptions,
  ): Promise<Promise<unknown>[]> {
    try {
      return Promise.resolve(
        commands.map((command) => this[RUN](command, options)),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #track(name: string, args: readonly unknown[]): void {
    const state = this.#state;
    switch (name) {
      case "MULTI":
        state.inMulti = true;
        break;
      case "EXEC":
      case "DISCARD":
        state.inMulti = false;
        state.watching = false;
        break;
      case "WATCH":
        state.watching = true;
        break;
      case "UNWATCH":
        state.watching = false;
        break;
      case "SELECT": {
        const db = Number(args[1]);
        state.db = db === this.#owner.db ? undefined : db;
        break;
      }
      case "CLIENT":
        if (
          typeof args[1] === "string" && CLIENT_STATE.has(args[1].toUpperCase())
        ) state.unrecoverable = true;
        break;
      case "SUBSCRIBE":
      case "PSUBSCRIBE":
      case "SSUBSCRIBE":
      case "MONITOR":
      case "HELLO":
      case "AUTH":
      case "RESET":
      case "QUIT":
      case "READONLY":
      case "READWRITE":
        state.unrecoverable = true;
        break;
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
