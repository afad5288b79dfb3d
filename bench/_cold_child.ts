/**
 * One sample of bench/cold_start.ts, in a fresh process of any runtime:
 * imports respool from `RESPOOL_ENTRY` (a checkout's mod.ts or core.ts),
 * creates a client for `REDIS_URL`, waits for its first reply and closes
 * it. Prints the import time and the time from `createClient()` to the
 * first reply as one JSON line.
 *
 * @module
 */

interface Entry {
  createClient(url: string): {
    ping?(): Promise<unknown>;
    run?(command: unknown): Promise<unknown>;
    close(): Promise<void>;
  };
  server?: { ping(): unknown };
}

/**
 * An environment variable, read without touching `process` on Deno: its
 * first use there loads Deno's Node compatibility layer (about 27 ms on
 * Deno 2.9), which would be timed as respool's.
 */
function env(name: string): string | undefined {
  const g = globalThis as {
    Deno?: { env: { get(name: string): string | undefined } };
    process?: { env: Record<string, string | undefined> };
  };
  return g.Deno ? g.Deno.env.get(name) : g.process?.env[name];
}

const entry = env("RESPOOL_ENTRY");
const url = env("REDIS_URL");
if (!entry || !url) {
  throw new TypeError(
    "Cannot run the sample without RESPOOL_ENTRY and REDIS_URL",
  );
}
const started = performance.now();
const respool = await import(entry) as Entry;
const imported = performance.now();
const client = respool.createClient(url);
// The core client runs built commands; the full one has typed methods.
const reply = respool.server
  ? await client.run!(respool.server.ping())
  : await client.ping!();
const replied = performance.now();
await client.close();
if (reply !== "PONG") throw new Error(`Expected PONG, got ${String(reply)}`);
console.log(
  JSON.stringify({ importMs: imported - started, firstMs: replied - imported }),
);
