/**
 * Leasing: handing out exclusive connections to callers of `acquire`, in
 * FIFO order and within each caller's deadline, never more than
 * `maxLeases` at once, and taking them back clean.
 *
 * @module
 */

import { ClosedError, PoolTimeoutError } from "../errors.ts";
import type { PoolConnection, Slot } from "./_slot.ts";
import type { SharedConnections } from "./_shared.ts";
import { type Waiter, Waiters } from "./_waiters.ts";
import { LeakTracker } from "./_leaks.ts";
import { isClean, type LeaseState, resetConnection } from "./_reset.ts";
import type {
  AcquireOptions,
  LeaseFactory,
  LeaseOwner,
  PoolEmitter,
  PoolSettings,
} from "./types.ts";

const DONE: Promise<void> = Promise.resolve();

/** What leasing needs from its pool. */
export interface LeasingHost<C extends PoolConnection> {
  readonly settings: PoolSettings;
  readonly shared: SharedConnections<C>;
  /** What leases call back (the pool). */
  readonly owner: LeaseOwner;
  readonly emit: PoolEmitter;
  /** Whether the pool was closed. */
  closed(): boolean;
  /** Whether another connection may be opened now (room, no backoff). */
  canOpen(): boolean;
  /** Connections being opened. */
  connecting(): number;
  /** Opens another connection. */
  open(): void;
  /** The pool's slots, to find draining ones. */
  readonly slots: Iterable<Slot<C>>;
  /** Makes sure maintenance runs (long-hold warnings). */
  maintain(): void;
}

/** Exclusive connections and the callers waiting for them. */
export class Leasing<C extends PoolConnection, L extends object> {
  readonly #host: LeasingHost<C>;
  readonly #makeLease: LeaseFactory<L>;
  readonly #waiters: Waiters<L>;
  readonly #leaks: LeakTracker;
  /** Shared connections taking no more commands, to be leased once idle. */
  #draining = 0;
  #leased = 0;
  #leakCount = 0;
  #released: (() => void) | undefined;

  constructor(host: LeasingHost<C>, makeLease: LeaseFactory<L>) {
    this.#host = host;
    this.#makeLease = makeLease;
    const settings = host.settings;
    this.#leaks = new LeakTracker(
      settings.leakDetection,
      (slot) => this.#onLeak(slot as Slot<C>),
    );
    this.#waiters = new Waiters<L>({
      expired: (waitedMs) =>
        new PoolTimeoutError(
          this.#leased >= settings.maxLeases
            ? `Cannot acquire a connection within ${waitedMs} ms as all ${settings.maxLeases} connections that leases may hold are in use (${this.#leased} leased, ${this.#waiters.size} others waiting; pool.maxLeases)`
            : `Cannot acquire a connection within ${waitedMs} ms as none became ready in time (${this.#leased} of ${settings.maxLeases} leased, ${this.#waiters.size} others waiting)`,
        ),
      left: () => this.#undrain(),
    });
  }

  /** Connections held by leases. */
  get leased(): number {
    return this.#leased;
  }

  /** Callers waiting. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Leases collected without release. */
  get leaks(): number {
    return this.#leakCount;
  }

  /** Whether leases dropped without release are detected. */
  get leakTracking(): boolean {
    return this.#leaks.available;
  }

  /**
   * The acquire stack of a lease held too long, for the `longhold` event
   * (a note when it was not sampled; undefined when nothing is tracked).
   */
  stackOf(slot: Slot<C>): string | undefined {
    return this.#leaks.stackOf(slot);
  }

  /** Whether leases may take one more connection. */
  #mayLease(): boolean {
    return this.#leased + this.#draining < this.#host.settings.maxLeases;
  }

  /** Borrows an exclusive connection. */
  acquire(options?: AcquireOptions): Promise<L> {
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const timeout = options?.timeout ?? this.#host.settings.acquireTimeout;
    if (typeof timeout !== "number" || !(timeout > 0)) {
      return Promise.reject(
        new RangeError(
          `Cannot acquire a connection as timeout must be a positive number of milliseconds (or Infinity), got ${timeout}`,
        ),
      );
    }
    const origin = this.#leaks.origin();
    // Fast path: an idle connection, nobody ahead and no health check due:
    // the lease is made now, with no waiter, timer or listener.
    let idle: Slot<C> | undefined;
    if (this.#waiters.size === 0 && this.#mayLease()) {
      idle = this.#host.shared.takeIdle();
      if (idle !== undefined) {
        const now = Date.now();
        if (!this.#checkDue(idle, now)) {
          idle.state = "leased";
          this.#leased++;
          return Promise.resolve(this.#lend(idle, origin, now));
        }
      }
    }
    return new Promise<L>((resolve, reject) => {
      const waiter = this.#waiters.create(
        timeout,
        signal,
        origin,
        resolve,
        reject,
      );
      if (idle !== undefined) this.#handOut(idle, waiter);
      else {
        this.#waiters.push(waiter);
        this.service();
      }
    });
  }

  /**
   * Whether a connection idle since its last use may have died quietly
   * (idle longer than `healthCheckInterval`), so it is PINGed before use.
   */
  #checkDue(slot: Slot<C>, now: number): boolean {
    const interval = this.#host.settings.healthCheckInterval;
    return interval > 0 && now - slot.connection.lastUsedAt > interval;
  }

  /**
   * A connection just opened: a waiter takes it (when no queued command
   * needs it first).
   *
   * @returns Whether a waiter took it.
   */
  offer(slot: Slot<C>): boolean {
    if (
      this.#host.shared.queued > 0 || this.#waiters.size <= this.#draining ||
      !this.#mayLease()
    ) return false;
    this.#handOut(slot, this.#waiters.shift()!);
    return true;
  }

  /** Gives waiters idle connections, opens new ones, or drains busy ones. */
  service(): void {
    const host = this.#host;
    while (this.#waiters.size > 0 && this.#mayLease()) {
      const idle = host.shared.takeIdle();
      if (idle !== undefined) {
        this.#handOut(idle, this.#waiters.shift()!);
        continue;
      }
      const unserved = this.#waiters.size - this.#draining - host.connecting();
      if (unserved <= 0) return;
      if (host.canOpen()) {
        host.open();
        continue;
      }
      // Full: stop sending multiplexed commands to the least busy shared
      // connection, and lease it once its replies are in.
      const slot = host.shared.takeLeastBusy();
      if (slot === undefined) return;
      slot.state = "draining";
      this.#draining++;
    }
  }

  /** Returns draining connections no waiter needs any more. */
  #undrain(): void {
    if (this.#draining <= this.#waiters.size) return;
    for (const slot of this.#host.slots) {
      if (slot.state === "draining" && this.#draining > this.#waiters.size) {
        this.#draining--;
        this.#share(slot);
      }
    }
  }

  #share(slot: Slot<C>): void {
    this.#host.shared.add(slot);
    this.service();
  }

  /** A connection's last reply arrived: lease it if it was draining. */
  onIdle(slot: Slot<C>): void {
    if (slot.state !== "draining" || slot.retired) return;
    this.#draining--;
    const waiter = this.#waiters.shift();
    if (waiter === undefined) this.#share(slot);
    else this.#handOut(slot, waiter);
  }

  /** A connection closed while it was draining or leased. */
  onClosed(slot: Slot<C>, was: Slot["state"]): void {
    if (was === "draining") this.#draining--;
    if (was === "leased") {
      // Its lease may still be dropped unreleased: that is still a leak.
      this.#leaks.commit(slot);
      this.#leaseEnded();
    }
  }

  /**
   * A maintenance round: leases still out since the last one are handed
   * to leak tracking (see {@linkcode LeakTracker.track}).
   */
  trackHeld(): void {
    for (const slot of this.#host.slots) this.#leaks.commit(slot);
  }

  #handOut(slot: Slot<C>, waiter: Waiter<L>): void {
    slot.state = "leased";
    this.#leased++;
    const settings = this.#host.settings;
    if (this.#checkDue(slot, Date.now())) {
      // Check it before the caller relies on it. On failure the caller
      // waits on, within its own deadline.
      this.#waiters.arm(waiter);
      slot.connection.send(["PING"], undefined, {
        timeout: Math.min(settings.connectTimeout, settings.commandTimeout),
      }).then(
        () => this.#give(slot, waiter),
        (error: Error) => {
          slot.connection.destroy(error);
          this.#waiters.push(waiter, true);
          this.service();
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
    this.#waiters.resolve(
      waiter,
      this.#lend(slot, waiter.origin, Date.now()),
    );
  }

  /** Makes the lease of a slot just leased, and tracks it. */
  #lend(slot: Slot<C>, origin: Error | undefined, now: number): L {
    slot.acquiredAt = now;
    slot.origin = origin;
    slot.longHoldReported = false;
    slot.onPush = undefined;
    const lease = this.#makeLease(this.#host.owner, slot);
    this.#leaks.track(lease, slot);
    this.#host.maintain();
    return lease;
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
  release(slot: Slot<C>, lease: object, state: LeaseState): Promise<void> {
    this.#leaks.untrack(lease, slot);
    if (slot.state !== "leased") return DONE; // its connection closed meanwhile
    // Replies still on their way (commands not awaited, timed out, or the
    // handshake's) are waited for, so the next user gets only its own; a
    // connection that never answers them is declared dead by its timeouts.
    if (slot.connection.inFlight > 0 && !state.unrecoverable) {
      return slot.connection.drained().then(() => this.#takeBack(slot, state));
    }
    return this.#takeBack(slot, state);
  }

  /** The lease's connection, with nothing in flight: reset and reuse it. */
  #takeBack(slot: Slot<C>, state: LeaseState): Promise<void> {
    if (slot.state !== "leased") return DONE;
    const connection = slot.connection;
    const settings = this.#host.settings;
    const tooOld = settings.maxLifetime > 0 &&
      Date.now() - connection.createdAt > settings.maxLifetime;
    if (
      state.unrecoverable || connection.inFlight > 0 || tooOld ||
      slot.retired || this.#host.closed()
    ) {
      connection.destroy();
      return DONE;
    }
    if (isClean(state)) {
      this.#leaseEnded();
      this.#reuse(slot);
      return DONE;
    }
    return resetConnection(connection, state, settings).then((clean) => {
      if (!clean) connection.destroy();
      else if (slot.state === "leased") {
        this.#leaseEnded();
        this.#reuse(slot);
      }
    });
  }

  /** Destroys a lease's connection instead of returning it. */
  destroy(slot: Slot, lease: object, error?: Error): void {
    this.#leaks.untrack(lease, slot);
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
    this.#leaks.report(slot, (report) => this.#host.emit("leak", report));
  }

  /**
   * Resolves once no connection is leased (for a graceful close);
   * `undefined` when none is.
   */
  released(): Promise<void> | undefined {
    if (this.#leased === 0) return undefined;
    // No maintenance runs while closing: a lease dropped meanwhile must
    // still be found, and end the wait.
    this.trackHeld();
    return new Promise((resolve) => this.#released = resolve);
  }

  /** After a failed connection attempt: waiters count a try. */
  afterConnectFailure(
    retry: (attempt: number) => number | undefined,
    failure: () => Error,
  ): void {
    this.#waiters.afterConnectFailure(retry, failure);
  }

  /** Fails every waiter; `error` is built only if one waits. */
  rejectAll(error: () => Error): void {
    this.#waiters.rejectAll(error);
  }
}
