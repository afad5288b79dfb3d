/**
 * Pub/sub: a subscription holds a connection of its own, yields messages as
 * an async iterable, and resubscribes after a reconnect.
 *
 * @module
 */

import { ClosedError } from "./errors.ts";
import type { Connection } from "./connection.ts";
import type { RespValue } from "./resp/decode.ts";
import { type Lease, leaseSlot } from "./pool/lease.ts";
import type { AcquireOptions } from "./pool/pool.ts";
import type { RetryPolicy } from "./policy/retry.ts";

/** One message received by a {@linkcode Subscription}. */
export interface SubscriptionMessage<M extends string | Uint8Array = string> {
  /** The channel it was published to. */
  channel: string;
  /** The pattern that matched, for `psubscribe` subscriptions. */
  pattern?: string;
  /** The payload. */
  message: M;
  /** Whether it came through a shard channel (`ssubscribe`). */
  shard?: boolean;
}

/** Options of `client.subscribe()`. */
export interface SubscriptionOptions {
  /**
   * Deliver payloads as `Uint8Array` instead of strings.
   *
   * @default {false}
   */
  bytes?: boolean;
  /**
   * The most messages kept while nobody iterates; past it the oldest are
   * dropped and counted in {@linkcode Subscription.dropped}.
   *
   * @default {10000}
   */
  maxBuffered?: number;
}

/** What a subscription needs from the client. */
export interface SubscriptionHost {
  /** Leases a connection for the subscription. */
  acquire(options?: AcquireOptions): Promise<Lease>;
  /** When to try again after the connection was lost. */
  readonly reconnect: RetryPolicy;
  /** Whether the client was closed (the subscription then ends). */
  readonly closed: boolean;
}

type Kind = "subscribe" | "psubscribe" | "ssubscribe";
const UNSUBSCRIBE: Record<Kind, string> = {
  subscribe: "UNSUBSCRIBE",
  psubscribe: "PUNSUBSCRIBE",
  ssubscribe: "SUNSUBSCRIBE",
};
const CONFIRMS: Record<string, Kind> = {
  subscribe: "subscribe",
  psubscribe: "psubscribe",
  ssubscribe: "ssubscribe",
  unsubscribe: "subscribe",
  punsubscribe: "psubscribe",
  sunsubscribe: "ssubscribe",
};

const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

function text(value: RespValue): string {
  return value instanceof Uint8Array
    ? textDecoder.decode(value)
    : String(value);
}

/**
 * A pub/sub subscription on a connection of its own (it counts against the
 * pool's `max`). Iterate it with `for await`; subscribe to more channels and
 * patterns with its methods; `await using` (or `close()`) ends it and frees
 * the connection. After a lost connection it reconnects with the client's
 * reconnect policy and subscribes again to every channel and pattern;
 * messages published while it was disconnected are lost, as in Redis itself.
 *
 * @example Reading messages
 * ```ts ignore
 * await using sub = await redis.subscribe("news");
 * for await (const { channel, message } of sub) {
 *   console.log(channel, message);
 *   if (message === "bye") break;
 * }
 * ```
 */
export class Subscription<M extends string | Uint8Array = string>
  implements AsyncIterable<SubscriptionMessage<M>>, AsyncDisposable {
  readonly #host: SubscriptionHost;
  readonly #bytes: boolean;
  readonly #maxBuffered: number;
  readonly #targets: Record<Kind, Set<string>> = {
    subscribe: new Set(),
    psubscribe: new Set(),
    ssubscribe: new Set(),
  };
  /** Confirmations awaited, by kind and name. */
  readonly #awaiting = new Map<string, Array<() => void>>();
  #buffer: SubscriptionMessage<M>[] = [];
  #readers: Array<(result: IteratorResult<SubscriptionMessage<M>>) => void> =
    [];
  #lease: Lease | undefined;
  #connection: Connection | undefined;
  #closed = false;
  #dropped = 0;
  #ready: Promise<void> = Promise.resolve();

  /**
   * Constructs a subscription; use `client.subscribe()` instead.
   *
   * @param host The client.
   * @param options Bytes mode and buffer bound.
   */
  constructor(host: SubscriptionHost, options: SubscriptionOptions = {}) {
    this.#host = host;
    this.#bytes = options.bytes ?? false;
    this.#maxBuffered = options.maxBuffered ?? 10_000;
    if (!Number.isInteger(this.#maxBuffered) || this.#maxBuffered < 1) {
      throw new RangeError(
        `Cannot subscribe as maxBuffered must be a positive integer, got ${this.#maxBuffered}`,
      );
    }
  }

  /** The channels subscribed to. */
  get channels(): ReadonlySet<string> {
    return this.#targets.subscribe;
  }

  /** The patterns subscribed to. */
  get patterns(): ReadonlySet<string> {
    return this.#targets.psubscribe;
  }

  /** The shard channels subscribed to. */
  get shardChannels(): ReadonlySet<string> {
    return this.#targets.ssubscribe;
  }

  /** Messages dropped because the buffer was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Whether the subscription was closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Subscribes to more channels.
   *
   * @param channels The channels.
   * @returns Once the server confirmed every one.
   */
  subscribe(...channels: string[]): Promise<void> {
    return this.#change("subscribe", channels, true);
  }

  /**
   * Subscribes to more patterns (`news.*`).
   *
   * @param patterns The glob-style patterns.
   * @returns Once the server confirmed every one.
   */
  psubscribe(...patterns: string[]): Promise<void> {
    return this.#change("psubscribe", patterns, true);
  }

  /**
   * Subscribes to more shard channels (Redis 7).
   *
   * @param channels The shard channels.
   * @returns Once the server confirmed every one.
   */
  ssubscribe(...channels: string[]): Promise<void> {
    return this.#change("ssubscribe", channels, true);
  }

  /**
   * Unsubscribes from channels; with none, from every channel.
   *
   * @param channels The channels.
   * @returns Once the server confirmed.
   */
  unsubscribe(...channels: string[]): Promise<void> {
    return this.#change("subscribe", channels, false);
  }

  /**
   * Unsubscribes from patterns; with none, from every pattern.
   *
   * @param patterns The patterns.
   * @returns Once the server confirmed.
   */
  punsubscribe(...patterns: string[]): Promise<void> {
    return this.#change("psubscribe", patterns, false);
  }

  /**
   * Unsubscribes from shard channels; with none, from every one.
   *
   * @param channels The shard channels.
   * @returns Once the server confirmed.
   */
  sunsubscribe(...channels: string[]): Promise<void> {
    return this.#change("ssubscribe", channels, false);
  }

  async #change(kind: Kind, names: string[], add: boolean): Promise<void> {
    for (const [i, name] of names.entries()) {
      if (typeof name !== "string") {
        throw new TypeError(
          `Cannot ${
            add ? "" : "un"
          }subscribe as name ${i} must be a string, got ${typeof name}`,
        );
      }
    }
    if (this.#closed) {
      throw new ClosedError(`Cannot ${kind} as the subscription is closed`);
    }
    if (add && names.length === 0) {
      throw new TypeError(`Cannot ${kind} as no name was given`);
    }
    await this.#ready;
    const targets = this.#targets[kind];
    const affected = add || names.length > 0 ? names : [...targets];
    for (const name of affected) {
      if (add) targets.add(name);
      else targets.delete(name);
    }
    if (affected.length === 0) return;
    await this.#send(kind, affected, add);
  }

  /** Sends (UN)SUBSCRIBE and waits for one confirmation per name. */
  #send(kind: Kind, names: string[], add: boolean): Promise<void> {
    const connection = this.#connection;
    if (connection === undefined) return Promise.resolve();
    const confirmations = names.map((name) =>
      new Promise<void>((resolve) => {
        const key = `${kind}:${add ? "+" : "-"}${name}`;
        const list = this.#awaiting.get(key);
        if (list) list.push(resolve);
        else this.#awaiting.set(key, [resolve]);
      })
    );
    connection.sendNoReply([
      add ? kind.toUpperCase() : UNSUBSCRIBE[kind],
      ...names,
    ]);
    // A connection lost meanwhile resubscribes everything on the next one;
    // nobody waits for confirmations that will never come.
    return Promise.race([
      Promise.all(confirmations).then(() => {}),
      connection.closed,
    ]);
  }

  /** Takes a lease and subscribes to everything wanted. */
  async start(): Promise<void> {
    const lease = await this.#host.acquire();
    const slot = leaseSlot(lease);
    if (slot === undefined || this.#closed) {
      lease.destroy();
      return;
    }
    this.#lease = lease;
    // A subscription holds its connection for as long as it lives: that is
    // not the long hold the longhold event warns about.
    slot.longHoldReported = true;
    const connection = slot.connection as unknown as Connection;
    this.#connection = connection;
    connection.subscriber = true;
    connection.pushBytes = this.#bytes;
    slot.onPush = (message) => this.#onPush(message);
    connection.closed.then(() => this.#onLost(connection));
    const pending: Promise<void>[] = [];
    for (const kind of ["subscribe", "psubscribe", "ssubscribe"] as const) {
      const names = [...this.#targets[kind]];
      if (names.length > 0) pending.push(this.#send(kind, names, true));
    }
    await Promise.all(pending);
  }

  #onLost(connection: Connection): void {
    if (this.#closed || this.#connection !== connection) return;
    this.#connection = undefined;
    this.#lease?.destroy();
    this.#lease = undefined;
    this.#ready = this.#reconnect();
  }

  async #reconnect(): Promise<void> {
    for (let attempt = 1; !this.#closed; attempt++) {
      if (this.#host.closed) {
        this.#end();
        return;
      }
      try {
        await this.start();
        return;
      } catch (error) {
        const delay = this.#host.reconnect(attempt, error as Error);
        if (delay === undefined || this.#host.closed) {
          this.#end();
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  #onPush(message: RespValue[]): void {
    const kind = text(message[0]);
    if (kind === "message" || kind === "smessage") {
      this.#deliver({
        channel: text(message[1]),
        message: this.#payload(message[2]),
        ...(kind === "smessage" ? { shard: true } : {}),
      });
      return;
    }
    if (kind === "pmessage") {
      this.#deliver({
        pattern: text(message[1]),
        channel: text(message[2]),
        message: this.#payload(message[3]),
      });
      return;
    }
    const confirmed = CONFIRMS[kind];
    if (confirmed === undefined) return;
    const add = !kind.includes("unsub");
    const key = `${confirmed}:${add ? "+" : "-"}${text(message[1])}`;
    const list = this.#awaiting.get(key);
    const resolve = list?.shift();
    if (list?.length === 0) this.#awaiting.delete(key);
    resolve?.();
  }

  #payload(value: RespValue): M {
    if (this.#bytes) {
      return (value instanceof Uint8Array
        ? value
        : textEncoder.encode(String(value))) as M;
    }
    return text(value) as M;
  }

  #deliver(message: SubscriptionMessage<M>): void {
    const reader = this.#readers.shift();
    if (reader) {
      reader({ value: message, done: false });
      return;
    }
    if (this.#buffer.length >= this.#maxBuffered) {
      this.#buffer.shift();
      this.#dropped++;
    }
    this.#buffer.push(message);
  }

  #end(): void {
    this.#closed = true;
    for (const reader of this.#readers.splice(0)) {
      reader({ value: undefined, done: true });
    }
    for (const list of this.#awaiting.values()) {
      for (const resolve of list) resolve();
    }
    this.#awaiting.clear();
  }

  /**
   * Ends the subscription: its connection is closed (which unsubscribes it
   * server-side) and its pool slot freed; iterators finish.
   *
   * @returns Once done.
   */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#end();
    const lease = this.#lease;
    this.#lease = undefined;
    this.#connection = undefined;
    lease?.destroy();
    return Promise.resolve();
  }

  /**
   * Closes the subscription; called by `await using`.
   *
   * @returns Once closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Iterates the messages. Breaking out of the loop does not close the
   * subscription; close it (or let `await using` do it).
   *
   * @returns The iterator.
   */
  [Symbol.asyncIterator](): AsyncIterator<SubscriptionMessage<M>> {
    return {
      next: () => {
        const value = this.#buffer.shift();
        if (value !== undefined) return Promise.resolve({ value, done: false });
        if (this.#closed) {
          return Promise.resolve({ value: undefined, done: true });
        }
        return new Promise((resolve) => this.#readers.push(resolve));
      },
      return: () => Promise.resolve({ value: undefined, done: true }),
    };
  }
}
