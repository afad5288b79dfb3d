/**
 * The Worker the workerd tests run: built from `mod.ts` by esbuild, driven
 * with `dispatchFetch`, answering JSON that `workerd.ts` checks. Each route
 * reports what it saw instead of asserting, so a failure shows every value.
 */
import {
  type Client,
  createClient,
  noRetry,
  RedisError,
  ReplyError,
} from "../../mod.ts";
import { cloudflareTransport } from "../../src/transport/cloudflare.ts";
import { detectRuntime } from "../../src/transport/detect.ts";
import type { TransportHandlers } from "../../src/transport/types.ts";
import { recordFirstWrites } from "../_recording.ts";

/** The part of a Durable Object namespace binding this Worker uses. */
interface DurableObjectNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(request: Request): Promise<Response> };
}

interface Env {
  REDIS_URL: string;
  REDIS_HOST: string;
  REDIS_PORT: string;
  /** A loopback port nothing listens on. */
  CLOSED_PORT: string;
  REDIS_TLS_URL: string;
  HOLDER: DurableObjectNamespace;
}

function describeError(error: unknown): Record<string, unknown> {
  const e = error as Error & { code?: string; prefix?: string };
  return {
    name: e?.name,
    code: e?.code,
    prefix: e?.prefix,
    message: e?.message,
    isRedisError: error instanceof RedisError,
    isReplyError: error instanceof ReplyError,
  };
}

/** Connect, GET/SET, bytes, a pipeline, a lease, an error reply, close. */
async function tour(env: Env): Promise<Record<string, unknown>> {
  const report: Record<string, unknown> = {
    runtime: detectRuntime(),
    finalizationRegistry: typeof FinalizationRegistry,
    weakRef: typeof WeakRef,
  };
  await using redis = createClient(env.REDIS_URL, { pool: { max: 2 } });
  report.leakTracking = redis.leakTracking;
  await redis.connect();
  report.connected = redis.stats().total;
  report.set = await redis.set("edge:greeting", "héllo from workerd");
  report.get = await redis.get("edge:greeting");
  report.missing = await redis.get("edge:missing");
  const raw = await redis.send(["GET", "edge:greeting"], { bytes: true });
  report.bytes = raw instanceof Uint8Array
    ? { length: raw.length, first: raw[0] }
    : String(raw);
  const pipelined = redis as Client & {
    pipeline?: () => {
      set(k: string, v: string): unknown;
      incr(k: string): unknown;
      get(k: string): unknown;
      exec(): Promise<unknown[]>;
    };
  };
  if (typeof pipelined.pipeline === "function") {
    const pipeline = pipelined.pipeline();
    pipeline.set("edge:n", "41");
    pipeline.incr("edge:n");
    pipeline.get("edge:n");
    report.pipeline = await pipeline.exec();
  } else {
    report.pipeline = "absent";
  }
  {
    await using lease = await redis.acquire({ timeout: 1_000 });
    await lease.send(["SELECT", 1]);
    await lease.set("edge:db1", "in db 1");
    report.lease = {
      value: await lease.get("edge:db1"),
      leasedInside: redis.stats().leased,
    };
  }
  report.leasedAfter = redis.stats().leased;
  // The lease was reset to db 0 when released: the key is not there.
  report.db0 = await redis.get("edge:db1");
  await redis.set("edge:text", "not a number");
  try {
    await redis.incr("edge:text");
    report.error = null;
  } catch (error) {
    report.error = describeError(error);
  }
  report.stillWorks = await redis.ping();
  await redis.close();
  report.afterClose = redis.stats();
  try {
    await redis.get("edge:greeting");
    report.useAfterClose = null;
  } catch (error) {
    report.useAfterClose = describeError(error);
  }
  return report;
}

/** The anti-pattern the README warns of: one client for every request. */
let global: Client | undefined;

async function globalClient(env: Env): Promise<Record<string, unknown>> {
  global ??= createClient(env.REDIS_URL, { pool: { max: 1 } });
  try {
    return { hits: await global.incr("edge:global") };
  } catch (error) {
    return { error: describeError(error) };
  }
}

/**
 * The per-request pattern, as the README shows it; named so that the test
 * can find its connections in CLIENT LIST.
 */
async function hit(env: Env): Promise<Record<string, unknown>> {
  await using redis = createClient(env.REDIS_URL, { name: "edge-hit" });
  return { hits: await redis.incr("edge:hits") };
}

/** `rediss://` to a server whose certificate no public CA signed. */
async function untrustedTls(env: Env): Promise<Record<string, unknown>> {
  const started = Date.now();
  await using redis = createClient(env.REDIS_TLS_URL, {
    connectTimeout: 3_000,
    retry: noRetry,
    reconnect: noRetry,
  });
  try {
    await redis.ping();
    return { error: null };
  } catch (error) {
    return { error: describeError(error), ms: Date.now() - started };
  }
}

/** Options a Worker cannot honour are refused before any I/O. */
async function refusedOptions(env: Env): Promise<Record<string, unknown>> {
  const report: Record<string, unknown> = {};
  const tries: Record<string, Parameters<typeof createClient>[1]> = {
    ca: { tls: { ca: "-----BEGIN CERTIFICATE-----" } },
    noVerify: { tls: { rejectUnauthorized: false } },
    servername: { tls: { servername: "redis.example" } },
    unix: { path: "/tmp/redis.sock" },
  };
  for (const [name, options] of Object.entries(tries)) {
    await using redis = createClient(env.REDIS_URL, {
      ...options,
      connectTimeout: 2_000,
      retry: noRetry,
      reconnect: noRetry,
    });
    try {
      await redis.connect();
      report[name] = null;
    } catch (error) {
      const cause = (error as Error).cause;
      report[name] = {
        ...describeError(error),
        cause: cause === undefined ? undefined : describeError(cause),
      };
    }
  }
  return report;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function resp(...args: string[]): Uint8Array {
  let text = `*${args.length}\r\n`;
  for (const arg of args) {
    text += `$${encoder.encode(arg).length}\r\n${arg}\r\n`;
  }
  return encoder.encode(text);
}

/** Handlers that record what the transport reports. */
class Probe implements TransportHandlers {
  text = "";
  closeCalls: (string | undefined)[] = [];
  readonly closed: Promise<void>;
  #onClosed!: () => void;
  #waiters: { until: string; resolve: () => void }[] = [];

  constructor() {
    this.closed = new Promise((resolve) => this.#onClosed = resolve);
  }

  data(chunk: Uint8Array): void {
    this.text += decoder.decode(chunk, { stream: true });
    this.#waiters = this.#waiters.filter((w) => {
      if (!this.text.includes(w.until)) return true;
      w.resolve();
      return false;
    });
  }

  close(error?: Error): void {
    this.closeCalls.push(error?.message);
    this.#onClosed();
  }

  received(until: string): Promise<void> {
    if (this.text.includes(until)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ until, resolve }));
  }
}

/** cloudflareTransport on its own, against the contract in types.ts. */
async function transport(env: Env): Promise<Record<string, unknown>> {
  const report: Record<string, unknown> = {};
  const where = { host: env.REDIS_HOST, port: Number(env.REDIS_PORT) };

  // Many writes in one tick, one of 1 MiB: sent whole and in order.
  {
    const probe = new Probe();
    const socket = await cloudflareTransport.connect(where, probe);
    const big = "x".repeat(1 << 20);
    socket.write(resp("SET", "edge:big", big));
    for (let i = 0; i < 100; i++) socket.write(resp("ECHO", `m${i}`));
    socket.write(resp("STRLEN", "edge:big"));
    await probe.received(`:${1 << 20}\r\n`);
    const echoes = [...probe.text.matchAll(/\$\d+\r\n(m\d+)\r\n/g)].map(
      (m) => m[1],
    );
    report.ordered = echoes.join(",") ===
      Array.from({ length: 100 }, (_, i) => `m${i}`).join(",");
    report.setFirst = probe.text.startsWith("+OK\r\n");
    socket.destroy();
  }

  // destroy(): close reported once, later calls do nothing.
  {
    const probe = new Probe();
    const socket = await cloudflareTransport.connect(where, probe);
    socket.destroy();
    socket.destroy();
    socket.write(resp("PING"));
    await probe.closed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    report.destroyCloseCalls = probe.closeCalls;
  }

  // The server hangs up (QUIT): close reported once.
  {
    const probe = new Probe();
    const socket = await cloudflareTransport.connect(where, probe);
    socket.write(resp("QUIT"));
    await probe.closed;
    socket.destroy();
    report.serverCloseCalls = probe.closeCalls;
    report.quitReply = probe.text;
  }

  // Nothing listens: connect() rejects, naming the address.
  try {
    await cloudflareTransport.connect(
      { host: "127.0.0.1", port: Number(env.CLOSED_PORT) },
      new Probe(),
    );
    report.refused = null;
  } catch (error) {
    report.refused = (error as Error).message;
  }

  // An aborted signal rejects with its reason.
  try {
    const controller = new AbortController();
    controller.abort(new Error("given up"));
    await cloudflareTransport.connect(
      { ...where, signal: controller.signal },
      new Probe(),
    );
    report.aborted = null;
  } catch (error) {
    report.aborted = (error as Error).message;
  }

  // A new client's first command leaves in the same write as its HELLO:
  // here a second write waits a turn of workerd's event loop.
  {
    const { transport, firstWrites } = recordFirstWrites(cloudflareTransport);
    for (let i = 0; i < 3; i++) {
      await using redis = createClient({ ...where, transport });
      await redis.ping();
    }
    report.firstWrites = firstWrites;
  }
  return report;
}

/**
 * A Durable Object keeps its client, and so its pool's sockets, across
 * requests: a Worker cannot.
 */
export class RedisHolder {
  readonly #redis: Client;

  constructor(_state: unknown, env: Env) {
    this.#redis = createClient(env.REDIS_URL, { pool: { max: 2 } });
  }

  async fetch(_request: Request): Promise<Response> {
    const clientId = await this.#redis.send(["CLIENT", "ID"]);
    const { created, total } = this.#redis.stats();
    return Response.json({ clientId, created, total });
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url);
    try {
      switch (pathname) {
        case "/transport":
          return Response.json(await transport(env));
        case "/tour":
          return Response.json(await tour(env));
        case "/global":
          return Response.json(await globalClient(env));
        case "/hit":
          return Response.json(await hit(env));
        case "/tls-untrusted":
          return Response.json(await untrustedTls(env));
        case "/refused":
          return Response.json(await refusedOptions(env));
        case "/holder":
          return await env.HOLDER.get(env.HOLDER.idFromName("one")).fetch(
            request,
          );
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
