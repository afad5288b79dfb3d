/**
 * A Node 24 HTTP server with one respool client for the whole process: the
 * pool is made once and shared by every request. Node 24 runs TypeScript
 * as is (type stripping):
 *
 *     REDIS_URL=redis://127.0.0.1:6379 node examples/node.ts
 *
 * In an application, import from "@respool/redis" (`npx jsr add
 * @respool/redis`) instead of "../mod.ts".
 */
import { createServer } from "node:http";
import process from "node:process";
import { createClient } from "../mod.ts";

const redis = createClient(
  process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
);

const server = createServer(async (_request, response) => {
  try {
    const hits = await redis.incr("example:hits");
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ runtime: "node", hits }));
  } catch (error) {
    response.writeHead(503, { "content-type": "text/plain" });
    response.end(`Redis is unavailable: ${(error as Error).message}`);
  }
});
server.listen(Number(process.env.PORT ?? "8000"), "127.0.0.1", () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : "";
  console.log(`listening on http://127.0.0.1:${port}`);
});

// Stop taking requests, let those in flight finish, then close the pool.
const stop = () => {
  server.close(async () => {
    await redis.close();
  });
  server.closeIdleConnections();
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
