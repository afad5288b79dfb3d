/**
 * `keyPrefix`: the prefix put before every key a command names, found by
 * the registry's key positions, so that several applications (or tenants)
 * can share one database. Channels are not keys and are left alone.
 *
 * @module
 */

import type { Command } from "./commands/_command.ts";
import { commandSpec, keyPositions } from "./commands/registry.ts";
import type { CommandArg } from "./resp/encode.ts";

const utf8 = new TextEncoder();

/** Upper case of an argument that may be a keyword. */
function word(arg: CommandArg | undefined): string {
  return typeof arg === "string" ? arg.toUpperCase() : "";
}

/**
 * SORT's keys, which its key specs leave to the server: the key, BY and
 * GET patterns (they name keys: `weight_*`, `user_*->name`; not a BY
 * without `*`, which only turns sorting off, nor GET `#`), STORE's key.
 */
function sortKeys(args: readonly CommandArg[]): number[] {
  const positions = [1];
  for (let i = 2; i < args.length; i++) {
    const token = word(args[i]);
    if (token === "LIMIT") i += 2;
    else if (token === "BY") {
      if (String(args[i + 1]).includes("*")) positions.push(i + 1);
      i++;
    } else if (token === "GET") {
      if (args[i + 1] !== "#") positions.push(i + 1);
      i++;
    } else if (token === "STORE") positions.push(++i);
  }
  return positions.filter((at) => at < args.length);
}

/** A prefix, ready to put before string and byte keys. */
export class KeyPrefix {
  /** The prefix as given. */
  readonly text: string;
  readonly #bytes: Uint8Array;

  /**
   * @param text The prefix.
   */
  constructor(text: string) {
    this.text = text;
    this.#bytes = utf8.encode(text);
  }

  /**
   * A key with the prefix.
   *
   * @param key The key as the caller named it.
   * @returns The key as the server sees it.
   */
  add(key: CommandArg): CommandArg {
    if (key instanceof Uint8Array) {
      const out = new Uint8Array(this.#bytes.length + key.length);
      out.set(this.#bytes);
      out.set(key, this.#bytes.length);
      return out;
    }
    return this.text + String(key);
  }

  /**
   * A key without the prefix (keys SCAN yields).
   *
   * @param key The key as the server named it.
   * @returns The key as the caller names it.
   */
  strip<K extends string | Uint8Array>(key: K): K {
    if (typeof key === "string") {
      return (key.startsWith(this.text)
        ? key.slice(this.text.length)
        : key) as K;
    }
    const prefix = this.#bytes;
    if (key.length < prefix.length) return key;
    for (let i = 0; i < prefix.length; i++) {
      if (key[i] !== prefix[i]) return key;
    }
    return key.subarray(prefix.length) as K;
  }

  /**
   * A SCAN pattern for the caller's pattern under the prefix: the prefix's
   * glob characters escaped.
   *
   * @param pattern The caller's pattern (`*` when none).
   * @returns The pattern to send.
   */
  pattern(pattern: string | undefined): string {
    return this.text.replace(/[*?[\]\\]/g, "\\$&") + (pattern ?? "*");
  }

  /**
   * The command with the prefix put before each of its keys.
   *
   * @param command The command as built.
   * @returns A copy with prefixed keys (or the command itself when it has
   * none, or was prefixed already).
   * @throws {TypeError} When the registry cannot say where its keys are
   * (an unknown command, or key specs the registry cannot follow): sending
   * it unprefixed could touch another application's keys.
   */
  command<T>(command: Command<T>): Command<T> {
    if (command.prefixed) return command;
    const args = command.args;
    const spec = commandSpec(args);
    const name = typeof args[0] === "string"
      ? args[0].toUpperCase()
      : "the command";
    if (spec === undefined) {
      throw new TypeError(
        `Cannot send ${name} with keyPrefix as the client does not know the command, so not where its keys are`,
      );
    }
    if (spec.keySpecs.length === 0) return command;
    const positions = spec.name === "SORT" || spec.name === "SORT_RO"
      ? sortKeys(args)
      : keyPositions(spec, args);
    if (positions === undefined) {
      throw new TypeError(
        `Cannot send ${name} with keyPrefix as the client cannot tell which of its arguments are keys`,
      );
    }
    const prefixed = args.slice();
    for (const at of positions) prefixed[at] = this.add(args[at]);
    return {
      args: prefixed,
      map: command.map,
      bytes: command.bytes,
      prefixed: true,
    };
  }

  /**
   * Every command of a batch with its keys prefixed.
   *
   * @param commands The batch.
   * @returns The prefixed batch.
   */
  batch(commands: readonly Command<unknown>[]): Command<unknown>[] {
    return commands.map((command) => this.command(command));
  }
}
