/**
 * The bounded connection pool: its slots, multiplexed dispatch over the
 * shared connections, exclusive leases, reconnects, and its life from the
 * first connection to close. Waiters, leak detection, maintenance, lease
 * reset, the offline queue and the retry rules each live in a file of their
 * own.
 *
 * @module
 */

import {
  ClosedError,
  ConnectionError,
  PoolTimeoutError,
  RedisError,
  ReplyError,
} from "../errors.ts";
import type {
  BatchMember,
  CommandOptions,
  ConnectionEvents,
  LostCommand,
  ReplyMapper,
} from "../connection/connection.ts";
import type { RespValue } from "../resp/decode.ts";
import { type CommandArg, commandName } from "../resp/encode.ts";
import type { RetryPolicy } from "../policy/retry.ts";
import { mayResend } from "../policy/retry_rules.ts";
import { type PoolConnection, Slot } from "./_slot.ts";
import { leastPending } from "./dispatch.ts";
import { OfflineQueue } from "./_offline.ts";
import { type Waiter, Waiters } from "./_waiters.ts";
import { LeakTracker } from "./_leaks.ts";
import { maintain, maintenanceTick } from "./_maintenance.ts";
import { type LeaseState, resetConnection } from "./_reset.ts";

/** Everything the pool needs to know, with defaults filled in. */
export interface PoolSettings {
  readonly max: number;
  readonly min: number;
  /** The most connections leases may hold at once (`max - 1` by default). */
  readonly maxLeases: number;
  readonly acquireTimeout: number;
  readonly idleTimeout: number;
  readonly maxLifetime: number;
  readonly healthCheckInterval: number;
  readonly leakDetection: boolean;
  readonly longHoldWarning: number;
  readonly maxQueued: number;
  readonly commandTimeout: number;
  readonly connectTimeout: number;
  readonly db: number;
  /** The connection name leases are reset to. */
  readonly name?: string;
  readonly retry: RetryPolicy;
  readonly reconnect: RetryPolicy;
}

/** Makes a connection that reports to the given hooks. */
export type ConnectionFactory<C extends PoolConnection> = (
  events: ConnectionEvents & { idle(): void },
) => C;

/** Makes the object a caller of `acquire` gets for a leased slot. */
export type LeaseFactory<L extends object> = (
  owner: LeaseOwner,
  slot: Slot,
) => L;

/** What a lease needs from its pool. */
export interface LeaseOwner {
  /** The default command timeout, in milliseconds. */
  readonly commandTimeout: number;
  /** The configured database (leases track SELECT against it). */
  readonly db: number;
  /** Sends a command on the shared connections (CLIENT UNBLOCK). */
  run<T>(
    args: readonly CommandArg[],
    map?: ReplyMapper<T>,
    options?: CommandOptions,
  ): Promise<T>;
  /** Returns the lease's connection, undoing `state`. */
  releaseLease(slot: Slot, lease: object, state: LeaseState): Promise<void>;
  /** Destroys the lease's connection instead. */
  destroyLease(slot: Slot, lease: object, error?: Error): void;
}

/** Options of `acquire`. */
export interface AcquireOptions {
  /** Gives up waiting when aborted, rejecting with the signal's reason. */
  signal?: AbortSignal;
  /**
   * How long to wait for a connection, in milliseconds (`Infinity`: no
   * limit).
   *
   * @default {the pool's acquireTimeout}
   */
  timeout?: number;
}

/** A snapshot of the pool's sizes and counters. */
export interface PoolStats {
  /** Connections open or opening. */
  total: number;
  /** Open connections with nothing in flight and no lease. */
  idle: number;
  /** Connections held by leases (subscriptions and blocking commands too). */
  leased: number;
  /** Callers waiting in `acquire`. */
  waiting: number;
  /** Commands queued while no connection is usable. */
  queued: number;
  /** Commands written or queued on connections, awaiting replies. */
  inFlight: number;
  /** Connections opened since the pool was made. */
  created: number;
  /** Connections closed or lost since the pool was made. */
  destroyed: number;
  /** Leases garbage-collected without being released. */
  leaks: number;
  /** Commands that timed out. */
  timeouts: number;
  /** Attempts to reconnect after a failure. */
  reconnects: number;
  /** Commands tried again after a connection failure. */
  retries: number;
}

/** Emits the pool's events; returns whether anyone listened. */
export type PoolEmitter = (type: string, detail: unknown) => boolean;

/** How long to wait before sending again a command refused as LOADING. */
const LOADING_RETRY_DELAY = 100;

/**
 * The pool. Its mechanism (slots, waiters, queue) is here; which shared
 * connection serves a command is the dispatch policy's choice.
 */
export class Pool<C extends PoolConnection, L extends object>
  implements LeaseOwner {
  readonly #settings: PoolSettings;
  readonly #factory: ConnectionFactory<C>;
  readonly #makeLease: LeaseFactory<L>;
  readonly #emit: PoolEmitter;
  readonly #address: string;
  readonly #slots = new Set<Slot<C>>();
  /** Ready slots that take multiplexed commands, in dispatch order. */
  readonly #shared: Slot<C>[] = [];
  readonly #waiters: Waiters<L>;
  readonly #queued: OfflineQueue;
  readonly #leaks: LeakTracker;
  #connecting = 0;
  #draining = 0;
  #leased = 0;
  #closed = false;
  #lastError: Error | undefined;
  #reconnectAttempt = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #maintenanceTimer: ReturnType<typeof setTimeout> | undefined;
  #released: (() => void) | undefined;
  #created = 0;
  #destroyed = 0;
  #leakCount = 0;
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
    this.#makeLease = makeLease;
    this.#emit = emit;
    this.#address = address;
    this.#leaks = new LeakTracker(
      settings.leakDetection,
      (slot) => this.#onLeak(slot as Slot<C>),
    );
    this.#waiters = new Waiters<L>({
      expired: (waitedMs) =>
        new PoolTimeoutError(
          `Cannot acquire a connection within ${waitedMs} ms as all ${this.#settings.maxLeases} connections that leases may hold are in use (${this.#leased} leased, ${this.#waiters.size} others waiting; pool.maxLeases)`,
        ),
      left: () => this.#undrain(),
    });
    this.#queued = new OfflineQueue({
      address,
      maxQueued: settings.maxQueued,
      commandTimeout: settings.commandTimeout,
      lastError: () => this.#lastError,
      timedOut: () => this.#timeouts++,
      requeued: () => {
        if (this.#shared.length > 0) this.#flushQueued();
        else if (this.#reconnectTimer === undefined) this.#grow();
      },
    });
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
   * connection reclaimed: false where the runtime has no
   * `FinalizationRegistry`.
   */
  get leakTracking(): boolean {
    return this.#leaks.available;
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
    const shared = this.#shared;
    if (shared.length !== 0) {
      const choice = leastPending(shared);
      if (choice.grow) this.#grow();
      return shared[choice.index].connection.send(args, map, options);
    }
    return this.#enqueue(args, undefined, map, options) as Promise<T>;
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
    const shared = this.#shared;
    if (shared.length !== 0) {
      const choice = leastPending(shared);
      if (choice.grow) this.#grow();
      return shared[choice.index].connection.sendBatch(batch, options);
    }
    return this.#enqueue(batch[0].args, batch, undefined, options) as Promise<
      RespValue[]
    >;
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
      idle: () => this.#onIdle(slot),
      retry: (command, error, applied) =>
        this.#onRetryable(slot, command, error, applied),
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
    if (this.#closed) {
      this.#remove(slot);
      slot.connection.close();
      return;
    }
    this.#reconnectAttempt = 0;
    this.#lastError = undefined;
    this.#emit("connect", { address: this.#address });
    this.#emit("ready", { address: this.#address });
    if (
      this.#queued.size === 0 && this.#waiters.size > this.#draining &&
      this.#mayLease()
    ) {
      this.#handOut(slot, this.#waiters.shift()!);
      return;
    }
    this.#share(slot);
  }

  /** Whether leases may take one more connection. */
  #mayLease(): boolean {
    return this.#leased + this.#draining < this.#settings.maxLeases;
  }

  #share(slot: Slot<C>): void {
    slot.state = "shared";
    this.#shared.push(slot);
    this.#flushQueued();
    this.#serviceWaiters();
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
    this.#retries += this.#queued.afterConnectFailure(
      error,
      retry,
      (entry) => this.#connectFailure(commandName(entry.args), error),
    );
    this.#waiters.afterConnectFailure(
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
    return this.#queued.size > 0 || this.#waiters.size > 0 ||
      this.#slots.size < this.#settings.min;
  }

  #scheduleReconnect(error: Error): void {
    if (
      this.#closed || this.#reconnectTimer !== undefined || !this.#hasDemand()
    ) return;
    const attempt = ++this.#reconnectAttempt;
    const delay = this.#settings.reconnect(attempt, error);
    if (delay === undefined) {
      this.#failAll(this.#connectFailure("command", error));
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
    if (was === "shared" || was === "draining") this.#unshare(slot);
    if (was === "draining") this.#draining--;
    if (was === "leased") this.#leaseEnded();
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
    if (this.#queued.size > 0 && this.#shared.length === 0) this.#grow();
    this.#serviceWaiters();
    while (this.#slots.size < this.#settings.min) this.#open();
  }

  #unshare(slot: Slot<C>): void {
    const index = this.#shared.indexOf(slot);
    if (index !== -1) this.#shared.splice(index, 1);
  }

  /*
   * A multiplexed command or batch whose connection was lost is sent again
   * only when that cannot change the outcome (the retry rules), or when the
   * server refused it unrun (LOADING). Entries on leases are never moved:
   * their connection's state went with it.
   */
  #onRetryable(
    slot: Slot<C>,
    command: LostCommand,
    error: Error,
    mayHaveBeenApplied: boolean,
  ): boolean {
    if (
      this.#closed || (slot.state !== "shared" && slot.state !== "draining")
    ) {
      return false;
    }
    if (!mayResend(command, mayHaveBeenApplied)) return false;
    // A server loading its data says so and runs nothing: wait for it
    // within the command's own deadline, without using up retry attempts.
    const loading = error instanceof ReplyError && error.prefix === "LOADING";
    const attempt = loading ? command.attempt : command.attempt + 1;
    const delay = loading
      ? LOADING_RETRY_DELAY
      : this.#settings.retry(attempt, error);
    if (delay === undefined) return false;
    this.#retries++;
    const timeout = command.options?.timeout ?? this.#settings.commandTimeout;
    this.#queued.retryLater({
      args: command.args,
      batch: command.batch,
      map: command.map,
      options: command.options,
      resolve: command.resolve,
      reject: command.reject,
      deadline: timeout === Infinity ? Infinity : command.issuedAt + timeout,
      attempts: attempt,
      lastError: error,
    }, delay);
    return true;
  }

  #enqueue(
    args: readonly CommandArg[],
    batch: readonly BatchMember[] | undefined,
    map: ReplyMapper<unknown> | undefined,
    options: CommandOptions | undefined,
  ): Promise<unknown> {
    if (this.#closed) {
      return Promise.reject(
        new ClosedError(
          `Cannot send ${
            batch === undefined ? commandName(args) : "the batch"
          } as the client is closed`,
        ),
      );
    }
    const promise = this.#queued.add(args, batch, map, options);
    if (this.#reconnectTimer === undefined) this.#grow();
    return promise;
  }

  #flushQueued(): void {
    const now = Date.now();
    while (this.#queued.size > 0 && this.#shared.length > 0) {
      const entry = this.#queued.shift()!;
      const connection =
        this.#shared[leastPending(this.#shared).index].connection;
      let options = entry.options;
      if (entry.deadline !== Infinity) {
        options = { ...options, timeout: Math.max(1, entry.deadline - now) };
      }
      const sent = entry.batch === undefined
        ? connection.send(entry.args, entry.map, options, entry.attempts)
        : connection.sendBatch(entry.batch, options, entry.attempts);
      sent.then(entry.resolve, entry.reject);
    }
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
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const timeout = options?.timeout ?? this.#settings.acquireTimeout;
    if (typeof timeout !== "number" || !(timeout > 0)) {
      return Promise.reject(
        new RangeError(
          `Cannot acquire a connection as timeout must be a positive number of milliseconds (or Infinity), got ${timeout}`,
        ),
      );
    }
    const origin = this.#leaks.origin();
    return new Promise<L>((resolve, reject) => {
      const waiter = this.#waiters.create(
        timeout,
        signal,
        origin,
        resolve,
        reject,
      );
      // Fast path: an idle connection and nobody ahead; no timer needed.
      if (this.#waiters.size === 0 && this.#mayLease()) {
        const idle = this.#takeIdle();
        if (idle !== undefined) {
          this.#handOut(idle, waiter);
          return;
        }
      }
      this.#waiters.push(waiter);
      this.#serviceWaiters();
    });
  }

  /** Gives waiters idle connections, opens new ones, or drains busy ones. */
  #serviceWaiters(): void {
    while (this.#waiters.size > 0 && this.#mayLease()) {
      const idle = this.#takeIdle();
      if (idle !== undefined) {
        this.#handOut(idle, this.#waiters.shift()!);
        continue;
      }
      const unserved = this.#waiters.size - this.#draining - this.#connecting;
      if (unserved <= 0) return;
      if (this.#slots.size < this.#settings.max) {
        if (this.#reconnectTimer !== undefined) return;
        this.#open();
        continue;
      }
      // Full: stop sending multiplexed commands to the least busy shared
      // connection, and lease it once its replies are in.
      if (this.#shared.length === 0) return;
      const slot = this.#shared[leastPending(this.#shared).index];
      this.#unshare(slot);
      slot.state = "draining";
      this.#draining++;
    }
  }

  /** Returns draining connections no waiter needs any more. */
  #undrain(): void {
    if (this.#draining <= this.#waiters.size) return;
    for (const slot of this.#slots) {
      if (slot.state === "draining" && this.#draining > this.#waiters.size) {
        this.#draining--;
        this.#share(slot);
      }
    }
  }

  #onIdle(slot: Slot<C>): void {
    if (slot.state !== "draining") return;
    this.#draining--;
    const waiter = this.#waiters.shift();
    if (waiter === undefined) this.#share(slot);
    else this.#handOut(slot, waiter);
  }

  #takeIdle(): Slot<C> | undefined {
    const shared = this.#shared;
    for (let i = shared.length - 1; i >= 0; i--) {
      const slot = shared[i];
      if (slot.connection.inFlight === 0) {
        shared.splice(i, 1);
        return slot;
      }
    }
    return undefined;
  }

  #handOut(slot: Slot<C>, waiter: Waiter<L>): void {
    slot.state = "leased";
    this.#leased++;
    const idleFor = Date.now() - slot.connection.lastUsedAt;
    const interval = this.#settings.healthCheckInterval;
    if (interval > 0 && idleFor > interval) {
      // Idle long enough that the socket may have died quietly: check it
      // before the caller relies on it. On failure the caller waits on,
      // within its own deadline.
      this.#waiters.arm(waiter);
      slot.connection.send(["PING"], undefined, {
        timeout: Math.min(
          this.#settings.connectTimeout,
          this.#settings.commandTimeout,
        ),
      }).then(
        () => this.#give(slot, waiter),
        (error: Error) => {
          slot.connection.destroy(error);
          this.#waiters.push(waiter, true);
          this.#serviceWaiters();
        },
      );
      return;
    }
    this.#give(slot, waiter);
  }

  #give(slot: Slot<C>, waiter: Waiter<L>): void {
    if (waiter.settled) {
      // It timed out or was aborted while its connection was checked.
      this.#leaseEnded();
      this.#reuse(slot);
      return;
    }
    slot.acquiredAt = Date.now();
    slot.origin = waiter.origin;
    slot.longHoldReported = false;
    slot.onPush = undefined;
    const lease = this.#makeLease(this, slot);
    // Tracked even with leakDetection off: a dropped lease's slot is
    // reclaimed either way; the setting only decides whether its acquire
    // stack is recorded.
    this.#leaks.track(lease, slot);
    this.#ensureMaintenance();
    this.#waiters.resolve(waiter, lease);
  }

  /** A leased slot back from its lease, clean: the next waiter or shared. */
  #reuse(slot: Slot<C>): void {
    const waiter = this.#mayLease() ? this.#waiters.shift() : undefined;
    if (waiter !== undefined) {
      slot.state = "leased";
      this.#leased++;
      this.#give(slot, waiter);
    } else this.#share(slot);
  }

  #leaseEnded(): void {
    this.#leased--;
    if (this.#leased === 0) this.#released?.();
  }

  /** Returns a lease's connection, undoing the state it left. */
  async releaseLease(
    slot: Slot,
    lease: object,
    state: LeaseState,
  ): Promise<void> {
    this.#leaks.untrack(lease);
    const own = slot as Slot<C>;
    if (own.state !== "leased") return; // its connection closed meanwhile
    const connection = own.connection;
    // Replies still on their way (commands not awaited, timed out, or the
    // handshake's) are waited for, so the next user gets only its own; a
    // connection that never answers them is declared dead by its timeouts.
    if (connection.inFlight > 0 && !state.unrecoverable) {
      await connection.drained();
      if (own.state !== "leased") return;
    }
    const tooOld = this.#settings.maxLifetime > 0 &&
      Date.now() - connection.createdAt > this.#settings.maxLifetime;
    if (
      state.unrecoverable || connection.inFlight > 0 || tooOld ||
      this.#closed ||
      !await resetConnection(connection, state, this.#settings)
    ) {
      connection.destroy();
      return;
    }
    if (own.state !== "leased") return;
    this.#leaseEnded();
    this.#reuse(own);
  }

  /** Destroys a lease's connection instead of returning it. */
  destroyLease(slot: Slot, lease: object, error?: Error): void {
    this.#leaks.untrack(lease);
    slot.connection.destroy(
      error ??
        new ClosedError("Cannot finish the command as its lease was destroyed"),
    );
  }

  #onLeak(slot: Slot<C>): void {
    this.#leakCount++;
    // Its connection's state is unknown; if it still holds the slot, free it.
    if (slot.state === "leased") {
      slot.connection.destroy(
        new ClosedError("Cannot finish the command as its lease was leaked"),
      );
    }
    this.#leaks.report(slot, (report) => this.#emit("leak", report));
  }

  #ensureMaintenance(): void {
    if (this.#maintenanceTimer !== undefined || this.#closed) return;
    const tick = maintenanceTick(this.#settings);
    this.#maintenanceTimer = setTimeout(() => this.#maintain(tick), tick);
  }

  #maintain(tick: number): void {
    this.#maintenanceTimer = undefined;
    if (this.#closed || this.#slots.size === 0) return;
    maintain(this.#slots, this.#settings, {
      longHold: (slot, heldMs) =>
        this.#emit("longhold", { stack: slot.stack, heldMs }),
      retire: (slot, reason) => {
        const own = slot as Slot<C>;
        this.#remove(own);
        this.#unshare(own);
        // Graceful: replies in flight arrive before QUIT closes it.
        own.connection.close();
        if (reason === "lifetime") this.#serviceDemand();
      },
    });
    this.#maintenanceTimer = setTimeout(() => this.#maintain(tick), tick);
  }

  #failAll(error: Error): void {
    this.#queued.failAll(error);
    this.#waiters.rejectAll(error);
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
   */
  async close(timeout = 5_000): Promise<void> {
    if (this.#closed) {
      await Promise.all([...this.#slots].map((slot) => slot.connection.closed));
      return;
    }
    this.#closed = true;
    // New commands now queue, and the queue refuses them as closed.
    this.#shared.length = 0;
    this.#failAll(
      new ClosedError("Cannot run the command as the pool was closed"),
    );
    this.#stopTimers();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<void>((resolve) =>
      timer = setTimeout(resolve, timeout)
    );
    if (this.#leased > 0) {
      const released = new Promise<void>((resolve) => this.#released = resolve);
      await Promise.race([released, expired]);
    }
    const closing = Promise.all(
      [...this.#slots].map((slot) =>
        slot.state === "connecting"
          ? slot.connection.closed
          : slot.connection.close()
      ),
    );
    await Promise.race([closing, expired]);
    clearTimeout(timer);
    this.destroy();
  }

  /** Closes everything at once; commands in flight and waiters reject. */
  destroy(): void {
    this.#closed = true;
    this.#stopTimers();
    this.#failAll(
      new ClosedError("Cannot run the command as the pool was destroyed"),
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
    let idle = 0;
    let inFlight = 0;
    for (const slot of this.#slots) {
      const n = slot.state === "connecting" ? 0 : slot.connection.inFlight;
      inFlight += n;
      if (slot.state === "shared" && n === 0) idle++;
    }
    return {
      total: this.#slots.size,
      idle,
      leased: this.#leased,
      waiting: this.#waiters.size,
      queued: this.#queued.size,
      inFlight,
      created: this.#created,
      destroyed: this.#destroyed,
      leaks: this.#leakCount,
      timeouts: this.#timeouts,
      reconnects: this.#reconnects,
      retries: this.#retries,
    };
  }
}
