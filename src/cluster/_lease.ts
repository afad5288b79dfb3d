/**
 * What a cluster hands out and walks: a lease on one node whose
 * transactions must keep to one slot, and the commands of one node (for
 * SCAN, which walks each primary with a cursor of its own).
 *
 * @module
 */

import { type Command, sendOptions } from "../commands/_command.ts";
import type { CommandOptions, Connection } from "../connection/connection.ts";
import { Lease } from "../lease.ts";
import type { Pool } from "../pool/pool.ts";
import type { RespValue } from "../resp/decode.ts";
import { BATCH, PREFIX, RedisCommands, RUN } from "../redis_commands.ts";
import { transactionSlot } from "./_combine.ts";

/**
 * A lease on one cluster node. Like any lease, plus: a transaction whose
 * keys span slots is refused before MULTI is sent.
 */
export class ClusterLease extends Lease {
  /**
   * Sends built commands as one unit; a MULTI block is checked first.
   *
   * @param commands The commands, in order.
   * @param options A timeout and a signal for the whole unit.
   * @returns The raw replies in order.
   */
  override [BATCH](
    commands: readonly Command<unknown>[],
    options?: CommandOptions,
  ): Promise<RespValue[]> {
    if (commands[0]?.args[0] === "MULTI") {
      try {
        // The slots of the keys as the server will see them.
        const prefix = this[PREFIX];
        if (prefix !== undefined) commands = prefix.batch(commands);
        transactionSlot(commands);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return super[BATCH](commands, options);
  }
}

/** The commands of one node's pool, multiplexed. */
export class NodeCommands extends RedisCommands {
  readonly #pool: Pool<Connection, ClusterLease>;

  constructor(pool: Pool<Connection, ClusterLease>) {
    super();
    this.#pool = pool;
  }

  override [RUN]<T>(command: Command<T>, options?: CommandOptions): Promise<T> {
    return this.#pool.run(
      command.args,
      command.map,
      sendOptions(command, options),
    );
  }

  override [BATCH](
    commands: readonly Command<unknown>[],
    options?: CommandOptions,
  ): Promise<RespValue[]> {
    return this.#pool.runBatch(commands, options);
  }
}
