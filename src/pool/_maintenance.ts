/**
 * The pool's periodic maintenance: long-hold warnings, retiring
 * connections that were idle too long or lived too long, and probing idle
 * ones when asked to.
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
