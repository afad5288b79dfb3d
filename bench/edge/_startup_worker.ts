/**
 * The Worker `startup.ts` measures: batches of "new connection, then the
 * first PING reply", by a fresh respool client (the full one or the core
 * one) or by a raw `connect()` from `cloudflare:sockets`, each timed inside
 * workerd.
 *
 * workerd's clock moves in whole milliseconds and only across I/O, so each
 * batch times `size` connections one after another and reports the mean;
 * the sockets are closed after the clock stops, so closing is not timed.
 * The `request-*` kinds time a Worker's whole use of a connection instead:
 * open, PING, close (`await using` in a handler), one after another.
 */
import { type Client, createClient } from "../../mod.ts";
import {
  type CoreClient,
  createClient as createCoreClient,
  server,
} from "../../core.ts";
import { cloudflareTransport } from "../../src/transport/cloudflare.ts";
import type { TransportSocket } from "../../src/transport/types.ts";

interface Env {
  REDIS_HOST: string;
  REDIS_PORT: string;
}

/** The part of workerd's `cloudflare:sockets` the raw baseline uses. */
interface RawSocket {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  close(): Promise<void>;
}
interface SocketsModule {
  connect(address: { hostname: string; port: number }): RawSocket;
}

// Computed so that `deno check bench/` does not try to resolve it, as in
// src/transport/cloudflare.ts.
const SOCKETS_MODULE = "cloudflare:" + "sockets";
const PING = new TextEncoder().encode("*1\r\n$4\r\nPING\r\n");
const PONG = "+PONG\r\n";

async function rawPing(env: Env, sockets: SocketsModule): Promise<RawSocket> {
  const socket = sockets.connect({
    hostname: env.REDIS_HOST,
    port: Number(env.REDIS_PORT),
  });
  const writer = socket.writable.getWriter();
  const reader = socket.readable.getReader();
  await writer.write(PING);
  let text = "";
  const decoder = new TextDecoder();
  while (text.length < PONG.length) {
    const { done, value } = await reader.read();
    if (done) throw new Error("Cannot read PONG as the server closed");
    text += decoder.decode(value, { stream: true });
  }
  if (text !== PONG) throw new Error(`Expected +PONG, got ${text}`);
  writer.releaseLock();
  reader.releaseLock();
  return socket;
}

/** The transport alone, without the client: where the overhead is not. */
async function transportPing(env: Env): Promise<TransportSocket> {
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  let received = 0;
  const socket = await cloudflareTransport.connect({
    host: env.REDIS_HOST,
    port: Number(env.REDIS_PORT),
  }, {
    data(chunk) {
      received += chunk.length;
      if (received >= PONG.length) resolve();
    },
    close: (error) => reject(error ?? new Error("Closed before +PONG")),
  });
  socket.write(PING);
  await promise;
  return socket;
}

async function clientPing(env: Env, protocol: 2 | 3): Promise<Client> {
  const redis = createClient({
    host: env.REDIS_HOST,
    port: Number(env.REDIS_PORT),
    protocol,
  });
  const reply = await redis.ping();
  if (reply !== "PONG") throw new Error(`Expected PONG, got ${reply}`);
  return redis;
}

async function corePing(env: Env, protocol: 2 | 3): Promise<CoreClient> {
  const redis = createCoreClient({
    host: env.REDIS_HOST,
    port: Number(env.REDIS_PORT),
    protocol,
  });
  const reply = await redis.run(server.ping());
  if (reply !== "PONG") throw new Error(`Expected PONG, got ${reply}`);
  return redis;
}

/** Open, PING, close, as a Worker's request does: raw or core client. */
async function request(
  env: Env,
  kind: string,
  sockets: SocketsModule,
): Promise<void> {
  if (kind === "request-raw") {
    await (await rawPing(env, sockets)).close();
    return;
  }
  await using _redis = await corePing(env, 3);
}

async function batch(
  env: Env,
  kind: string,
  size: number,
): Promise<number> {
  const sockets = await import(SOCKETS_MODULE) as SocketsModule;
  if (kind.startsWith("request-")) {
    const started = performance.now();
    for (let i = 0; i < size; i++) await request(env, kind, sockets);
    return (performance.now() - started) / size;
  }
  const clients: (Client | CoreClient)[] = [];
  const raws: RawSocket[] = [];
  const transports: TransportSocket[] = [];
  const started = performance.now();
  for (let i = 0; i < size; i++) {
    if (kind === "raw") raws.push(await rawPing(env, sockets));
    else if (kind === "transport") transports.push(await transportPing(env));
    else if (kind.startsWith("core")) {
      clients.push(await corePing(env, kind === "core2" ? 2 : 3));
    } else clients.push(await clientPing(env, kind === "resp2" ? 2 : 3));
  }
  const elapsed = performance.now() - started;
  for (const socket of transports) socket.destroy();
  await Promise.all([
    ...clients.map((c) => c.close()),
    ...raws.map((s) => s.close()),
  ]);
  return elapsed / size;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const kind = url.searchParams.get("kind") ?? "raw";
    const size = Number(url.searchParams.get("size") ?? "1");
    try {
      return Response.json({ ms: await batch(env, kind, size) });
    } catch (error) {
      return Response.json({ error: String(error) }, { status: 500 });
    }
  },
};
