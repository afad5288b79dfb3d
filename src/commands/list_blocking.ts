/**
 * Blocking list commands: BLPOP, BRPOP, BLMOVE, BLMPOP. Through the client
 * each runs on a lease of its own, and a timeout or abort cancels the
 * server's wait (CLIENT UNBLOCK).
 *
 * @module
 */

import { type Command, command, key, type RedisKey } from "./_command.ts";
import {
  blockSeconds,
  keyList,
  type ListEnd,
  listEnd,
} from "./_collection_args.ts";
import { toValueOrNull } from "./_reply.ts";
import type { CommandArg } from "../resp/encode.ts";
import {
  lmpopArgs,
  type LMPopOptions,
  type PoppedElement,
  type PoppedElements,
  toPoppedElement,
  toPoppedElements,
} from "./_list_args.ts";

/** Blocking list commands: each waits for an element, up to `timeout`. */
export class BlockingListCommands {
  /**
   * BLPOP: pops the first element of the first non-empty list, waiting for
   * one when all are empty. Through the client it runs on a connection of
   * its own, so it never delays other commands.
   *
   * @example Waiting up to 5 seconds for a job
   * ```ts ignore
   * const popped = await redis.blpop(["jobs:high", "jobs:low"], 5);
   * if (popped) console.log(popped.key, popped.element);
   * ```
   *
   * @param keys The key, or the keys in the order to try them.
   * @param timeout How long to wait, in seconds (fractions allowed; 0 waits
   * for ever).
   * @returns The key and the element, or null when the wait timed out.
   */
  blpop(
    keys: RedisKey | readonly RedisKey[],
    timeout: number,
  ): Command<PoppedElement | null> {
    const list = keyList("BLPOP", keys);
    const seconds = blockSeconds("BLPOP", timeout);
    return command(["BLPOP", ...list, seconds], toPoppedElement);
  }

  /**
   * BRPOP: pops the last element of the first non-empty list, waiting for
   * one when all are empty. Through the client it runs on a connection of
   * its own.
   *
   * @param keys The key, or the keys in the order to try them.
   * @param timeout How long to wait, in seconds (fractions allowed; 0 waits
   * for ever).
   * @returns The key and the element, or null when the wait timed out.
   */
  brpop(
    keys: RedisKey | readonly RedisKey[],
    timeout: number,
  ): Command<PoppedElement | null> {
    const list = keyList("BRPOP", keys);
    const seconds = blockSeconds("BRPOP", timeout);
    return command(["BRPOP", ...list, seconds], toPoppedElement);
  }

  /**
   * BLMOVE: LMOVE that waits for an element when `source` is empty. Through
   * the client it runs on a connection of its own.
   *
   * @param source The list to pop from.
   * @param destination The list to push onto.
   * @param from The end of `source` to pop from.
   * @param to The end of `destination` to push onto.
   * @param timeout How long to wait, in seconds (fractions allowed; 0 waits
   * for ever).
   * @returns The element moved, or null when the wait timed out.
   */
  blmove(
    source: RedisKey,
    destination: RedisKey,
    from: ListEnd,
    to: ListEnd,
    timeout: number,
  ): Command<string | null> {
    const args: CommandArg[] = [
      "BLMOVE",
      key("source", source),
      key("destination", destination),
      listEnd("BLMOVE", "from", from),
      listEnd("BLMOVE", "to", to),
    ];
    const seconds = blockSeconds("BLMOVE", timeout);
    args.push(seconds);
    return command(args, toValueOrNull);
  }

  /**
   * BLMPOP: LMPOP that waits for an element when every list is empty.
   * Through the client it runs on a connection of its own.
   *
   * @param keys The key, or the keys in the order to try them.
   * @param from The end to pop from.
   * @param timeout How long to wait, in seconds (fractions allowed; 0 waits
   * for ever).
   * @param options `count`: how many elements to pop at most.
   * @returns The key and the elements popped, or null when the wait timed
   * out.
   */
  blmpop(
    keys: RedisKey | readonly RedisKey[],
    from: ListEnd,
    timeout: number,
    options?: LMPopOptions,
  ): Command<PoppedElements | null> {
    const rest = lmpopArgs("BLMPOP", keys, from, options);
    const seconds = blockSeconds("BLMPOP", timeout);
    return command(["BLMPOP", seconds, ...rest], toPoppedElements);
  }
}
