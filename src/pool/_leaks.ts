/**
 * Leak detection: a lease that becomes garbage without being released is
 * found by a `FinalizationRegistry`, which holds leases only weakly, and
 * reported with the stack of its `acquire`.
 *
 * @module
 */

import type { Slot } from "./_slot.ts";

/**
 * Where respool's own sources live, to skip its frames in stacks; worked
 * out on first use, since a bundle may give modules no usable URL.
 */
let ownSources: string | null | undefined;

function sourcesPath(): string | null {
  if (ownSources === undefined) {
    try {
      ownSources = new URL("../", import.meta.url).pathname;
    } catch {
      ownSources = null;
    }
  }
  return ownSources;
}

/**
 * The first frame of an acquire stack outside respool: the caller's line.
 * Two acquires from one line differ in their async frames, so the whole
 * stack cannot tell sites apart.
 */
function acquireSite(stack: string): string {
  const own = sourcesPath();
  if (!own) return stack;
  const lines = stack.split("\n");
  for (let i = 1; i < lines.length; i++) {
    if (!lines[i].includes(own)) return lines[i].trim();
  }
  return stack;
}

/**
 * An acquire stack without respool's own frames, so that it starts at the
 * caller's `acquire()`.
 *
 * @param stack The stack as recorded.
 * @returns The stack from the caller on.
 */
export function callerStack(stack: string): string {
  const own = sourcesPath();
  if (!own) return stack;
  return stack.split("\n").filter((line, i) => i === 0 || !line.includes(own))
    .join("\n");
}

/** What a leak report carries. */
export interface LeakReport {
  /** The stack of the `acquire` call, or a note that none was recorded. */
  readonly stack: string;
  /** How long the lease was held before it was collected, in ms. */
  readonly heldMs: number;
}

/** Tracks leases weakly and reports the ones collected unreleased. */
export class LeakTracker {
  /** Undefined where the runtime has no FinalizationRegistry. */
  readonly #registry: FinalizationRegistry<Slot> | undefined;
  readonly #recordStacks: boolean;
  readonly #warnedSites = new Set<string>();

  /**
   * @param recordStacks Whether `acquire` records its stack.
   * @param leaked Called with the slot of each lease collected unreleased.
   */
  constructor(recordStacks: boolean, leaked: (slot: Slot) => void) {
    // Workers before compatibility date 2025-05-05 have no
    // FinalizationRegistry: leases work the same, but one dropped without
    // release is neither detected nor reclaimed.
    this.#registry = typeof FinalizationRegistry === "function"
      ? new FinalizationRegistry(leaked)
      : undefined;
    this.#recordStacks = recordStacks && this.#registry !== undefined;
  }

  /** Whether leaked leases are detected at all. */
  get available(): boolean {
    return this.#registry !== undefined;
  }

  /**
   * The stack of the current call, when stacks are recorded. The Error
   * captures it now; V8 and JSC format it into text only if `.stack` is
   * read, which happens only when a leak is reported.
   */
  origin(): Error | undefined {
    return this.#recordStacks ? new Error("Lease acquired here") : undefined;
  }

  /*
   * The pool keeps no reference to a lease at all: only the registry knows
   * it, weakly, and a release unregisters it. So a finalizer call always
   * means a lease that was never released.
   */
  /** Starts watching a lease handed out on `slot`. */
  track(lease: object, slot: Slot): void {
    this.#registry?.register(lease, slot, lease);
  }

  /** Stops watching a lease (released or destroyed). */
  untrack(lease: object): void {
    this.#registry?.unregister(lease);
  }

  /**
   * Describes a leak and warns on the console once per acquire site when
   * nobody listens for `leak` events.
   *
   * @param slot The leaked lease's slot.
   * @param emit Emits the `leak` event; returns whether anyone listened.
   */
  report(slot: Slot, emit: (report: LeakReport) => boolean): void {
    const stack = slot.stack;
    const report: LeakReport = {
      stack: stack === undefined
        ? "(leak detection is off: no stack)"
        : callerStack(stack),
      heldMs: Date.now() - slot.acquiredAt,
    };
    slot.origin = undefined;
    const site = acquireSite(report.stack);
    if (!emit(report) && !this.#warnedSites.has(site)) {
      this.#warnedSites.add(site);
      console.warn(
        `respool: a lease was garbage-collected without release() after ${report.heldMs} ms; its connection was destroyed. Use \`await using\`. Acquired at:\n${report.stack}`,
      );
    }
  }
}
