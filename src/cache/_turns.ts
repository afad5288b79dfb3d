/**
 * Turns of the event loop, for the cache: a hit settles without I/O, so
 * reads that kept the loop busy too long wait for the next turn, which
 * lets invalidations (and everything else) in; there they are answered
 * first, in the order they came.
 *
 * @module
 */

/** A scheduled turn, to cancel. */
type Turn = ReturnType<typeof setTimeout>;

const immediates = globalThis as {
  setImmediate?: (fn: () => void) => unknown;
  clearImmediate?: (handle: unknown) => void;
};

/**
 * Whether `setImmediate` runs after pending I/O (Node, Bun). Deno runs
 * immediates before it polls I/O, and Workers have none: there a zero
 * timeout (a millisecond or more) is what lets I/O in.
 */
const immediateAfterIo = !("Deno" in globalThis) &&
  // Read only off Deno: there the first read of setImmediate loads Deno's
  // Node compatibility layer (tens of milliseconds at start-up).
  immediates.setImmediate !== undefined;

/** Runs `fn` on a later turn of the event loop, after pending I/O. */
const nextTurn: (fn: () => void) => Turn = immediateAfterIo
  ? (fn) => immediates.setImmediate!(fn) as Turn
  : (fn) => setTimeout(fn, 0);

/** Cancels a turn from {@linkcode nextTurn}. */
const cancelTurn: (turn: Turn) => void = immediateAfterIo
  ? (turn) => immediates.clearImmediate!(turn)
  : (turn) => clearTimeout(turn);

/**
 * How long reads may keep the event loop from turning, in milliseconds:
 * longer where a turn costs a timer's millisecond.
 */
const TURN_MS = immediateAfterIo ? 5 : 20;

/**
 * How long reads have kept the event loop from turning. Hits settle without
 * I/O, so a loop of them would never let invalidations (or anything else)
 * in: past {@linkcode TURN_MS}, reads wait for the next macrotask. There
 * they are answered before any other read, so a caller whose hits keep
 * coming cannot keep another's read waiting turn after turn.
 */
export class TurnBudget {
  /** Set by the first read of a macrotask, cleared when the next one runs. */
  #turn: Turn | undefined;
  #start = 0;
  #reads = 0;
  #over = false;
  /** Reads past the budget, for the next turn, in the order they came. */
  #waiting: (() => void)[] = [];
  /** The time (for `ttl`): read at each turn and every 64 reads. */
  now = 0;

  /**
   * Counts a read.
   *
   * @returns Whether the budget is spent: the read must {@linkcode TurnBudget.wait}.
   */
  spent(): boolean {
    if (this.#turn === undefined) {
      this.#turn = nextTurn(this.#turned);
      this.now = this.#start = Date.now();
      this.#reads = 0;
      return false;
    }
    if (this.#over) return true;
    if ((++this.#reads & 63) !== 0) return false;
    this.now = Date.now();
    return this.#over = this.now - this.#start >= TURN_MS;
  }

  /** Runs `read` first thing on the next turn, after those before it. */
  wait(read: () => void): void {
    this.#waiting.push(read);
  }

  /**
   * Runs the waiting reads now, in the order they came (on the next turn,
   * or at once when the client starts to close: they were issued before,
   * so they are answered as replies in flight are).
   */
  answerWaiting(): void {
    const waiting = this.#waiting;
    if (waiting.length === 0) return;
    this.#waiting = [];
    this.now = Date.now();
    // Their callers continue in microtasks after all of them are answered.
    for (const read of waiting) read();
  }

  /** Cancels the next turn and runs the waiting reads. */
  close(): void {
    if (this.#turn !== undefined) cancelTurn(this.#turn);
    this.#turned();
  }

  readonly #turned = (): void => {
    this.#turn = undefined;
    this.#over = false;
    this.answerWaiting();
  };
}
