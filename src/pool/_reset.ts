/**
 * Lease reset: the state a lease left on its connection, and undoing it
 * before the connection serves anyone else.
 *
 * @module
 */

import type { CommandArg } from "../resp/encode.ts";
import type { PoolConnection } from "./_slot.ts";

/** State a lease left on its connection, to be undone on release. */
export interface LeaseState {
  /** MULTI was sent without EXEC or DISCARD. */
  inMulti: boolean;
  /** WATCH was sent without EXEC, DISCARD or UNWATCH. */
  watching: boolean;
  /** The database SELECTed, when not the configured one. */
  db: number | undefined;
  /** CLIENT SETNAME changed the connection's name. */
  renamed: boolean;
  /**
   * State that cannot be undone cheaply (CLIENT TRACKING, HELLO, a blocking
   * command still waiting): the connection is destroyed instead.
   */
  unrecoverable: boolean;
}

/** A lease's state when it starts: nothing to undo. */
export function cleanState(): LeaseState {
  return {
    inMulti: false,
    watching: false,
    db: undefined,
    renamed: false,
    unrecoverable: false,
  };
}

/** Whether the lease left nothing to undo. */
export function isClean(state: LeaseState): boolean {
  return !state.inMulti && !state.watching && state.db === undefined &&
    !state.renamed;
}

/** What the connection is reset to. */
export interface ResetDefaults {
  readonly db: number;
  readonly name?: string;
}

/**
 * Sends what undoes the lease's state (DISCARD or UNWATCH, SELECT, CLIENT
 * SETNAME), all at once.
 *
 * @returns Whether the connection is clean again; false when a reset
 * failed (the caller destroys it).
 */
export async function resetConnection(
  connection: PoolConnection,
  state: LeaseState,
  defaults: ResetDefaults,
): Promise<boolean> {
  if (isClean(state)) return true;
  const resets: CommandArg[][] = [];
  if (state.inMulti) resets.push(["DISCARD"]);
  else if (state.watching) resets.push(["UNWATCH"]);
  if (state.db !== undefined) resets.push(["SELECT", defaults.db]);
  if (state.renamed) resets.push(["CLIENT", "SETNAME", defaults.name ?? ""]);
  try {
    await Promise.all(resets.map((args) => connection.send(args)));
    return true;
  } catch {
    return false;
  }
}
