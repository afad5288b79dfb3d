/**
 * The pool's offline queue: multiplexed commands waiting for a usable
 * connection, bounded by `maxQueued`, each rejected by its own deadline, and
 * commands waiting out a retry delay.
 *
 * @module
 */

import { ClosedError, QueueFullError, TimeoutError } from "../errors.ts";
import { Queue } from "../_queue.ts";
import type { CommandOptions, ReplyMapper } from "../connection.ts";
import { type CommandArg, commandName } from "../resp/encode.ts";

/** A command waiting for a connection. */
export interface QueuedCommand {
  readonly args: readonly CommandArg[];
  readonly map: ReplyMapper<unknown> | undefined;
  readonly options: CommandOptions | undefined;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** When it times out, in epoch milliseconds; Infinity for never. */
  readonly deadline: number;
  /** Tries made so far. */
  attempts: number;
  /** Why it was queued again, when it is a retry. */
  readonly lastError?: Error;
}

/** What the queue needs from its pool. */
export interface OfflineQueueHost {
  readonly address: string;
  readonly maxQueued: number;
  readonly commandTimeout: number;
  /** The last connection failure, for timeout messages. */
  lastError(): Error | undefined;
  /** A queued command timed out. */
  timedOut(): void;
  /** A retried command is back in the queue. */
  requeued(): void;
}

/** Longest gap between two checks of the queued commands' deadlines. */
const CHECK_EVERY = 250;

/** Commands waiting for a usable connection. */
export class OfflineQueue {
  readonly #host: OfflineQueueHost;
  readonly #queue = new Queue<QueuedCommand>();
  /** Commands waiting out their retry delay, by timer. */
  readonly #retrying = new Map<ReturnType<typeof setTimeout>, QueuedCommand>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(host: OfflineQueueHost) {
    this.#host = host;
  }

  /** Commands queued (not counting those waiting out a retry delay). */
  get size(): number {
    return this.#queue.size;
  }

  /**
   * Queues a command; rejects at once when `maxQueued` are already queued.
   */
  add<T>(
    args: readonly CommandArg[],
    map: ReplyMapper<T> | undefined,
    options: CommandOptions | undefined,
  ): Promise<T> {
    if (this.#queue.size >= this.#host.maxQueued) {
      return Promise.reject(
        new QueueFullError(
          `Cannot queue ${
            commandName(args)
          } as ${this.#queue.size} commands already wait for a connection to ${this.#host.address} (maxQueued)`,
        ),
      );
    }
    if (options?.signal?.aborted) return Promise.reject(options.signal.reason);
    const timeout = options?.timeout ?? this.#host.commandTimeout;
    return new Promise<T>((resolve, reject) => {
      this.#push({
        args,
        map: map as ReplyMapper<unknown> | undefined,
        options,
        resolve: resolve as (value: unknown) => void,
        reject,
        deadline: timeout > 0 ? Date.now() + timeout : Infinity,
        attempts: 0,
      });
    });
  }

  /** Queues the command again after `delay` milliseconds. */
  retryLater(entry: QueuedCommand, delay: number): void {
    const timer = setTimeout(() => {
      this.#retrying.delete(timer);
      if (entry.deadline <= Date.now()) {
        entry.reject(entry.lastError);
        return;
      }
      this.#push(entry);
      this.#host.requeued();
    }, delay);
    this.#retrying.set(timer, entry);
  }

  /** Takes the oldest queued command. */
  shift(): QueuedCommand | undefined {
    return this.#queue.shift();
  }

  /**
   * After a failed connection attempt: each queued command counts a try;
   * those the retry policy gives up on reject with `failure(entry)`.
   *
   * @returns How many stay queued for another try.
   */
  afterConnectFailure(
    error: Error,
    retry: (attempt: number, error: Error) => number | undefined,
    failure: (entry: QueuedCommand) => Error,
  ): number {
    let kept = 0;
    for (let i = this.#queue.size; i > 0; i--) {
      const entry = this.#queue.shift()!;
      if (retry(++entry.attempts, error) === undefined) {
        entry.reject(failure(entry));
      } else {
        kept++;
        this.#queue.push(entry);
      }
    }
    return kept;
  }

  /** Rejects every queued command, and those waiting to be retried. */
  failAll(error: Error): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const entry of this.#queue.drain()) entry.reject(error);
    for (const [timer, entry] of this.#retrying) {
      clearTimeout(timer);
      entry.reject(
        new ClosedError(
          `Cannot send ${
            commandName(entry.args)
          } again as the client was closed`,
        ),
      );
    }
    this.#retrying.clear();
  }

  #push(entry: QueuedCommand): void {
    this.#queue.push(entry);
    if (this.#timer === undefined && entry.deadline !== Infinity) {
      this.#timer = setTimeout(
        this.#expire,
        Math.min(entry.deadline - Date.now(), CHECK_EVERY),
      );
    }
  }

  #expire = (): void => {
    this.#timer = undefined;
    const now = Date.now();
    let next = Infinity;
    for (let i = this.#queue.size; i > 0; i--) {
      const entry = this.#queue.shift()!;
      const signal = entry.options?.signal;
      if (signal?.aborted) entry.reject(signal.reason);
      else if (entry.deadline <= now) {
        this.#host.timedOut();
        const last = this.#host.lastError();
        entry.reject(
          new TimeoutError(
            `Cannot send ${
              commandName(entry.args)
            } as no connection to ${this.#host.address} became usable within ${
              entry.options?.timeout ?? this.#host.commandTimeout
            } ms${last ? ` (last error: ${last.message})` : ""}`,
          ),
        );
      } else {
        next = Math.min(next, entry.deadline);
        this.#queue.push(entry);
      }
    }
    if (next !== Infinity) {
      this.#timer = setTimeout(this.#expire, Math.min(next - now, CHECK_EVERY));
    }
  };
}
