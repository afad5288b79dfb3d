/**
 * A Deno HTTP server with one respool client for the whole process: the
 * pool is made once and shared by every request.
 *
 *     REDIS_URL=redis://127.0.0.1:6379 deno run --allow-net --allow-env examples/deno.ts
 *
 * In an application, import from "jsr:@respool/redis" instead of "../mod.ts".
 */
import { createClient } from "../mod.ts";

const redis = createClient(
  Deno.env.get("REDIS_URL") ?? "redis://127.0.0.1:6379",
);
const port = Number(Deno.env.get("PORT") ?? "8000");

const server = Deno.serve({
  hostname: "127.0.0.1",
  port,
  onListen: ({ hostname, port }) =>
    console.log(`listening on http://${hostname}:${port}`),
}, async () => {
  const hits = await redis.incr("example:hits");
  return Response.json({ runtime: "deno", hits });
});

// Stop taking requests, let those in flight finish, then close the pool.
const stop = async () => {
  await server.shutdown();
  await redis.close();
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
await server.finished;
