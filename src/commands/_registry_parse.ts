/**
 * Parsing the registry's compact table (src/commands/_registry_data.ts):
 * key spec lines and blocking-timeout rules.
 *
 * @module
 */

import type { BeginSearch, FindKeys, KeyAccess, KeySpec } from "./registry.ts";

/** Where a blocking command's timeout is, and in what unit. */
export interface TimeoutRule {
  /** An index into the args (negative: from the end), or the token before. */
  readonly at: number | string;
  readonly seconds: boolean;
  /** Tokens that may precede the timeout's token, with their value counts. */
  readonly before: ReadonlyMap<string, number>;
}

/**
 * Parses a key spec line: `begin find flags`.
 *
 * @param line The line.
 * @returns The key spec.
 */
export function parseKeySpec(line: string): KeySpec {
  const [begin, find, flagText] = line.split(" ");
  const [a, b, c] = find.slice(1).split(":").map(Number);
  const flags = Object.freeze(flagText ? flagText.split("+") : []);
  const colon = begin.lastIndexOf(":");
  return Object.freeze({
    beginSearch: Object.freeze(
      begin[0] === "i"
        ? { type: "index", index: Number(begin.slice(1)) }
        : begin[0] === "k"
        ? {
          type: "keyword",
          keyword: begin.slice(1, colon),
          startFrom: Number(begin.slice(colon + 1)),
        }
        : { type: "unknown" },
    ) as BeginSearch,
    findKeys: Object.freeze(
      find[0] === "r"
        ? { type: "range", lastKey: a, keyStep: b, limit: c }
        : find[0] === "n"
        ? { type: "keynum", keyNumIndex: a, firstKey: b, keyStep: c }
        : { type: "unknown" },
    ) as FindKeys,
    access: flags.find((f) => /^R[OWM]$|^OW$/.test(f)) as KeyAccess | undefined,
    flags,
  });
}

/**
 * Parses a timeout rule: `<s|m><index or TOKEN>` and the tokens that may
 * precede it.
 *
 * @param text The rule.
 * @returns The rule, parsed.
 */
export function parseTimeout(text: string): TimeoutRule {
  const [head, ...tokens] = text.split(" ");
  const at = head.slice(1);
  const before = new Map<string, number>();
  for (const token of tokens) {
    const eq = token.lastIndexOf("=");
    before.set(token.slice(0, eq), Number(token.slice(eq + 1)));
  }
  return {
    at: /^-?\d+$/.test(at) ? Number(at) : at,
    seconds: head[0] === "s",
    before,
  };
}
