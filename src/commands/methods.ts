/**
 * The typed command methods shared by {@linkcode Client} and
 * {@linkcode Lease}. They are derived from the builder table: each method
 * builds its command with the family's builder and hands it to the
 * executor, so a command is defined once, in its family's file.
 *
 * @module
 */

import type { CommandArg } from "../resp/encode.ts";
import type { RespValue } from "../resp/decode.ts";
import type { CommandOptions } from "../connection.ts";
import type { Command } from "./_command.ts";
import { commands, type CommandTable } from "./table.ts";

/** Options of {@linkcode RedisCommands.send}. */
export interface SendOptions extends CommandOptions {}

/**
 * The key of the method that runs a built command; clients and leases
 * implement it.
 */
export const RUN: unique symbol = Symbol("respool.run");

/** Each builder of the table as a method returning a promise of its reply. */
export type AsyncCommands = {
  [K in keyof CommandTable]: CommandTable[K] extends
    (...args: infer A) => Command<infer T> ? (...args: A) => Promise<T>
    : never;
};

/**
 * The key of the method that sends commands back to back on one connection
 * (one write, nothing in between); clients and leases implement it.
 */
export const BATCH: unique symbol = Symbol("respool.batch");

const identity = (reply: RespValue): RespValue => reply;

/**
 * The typed methods of {@linkcode RedisCommands}, one per builder. (The
 * class and this interface merge: the interface declares the derived
 * methods, `installCommands` below installs them.)
 */
export interface RedisCommands extends AsyncCommands {}

/**
 * The command methods of clients and leases: `send()` for any command, and a
 * typed method for each command in the builder table.
 */
export abstract class RedisCommands {
  /**
   * Runs one built command.
   *
   * @param command The command and its reply mapper.
   * @param options Per-call options.
   * @returns The mapped reply.
   */
  abstract [RUN]<T>(
    command: Command<T>,
    options?: CommandOptions,
  ): Promise<T>;

  /**
   * Sends built commands back to back on one connection, in one write, with
   * nothing from other callers between them.
   *
   * @param commands The commands, in order.
   * @param options Per-call options applied to each command.
   * @returns One promise per command, for its mapped reply.
   */
  abstract [BATCH](
    commands: readonly Command<unknown>[],
    options?: CommandOptions,
  ): Promise<Promise<unknown>[]>;

  /**
   * Sends any command and returns the server's reply as decoded.
   *
   * @example Sending a command that has no typed method
   * ```ts ignore
   * const length = await redis.send(["STRLEN", "greeting"]);
   * const raw = await redis.send(["GET", "greeting"], { bytes: true }); // Uint8Array
   * ```
   *
   * @param args The command name and its arguments.
   * @param options `bytes: true` returns bulk strings as `Uint8Array`; also a
   * per-call `timeout` and `signal`.
   * @returns The reply: strings, numbers, arrays, `Map`s (RESP3 maps), `Set`s
   * (RESP3 sets), `null`, or bytes.
   * @throws {ReplyError} When the server answers with an error.
   */
  send(
    args: readonly CommandArg[],
    options?: SendOptions,
  ): Promise<RespValue> {
    if (!Array.isArray(args)) {
      return Promise.reject(
        new TypeError(
          `Cannot send the command as args must be an array, got ${typeof args}`,
        ),
      );
    }
    return this[RUN]({ args: args as CommandArg[], map: identity }, options);
  }
}

/**
 * Installs one method per builder on `prototype`: the method builds the
 * command and passes it to `target(this, command)`.
 *
 * @param prototype The class prototype to extend.
 * @param target What a method does with the built command.
 */
export function installCommands(
  prototype: object,
  target: (self: unknown, command: Command<unknown>) => unknown,
): void {
  for (const name of Object.keys(commands) as (keyof CommandTable)[]) {
    // Own methods of the class (hand-tuned hot paths) win.
    if (Object.hasOwn(prototype, name)) continue;
    const build = commands[name] as (...args: unknown[]) => Command<unknown>;
    Object.defineProperty(prototype, name, {
      value: function (this: unknown, ...args: unknown[]) {
        return target(this, build(...args));
      },
      writable: true,
      configurable: true,
    });
  }
}

installCommands(
  RedisCommands.prototype,
  (self, command) => (self as RedisCommands)[RUN](command),
);
