/**
 * The Redis Cluster section of bench/RESULTS.md, from the figures the last
 * `deno task bench:cluster` / `bench:cluster:bun` wrote to
 * bench/cluster_results.json (that bench starts a 3-primary cluster; the
 * report does not rerun it).
 */

interface ClusterWorkload {
  title: string;
  medians: Record<string, number>;
  bestPeer: string;
  respoolRatio: number;
  respoolRatioPerRound: number[];
  goal: number;
  meetsGoal: boolean;
}

interface ClusterRun {
  generated: string;
  version: string;
  versions: Record<string, string>;
  settings: { rounds: number; cellMs: number; primaries: number };
  peers: { id: string; label: string }[];
  workloads: ClusterWorkload[];
}

function rate(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(Math.round(n));
}

/**
 * The section, or an empty string when the cluster bench never ran.
 *
 * @param file Where the cluster bench wrote its figures.
 * @returns Markdown.
 */
export async function renderClusterSection(file: string): Promise<string> {
  let runs: Record<string, ClusterRun>;
  try {
    runs = JSON.parse(await Deno.readTextFile(file));
  } catch {
    return "";
  }
  const out = [
    "",
    "## Redis Cluster",
    "",
    "From `deno task bench:cluster` and `deno task bench:cluster:bun` " +
    "(bench/compare_cluster.ts): a local cluster of 3 primaries, interleaved " +
    "rounds; ops/s per client, and respool's ratio to the fastest peer " +
    "(median, with the range over rounds). MGET is calls of 100 keys per " +
    "second.",
  ];
  for (const run of Object.values(runs)) {
    const peers = run.peers;
    out.push(
      "",
      `### ${run.version} (${run.generated}, ${run.settings.rounds} rounds of ${run.settings.cellMs} ms)`,
      "",
      `| workload | ${
        peers.map((p) => p.label).join(" | ")
      } | respool ÷ fastest | goal |`,
      `| --- | ${peers.map(() => "--:").join(" | ")} | --: | --: |`,
    );
    for (const w of run.workloads) {
      const low = Math.min(...w.respoolRatioPerRound);
      const high = Math.max(...w.respoolRatioPerRound);
      out.push(
        `| ${w.title} | ${
          peers.map((p) => rate(w.medians[p.id])).join(" | ")
        } | ${w.respoolRatio.toFixed(2)}× (${low.toFixed(2)}–${
          high.toFixed(2)
        }) | ${w.goal}× ${w.meetsGoal ? "✓" : "✗"} |`,
      );
    }
  }
  return out.join("\n") + "\n";
}
