/**
 * The Deno transport: `Deno.connect` with raw `read`/`write` (faster than web
 * streams), TCP_NODELAY and TCP keep-alive on, TLS through `Deno.startTls` so
 * the options set on the TCP socket carry over.
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

/** The read buffer of a new connection, in bytes. */
const FIRST_READ_SIZE = 1_024;
/** The largest read buffer, reached by connections that read a lot. */
const MAX_READ_SIZE = 65_536;

function toList(ca: string | string[] | undefined): string[] | undefined {
  return ca === undefined ? undefined : Array.isArray(ca) ? ca : [ca];
}

async function open(options: TransportConnectOptions): Promise<Deno.Conn> {
  if (options.path !== undefined) {
    if (options.tls) {
      // Redis serves TLS on TCP only; Deno.connect would drop `tls` unsaid.
      throw new TypeError(
        `Cannot use TLS over a unix socket (${options.path}) as Redis serves TLS on TCP only`,
      );
    }
    return await Deno.connect({ transport: "unix", path: options.path });
  }
  const tcp = await Deno.connect({
    hostname: options.host,
    port: options.port,
    signal: options.signal,
  });
  tcp.setNoDelay(true);
  // Probes an idle connection (a quiet subscriber) so that a dead peer is
  // found. Deno takes no initial delay: the first probe waits the system's
  // default (net.ipv4.tcp_keepalive_time, two hours on Linux), not the 30 s
  // of the Node and Bun transports, which is too late to keep a flow open
  // through a load balancer that drops it after minutes of silence.
  tcp.setKeepAlive(true);
  if (!options.tls) return tcp;
  if (options.tls.rejectUnauthorized === false) {
    tcp.close();
    throw new TypeError(
      "Cannot turn off certificate verification on Deno: pass the server's CA in tls.ca instead",
    );
  }
  const tls = await Deno.startTls(tcp, {
    hostname: options.tls.servername ?? options.host,
    caCerts: toList(options.tls.ca),
  });
  // Deno.startTls takes no signal: closing the socket is how an abort ends
  // a handshake the server never answers.
  const signal = options.signal;
  const onAbort = () => tls.close();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await tls.handshake();
  } catch (error) {
    if (!signal?.aborted) tls.close();
    throw signal?.aborted ? signal.reason : error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  return tls;
}

type Utf8Slice = (this: Uint8Array, start: number, end: number) => string;
// Imported by a name made at run time, so that a single-file bundle for
// another runtime holds no node:* import; and not through `process`, whose
// first use loads the rest of Deno's Node compatibility too (on Deno 2.9
// about 27 ms before the first reply, against about 12 ms for node:buffer).
const BUFFER_MODULE = "node:" + "buffer";
const { Buffer } = await import(BUFFER_MODULE) as {
  Buffer: { prototype: { utf8Slice: Utf8Slice } };
};
const utf8Slice = Buffer.prototype.utf8Slice;
const textDecoder = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * node:buffer's utf8Slice needs no view per string and is about twice as
 * fast as TextDecoder up to a few hundred bytes on Deno 2.9; beyond that
 * TextDecoder wins.
 */
function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  return end - start <= 256
    ? utf8Slice.call(bytes, start, end)
    : textDecoder.decode(bytes.subarray(start, end));
}

class DenoSocket implements TransportSocket {
  readonly decodeUtf8 = decodeUtf8;
  readonly #conn: Deno.Conn;
  readonly #handlers: TransportHandlers;
  #queue: Uint8Array[] = [];
  #writing = false;
  #closed = false;

  constructor(conn: Deno.Conn, handlers: TransportHandlers) {
    this.#conn = conn;
    this.#handlers = handlers;
    this.#readLoop();
  }

  write(bytes: Uint8Array): void {
    if (this.#closed) return;
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

  async #writeLoop(first: Uint8Array): Promise<void> {
    let chunk: Uint8Array | undefined = first;
    try {
      while (chunk !== undefined && !this.#closed) {
        let offset = 0;
        while (offset < chunk.length) {
          offset += await this.#conn.write(
            offset === 0 ? chunk : chunk.subarray(offset),
          );
        }
        chunk = takeQueued(this.#queue);
      }
    } catch (error) {
      this.#finish(error as Error);
      return;
    }
    this.#writing = false;
  }

  async #readLoop(): Promise<void> {
    // Small while the connection is idle or quiet; four times larger each
    // time a read fills it, up to MAX_READ_SIZE.
    let buf = new Uint8Array(FIRST_READ_SIZE);
    let failure: Error | undefined;
    try {
      while (true) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        this.#handlers.data(buf.subarray(0, n));
        if (n === buf.length && buf.length < MAX_READ_SIZE) {
          buf = new Uint8Array(buf.length * 4);
        }
      }
    } catch (error) {
      // A read interrupted by our own destroy() is a normal end.
      if (!this.#closed) failure = error as Error;
    }
    this.#finish(failure);
  }

  #finish(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the peer.
    }
    this.#handlers.close(error);
  }
}

/**
 * The transport used on Deno.
 *
 * @example Passing the Deno transport explicitly
 * ```ts
 * import { createClient } from "@respool/redis";
 * import { denoTransport } from "./deno.ts";
 *
 * const client = createClient("redis://127.0.0.1:6379", { transport: denoTransport });
 * await client.close();
 * ```
 */
export const denoTransport: Transport = {
  name: "deno",
  async connect(options, handlers) {
    const conn = await open(options);
    return new DenoSocket(conn, handlers);
  },
};
