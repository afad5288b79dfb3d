/**
 * Leak detection: a lease that becomes garbage without being released is
 * found by a `FinalizationRegistry`, which holds leases only weakly, and
 * reported with the stack of its `acquire` when one was recorded.
 *
 * Every lease is tracked; recording a stack is what costs (an `Error` per
 * `acquire`, about 5 µs on Deno and Node, 0.3 µs on Bun), so by default only a sample of
 * acquires records one, and a pool that reports a leak without a stack
 * records one for every acquire from then on: the next leak from the same
 * place carries it. Netty's `ResourceLeakDetector` works the same way.
 *
 * @module
 */

import type { Slot } from "./_slot.ts";

/**
 * How leaked leases are detected: `"sample"` tracks every lease and records
 * the acquire stack of one in {@linkcode SAMPLE_EVERY}, `"always"` records
 * it for every lease, `false` tracks nothing.
 */
export type LeakDetection = "sample" | "always" | false;

/**
 * With `"sample"`, the acquires that record their stack: the first of each
 * pool, then one in this many (a countdown, not a random draw).
 */
export const SAMPLE_EVERY = 128;

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

/** What a leak or long-hold report says when the stack was not sampled. */
const NOT_RECORDED =
  `acquire stack not recorded (pool.leakDetection: "sample" records 1 acquire in ${SAMPLE_EVERY}); this pool now records every acquire's stack, so leases acquired from now on carry one when they leak`;

/** What a leak report carries. */
export interface LeakReport {
  /** The stack of the `acquire` call, or a note saying why there is none. */
  readonly stack: string;
  /** How long the lease was held before it was collected, in ms. */
  readonly heldMs: number;
}

/**
 * Whether leases dropped without release can be detected: not with
 * `leakDetection: false`, nor where the runtime has no FinalizationRegistry
 * (Workers before compatibility date 2025-05-05: leases work the same, but
 * one dropped without release is neither detected nor reclaimed).
 */
export function canTrackLeaks(level: LeakDetection): boolean {
  return level !== false && typeof FinalizationRegistry === "function";
}

/** Tracks leases weakly and reports the ones collected unreleased. */
export class LeakTracker {
  /**
   * Whether leases are tracked: not with `leakDetection: false`, nor where
   * the runtime has no FinalizationRegistry.
   */
  readonly #tracking: boolean;
  readonly #leaked: (slot: Slot) => void;
  /**
   * Made when the first lease is registered: most clients never hold one
   * that long, and a registry per client is memory they would not use.
   */
  #registry: FinalizationRegistry<Slot> | undefined;
  /** Record a stack every this many acquires (0: never, 1: always). */
  #every: number;
  /** Acquires left until the next one that records its stack. */
  #countdown = 1;
  #warnedSites: Set<string> | undefined;

  /**
   * @param level The `pool.leakDetection` setting.
   * @param leaked Called with the slot of each lease collected unreleased.
   */
  constructor(level: LeakDetection, leaked: (slot: Slot) => void) {
    this.#tracking = canTrackLeaks(level);
    this.#leaked = leaked;
    this.#every = !this.#tracking ? 0 : level === "always" ? 1 : SAMPLE_EVERY;
  }

  /** Whether leaked leases are detected at all: {@linkcode canTrackLeaks}. */
  get available(): boolean {
    return this.#tracking;
  }

  /**
   * The stack of the current call, when this acquire records one. The
   * Error captures it now; V8 and JSC format it into text only if `.stack`
   * is read, which happens only when a leak or long hold is reported.
   */
  origin(): Error | undefined {
    if (this.#every === 0 || --this.#countdown > 0) return undefined;
    this.#countdown = this.#every;
    return new Error("Lease acquired here");
  }

  /*
   * Registering a lease costs about as much as the rest of acquire() and
   * release() together, and most leases are released within milliseconds.
   * So a new lease waits on its slot, held strongly, and is registered by
   * the next maintenance round (at most a second later) or when its
   * connection closes, if it is still out then; released earlier, it never
   * touches the registry. A lease dropped meanwhile is found that much
   * later. Once registered, only the registry knows it, weakly, and a
   * release unregisters it: a finalizer call always means a lease that was
   * never released.
   */
  /** Starts watching a lease handed out on `slot`. */
  track(lease: object, slot: Slot): void {
    if (this.#tracking) slot.unregistered = lease;
  }

  /** Registers the slot's lease if it is still waiting to be. */
  commit(slot: Slot): void {
    const lease = slot.unregistered;
    if (lease === undefined) return;
    slot.unregistered = undefined;
    this.#registry ??= new FinalizationRegistry(this.#leaked);
    this.#registry.register(lease, slot, lease);
  }

  /** Stops watching a lease (released or destroyed). */
  untrack(lease: object, slot: Slot): void {
    if (slot.unregistered === lease) slot.unregistered = undefined;
    else this.#registry?.unregister(lease);
  }

  /**
   * The acquire stack of a slot's lease for a report, from the caller on.
   * When none was recorded although leases are tracked, a note saying why,
   * and from now on every acquire records one.
   *
   * @param slot The lease's slot.
   * @returns The stack, the note, or undefined when nothing is tracked.
   */
  stackOf(slot: Slot): string | undefined {
    const stack = slot.stack;
    if (stack !== undefined) return callerStack(stack);
    if (this.#every === 0) return undefined;
    this.#every = 1;
    this.#countdown = 1;
    return NOT_RECORDED;
  }

  /**
   * Describes a leak and warns on the console once per acquire site when
   * nobody listens for `leak` events.
   *
   * @param slot The leaked lease's slot.
   * @param emit Emits the `leak` event; returns whether anyone listened.
   */
  report(slot: Slot, emit: (report: LeakReport) => boolean): void {
    const report: LeakReport = {
      // Only a tracked lease can be reported: stackOf gives a string.
      stack: this.stackOf(slot)!,
      heldMs: Date.now() - slot.acquiredAt,
    };
    slot.origin = undefined;
    const site = acquireSite(report.stack);
    const warned = this.#warnedSites ??= new Set();
    if (!emit(report) && !warned.has(site)) {
      warned.add(site);
      console.warn(
        `respool: a lease was garbage-collected without release() after ${report.heldMs} ms; its connection was destroyed. Use \`await using\`. Acquired at:\n${report.stack}`,
      );
    }
  }
}
