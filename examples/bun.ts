/**
 * A Bun HTTP server with one respool client for the whole process: the pool
 * is made once and shared by every request.
 *
 *     REDIS_URL=redis://127.0.0.1:6379 bun examples/bun.ts
 *
 * In an application, import from "@respool/redis" (`bunx jsr add
 * @respool/redis`) instead of "../mod.ts".
 */
/// <reference types="npm:bun-types@1.4.5" />
import { createClient } from "../mod.ts";

const redis = createClient(Bun.env.REDIS_URL ?? "redis://127.0.0.1:6379");

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(Bun.env.PORT ?? "8000"),
  async fetch() {
    const hits = await redis.incr("example:hits");
    return Response.json({ runtime: "bun", hits });
  },
});
console.log(`listening on http://${server.hostname}:${server.port}`);

// Stop taking requests, let those in flight finish, then close the pool.
const stop = async () => {
  await server.stop();
  await redis.close();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
