/** Small helpers shared by the tests. */

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every 10 ms until it is true; throws after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`Condition not met within ${timeoutMs} ms`);
    }
    await sleep(10);
  }
}

/**
 * Forces a full garbage collection: `gc()` on Deno/Node (run with
 * --v8-flags=--expose-gc / --expose-gc), `Bun.gc(true)` on Bun. Yields a
 * macrotask before and after so finalizers get to run.
 */
export async function forceGc(): Promise<void> {
  await sleep(0);
  const g = globalThis as {
    gc?: () => void;
    Bun?: { gc(force: boolean): void };
  };
  if (g.Bun) g.Bun.gc(true);
  else if (typeof g.gc === "function") g.gc();
  else throw new Error("Cannot force GC: run Deno with --v8-flags=--expose-gc");
  await sleep(0);
}
