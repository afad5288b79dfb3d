/**
 * Turns of the event loop, for the cache: a hit settles without I/O, so
 * reads that kept the loop busy too long wait for the next turn, which
 * lets invalidations (and everything else) in.
 *
 * @module
 */

/** A scheduled turn, to cancel. */
export type Turn = ReturnType<typeof setTimeout>;

const immediates = globalThis as {
  setImmediate?: (fn: () => void) => unknown;
  clearImmediate?: (handle: unknown) => void;
};

/**
 * Whether `setImmediate` runs after pending I/O (Node, Bun). Deno runs
 * immediates before it polls I/O, and Workers have none: there a zero
 * timeout (a millisecond or more) is what lets I/O in.
 */
const immediateAfterIo = immediates.setImmediate !== undefined &&
  !("Deno" in globalThis);

/** Runs `fn` on a later turn of the event loop, after pending I/O. */
export const nextTurn: (fn: () => void) => Turn = immediateAfterIo
  ? (fn) => immediates.setImmediate!(fn) as Turn
  : (fn) => setTimeout(fn, 0);

/** Cancels a turn from {@linkcode nextTurn}. */
export const cancelTurn: (turn: Turn) => void = immediateAfterIo
  ? (turn) => immediates.clearImmediate!(turn)
  : (turn) => clearTimeout(turn);

/**
 * How long reads may keep the event loop from turning, in milliseconds:
 * longer where a turn costs a timer's millisecond.
 */
export const TURN_MS = immediateAfterIo ? 5 : 20;
