/**
 * Connection and server commands.
 *
 * @module
 */

import { type Command, command, value } from "./_command.ts";
import { toString } from "./_reply.ts";

/** PING: `"PONG"`, or the message when one is given. */
export function ping(message?: string): Command<string> {
  return command(
    message === undefined ? ["PING"] : ["PING", value("message", message)],
    toString,
  );
}
