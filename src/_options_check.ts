/**
 * Refusing options the library does not know, so that a typo such as
 * `comandTimeout` fails at once instead of leaving the default in place.
 *
 * @module
 */

import type { TlsOptions } from "./transport/types.ts";

/**
 * Every key of an options interface, each mapped to `true`. Declaring a
 * list of known keys as `satisfies KnownKeys<XxxOptions>` makes the type
 * checker fail when an option is added to the interface and not to the
 * list, or listed and not declared.
 */
export type KnownKeys<T> = { readonly [K in keyof T]-?: true };

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Names the known key a mistyped one most likely meant, if any. */
export type Suggest = (
  key: string,
  names: readonly string[],
) => string | undefined;

/**
 * Checks that every own enumerable key of `options` is known, those whose
 * value is `undefined` included (a typo is a typo).
 *
 * @param options The options object as given.
 * @param known The keys it may have.
 * @param subject What could not be done, for the message: "create the
 * client".
 * @param path Where the object sits in the options, for the message:
 * `"pool"`, `"sentinel.tls"`; none for the top level.
 * @throws {TypeError} When a key is unknown, naming it with its path and
 * the nearest known key, or every known key when none is near. Values are
 * never part of the message (one may be a password).
 */
export function checkKeys(
  options: object,
  known: Readonly<Record<string, true>>,
  subject: string,
  path?: string,
): void {
  checkKnownKeys(options, known, subject, path, nearest);
}

/**
 * {@linkcode checkKeys} with the suggestion of a near name left to the
 * caller (the core client makes none, and so does without the search).
 *
 * @param options The options object as given.
 * @param known The keys it may have.
 * @param subject What could not be done, for the message.
 * @param path Where the object sits in the options, for the message.
 * @param suggest Finds the known key an unknown one most likely meant.
 * @throws {TypeError} When a key is unknown, naming it with its path and
 * the suggested key, or every known key when there is none.
 */
export function checkKnownKeys(
  options: object,
  known: Readonly<Record<string, true>>,
  subject: string,
  path?: string,
  suggest?: Suggest,
): void {
  for (const key of Object.keys(options)) {
    if (Object.hasOwn(known, key)) continue;
    const names = Object.keys(known);
    const near = suggest?.(key, names);
    throw new TypeError(
      `Cannot ${subject} as ${join(path, key)} is not an option${
        near === undefined
          ? ` (known: ${names.join(", ")})`
          : `: did you mean ${join(path, near)}?`
      }`,
    );
  }
}

function join(path: string | undefined, key: string): string {
  if (!IDENTIFIER.test(key)) {
    return `${path ?? ""}[${JSON.stringify(key.slice(0, 64))}]`;
  }
  return path === undefined ? key : `${path}.${key}`;
}

/**
 * The known name a mistyped one most likely meant: the closest by edit
 * distance (case ignored, a swap of two letters counting as one edit) within
 * a third of its length, or else one that starts with it or that it starts
 * with (`heartbeat`, `poolSize`).
 */
export function nearest(
  key: string,
  names: readonly string[],
): string | undefined {
  const typed = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(typed.length / 3)) + 1;
  for (const name of names) {
    const distance = editDistance(typed, name.toLowerCase());
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  if (best !== undefined || typed.length < 3) return best;
  return names.find((name) => {
    const known = name.toLowerCase();
    return known.length >= 3 &&
      (known.startsWith(typed) || typed.startsWith(known));
  });
}

/** Optimal string alignment distance: Levenshtein plus transpositions. */
function editDistance(a: string, b: string): number {
  let previous2: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, previous2[j - 2] + 1);
      }
      current.push(distance);
    }
    previous2 = previous;
    previous = current;
  }
  return previous[b.length];
}

/**
 * Checks an integer option.
 *
 * @param name The option's path, for the message.
 * @param value The value given (or its default).
 * @param min The least value allowed.
 * @param max The greatest value allowed.
 * @param infinite Whether `Infinity` is allowed (no limit).
 * @returns The value.
 * @throws {TypeError} When it is not an integer.
 * @throws {RangeError} When it is out of range.
 */
export function integer(
  name: string,
  value: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
  infinite = false,
): number {
  if (infinite && value === Infinity) return value;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(
      `Cannot create the client as ${name} must be an integer, got ${
        typeof value === "number" ? value : typeof value
      }`,
    );
  }
  if (value < min || value > max) {
    throw new RangeError(
      `Cannot create the client as ${name} must be between ${min} and ${max}, got ${value}`,
    );
  }
  return value;
}

/** The keys of `tls` (client and sentinels). */
export const TLS_KEYS = {
  ca: true,
  servername: true,
  rejectUnauthorized: true,
} satisfies KnownKeys<TlsOptions>;

/**
 * Checks a nested options object: an object (or a boolean, when allowed)
 * whose keys are all known.
 *
 * @param value The object as given.
 * @param path Its path, for the message.
 * @param known Its known keys.
 * @param subject What could not be done, for the message.
 * @param boolean Whether a boolean is allowed in its place.
 * @throws {TypeError} When it is not an object, or has an unknown key.
 */
export function nested(
  value: unknown,
  path: string,
  known: Readonly<Record<string, true>>,
  subject: string,
  boolean: boolean,
): void {
  checkNested(value, path, known, subject, boolean, nearest);
}

/**
 * {@linkcode nested} with the suggestion of a near name left to the caller.
 *
 * @param value The object as given.
 * @param path Its path, for the message.
 * @param known Its known keys.
 * @param subject What could not be done, for the message.
 * @param boolean Whether a boolean is allowed in its place.
 * @param suggest Finds the known key an unknown one most likely meant.
 * @throws {TypeError} When it is not an object, or has an unknown key.
 */
export function checkNested(
  value: unknown,
  path: string,
  known: Readonly<Record<string, true>>,
  subject: string,
  boolean: boolean,
  suggest?: Suggest,
): void {
  if (value === undefined || (boolean && typeof value === "boolean")) return;
  if (typeof value !== "object" || value === null) {
    throw new TypeError(
      `Cannot ${subject} as ${path} must be an object${
        boolean ? " or a boolean" : ""
      }, got ${value === null ? "null" : typeof value}`,
    );
  }
  checkKnownKeys(value, known, subject, path, suggest);
}
