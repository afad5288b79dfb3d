/**
 * The README's TypeScript code blocks, made runnable: each block is written
 * to a module of its own with its imports of "@respool/redis" and
 * "@respool/redis/core" pointed at mod.ts and core.ts and its `redis://127.0.0.1:6379` pointed at the suite's server. A
 * block runs in the test process unless an HTML comment on the line before
 * it (blank lines between are fine) says otherwise:
 *
 * - `<!-- test: workerd -->`: a Worker module, run on workerd;
 * - `<!-- test: durable-object ClassName -->`: a Durable Object class, run on
 *   workerd behind a Worker that forwards every request to one instance;
 * - `<!-- test: cluster -->`: run in the test process against a loopback
 *   Redis Cluster, its `redis://127.0.0.1:7000` pointed at a seed node;
 * - `<!-- test: sentinel -->`: run in the test process against a loopback
 *   Sentinel setup, its `redis://127.0.0.1:26379` pointed at a sentinel.
 *
 * Uses only node: modules so it runs under Deno, Bun and Node.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "./_process.ts";

/** How a block is run. */
export type BlockMode =
  | { kind: "process" }
  | { kind: "workerd" }
  | { kind: "durable-object"; className: string }
  | { kind: "cluster" }
  | { kind: "sentinel" };

/** One TypeScript block of the README. */
export interface ReadmeBlock {
  /** 1-based position among the README's TypeScript blocks. */
  readonly index: number;
  /** The heading of the section it is in. */
  readonly section: string;
  /** The line it starts on (the fence), 1-based. */
  readonly line: number;
  readonly code: string;
  readonly mode: BlockMode;
}

/** Every ```ts block of README.md, in order. */
export function readmeBlocks(): ReadmeBlock[] {
  const lines = readFileSync(join(ROOT, "README.md"), "utf8").split("\n");
  const blocks: ReadmeBlock[] = [];
  let section = "";
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith("#")) section = line.replace(/^#+\s*/, "");
    if (line.trim() !== "```ts") continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i].trim() !== "```"; i++) {
      body.push(lines[i]);
    }
    let before = start - 1;
    while (before > 0 && lines[before].trim() === "") before--;
    const marker = lines[before]?.match(/^<!-- test: (.+?) -->$/)?.[1];
    let mode: BlockMode = { kind: "process" };
    if (marker === "workerd") mode = { kind: "workerd" };
    else if (marker === "cluster") mode = { kind: "cluster" };
    else if (marker === "sentinel") mode = { kind: "sentinel" };
    else if (marker?.startsWith("durable-object ")) {
      mode = { kind: "durable-object", className: marker.split(" ")[1] };
    } else if (marker !== undefined) {
      throw new Error(`README.md:${start}: unknown test marker "${marker}"`);
    }
    blocks.push({
      index: blocks.length + 1,
      section,
      line: start + 1,
      code: body.join("\n") + "\n",
      mode,
    });
  }
  return blocks;
}

/** A block written out as a module, removed by `remove()`. */
export interface BlockModule {
  /** The module's path. */
  readonly file: string;
  /** Its `file:` URL, for `import()`. */
  readonly url: string;
  remove(): void;
}

/**
 * Writes a block as a module that uses this repository's mod.ts and the
 * given server.
 *
 * @param block The block.
 * @param serverUrl `redis://127.0.0.1:<port>` of the suite's server (of a
 * cluster node for a cluster block).
 */
export function writeBlock(block: ReadmeBlock, serverUrl: string): BlockModule {
  const dir = mkdtempSync(join(tmpdir(), "respool-readme-"));
  const file = join(dir, `readme_${block.index}.ts`);
  // An absolute path, which every runtime and esbuild resolve.
  const mod = join(ROOT, "mod.ts");
  const code = block.code
    .replaceAll(`"@respool/redis/core"`, JSON.stringify(join(ROOT, "core.ts")))
    .replaceAll(`"@respool/redis"`, JSON.stringify(mod))
    .replaceAll(
      block.mode.kind === "cluster"
        ? "redis://127.0.0.1:7000"
        : block.mode.kind === "sentinel"
        ? "redis://127.0.0.1:26379"
        : "redis://127.0.0.1:6379",
      serverUrl,
    );
  writeFileSync(file, code);
  return {
    file,
    url: pathToFileURL(file).href,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
