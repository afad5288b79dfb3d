/**
 * Pub/sub on a cluster: classic subscriptions on any primary, shard
 * subscriptions on the primary serving their channels' slot, each moving
 * when its node fails or its slot moves.
 *
 * @module
 */

import { ClusterError, ReplyError } from "../errors.ts";
import type { RetryPolicy } from "../policy/retry.ts";
import { Subscription } from "../pubsub/subscription.ts";
import {
  subscribeArgs,
  type SubscriptionKind,
  type SubscriptionOptions,
} from "../pubsub/types.ts";
import { keySlot } from "../router/slot.ts";
import { parseRedirect } from "./_combine.ts";
import type { ClusterLease } from "./_lease.ts";
import type { Router } from "./_router.ts";

/** What a cluster subscription needs of the cluster. */
export interface SubscribeSettings {
  readonly reconnect: RetryPolicy;
  readonly maxRedirections: number;
  /** The cluster's open subscriptions (closed first by `close()`). */
  readonly subscriptions: Set<{ close(): Promise<void> }>;
}

/** Applies a MOVED reply to the map; whether it was one. */
function learn(router: Router<ClusterLease>, error: unknown): boolean {
  if (!(error instanceof ReplyError)) return false;
  if (error.prefix === "CLUSTERDOWN") router.requestRefresh();
  const target = error.prefix === "MOVED" && parseRedirect(error);
  if (target) router.moved(target.slot, target.address);
  return Boolean(target);
}

/**
 * Opens a subscription whose connection comes from the node that should
 * serve it now: any primary, or for shard channels the primary of their
 * slot.
 *
 * @param router The cluster's router.
 * @param kind subscribe, psubscribe or ssubscribe.
 * @param args The names, then optionally the options.
 * @param settings Reconnect policy, redirection bound, the cluster's set.
 * @returns The subscription, once the server confirmed.
 * @throws {TypeError} When shard channels are in several slots.
 */
export async function clusterSubscribe(
  router: Router<ClusterLease>,
  kind: SubscriptionKind,
  args: (string | SubscriptionOptions)[],
  settings: SubscribeSettings,
): Promise<Subscription<string>> {
  const { names, options } = subscribeArgs(kind, args);
  let slot: number | undefined;
  if (kind === "ssubscribe") {
    const slots = [...new Set(names.map(keySlot))];
    if (slots.length > 1) {
      throw new TypeError(
        `Cannot subscribe as the shard channels are in slots ${
          slots.join(", ")
        }: subscribe to each slot's channels separately, or use a {hash tag}`,
      );
    }
    slot = slots[0];
  }
  const subscriptions = settings.subscriptions;
  for (let redirections = 0;; redirections++) {
    const subscription: Subscription<string> = new Subscription<string>({
      acquire: async (o) => {
        await router.whenReady();
        const node = slot === undefined
          ? router.anyPrimary()
          : router.primary(slot);
        if (node === undefined) {
          router.requestRefresh();
          throw new ClusterError(
            `Cannot subscribe as no node serves slot ${slot}`,
            slot,
          );
        }
        return await router.pool(node).acquire(o);
      },
      reconnect: settings.reconnect,
      get closed() {
        return router.closed;
      },
      ended: () => subscriptions.delete(subscription),
    }, options);
    // A refused resubscription (MOVED after the slot moved) updates the
    // map, so the next attempt goes to the new owner.
    subscription.addEventListener(
      "error",
      (e) => learn(router, e.detail.error),
    );
    subscriptions.add(subscription);
    try {
      return await subscription.open(kind, names);
    } catch (error) {
      if (!learn(router, error) || redirections >= settings.maxRedirections) {
        throw error;
      }
    }
  }
}
