/**
 * The bounded connection pool: its slots, from opening a connection to
 * closing it, and the hand-out of exclusive leases. Multiplexed dispatch
 * with the offline queue and retries, waiters, leak detection, maintenance
 * and lease reset each live in a file of their own.
 *
 * @module
 */

import {
  ClosedError,
  type ConnectionError,
  type ReplyError,
} from "../errors.ts";
import type {
  BatchMember,
  CommandOptions,
  LostCommand,
  ReplyMapper,
} from "../connection/connection.ts";
import type { RespValue } from "../resp/decode.ts";
import type { CommandArg } from "../resp/encode.ts";
import {
  closeSlots,
  countSlots,
  type PoolConnection,
  Slot,
  type SlotOwner,
} from "./_slot.ts";
import { SharedConnections, type SharedHost } from "./_shared.ts";
import { Leasing } from "./_leasing.ts";
import { connectFailure, Reconnects } from "./_reconnect.ts";
import { canTrackLeaks } from "./_leaks.ts";
import {
  maintain,
  type Maintained,
  maintenanceTick,
  startMaintenance,
  stopMaintenance,
} from "./_maintenance.ts";
import type { LeaseState } from "./_reset.ts";
import type {
  AcquireOptions,
  ConnectionFactory,
  LeaseFactory,
  LeaseOwner,
  PoolEmitter,
  PoolSettings,
  PoolStats,
} from "./types.ts";

export type {
  AcquireOptions,
  ConnectionFactory,
  LeaseFactory,
  LeaseOwner,
  PoolEmitter,
  PoolSettings,
  PoolStats,
} from "./types.ts";

/**
 * The pool. Its mechanism (slots, waiters, queue) is here; which shared
 * connection serves a command is the dispatch policy's choice.
 */
export class Pool<C extends PoolConnection, L extends object>
  implements LeaseOwner, Maintained, SharedHost, SlotOwner {
  readonly #settings: PoolSettings;
  readonly #factory: ConnectionFactory<C>;
  readonly #emit: PoolEmitter;
  #address: string;
  readonly #slots = new Set<Slot<C>>();
  readonly #shared: SharedConnections<C>;
  readonly #makeLease: LeaseFactory<L>;
  /** Made by the first acquire: most clients never lease a connection. */
  #leasing: Leasing<C, L> | undefined;
  #closed = false;
  readonly #reconnects: Reconnects;
  #maintaining = false;
  readonly #counts = {
    created: 0,
    destroyed: 0,
    timeouts: 0,
    reconnects: 0,
  };

  /**
   * Constructs a pool; no connection opens until one is needed.
   *
   * @param settings Sizes, timeouts and policies.
   * @param factory Makes connections.
   * @param makeLease Makes what `acquire` hands out for a leased slot.
   * @param emit Emits events (`connect`, `error`, `leak`, ...).
   * @param address The server's address, for messages.
   */
  constructor(
    settings: PoolSettings,
    factory: ConnectionFactory<C>,
    makeLease: LeaseFactory<L>,
    emit: PoolEmitter,
    address = "the server",
  ) {
    this.#settings = settings;
    this.#factory = factory;
    this.#emit = emit;
    this.#address = address;
    this.#shared = new SharedConnections<C>(this, settings);
    this.#reconnects = new Reconnects(settings.reconnect);
    this.#makeLease = makeLease;
  }

  #lease(): Leasing<C, L> {
    return this.#leasing ??= new Leasing<C, L>({
      settings: this.#settings,
      shared: this.#shared,
      owner: this,
      emit: this.#emit,
      slots: this.#slots,
      closed: () => this.#closed,
      canOpen: () =>
        this.#slots.size < this.#settings.max && !this.#reconnects.waiting,
      connecting: () => this.#reconnects.opening,
      open: () => this.#open(),
      maintain: () => this.#ensureMaintenance(),
    }, this.#makeLease);
  }

  /** The configured database (leases restore it on release). */
  get db(): number {
    return this.#settings.db;
  }

  /** The default command timeout, in milliseconds. */
  get commandTimeout(): number {
    return this.#settings.commandTimeout;
  }

  /** Whether leaked leases are detected and reclaimed: `canTrackLeaks`. */
  get leakTracking(): boolean {
    return canTrackLeaks(this.#settings.leakDetection);
  }

  /** Whether `close()` or `destroy()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends a command on a shared connection (many in flight per connection),
   * or queues it until one is ready.
   */
  run<T>(
    args: readonly CommandArg[],
    map?: ReplyMapper<T>,
    options?: CommandOptions,
  ): Promise<T> {
    return this.#shared.run(args, map, options);
  }

  /**
   * Sends commands as one unit on one shared connection: one write, nothing
   * from other callers between them (MULTI ... EXEC), one timeout, and a
   * retry (LOADING, a lost connection) of all of them or none.
   *
   * @param batch The commands, in order.
   * @param options A timeout and an abort signal for the whole batch.
   * @returns Every reply in order; server errors are `ReplyError` values.
   */
  runBatch(
    batch: readonly BatchMember[],
    options?: CommandOptions,
  ): Promise<RespValue[]> {
    return this.#shared.runBatch(batch, options);
  }

  /** Opens `min` connections, or one when `min` is 0, and waits for them. */
  async warm(): Promise<void> {
    const want = Math.max(1, this.#settings.min);
    while (this.#slots.size < want) this.#open();
    await this.run(["PING"]);
  }

  #open(): void {
    const slot = new Slot<C>(this, this.#factory);
    const connection = slot.connection;
    this.#slots.add(slot);
    this.#reconnects.started(this.#settings.connectTimeout);
    this.#counts.created++;
    this.#ensureMaintenance();
    connection.connect().then(
      () => {
        this.#reconnects.ended();
        this.#onReady(slot);
        this.#shared.recheck();
      },
      (error: Error) => {
        this.#reconnects.ended();
        this.#onConnectFailed(slot, error);
        this.#shared.recheck();
      },
    );
  }

  #onReady(slot: Slot<C>): void {
    if (slot.retired || this.#closed) {
      // Opened as the pool closed, or to the server it has since moved away
      // from: only the handshake can be on it, nothing waits for it.
      this.#remove(slot);
      slot.connection.destroy();
      if (!this.#closed) this.#serviceDemand();
      return;
    }
    this.#reconnects.succeeded();
    this.#shared.lastError = undefined;
    this.#emit("connect", { address: this.#address });
    this.#emit("ready", { address: this.#address });
    if (!this.#leasing?.offer(slot)) this.#share(slot);
  }

  #share(slot: Slot<C>): void {
    this.#shared.add(slot);
    this.#leasing?.service();
  }

  /** Takes a slot out of the pool's books (its connection is closing). */
  #remove(slot: Slot<C>): void {
    slot.state = "closed";
    this.#slots.delete(slot);
    this.#counts.destroyed++;
  }

  #onConnectFailed(slot: Slot<C>, error: Error): void {
    this.#remove(slot);
    if (this.#closed) return;
    this.#shared.lastError = error;
    this.#emit("error", { error });
    // Queued commands were never written: trying again cannot apply them
    // twice. Each gets as many tries as the retry policy allows.
    const retry = this.#settings.retry;
    this.#shared.afterConnectFailure(
      error,
      (what) => connectFailure(what, error, this.#address),
    );
    this.#leasing?.afterConnectFailure(
      (attempt) => retry(attempt, error),
      () => connectFailure("acquire", error, this.#address),
    );
    this.#scheduleReconnect(error);
  }

  #hasDemand(): boolean {
    return this.#shared.queued > 0 || (this.#leasing?.waiting ?? 0) > 0 ||
      this.#slots.size < this.#settings.min;
  }

  #scheduleReconnect(error: Error): void {
    if (this.#closed || this.#reconnects.waiting || !this.#hasDemand()) return;
    const next = this.#reconnects.wait(error, () => {
      const room = this.#slots.size < this.#settings.max;
      if (!this.#closed && this.#hasDemand() && room) this.#open();
    });
    if (next === undefined) {
      this.#failAll(() => connectFailure("command", error, this.#address));
      return;
    }
    this.#counts.reconnects++;
    this.#emit("reconnecting", { ...next, error });
  }

  // SharedHost and SlotOwner: methods, not closures made per pool.

  /** The server's address, for messages. */
  get address(): string {
    return this.#address;
  }

  /** When the latest connection attempt ends at the latest; 0: none. */
  get connectSettlesBy(): number {
    return this.#reconnects.settlesBy;
  }

  /**
   * Another connection is wanted: none is usable, or all are deep. One is
   * opened unless one is being opened, the pool is full or a reconnect
   * wait is under way.
   */
  wantConnection(): void {
    const full = this.#slots.size >= this.#settings.max;
    if (this.#closed || this.#reconnects.busy || full) return;
    this.#open();
  }

  /** A command timed out. */
  countTimeout(): void {
    this.#counts.timeouts++;
  }

  /** A slot's connection has nothing in flight. */
  slotIdle(slot: Slot): void {
    this.#leasing?.onIdle(slot as Slot<C>);
  }

  /** A command a shared connection lost; `true` when it is sent again. */
  retryShared(
    command: LostCommand,
    error: ConnectionError | ReplyError,
    applied: boolean,
  ): boolean {
    return this.#shared.retry(command, error, applied);
  }

  /** A slot's connection closed. */
  slotClosed(slot: Slot, error: Error | undefined): void {
    const was = slot.state;
    if (was === "closed" || was === "connecting") return;
    this.#remove(slot as Slot<C>);
    if (was === "shared" || was === "draining") {
      this.#shared.remove(slot as Slot<C>);
    }
    this.#leasing?.onClosed(slot as Slot<C>, was);
    if (this.#closed) return;
    if (error !== undefined && !(error instanceof ClosedError)) {
      this.#emit("error", { error });
    }
    // A connection that was working is replaced at once; only when opening
    // connections fails does the reconnect policy space out the attempts.
    if (this.#hasDemand() && this.#slots.size < this.#settings.max) {
      if (error !== undefined && !this.#reconnects.waiting) {
        this.#counts.reconnects++;
        this.#emit("reconnecting", { attempt: 0, delay: 0, error });
      }
      if (!this.#reconnects.waiting) this.#serviceDemand();
    }
  }

  #serviceDemand(): void {
    if (this.#shared.queued > 0 && this.#shared.size === 0) {
      this.wantConnection();
    }
    this.#leasing?.service();
    while (this.#slots.size < this.#settings.min) this.#open();
  }

  /**
   * Borrows an exclusive connection. Leases (with subscriptions and
   * blocking commands) hold at most `maxLeases` connections, so plain
   * commands always have one.
   *
   * @param options A timeout and an abort signal.
   * @returns The lease.
   */
  acquire(options?: AcquireOptions): Promise<L> {
    if (this.#closed) {
      return Promise.reject(
        new ClosedError("Cannot acquire a connection as the pool is closed"),
      );
    }
    return this.#lease().acquire(options);
  }

  /** Returns a lease's connection, undoing the state it left. */
  releaseLease(slot: Slot, lease: object, state: LeaseState): Promise<void> {
    return this.#lease().release(slot as Slot<C>, lease, state);
  }

  /** Destroys a lease's connection instead of returning it. */
  destroyLease(slot: Slot, lease: object, error?: Error): void {
    this.#lease().destroy(slot, lease, error);
  }

  /**
   * Moves the pool to another server (a Sentinel failover): connections to
   * the old one take no new commands and close once their replies are in,
   * leased ones are destroyed at release, new ones (opened at once for
   * what is queued) go to the new server. Nothing is sent again.
   *
   * @param address The new server's address, for messages.
   */
  retire(address: string): void {
    this.#address = address;
    for (const slot of [...this.#slots]) {
      slot.retired = true;
      if (slot.state === "shared") {
        this.#remove(slot);
        this.#shared.remove(slot);
        slot.connection.close();
      } else if (slot.state === "draining") {
        slot.connection.close();
      }
    }
    if (this.#closed) return;
    this.#reconnects.reset();
    this.#serviceDemand();
  }

  #ensureMaintenance(): void {
    if (this.#maintaining || this.#closed) return;
    this.#maintaining = true;
    startMaintenance(this, maintenanceTick(this.#settings));
  }

  /** One round of maintenance (the shared tick calls it: `Maintained`). */
  runMaintenance(): boolean {
    if (this.#closed || this.#slots.size === 0) {
      this.#maintaining = false;
      return false;
    }
    this.#leasing?.trackHeld();
    maintain(this.#slots, this.#settings, {
      longHold: (slot, heldMs) =>
        this.#emit("longhold", {
          stack: this.#leasing?.stackOf(slot as Slot<C>),
          heldMs,
        }),
      retire: (slot, reason) => {
        const own = slot as Slot<C>;
        this.#remove(own);
        this.#shared.remove(own);
        // Graceful: replies in flight arrive before it closes.
        own.connection.close();
        if (reason === "lifetime") this.#serviceDemand();
      },
    });
    return true;
  }

  /** Rejects queued commands and waiters; `error` builds their error. */
  #failAll(error: () => Error): void {
    this.#shared.failQueued(error);
    this.#leasing?.rejectAll(error);
  }

  #stopTimers(): void {
    this.#reconnects.reset();
    if (this.#maintaining) {
      stopMaintenance(this, maintenanceTick(this.#settings));
      this.#maintaining = false;
    }
  }

  /**
   * Closes gracefully: new work is refused, waiters reject, leases are
   * waited for up to `timeout`, in-flight commands finish, then every
   * connection closes. What is still open after `timeout` is destroyed.
   *
   * @param timeout How long to wait for leases and replies, in milliseconds.
   * @param refusal What queued commands and waiters reject with (they were
   * never sent); by default a `ClosedError`.
   */
  async close(timeout = 5_000, refusal?: Error): Promise<void> {
    if (this.#closed) {
      await Promise.all([...this.#slots].map((slot) => slot.connection.closed));
      return;
    }
    this.#closed = true;
    // New commands now queue, and the queue refuses them as closed (the
    // error built only if there is something to reject: stacks cost).
    const closed = () =>
      refusal ??
        new ClosedError("Cannot run the command as the pool was closed");
    this.#shared.close(closed);
    this.#leasing?.rejectAll(closed);
    this.#stopTimers();
    await closeSlots(this.#slots, this.#leasing?.released(), timeout);
    this.destroy();
  }

  /** Closes everything at once; commands in flight and waiters reject. */
  destroy(): void {
    this.#closed = true;
    this.#stopTimers();
    this.#failAll(() =>
      new ClosedError("Cannot run the command as the pool was destroyed")
    );
    for (const slot of [...this.#slots]) {
      slot.connection.destroy(
        new ClosedError("Cannot finish the command as the pool was destroyed"),
      );
    }
  }

  /**
   * A snapshot of sizes and counters.
   *
   * @returns The stats.
   */
  stats(): PoolStats {
    const leasing = this.#leasing;
    return {
      total: this.#slots.size,
      ...countSlots(this.#slots),
      leased: leasing?.leased ?? 0,
      waiting: leasing?.waiting ?? 0,
      queued: this.#shared.queued,
      leaks: leasing?.leaks ?? 0,
      retries: this.#shared.retries,
      ...this.#counts,
    };
  }
}
