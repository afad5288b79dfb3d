/**
 * The edge bundle: builds with esbuild for workerd (ES modules, neutral
 * platform, minified, `cloudflare:sockets` external), reports minified and
 * gzip sizes, and fails when what a Worker loads imports any `node:*`
 * module. Target: at most 25 KB minified.
 *
 * Three builds are reported:
 * - `mod.ts` whole: every export kept, as a library bundle;
 * - a typical Worker (`_entry.ts`, the per-request pattern importing only
 *   `createClient`), split at dynamic imports: the size a Worker ships and
 *   the check that gates this task;
 * - the same Worker as one file, as `wrangler deploy` bundles by default:
 *   dynamic imports are inlined there, so `node:*` imports of the Node
 *   transport are hoisted into it; reported, not gated (see the note it
 *   prints).
 *
 * Run with `deno task bench:bundle`.
 */
import { gzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  buildWorker,
  type BuiltModule,
  type WorkerBuild,
} from "../../tests/edge/_workerd.ts";

const TARGET_BYTES = 25 * 1024;

function gzipped(modules: BuiltModule[]): number {
  return modules.reduce(
    (sum, m) => sum + gzipSync(readFileSync(m.file), { level: 9 }).length,
    0,
  );
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

function report(title: string, built: WorkerBuild, modules: BuiltModule[]) {
  const min = modules.reduce((sum, m) => sum + m.bytes, 0);
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
  const sorted = [...sizes].sort((a, b) => b[1] - a[1]).slice(0, count);
  console.log(`  largest sources (minified bytes in the bundle):`);
  for (const [input, bytes] of sorted) {
    console.log(`    ${String(bytes).padStart(7)}  ${input}`);
  }
}

const mod = fileURLToPath(import.meta.resolve("../../mod.ts"));
const entry = fileURLToPath(import.meta.resolve("./_entry.ts"));
const builds: WorkerBuild[] = [];
let failed = false;
try {
  const whole = await buildWorker(mod, { minify: true });
  builds.push(whole);
  report("mod.ts, every export", whole, whole.edgeModules);

  const worker = await buildWorker(entry, { minify: true });
  builds.push(worker);
  const edge = report(
    "Worker importing createClient (what workerd loads)",
    worker,
    worker.edgeModules,
  );
  largestSources(worker.edgeModules, 12);

  const single = await buildWorker(entry, { minify: true, splitting: false });
  builds.push(single);
  const one = report(
    "Worker as one file (wrangler's default bundling)",
    single,
    single.modules,
  );
  if (one.nodeImports.length > 0) {
    console.log(
      "  note: these come from src/transport/node.ts, inlined by a single-file build; such a Worker needs the nodejs_compat flag. Loading node:net/node:tls with process.getBuiltinModule() in node.ts would keep them out.",
    );
  }

  console.log(
    `target: <= ${kb(TARGET_BYTES)} minified for what a Worker loads: ${
      edge.min <= TARGET_BYTES
        ? "met"
        : `over by ${kb(edge.min - TARGET_BYTES)}`
    }`,
  );
  if (edge.nodeImports.length > 0) {
    console.error(
      `FAIL: the Worker bundle imports ${edge.nodeImports.join(", ")}`,
    );
    failed = true;
  } else {
    console.log("ok: no node:* import in what a Worker loads");
  }
} finally {
  for (const built of builds) built.remove();
}
if (failed) process.exit(1);
