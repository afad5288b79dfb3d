/**
 * Regenerates src/commands/_readonly.ts from a live Redis 7 server's
 * `COMMAND` reply: the commands flagged `readonly`, which the pool may retry
 * after a connection failure because running them twice cannot change the
 * outcome.
 *
 * Usage: deno run -A scripts/gen_readonly.ts [redis://127.0.0.1:6379]
 * (without a URL it starts a throwaway redis-server).
 */
import { createClient } from "../mod.ts";
import { startRedis } from "../tests/_redis.ts";
import { readOnlyCommands, renderReadonlyModule } from "./_readonly_table.ts";

const url = Deno.args[0];
const server = url ? undefined : await startRedis();
const redis = createClient(url ?? server!.url);
try {
  const names = await readOnlyCommands(redis);
  const version = (await redis.send(["INFO", "server"]) as string)
    .match(/redis_version:(\S+)/)?.[1] ?? "unknown";
  await Deno.writeTextFile(
    new URL("../src/commands/_readonly.ts", import.meta.url),
    renderReadonlyModule(names, version),
  );
  console.log(`wrote ${names.length} read-only commands (Redis ${version})`);
} finally {
  await redis.close();
  await server?.stop();
}
