/**
 * Connection and server commands.
 *
 * @module
 */

import { type Command, command, value } from "./_command.ts";
import { toString } from "./_reply.ts";

/** Connection and server commands. */
export class ServerCommands {
  /**
   * PING: checks the connection.
   *
   * @param message A message to echo instead of PONG.
   * @returns `"PONG"` or the message.
   */
  ping(message?: string): Command<string> {
    return command(
      message === undefined ? ["PING"] : ["PING", value("message", message)],
      toString,
    );
  }
}
