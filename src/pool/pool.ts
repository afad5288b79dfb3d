/**
 * The bounded connection pool: its slots, from opening a connection to
 * closing it, and the hand-out of exclusive leases. Multiplexed dispatch
 * with the offline queue and retries, waiters, leak detection, maintenance
 * and lease reset each live in a file of their own.
 *
 * @module
 */

import { ClosedError, ConnectionError, RedisError } from "../errors.ts";
import type {
  BatchMember,
  CommandOptions,
  ReplyMapper,
} from "../connection/connection.ts";
import type { RespValue } from "../resp/decode.ts";
import type { CommandArg } from "../resp/encode.ts";
import { closeSlots, countSlots, type PoolConnection, Slot } from "./_slot.ts";
import { SharedConnections } from "./_shared.ts";
import { Leasing } from "./_leasing.ts";
import { maintain, maintenanceTick } from "./_maintenance.ts";
import type { LeaseState } from "./_reset.ts";
import type {
  AcquireOptions,
  ConnectionFactory,
  LeaseFactory,
  PoolEmitter,
  PoolSettings,
  PoolStats,
} from "./types.ts";
import type { LeaseOwner } from "./types.ts";

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
  implements LeaseOwner {
  readonly #settings: PoolSettings;
  readonly #factory: ConnectionFactory<C>;
  readonly #emit: PoolEmitter;
  #address: string;
  readonly #slots = new Set<Slot<C>>();
  readonly #shared: SharedConnections<C>;
  readonly #leasing: Leasing<C, L>;
  #connecting = 0;
  #closed = false;
  #lastError: Error | undefined;
  #reconnectAttempt = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #maintenanceTimer: ReturnType<typeof setTimeout> | undefined;
  #created = 0;
  #destroyed = 0;
  #timeouts = 0;
  #reconnects = 0;
  #retries = 0;

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
    this.#shared = new SharedConnections<C>({
      address,
      maxQueued: settings.maxQueued,
      commandTimeout: settings.commandTimeout,
      retry: settings.retry,
      closed: () => this.#closed,
      lastError: () => this.#lastError,
      grow: () => {
        if (this.#reconnectTimer === undefined) this.#grow();
      },
      retried: () => this.#retries++,
      timedOut: () => this.#timeouts++,
    });
    const slots = this.#slots;
    this.#leasing = new Leasing<C, L>({
      settings,
      shared: this.#shared,
      owner: this,
      emit,
      closed: () => this.#closed,
      canOpen: () =>
        this.#slots.size < settings.max && this.#reconnectTimer === undefined,
      connecting: () => this.#connecting,
      open: () => this.#open(),
      slots: () => slots,
      maintain: () => this.#ensureMaintenance(),
    }, makeLease);
  }

  /** The configured database (leases restore it on release). */
  get db(): number {
    return this.#settings.db;
  }

  /** The default command timeout, in milliseconds. */
  get commandTimeout(): number {
    return this.#settings.commandTimeout;
  }

  /**
   * Whether a lease dropped without release is detected, reported and its
   * connection reclaimed: false with `leakDetection: false` or where the
   * runtime has no `FinalizationRegistry`.
   */
  get leakTracking(): boolean {
    return this.#leasing.leakTracking;
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

  #grow(): void {
    if (
      this.#closed || this.#connecting > 0 ||
      this.#slots.size >= this.#settings.max
    ) return;
    this.#open();
  }

  #open(): void {
    // deno-lint-ignore prefer-const
    let slot: Slot<C>;
    const connection = this.#factory({
      close: (_, error) => this.#onClose(slot, error),
      timeout: () => this.#timeouts++,
      idle: () => this.#leasing.onIdle(slot),
      // Entries on leases are never moved: their connection's state went
      // with it.
      retry: (command, error, applied) =>
        (slot.state === "shared" || slot.state === "draining") &&
        this.#shared.retry(command, error, applied),
      push: (message) => slot.onPush?.(message),
    });
    slot = new Slot(connection);
    this.#slots.add(slot);
    this.#connecting++;
    this.#created++;
    this.#ensureMaintenance();
    connection.connect().then(
      () => {
        this.#connecting--;
        this.#onReady(slot);
      },
      (error: Error) => {
        this.#connecting--;
        this.#onConnectFailed(slot, error);
      },
    );
  }

  #onReady(slot: Slot<C>): void {
    if (slot.retired && !this.#closed) {
      // Opened to the server the pool has since moved away from.
      this.#remove(slot);
      slot.connection.close();
      this.#serviceDemand();
      return;
    }
    if (this.#closed) {
      this.#remove(slot);
      slot.connection.close();
      return;
    }
    this.#reconnectAttempt = 0;
    this.#lastError = undefined;
    this.#emit("connect", { address: this.#address });
    this.#emit("ready", { address: this.#address });
    if (!this.#leasing.offer(slot)) this.#share(slot);
  }

  #share(slot: Slot<C>): void {
    this.#shared.add(slot);
    this.#leasing.service();
  }

  /** Takes a slot out of the pool's books (its connection is closing). */
  #remove(slot: Slot<C>): void {
    slot.state = "closed";
    this.#slots.delete(slot);
    this.#destroyed++;
  }

  #onConnectFailed(slot: Slot<C>, error: Error): void {
    this.#remove(slot);
    if (this.#closed) return;
    this.#lastError = error;
    this.#emit("error", { error });
    // Queued commands were never written: trying again cannot apply them
    // twice. Each gets as many tries as the retry policy allows.
    const retry = this.#settings.retry;
    this.#retries += this.#shared.afterConnectFailure(
      error,
      (what) => this.#connectFailure(what, error),
    );
    this.#leasing.afterConnectFailure(
      (attempt) => retry(attempt, error),
      () => this.#connectFailure("acquire", error),
    );
    this.#scheduleReconnect(error);
  }

  #connectFailure(what: string, error: Error): Error {
    if (error instanceof RedisError && error.code === "REPLY") return error;
    return new ConnectionError(
      `Cannot ${
        what === "acquire" ? "acquire a connection" : `send ${what}`
      } as connecting to ${this.#address} failed: ${error.message}`,
      { cause: error },
    );
  }

  #hasDemand(): boolean {
    return this.#shared.queued > 0 || this.#leasing.waiting > 0 ||
      this.#slots.size < this.#settings.min;
  }

  #scheduleReconnect(error: Error): void {
    if (
      this.#closed || this.#reconnectTimer !== undefined || !this.#hasDemand()
    ) return;
    const attempt = ++this.#reconnectAttempt;
    const delay = this.#settings.reconnect(attempt, error);
    if (delay === undefined) {
      this.#failAll(() => this.#connectFailure("command", error));
      return;
    }
    this.#reconnects++;
    this.#emit("reconnecting", { attempt, delay, error });
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (
        !this.#closed && this.#hasDemand() &&
        this.#slots.size < this.#settings.max
      ) {
        this.#open();
      }
    }, delay);
  }

  #onClose(slot: Slot<C>, error: Error | undefined): void {
    const was = slot.state;
    if (was === "closed" || was === "connecting") return;
    this.#remove(slot);
    if (was === "shared" || was === "draining") this.#shared.remove(slot);
    this.#leasing.onClosed(slot, was);
    if (this.#closed) return;
    if (error !== undefined && !(error instanceof ClosedError)) {
      this.#emit("error", { error });
    }
    // A connection that was working is replaced at once; only when opening
    // connections fails does the reconnect policy space out the attempts.
    if (this.#hasDemand() && this.#slots.size < this.#settings.max) {
      if (error !== undefined && this.#reconnectTimer === undefined) {
        this.#reconnects++;
        this.#emit("reconnecting", { attempt: 0, delay: 0, error });
      }
      if (this.#reconnectTimer === undefined) this.#serviceDemand();
    }
  }

  #serviceDemand(): void {
    if (this.#shared.queued > 0 && this.#shared.size === 0) this.#grow();
    this.#leasing.service();
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
    return this.#leasing.acquire(options);
  }

  /** Returns a lease's connection, undoing the state it left. */
  releaseLease(slot: Slot, lease: object, state: LeaseState): Promise<void> {
    return this.#leasing.release(slot as Slot<C>, lease, state);
  }

  /** Destroys a lease's connection instead of returning it. */
  destroyLease(slot: Slot, lease: object, error?: Error): void {
    this.#leasing.destroy(slot, lease, error);
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
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    this.#reconnectAttempt = 0;
    this.#serviceDemand();
  }

  #ensureMaintenance(): void {
    if (this.#maintenanceTimer !== undefined || this.#closed) return;
    const tick = maintenanceTick(this.#settings);
    this.#maintenanceTimer = setTimeout(() => this.#maintain(tick), tick);
  }

  #maintain(tick: number): void {
    this.#maintenanceTimer = undefined;
    if (this.#closed || this.#slots.size === 0) return;
    this.#leasing.trackHeld();
    maintain(this.#slots, this.#settings, {
      longHold: (slot, heldMs) =>
        this.#emit("longhold", {
          stack: this.#leasing.stackOf(slot as Slot<C>),
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
    this.#maintenanceTimer = setTimeout(() => this.#maintain(tick), tick);
  }

  /** Rejects queued commands and waiters; `error` builds their error. */
  #failAll(error: () => Error): void {
    this.#shared.failQueued(error);
    this.#leasing.rejectAll(error);
  }

  #stopTimers(): void {
    for (const timer of [this.#reconnectTimer, this.#maintenanceTimer]) {
      if (timer !== undefined) clearTimeout(timer);
    }
    this.#reconnectTimer = this.#maintenanceTimer = undefined;
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
    this.#leasing.rejectAll(closed);
    this.#stopTimers();
    await closeSlots(this.#slots, this.#leasing.released(), timeout);
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
    const { idle, inFlight } = countSlots(this.#slots);
    return {
      total: this.#slots.size,
      idle,
      leased: this.#leasing.leased,
      waiting: this.#leasing.waiting,
      queued: this.#shared.queued,
      inFlight,
      created: this.#created,
      destroyed: this.#destroyed,
      leaks: this.#leasing.leaks,
      timeouts: this.#timeouts,
      reconnects: this.#reconnects,
      retries: this.#retries,
    };
  }
}
