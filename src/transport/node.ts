/**
 * The Node transport: `node:net` and `node:tls` sockets with TCP_NODELAY and
 * TCP keep-alive on.
 * Deno and Bun implement these modules too, so it runs there as well, but it
 * is the default only on Node.
 *
 * @module
 */

import type * as Net from "node:net";
import type * as Tls from "node:tls";
import type {
  Transport,
  TransportConnectOptions,
  TransportHandlers,
  TransportSocket,
} from "./types.ts";
import { KEEPALIVE_INITIAL_DELAY_MS } from "./_keepalive.ts";

// Loaded through process.getBuiltinModule, not an import declaration, so that
// a single-file bundle for another runtime (a Worker) holds no node:* import.
const builtins = (globalThis as unknown as {
  process: { getBuiltinModule(id: string): unknown };
}).process;
const net = builtins.getBuiltinModule("node:net") as typeof Net;
/**
 * Loaded on the first TLS connection: `node:tls` takes Node about 10 ms to
 * load, which a client of plain TCP would pay before its first reply.
 */
let tls: typeof Tls | undefined;

function describeTarget(options: TransportConnectOptions): string {
  return options.path ?? `${options.host}:${options.port}`;
}

function open(options: TransportConnectOptions): Net.Socket {
  const where = options.path !== undefined
    ? { path: options.path }
    : { host: options.host, port: options.port };
  if (!options.tls) return net.connect({ ...where, noDelay: true });
  const { ca, servername, rejectUnauthorized } = options.tls;
  tls ??= builtins.getBuiltinModule("node:tls") as typeof Tls;
  return tls.connect({
    ...where,
    ca,
    // Node refuses an IP address as SNI (RFC 6066) and checks the
    // certificate against `host` when no servername is given.
    servername: servername ??
      (options.path === undefined && net.isIP(options.host) === 0
        ? options.host
        : undefined),
    rejectUnauthorized: rejectUnauthorized ?? true,
  });
}

type Utf8Slice = (this: Uint8Array, start: number, end: number) => string;
const utf8Slice = (
  builtins.getBuiltinModule("node:buffer") as {
    Buffer: { prototype: { utf8Slice: Utf8Slice } };
  }
).Buffer.prototype.utf8Slice;

/** Buffer's utf8Slice: no view per string, unlike TextDecoder. */
function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  return utf8Slice.call(bytes, start, end);
}

class NodeSocket implements TransportSocket {
  readonly decodeUtf8 = decodeUtf8;
  readonly #socket: Net.Socket;
  readonly #handlers: TransportHandlers;
  #error: Error | undefined;
  #closed = false;

  constructor(socket: Net.Socket, handlers: TransportHandlers) {
    this.#socket = socket;
    this.#handlers = handlers;
    socket.on("data", (chunk: Uint8Array) => {
      try {
        // A plain view, not the Buffer: Buffer#slice shares memory and bytes
        // handed to users must be plain Uint8Arrays.
        handlers.data(
          new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength),
        );
      } catch (error) {
        // Thrown from an event listener it would be an uncaught exception;
        // a handler that failed leaves the stream in an unknown state.
        this.#finish(error as Error);
      }
    });
    // 'close' always follows 'error'; report the failure there, once.
    socket.on("error", (error: Error) => this.#error ??= error);
    socket.on("close", () => this.#finish(this.#error));
  }

  write(bytes: Uint8Array): void {
    if (this.#closed) return;
    try {
      this.#socket.write(bytes);
    } catch (error) {
      this.#finish(error as Error);
    }
  }

  destroy(): void {
    this.#finish();
  }

  #finish(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    this.#handlers.close(error);
  }
}

/**
 * The transport used on Node 22 and later.
 *
 * @example Passing the Node transport explicitly
 * ```ts ignore
 * import { createClient } from "@respool/redis";
 * import { nodeTransport } from "./node.ts";
 *
 * const client = createClient("redis://127.0.0.1:6379", { transport: nodeTransport });
 * await client.close();
 * ```
 */
export const nodeTransport: Transport = {
  name: "node",
  connect(options, handlers) {
    if (options.path !== undefined && options.tls) {
      // Redis serves TLS on TCP only: over its unix socket a handshake
      // waits for an answer that never comes, so refuse at once.
      return Promise.reject(
        new TypeError(
          `Cannot use TLS over a unix socket (${options.path}) as Redis serves TLS on TCP only`,
        ),
      );
    }
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<TransportSocket>((resolve, reject) => {
      let socket: Net.Socket;
      try {
        socket = open(options);
      } catch (error) {
        reject(error);
        return;
      }
      const ready = options.tls ? "secureConnect" : "connect";
      let handshaking = false;
      const settle = () => {
        socket.off(ready, onReady);
        socket.off("connect", onTcpConnect);
        socket.off("error", onError);
        socket.off("close", onClose);
        signal?.removeEventListener("abort", onAbort);
      };
      const fail = (error: unknown) => {
        settle();
        // A late error from a socket we gave up on must not go uncaught.
        socket.on("error", () => {});
        socket.destroy();
        reject(error);
      };
      const onReady = () => {
        settle();
        socket.setNoDelay(true);
        if (options.path === undefined) {
          socket.setKeepAlive(true, KEEPALIVE_INITIAL_DELAY_MS);
        }
        resolve(new NodeSocket(socket, handlers));
      };
      const where = describeTarget(options);
      const onTcpConnect = () => handshaking = true;
      // Certificate checks fail as plain errors after 'connect'; say so.
      const onError = (error: Error) =>
        fail(
          handshaking
            ? new Error(
              `Cannot connect to ${where} as the TLS handshake failed: ${error.message}`,
              {
                cause: error,
              },
            )
            : error,
        );
      const onClose = () =>
        fail(
          new Error(
            `Cannot connect to ${where} as it closed before it was ready`,
          ),
        );
      const onAbort = () => fail(signal!.reason);
      socket.once(ready, onReady);
      if (options.tls) socket.once("connect", onTcpConnect);
      socket.on("error", onError);
      socket.once("close", onClose);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  },
};
