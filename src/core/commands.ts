/**
 * What the core client and its leases share: `send()` for any command,
 * `run()` for a command built by a command family, and `pipeline()`.
 *
 * @module
 */

import type { CommandOptions } from "../connection/connection.ts";
import type { Command } from "../commands/_command.ts";
import type { SendOptions } from "../commands/scan.ts";
import { checkCommand, RUN, SHARED } from "../_executor.ts";
import { CommandBase } from "../_command_base.ts";
import { CorePipeline } from "../batch/core_pipeline.ts";

export type { SendOptions };

/**
 * The commands of the core client and of its leases: `send()` for any
 * command, `run()` for one built by a command family (`strings.get("k")`),
 * and pipelines of both.
 */
export abstract class CoreCommands extends CommandBase {
  /**
   * Runs a command built by a command family and returns its typed reply.
   *
   * @example Typed commands
   * ```ts ignore
   * import { createClient, hashes, strings } from "@respool/redis/core";
   *
   * await using redis = createClient("redis://127.0.0.1:6379");
   * const hits: number = await redis.run(strings.incr("hits"));
   * await redis.run(hashes.hset("user:1", { name: "Ada" }));
   * ```
   *
   * @param command The command, from a family's builder.
   * @param options A per-call `timeout` and `signal`.
   * @returns The command's typed reply.
   * @throws {TypeError} When `command` was not built by a command family.
   * @throws {ReplyError} When the server answers with an error.
   */
  run<T>(
    command: Command<T>,
    options?: Pick<CommandOptions, "timeout" | "signal">,
  ): Promise<T> {
    try {
      checkCommand(command, "run");
    } catch (error) {
      return Promise.reject(error);
    }
    return this[RUN](command, options);
  }

  /**
   * Starts a pipeline: commands queued locally, sent in one write by
   * `exec()`, which resolves to every result (or error) in order.
   *
   * @example Several commands in one round trip
   * ```ts ignore
   * const [n, ttl] = await redis.pipeline()
   *   .add(strings.incr("n"))
   *   .send(["TTL", "n"])
   *   .exec();
   * ```
   *
   * @returns An empty pipeline.
   */
  pipeline(): CorePipeline {
    return new CorePipeline(this, this[SHARED]);
  }
}
