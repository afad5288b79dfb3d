/**
 * The pieces every executor of built commands shares: the symbols clients
 * and leases implement, and `installCommands`, which derives one method per
 * builder of the table. They live apart from `methods.ts` so that pipelines
 * and transactions (which `methods.ts` creates) can use them without an
 * import cycle.
 *
 * @module
 */

import type { Command } from "./_command.ts";
import { commands, type CommandTable } from "./table.ts";

/**
 * The key of the method that runs a built command; clients and leases
 * implement it.
 */
export const RUN: unique symbol = Symbol("respool.run");

/**
 * The key of the method that sends commands back to back on one connection
 * (one write, nothing in between); clients and leases implement it.
 */
export const BATCH: unique symbol = Symbol("respool.batch");

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
