/**
 * A typical Worker on the full entry, for the bundle-size measurement: the
 * per-request pattern with a few typed commands, a pipeline and a lease,
 * importing only `createClient` so that esbuild drops what it can.
 */
import { createClient } from "../../mod.ts";

export default {
  async fetch(request: Request, env: { REDIS_URL: string }) {
    await using redis = createClient(env.REDIS_URL);
    const hits = await redis.incr("hits");
    const path = new URL(request.url).pathname;
    const [, views] = await redis.pipeline()
      .hset("page", { path })
      .hincrby("views", path, 1)
      .expire("views", 3_600)
      .exec();
    let previous: string | null;
    {
      await using lease = await redis.acquire({ timeout: 1_000 });
      await lease.send(["WATCH", "last"]);
      previous = await lease.get("last");
      await lease.send(["MULTI"]);
      await lease.set("last", path);
      await lease.send(["EXEC"]);
    }
    return Response.json({ hits, views, previous });
  },
};
