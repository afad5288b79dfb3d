/**
 * Tracing: the spans a client and a cluster record with a tracer (a small
 * recording tracer written here, then OpenTelemetry's own SDK): names,
 * kinds, attributes per the database conventions for Redis, statuses, one
 * end each, and no argument value anywhere.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type Context,
  context,
  type ContextManager,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import {
  type Client,
  createClient,
  createCluster,
  noRetry,
  PoolTimeoutError,
  ReplyError,
  type Span,
  type SpanAttributes,
  type SpanException,
  type SpanOptions,
  type SpanStatus,
  type Tracer,
} from "../mod.ts";
import { freePort, type RedisServer, startRedis } from "./_redis.ts";
import { type RedisCluster, startCluster } from "./_cluster.ts";
import { sleep } from "./_util.ts";

const T = { timeout: 30_000 };

/** Argument values the tests send: none may show up in a span. */
const SECRET_KEY = "trace:secret-key-7d1f";
const SECRET_VALUE = "secret-value-4b2e";

/** One span as the recording tracer saw it. */
interface Recorded {
  readonly name: string;
  readonly kind: number | undefined;
  readonly attributes: Record<string, unknown>;
  status: SpanStatus | undefined;
  readonly exceptions: SpanException[];
  readonly startedAt: number;
  endedAt: number | undefined;
  ends: number;
}

/** A tracer that keeps every span it starts. */
class RecordingTracer implements Tracer {
  readonly spans: Recorded[] = [];

  startSpan(name: string, options?: SpanOptions): Span {
    const recorded: Recorded = {
      name,
      kind: options?.kind,
      attributes: { ...options?.attributes },
      status: undefined,
      exceptions: [],
      startedAt: performance.now(),
      endedAt: undefined,
      ends: 0,
    };
    this.spans.push(recorded);
    return {
      setAttributes(attributes: SpanAttributes) {
        Object.assign(recorded.attributes, attributes);
      },
      setStatus(status: SpanStatus) {
        recorded.status = status;
      },
      recordException(exception: SpanException) {
        recorded.exceptions.push(exception);
      },
      end() {
        recorded.ends++;
        recorded.endedAt = performance.now();
      },
    };
  }

  named(name: string): Recorded[] {
    return this.spans.filter((span) => span.name === name);
  }

  /** The one span with that name. */
  one(name: string): Recorded {
    const found = this.named(name);
    assert.equal(found.length, 1, `spans named ${name}: ${this.names()}`);
    return found[0];
  }

  names(): string[] {
    return this.spans.map((span) => span.name);
  }

  clear(): void {
    this.spans.length = 0;
  }
}

/** Every span ended exactly once and none holds an argument value. */
function assertClean(spans: readonly Recorded[]): void {
  for (const span of spans) {
    assert.equal(span.ends, 1, `${span.name} ended ${span.ends} times`);
    const text = JSON.stringify([
      span.name,
      span.attributes,
      span.status,
      span.exceptions,
    ]);
    for (const secret of [SECRET_KEY, SECRET_VALUE, "secret"]) {
      assert.ok(!text.includes(secret), `${span.name} holds ${secret}`);
    }
  }
}

let server: RedisServer;

before(async () => {
  server = await startRedis();
});

after(async () => {
  await server?.stop();
});

describe("createClient({ tracer }) with a recording tracer", () => {
  const tracer = new RecordingTracer();
  let redis: Client;

  before(async () => {
    redis = createClient(server.url, { tracer, db: 3 });
    await redis.connect();
  });

  after(async () => {
    await redis?.close();
    assertClean(tracer.spans);
  });

  test(
    "a command is a CLIENT span named by its operation, with the conventions' attributes",
    T,
    async () => {
      tracer.clear();
      await redis.set(SECRET_KEY, SECRET_VALUE);
      assert.equal(await redis.get(SECRET_KEY), SECRET_VALUE);
      assert.deepEqual(tracer.names(), ["SET", "GET"]);
      const get = tracer.one("GET");
      assert.equal(get.kind, 2);
      assert.deepEqual(get.attributes, {
        "db.system.name": "redis",
        "db.operation.name": "GET",
        "db.namespace": "3",
        "server.address": "127.0.0.1",
        "server.port": server.port,
      });
      assert.equal(get.status, undefined);
      assert.deepEqual(get.exceptions, []);
      assertClean(tracer.spans);
    },
  );

  test(
    "a subcommand is named with its container, an unknown command by its first word",
    T,
    async () => {
      tracer.clear();
      await redis.send(["client", "getname"]);
      await assert.rejects(
        redis.send(["NOSUCHCOMMAND", SECRET_KEY, SECRET_VALUE]),
        ReplyError,
      );
      assert.deepEqual(tracer.names(), ["CLIENT GETNAME", "NOSUCHCOMMAND"]);
      assert.equal(
        tracer.one("CLIENT GETNAME").attributes["db.operation.name"],
        "CLIENT GETNAME",
      );
      // The server quotes the arguments in its error: they are cut.
      const unknown = tracer.one("NOSUCHCOMMAND");
      assert.equal(unknown.status?.code, 2);
      assert.match(unknown.status?.message ?? "", /^ERR unknown command/);
      assertClean(tracer.spans);
    },
  );

  test(
    "a server error sets error.type, db.response.status_code, the exception and status ERROR",
    T,
    async () => {
      tracer.clear();
      await redis.set(SECRET_KEY, SECRET_VALUE);
      const error = await redis.lpush(SECRET_KEY, SECRET_VALUE).then(
        () => assert.fail("LPUSH on a string resolved"),
        (error: unknown) => error,
      );
      assert.ok(error instanceof ReplyError);
      const span = tracer.one("LPUSH");
      assert.equal(span.attributes["error.type"], "WRONGTYPE");
      assert.equal(span.attributes["db.response.status_code"], "WRONGTYPE");
      assert.deepEqual(span.status, { code: 2, message: error.message });
      assert.equal(span.exceptions.length, 1);
      assert.equal(span.exceptions[0].name, "ReplyError");
      assert.equal(span.exceptions[0].message, error.message);
      assertClean(tracer.spans);
    },
  );

  test("a client-side failure is typed by the error's class", T, async () => {
    tracer.clear();
    await assert.rejects(redis.send(["SELECT", 1]), TypeError);
    const span = tracer.one("SELECT");
    assert.equal(span.attributes["error.type"], "TypeError");
    assert.equal(span.attributes["db.response.status_code"], undefined);
    assert.equal(span.status?.code, 2);
    assertClean(tracer.spans);
  });

  test(
    "a pipeline is one PIPELINE span with db.operation.batch.size",
    T,
    async () => {
      tracer.clear();
      await redis.pipeline().get(SECRET_KEY).get("trace:other").exec();
      await redis.pipeline().set(SECRET_KEY, SECRET_VALUE).get(SECRET_KEY)
        .exec();
      await redis.pipeline().get(SECRET_KEY).exec();
      assert.deepEqual(tracer.names(), ["PIPELINE GET", "PIPELINE", "GET"]);
      const [same, mixed, single] = tracer.spans;
      assert.equal(same.kind, 2);
      assert.equal(same.attributes["db.operation.name"], "PIPELINE GET");
      assert.equal(same.attributes["db.operation.batch.size"], 2);
      assert.equal(same.attributes["server.port"], server.port);
      assert.equal(mixed.attributes["db.operation.batch.size"], 2);
      // A batch of one is an operation for the conventions, not a batch.
      assert.equal(single.attributes["db.operation.batch.size"], undefined);
      assert.equal(single.status, undefined);
      assertClean(tracer.spans);
    },
  );

  test(
    "a pipeline whose command failed is marked with that server error",
    T,
    async () => {
      tracer.clear();
      await redis.set(SECRET_KEY, SECRET_VALUE);
      const [, failed] = await redis.pipeline().get(SECRET_KEY)
        .lpush(SECRET_KEY, SECRET_VALUE).exec();
      assert.ok(failed instanceof ReplyError);
      const span = tracer.one("PIPELINE");
      assert.equal(span.attributes["db.response.status_code"], "WRONGTYPE");
      assert.equal(span.status?.code, 2);
      assertClean(tracer.spans);
    },
  );

  test("multi().exec() is one MULTI span", T, async () => {
    tracer.clear();
    await redis.multi().incr("trace:n").expire("trace:n", 60).exec();
    await redis.multi().incr("trace:a").incr("trace:b").exec();
    assert.deepEqual(tracer.names(), ["MULTI", "MULTI INCR"]);
    const [multi, incr] = tracer.spans;
    assert.equal(multi.kind, 2);
    assert.equal(multi.attributes["db.operation.name"], "MULTI");
    assert.equal(multi.attributes["db.operation.batch.size"], 2);
    assert.equal(incr.attributes["db.operation.batch.size"], 2);
    assert.equal(multi.status, undefined);
    assertClean(tracer.spans);
  });

  test("an EXECABORT marks the MULTI span", T, async () => {
    tracer.clear();
    await assert.rejects(
      redis.multi().incr("trace:n").send(["NOSUCHCOMMAND", SECRET_VALUE])
        .exec(),
      ReplyError,
    );
    const span = tracer.one("MULTI");
    assert.equal(span.attributes["db.response.status_code"], "EXECABORT");
    assert.equal(span.status?.code, 2);
    assertClean(tracer.spans);
  });

  test(
    "transaction() records the acquire, the lease's commands and one MULTI span",
    T,
    async () => {
      tracer.clear();
      const replies = await redis.transaction(async (lease) => {
        const n = Number(await lease.get("trace:counter"));
        return lease.multi().set("trace:counter", n + 1);
      }, { watch: ["trace:counter"] });
      assert.deepEqual(replies, ["OK"]);
      assert.deepEqual(tracer.names(), [
        "acquire",
        "WATCH",
        "GET",
        "MULTI SET",
      ]);
      const [acquire, watch, , multi] = tracer.spans;
      assert.equal(acquire.kind, 0);
      assert.equal(acquire.attributes["server.port"], server.port);
      assert.equal(acquire.attributes["db.operation.name"], undefined);
      assert.equal(watch.kind, 2);
      assert.equal(watch.attributes["server.port"], server.port);
      // One command in the block: not a batch for the conventions.
      assert.equal(multi.attributes["db.operation.batch.size"], undefined);
      assertClean(tracer.spans);
    },
  );

  test("a lease's commands carry the database it SELECTed", T, async () => {
    tracer.clear();
    const lease = await redis.acquire();
    try {
      await lease.send(["SELECT", 5]);
      await lease.get(SECRET_KEY);
    } finally {
      await lease.release();
    }
    assert.deepEqual(tracer.names(), ["acquire", "SELECT", "GET"]);
    assert.equal(tracer.one("SELECT").attributes["db.namespace"], "3");
    assert.equal(tracer.one("GET").attributes["db.namespace"], "5");
    assertClean(tracer.spans);
  });

  test("a blocking command is one span, next to its acquire", T, async () => {
    tracer.clear();
    assert.equal(await redis.blpop("trace:empty", 0.05), null);
    assert.deepEqual(tracer.names(), ["BLPOP", "acquire"]);
    assertClean(tracer.spans);
  });
});

describe("createClient({ tracer }): connect and acquire spans", () => {
  test("opening a connection is a CLIENT span named connect", T, async () => {
    const tracer = new RecordingTracer();
    const redis = createClient(server.url, { tracer, db: 2 });
    try {
      await redis.get(SECRET_KEY);
    } finally {
      await redis.close();
    }
    const connect = tracer.one("connect");
    assert.equal(connect.kind, 2);
    assert.deepEqual(connect.attributes, {
      "db.system.name": "redis",
      "db.namespace": "2",
      "server.address": "127.0.0.1",
      "server.port": server.port,
    });
    assert.equal(connect.status, undefined);
    // The command waited for the connection.
    assert.ok(connect.endedAt! <= tracer.one("GET").endedAt!);
    assertClean(tracer.spans);
  });

  test(
    "a connection that cannot be opened marks its connect span",
    T,
    async () => {
      const tracer = new RecordingTracer();
      const port = await freePort();
      const redis = createClient({
        port,
        tracer,
        retry: noRetry,
        reconnect: noRetry,
      });
      try {
        await assert.rejects(redis.get(SECRET_KEY));
      } finally {
        await redis.close();
      }
      const connect = tracer.one("connect");
      assert.equal(connect.attributes["server.port"], port);
      assert.equal(connect.attributes["error.type"], "ConnectionError");
      assert.equal(connect.status?.code, 2);
      assert.equal(tracer.one("GET").status?.code, 2);
      assertClean(tracer.spans);
    },
  );

  test(
    "waiting in acquire is an INTERNAL span that lasts the wait",
    T,
    async () => {
      const tracer = new RecordingTracer();
      // max 2: leases may hold one connection.
      const redis = createClient(server.url, { tracer, pool: { max: 2 } });
      try {
        const first = await redis.acquire();
        const waiting = redis.acquire();
        await sleep(60);
        await first.release();
        const second = await waiting;
        await assert.rejects(redis.acquire({ timeout: 20 }), PoolTimeoutError);
        await second.release();
      } finally {
        await redis.close();
      }
      const [quick, waited, refused] = tracer.named("acquire");
      assert.equal(quick.kind, 0);
      assert.equal(quick.status, undefined);
      assert.ok(
        waited.endedAt! - waited.startedAt >= 50,
        `waited ${waited.endedAt! - waited.startedAt} ms`,
      );
      assert.equal(waited.attributes["server.port"], server.port);
      assert.equal(refused.attributes["error.type"], "PoolTimeoutError");
      assert.equal(refused.status?.code, 2);
      assertClean(tracer.spans);
    },
  );

  test("createClient() refuses a tracer without startSpan", () => {
    assert.throws(
      () => createClient({ tracer: {} as Tracer }),
      /tracer must be an OpenTelemetry Tracer/,
    );
  });
});

describe("createCluster({ tracer }) against a real Redis Cluster", () => {
  const tracer = new RecordingTracer();
  let redis: RedisCluster;

  before(async () => {
    redis = await startCluster({ replicasPerPrimary: 0 });
  }, { timeout: 60_000 });

  after(async () => {
    await redis?.stop();
  }, { timeout: 60_000 });

  test(
    "a command's span names the node that served it; a split one none",
    T,
    async () => {
      const cluster = createCluster(redis.seeds, { tracer });
      try {
        const keys = ["trace:a", "trace:b", "trace:c", "trace:d", "trace:e"];
        const nodes = await Promise.all(
          keys.map((key) => cluster.nodeFor(key)),
        );
        assert.ok(new Set(nodes).size > 1, "the keys are on several nodes");
        // Loading the slot map opened connections.
        const connect = tracer.named("connect")[0];
        assert.equal(connect.kind, 2);
        assert.equal(connect.attributes["db.namespace"], "0");
        assert.equal(connect.attributes["server.address"], "127.0.0.1");
        tracer.clear();
        await cluster.set(keys[0], SECRET_VALUE);
        const set = tracer.one("SET");
        assert.equal(set.kind, 2);
        assert.deepEqual(set.attributes, {
          "db.system.name": "redis",
          "db.operation.name": "SET",
          "db.namespace": "0",
          "server.address": "127.0.0.1",
          "server.port": Number(nodes[0].split(":")[1]),
        });
        await cluster.mget(...keys);
        assert.equal(
          tracer.one("MGET").attributes["server.address"],
          undefined,
        );
        await cluster.pipeline().get(keys[0]).get(keys[1]).get(keys[2]).exec();
        const pipeline = tracer.one("PIPELINE GET");
        assert.equal(pipeline.attributes["db.operation.batch.size"], 3);
        assert.equal(pipeline.attributes["server.address"], undefined);
        await cluster.pipeline().get(keys[0]).set(keys[0], "x").exec();
        assert.equal(
          tracer.one("PIPELINE").attributes["server.port"],
          Number(nodes[0].split(":")[1]),
        );
        const lease = await cluster.acquire({ key: keys[1] });
        try {
          await lease.get(keys[1]);
        } finally {
          await lease.release();
        }
        const port = Number(nodes[1].split(":")[1]);
        assert.equal(tracer.one("acquire").attributes["server.port"], port);
        assert.equal(tracer.one("GET").attributes["server.port"], port);
      } finally {
        await cluster.close();
      }
      assertClean(tracer.spans);
    },
  );
});

/**
 * A context manager that keeps the active context for the synchronous part
 * of `with()`: enough to see that respool's spans start in the context
 * active when a command is called.
 */
class SyncContextManager implements ContextManager {
  #stack: Context[] = [];

  active(): Context {
    return this.#stack[this.#stack.length - 1] ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    active: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    this.#stack.push(active);
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.#stack.pop();
    }
  }

  bind<T>(_context: Context, target: T): T {
    return target;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.#stack = [];
    return this;
  }
}

describe("createClient({ tracer }) with @opentelemetry/sdk-trace-base", () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  // The SDK's tracer is a Tracer as respool declares it.
  const tracer: Tracer = provider.getTracer("respool-test");
  let redis: Client;

  before(async () => {
    context.setGlobalContextManager(new SyncContextManager());
    redis = createClient(server.url, { tracer });
    await redis.connect();
  });

  after(async () => {
    await redis?.close();
    context.disable();
    await provider.shutdown();
  });

  function finished(name: string): ReadableSpan {
    const spans = exporter.getFinishedSpans().filter((s) => s.name === name);
    assert.equal(spans.length, 1, `spans named ${name}`);
    return spans[0];
  }

  function assertNoArguments(): void {
    for (const span of exporter.getFinishedSpans()) {
      const text = JSON.stringify([
        span.name,
        span.attributes,
        span.status,
        span.events.map((event) => event.attributes),
      ]);
      assert.ok(!text.includes("secret"), `${span.name}: ${text}`);
    }
  }

  test(
    "a command is exported as a CLIENT span with the conventions' attributes",
    T,
    async () => {
      exporter.reset();
      await redis.set(SECRET_KEY, SECRET_VALUE);
      const span = finished("SET");
      assert.equal(span.kind, SpanKind.CLIENT);
      assert.deepEqual({ ...span.attributes }, {
        "db.system.name": "redis",
        "db.operation.name": "SET",
        "db.namespace": "0",
        "server.address": "127.0.0.1",
        "server.port": server.port,
      });
      assert.equal(span.status.code, SpanStatusCode.UNSET);
      assert.ok(span.ended);
      assertNoArguments();
    },
  );

  test(
    "a span starts in the active context: its parent is the caller's span",
    T,
    async () => {
      exporter.reset();
      const parent = provider.getTracer("app").startSpan("handler");
      await context.with(
        trace.setSpan(context.active(), parent),
        () => redis.get(SECRET_KEY),
      );
      parent.end();
      const get = finished("GET");
      assert.equal(
        get.parentSpanContext?.spanId,
        parent.spanContext().spanId,
      );
      assert.equal(get.spanContext().traceId, parent.spanContext().traceId);
    },
  );

  test(
    "a server error is exported with status ERROR and an exception event",
    T,
    async () => {
      exporter.reset();
      await redis.set(SECRET_KEY, SECRET_VALUE);
      await assert.rejects(redis.incr(SECRET_KEY), ReplyError);
      const span = finished("INCR");
      assert.equal(span.status.code, SpanStatusCode.ERROR);
      assert.match(span.status.message ?? "", /^ERR value is not an integer/);
      assert.equal(span.attributes["error.type"], "ERR");
      assert.equal(span.attributes["db.response.status_code"], "ERR");
      assert.equal(span.events.length, 1);
      assert.equal(span.events[0].name, "exception");
      assert.equal(
        span.events[0].attributes?.["exception.type"],
        "ReplyError",
      );
      assertNoArguments();
    },
  );

  test(
    "a pipeline and a transaction are exported as one span each",
    T,
    async () => {
      exporter.reset();
      await redis.pipeline().get(SECRET_KEY).get(SECRET_KEY).get(SECRET_KEY)
        .exec();
      await redis.multi().set(SECRET_KEY, SECRET_VALUE).get(SECRET_KEY).exec();
      const names = exporter.getFinishedSpans().map((span) => span.name);
      assert.deepEqual(names, ["PIPELINE GET", "MULTI"]);
      assert.equal(
        finished("PIPELINE GET").attributes["db.operation.batch.size"],
        3,
      );
      assert.equal(finished("MULTI").attributes["db.operation.batch.size"], 2);
      assertNoArguments();
    },
  );

  test("connect and acquire are exported", T, async () => {
    exporter.reset();
    const fresh = createClient(server.url, { tracer });
    try {
      const lease = await fresh.acquire();
      await lease.release();
    } finally {
      await fresh.close();
    }
    const connect = finished("connect");
    assert.equal(connect.kind, SpanKind.CLIENT);
    assert.equal(connect.attributes["server.port"], server.port);
    assert.equal(finished("acquire").kind, SpanKind.INTERNAL);
  });
});
