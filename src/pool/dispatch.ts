/**
 * The dispatch policy: which shared connection a multiplexed command goes
 * to, and when the pool should open another. Kept apart from the pool's
 * queueing mechanism so it can be measured and changed on its own.
 *
 * @module
 */

/** What the policy sees of each shared connection. */
export interface Dispatchable {
  /** Commands in flight on it. */
  readonly inFlight: number;
}

/** The policy's decision. */
export interface DispatchChoice {
  /** Index of the connection to use, or -1 when there is none. */
  index: number;
  /** Whether the pool should open another connection (if below `max`). */
  grow: boolean;
}

/**
 * Commands in flight on the least busy connection before another is opened.
 * Measured with bench/pool_bench.ts: one connection pipelines 100 callers
 * well; a second helps only when the first is deep.
 */
export const GROW_DEPTH = 256;

const choice: DispatchChoice = { index: -1, grow: false };

/**
 * Least-pending dispatch: the connection with the fewest commands in flight;
 * ask for another connection when even that one is `GROW_DEPTH` deep.
 *
 * Returns the same object every call (no allocation on the hot path).
 *
 * @param connections The shared, ready connections.
 * @returns The decision.
 */
export function leastPending(
  connections: readonly Dispatchable[],
): DispatchChoice {
  const count = connections.length;
  if (count === 0) {
    choice.index = -1;
    choice.grow = true;
    return choice;
  }
  let best = 0;
  let depth = connections[0].inFlight;
  for (let i = 1; i < count && depth > 0; i++) {
    const inFlight = connections[i].inFlight;
    if (inFlight < depth) {
      best = i;
      depth = inFlight;
    }
  }
  choice.index = best;
  choice.grow = depth >= GROW_DEPTH;
  return choice;
}
