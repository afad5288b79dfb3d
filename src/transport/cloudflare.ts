/**
 * The Cloudflare Workers transport: `connect()` from `cloudflare:sockets`,
 * `secureTransport: "on"` for TLS (Redis has no STARTTLS). A Worker cannot
 * keep a socket across requests (workerd closes it when the request that
 * opened it ends); a Durable Object can.
 *
 * @module
 */

import type {
  Transport,
  TransportConnectOptions,
  TransportHandlers,
  TransportSocket,
} from "./types.ts";
import { takeQueued } from "./_join.ts";

/** The part of workerd's `Socket` this transport uses. */
interface WorkerSocket {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly opened: Promise<unknown>;
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

/** The part of the `cloudflare:sockets` module this transport uses. */
interface SocketsModule {
  connect(
    address: { hostname: string; port: number },
    options: { secureTransport: "off" | "on"; allowHalfOpen: boolean },
  ): WorkerSocket;
}

/*
 * `cloudflare:sockets` exists only on workerd, and this file is imported only
 * by `detect.ts` on workerd. The specifier is computed so that no tool tries
 * to resolve it ahead of time: a user bundling an app for Node, Deno or Bun
 * with esbuild, Rollup or webpack would otherwise get "Could not resolve
 * cloudflare:sockets" (this file is in every bundle, as a lazy chunk) unless
 * told to leave it external. esbuild and wrangler keep `import(expression)`
 * as is, and workerd resolves it at run time. `deno check` never sees the
 * module (`deno publish` notes the unanalyzable import, as intended), so the
 * two interfaces above stand in for its types.
 */
const SOCKETS_MODULE = "cloudflare:" + "sockets";
let sockets: Promise<SocketsModule> | undefined;

function describeTarget(options: TransportConnectOptions): string {
  return `${options.host}:${options.port}`;
}

/** Refuses what `connect()` on workerd cannot do, before opening anything. */
function checkSupported(options: TransportConnectOptions): void {
  if (options.path !== undefined) {
    throw new TypeError(
      "Cannot connect to a unix socket on Cloudflare Workers: use a redis:// or rediss:// URL",
    );
  }
  const tls = options.tls;
  if (!tls) return;
  if (tls.ca !== undefined || tls.rejectUnauthorized === false) {
    throw new TypeError(
      "Cannot use tls.ca or tls.rejectUnauthorized on Cloudflare Workers as connect() verifies against the public CAs only",
    );
  }
  if (tls.servername !== undefined && tls.servername !== options.host) {
    throw new TypeError(
      "Cannot use a tls.servername other than the host on Cloudflare Workers as connect() sends the host as SNI",
    );
  }
}

class CloudflareSocket implements TransportSocket {
  readonly #socket: WorkerSocket;
  readonly #handlers: TransportHandlers;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  #queue: Uint8Array[] = [];
  #writing = false;
  #closed = false;

  constructor(socket: WorkerSocket, handlers: TransportHandlers) {
    this.#socket = socket;
    this.#handlers = handlers;
    this.#writer = socket.writable.getWriter();
    // `closed` rejects when the socket fails; the read loop reports that.
    socket.closed.catch(() => {});
    this.#readLoop();
  }

  write(bytes: Uint8Array): void {
    if (this.#closed || bytes.length === 0) return;
    if (this.#writing) {
      this.#queue.push(bytes);
      return;
    }
    this.#writing = true;
    this.#writeLoop(bytes);
  }

  destroy(): void {
    this.#finish();
  }

  /**
   * One write in flight at a time: what is written meanwhile is joined and
   * sent as one chunk when it completes, so writes never interleave and a
   * burst costs one promise round trip, not one per command.
   */
  async #writeLoop(first: Uint8Array): Promise<void> {
    let chunk: Uint8Array | undefined = first;
    try {
      while (chunk !== undefined && !this.#closed) {
        await this.#writer.write(chunk);
        chunk = takeQueued(this.#queue);
      }
    } catch (error) {
      this.#finish(error as Error);
      return;
    }
    this.#writing = false;
  }

  async #readLoop(): Promise<void> {
    const reader = this.#socket.readable.getReader();
    let failure: Error | undefined;
    while (!this.#closed) {
      let result: Awaited<ReturnType<typeof reader.read>>;
      try {
        result = await reader.read();
      } catch (error) {
        // A read cut short by our own destroy() is a normal end.
        if (!this.#closed) failure = error as Error;
        break;
      }
      if (result.done) break;
      if (result.value.length === 0) continue;
      try {
        this.#handlers.data(result.value);
      } catch (error) {
        // A handler that failed leaves the stream in an unknown state.
        failure = error as Error;
        break;
      }
    }
    this.#finish(failure);
  }

  #finish(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    this.#socket.close().catch(() => {
      // Already closed by the peer or by a failure reported above.
    });
    this.#handlers.close(error);
  }
}

async function open(options: TransportConnectOptions): Promise<WorkerSocket> {
  checkSupported(options);
  const signal = options.signal;
  signal?.throwIfAborted();
  sockets ??= import(SOCKETS_MODULE) as Promise<SocketsModule>;
  const { connect } = await sockets;
  signal?.throwIfAborted();
  const socket = connect(
    { hostname: options.host, port: options.port },
    { secureTransport: options.tls ? "on" : "off", allowHalfOpen: false },
  );
  const { promise: aborted, reject } = Promise.withResolvers<never>();
  const onAbort = () => reject(signal!.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await Promise.race([socket.opened, aborted]);
    return socket;
  } catch (error) {
    socket.close().catch(() => {});
    if (signal?.aborted) throw signal.reason;
    // workerd gives no reason beyond "proxy request failed" (a refused
    // certificate is only logged by workerd), so say what was tried; the
    // connection layer puts "Cannot connect to <address> as" in front.
    const why = error instanceof Error ? error.message : String(error);
    const what = options.tls
      ? "workerd could not open the socket or complete the TLS handshake"
      : "workerd could not open the socket";
    throw new Error(`${what} to ${describeTarget(options)}: ${why}`, {
      cause: error,
    });
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * The transport used on Cloudflare Workers (and anything else running
 * workerd), picked by `createClient()` there without being named. TCP and
 * TLS only: no unix sockets, and TLS verifies against the public CAs with
 * the host as SNI, so `tls.ca`, `tls.servername` and
 * `tls.rejectUnauthorized: false` are refused with a `TypeError`.
 *
 * @example A Worker: one client per request, closed by `await using`
 * ```ts ignore
 * import { createClient } from "@respool/redis";
 *
 * export default {
 *   async fetch(_request: Request, env: { REDIS_URL: string }) {
 *     await using redis = createClient(env.REDIS_URL);
 *     return new Response(await redis.get("greeting"));
 *   },
 * };
 * ```
 */
export const cloudflareTransport: Transport = {
  name: "cloudflare",
  async connect(options, handlers) {
    const socket = await open(options);
    return new CloudflareSocket(socket, handlers);
  },
};
