/**
 * A Cloudflare Worker whose Redis work runs in a Durable Object. Unlike a
 * Worker, a Durable Object lives across requests, and so can its sockets:
 * it keeps one client, whose pool's connections every request reuses.
 *
 *     # wrangler.toml:
 *     # main = "examples/durable_object.ts"
 *     # compatibility_date = "2025-09-01"
 *     # [[durable_objects.bindings]]
 *     # name = "COUNTER"
 *     # class_name = "RedisCounter"
 *     # [[migrations]]
 *     # tag = "v1"
 *     # new_classes = ["RedisCounter"]
 *     npx wrangler dev
 *
 * In an application, import from "@respool/redis" instead of "../mod.ts".
 */
import { type Client, createClient } from "../mod.ts";

/** The part of a Durable Object namespace binding this Worker uses. */
interface DurableObjectNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(request: Request): Promise<Response> };
}

/** The Worker's bindings. */
export interface Env {
  /** `redis://` or `rediss://` URL of the server. */
  REDIS_URL: string;
  /** The Durable Object namespace of {@linkcode RedisCounter}. */
  COUNTER: DurableObjectNamespace;
}

/** Holds one client for as long as workerd keeps the object alive. */
export class RedisCounter {
  readonly #redis: Client;

  constructor(_state: unknown, env: Env) {
    // A small pool: one object serves its requests one at a time, except
    // while they wait on I/O.
    this.#redis = createClient(env.REDIS_URL, { pool: { max: 4 } });
  }

  async fetch(_request: Request): Promise<Response> {
    const hits = await this.#redis.incr("example:hits");
    const { created, total } = this.#redis.stats();
    return Response.json({
      runtime: "cloudflare durable object",
      hits,
      connectionsCreated: created,
      connectionsOpen: total,
    });
  }
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    // One object for the whole app here; shard by name for more.
    const counter = env.COUNTER.get(env.COUNTER.idFromName("counter"));
    return counter.fetch(request);
  },
};
