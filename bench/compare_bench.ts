/**
 * `deno bench` comparison of respool with the clients its users would pick
 * instead, on Deno: ioredis (plain and `enableAutoPipelining: true`) and
 * node-redis (`redis` on npm), one group per workload with respool as the
 * baseline. Starts its own redis-server on a free loopback port.
 *
 * ```sh
 * deno bench -A bench/compare_bench.ts
 * BENCH_WORKLOADS=conc-get,conc-set deno bench -A bench/compare_bench.ts
 * ```
 *
 * Each bench iteration is one unit of a workload (1 command for sequential
 * ones, 100 for the concurrent and pipelined ones, 2 for 16 KiB SET+GET).
 * `deno bench` runs the benches one after the other, so its ratios drift
 * with the machine's load; the interleaved medians of
 * `deno task bench:report` are the figures to quote.
 *
 * Not compared: the deno.land/x `redis` driver (deno.land is unreachable
 * from this machine; its slot is `denoRedis` in _clients.ts), and
 * acquire+release for ioredis, which has no pool.
 *
 * @module
 */
import { denoPeers, type Peer } from "./_clients.ts";
import { seed, selectWorkloads, validate } from "./_workloads.ts";
import { startRedis } from "../tests/_redis.ts";
import { pinSelf, pinServer } from "./_pin.ts";

const server = await startRedis();
// Server and client on their own cores: see _pin.ts (BENCH_PIN=0 to skip).
if (pinServer(server.port)) pinSelf();
const peers: Peer[] = [];
for (const factory of Object.values(denoPeers())) {
  peers.push(await factory(server.url));
}
await seed(peers[0]);
for (const peer of peers) await validate(peer);

globalThis.addEventListener("unload", () => {
  // Clients are dropped with the process; the server must not outlive it.
  void server.stop();
});

for (const workload of selectWorkloads(Deno.env.get("BENCH_WORKLOADS"))) {
  for (const peer of peers) {
    const unit = workload.unit(peer);
    if (typeof unit !== "function") continue; // no equivalent: see unit.skip
    Deno.bench({
      name: `${peer.label}`,
      group: workload.title,
      baseline: peer.id === "respool",
      async fn() {
        await unit();
      },
    });
  }
}
