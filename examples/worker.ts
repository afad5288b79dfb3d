/**
 * A Cloudflare Worker. workerd ends a Worker's sockets with the request that
 * opened them, so a Worker makes its client inside the handler and closes
 * it before answering: `await using` does the closing. Creating a client
 * touches no network and costs little; the connection opens at the first
 * command.
 *
 *     # wrangler.toml: main = "examples/worker.ts", compatibility_date = "2025-09-01"
 *     # and a REDIS_URL variable or secret (rediss:// for TLS)
 *     npx wrangler dev
 *
 * In an application, import from "@respool/redis" (`npx jsr add
 * @respool/redis`) instead of "../mod.ts". No `nodejs_compat` flag is
 * needed.
 */
import { createClient } from "../mod.ts";

/** The Worker's bindings. */
export interface Env {
  /** `redis://` or `rediss://` URL of the server. */
  REDIS_URL: string;
}

export default {
  async fetch(_request: Request, env: Env): Promise<Response> {
    await using redis = createClient(env.REDIS_URL);
    const hits = await redis.incr("example:hits");
    return Response.json({ runtime: "cloudflare", hits });
  },
};
