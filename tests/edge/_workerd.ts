/**
 * Builds a Worker from TypeScript with esbuild and runs it on the real
 * workerd runtime through miniflare. Shared by the workerd tests, the
 * examples test and the edge benchmarks; runs under Node 24 (miniflare is a
 * Node library).
 *
 * The build splits code at dynamic imports, as the design intends: the
 * chunk the Worker loads holds the core and the Cloudflare transport, while
 * the Deno, Bun and Node transports land in chunks of their own that workerd
 * never evaluates. No `nodejs_compat` flag is set, so a `node:*` import on
 * the Worker's path fails the run.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import type { Readable } from "node:stream";
import { build, type Metafile } from "esbuild";
import { Miniflare } from "miniflare";

/**
 * The compatibility date the Workers run with unless a test picks another
 * (before 2025-05-05, workerd has no FinalizationRegistry or WeakRef).
 */
export const COMPATIBILITY_DATE = "2025-09-01";

/** One output file of a Worker build. */
export interface BuiltModule {
  /** The file's path relative to the build directory, e.g. `worker.js`. */
  readonly path: string;
  /** Its absolute path. */
  readonly file: string;
  /** Its size in bytes. */
  readonly bytes: number;
  /** The `node:*` modules it imports. */
  readonly nodeImports: string[];
  /** The source files it holds, relative to the repository. */
  readonly inputs: Record<string, number>;
}

/** A Worker built into a temporary directory. */
export interface WorkerBuild {
  /** The temporary directory; removed by `remove()`. */
  readonly dir: string;
  /** The entry module first, then the chunks. */
  readonly modules: BuiltModule[];
  /**
   * The modules workerd loads for a request: the entry, what it imports
   * statically and the Cloudflare transport chunk.
   */
  readonly edgeModules: BuiltModule[];
  /** Removes the directory. */
  remove(): void;
}

/** Options of {@linkcode buildWorker}. */
export interface BuildWorkerOptions {
  /** Minify the output. @default {false} */
  minify?: boolean;
  /** Split dynamic imports into chunks. @default {true} */
  splitting?: boolean;
}

/**
 * Bundles `entry` for workerd: ES modules, no platform built-ins assumed,
 * `cloudflare:sockets` (and `node:*`, so that the Node transport's chunk
 * still builds) left external.
 */
export async function buildWorker(
  entry: string,
  options: BuildWorkerOptions = {},
): Promise<WorkerBuild> {
  const dir = mkdtempSync(join(tmpdir(), "respool-worker-"));
  const splitting = options.splitting ?? true;
  const result = await build({
    entryPoints: { worker: entry },
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "esnext",
    splitting,
    minify: options.minify ?? false,
    outdir: dir,
    metafile: true,
    external: ["cloudflare:sockets", "node:*"],
    logLevel: "warning",
  });
  const modules = describe(result.metafile, dir);
  modules.sort((a, b) =>
    a.path === "worker.js" ? -1 : b.path === "worker.js" ? 1 : 0
  );
  const entryModule = modules[0];
  const edge = new Set<BuiltModule>([entryModule]);
  // Static imports of the entry are evaluated with it; of the dynamic ones
  // only the Cloudflare transport's chunk runs on workerd.
  const output = Object.entries(result.metafile.outputs).find(([path]) =>
    resolve(path) === entryModule.file
  )?.[1];
  for (const imported of output?.imports ?? []) {
    if (imported.external) continue;
    const target = modules.find((m) => m.file === resolve(imported.path));
    if (!target) continue;
    const isCloudflare = Object.keys(target.inputs).some((i) =>
      i.endsWith("src/transport/cloudflare.ts")
    );
    if (imported.kind !== "dynamic-import" || isCloudflare) edge.add(target);
  }
  return {
    dir,
    modules,
    edgeModules: [...edge],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function describe(metafile: Metafile, dir: string): BuiltModule[] {
  const modules: BuiltModule[] = [];
  for (const [path, output] of Object.entries(metafile.outputs)) {
    if (!path.endsWith(".js")) continue;
    const file = resolve(path);
    const inputs: Record<string, number> = {};
    for (const [input, info] of Object.entries(output.inputs)) {
      inputs[input] = info.bytesInOutput;
    }
    modules.push({
      path: relative(dir, file),
      file,
      bytes: output.bytes,
      nodeImports: output.imports
        .filter((i) => i.path.startsWith("node:"))
        .map((i) => i.path),
      inputs,
    });
  }
  return modules;
}

/** Options of {@linkcode startWorker}. */
export interface StartWorkerOptions {
  /** Text bindings, such as `REDIS_URL`. */
  bindings?: Record<string, string>;
  /** Durable Object bindings: binding name to exported class name. */
  durableObjects?: Record<string, string>;
  /** The Worker's compatibility date. @default {COMPATIBILITY_DATE} */
  compatibilityDate?: string;
}

/** workerd running one Worker. */
export interface RunningWorker {
  /** The miniflare instance, for `dispatchFetch`. */
  readonly miniflare: Miniflare;
  /**
   * What workerd printed so far. Kept, not echoed, so that expected
   * failures (a refused certificate) do not clutter the test output.
   */
  output(): string;
  /** Stops workerd. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts workerd with a built Worker. */
export async function startWorker(
  built: WorkerBuild,
  options: StartWorkerOptions = {},
): Promise<RunningWorker> {
  const output: string[] = [];
  const keep = (chunk: Uint8Array | string) => output.push(String(chunk));
  const miniflare = new Miniflare({
    modulesRoot: built.dir,
    modules: built.modules.map((m) => ({
      type: "ESModule" as const,
      path: m.file,
      contents: readFileSync(m.file, "utf8"),
    })),
    compatibilityDate: options.compatibilityDate ?? COMPATIBILITY_DATE,
    bindings: options.bindings,
    durableObjects: options.durableObjects,
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      stdout.on("data", keep);
      stderr.on("data", keep);
    },
  });
  await miniflare.ready;
  return {
    miniflare,
    output: () => output.join(""),
    [Symbol.asyncDispose]: () => miniflare.dispose(),
  };
}
