/**
 * Argument checks shared by the collection families (lists, sets, sorted
 * sets, bitmaps): lists of keys and values, counts, scores, list ends and
 * the timeouts of blocking commands. Each names the command it builds.
 *
 * @module
 */

import { int, key, type RedisKey, type RedisValue, value } from "./_command.ts";

/** An end of a list: where LMOVE, LMPOP and friends take or put. */
export type ListEnd = "left" | "right";

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "number" ? String(v) : typeof v;
}

/** One key or a non-empty list of keys, each checked. */
export function keyList(
  command: string,
  keys: RedisKey | readonly RedisKey[],
): RedisKey[] {
  if (!Array.isArray(keys)) return [key("key", keys)];
  if (keys.length === 0) {
    throw new TypeError(`Cannot build ${command} as it needs at least one key`);
  }
  return keys.map((k, i) => key(`key ${i}`, k));
}

/** A non-empty list of values, each checked. */
export function valueList(
  command: string,
  name: string,
  values: readonly RedisValue[],
): RedisValue[] {
  if (values.length === 0) {
    throw new TypeError(
      `Cannot build ${command} as it needs at least one ${name}`,
    );
  }
  return values.map((v, i) => value(`${name} ${i}`, v));
}

/** An integer that is at least `min`. */
export function atLeast(
  command: string,
  name: string,
  n: unknown,
  min: number,
): number {
  const v = int(name, n);
  if (v < min) {
    throw new RangeError(
      `Cannot build ${command} as ${name} must be at least ${min}, got ${v}`,
    );
  }
  return v;
}

/** A score, weight or increment: any number but NaN. */
export function score(command: string, name: string, n: unknown): number {
  if (typeof n !== "number" || Number.isNaN(n)) {
    throw new TypeError(
      `Cannot build ${command} as ${name} must be a number, got ${
        typeof n === "number" ? n : n === null ? "null" : typeof n
      }`,
    );
  }
  return n;
}

/** `"left"` or `"right"` as the server spells it. */
export function listEnd(
  command: string,
  name: string,
  end: unknown,
): "LEFT" | "RIGHT" {
  if (end === "left") return "LEFT";
  if (end === "right") return "RIGHT";
  throw new TypeError(
    `Cannot build ${command} as ${name} must be "left" or "right", got ${
      typeof end === "string" ? JSON.stringify(end) : describe(end)
    }`,
  );
}

/** The timeout of a blocking command, in seconds (fractions allowed, 0 for ever). */
export function blockSeconds(command: string, timeout: unknown): number {
  if (typeof timeout !== "number" || Number.isNaN(timeout)) {
    throw new TypeError(
      `Cannot build ${command} as timeout must be a number of seconds, got ${
        describe(timeout)
      }`,
    );
  }
  if (timeout < 0 || !Number.isFinite(timeout)) {
    throw new RangeError(
      `Cannot build ${command} as timeout must be finite and at least 0 (0 waits for ever), got ${timeout}`,
    );
  }
  return timeout;
}

/** An options argument: undefined or a plain object. */
export function optionsOf<T extends object>(
  command: string,
  options: T | undefined,
): Partial<T> {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot build ${command} as options must be an object, got ${
        describe(options)
      }`,
    );
  }
  return options;
}
