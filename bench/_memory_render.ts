/**
 * The memory section of bench/RESULTS.md, from the figures the last
 * `deno task bench:memory` / `bench:memory:bun` wrote to
 * bench/memory_results.json (that bench starts its own redis-server; the
 * report does not rerun it). The types and goals are shared with
 * bench/memory.ts, which runs on Bun too: nothing here touches `Deno` at
 * import time.
 */

import { readRuntimeResults } from "./_meta.ts";

/** Issue 17's goals. */
export const GOALS = {
  /** respool's bytes (heap) ÷ the best peer's, per idle connection and per in-flight command. */
  ratioToBestPeer: 1,
  /** Heap growth from 1M to 10M commands, in percent (either way). */
  heapGrowthPct: 5,
};

/** One client's figure in one measurement: bytes per unit, medians. */
export interface MemoryFigure {
  label: string;
  /** `heapUsed` difference per unit. */
  heap: number;
  /** Heap plus ArrayBuffer contents per unit. */
  buffers: number;
  /** RSS difference per unit (noisy). */
  rss: number;
  perRound: { heap: number[]; buffers: number[]; rss: number[] };
}

/** The heap of a respool client over many commands. */
export interface HeapRun {
  total: number;
  callers: number;
  mode: string;
  probeGetsPerSec: number;
  getsPerSec: number;
  seconds: number;
  samples: {
    commands: number;
    heap: number;
    /** `heapTotal`: what the engine reserved (absent in older runs). */
    heapTotal?: number;
    rss: number;
  }[];
  growthPct: number;
  maxDeviationPct: number;
  meetsGoal: boolean;
}

/** One runtime's entry of memory_results.json. */
export interface MemoryRun {
  generated: string;
  runtime: string;
  version: string;
  versions: Record<string, string>;
  command: string;
  settings: {
    rounds: number;
    connections: number;
    inFlight: number;
    valueBytes: number;
    pinning: string;
    heapMeasure: string;
  };
  /** The ids that count as peers (ioredis and node-redis configurations). */
  peers: string[];
  goals: typeof GOALS;
  idle: Record<string, MemoryFigure>;
  inFlight: {
    get: Record<string, MemoryFigure>;
    set: Record<string, MemoryFigure>;
  };
  heap: HeapRun;
}

/** respool's figure against the lowest peer figure of the same measure. */
export interface Comparison {
  respool: number;
  best: number;
  bestId: string;
  ratio: number;
  atOrBelow: boolean;
}

/**
 * Compares respool's figure with the best (lowest) peer's.
 *
 * @param figures The figures of one measurement, by client id.
 * @param peers The ids that count as peers.
 * @param id respool's row.
 * @param pick Which quantity to compare.
 * @returns The comparison, or undefined when a side is missing.
 */
export function compareToPeers(
  figures: Record<string, MemoryFigure>,
  peers: readonly string[],
  id: string,
  pick: (f: MemoryFigure) => number = (f) => f.heap,
): Comparison | undefined {
  const mine = figures[id];
  const candidates = peers.filter((p) => figures[p] !== undefined);
  if (mine === undefined || candidates.length === 0) return undefined;
  const bestId = candidates.reduce((a, b) =>
    pick(figures[b]) < pick(figures[a]) ? b : a
  );
  const best = pick(figures[bestId]);
  const respool = pick(mine);
  return {
    respool,
    best,
    bestId,
    ratio: respool / best,
    atOrBelow: respool <= best,
  };
}

function bytes(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return "—";
  if (Math.abs(n) >= 1024 * 1024) return `${(n / 1048576).toFixed(2)} MiB`;
  return `${Math.round(n).toLocaleString("en")} B`;
}

/** Table order, and the short names the ratios use. */
const ORDER: Record<string, string> = {
  "respool": "respool",
  "respool-pool": "respool pool",
  "ioredis": "ioredis",
  "ioredis-auto": "ioredis auto-pipelining",
  "node-redis": "node-redis",
  "node-redis-pool": "node-redis pool",
  "bun": "Bun RedisClient",
};

const mark = (ok: boolean) => ok ? "✓" : "✗";

function cell(
  figures: Record<string, MemoryFigure>,
  run: MemoryRun,
  id: string,
  pick: (f: MemoryFigure) => number,
): string {
  const figure = figures[id];
  if (figure === undefined) return "—";
  const text = bytes(pick(figure));
  if (!id.startsWith("respool")) return text;
  const c = compareToPeers(figures, run.peers, id, pick);
  if (c === undefined || c.best <= 0) return `**${text}**`;
  return `**${text}** (${c.ratio.toFixed(2)}× ${ORDER[c.bestId] ?? c.bestId} ${
    mark(c.atOrBelow)
  })`;
}

function ids(run: MemoryRun): string[] {
  const seen = new Set<string>();
  for (
    const map of [run.idle, run.inFlight.get, run.inFlight.set]
  ) for (const id of Object.keys(map)) seen.add(id);
  const known = Object.keys(ORDER);
  const rank = (id: string) =>
    known.includes(id) ? known.indexOf(id) : known.length;
  return [...seen].sort((a, b) => rank(a) - rank(b));
}

function label(run: MemoryRun, id: string): string {
  const f = run.idle[id] ?? run.inFlight.get[id] ?? run.inFlight.set[id];
  return f.label.replace(" of N", ` of ${run.settings.connections}`);
}

function table(
  list: MemoryRun[],
  pick: (f: MemoryFigure) => number,
): string[] {
  const out = [
    "| runtime | client | per idle connection | per in-flight GET | per in-flight SET |",
    "| --- | --- | --: | --: | --: |",
  ];
  for (const run of list) {
    for (const id of ids(run)) {
      out.push(
        `| ${run.runtime} | ${label(run, id)} | ${
          cell(run.idle, run, id, pick)
        } | ${cell(run.inFlight.get, run, id, pick)} | ${
          cell(run.inFlight.set, run, id, pick)
        } |`,
      );
    }
  }
  return out;
}

/**
 * The section, or an empty string when the memory bench never ran.
 *
 * @param file Where the memory bench wrote its figures.
 * @returns Markdown.
 */
export function renderMemorySection(file: string): string {
  const list = readRuntimeResults<MemoryRun>(file);
  if (list.length === 0) return "";
  const { settings } = list[0];
  const n = settings.connections;
  const m = settings.inFlight.toLocaleString("en");
  const out = [
    "",
    "## Memory",
    "",
    "From `deno task bench:memory` and `deno task bench:memory:bun` " +
    "(bench/memory.ts): one redis-server of its own on loopback.",
    "",
    "Goals (issue 17): respool's bytes per idle connection and per " +
    "in-flight command (heap) at or below the best of ioredis and " +
    "node-redis in the same run; respool's heap flat (±" +
    `${GOALS.heapGrowthPct}%) over 10M commands.`,
    "",
    "Runs:",
    "",
  ];
  for (const run of list) {
    out.push(
      `- ${run.version}: \`${run.command}\`, ${run.generated}, ` +
        `${run.versions["redis-server"]}, respool ${run.versions.respool}, ` +
        `ioredis ${run.versions.ioredis}, node-redis ${
          run.versions["node-redis (redis)"]
        }; ${run.settings.rounds} rounds; pinning: ${run.settings.pinning}.`,
    );
  }
  out.push(
    "",
    "How it is measured. Every figure is the difference of two readings of " +
      "`process.memoryUsage()`, each taken after yielding to the event loop " +
      "(20 ms) and forcing a full GC (Deno `gc()` under " +
      "`--v8-flags=--expose-gc`, Bun `Bun.gc(true)`) until two readings in " +
      "a row agree within 32 KiB, divided by the number of connections or " +
      "commands. Both runtimes throw away compiled code that has not run " +
      "for a while, on a timer of their own, which left alone drops the " +
      "peers' code in the middle of a later measurement (megabytes no " +
      "client freed): Deno runs with `--no-flush-bytecode`, which keeps it, " +
      "and Bun with `BUN_JSC_forceCodeBlockToJettisonDueToOldAge=1`, which " +
      "drops it at every full GC, before every reading. After each " +
      "in-flight measurement the bench waits (up to 8 s) for the heap to " +
      "come back to where it was (on Deno node-redis holds about 5 MB for " +
      "4–5 s after it closed). The clients run interleaved, in an order " +
      `rotated each round, and each figure is the median of ${settings.rounds} ` +
      "rounds.",
    "",
    `- **Per idle connection**: a reading; ${n} connections opened, each ` +
      "having answered a PING (checked on the server: `INFO clients` counts " +
      `exactly ${n} more connections and \`CLIENT LIST\` shows \`cmd=ping\` ` +
      "on each; respool's pool may spread a tick's PINGs over fewer " +
      "connections, so it PINGs again until each has answered); a reading; " +
      "the difference ÷ " +
      `${n}. respool twice: ${n} clients with the default options (each ` +
      "opens one connection, which is what each peer pays: a whole client " +
      `per connection) and one client whose pool holds the ${n} ` +
      `(\`pool: { min: ${n}, max: ${n} }\`, the way respool holds many ` +
      `connections). Peers: ${n} ioredis instances, ${n} node-redis ` +
      `clients, one node-redis \`createClientPool\` of ${n}` +
      (list.some((r) => r.idle.bun) ? `, ${n} Bun \`RedisClient\`s` : "") +
      ", each made as bench/_clients.ts makes it.",
    `- **Per in-flight command**: one client on one connection (respool ` +
      "`pool: { max: 1 }`), warmed by a round trip; a reading; the server " +
      `stopped with SIGSTOP; ${m} GETs of one key (or SETs of one ` +
      `${settings.valueBytes}-byte value) issued without awaiting, their ` +
      "promises kept in an array allocated before the first reading; 100 ms " +
      "for the writes to reach the socket; a reading; the difference ÷ " +
      `${m}. Then SIGCONT and every reply is awaited and checked. The ` +
      "kernel takes bytes for the stopped server until its socket buffers " +
      "fill; the rest stays in the client's write queue and is counted. " +
      "respool runs with `commandTimeout: 60000` (the default 10 s takes " +
      "the same path: a deadline per command, one timer per connection) so " +
      "that nothing times out while the server is stopped; the peers have " +
      "no command timeout by default.",
    "- **Heap over 10M commands**: first in the run, before the peers' " +
      "modules are imported (what earlier parts leave behind is freed over " +
      "the next seconds and would read as a shrinking heap); a fresh respool " +
      "client with the default " +
      "options sends the GETs (100 concurrent callers, or pipelines of 100 " +
      "when a probe says plain GETs would take over a minute); the heap is " +
      "read after each tenth; growth is the last reading against the " +
      "first.",
    "",
    "Which heap: `heapUsed`. V8 (Deno) keeps ArrayBuffer contents (read " +
      "and write buffers) outside its heap, in `external`; JSC (Bun) counts " +
      "them in `heapUsed`. So the second table adds `external` on Deno " +
      "(heap + buffers) and gives the RSS difference, which is noisier " +
      "(pages are committed lazily and freed memory is not always " +
      "returned) but is the only figure that sees a native client's " +
      "memory. Bun's `RedisClient` is native (Zig): its per-connection " +
      "state is mostly outside the JS heap, so it is shown for reference " +
      "and is not counted as a peer. respool's rows give the ratio to the " +
      "best (lowest) peer figure of the same column, and ✓ when at or " +
      "below it.",
    "",
    "### Bytes per idle connection and per in-flight command (heap)",
    "",
    ...table(list, (f) => f.heap),
    "",
    "### Deno: with the buffers (heap + external); both runtimes: RSS (noisy)",
    "",
    "On Bun `heapUsed` already counts ArrayBuffer contents: its heap + " +
      "buffers figures are the heap table's.",
    "",
    ...table(list.filter((run) => run.runtime === "deno"), (f) => f.buffers),
    "",
    "| runtime | client | RSS per idle connection | RSS per in-flight GET | RSS per in-flight SET |",
    "| --- | --- | --: | --: | --: |",
  );
  for (const run of list) {
    for (const id of ids(run)) {
      const rss = (map: Record<string, MemoryFigure>) => bytes(map[id]?.rss);
      out.push(
        `| ${run.runtime} | ${label(run, id)} | ${rss(run.idle)} | ${
          rss(run.inFlight.get)
        } | ${rss(run.inFlight.set)} |`,
      );
    }
  }
  out.push(
    "",
    "### respool's heap over 10M commands",
    "",
    "| runtime | GETs | how | heap after the first tenth | heap at the end | growth | largest deviation | RSS, first tenth → end | GET/s | goal |",
    "| --- | --: | --- | --: | --: | --: | --: | --: | --: | --: |",
  );
  for (const run of list) {
    const h = run.heap;
    const first = h.samples[0];
    const last = h.samples[h.samples.length - 1];
    out.push(
      `| ${run.runtime} | ${(h.total / 1e6).toFixed(0)}M | ${h.mode} | ${
        bytes(first.heap)
      } | ${bytes(last.heap)} | ${h.growthPct.toFixed(2)}% | ${
        h.maxDeviationPct.toFixed(2)
      }% | ${bytes(first.rss)} → ${bytes(last.rss)} | ${
        (h.getsPerSec / 1000).toFixed(0)
      }k/s | ±${GOALS.heapGrowthPct}% ${mark(h.meetsGoal)} |`,
    );
  }
  out.push(
    "",
    "RSS moves with `heapTotal`, what the engine reserves for its heap " +
      "(in the JSON): under a steady allocation rate V8 grows its young " +
      "generation in steps, and the heap in use stays where it was.",
  );
  out.push(
    "",
    "### Targets (issue 17)",
    "",
    "| runtime | target | respool | best peer | ratio | met |",
    "| --- | --- | --: | --: | --: | --- |",
  );
  for (const run of list) {
    const rows: [string, Record<string, MemoryFigure>, string][] = [
      [`heap per idle connection, ${n} clients`, run.idle, "respool"],
      [`heap per idle connection, one pool of ${n}`, run.idle, "respool-pool"],
      ["heap per in-flight GET", run.inFlight.get, "respool"],
      ["heap per in-flight SET", run.inFlight.set, "respool"],
    ];
    for (const [target, figures, id] of rows) {
      const c = compareToPeers(figures, run.peers, id);
      if (c === undefined) continue;
      out.push(
        `| ${run.runtime} | ${target} ≤ best peer | ${bytes(c.respool)} | ${
          bytes(c.best)
        } (${ORDER[c.bestId] ?? c.bestId}) | ${c.ratio.toFixed(2)}× | ${
          c.atOrBelow ? "yes" : "**no**"
        } |`,
      );
    }
    out.push(
      `| ${run.runtime} | heap growth over ${
        (run.heap.total / 1e6).toFixed(0)
      }M GETs within ±${GOALS.heapGrowthPct}% | ${
        run.heap.growthPct.toFixed(2)
      }% | — | — | ${run.heap.meetsGoal ? "yes" : "**no**"} |`,
    );
  }
  return out.join("\n") + "\n";
}
