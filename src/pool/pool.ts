/**
 * The bounded connection pool: multiplexed dispatch over shared connections,
 * exclusive leases with FIFO waiters, leak detection, health checks, idle
 * closing, reconnects and the bounded offline queue.
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
import { Queue } from "../_queue.ts";
import type {
  CommandOptions,
  ConnectionEvents,
  LostCommand,
  ReplyMapper,
} from "../connection.ts";
import { READ_ONLY } from "../commands/_readonly.ts";
import { type CommandArg, commandName } from "../resp/encode.ts";
import type { RetryPolicy } from "../policy/retry.ts";
import { type PoolConnection, Slot } from "./_slot.ts";
import { Lease, type LeaseOwner, type LeaseState } from "./lease.ts";
import { leastPending } from "./dispatch.ts";
import { OfflineQueue } from "./_offline.ts";

/** Everything the pool needs to know, with defaults filled in. */
export interface PoolSettings {
  readonly max: number;
  readonly min: number;
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
  readonly retry: RetryPolicy;
  readonly reconnect: RetryPolicy;
}

/** Makes a connection that reports to the given hooks. */
export type ConnectionFactory<C extends PoolConnection> = (
  events: ConnectionEvents & { idle(): void },
) => C;

/** Options of `acquire`. */
export interface AcquireOptions {
  /** Gives up waiting when aborted, rejecting with the signal's reason. */
  signal?: AbortSignal;
  /**
   * How long to wait for a connection, in milliseconds.
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
  /** Connections held by leases. */
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

/** One command of a {@linkcode Pool.batch}. */
export interface BatchCommand {
  readonly args: readonly CommandArg[];
  readonly map?: ReplyMapper<unknown>;
  readonly options?: CommandOptions;
}

/** Emits the pool's events. */
export type PoolEmitter = (type: string, detail: unknown) => boolean;

interface Waiter {
  resolve(lease: Lease): void;
  reject(error: unknown): void;
  origin: Error | undefined;
  timeout: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  attempts: number;
}

/**
 * Where respool's own sources live, to skip its frames in stacks; worked
 * out on first use, since a bundle may give modules no usable URL.
 */
let ownSources: string | null | undefined;

function sourcesPath(): string | null {
  if (ownSources === undefined) {
    try {
      ownSources = new URL("../", import.meta.url).pathname;
    } catch {
      ownSources = null;
    }
  }
  return ownSources;
}

/**
 * The first frame of an acquire stack outside respool: the caller's line.
 * Two acquires from one line differ in their async frames, so the whole
 * stack cannot tell sites apart.
 */
function acquireSite(stack: string): string {
  const own = sourcesPath();
  if (!own) return stack;
  const lines = stack.split("\n");
  for (let i = 1; i < lines.length; i++) {
    if (!lines[i].includes(own)) return lines[i].trim();
  }
  return stack;
}

/** How long to wait before sending again a command refused as LOADING. */
const LOADING_RETRY_DELAY = 100;

/** Whether sending the command again cannot change the outcome. */
function retrySafe(name: string): boolean {
  return READ_ONLY.has(name) || name === "PING" || name === "ECHO";
}

/**
 * The pool. Its mechanism (slots, waiters, queue) is here; which shared
 * connection serves a command is the dispatch policy's choice.
 */
export class Pool<C extends PoolConnection = PoolConnection>
  implements LeaseOwner {
  readonly #settings: PoolSettings;
  readonly #factory: ConnectionFactory<C>;
  readonly #emit: PoolEmitter;
  readonly #address: string;
  readonly #slots = new Set<Slot<C>>();
  /** Ready slots that take multiplexed commands, in dispatch order. */
  readonly #shared: Slot<C>[] = [];
  readonly #waiters = new Queue<Waiter>();
  readonly #queued: OfflineQueue;
  /** Undefined where the runtime has no FinalizationRegistry. */
  readonly #registry: FinalizationRegistry<Slot<C>> | undefined;
  readonly #warnedStacks = new Set<string>();
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
  #leaks = 0;
  #timeouts = 0;
  #reconnects = 0;
  #retries = 0;

  /**
   * Constructs a pool; no connection opens until one is needed.
   *
   * @param settings Sizes, timeouts and policies.
   * @param factory Makes connections.
   * @param emit Emits events (`connect`, `error`, `leak`, ...).
   * @param address The server's address, for messages.
   */
  constructor(
    settings: PoolSettings,
    factory: ConnectionFactory<C>,
    emit: PoolEmitter,
    address = "the server",
  ) {
    this.#settings = settings;
    this.#factory = factory;
    this.#emit = emit;
    this.#address = address;
    // Workers before compatibility date 2025-05-05 have no
    // FinalizationRegistry: leases work the same, but one dropped without
    // release is neither detected nor reclaimed (see leakTracking).
    this.#registry = typeof FinalizationRegistry === "function"
      ? new FinalizationRegistry((slot) => this.#onLeak(slot))
      : undefined;
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
    return this.#registry !== undefined;
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
    return this.#enqueue(args, map, options);
  }

  /**
   * Sends commands back to back on one shared connection, so they leave in
   * one write and nothing else can come between them (MULTI ... EXEC).
   * Waits for a connection when none is ready.
   *
   * @param commands The commands, in order.
   * @returns One promise per command, for its reply.
   */
  async batch(commands: readonly BatchCommand[]): Promise<Promise<unknown>[]> {
    if (this.#shared.length === 0) {
      await this.#enqueue(["PING"], undefined, undefined);
    }
    const shared = this.#shared;
    if (shared.length === 0) {
      throw new ConnectionError(
        `Cannot send the batch as no connection to ${this.#address} is usable`,
      );
    }
    const connection = shared[leastPending(shared).index].connection;
    return commands.map((c) => connection.send(c.args, c.map, c.options));
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
      slot.state = "closed";
      this.#slots.delete(slot);
      this.#destroyed++;
      slot.connection.close();
      return;
    }
    this.#reconnectAttempt = 0;
    this.#lastError = undefined;
    this.#emit("connect", { address: this.#address });
    this.#emit("ready", { address: this.#address });
    if (this.#queued.size === 0 && this.#waiters.size > this.#draining) {
      this.#handOut(slot, this.#waiters.shift()!);
      return;
    }
    this.#share(slot);
  }

  #share(slot: Slot<C>): void {
    slot.state = "shared";
    this.#shared.push(slot);
    this.#flushQueued();
    this.#serviceWaiters();
  }

  #onConnectFailed(slot: Slot<C>, error: Error): void {
    slot.state = "closed";
    this.#slots.delete(slot);
    this.#destroyed++;
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
    for (let i = this.#waiters.size; i > 0; i--) {
      const waiter = this.#waiters.shift()!;
      if (retry(++waiter.attempts, error) === undefined) {
        this.#settleWaiter(waiter);
        waiter.reject(this.#connectFailure("acquire", error));
      } else this.#waiters.push(waiter);
    }
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
    slot.state = "closed";
    this.#slots.delete(slot);
    this.#destroyed++;
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
   * A multiplexed command whose connection was lost is sent again only when
   * that cannot change the outcome: it never left this process, the server
   * flags it read-only, or the server refused it unrun (LOADING). A write that may have run rejects with a
   * ConnectionError saying so. Commands on leases are never moved: their
   * connection's state went with it.
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
    if (mayHaveBeenApplied && !retrySafe(command.name)) return false;
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
      map: command.map,
      options: command.options,
      resolve: command.resolve,
      reject: command.reject,
      deadline: timeout > 0 ? command.issuedAt + timeout : Infinity,
      attempts: attempt,
      lastError: error,
    }, delay);
    return true;
  }

  #enqueue<T>(
    args: readonly CommandArg[],
    map: ReplyMapper<T> | undefined,
    options: CommandOptions | undefined,
  ): Promise<T> {
    if (this.#closed) {
      return Promise.reject(
        new ClosedError(
          `Cannot send ${commandName(args)} as the client is closed`,
        ),
      );
    }
    const promise = this.#queued.add(args, map, options);
    if (this.#reconnectTimer === undefined) this.#grow();
    return promise;
  }

  #flushQueued(): void {
    const now = Date.now();
    while (this.#queued.size > 0 && this.#shared.length > 0) {
      const entry = this.#queued.shift()!;
      const choice = leastPending(this.#shared);
      let options = entry.options;
      if (entry.deadline !== Infinity) {
        options = { ...options, timeout: Math.max(1, entry.deadline - now) };
      }
      this.#shared[choice.index].connection
        .send(entry.args, entry.map, options, entry.attempts)
        .then(entry.resolve, entry.reject);
    }
  }

  /**
   * Borrows an exclusive connection.
   *
   * @param options A timeout and an abort signal.
   * @returns The lease.
   */
  acquire(options?: AcquireOptions): Promise<Lease> {
    if (this.#closed) {
      return Promise.reject(
        new ClosedError("Cannot acquire a connection as the pool is closed"),
      );
    }
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const timeout = options?.timeout ?? this.#settings.acquireTimeout;
    if (typeof timeout !== "number" || !(timeout >= 0)) {
      return Promise.reject(
        new RangeError(
          `Cannot acquire a connection as timeout must be a non-negative number, got ${timeout}`,
        ),
      );
    }
    // The Error captures the call stack now; V8 and JSC format it into text
    // only if `.stack` is read, which happens only when a leak is reported.
    const origin = this.#settings.leakDetection && this.#registry
      ? new Error("Lease acquired here")
      : undefined;
    return new Promise<Lease>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        origin,
        timeout,
        timer: undefined,
        signal,
        onAbort: undefined,
        attempts: 0,
      };
      // Fast path: an idle connection and nobody ahead; no timer needed.
      if (this.#waiters.size === 0) {
        const idle = this.#takeIdle();
        if (idle !== undefined) {
          this.#handOut(idle, waiter);
          return;
        }
      }
      this.#wait(waiter);
    });
  }

  /** Queues a waiter with its timeout and abort listener. */
  #wait(waiter: Waiter, front = false): void {
    const { timeout, signal } = waiter;
    if (timeout > 0 && waiter.timer === undefined) {
      const started = Date.now();
      waiter.timer = setTimeout(() => {
        if (!this.#waiters.remove(waiter)) return;
        this.#settleWaiter(waiter);
        waiter.reject(
          new PoolTimeoutError(
            `Cannot acquire a connection within ${
              Date.now() - started
            } ms as all ${this.#settings.max} connections of the pool are busy (${this.#leased} leased, ${this.#waiters.size} others waiting)`,
          ),
        );
        this.#undrain();
      }, timeout);
    }
    if (signal !== undefined && waiter.onAbort === undefined) {
      waiter.onAbort = () => {
        if (!this.#waiters.remove(waiter)) return;
        this.#settleWaiter(waiter);
        waiter.reject(signal.reason);
        this.#undrain();
      };
      signal.addEventListener("abort", waiter.onAbort, { once: true });
    }
    if (front) this.#waiters.unshiftFront(waiter);
    else this.#waiters.push(waiter);
    this.#serviceWaiters();
  }

  #settleWaiter(waiter: Waiter): void {
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
    if (waiter.onAbort !== undefined) {
      waiter.signal!.removeEventListener("abort", waiter.onAbort);
    }
  }

  /** Gives waiters idle connections, opens new ones, or drains busy ones. */
  #serviceWaiters(): void {
    while (this.#waiters.size > 0) {
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

  #handOut(slot: Slot<C>, waiter: Waiter): void {
    slot.state = "leased";
    this.#leased++;
    const idleFor = Date.now() - slot.connection.lastUsedAt;
    const interval = this.#settings.healthCheckInterval;
    if (interval > 0 && idleFor > interval) {
      // Idle long enough that the socket may have died quietly: check it
      // before the caller relies on it. On failure, the caller waits on.
      slot.connection.send(["PING"], undefined, {
        timeout: Math.min(
          this.#settings.connectTimeout,
          this.#settings.commandTimeout,
        ),
      }).then(
        () => this.#give(slot, waiter),
        (error: Error) => {
          slot.connection.destroy(error);
          this.#wait(waiter, true);
        },
      );
      return;
    }
    this.#give(slot, waiter);
  }

  #give(slot: Slot<C>, waiter: Waiter): void {
    this.#settleWaiter(waiter);
    slot.acquiredAt = Date.now();
    slot.origin = waiter.origin;
    slot.longHoldReported = false;
    // The pool keeps no reference to the lease at all: only the registry
    // knows it, weakly, and a release unregisters it. So a finalizer call
    // always means a lease that was never released.
    const lease = new Lease(this, slot);
    // Registered even with leakDetection off: a dropped lease's slot is
    // reclaimed either way; the setting only decides whether its acquire
    // stack is recorded.
    this.#registry?.register(lease, slot, lease);
    this.#ensureMaintenance();
    waiter.resolve(lease);
  }

  #leaseEnded(): void {
    this.#leased--;
    if (this.#leased === 0) this.#released?.();
  }

  /** Returns a lease's connection, undoing the state it left. */
  async releaseLease(
    slot: Slot,
    lease: Lease,
    state: LeaseState,
  ): Promise<void> {
    this.#registry?.unregister(lease);
    const own = slot as Slot<C>;
    if (own.state !== "leased") return; // its connection closed meanwhile
    const connection = own.connection;
    // Replies still on their way (commands not awaited, timed out, or the
    // handshake's) are waited for, so the next user gets only its own; a
    // connection that never answers them is declared dead by its timeouts.
    if (connection.inFlight > 0 && !state.unrecoverable && connection.drained) {
      await connection.drained();
      if (own.state !== "leased") return;
    }
    const tooOld = this.#settings.maxLifetime > 0 &&
      Date.now() - connection.createdAt > this.#settings.maxLifetime;
    if (
      state.unrecoverable || connection.inFlight > 0 || tooOld || this.#closed
    ) {
      connection.destroy();
      return;
    }
    if (state.inMulti || state.watching || state.db !== undefined) {
      try {
        const resets: Promise<unknown>[] = [];
        if (state.inMulti) resets.push(connection.send(["DISCARD"]));
        else if (state.watching) resets.push(connection.send(["UNWATCH"]));
        if (state.db !== undefined) {
          resets.push(connection.send(["SELECT", this.#settings.db]));
        }
        await Promise.all(resets);
      } catch {
        connection.destroy();
        return;
      }
      if (own.state !== "leased") return;
    }
    this.#leaseEnded();
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      this.#leased++;
      this.#give(own, waiter);
    } else this.#share(own);
  }

  /** Destroys a lease's connection instead of returning it. */
  destroyLease(slot: Slot, lease: Lease): void {
    this.#registry?.unregister(lease);
    slot.connection.destroy(
      new ClosedError("Cannot finish the command as its lease was destroyed"),
    );
  }

  #onLeak(slot: Slot<C>): void {
    this.#leaks++;
    const heldMs = Date.now() - slot.acquiredAt;
    const stack = slot.stack ?? "(leak detection is off: no stack)";
    slot.origin = undefined;
    // Its connection's state is unknown; if it still holds the slot, free it.
    if (slot.state === "leased") {
      slot.connection.destroy(
        new ClosedError("Cannot finish the command as its lease was leaked"),
      );
    }
    const site = acquireSite(stack);
    if (
      !this.#emit("leak", { stack, heldMs }) && !this.#warnedStacks.has(site)
    ) {
      this.#warnedStacks.add(site);
      console.warn(
        `respool: a lease was garbage-collected without release() after ${heldMs} ms; its connection was destroyed. Use \`await using\`. Acquired at:\n${stack}`,
      );
    }
  }

  #ensureMaintenance(): void {
    if (this.#maintenanceTimer !== undefined || this.#closed) return;
    const s = this.#settings;
    const periods = [s.idleTimeout, s.longHoldWarning, s.maxLifetime].filter((
      p,
    ) => p > 0);
    const tick = Math.max(10, Math.min(1_000, ...periods.map((p) => p / 4)));
    this.#maintenanceTimer = setTimeout(() => this.#maintain(tick), tick);
  }

  #maintain(tick: number): void {
    this.#maintenanceTimer = undefined;
    if (this.#closed || this.#slots.size === 0) return;
    const s = this.#settings;
    const now = Date.now();
    for (const slot of this.#slots) {
      if (slot.state === "leased") {
        const heldMs = now - slot.acquiredAt;
        if (
          s.longHoldWarning > 0 && heldMs > s.longHoldWarning &&
          !slot.longHoldReported
        ) {
          slot.longHoldReported = true;
          this.#emit("longhold", { stack: slot.stack, heldMs });
        }
        continue;
      }
      if (slot.state !== "shared" || slot.connection.inFlight > 0) continue;
      const idle = s.idleTimeout > 0 &&
        now - slot.connection.lastUsedAt > s.idleTimeout &&
        this.#slots.size > s.min;
      const old = s.maxLifetime > 0 &&
        now - slot.connection.createdAt > s.maxLifetime;
      if (idle || old) {
        slot.state = "closed";
        this.#slots.delete(slot);
        this.#unshare(slot);
        this.#destroyed++;
        slot.connection.close();
        if (old && !idle) this.#serviceDemand();
      }
    }
    this.#maintenanceTimer = setTimeout(() => this.#maintain(tick), tick);
  }

  #failAll(error: Error): void {
    this.#queued.failAll(error);
    for (const waiter of this.#waiters.drain()) {
      this.#settleWaiter(waiter);
      waiter.reject(error);
    }
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
      leaks: this.#leaks,
      timeouts: this.#timeouts,
      reconnects: this.#reconnects,
      retries: this.#retries,
    };
  }
}
