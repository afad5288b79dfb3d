/**
 * Regenerates src/commands/_registry_data.ts, the command registry's table,
 * and src/commands/_facts_data.ts, the part of it a client needs before
 * sending, from a live server's `COMMAND` and `COMMAND DOCS` replies (RESP3)
 * and the client-side overlay in scripts/_registry_table.ts.
 *
 * Usage: deno run -A scripts/gen_registry.ts [redis://127.0.0.1:6379]
 * (without a URL it starts a throwaway redis-server).
 */
import { createClient } from "../mod.ts";
import { startRedis } from "../tests/_redis.ts";
import {
  readServerCommands,
  renderFactsModule,
  renderRegistryModule,
} from "./_registry_table.ts";

const url = Deno.args[0];
const server = url ? undefined : await startRedis();
const redis = createClient(url ?? server!.url);
try {
  const { command, docs, version } = await readServerCommands(redis);
  const source = renderRegistryModule(command, docs, version);
  await Deno.writeTextFile(
    new URL("../src/commands/_registry_data.ts", import.meta.url),
    source,
  );
  await Deno.writeTextFile(
    new URL("../src/commands/_facts_data.ts", import.meta.url),
    renderFactsModule(command, docs, version),
  );
  const count = source.match(/The (\d+) commands/)?.[1];
  console.log(`wrote ${count} commands (Redis ${version})`);
} finally {
  await redis.close();
  await server?.stop();
}
