/**
 * The pool's offline queue: multiplexed commands (and batches) waiting for
 * a usable connection, bounded by `maxQueued`, each rejected by its own
 * deadline or abort signal, and those waiting out a retry delay.
 *
 * @module
 */

import { ClosedError, QueueFullError, TimeoutError } from "../errors.ts";
import { Queue } from "../_queue.ts";
import type {
  BatchMember,
  CommandOptions,
  ReplyMapper,
} from "../connection/connection.ts";
import { type CommandArg, commandName } from "../resp/encode.ts";

/** A command or batch waiting for a connection. */
export interface QueuedCommand {
  readonly args: readonly CommandArg[];
  /** The whole batch, when the entry is one (`args` is its first command). */
  readonly batch: readonly BatchMember[] | undefined;
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
  /** Removes it from the queue when its signal aborts. */
  onAbort?: () => void;
}

/** What the queue needs from its pool (the shared connections). */
export interface OfflineQueueHost {
  readonly address: string;
  readonly maxQueued: number;
  readonly commandTimeout: number;
  /** The last connection failure, for timeout messages. */
  readonly lastError: Error | undefined;
  /**
   * When the connection attempt under way ends at the latest (success,
   * failure or its connect timeout), in epoch milliseconds; 0 when none
   * is. Its end calls {@linkcode OfflineQueue.recheck}.
   */
  readonly connectSettlesBy: number;
  /** A queued command timed out. */
  timedOut(): void;
  /** A retried command is back in the queue. */
  requeued(): void;
}

/** Longest gap between two checks of the queued commands' deadlines. */
const CHECK_EVERY = 250;

function describe(entry: { args: readonly CommandArg[]; batch?: unknown }) {
  return entry.batch === undefined ? commandName(entry.args) : "the batch";
}

/** Commands waiting for a usable connection. */
export class OfflineQueue {
  readonly #host: OfflineQueueHost;
  readonly #queue = new Queue<QueuedCommand>();
  /** Commands waiting out their retry delay, by timer. */
  #retrying:
    | Map<ReturnType<typeof setTimeout>, QueuedCommand>
    | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(host: OfflineQueueHost) {
    this.#host = host;
  }

  /** Commands queued (not counting those waiting out a retry delay). */
  get size(): number {
    return this.#queue.size;
  }

  /**
   * Queues a command or batch; rejects at once when `maxQueued` are
   * already queued. With `maxQueued` 0, commands still wait for a first
   * connection that is being opened and has not failed.
   */
  add(
    args: readonly CommandArg[],
    batch: readonly BatchMember[] | undefined,
    map: ReplyMapper<unknown> | undefined,
    options: CommandOptions | undefined,
  ): Promise<unknown> {
    const host = this.#host;
    if (
      this.#queue.size >= host.maxQueued &&
      (host.maxQueued > 0 || host.lastError !== undefined)
    ) {
      return Promise.reject(
        new QueueFullError(
          `Cannot queue ${
            describe({ args, batch })
          } as ${this.#queue.size} commands already wait for a connection to ${host.address} (maxQueued ${host.maxQueued})`,
        ),
      );
    }
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const timeout = options?.timeout ?? host.commandTimeout;
    return new Promise((resolve, reject) => {
      const entry: QueuedCommand = {
        args,
        batch,
        map,
        options,
        resolve,
        reject,
        deadline: timeout === Infinity ? Infinity : Date.now() + timeout,
        attempts: 0,
      };
      if (signal !== undefined) {
        entry.onAbort = () => {
          if (this.#queue.remove(entry)) reject(signal.reason);
        };
        signal.addEventListener("abort", entry.onAbort, { once: true });
      }
      this.#push(entry);
    });
  }

  /** Queues the command again after `delay` milliseconds. */
  retryLater(entry: QueuedCommand, delay: number): void {
    const timer = setTimeout(() => {
      this.#retrying!.delete(timer);
      if (entry.deadline <= Date.now()) {
        entry.reject(entry.lastError);
        return;
      }
      const signal = entry.options?.signal;
      if (signal?.aborted) {
        entry.reject(signal.reason);
        return;
      }
      this.#push(entry);
      this.#host.requeued();
    }, delay);
    (this.#retrying ??= new Map()).set(timer, entry);
  }

  /** Takes the oldest queued command. */
  shift(): QueuedCommand | undefined {
    const entry = this.#queue.shift();
    if (entry?.onAbort !== undefined) {
      entry.options!.signal!.removeEventListener("abort", entry.onAbort);
    }
    if (this.#queue.size === 0 && this.#timer !== undefined) {
      // Nothing left to expire: an idle client keeps no timer.
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    return entry;
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
        this.#drop(entry, failure(entry));
      } else {
        kept++;
        this.#queue.push(entry);
      }
    }
    return kept;
  }

  /**
   * Rejects every queued command, and those waiting to be retried.
   *
   * @param error Builds the error of the queued ones, once, if any is.
   */
  failAll(error: () => Error): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#queue.size > 0) {
      const reason = error();
      for (const entry of this.#queue.drain()) this.#drop(entry, reason);
    }
    for (const [timer, entry] of this.#retrying ?? []) {
      clearTimeout(timer);
      entry.reject(
        new ClosedError(
          `Cannot send ${describe(entry)} again as the client was closed`,
        ),
      );
    }
    this.#retrying?.clear();
  }

  #drop(entry: QueuedCommand, error: unknown): void {
    if (entry.onAbort !== undefined) {
      entry.options!.signal!.removeEventListener("abort", entry.onAbort);
    }
    entry.reject(error);
  }

  #push(entry: QueuedCommand): void {
    this.#queue.push(entry);
    if (this.#timer !== undefined || entry.deadline === Infinity) return;
    // A connection attempt that ends first will call recheck(): no timer
    // for the commands a new client sends while its connection opens.
    const settles = this.#host.connectSettlesBy;
    if (settles !== 0 && entry.deadline > settles) return;
    this.#arm(entry.deadline, Date.now());
  }

  /** Arms the check for `deadline`, or in CHECK_EVERY ms if that is sooner. */
  #arm(deadline: number, now: number): void {
    this.#timer = setTimeout(
      this.#expire,
      Math.min(deadline - now, CHECK_EVERY),
    );
  }

  /**
   * After a connection attempt ended: arms the deadline timer for what is
   * still queued (`add` leaves it off while an attempt is under way that
   * ends before their deadlines).
   */
  recheck(): void {
    if (this.#timer !== undefined || this.#queue.size === 0) return;
    let next = Infinity;
    for (let i = 0; i < this.#queue.size; i++) {
      next = Math.min(next, this.#queue.at(i)!.deadline);
    }
    if (next !== Infinity) this.#arm(next, Date.now());
  }

  #expire = (): void => {
    this.#timer = undefined;
    const now = Date.now();
    let next = Infinity;
    for (let i = this.#queue.size; i > 0; i--) {
      const entry = this.#queue.shift()!;
      if (entry.deadline <= now) {
        this.#host.timedOut();
        const last = this.#host.lastError;
        this.#drop(
          entry,
          new TimeoutError(
            `Cannot send ${
              describe(entry)
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
    if (next !== Infinity) this.#arm(next, now);
  };
}
