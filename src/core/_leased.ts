/**
 * An exclusive connection borrowed from the pool, as both lease classes
 * (the core entry's and the full one's) use it: the state a lease leaves
 * on its connection, the commands a lease refuses, blocking commands with
 * their own timeout and cancel, and the release. The full lease layers
 * the key prefix, the client-side cache and tracing on top.
 *
 * @module
 */

import { LeaseReleasedError, TimeoutError } from "../errors.ts";
import type { CommandOptions } from "../connection/connection.ts";
import type { Command } from "../commands/_command.ts";
import {
  blockTimeout,
  type CommandFacts,
  commandFacts,
} from "../commands/_facts.ts";
import type { RespValue } from "../resp/decode.ts";
import type { CommandArg } from "../resp/encode.ts";
import { checkTimeout } from "../_executor.ts";
import { refusal } from "../_guard.ts";
import type { LeaseOwner } from "../pool/types.ts";
import type { PoolConnection, Slot } from "../pool/_slot.ts";
import { cleanState, type LeaseState } from "../pool/_reset.ts";
import type { KeyPrefix } from "../_prefix.ts";
import type { ClientCache } from "../cache/cache.ts";

const identity = (reply: RespValue): RespValue => reply;

/**
 * How long a cancelled blocking command's reply is waited for when CLIENT
 * UNBLOCK did not find it blocked (the reply is on its way, or the
 * connection is gone), in milliseconds; then the connection is destroyed.
 */
const UNBLOCK_GRACE = 1_000;

/**
 * Rewrites a command as it goes out on the leased connection (the full
 * lease's client-side cache: a write drops the cached replies of its keys).
 */
export type CommandLayer = <T>(
  command: Command<T>,
  facts: CommandFacts | undefined,
  connection: PoolConnection,
) => Command<T>;

/** A leased slot and what its holder did to its connection. */
export class LeasedConnection {
  readonly #owner: LeaseOwner;
  #slot: Slot | undefined;
  /** What the lease left on the connection, undone at release. */
  readonly state: LeaseState = cleanState();
  /** Blocking commands waiting on the connection. */
  #blocking = 0;

  /**
   * @param owner The pool.
   * @param slot The leased connection's slot.
   */
  constructor(owner: LeaseOwner, slot: Slot) {
    this.#owner = owner;
    this.#slot = slot;
  }

  /** The slot, or undefined once released. */
  get slot(): Slot | undefined {
    return this.#slot;
  }

  /** The RESP version of the leased connection (2 or 3). */
  get protocol(): 2 | 3 {
    return this.#slot?.connection.protocol ?? 2;
  }

  /**
   * The leased connection.
   *
   * @throws {LeaseReleasedError} Once the lease was released.
   */
  connection(what: readonly CommandArg[] | string): PoolConnection {
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
  #admit(facts: CommandFacts | undefined, args: readonly CommandArg[]): void {
    if (facts?.effect === undefined) return;
    const refused = refusal(facts, "lease", false, false);
    if (refused !== undefined) throw new TypeError(refused);
    const state = this.state;
    switch (facts.effect) {
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
      case "select": {
        const n = Number(args[1]);
        state.db = n === this.#owner.db ? undefined : n;
        break;
      }
      case "setname":
        state.renamed = true;
        break;
      case "sticky":
        state.unrecoverable = true;
        break;
    }
  }

  /**
   * Runs one built command on the leased connection.
   *
   * @param command The command and its reply mapper.
   * @param options Per-call options.
   * @param layer Rewrites the command once admitted (the cache's).
   * @returns The mapped reply.
   */
  run<T>(
    command: Command<T>,
    options: CommandOptions | undefined,
    layer?: CommandLayer,
  ): Promise<T> {
    try {
      const args = command.args;
      const connection = this.connection(args);
      if (options?.timeout !== undefined) {
        checkTimeout(options.timeout, String(args[0]));
      }
      const facts = commandFacts(args);
      this.#admit(facts, args);
      if (layer !== undefined) command = layer(command, facts, connection);
      let map = command.map as (reply: RespValue) => unknown;
      if (this.state.inMulti) {
        // Queued by the server: its answer is QUEUED, its result comes with
        // EXEC's reply.
        if (facts?.effect !== "multi" && facts?.effect !== "exec") {
          map = identity;
        }
      } else if (facts?.blocking) {
        const block = blockTimeout(facts, args);
        if (block !== undefined) {
          return this.#runBlocking(connection, command, facts, block, options);
        }
      }
      if (command.bytes) options = { ...options, bytes: true };
      return connection.send(args, map, options) as Promise<T>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Sends built commands as one unit on the leased connection.
   *
   * @param commands The commands, in order.
   * @param options A timeout and a signal for the whole unit.
   * @param prefix The client's `keyPrefix`, put on the commands' keys.
   * @param cache The client's cache, told of the commands' writes.
   * @returns The raw replies in order.
   */
  batch(
    commands: readonly Command<unknown>[],
    options: CommandOptions | undefined,
    prefix?: KeyPrefix,
    cache?: ClientCache,
  ): Promise<RespValue[]> {
    try {
      const connection = this.connection("the batch");
      if (options?.timeout !== undefined) {
        checkTimeout(options.timeout, "the batch");
      }
      if (prefix !== undefined) commands = prefix.batch(commands);
      for (const command of commands) {
        const facts = commandFacts(command.args);
        this.#admit(facts, command.args);
        if (facts?.effect === "sticky") cache?.lost(connection);
      }
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
    facts: CommandFacts,
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
            `Cannot get a reply to ${facts.name} within ${limit} ms`,
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
      if (cancelled !== undefined && (value === null || !facts.write)) {
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
   * Gives the connection back to the pool, undoing state left on it. A
   * second call does nothing.
   *
   * @param lease The lease object the pool handed out.
   * @returns Once the connection is back in the pool (or destroyed).
   */
  release(lease: object): Promise<void> {
    const slot = this.#slot;
    if (slot === undefined) return Promise.resolve();
    this.#slot = undefined;
    // A blocking command still waiting would hold the connection for as
    // long as it blocks: the connection goes instead.
    if (this.#blocking > 0) this.state.unrecoverable = true;
    return this.#owner.releaseLease(slot, lease, this.state);
  }

  /**
   * Destroys the leased connection instead of returning it. A second call,
   * or a call after release, does nothing.
   *
   * @param lease The lease object the pool handed out.
   */
  destroy(lease: object): void {
    const slot = this.#slot;
    if (slot === undefined) return;
    this.#slot = undefined;
    this.#owner.destroyLease(slot, lease);
  }
}
