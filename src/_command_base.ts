/**
 * The base of every class that sends commands (clients, leases, views, the
 * core client): the two symbol-keyed methods its subclass implements, the
 * getters pipelines and `scan()` read, and `send()` for any command.
 *
 * @module
 */

import type { RespValue } from "./resp/decode.ts";
import type { CommandArg } from "./resp/encode.ts";
import type { CommandOptions } from "./connection/connection.ts";
import type { Command } from "./commands/_command.ts";
import type { SendOptions } from "./commands/scan.ts";
import type { KeyPrefix } from "./_prefix.ts";
import { BATCH, PREFIX, RUN, sendArgs, SHARED } from "./_executor.ts";

/**
 * Sends commands: `send()` for any command, on top of the two methods a
 * client, a lease or a view implements.
 */
export abstract class CommandBase {
  /**
   * Whether commands go over the client's shared connections.
   *
   * @ignore
   */
  get [SHARED](): boolean {
    return false;
  }

  /**
   * The `keyPrefix` commands get, if any.
   *
   * @ignore
   */
  get [PREFIX](): KeyPrefix | undefined {
    return undefined;
  }

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
   * Sends built commands as one unit on one connection: one write, nothing
   * from other callers between them, one timeout and one retry.
   *
   * @param commands The commands, in order.
   * @param options A timeout and a signal for the whole unit.
   * @returns The raw replies in order (server errors as values).
   */
  abstract [BATCH](
    commands: readonly Command<unknown>[],
    options?: CommandOptions,
  ): Promise<RespValue[]>;

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
   * (RESP3 sets), `null`, or bytes. Under RESP2 the same commands answer
   * with flat arrays instead of maps and sets; `flat: true` gives those
   * shapes under RESP3 too (see {@linkcode SendOptions.flat} for what
   * still differs).
   * @throws {ReplyError} When the server answers with an error.
   */
  send(
    args: readonly CommandArg[],
    options?: SendOptions,
  ): Promise<RespValue> {
    return sendArgs(this, args, options);
  }
}
