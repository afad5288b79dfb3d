/**
 * The pool's periodic maintenance: long-hold warnings, retiring
 * connections that were idle too long or lived too long, and probing idle
 * ones when asked to; and the timers that run it, one per tick length,
 * shared by every pool in the program.
 *
 * @module
 */

import type { Slot } from "./_slot.ts";

/** The settings maintenance reads, in milliseconds (0: off). */
export interface MaintenanceSettings {
  readonly idleTimeout: number;
  readonly maxLifetime: number;
  readonly longHoldWarning: number;
  readonly min: number;
  /** PING shared connections idle longer than this (0 or absent: never). */
  readonly probeInterval?: number;
}

/** What maintenance asks the pool to do. */
export interface MaintenanceActions {
  /** A lease has been held longer than `longHoldWarning`. */
  longHold(slot: Slot, heldMs: number): void;
  /**
   * Close a shared connection gracefully: idle above `min` for longer than
   * `idleTimeout`, or older than `maxLifetime` (busy or not: it takes no
   * new commands and closes once the replies in flight are in).
   */
  retire(slot: Slot, reason: "idle" | "lifetime"): void;
}

function probe(slot: Slot): void {
  // A dead connection fails the PING by its command timeout and closes.
  slot.connection.send(["PING"]).catch(() => {});
}

/** How often maintenance runs: often enough for the shortest period. */
export function maintenanceTick(settings: MaintenanceSettings): number {
  const periods = [
    settings.idleTimeout,
    settings.longHoldWarning,
    settings.maxLifetime,
    settings.probeInterval ?? 0,
  ].filter((p) => p > 0);
  return Math.max(10, Math.min(1_000, ...periods.map((p) => p / 4)));
}

/** One round of maintenance over the pool's slots. */
export function maintain(
  slots: ReadonlySet<Slot>,
  settings: MaintenanceSettings,
  actions: MaintenanceActions,
): void {
  const now = Date.now();
  let open = slots.size;
  for (const slot of [...slots]) {
    if (slot.state === "leased") {
      const heldMs = now - slot.acquiredAt;
      if (
        settings.longHoldWarning > 0 && heldMs > settings.longHoldWarning &&
        !slot.longHoldReported
      ) {
        slot.longHoldReported = true;
        actions.longHold(slot, heldMs);
      }
      continue;
    }
    if (slot.state !== "shared") continue;
    const connection = slot.connection;
    if (
      settings.maxLifetime > 0 &&
      now - connection.createdAt > settings.maxLifetime
    ) {
      open--;
      actions.retire(slot, "lifetime");
    } else if (
      settings.idleTimeout > 0 && connection.inFlight === 0 &&
      now - connection.lastUsedAt > settings.idleTimeout && open > settings.min
    ) {
      open--;
      actions.retire(slot, "idle");
    } else if (
      settings.probeInterval && connection.inFlight === 0 &&
      now - connection.lastUsedAt > settings.probeInterval
    ) probe(slot);
  }
}

/** A pool whose maintenance runs on a shared tick. */
export interface Maintained {
  /**
   * Runs one round.
   *
   * @returns Whether the pool wants more rounds.
   */
  runMaintenance(): boolean;
}

/**
 * One timer for every pool with the same tick: a process with many clients
 * runs one maintenance timer, not one each (a timer costs a few hundred
 * bytes, and most pools have the default tick). It stops when no pool
 * wants it.
 */
class Ticker {
  readonly #tick: number;
  readonly #pools = new Set<Maintained>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(tick: number) {
    this.#tick = tick;
  }

  add(pool: Maintained): void {
    this.#pools.add(pool);
    this.#timer ??= setTimeout(this.#run, this.#tick);
  }

  delete(pool: Maintained): void {
    this.#pools.delete(pool);
    if (this.#pools.size === 0) this.#stop();
  }

  #stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (tickers.get(this.#tick) === this) tickers.delete(this.#tick);
  }

  #run = (): void => {
    this.#timer = undefined;
    for (const pool of this.#pools) {
      let more = true;
      try {
        more = pool.runMaintenance();
      } catch (error) {
        // One pool's failure is not every pool's: report it as the pool's
        // own timer would have, and go on.
        queueMicrotask(() => {
          throw error;
        });
      }
      if (!more) this.#pools.delete(pool);
    }
    // A pool that started during the round (from an event listener) may
    // have armed the timer already.
    if (this.#pools.size === 0) this.#stop();
    else this.#timer ??= setTimeout(this.#run, this.#tick);
  };
}

const tickers = new Map<number, Ticker>();

/**
 * Runs `pool`'s maintenance every `tick` ms until it says it wants no
 * more, or {@linkcode stopMaintenance}.
 */
export function startMaintenance(pool: Maintained, tick: number): void {
  let ticker = tickers.get(tick);
  if (ticker === undefined) tickers.set(tick, ticker = new Ticker(tick));
  ticker.add(pool);
}

/** Stops running `pool`'s maintenance (started with the same `tick`). */
export function stopMaintenance(pool: Maintained, tick: number): void {
  tickers.get(tick)?.delete(pool);
}
