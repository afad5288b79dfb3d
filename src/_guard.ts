/**
 * Which commands may go where, read from the command registry: one rule
 * for `client.send()`, leases, pipelines and transactions, so that they
 * refuse the same commands with the same words.
 *
 * @module
 */

import type { CommandFacts } from "./commands/_facts.ts";

/** Where a command is going. */
export type Destination =
  | "client"
  | "lease"
  | "pipeline"
  | "transaction";

/**
 * Why a command may not be sent where it is going, or undefined when it
 * may.
 *
 * - Anywhere: commands whose replies would no longer match their commands
 *   (SUBSCRIBE and its kin, MONITOR, CLIENT REPLY), and, in a pipeline,
 *   commands that block (their wait needs a timeout and a cancel of its
 *   own, which a pipeline's one unit cannot give).
 * - On the shared connections (`shared`): commands that change connection
 *   state, which would leak into other callers' commands; and WAIT, whose
 *   answer is about the connection's own writes.
 *
 * @param spec The command's facts (or its registry entry).
 * @param to Where it is going.
 * @param shared Whether that is the client's shared connections.
 * @param blocks Whether it would block the connection with these args
 * (only a pipeline asks: a transaction's commands do not block).
 * @returns The message of the `TypeError` to throw, or undefined.
 */
export function refusal(
  spec: Pick<CommandFacts, "name" | "effect">,
  to: Destination,
  shared: boolean,
  blocks: boolean,
): string | undefined {
  const name = spec.name;
  const verb = to === "pipeline" || to === "transaction"
    ? `queue ${name} in a ${to}`
    : `send ${name}`;
  const on = to === "lease"
    ? " on a lease"
    : shared
    ? " on the shared connections"
    : "";
  switch (spec.effect) {
    case "subscribe":
      return `Cannot ${verb}${on} as its replies arrive as pub/sub messages: use client.subscribe(), psubscribe() or ssubscribe()`;
    case "takeover":
      return `Cannot ${verb}${on} as the connection would stop answering commands`;
    case "replymode":
      return `Cannot ${verb}${on} as later commands would get no reply to match`;
  }
  if (blocks) {
    return `Cannot ${verb} as it blocks: send it on its own, with a timeout of its own`;
  }
  if (!shared) return undefined;
  const instead = to === "pipeline" || to === "transaction"
    ? `use a ${to} on a lease from client.acquire()`
    : "send it on a lease from client.acquire()";
  if (spec.effect === "ownwrites") {
    return `Cannot ${verb}${on} as it answers about the connection's own writes, which other callers share: send the writes and ${name} on a lease from client.acquire()`;
  }
  if (spec.effect !== undefined) {
    return `Cannot ${verb}${on} as it changes connection state: ${instead}`;
  }
  return undefined;
}
