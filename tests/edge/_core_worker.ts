/**
 * The Worker the workerd tests run on the core entry: built from `core.ts`
 * by esbuild, driven with `dispatchFetch`, answering JSON that `workerd.ts`
 * checks. Each route reports what it saw instead of asserting, so a
 * failure shows every value.
 */
import {
  blockingLists,
  createClient,
  hashes,
  keys,
  RedisError,
  ReplyError,
  strings,
} from "../../core.ts";
import { detectRuntime } from "../../src/transport/detect.ts";

interface Env {
  REDIS_URL: string;
}

function describeError(error: unknown): Record<string, unknown> {
  const e = error as Error & { code?: string };
  return {
    name: e?.name,
    code: e?.code,
    message: e?.message,
    isRedisError: error instanceof RedisError,
    isReplyError: error instanceof ReplyError,
  };
}

async function attempt(run: () => Promise<unknown>): Promise<unknown> {
  try {
    return { value: await run() };
  } catch (error) {
    return { error: describeError(error) };
  }
}

/** Typed commands, a pipeline, a lease, the guards, an error, close. */
async function tour(env: Env): Promise<Record<string, unknown>> {
  const report: Record<string, unknown> = { runtime: detectRuntime() };
  await using redis = createClient(env.REDIS_URL, { pool: { max: 3 } });
  report.leakTracking = redis.leakTracking;
  report.set = await redis.run(strings.set("core-edge:n", 41));
  report.incr = await redis.run(strings.incr("core-edge:n"));
  report.hset = await redis.run(hashes.hset("core-edge:h", { a: "1" }));
  report.hgetall = await redis.run(hashes.hgetall("core-edge:h"));
  report.raw = await redis.send(["STRLEN", "core-edge:n"]);
  report.pipeline = await redis.pipeline()
    .add(strings.incr("core-edge:n"))
    .add(keys.expire("core-edge:n", 60))
    .send(["GET", "core-edge:n"])
    .exec();
  {
    await using lease = await redis.acquire({ timeout: 1_000 });
    await lease.send(["SELECT", 1]);
    await lease.run(strings.set("core-edge:db1", "in db 1"));
    report.lease = {
      value: await lease.run(strings.get("core-edge:db1")),
      leased: redis.stats().leased,
    };
  }
  report.leasedAfter = redis.stats().leased;
  report.db0 = await redis.run(strings.get("core-edge:db1"));
  report.select = await attempt(() => redis.send(["SELECT", 1]));
  report.blocking = await attempt(() =>
    redis.run(blockingLists.blpop("core-edge:empty", 0), { timeout: 100 })
  );
  await redis.run(strings.set("core-edge:text", "not a number"));
  report.replyError = await attempt(() =>
    redis.run(strings.incr("core-edge:text"))
  );
  report.stillWorks = await redis.send(["PING"]);
  report.refusedOption = await attempt(() =>
    Promise.resolve(createClient(env.REDIS_URL, { cache: true } as never))
  );
  await redis.close();
  report.afterClose = redis.stats().total;
  report.useAfterClose = await attempt(() =>
    redis.run(strings.get("core-edge:n"))
  );
  return report;
}

/** The per-request pattern. */
async function hit(env: Env): Promise<Record<string, unknown>> {
  await using redis = createClient(env.REDIS_URL, { name: "core-edge-hit" });
  return { hits: await redis.run(strings.incr("core-edge:hits")) };
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url);
    try {
      switch (pathname) {
        case "/tour":
          return Response.json(await tour(env));
        case "/hit":
          return Response.json(await hit(env));
        default:
          return new Response("Not found", { status: 404 });
      }
    } catch (error) {
      return Response.json({ uncaught: describeError(error) }, {
        status: 500,
      });
    }
  },
};
