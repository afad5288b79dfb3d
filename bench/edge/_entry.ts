/**
 * A typical Worker, for the bundle-size measurement: the per-request
 * pattern, importing only `createClient` so that esbuild drops what it can.
 */
import { createClient } from "../../mod.ts";

export default {
  async fetch(_request: Request, env: { REDIS_URL: string }) {
    await using redis = createClient(env.REDIS_URL);
    const hits = await redis.incr("hits");
    return Response.json({ hits });
  },
};
