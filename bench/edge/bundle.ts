/**
 * The edge bundle: builds with esbuild for workerd (ES modules, neutral
 * platform, minified, `cloudflare:sockets` external), reports minified and
 * gzip sizes of what a Worker loads, and fails when that imports any
 * `node:*` module or when the core Worker is over 25 KB minified.
 *
 * Builds reported:
 * - the core Worker (`_core_entry.ts`: `createClient` from core.ts, typed
 *   commands of three families with `run()`, a pipeline, a lease), split at
 *   dynamic imports: what workerd loads, with its largest sources; the
 *   check that gates;
 * - what each command family adds to the core Worker;
 * - the full Worker (`_entry.ts`: the same work with `createClient` from
 *   mod.ts and its typed methods);
 * - core.ts and mod.ts whole, every export kept, as library bundles;
 * - both Workers as one file, as `wrangler deploy` bundles by default:
 *   dynamic imports are inlined there, so `node:*` imports of the Node
 *   transport are hoisted into it; reported, not gated.
 *
 * Run with `deno task bench:bundle`. `--sources N` lists the N largest
 * sources of the core Worker (default 15).
 */
import { gzipSync } from "node:zlib";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  buildWorker,
  type BuiltModule,
  type WorkerBuild,
} from "../../tests/edge/_workerd.ts";

const TARGET_BYTES = 25 * 1024;

const { values } = parseArgs({
  options: { sources: { type: "string", default: "15" } },
});

function gzipped(modules: BuiltModule[]): number {
  return modules.reduce(
    (sum, m) => sum + gzipSync(readFileSync(m.file), { level: 9 }).length,
    0,
  );
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

function minified(modules: BuiltModule[]): number {
  return modules.reduce((sum, m) => sum + m.bytes, 0);
}

function report(title: string, built: WorkerBuild, modules: BuiltModule[]) {
  const min = minified(modules);
  const nodeImports = [...new Set(modules.flatMap((m) => m.nodeImports))];
  console.log(
    `${title}: ${kb(min)} minified (${min} B), ${
      kb(gzipped(modules))
    } gzip, in ${modules.length} module(s)${
      nodeImports.length ? `; node imports: ${nodeImports.join(", ")}` : ""
    }`,
  );
  const others = built.modules.filter((m) => !modules.includes(m));
  if (others.length > 0) {
    console.log(
      `  not loaded on workerd: ${
        others.map((m) => `${m.path} ${kb(m.bytes)}`).join(", ")
      }`,
    );
  }
  return { min, nodeImports };
}

function largestSources(modules: BuiltModule[], count: number): void {
  const sizes = new Map<string, number>();
  for (const m of modules) {
    for (const [input, bytes] of Object.entries(m.inputs)) {
      sizes.set(input, (sizes.get(input) ?? 0) + bytes);
    }
  }
  const sorted = [...sizes].sort((a, b) => b[1] - a[1]);
  console.log(`  largest sources (minified bytes in the bundle):`);
  for (const [input, bytes] of sorted.slice(0, count)) {
    console.log(`    ${String(bytes).padStart(7)}  ${input}`);
  }
  const rest = sorted.slice(count).reduce((sum, [, bytes]) => sum + bytes, 0);
  if (rest > 0) {
    console.log(
      `    ${String(rest).padStart(7)}  ${sorted.length - count} others`,
    );
  }
}

const FAMILIES = [
  "strings",
  "keys",
  "hashes",
  "lists",
  "blockingLists",
  "sets",
  "sortedSets",
  "sortedSetRanges",
  "sortedSetCombine",
  "geo",
  "bitmaps",
  "bitfields",
  "sort",
  "streams",
  "streamGroups",
  "streamClaims",
  "scripts",
  "functions",
  "server",
  "clients",
  "pubsub",
];

/**
 * What each family adds to a core Worker that sends raw commands only:
 * one Worker per family, each keeping the family's builder object alive.
 */
async function familyCosts(core: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "respool-families-"));
  const worker = (imports: string, use: string) =>
    `import { createClient${imports} } from ${JSON.stringify(core)};
export default {
  async fetch(_request, env) {
    await using redis = createClient(env.REDIS_URL);
    return Response.json({ reply: await redis.send(["PING"]), use: ${use} });
  },
};
`;
  const sizeOf = async (name: string, source: string) => {
    const file = join(dir, `${name}.js`);
    writeFileSync(file, source);
    const built = await buildWorker(file, { minify: true });
    try {
      return {
        min: minified(built.edgeModules),
        gzip: gzipped(built.edgeModules),
      };
    } finally {
      built.remove();
    }
  };
  try {
    const base = await sizeOf("base", worker("", "0"));
    console.log(
      `core Worker with send() only: ${kb(base.min)} minified, ${
        kb(base.gzip)
      } gzip; each command family adds (minified, with the reply and argument helpers it is the first to use):`,
    );
    const costs: string[] = [];
    for (const family of FAMILIES) {
      const size = await sizeOf(family, worker(`, ${family}`, family));
      costs.push(`${family} +${kb(size.min - base.min)}`);
    }
    for (let i = 0; i < costs.length; i += 4) {
      console.log(`  ${costs.slice(i, i + 4).join(", ")}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const path = (relative: string) => fileURLToPath(import.meta.resolve(relative));
const builds: WorkerBuild[] = [];
let failed = false;
try {
  const coreWorker = await buildWorker(path("./_core_entry.ts"), {
    minify: true,
  });
  builds.push(coreWorker);
  const core = report(
    "core Worker (core.ts: createClient, run() with strings/hashes/keys, a pipeline, a lease), what workerd loads",
    coreWorker,
    coreWorker.edgeModules,
  );
  largestSources(coreWorker.edgeModules, Number(values.sources));

  await familyCosts(path("../../core.ts"));

  const fullWorker = await buildWorker(path("./_entry.ts"), { minify: true });
  builds.push(fullWorker);
  const full = report(
    "full Worker (mod.ts: createClient, typed methods, a pipeline, a lease), what workerd loads",
    fullWorker,
    fullWorker.edgeModules,
  );

  for (
    const [title, entry] of [["core.ts", "../../core.ts"], [
      "mod.ts",
      "../../mod.ts",
    ]]
  ) {
    const whole = await buildWorker(path(entry), { minify: true });
    builds.push(whole);
    report(`${title}, every export`, whole, whole.edgeModules);
  }

  let hoisted = false;
  for (
    const [title, entry] of [
      [
        "core Worker as one file (wrangler's default bundling)",
        "./_core_entry.ts",
      ],
      ["full Worker as one file (wrangler's default bundling)", "./_entry.ts"],
    ]
  ) {
    const single = await buildWorker(path(entry), {
      minify: true,
      splitting: false,
    });
    builds.push(single);
    hoisted ||= report(title, single, single.modules).nodeImports.length > 0;
  }
  if (hoisted) {
    console.log(
      "  note: the node imports come from src/transport/node.ts, inlined by a single-file build; such a Worker needs the nodejs_compat flag. Loading node:net/node:tls with process.getBuiltinModule() in node.ts would keep them out.",
    );
  }

  console.log(
    `target: core Worker <= ${kb(TARGET_BYTES)} minified: ${
      core.min <= TARGET_BYTES
        ? "met"
        : `over by ${kb(core.min - TARGET_BYTES)}`
    } (full Worker: ${kb(full.min)})`,
  );
  if (core.min > TARGET_BYTES) {
    console.error(
      `FAIL: the core Worker loads ${kb(core.min)} minified, over ${
        kb(TARGET_BYTES)
      }`,
    );
    failed = true;
  }
  const nodeImports = [...new Set([...core.nodeImports, ...full.nodeImports])];
  if (nodeImports.length > 0) {
    console.error(`FAIL: a Worker bundle imports ${nodeImports.join(", ")}`);
    failed = true;
  } else {
    console.log("ok: no node:* import in what a Worker loads");
  }
} finally {
  for (const built of builds) built.remove();
}
if (failed) process.exit(1);
