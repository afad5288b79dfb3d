/**
 * Pub/sub: a subscription holds a connection of its own, yields messages as
 * an async iterable, checks its connection with a heartbeat, and
 * resubscribes after a reconnect.
 *
 * @module
 */

import { ClosedError, ConnectionError } from "../errors.ts";
import type { RespValue } from "../resp/decode.ts";
import type { Connection } from "../connection/connection.ts";
import { type Lease, leaseSlot } from "../lease.ts";
import { Events } from "../_events.ts";
import { Inbox, text } from "./_inbox.ts";
import { Heartbeat } from "./_heartbeat.ts";
import {
  KINDS,
  type SubscriptionEventMap,
  type SubscriptionHost,
  type SubscriptionKind,
  type SubscriptionMessage,
  type SubscriptionOptions,
  UNSUBSCRIBE,
} from "./types.ts";

export type {
  SubscriptionEventMap,
  SubscriptionHost,
  SubscriptionKind,
  SubscriptionMessage,
  SubscriptionOptions,
};

/**
 * A connection that lived shorter than this, in milliseconds, before it was
 * lost does not reset the reconnect policy's attempt count: a server that
 * accepts subscriptions and drops them at once is retried with backoff.
 */
const STABLE_AFTER = 1_000;

/** The kind each unsubscribe push ends. */
const DROPS: Record<string, SubscriptionKind | undefined> = {
  unsubscribe: "subscribe",
  punsubscribe: "psubscribe",
  sunsubscribe: "ssubscribe",
};

/**
 * A pub/sub subscription on a connection of its own (it counts against the
 * pool's leases). Iterate it with `for await`; subscribe to more channels
 * and patterns with its methods; `await using` (or `close()`) ends it and
 * frees the connection.
 *
 * A PING every `heartbeatInterval` finds a connection that died silently.
 * After a lost connection it reconnects with the client's reconnect policy
 * and subscribes again to every channel and pattern, then emits a
 * `reconnect` event: messages published while it was disconnected are
 * lost, as in Redis itself. A subscription the server refuses (NOPERM)
 * rejects the call that asked for it.
 *
 * @example Reading messages
 * ```ts ignore
 * await using sub = await redis.subscribe("news");
 * sub.addEventListener("reconnect", (e) => console.warn("missed up to", e.detail.downtimeMs, "ms"));
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
  readonly #inbox: Inbox<M>;
  readonly #targets: Record<SubscriptionKind, Set<string>> = {
    subscribe: new Set(),
    psubscribe: new Set(),
    ssubscribe: new Set(),
  };
  readonly #events = new Events<SubscriptionEventMap>();
  #lease: Lease | undefined;
  #connection: Connection | undefined;
  #closed = false;
  #reconnects = 0;
  #ready: Promise<void> = Promise.resolve();
  readonly #heartbeat: Heartbeat;
  /** Reconnect attempts since the last connection that stayed up. */
  #attempts = 0;
  #upSince = 0;
  #wake: (() => void) | undefined;

  /**
   * Constructs a subscription; use `client.subscribe()` instead.
   *
   * @param host The client.
   * @param options Bytes mode, buffer bound and heartbeat.
   */
  constructor(host: SubscriptionHost, options: SubscriptionOptions = {}) {
    this.#host = host;
    this.#bytes = options.bytes ?? false;
    const maxBuffered = options.maxBuffered ?? 10_000;
    if (!Number.isInteger(maxBuffered) || maxBuffered < 1) {
      throw new RangeError(
        `Cannot subscribe as maxBuffered must be a positive integer, got ${maxBuffered}`,
      );
    }
    this.#inbox = new Inbox(this.#bytes, maxBuffered);
    const interval = options.heartbeatInterval ?? 10_000;
    if (typeof interval !== "number" || !(interval > 0)) {
      throw new RangeError(
        `Cannot subscribe as heartbeatInterval must be more than 0 milliseconds (Infinity for none), got ${interval}`,
      );
    }
    this.#heartbeat = new Heartbeat(interval);
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
    return this.#inbox.dropped;
  }

  /** Times the connection was lost and the subscription restored. */
  get reconnects(): number {
    return this.#reconnects;
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
   * @throws {ReplyError} When the server refuses (NOPERM).
   */
  subscribe(...channels: string[]): Promise<void> {
    return this.#change("subscribe", channels, true);
  }

  /**
   * Subscribes to more patterns (`news.*`).
   *
   * @param patterns The glob-style patterns.
   * @returns Once the server confirmed every one.
   * @throws {ReplyError} When the server refuses (NOPERM).
   */
  psubscribe(...patterns: string[]): Promise<void> {
    return this.#change("psubscribe", patterns, true);
  }

  /**
   * Subscribes to more shard channels (Redis 7).
   *
   * @param channels The shard channels.
   * @returns Once the server confirmed every one.
   * @throws {ReplyError} When the server refuses (NOPERM).
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

  async #change(
    kind: SubscriptionKind,
    names: string[],
    add: boolean,
  ): Promise<void> {
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
    const affected = add
      ? names.filter((name) => !targets.has(name))
      : names.length > 0
      ? names.filter((name) => targets.has(name))
      : [...targets];
    if (affected.length === 0) return;
    for (const name of affected) {
      if (add) targets.add(name);
      else targets.delete(name);
    }
    const connection = this.#connection;
    if (connection === undefined) return;
    try {
      await this.#send(connection, kind, affected, add);
    } catch (error) {
      if (connection.state === "ready") {
        // Refused by the server: it holds what it held before.
        for (const name of affected) {
          if (add) targets.delete(name);
          else targets.add(name);
        }
        throw error;
      }
      // The connection was lost meanwhile: the next one subscribes to
      // every target, these included.
      await connection.closed;
      await this.#ready;
    }
  }

  /** Sends (UN)SUBSCRIBE; resolves once each name is confirmed. */
  #send(
    connection: Connection,
    kind: SubscriptionKind,
    names: string[],
    add: boolean,
  ): Promise<void> {
    return connection.sendConfirmed(
      [add ? kind.toUpperCase() : UNSUBSCRIBE[kind], ...names],
      names.length,
    );
  }

  /**
   * Takes a connection and subscribes to `names`; closes the subscription
   * again when that fails.
   *
   * @returns This subscription, once the server confirmed every name.
   * @throws {ReplyError} When the server refuses (NOPERM).
   */
  async open(kind: SubscriptionKind, names: string[]): Promise<this> {
    try {
      await this.start();
      await this.#change(kind, names, true);
    } catch (error) {
      await this.close();
      throw error;
    }
    return this;
  }

  /**
   * Takes a lease and subscribes to everything wanted.
   *
   * @throws {ReplyError} When the server refuses a subscription.
   */
  async start(): Promise<void> {
    const lease = await this.#host.acquire();
    const slot = leaseSlot(lease);
    if (slot === undefined || this.#closed) {
      lease.destroy();
      return;
    }
    // A subscription holds its connection for as long as it lives: that is
    // not the long hold the longhold event warns about.
    slot.longHoldReported = true;
    const connection = slot.connection as unknown as Connection;
    connection.pushBytes = this.#bytes;
    slot.onPush = (message) => {
      if (this.#dropped(message)) {
        // The server ended a subscription nobody asked to end (a shard
        // channel's slot moved away): subscribe afresh, where the host now
        // routes it.
        connection.destroy(
          new ConnectionError(
            `Cannot stay subscribed to ${
              text(message[1])
            } on ${connection.address} as the server unsubscribed it (its slot moved)`,
          ),
        );
      } else this.#inbox.push(message);
    };
    try {
      await Promise.all(
        KINDS.filter((kind) => this.#targets[kind].size > 0).map((kind) =>
          this.#send(connection, kind, [...this.#targets[kind]], true)
        ),
      );
    } catch (error) {
      lease.destroy();
      throw error;
    }
    if (this.#closed) {
      lease.destroy();
      return;
    }
    this.#lease = lease;
    this.#connection = connection;
    this.#upSince = Date.now();
    connection.closed.then(() => this.#onLost(connection));
    this.#heartbeat.start(connection);
  }

  /** Whether a push is the server unsubscribing a name still wanted. */
  #dropped(message: RespValue[]): boolean {
    const kind = DROPS[text(message[0])];
    return kind !== undefined && message[1] !== null &&
      this.#targets[kind].has(text(message[1]));
  }

  #onLost(connection: Connection): void {
    if (this.#closed || this.#connection !== connection) return;
    this.#connection = undefined;
    this.#heartbeat.stop();
    this.#lease?.destroy();
    this.#lease = undefined;
    if (Date.now() - this.#upSince >= STABLE_AFTER) this.#attempts = 0;
    this.#ready = this.#reconnect(connection.error);
  }

  async #reconnect(cause: Error | undefined): Promise<void> {
    const lostAt = Date.now();
    let error = cause;
    for (;;) {
      if (this.#closed || this.#host.closed) {
        this.#end();
        return;
      }
      const attempt = ++this.#attempts;
      // The first try after a connection that stayed up is immediate.
      const delay = attempt === 1
        ? 0
        : this.#host.reconnect(attempt - 1, error!);
      if (delay === undefined) {
        this.#end();
        return;
      }
      if (delay > 0) await this.#sleep(delay);
      if (this.#closed || this.#host.closed) continue;
      try {
        await this.start();
        if (this.#closed) return;
        this.#reconnects++;
        this.#emit("reconnect", {
          attempt,
          downtimeMs: Date.now() - lostAt,
          error: cause,
        });
        return;
      } catch (failure) {
        error = failure as Error;
        this.#emit("error", { error });
      }
    }
  }

  /** Waits `ms`, or less when the subscription closes meanwhile. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  #end(): void {
    if (!this.#closed) this.#host.ended?.();
    this.#closed = true;
    this.#heartbeat.stop();
    this.#wake?.();
    this.#inbox.end();
  }

  /**
   * Ends the subscription at once: its connection is closed (which
   * unsubscribes it server-side) and its pool slot freed; iterators finish.
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
   * Listens for an event: `reconnect` or `error`.
   *
   * @param type The event.
   * @param listener Called with a `CustomEvent` whose `detail` describes it.
   * @param options As for `EventTarget.addEventListener`.
   */
  addEventListener<K extends keyof SubscriptionEventMap>(
    type: K,
    listener: (event: CustomEvent<SubscriptionEventMap[K]>) => void,
    options?: AddEventListenerOptions,
  ): void {
    this.#events.add(type, listener, options);
  }

  /**
   * Stops listening for an event.
   *
   * @param type The event.
   * @param listener The listener passed to `addEventListener`.
   */
  removeEventListener<K extends keyof SubscriptionEventMap>(
    type: K,
    listener: (event: CustomEvent<SubscriptionEventMap[K]>) => void,
  ): void {
    this.#events.remove(type, listener);
  }

  #emit<K extends keyof SubscriptionEventMap>(
    type: K,
    detail: SubscriptionEventMap[K],
  ): void {
    this.#events.emit(type, detail);
  }

  /**
   * Iterates the messages. Breaking out of the loop does not close the
   * subscription; close it (or let `await using` do it).
   *
   * @returns The iterator.
   */
  [Symbol.asyncIterator](): AsyncIterator<SubscriptionMessage<M>> {
    return this.#inbox.iterator();
  }
}
