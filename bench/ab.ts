/**
 * A/B: this checkout against other checkouts of respool, in one process,
 * alternating which goes first each round, so that both see the same
 * machine (this one is shared and noisy: separate runs minutes apart differ
 * by more than most changes). Two workloads: 100 concurrent GETs for 400 ms,
 * and 20,000 acquire+release of an idle lease. Prints the median of 10
 * rounds after 2 of warm-up, and each checkout's ratio to this one.
 *
 *     git worktree add /tmp/before <commit>
 *     deno run -A bench/ab.ts /tmp/before
 *
 * @module
 */
import { startRedis } from "../tests/_redis.ts";

interface Sender {
  get(key: string): Promise<unknown>;
  set(key: string, value: string): Promise<unknown>;
  acquire(): Promise<{ release(): Promise<void> }>;
  close(): Promise<void>;
}

const checkouts = [
  new URL("..", import.meta.url).pathname.replace(/\/$/, ""),
  ...Deno.args,
];
if (checkouts.length < 2) {
  console.error("usage: deno run -A bench/ab.ts <other checkout> [...]");
  Deno.exit(2);
}

const ROUNDS = 12;
const WARMUP = 2;
const server = await startRedis();
try {
  const clients: Sender[] = [];
  for (const dir of checkouts) {
    const { createClient } = await import(`${dir}/mod.ts`);
    const client = createClient(server.url, { pool: { max: 4 } }) as Sender;
    await client.set("ab:k", "v");
    clients.push(client);
  }
  const workloads: [string, string, (c: Sender) => Promise<number>][] = [
    ["100 concurrent GET", "ops/s", async (c) => {
      let done = 0;
      const stop = performance.now() + 400;
      await Promise.all(Array.from({ length: 100 }, async () => {
        while (performance.now() < stop) {
          await c.get("ab:k");
          done++;
        }
      }));
      return done / 0.4;
    }],
    ["acquire+release", "ns/op", async (c) => {
      const started = performance.now();
      for (let i = 0; i < 20_000; i++) await (await c.acquire()).release();
      return (performance.now() - started) * 1e6 / 20_000;
    }],
  ];
  for (const [name, unit, run] of workloads) {
    const samples: number[][] = clients.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < clients.length; i++) {
        const which = (i + round) % clients.length;
        const value = await run(clients[which]);
        if (round >= WARMUP) samples[which].push(value);
      }
    }
    const medians = samples.map((s) =>
      s.sort((a, b) => a - b)[Math.floor(s.length / 2)]
    );
    console.log(`${name} (${unit}, median of ${ROUNDS - WARMUP} rounds)`);
    for (let i = 0; i < checkouts.length; i++) {
      const ratio = medians[i] / medians[0];
      console.log(
        `  ${i === 0 ? "this checkout" : checkouts[i]}: ${
          Math.round(medians[i])
        } (${ratio.toFixed(2)}x this checkout)`,
      );
    }
  }
  for (const client of clients) await client.close();
} finally {
  await server.stop();
}
