/**
 * The article's web service: `GET /api/data?user=N` checks the user's
 * session, then serves their data cache-aside (`GET user_data:N`; on a miss
 * a simulated database lookup and `SET user_data:N ... EX 3600`).
 *
 * It comes in variants that differ only in how they get a connection:
 *
 * - `naive`: a new client per request, closed after (the article's wrong
 *   version: one TCP connection and handshake per request);
 * - `pooled`: one shared client whose commands are multiplexed over its pool;
 * - `leased`: one shared client, each request doing its work on an exclusive
 *   lease (`await using conn = await redis.acquire()`), as code that needs
 *   WATCH/MULTI would; used to size the pool.
 *
 * `GET /api/leaky?user=N` is the bug of the leak act: it acquires a lease
 * and forgets to release it.
 *
 * @module
 */

import { type Client, createClient, type RedisCommands } from "../mod.ts";

/** How a request gets its Redis connection. */
export type Variant = "naive" | "pooled" | "leased";

/** Options of {@linkcode createService}. */
export interface ServiceOptions {
  /** The Redis server, e.g. `redis://127.0.0.1:6379`. */
  url: string;
  /** How each request gets its connection. */
  variant: Variant;
  /**
   * `pool.max` of the shared client (`pooled` and `leased`).
   *
   * @default {10}
   */
  poolMax?: number;
  /**
   * How long the simulated database lookup of a cache miss takes, in
   * milliseconds.
   *
   * @default {3}
   */
  dbLatencyMs?: number;
}

/** The body of a successful `GET /api/data`. */
export interface UserDataResponse {
  /** The user asked for. */
  user: number;
  /** `"cache"` on a hit, `"db"` on a miss. */
  source: "cache" | "db";
  /** The user's data. */
  data: UserData;
}

/** What the simulated database holds for a user. */
export interface UserData {
  /** The user's id. */
  id: number;
  /** The user's name. */
  name: string;
  /** `"free"` or `"pro"`. */
  plan: string;
}

/** The demo's web service; close it (or `await using` it) when done. */
export interface Service extends AsyncDisposable {
  /** How each request gets its connection. */
  readonly variant: Variant;
  /** The shared client, or `undefined` for the naive variant. */
  readonly client: Client | undefined;
  /** Answers one HTTP request. */
  handle(request: Request): Promise<Response>;
  /** Closes the shared client. */
  close(): Promise<void>;
}

/** The key of a user's cached data. */
export const dataKey = (user: number): string => `user_data:${user}`;
/** The key of a user's session. */
export const sessionKey = (user: number): string => `session:${user}`;

/** How long cached user data lives, in seconds. */
export const CACHE_TTL_SECONDS = 3600;

/**
 * Creates the service in one of its variants.
 *
 * @example Serving the pooled variant
 * ```ts ignore
 * await using service = createService({ url, variant: "pooled" });
 * await using server = await serve(service.handle);
 * ```
 *
 * @param options Which server and variant.
 * @returns The service.
 */
export function createService(options: ServiceOptions): Service {
  const { url, variant } = options;
  const dbLatencyMs = options.dbLatencyMs ?? 3;
  const client = variant === "naive" ? undefined : createClient(url, {
    // The leak act shows the stack of every leaked lease, not a sample.
    pool: { max: options.poolMax ?? 10, leakDetection: "always" },
  });

  const data = async (user: number): Promise<Response> => {
    if (client === undefined) {
      // The article's wrong version: a connection per request.
      await using redis = createClient(url);
      return await userData(redis, user, dbLatencyMs);
    }
    if (variant === "leased") {
      await using conn = await client.acquire();
      return await userData(conn, user, dbLatencyMs);
    }
    return await userData(client, user, dbLatencyMs);
  };

  const handle = (request: Request): Promise<Response> =>
    route(request, {
      data,
      leaky: client && ((user) => leakyUserData(client, user)),
    });

  const close = async () => {
    await client?.close();
  };
  return { variant, client, handle, close, [Symbol.asyncDispose]: close };
}

/** The service's routes, as {@linkcode route} dispatches to them. */
export interface Routes {
  /** `GET /api/data?user=N`. */
  data: (user: number) => Promise<Response>;
  /** `GET /api/leaky?user=N`, when the variant has it. */
  leaky?: (user: number) => Promise<Response>;
}

/**
 * Checks the `user` parameter and calls the route of the path: 400 for a
 * bad user, 404 for an unknown path, 500 with the error when the route
 * throws.
 *
 * @param request The HTTP request.
 * @param routes What answers each path.
 * @returns The response.
 */
export async function route(
  request: Request,
  routes: Routes,
): Promise<Response> {
  const { pathname, searchParams } = new URL(request.url);
  const user = Number(searchParams.get("user"));
  if (!Number.isSafeInteger(user) || user < 1) {
    return json(400, { error: "user must be a positive integer" });
  }
  try {
    if (pathname === "/api/data") return await routes.data(user);
    if (pathname === "/api/leaky" && routes.leaky) {
      return await routes.leaky(user);
    }
    return json(404, { error: "not found" });
  } catch (error) {
    return json(500, { error: String(error) });
  }
}

/**
 * The handler's work: the session check, then cache-aside.
 *
 * @param redis Where the commands go: a client, a lease or a cluster.
 * @param user The user asked for.
 * @param dbLatencyMs How long a cache miss's database lookup takes.
 * @returns 200 with the user's data, or 401 without a session.
 */
export async function userData(
  redis: RedisCommands,
  user: number,
  dbLatencyMs: number,
): Promise<Response> {
  if (await redis.get(sessionKey(user)) === null) {
    return json(401, { error: "no session" });
  }
  const cached = await redis.get(dataKey(user));
  if (cached !== null) {
    return json(200, { user, source: "cache", data: JSON.parse(cached) });
  }
  const fresh = await loadFromDatabase(user, dbLatencyMs);
  await redis.set(dataKey(user), JSON.stringify(fresh), {
    ex: CACHE_TTL_SECONDS,
  });
  return json(200, { user, source: "db", data: fresh });
}

/** The leak act's bug: the lease is never released. */
async function leakyUserData(client: Client, user: number): Promise<Response> {
  const conn = await client.acquire(); // BUG (on purpose): no `await using`
  const session = await conn.get(sessionKey(user));
  return json(session === null ? 401 : 200, { user, session });
}

/** A stand-in for the slow database the cache protects. */
async function loadFromDatabase(
  user: number,
  latencyMs: number,
): Promise<UserData> {
  await new Promise((resolve) => setTimeout(resolve, latencyMs));
  return { id: user, name: `user ${user}`, plan: user % 3 ? "free" : "pro" };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/**
 * Gives users `1..users` a session (`SET session:N ... EX 3600`) and
 * empties their cached data, so every run starts with a cold cache.
 *
 * @param redis A client of the server the service uses.
 * @param users How many users.
 * @returns Once done.
 */
export async function prepareUsers(
  redis: RedisCommands,
  users: number,
): Promise<void> {
  const batch = 500;
  for (let first = 1; first <= users; first += batch) {
    const ids = Array.from(
      { length: Math.min(batch, users - first + 1) },
      (_, i) => first + i,
    );
    await Promise.all(
      ids.map((id) =>
        redis.set(sessionKey(id), `token-${id}`, { ex: CACHE_TTL_SECONDS })
      ),
    );
    await redis.del(...ids.map(dataKey));
  }
}
