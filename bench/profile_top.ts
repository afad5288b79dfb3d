/**
 * Summarises a `.cpuprofile` (from `deno run --cpu-prof` or
 * `bun --cpu-prof`): the functions with the most self time, with their
 * total (inclusive) time, as a plain table.
 *
 * ```sh
 * deno run -A bench/profile_top.ts /tmp/prof/CPU.123.cpuprofile [count] [filter]
 * ```
 *
 * `filter` keeps only functions whose file contains it (e.g. `src/`).
 *
 * @module
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** One function's share of the profile. */
export interface FunctionTime {
  readonly name: string;
  readonly where: string;
  /** Microseconds sampled in the function itself. */
  readonly self: number;
  /** Microseconds sampled in it or anything it called. */
  readonly total: number;
}

function shortUrl(url: string): string {
  const cut = url.search(/\/(src|bench|tests|node_modules)\//);
  return cut === -1 ? url.replace(/^file:\/\//, "") : url.slice(cut + 1);
}

/**
 * Self and total time per function (by name and location).
 *
 * @param profile The parsed `.cpuprofile`.
 * @returns Functions by self time, highest first, and the profile's total.
 */
export function summarise(
  profile: CpuProfile,
): { functions: FunctionTime[]; total: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const key = (n: ProfileNode) =>
    `${n.callFrame.functionName || "(anonymous)"}\u0000${
      shortUrl(n.callFrame.url)
    }:${n.callFrame.lineNumber + 1}`;
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let sum = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
    sum += delta;
    let node = byId.get(profile.samples[i]);
    if (!node) continue;
    const k = key(node);
    self.set(k, (self.get(k) ?? 0) + delta);
    const seen = new Set<string>();
    while (node) {
      const nk = key(node);
      if (!seen.has(nk)) {
        seen.add(nk);
        total.set(nk, (total.get(nk) ?? 0) + delta);
      }
      const up = parent.get(node.id);
      node = up === undefined ? undefined : byId.get(up);
    }
  }
  const functions = [...total.keys()].map((k) => {
    const [name, where] = k.split("\u0000");
    return { name, where, self: self.get(k) ?? 0, total: total.get(k) ?? 0 };
  }).sort((a, b) => b.self - a.self);
  return { functions, total: sum };
}

if (import.meta.main) {
  const [file, count = "30", filter = ""] = Deno.args;
  if (!file) {
    console.error(
      "usage: deno run -A bench/profile_top.ts FILE.cpuprofile [count] [filter]",
    );
    Deno.exit(2);
  }
  const { functions, total } = summarise(
    JSON.parse(await Deno.readTextFile(file)),
  );
  const pct = (us: number) => `${(us / total * 100).toFixed(1)}%`.padStart(6);
  console.log(`total ${(total / 1000).toFixed(0)} ms sampled\n`);
  console.log(" self  total  function");
  for (
    const f of functions.filter((f) => f.where.includes(filter)).slice(
      0,
      Number(count),
    )
  ) {
    console.log(`${pct(f.self)} ${pct(f.total)}  ${f.name}  ${f.where}`);
  }
}
