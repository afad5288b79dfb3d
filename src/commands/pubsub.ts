/**
 * Pub/sub commands that run on the shared connections (subscribing needs a
 * connection of its own: see `client.subscribe()`).
 *
 * @module
 */

import { type Command, command, value } from "./_command.ts";
import { ProtocolError } from "../errors.ts";
import type { RespValue } from "../resp/decode.ts";
import { toNumber } from "./_reply.ts";

const textDecoder = new TextDecoder();

function text(reply: RespValue): string {
  return reply instanceof Uint8Array
    ? textDecoder.decode(reply)
    : String(reply);
}

function toStrings(reply: RespValue): string[] {
  if (Array.isArray(reply)) return reply.map(text);
  if (reply instanceof Set) return [...reply].map(text);
  throw new ProtocolError("Cannot read the reply as an array was expected");
}

function toCounts(reply: RespValue): Record<string, number> {
  const out: Record<string, number> = {};
  if (reply instanceof Map) {
    for (const [k, v] of reply) out[text(k)] = Number(v);
  } else if (Array.isArray(reply)) {
    for (let i = 0; i < reply.length; i += 2) {
      out[text(reply[i])] = Number(reply[i + 1]);
    }
  } else {throw new ProtocolError(
      "Cannot read the reply as pairs were expected",
    );}
  return out;
}

/** Pub/sub commands for the shared connections. */
export class PubSubCommands {
  /**
   * PUBLISH: sends a message to a channel.
   *
   * @param channel The channel.
   * @param message The message.
   * @returns How many subscribers received it.
   */
  publish(channel: string, message: string | Uint8Array): Command<number> {
    return command(
      ["PUBLISH", value("channel", channel), value("message", message)],
      toNumber,
    );
  }

  /**
   * SPUBLISH: sends a message to a shard channel (Redis 7); on a cluster it
   * goes to the node serving the channel's slot.
   *
   * @example Publishing to a shard channel
   * ```ts ignore
   * const receivers = await redis.spublish("orders", "new");
   * ```
   *
   * @param channel The shard channel.
   * @param message The message.
   * @returns How many subscribers of that shard received it.
   */
  spublish(channel: string, message: string | Uint8Array): Command<number> {
    return command(
      ["SPUBLISH", value("channel", channel), value("message", message)],
      toNumber,
    );
  }

  /**
   * PUBSUB CHANNELS: the channels with at least one subscriber.
   *
   * @param pattern Only channels matching this glob-style pattern.
   * @returns The channel names.
   */
  pubsubChannels(pattern?: string): Command<string[]> {
    return command(
      pattern === undefined
        ? ["PUBSUB", "CHANNELS"]
        : ["PUBSUB", "CHANNELS", value("pattern", pattern)],
      toStrings,
    );
  }

  /**
   * PUBSUB NUMSUB: the number of subscribers of each channel.
   *
   * @param channels The channels.
   * @returns Subscribers by channel.
   */
  pubsubNumsub(...channels: string[]): Command<Record<string, number>> {
    return command(
      ["PUBSUB", "NUMSUB", ...channels.map((c, i) => value(`channel ${i}`, c))],
      toCounts,
    );
  }

  /**
   * PUBSUB NUMPAT: the number of pattern subscriptions.
   *
   * @returns The count.
   */
  pubsubNumpat(): Command<number> {
    return command(["PUBSUB", "NUMPAT"], toNumber);
  }
}
