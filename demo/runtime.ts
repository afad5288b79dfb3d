/**
 * Everything in the demo that differs between runtimes, in one place:
 * serving HTTP (`Bun.serve`, `Deno.serve`, or `node:http` under Node) and
 * forcing a garbage collection.
 *
 * @module
 */

import { createServer } from "node:http";
import process from "node:process";

/** A request handler, as both `Deno.serve` and `Bun.serve` take it. */
export type Handler = (request: Request) => Response | Promise<Response>;

/** An HTTP server listening on a loopback port. */
export interface HttpServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** The part of Bun's global the demo uses (no dependency on bun-types). */
interface BunGlobal {
  readonly version: string;
  serve(options: {
    hostname: string;
    port: number;
    fetch: Handler;
  }): { readonly port: number; stop(closeActive?: boolean): unknown };
  gc(force: boolean): void;
}

const bun = (globalThis as { Bun?: BunGlobal }).Bun;
const deno = "Deno" in globalThis ? Deno : undefined;

/** The runtime and its version, e.g. `"deno 2.9.6"` or `"bun 1.4.5"`. */
export const runtimeName: string = bun
  ? `bun ${bun.version}`
  : deno
  ? `deno ${deno.version.deno}`
  : `node ${process.versions.node}`;

/**
 * Serves `handler` on a free port of 127.0.0.1 with `Bun.serve` under Bun,
 * `Deno.serve` under Deno and `node:http` under Node.
 *
 * @example Serving and stopping
 * ```ts ignore
 * await using server = await serve(() => new Response("hi"));
 * console.log(await (await fetch(server.url)).text()); // "hi"
 * ```
 *
 * @param handler Answers each request.
 * @returns The listening server.
 */
export function serve(handler: Handler): Promise<HttpServer> {
  if (bun) {
    const server = bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: handler,
    });
    return Promise.resolve(
      httpServer(server.port, async () => {
        await server.stop(true);
      }),
    );
  }
  if (deno) {
    return new Promise((resolve) => {
      const server = deno.serve({
        hostname: "127.0.0.1",
        port: 0,
        onListen: ({ port }) => {
          resolve(httpServer(port, () => server.shutdown()));
        },
      }, handler);
    });
  }
  return serveNode(handler);
}

/** `node:http` with just enough of a Request/Response bridge for GETs. */
function serveNode(handler: Handler): Promise<HttpServer> {
  const server = createServer(async (incoming, outgoing) => {
    try {
      const request = new Request(`http://127.0.0.1${incoming.url}`, {
        method: incoming.method,
      });
      const response = await handler(request);
      outgoing.writeHead(response.status, Object.fromEntries(response.headers));
      outgoing.end(new Uint8Array(await response.arrayBuffer()));
    } catch (error) {
      outgoing.writeHead(500).end(String(error));
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      resolve(httpServer(port, () =>
        new Promise((closed) => {
          server.close(() => closed());
          server.closeAllConnections();
        })));
    });
  });
}

function httpServer(port: number, close: () => Promise<void>): HttpServer {
  let closing: Promise<void> | undefined;
  const once = () => closing ??= close();
  return {
    url: `http://127.0.0.1:${port}`,
    close: once,
    [Symbol.asyncDispose]: once,
  };
}

/**
 * How a full garbage collection is forced here, or `undefined` when it
 * cannot be (Deno without `--v8-flags=--expose-gc`, Node without
 * `--expose-gc`).
 */
export const gcMethod: string | undefined = bun
  ? "Bun.gc(true)"
  : typeof (globalThis as { gc?: unknown }).gc === "function"
  ? deno ? "gc() (Deno with --v8-flags=--expose-gc)" : "gc() (--expose-gc)"
  : undefined;

/**
 * Forces a full garbage collection where the runtime allows it, then yields
 * a macrotask so finalizers get to run.
 *
 * @returns Whether a collection could be forced.
 */
export async function forceGc(): Promise<boolean> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  if (bun) bun.gc(true);
  else if (gcMethod) (globalThis as unknown as { gc(): void }).gc();
  else return false;
  await new Promise((resolve) => setTimeout(resolve, 0));
  return true;
}
