/**
 * A connection's reply queue: entries in the order they were written,
 * matched with the replies as they are decoded, timed out and aborted
 * without losing step, and failed together when the connection ends.
 *
 * @module
 */

import {
  ClosedError,
  ConnectionError,
  ProtocolError,
  ReplyError,
  TimeoutError,
} from "../errors.ts";
import { Queue } from "../_queue.ts";
import type { Decoder, DecoderHandlers, RespValue } from "../resp/decode.ts";
import { loadingRefusal } from "../policy/retry_rules.ts";
import { BATCH, CONFIRM, type LostCommand, type Pending } from "./_pending.ts";

/** What the queue reports to the connection's owner. */
export interface ReplyEvents {
  /** A RESP3 push message, or a pub/sub message, no entry waits for. */
  push?(message: RespValue[]): void;
  /** An entry timed out. */
  timeout?(): void;
  /** The last reply in flight arrived: nothing is pending now. */
  idle?(): void;
  /** An entry that sending again might fix; `true` takes it over. */
  retry?(
    command: LostCommand,
    error: ConnectionError | ReplyError,
    mayHaveBeenApplied: boolean,
  ): boolean;
}

/** What the queue needs from its connection (the connection itself). */
export interface ReplyQueueHost {
  /** `host:port` or the socket path, for messages. */
  readonly address: string;
  /** When a byte last arrived, in epoch milliseconds. */
  readonly lastDataAt: number;
  /** RESP2: pub/sub messages then come as replies. */
  readonly protocol: 2 | 3;
  /** Called when the server sent nothing for too long with entries out. */
  destroy(error: TimeoutError): void;
}

const textDecoder = new TextDecoder();

/** Pub/sub messages; and the confirmations, by what confirms them. */
const MESSAGES = new Set(["message", "pmessage", "smessage"]);
const CONFIRMATIONS = new Set([
  "subscribe",
  "psubscribe",
  "ssubscribe",
  "unsubscribe",
  "punsubscribe",
  "sunsubscribe",
]);

/**
 * The entries of one connection, matched to replies in FIFO order. An
 * entry that times out or is aborted stays in the queue, marked settled, so
 * its replies are read and dropped when they come and later replies stay
 * matched to their own entries.
 */
export class ReplyQueue implements DecoderHandlers {
  readonly #host: ReplyQueueHost;
  readonly #events: ReplyEvents;
  readonly #commandTimeout: number;
  readonly #queue = new Queue<Pending>();
  /** The connection's decoder, whose bytes mode follows the head entry. */
  decoder!: Decoder;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the timer fires, in epoch milliseconds. */
  #timerAt = 0;
  #drainedPromise: Promise<void> | undefined;
  #resolveDrained: (() => void) | undefined;
  /** How the decoder reads replies no entry waits for (pub/sub). */
  idleBytes = false;
  /** Set once a subscription was sent: RESP2 pub/sub messages are routed. */
  subscriber = false;

  /**
   * @param host The connection: what reply mappers are told the replies
   * arrived on, and what is destroyed when the server falls silent.
   * @param events Where to report pushes, timeouts and lost commands.
   * @param commandTimeout The default timeout of an entry, in ms.
   */
  constructor(
    host: ReplyQueueHost,
    events: ReplyEvents,
    commandTimeout: number,
  ) {
    this.#host = host;
    this.#events = events;
    this.#commandTimeout = commandTimeout;
  }

  /** Entries whose replies have not all arrived. */
  get size(): number {
    return this.#queue.size;
  }

  /** Adds an entry written (or about to be) and guards its deadline. */
  add(pending: Pending): void {
    if (this.#queue.size === 0) this.#readFor(pending);
    this.#queue.push(pending);
    const options = pending.options;
    let timeout = this.#commandTimeout;
    if (options !== undefined) {
      const signal = options.signal;
      if (signal !== undefined && !this.#watch(pending, signal)) return;
      timeout = options.timeout ?? timeout;
    }
    // No deadline (0) without a timeout; a timer armed for Infinity would
    // fire at once, over and over.
    if (!(timeout > 0) || timeout === Infinity) return;
    const deadline = pending.deadline = pending.issuedAt + timeout;
    if (this.#timer === undefined) this.#armTimer(deadline);
    else if (deadline < this.#timerAt) {
      // Due before the entries ahead of it (a shorter timeout of its own).
      clearTimeout(this.#timer);
      this.#armTimer(deadline);
    }
  }

  /**
   * Rejects the entry when `signal` aborts.
   *
   * @returns Whether the entry is still pending (the signal had not
   * aborted yet).
   */
  #watch(pending: Pending, signal: AbortSignal): boolean {
    if (signal.aborted) {
      pending.finish();
      pending.reject(signal.reason);
      return false;
    }
    pending.signal = signal;
    pending.onAbort = () => {
      if (pending.settled) return;
      pending.finish();
      pending.reject(signal.reason);
    };
    signal.addEventListener("abort", pending.onAbort, { once: true });
    return true;
  }

  #armTimer(at: number): void {
    this.#timerAt = at;
    this.#timer = setTimeout(this.#onTimer, Math.max(0, at - Date.now()));
  }

  /*
   * One timer serves every entry of the connection, whatever its timeout:
   * it is armed for the earliest deadline, and moved sooner only by an
   * entry with a shorter timeout of its own. It is not cleared when the
   * queue empties; when it fires with nothing due it re-arms for the next
   * deadline or stays off.
   */
  #onTimer = (): void => {
    this.#timer = undefined;
    const now = Date.now();
    let next = Infinity;
    for (let i = 0; i < this.#queue.size; i++) {
      const pending = this.#queue.at(i)!;
      const deadline = pending.deadline;
      if (pending.settled || deadline === 0) continue;
      if (deadline > now) {
        // Entries with their own timeout can be due before older ones.
        if (deadline < next) next = deadline;
        continue;
      }
      this.#timeOut(pending);
    }
    if (this.#checkDead(now)) return;
    if (next !== Infinity) this.#armTimer(next);
  };

  #timeOut(pending: Pending): void {
    pending.finish();
    // The timeout that set the deadline, without working it out again.
    const timeout = pending.deadline - pending.issuedAt;
    pending.reject(
      new TimeoutError(
        `Cannot get a reply to ${pending.name} from ${this.#host.address} within ${timeout} ms`,
      ),
    );
    this.#events.timeout?.();
  }

  /**
   * Declares the connection dead when its oldest entry is past its time
   * and no byte has arrived for `commandTimeout`: the server or the path to
   * it is gone, and nothing more will come.
   */
  #checkDead(now: number): boolean {
    const head = this.#queue.peek();
    if (head === undefined || !head.settled) return false;
    const silentFor = now - Math.max(this.#host.lastDataAt, head.issuedAt);
    if (silentFor < this.#commandTimeout) return false;
    this.#host.destroy(
      new TimeoutError(
        `Cannot use the connection to ${this.#host.address} as it sent nothing for ${silentFor} ms with commands outstanding`,
      ),
    );
    return true;
  }

  /**
   * Matches a decoded reply with the entry at the head of the queue (the
   * decoder calls it).
   */
  reply(value: RespValue): void {
    const pending = this.#queue.peek();
    if (
      (this.subscriber && this.#host.protocol === 2 &&
        this.#routePubSub(value)) ||
      this.#confirmRefused(pending, value)
    ) return;
    if (pending === undefined) {
      throw new ProtocolError(
        "Cannot match the reply as no command is waiting for one",
      );
    }
    if (pending.kind === BATCH) {
      pending.replies!.push(value);
      if (--pending.remaining > 0) {
        this.decoder.bytes =
          pending.batch![pending.replies!.length].bytes === true;
        return;
      }
    }
    this.#shiftHead();
    if (pending.settled) return;
    pending.finish();
    const events = this.#events;
    if (pending.kind === BATCH) {
      const replies = pending.replies!;
      const loading = loadingRefusal(pending.batch!, replies);
      if (
        loading !== undefined &&
        events.retry?.(pending, loading, false) === true
      ) return;
      pending.resolve(replies);
      return;
    }
    if (value instanceof ReplyError) {
      const error = new ReplyError(value.message, pending.name);
      // A server still loading its dataset refused the command unrun.
      if (
        error.prefix === "LOADING" &&
        events.retry?.(pending, error, false) === true
      ) return;
      pending.reject(error);
      return;
    }
    try {
      pending.resolve(pending.map(value, this.#host));
    } catch (error) {
      pending.reject(error);
    }
  }

  /** Routes a RESP3 push message (the decoder calls it). */
  push(value: RespValue[]): void {
    if (!this.#routePubSub(value)) this.#events.push?.(value);
  }

  /** Takes the head entry off the queue once all its replies are in. */
  #shiftHead(): void {
    this.#queue.shift();
    const next = this.#queue.peek();
    this.#readFor(next);
    if (next === undefined) {
      this.#events.idle?.();
      this.#settleDrained();
    }
  }

  /**
   * Sets how the decoder reads the next reply: as `entry` expects it, or,
   * with no entry waiting, as pub/sub messages.
   */
  #readFor(entry: Pending | undefined): void {
    this.decoder.bytes = entry === undefined ? this.idleBytes : entry.bytes;
    this.decoder.flat = entry !== undefined && entry.flat;
  }

  /**
   * A subscription change answered with an error instead of confirmations
   * (NOPERM, or a command refused in RESP2 subscriber mode).
   */
  #confirmRefused(pending: Pending | undefined, value: RespValue): boolean {
    if (pending?.kind !== CONFIRM) return false;
    if (!(value instanceof ReplyError)) {
      throw new ProtocolError(
        `Cannot match the reply as ${pending.name} waits for confirmations`,
      );
    }
    this.#shiftHead();
    if (!pending.settled) {
      pending.finish();
      pending.reject(new ReplyError(value.message, pending.name));
    }
    return true;
  }

  /**
   * Routes a pub/sub message to the `push` event, or counts a confirmation
   * towards the subscription change at the head of the queue.
   *
   * @returns Whether the value was a pub/sub message or confirmation.
   */
  #routePubSub(value: RespValue): boolean {
    if (!Array.isArray(value)) return false;
    const head = value[0];
    const kind = typeof head === "string"
      ? head
      : head instanceof Uint8Array
      ? textDecoder.decode(head)
      : undefined;
    if (kind === undefined) return false;
    if (MESSAGES.has(kind)) {
      this.#events.push?.(value);
      return true;
    }
    if (!CONFIRMATIONS.has(kind)) return false;
    const pending = this.#queue.peek();
    if (pending?.kind === CONFIRM && pending.confirms === kind) {
      if (--pending.remaining === 0) {
        this.#shiftHead();
        if (!pending.settled) {
          pending.finish();
          pending.resolve(undefined);
        }
      }
    } else {
      // Not asked for: the server dropped a subscription by itself (a
      // shard channel whose slot moved). The owner decides what to do.
      this.#events.push?.(value);
    }
    return true;
  }

  /**
   * Resolves once nothing is in flight.
   *
   * @returns A promise for that moment.
   */
  drained(): Promise<void> {
    if (this.#queue.size === 0) return Promise.resolve();
    this.#drainedPromise ??= new Promise((resolve) =>
      this.#resolveDrained = resolve
    );
    return this.#drainedPromise;
  }

  #settleDrained(): void {
    const resolve = this.#resolveDrained;
    if (resolve === undefined) return;
    this.#drainedPromise = this.#resolveDrained = undefined;
    resolve();
  }

  /**
   * Fails every entry because the connection ended. A graceful close, a
   * protocol error or a destroy rejects each with that error; a lost
   * connection rejects each with a ConnectionError saying whether it may
   * have been applied (it was written: `seq <= writtenSeq`), unless the
   * owner takes it over to send again.
   */
  failAll(error: Error | undefined, writtenSeq: number): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const address = this.#host.address;
    for (const pending of this.#queue.drain()) {
      if (pending.settled) continue;
      pending.finish();
      if (
        error === undefined || error instanceof ProtocolError ||
        error instanceof ClosedError
      ) {
        pending.reject(
          error ??
            new ClosedError(
              `Cannot finish ${pending.name} as the connection to ${address} closed`,
            ),
        );
        continue;
      }
      const applied = pending.seq <= writtenSeq;
      const why = error instanceof TimeoutError ? ` (${error.message})` : "";
      const failure = new ConnectionError(
        applied
          ? `Cannot read the reply to ${pending.name} as the connection to ${address} was lost${why}; the command may or may not have been applied`
          : `Cannot send ${pending.name} as the connection to ${address} was lost before it was written${why}`,
        { cause: error, mayHaveBeenApplied: applied },
      );
      // The owner may take the entry over and send it again elsewhere.
      if (this.#events.retry?.(pending, failure, applied) !== true) {
        pending.reject(failure);
      }
    }
    this.#settleDrained();
  }
}
