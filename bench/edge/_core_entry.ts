/**
 * A typical Worker on the core entry, for the bundle-size measurement: the
 * per-request pattern with a few typed commands run with `run()`, a
 * pipeline and a lease.
 */
import { createClient, hashes, keys, strings } from "../../core.ts";

export default {
  async fetch(request: Request, env: { REDIS_URL: string }) {
    await using redis = createClient(env.REDIS_URL);
    const hits = await redis.run(strings.incr("hits"));
    const path = new URL(request.url).pathname;
    const [, views] = await redis.pipeline()
      .add(hashes.hset("page", { path }))
      .add(hashes.hincrby("views", path, 1))
      .add(keys.expire("views", 3_600))
      .exec();
    let previous: string | null;
    {
      await using lease = await redis.acquire({ timeout: 1_000 });
      await lease.send(["WATCH", "last"]);
      previous = await lease.run(strings.get("last"));
      await lease.send(["MULTI"]);
      await lease.run(strings.set("last", path));
      await lease.send(["EXEC"]);
    }
    return Response.json({ hits, views, previous });
  },
};
