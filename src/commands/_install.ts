/**
 * Derives one method per builder of the command table, for the classes
 * that send commands (clients, leases) and those that queue them
 * (pipelines, transactions). It reads only the table: what a method does
 * with the built command is the caller's.
 *
 * @module
 */

import type { Command } from "./_command.ts";
import { commands, type CommandTable } from "./table.ts";

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
