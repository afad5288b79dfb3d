/**
 * respool's cluster client vs ioredis `Cluster` (plain and
 * auto-pipelining) vs node-redis `createCluster`, on one local Redis
 * Cluster this process starts (3 primaries, no replicas unless
 * `BENCH_REPLICAS` says) and stops, interleaved round by round in one
 * process (the client order rotated each round and workload), medians over
 * the rounds, and respool's ratio to the fastest peer. Runs unchanged on
 * Deno and Bun:
 *
 * ```sh
 * deno run -A bench/compare_cluster.ts          # deno task bench:cluster
 * node_modules/.bin/bun bench/compare_cluster.ts  # deno task bench:cluster:bun
 * BENCH_CLIENTS=respool BENCH_WORKLOADS=mget BENCH_ROUNDS=1 BENCH_CELL_MS=8000 \
 *   deno run -A --cpu-prof --cpu-prof-dir=/tmp/prof bench/compare_cluster.ts
 * ```
 *
 * The workloads and the peers' workarounds for what they cannot do across
 * slots are in _cluster_workloads.ts. The last run's numbers go to
 * bench/cluster_results.json, one entry per runtime (the other runtime's
 * entry is kept).
 *
 * Settings (environment): `BENCH_ROUNDS` (3), `BENCH_CELL_MS` (2000, time
 * each client runs each workload per round), `BENCH_WARMUP_MS` (300, cell
 * time of the uncounted warm-up round), `BENCH_SLICE_MS` (250: a cell's time
 * is taken in slices, the clients taking turns, so that load from outside
 * falls on all of them alike), `BENCH_CLIENTS`, `BENCH_WORKLOADS`
 * (comma-separated ids), `BENCH_REPLICAS` (0), `BENCH_PIN` (as in
 * _pin.ts: `split` puts every redis-server on core 1 and this process on
 * core 0), and the sizes of _cluster_workloads.ts (`BENCH_KEYS`,
 * `BENCH_FAN_OUT`, `BENCH_MGET_KEYS`, `BENCH_MGET_CALLERS`,
 * `BENCH_PIPE_DEPTH`, `BENCH_PIPE_CALLERS`).
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { type RedisCluster, startCluster } from "../tests/_cluster.ts";
import { median } from "./_harness.ts";
import { describePinning, pinning, pinSelf, serverCore } from "./_pin.ts";
import {
  type ClusterPeer,
  clusterPeers,
  type ClusterWorkload,
  respool as respoolFactory,
  seedKeys,
  selectClusterWorkloads,
  SIZES,
  type Unit,
  validateCluster,
  VALUE_SIZE,
} from "./_cluster_workloads.ts";
import {
  env,
  gitCommit,
  packageVersion,
  redisVersion,
  runMain,
  runtime,
  saveRuntimeResults,
} from "./_meta.ts";

/** respool's goal, as a ratio to the fastest peer, per runtime. */
const GOALS: Record<string, number> = { deno: 1.5, bun: 1.2 };

const RESULTS_FILE = fileURLToPath(
  new URL("./cluster_results.json", import.meta.url).href,
);

/** The checkout's commit, `+dirty` when src/ or mod.ts has changes. */
/** Pins every node of the cluster (all threads) to the server core. */
function pinCluster(cluster: RedisCluster): boolean {
  if (!pinning()) return false;
  return cluster.nodes.every((node) => {
    const pid = node.pid();
    return pid !== undefined && spawnSync("taskset", [
          "-a",
          "-p",
          "-c",
          String(serverCore()),
          String(pid),
        ]).status === 0;
  });
}

/** Runs `unit` until `ms` have passed (at least once). */
async function runSlice(
  unit: Unit,
  ms: number,
): Promise<{ units: number; ms: number; cpuUs: number }> {
  let units = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  let elapsed = 0;
  do {
    await unit();
    units++;
    elapsed = performance.now() - start;
  } while (elapsed < ms);
  const used = process.cpuUsage(cpu);
  return { units, ms: elapsed, cpuUs: used.user + used.system };
}

/** One client's run of one workload in one round. */
interface Cell {
  readonly workload: string;
  readonly peer: string;
  /** Operations per second; NaN when the cell failed. */
  readonly opsPerSec: number;
  /** This process's CPU time (user + system, all threads) per operation. */
  readonly cpuUsPerOp: number;
  readonly error?: string;
}

function formatRate(opsPerSec: number): string {
  if (Number.isNaN(opsPerSec)) return "failed";
  if (opsPerSec >= 1e6) return `${(opsPerSec / 1e6).toFixed(2)}M/s`;
  if (opsPerSec >= 1e3) return `${(opsPerSec / 1e3).toFixed(1)}k/s`;
  return `${opsPerSec.toFixed(0)}/s`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) =>
    Math.max(...rows.map((r) => r[c].length))
  );
  return rows.map((r) =>
    r.map((s, c) => c === 0 ? s.padEnd(widths[c]) : s.padStart(widths[c]))
      .join("  ")
  ).join("\n");
}

/** Stops the cluster once, however the process ends. */
function guard(cluster: RedisCluster): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  const stop = () => stopping ??= cluster.stop();
  for (const name of ["SIGINT", "SIGTERM"] as const) {
    process.once(name, () => {
      console.error(`\n${name}: stopping the cluster`);
      stop().finally(() => process.exit(130));
    });
  }
  return stop;
}

async function main(): Promise<void> {
  const { name: runtimeName, version } = runtime();
  const rounds = env("BENCH_ROUNDS", 3, true);
  const cellMs = env("BENCH_CELL_MS", 2000, true);
  const warmupMs = env("BENCH_WARMUP_MS", 300, true);
  const sliceMs = env("BENCH_SLICE_MS", 250, true);
  const replicas = env("BENCH_REPLICAS", 0, true);
  const workloads = selectClusterWorkloads(process.env.BENCH_WORKLOADS);
  const wanted = process.env.BENCH_CLIENTS?.split(",").map((s) => s.trim())
    .filter(Boolean);
  const factories = Object.entries(clusterPeers()).filter(([id]) =>
    !wanted || wanted.includes(id)
  );
  if (factories.length === 0) {
    throw new RangeError(
      `Cannot run as BENCH_CLIENTS matches none of ${
        Object.keys(clusterPeers()).join(", ")
      }`,
    );
  }

  const cluster = await startCluster({
    primaries: 3,
    replicasPerPrimary: replicas,
  });
  const stopCluster = guard(cluster);
  const peers: ClusterPeer[] = [];
  try {
    const pinned = pinCluster(cluster) && pinSelf();
    console.log(
      `${version}: ${rounds} rounds, ${cellMs} ms per cell; cluster of 3 primaries${
        replicas ? ` with ${replicas} replica(s) each` : ""
      } on ${cluster.seeds.map((s) => s.replace("redis://", "")).join(", ")}${
        pinned ? `; pinning: ${describePinning()}` : ""
      }`,
    );

    // Seed through a respool client of its own, whoever is compared.
    const seeder = await respoolFactory(cluster.seeds);
    await seedKeys(seeder);
    await seeder.close();
    for (const [, factory] of factories) {
      const peer = await factory(cluster.seeds);
      peers.push(peer);
      await validateCluster(peer);
    }

    const unitOf = new Map<string, Unit>();
    for (const workload of workloads) {
      for (const peer of peers) {
        unitOf.set(`${workload.id}/${peer.id}`, workload.unit(peer));
      }
    }
    const round = async (index: number, ms: number): Promise<Cell[]> => {
      const cells: Cell[] = [];
      const n = peers.length;
      const slices = Math.max(1, Math.round(ms / sliceMs));
      for (let w = 0; w < workloads.length; w++) {
        const workload = workloads[w];
        const done = new Array<number>(n).fill(0);
        const elapsed = new Array<number>(n).fill(0);
        const cpu = new Array<number>(n).fill(0);
        const errors = new Array<string | undefined>(n);
        // Each peer's time comes in slices, taken in turns, so a change of
        // the machine's load falls on every peer alike.
        for (let s = 0; s < slices; s++) {
          for (let k = 0; k < n; k++) {
            const p = (k + index + w + s) % n;
            if (errors[p] !== undefined) continue;
            const unit = unitOf.get(`${workload.id}/${peers[p].id}`)!;
            try {
              const slice = await runSlice(unit, ms / slices);
              done[p] += slice.units;
              elapsed[p] += slice.ms;
              cpu[p] += slice.cpuUs;
            } catch (error) {
              errors[p] = String(error);
            }
          }
        }
        for (let p = 0; p < n; p++) {
          cells.push({
            workload: workload.id,
            peer: peers[p].id,
            opsPerSec: errors[p] !== undefined
              ? NaN
              : (done[p] * workload.ops * 1000) / elapsed[p],
            cpuUsPerOp: errors[p] !== undefined
              ? NaN
              : cpu[p] / (done[p] * workload.ops),
            error: errors[p],
          });
        }
      }
      return cells;
    };

    const loadBefore = loadavg()[0];
    await round(0, warmupMs);
    const results: Cell[][] = [];
    for (let r = 0; r < rounds; r++) {
      results.push(await round(r, cellMs));
      console.log(`round ${r + 1}/${rounds} done`);
    }
    const loadAfter = loadavg()[0];
    console.log(
      `load average (1 min) ${loadBefore.toFixed(2)} before, ${
        loadAfter.toFixed(2)
      } after`,
    );
    report({
      runtimeName,
      version,
      rounds,
      cellMs,
      warmupMs,
      sliceMs,
      replicas,
      pinned,
      load: [loadBefore, loadAfter],
      peers,
      workloads,
      results,
    });
  } finally {
    await Promise.allSettled(
      peers.map((peer) =>
        Promise.race([
          peer.close(),
          new Promise((resolve) => setTimeout(resolve, 5_000)),
        ])
      ),
    );
    await stopCluster();
  }
}

interface Run {
  runtimeName: string;
  version: string;
  rounds: number;
  cellMs: number;
  warmupMs: number;
  sliceMs: number;
  replicas: number;
  pinned: boolean;
  /** The 1-minute load average before and after the rounds. */
  load: [number, number];
  peers: ClusterPeer[];
  workloads: ClusterWorkload[];
  results: Cell[][];
}

/** Prints the table and writes this runtime's entry of the JSON file. */
function report(run: Run): void {
  const { peers, workloads, results } = run;
  for (const cell of results.flat()) {
    if (cell.error) {
      console.error(`${cell.peer} ${cell.workload}: ${cell.error}`);
    }
  }
  const cellsOf = (workload: string, peer: string) =>
    results.flat().filter((c) => c.workload === workload && c.peer === peer);
  const samples = (workload: string, peer: string) =>
    cellsOf(workload, peer).map((c) => c.opsPerSec);
  const goal = GOALS[run.runtimeName];
  const others = peers.filter((p) => p.id !== "respool");
  const hasRespool = peers.some((p) => p.id === "respool") &&
    others.length > 0;
  const rows: string[][] = [[
    "workload",
    ...peers.map((p) => p.label),
    ...(hasRespool ? ["respool ÷ fastest peer (min–max)"] : []),
  ]];
  const cpuRows: string[][] = [[
    "workload",
    ...peers.map((p) => p.label),
    ...(hasRespool ? ["respool ÷ least of the peers"] : []),
  ]];
  const json: Record<string, unknown>[] = [];
  for (const workload of workloads) {
    const medians: Record<string, number | null> = {};
    const perRound: Record<string, (number | null)[]> = {};
    for (const peer of peers) {
      const list = samples(workload.id, peer.id);
      const m = median(list);
      medians[peer.id] = Number.isNaN(m) ? null : Math.round(m);
      perRound[peer.id] = list.map((v) =>
        Number.isNaN(v) ? null : Math.round(v)
      );
    }
    let best: ClusterPeer | undefined;
    for (const peer of others) {
      const value = medians[peer.id];
      if (
        value !== null &&
        (best === undefined || value > (medians[best.id] ?? -1))
      ) best = peer;
    }
    // Per round: respool over the fastest peer of that round; the median
    // of those (robust to the machine's load changing between rounds).
    const ratios: number[] = [];
    if (hasRespool) {
      for (const cells of results) {
        const of = (id: string) =>
          cells.find((c) => c.workload === workload.id && c.peer === id)
            ?.opsPerSec ?? NaN;
        const top = Math.max(
          ...others.map((p) => of(p.id)).filter((v) => !Number.isNaN(v)),
        );
        const mine = of("respool");
        if (!Number.isNaN(mine) && top > 0 && Number.isFinite(top)) {
          ratios.push(mine / top);
        }
      }
    }
    const ratio = ratios.length > 0 ? median(ratios) : null;
    const mine = medians.respool;
    const ratioOfMedians = best !== undefined && typeof mine === "number" &&
        medians[best.id]
      ? mine / medians[best.id]!
      : null;
    rows.push([
      workload.title,
      ...peers.map((p) => {
        const value = medians[p.id];
        return value === null ? "failed" : formatRate(value);
      }),
      ...(hasRespool
        ? [
          ratio === null
            ? "—"
            : `${ratio.toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${
              Math.max(...ratios).toFixed(2)
            })${goal !== undefined && ratio < goal ? ` < goal ${goal}×` : ""}`,
        ]
        : []),
    ]);
    const cpu: Record<string, number | null> = {};
    for (const peer of peers) {
      const m = median(cellsOf(workload.id, peer.id).map((c) => c.cpuUsPerOp));
      cpu[peer.id] = Number.isNaN(m) ? null : Number(m.toFixed(3));
    }
    const leastPeerCpu = Math.min(
      ...others.map((p) => cpu[p.id] ?? Infinity),
    );
    cpuRows.push([
      workload.title,
      ...peers.map((p) =>
        cpu[p.id] === null ? "failed" : cpu[p.id]!.toFixed(2)
      ),
      ...(hasRespool
        ? [
          cpu.respool === null || !Number.isFinite(leastPeerCpu)
            ? "—"
            : `${(cpu.respool! / leastPeerCpu).toFixed(2)}×`,
        ]
        : []),
    ]);
    json.push({
      id: workload.id,
      title: workload.title,
      op: workload.op,
      opsPerUnit: workload.ops,
      medians,
      perRound,
      cpuUsPerOp: cpu,
      bestPeer: best?.id ?? null,
      respoolRatio: ratio === null ? null : Number(ratio.toFixed(3)),
      respoolRatioPerRound: ratios.map((r) => Number(r.toFixed(3))),
      respoolRatioOfMedians: ratioOfMedians === null
        ? null
        : Number(ratioOfMedians.toFixed(3)),
      goal: goal ?? null,
      meetsGoal: ratio === null || goal === undefined ? null : ratio >= goal,
    });
  }
  console.log(
    `\nMedian ops/s over ${run.rounds} rounds (MGET: calls of ${SIZES.mgetKeys} keys per second); respool's ratio to the fastest peer of each round, median (min–max) over the rounds:\n`,
  );
  console.log(table(rows));
  console.log(
    "\nThis process's CPU time per operation (user + system, µs, median over the rounds; lower is better):\n",
  );
  console.log(table(cpuRows));
  const notes: Record<string, Record<string, string>> = {};
  for (const peer of peers) {
    if (Object.keys(peer.notes).length > 0) notes[peer.id] = { ...peer.notes };
    for (const [what, note] of Object.entries(peer.notes)) {
      console.log(`note ${peer.id} / ${what}: ${note}`);
    }
  }

  const entry = {
    generated: new Date().toISOString(),
    runtime: run.runtimeName,
    version: run.version,
    versions: {
      respool: `${
        JSON.parse(
          readFileSync(
            fileURLToPath(new URL("../deno.json", import.meta.url).href),
            "utf8",
          ),
        ).version
      } (git ${gitCommit()})`,
      ioredis: packageVersion("ioredis"),
      "node-redis": packageVersion("redis"),
      "redis-server": redisVersion(),
    },
    settings: {
      rounds: run.rounds,
      cellMs: run.cellMs,
      warmupMs: run.warmupMs,
      sliceMs: run.sliceMs,
      primaries: 3,
      replicasPerPrimary: run.replicas,
      valueBytes: VALUE_SIZE,
      ...SIZES,
      pinning: run.pinned ? describePinning() : "none",
      loadAverage: { before: run.load[0], after: run.load[1] },
    },
    peers: peers.map((p) => ({ id: p.id, label: p.label })),
    workloads: json,
    notes,
    errors: results.flat().filter((c) => c.error).map((c) => ({
      workload: c.workload,
      peer: c.peer,
      error: c.error,
    })),
  };
  saveRuntimeResults(RESULTS_FILE, run.runtimeName, entry);
}

await runMain(main);
