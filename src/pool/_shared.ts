/**
 * The shared connections: multiplexed dispatch over them, the offline
 * queue for when none is usable, and the retry of what a lost connection or
 * a loading server left unanswered.
 *
 * @module
 */

import { ReplyError } from "../errors.ts";
import type {
  BatchMember,
  CommandOptions,
  LostCommand,
  ReplyMapper,
} from "../connection/connection.ts";
import type { RespValue } from "../resp/decode.ts";
import { type CommandArg, commandName } from "../resp/encode.ts";
import type { RetryPolicy } from "../policy/retry.ts";
import { mayResend } from "../policy/retry_rules.ts";
import type { PoolConnection, Slot } from "./_slot.ts";
import { leastPending } from "./dispatch.ts";
import { OfflineQueue, type OfflineQueueHost } from "./_offline.ts";
import { ClosedError } from "../errors.ts";

/** What the shared connections need from their pool (the pool itself). */
export interface SharedHost {
  /** The server's address, for messages. */
  readonly address: string;
  /** Whether the pool was closed. */
  readonly closed: boolean;
  /** See {@linkcode OfflineQueueHost.connectSettlesBy}. */
  readonly connectSettlesBy: number;
  /** Another connection is wanted: none is usable, or all are deep. */
  wantConnection(): void;
  /** A command timed out. */
  countTimeout(): void;
}

/** The settings the shared connections read. */
export interface SharedSettings {
  readonly maxQueued: number;
  readonly commandTimeout: number;
  readonly retry: RetryPolicy;
}

/** How long to wait before sending again a command refused as LOADING. */
const LOADING_RETRY_DELAY = 100;

/**
 * The connections that take multiplexed commands, and their queue (whose
 * host it is, passing the pool's state on).
 */
export class SharedConnections<C extends PoolConnection>
  implements OfflineQueueHost {
  readonly #host: SharedHost;
  readonly #settings: SharedSettings;
  /** Ready slots that take multiplexed commands, in dispatch order. */
  readonly #slots: Slot<C>[] = [];
  readonly #queue: OfflineQueue;
  /** The pool's last connection failure, for messages. */
  lastError: Error | undefined;
  /** Commands sent again, and queued commands tried again. */
  retries = 0;

  constructor(host: SharedHost, settings: SharedSettings) {
    this.#host = host;
    this.#settings = settings;
    this.#queue = new OfflineQueue(this);
  }

  /** The server's address, for messages. */
  get address(): string {
    return this.#host.address;
  }

  /** The most commands the queue holds. */
  get maxQueued(): number {
    return this.#settings.maxQueued;
  }

  /** The default command timeout, in milliseconds. */
  get commandTimeout(): number {
    return this.#settings.commandTimeout;
  }

  /** When the connection attempt under way ends at the latest, or 0. */
  get connectSettlesBy(): number {
    return this.#host.connectSettlesBy;
  }

  /** A connection attempt ended: queued commands need their timer. */
  recheck(): void {
    this.#queue.recheck();
  }

  /** A queued command timed out. */
  timedOut(): void {
    this.#host.countTimeout();
  }

  /** A retried command is back in the queue. */
  requeued(): void {
    if (this.#slots.length > 0) this.flush();
    else this.#host.wantConnection();
  }

  /** How many connections take multiplexed commands. */
  get size(): number {
    return this.#slots.length;
  }

  /** Commands waiting for a connection. */
  get queued(): number {
    return this.#queue.size;
  }

  /** Sends a command on the least busy connection, or queues it. */
  run<T>(
    args: readonly CommandArg[],
    map?: ReplyMapper<T>,
    options?: CommandOptions,
  ): Promise<T> {
    const slots = this.#slots;
    if (slots.length !== 0) {
      const choice = leastPending(slots);
      if (choice.grow) this.#host.wantConnection();
      return slots[choice.index].connection.send(args, map, options);
    }
    return this.#enqueue(args, undefined, map, options) as Promise<T>;
  }

  /** Sends a batch as one unit on the least busy connection, or queues it. */
  runBatch(
    batch: readonly BatchMember[],
    options?: CommandOptions,
  ): Promise<RespValue[]> {
    const slots = this.#slots;
    if (slots.length !== 0) {
      const choice = leastPending(slots);
      if (choice.grow) this.#host.wantConnection();
      return slots[choice.index].connection.sendBatch(batch, options);
    }
    return this.#enqueue(batch[0].args, batch, undefined, options) as Promise<
      RespValue[]
    >;
  }

  #enqueue(
    args: readonly CommandArg[],
    batch: readonly BatchMember[] | undefined,
    map: ReplyMapper<unknown> | undefined,
    options: CommandOptions | undefined,
  ): Promise<unknown> {
    if (this.#host.closed) {
      return Promise.reject(
        new ClosedError(
          `Cannot send ${
            batch === undefined ? commandName(args) : "the batch"
          } as the client is closed`,
        ),
      );
    }
    // The attempt first, so that the queue knows when it ends.
    this.#host.wantConnection();
    return this.#queue.add(args, batch, map, options);
  }

  /** Takes a ready connection in, and sends it what was queued. */
  add(slot: Slot<C>): void {
    slot.state = "shared";
    this.#slots.push(slot);
    this.flush();
  }

  /** Stops sending to a connection. */
  remove(slot: Slot<C>): void {
    const index = this.#slots.indexOf(slot);
    if (index !== -1) this.#slots.splice(index, 1);
  }

  /** Takes out a connection with nothing in flight, if there is one. */
  takeIdle(): Slot<C> | undefined {
    const slots = this.#slots;
    for (let i = slots.length - 1; i >= 0; i--) {
      const slot = slots[i];
      if (slot.connection.inFlight === 0) {
        if (i === slots.length - 1) slots.pop();
        else slots.splice(i, 1);
        return slot;
      }
    }
    return undefined;
  }

  /** Takes out the least busy connection (to lease once it drains). */
  takeLeastBusy(): Slot<C> | undefined {
    if (this.#slots.length === 0) return undefined;
    const slot = this.#slots[leastPending(this.#slots).index];
    this.remove(slot);
    return slot;
  }

  /** Sends queued commands to the connections. */
  flush(): void {
    if (this.#queue.size === 0) return;
    const now = Date.now();
    const slots = this.#slots;
    while (this.#queue.size > 0 && slots.length > 0) {
      const entry = this.#queue.shift()!;
      const connection = slots[leastPending(slots).index].connection;
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

  /*
   * A multiplexed command or batch whose connection was lost is sent again
   * only when that cannot change the outcome (the retry rules), or when the
   * server refused it unrun (LOADING), within its own deadline.
   */
  /**
   * Takes over an entry a shared connection could not finish, to send it
   * again later, when the rules allow.
   *
   * @returns Whether it was taken over (else it rejects with `error`).
   */
  retry(
    command: LostCommand,
    error: Error,
    mayHaveBeenApplied: boolean,
  ): boolean {
    if (this.#host.closed || !mayResend(command, mayHaveBeenApplied)) {
      return false;
    }
    // A server loading its data says so and runs nothing: wait for it
    // without using up retry attempts.
    const loading = error instanceof ReplyError && error.prefix === "LOADING";
    const attempt = loading ? command.attempt : command.attempt + 1;
    const delay = loading
      ? LOADING_RETRY_DELAY
      : this.#settings.retry(attempt, error);
    if (delay === undefined) return false;
    this.retries++;
    const timeout = command.options?.timeout ?? this.#settings.commandTimeout;
    this.#queue.retryLater({
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

  /**
   * After a failed connection attempt: each queued command counts a try;
   * those that stay queued count as retries.
   */
  afterConnectFailure(error: Error, failure: (what: string) => Error): void {
    this.retries += this.#queue.afterConnectFailure(
      error,
      this.#settings.retry,
      (entry) => failure(commandName(entry.args)),
    );
  }

  /** Stops taking commands and rejects those queued. */
  close(error: () => Error): void {
    this.#slots.length = 0;
    this.#queue.failAll(error);
  }

  /** Rejects what is queued. */
  failQueued(error: () => Error): void {
    this.#queue.failAll(error);
  }
}
