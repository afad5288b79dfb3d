/**
 * Argument and reply shapes shared by the list families (`lists.ts` and the
 * blocking ones in `list_blocking.ts`): the keys and end of LMPOP and
 * BLMPOP, and the popped elements of BLPOP, BRPOP, LMPOP and BLMPOP.
 *
 * @module
 */

import type { RedisKey } from "./_command.ts";
import {
  atLeast,
  keyList,
  type ListEnd,
  listEnd,
  optionsOf,
} from "./_collection_args.ts";
import { toValue, toValues, unexpected } from "./_reply.ts";
import type { RespValue } from "../resp/decode.ts";
import type { CommandArg } from "../resp/encode.ts";

/** Options of LMPOP and BLMPOP. */
export interface LMPopOptions {
  /**
   * Pop up to this many elements (at least 1).
   *
   * @default {1}
   */
  count?: number;
}

/**
 * One element popped by BLPOP or BRPOP, with the key it came from.
 *
 * @typeParam V `string`, or `Uint8Array` from a view made by
 * `withOptions({ bytes: true })`.
 */
export interface PoppedElement<V extends string | Uint8Array = string> {
  /** The key the element was popped from. */
  key: V;
  /** The element. */
  element: V;
}

/**
 * Elements popped by LMPOP or BLMPOP, with the key they came from.
 *
 * @typeParam V `string`, or `Uint8Array` from a view made by
 * `withOptions({ bytes: true })`.
 */
export interface PoppedElements<V extends string | Uint8Array = string> {
  /** The key the elements were popped from. */
  key: V;
  /** The elements, in the order they were popped. */
  elements: V[];
}

/** `[key, element]` (BLPOP, BRPOP) or null when the wait timed out. */
export function toPoppedElement(reply: RespValue): PoppedElement | null {
  if (reply === null) return null;
  if (Array.isArray(reply) && reply.length === 2) {
    return { key: toValue(reply[0]), element: toValue(reply[1]) };
  }
  return unexpected("a [key, element] pair", reply);
}

/** `[key, [elements]]` (LMPOP, BLMPOP) or null when nothing was popped. */
export function toPoppedElements(reply: RespValue): PoppedElements | null {
  if (reply === null) return null;
  if (Array.isArray(reply) && reply.length === 2) {
    return { key: toValue(reply[0]), elements: toValues(reply[1]) };
  }
  return unexpected("a [key, elements] pair", reply);
}

/** `numkeys key... LEFT|RIGHT [COUNT count]` of LMPOP and BLMPOP. */
export function lmpopArgs(
  name: string,
  keys: RedisKey | readonly RedisKey[],
  from: ListEnd,
  options: LMPopOptions | undefined,
): CommandArg[] {
  const list = keyList(name, keys);
  const args: CommandArg[] = [
    list.length,
    ...list,
    listEnd(name, "from", from),
  ];
  const { count } = optionsOf(name, options);
  if (count !== undefined) args.push("COUNT", atLeast(name, "count", count, 1));
  return args;
}
