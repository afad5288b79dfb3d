/**
 * What the client and the cluster client share beyond their commands:
 * subscriptions, typed events and `await using`.
 *
 * @module
 */

import { type EventListenerOf, Events } from "./_events.ts";
import type { Subscription } from "./pubsub/subscription.ts";
import type { SubscriptionKind, SubscriptionOptions } from "./pubsub/types.ts";
import { RedisCommands } from "./redis_commands.ts";

/** The key of the method that opens a subscription of a kind. */
export const SUBSCRIBE: unique symbol = Symbol("respool.subscribe");

/** The key of the method that emits one of the client's events. */
export const EMIT: unique symbol = Symbol("respool.emit");

/**
 * The base of `Client` and `Cluster`: their subscriptions, their events
 * (typed by `M`), and closing with `await using`.
 */
export abstract class ClientBase<M> extends RedisCommands {
  readonly #events = new Events<M>();

  /**
   * Opens a subscription.
   *
   * @ignore
   */
  abstract [SUBSCRIBE](
    kind: SubscriptionKind,
    args: (string | SubscriptionOptions)[],
  ): Promise<Subscription<string>>;

  /**
   * Closes gracefully.
   *
   * @param timeout How long to wait, in milliseconds.
   * @returns Once everything is closed.
   */
  abstract close(timeout?: number): Promise<void>;

  /**
   * Subscribes to channels on a connection of its own and returns the
   * subscription once the server confirmed (on a cluster: on one node,
   * moving to another when it fails). Pass options as the last
   * argument: `subscribe("a", "b", { bytes: true })`.
   *
   * @example Subscribing with `await using`
   * ```ts ignore
   * await using sub = await redis.subscribe("news");
   * await redis.publish("news", "hello");
   * for await (const { message } of sub) {
   *   console.log(message);
   *   break;
   * }
   * ```
   *
   * @param args The channels, then optionally the options.
   * @returns The subscription.
   * @throws {TypeError} When no channel is given.
   */
  subscribe(
    ...args: [
      ...names: string[],
      options: SubscriptionOptions & { bytes: true },
    ]
  ): Promise<Subscription<Uint8Array>>;
  /**
   * Subscribes to channels, with payloads as strings.
   *
   * @param args The channels, then optionally the options.
   * @returns The subscription.
   */
  subscribe(
    ...args: (string | SubscriptionOptions)[]
  ): Promise<Subscription<string>>;
  subscribe(
    ...args: (string | SubscriptionOptions)[]
  ): Promise<Subscription<string> | Subscription<Uint8Array>> {
    return this[SUBSCRIBE]("subscribe", args);
  }

  /**
   * Subscribes to glob-style patterns on a connection of its own.
   *
   * @param args The patterns, then optionally the options.
   * @returns The subscription.
   */
  psubscribe(
    ...args: [
      ...names: string[],
      options: SubscriptionOptions & { bytes: true },
    ]
  ): Promise<Subscription<Uint8Array>>;
  /**
   * Subscribes to patterns, with payloads as strings.
   *
   * @param args The patterns, then optionally the options.
   * @returns The subscription.
   */
  psubscribe(
    ...args: (string | SubscriptionOptions)[]
  ): Promise<Subscription<string>>;
  psubscribe(
    ...args: (string | SubscriptionOptions)[]
  ): Promise<Subscription<string> | Subscription<Uint8Array>> {
    return this[SUBSCRIBE]("psubscribe", args);
  }

  /**
   * Subscribes to shard channels (Redis 7) on a connection of its own; on
   * a cluster, on the primary serving their slot (they must share one),
   * following it when the slot moves or the primary fails over (messages
   * published meanwhile are missed: see the `reconnect` event's
   * `downtimeMs`).
   *
   * @param args The shard channels, then optionally the options.
   * @returns The subscription.
   */
  ssubscribe(
    ...args: [
      ...names: string[],
      options: SubscriptionOptions & { bytes: true },
    ]
  ): Promise<Subscription<Uint8Array>>;
  /**
   * Subscribes to shard channels, with payloads as strings.
   *
   * @param args The shard channels, then optionally the options.
   * @returns The subscription.
   */
  ssubscribe(
    ...args: (string | SubscriptionOptions)[]
  ): Promise<Subscription<string>>;
  ssubscribe(
    ...args: (string | SubscriptionOptions)[]
  ): Promise<Subscription<string> | Subscription<Uint8Array>> {
    return this[SUBSCRIBE]("ssubscribe", args);
  }

  /**
   * Closes; called by `await using`.
   *
   * @returns Once closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Listens for an event.
   *
   * @param type The event.
   * @param listener Called with a `CustomEvent` whose `detail` describes it.
   * @param options As for `EventTarget.addEventListener`.
   */
  addEventListener<K extends keyof M & string>(
    type: K,
    listener: EventListenerOf<M, K>,
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
  removeEventListener<K extends keyof M & string>(
    type: K,
    listener: EventListenerOf<M, K>,
  ): void {
    this.#events.remove(type, listener);
  }

  /**
   * Emits an event when anyone listens.
   *
   * @ignore
   */
  [EMIT](type: string, detail: unknown): boolean {
    return this.#events.emit(type as keyof M & string, detail as never);
  }
}
