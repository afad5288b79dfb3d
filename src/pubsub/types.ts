/**
 * The public types of pub/sub: what a subscription yields, its options, its
 * events, what it needs from the client, and the arguments it takes.
 *
 * @module
 */

import type { Lease } from "../lease.ts";
import type { AcquireOptions } from "../pool/types.ts";
import type { RetryPolicy } from "../policy/retry.ts";
import { checkKeys, type KnownKeys } from "../_options_check.ts";

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
  /**
   * How often the subscribed connection is checked with a PING, in
   * milliseconds; a connection that does not answer within the next
   * interval is declared dead, replaced and resubscribed, so a connection
   * that died silently is noticed within twice this time (`Infinity`: no
   * heartbeat).
   *
   * @default {10000}
   */
  heartbeatInterval?: number;
}

const SUBSCRIPTION_KEYS = {
  bytes: true,
  maxBuffered: true,
  heartbeatInterval: true,
} satisfies KnownKeys<SubscriptionOptions>;

/** The `detail` of each event a subscription emits. */
export interface SubscriptionEventMap {
  /**
   * The connection was lost and a new one is subscribed to everything
   * again: messages published in between (`downtimeMs`) were missed.
   */
  reconnect: { attempt: number; downtimeMs: number; error: Error | undefined };
  /** Reconnecting or resubscribing failed; it tries again after a delay. */
  error: { error: Error };
}

/** What a subscription needs from the client. */
export interface SubscriptionHost {
  /** Leases a connection for the subscription. */
  acquire(options?: AcquireOptions): Promise<Lease>;
  /** When to try again after the connection was lost. */
  readonly reconnect: RetryPolicy;
  /** Whether the client was closed (the subscription then ends). */
  readonly closed: boolean;
  /** Called once when the subscription ends. */
  ended?(): void;
}

/** What `client.subscribe()` and its kin subscribe to. */
export type SubscriptionKind = "subscribe" | "psubscribe" | "ssubscribe";
/** Every kind, in the order subscriptions are restored. */
export const KINDS: readonly SubscriptionKind[] = [
  "subscribe",
  "psubscribe",
  "ssubscribe",
];
/** The command that undoes each kind. */
export const UNSUBSCRIBE: Record<SubscriptionKind, string> = {
  subscribe: "UNSUBSCRIBE",
  psubscribe: "PUNSUBSCRIBE",
  ssubscribe: "SUNSUBSCRIBE",
};

/**
 * Splits the arguments of `client.subscribe()` and its kin: the names, then
 * optionally the options.
 *
 * @param kind Which kind of names, for the message.
 * @param args The arguments as passed.
 * @returns The names and the options.
 * @throws {TypeError} When no name is given, or the options have a key that
 * is not an option.
 */
export function subscribeArgs(
  kind: SubscriptionKind,
  args: (string | SubscriptionOptions)[],
): { names: string[]; options: SubscriptionOptions } {
  const last = args.at(-1);
  const options = typeof last === "object" && last !== null
    ? args.pop() as SubscriptionOptions
    : {};
  if (args.length === 0) {
    throw new TypeError(`Cannot ${kind} as no name was given`);
  }
  checkKeys(options, SUBSCRIPTION_KEYS, kind);
  return { names: args as string[], options };
}
