/**
 * The core client's lease: an exclusive connection from the pool, for
 * stateful work.
 *
 * @module
 */

import type { CommandOptions } from "../connection/connection.ts";
import type { Command } from "../commands/_command.ts";
import type { RespValue } from "../resp/decode.ts";
import type { LeaseOwner } from "../pool/types.ts";
import type { Slot } from "../pool/_slot.ts";
import { BATCH, RUN } from "../_executor.ts";
import { CoreCommands } from "./commands.ts";
import { LeasedConnection } from "./_leased.ts";

/**
 * An exclusive connection from the core client's pool, for stateful work:
 * WATCH/MULTI/EXEC, SELECT, blocking commands. `await using` releases it
 * at the end of the scope; `release()` and `destroy()` exist for code
 * without `using`. A released lease rejects commands with
 * `LeaseReleasedError` (code `LEASE_RELEASED`); a lease dropped without
 * release is reported as a `leak` event and its connection reclaimed.
 *
 * State it leaves behind (an open MULTI, WATCH, another database, another
 * name) is undone on release; state that cannot be undone cheaply (CLIENT
 * TRACKING, HELLO, a blocking command still waiting) gets the connection
 * destroyed instead. Commands whose replies would no longer match their
 * commands (SUBSCRIBE, MONITOR, CLIENT REPLY) are refused with a
 * `TypeError`. A blocking command that times out or is aborted is
 * unblocked on the server before it settles.
 *
 * @example Optimistic locking on a lease
 * ```ts ignore
 * import { createClient, strings } from "@respool/redis/core";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * {
 *   await using conn = await redis.acquire({ timeout: 1_000 });
 *   await conn.send(["WATCH", "n"]);
 *   const n = Number(await conn.run(strings.get("n")));
 *   await conn.send(["MULTI"]);
 *   await conn.run(strings.set("n", n + 1)); // "QUEUED"
 *   const results = await conn.send(["EXEC"]); // null when WATCH fired
 * } // released here
 * ```
 */
export class CoreLease extends CoreCommands {
  readonly #leased: LeasedConnection;

  /**
   * Constructs a lease; use `redis.acquire()` instead.
   *
   * @param owner The pool.
   * @param slot The leased connection's slot.
   */
  constructor(owner: LeaseOwner, slot: Slot) {
    super();
    this.#leased = new LeasedConnection(owner, slot);
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
   * @ignore
   */
  override [RUN]<T>(
    command: Command<T>,
    options?: CommandOptions,
  ): Promise<T> {
    return this.#leased.run(command, options);
  }

  /**
   * Sends built commands as one unit on the leased connection.
   *
   * @ignore
   */
  override [BATCH](
    commands: readonly Command<unknown>[],
    options?: CommandOptions,
  ): Promise<RespValue[]> {
    return this.#leased.batch(commands, options);
  }

  /**
   * Gives the connection back to the pool, undoing state left on it. A
   * second call does nothing.
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
