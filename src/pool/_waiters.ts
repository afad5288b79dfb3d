/**
 * Callers waiting in `acquire`, in FIFO order. Each owns one deadline, set
 * when it starts waiting and kept until it is settled, whatever happens in
 * between (a health check that fails, a connection that cannot be opened).
 *
 * @module
 */

import { Queue } from "../_queue.ts";

/** One caller of `acquire`. */
export interface Waiter<L> {
  /** Made in the `acquire` call when leak detection records stacks. */
  readonly origin: Error | undefined;
  /** When it gives up, in epoch milliseconds (Infinity: never). */
  readonly deadline: number;
  readonly signal: AbortSignal | undefined;
  /** Failed connection attempts it has seen (for the retry policy). */
  attempts: number;
  /** Whether it got a lease or an error. */
  settled: boolean;
  resolve(lease: L): void;
  reject(error: unknown): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  onAbort: (() => void) | undefined;
}

/** What the waiters need from the pool. */
export interface WaitersHost {
  /** The error for a waiter whose deadline passed. */
  expired(waitedMs: number): Error;
  /** A waiter left (timed out or aborted): the pool may rebalance. */
  left(): void;
}

/** The queue of waiters. */
export class Waiters<L> {
  readonly #host: WaitersHost;
  readonly #queue = new Queue<Waiter<L>>();

  constructor(host: WaitersHost) {
    this.#host = host;
  }

  /** Waiters in the queue (not those being handed a connection). */
  get size(): number {
    return this.#queue.size;
  }

  /**
   * Makes a waiter; its deadline is armed by {@linkcode Waiters.arm} (the
   * fast path, an idle connection and nobody ahead, needs no timer).
   */
  create(
    timeout: number,
    signal: AbortSignal | undefined,
    origin: Error | undefined,
    resolve: (lease: L) => void,
    reject: (error: unknown) => void,
  ): Waiter<L> {
    return {
      origin,
      deadline: timeout === Infinity ? Infinity : Date.now() + timeout,
      signal,
      attempts: 0,
      settled: false,
      resolve,
      reject,
      timer: undefined,
      onAbort: undefined,
    };
  }

  /** Starts the waiter's deadline timer and abort listener, once. */
  arm(waiter: Waiter<L>): void {
    if (waiter.settled) return;
    if (waiter.timer === undefined && waiter.deadline !== Infinity) {
      const started = Date.now();
      waiter.timer = setTimeout(() => {
        if (waiter.settled) return;
        this.#queue.remove(waiter);
        this.reject(waiter, this.#host.expired(Date.now() - started));
        this.#host.left();
      }, Math.max(0, waiter.deadline - started));
    }
    const signal = waiter.signal;
    if (signal !== undefined && waiter.onAbort === undefined) {
      waiter.onAbort = () => {
        if (waiter.settled) return;
        this.#queue.remove(waiter);
        this.reject(waiter, signal.reason);
        this.#host.left();
      };
      signal.addEventListener("abort", waiter.onAbort, { once: true });
    }
  }

  /** Queues a waiter at the back (or, after a failed check, the front). */
  push(waiter: Waiter<L>, front = false): void {
    if (waiter.settled) return;
    this.arm(waiter);
    if (front) this.#queue.unshiftFront(waiter);
    else this.#queue.push(waiter);
  }

  /** Takes the first waiter, or undefined. */
  shift(): Waiter<L> | undefined {
    return this.#queue.shift();
  }

  /** Gives the waiter its lease. */
  resolve(waiter: Waiter<L>, lease: L): void {
    this.#settle(waiter);
    waiter.resolve(lease);
  }

  /** Fails the waiter. */
  reject(waiter: Waiter<L>, error: unknown): void {
    this.#settle(waiter);
    waiter.reject(error);
  }

  #settle(waiter: Waiter<L>): void {
    waiter.settled = true;
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
    if (waiter.onAbort !== undefined) {
      waiter.signal!.removeEventListener("abort", waiter.onAbort);
    }
  }

  /**
   * After a failed connection attempt: each waiter counts a try; those the
   * retry policy gives up on reject with `failure`.
   */
  afterConnectFailure(
    retry: (attempt: number) => number | undefined,
    failure: () => Error,
  ): void {
    for (let i = this.#queue.size; i > 0; i--) {
      const waiter = this.#queue.shift()!;
      if (retry(++waiter.attempts) === undefined) {
        this.reject(waiter, failure());
      } else this.#queue.push(waiter);
    }
  }

  /**
   * Fails every queued waiter.
   *
   * @param error Builds the error, once, if any waiter is queued.
   */
  rejectAll(error: () => Error): void {
    if (this.#queue.size === 0) return;
    const reason = error();
    for (const waiter of this.#queue.drain()) this.reject(waiter, reason);
  }
}
