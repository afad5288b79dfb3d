/**
 * Scripted TCP peers for failures a real redis-server cannot produce on
 * demand: a proxy in front of redis-server that can go silent or half-open,
 * and a fake server whose replies a test scripts byte by byte. Uses only
 * node:net, so it runs under Deno, Bun and Node; listens on 127.0.0.1 only.
 */
import {
  createConnection,
  createServer,
  type Server,
  type Socket,
} from "node:net";

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** How the proxy treats traffic. */
export type ProxyMode =
  /** Forward both ways. */
  | "pass"
  /** Forward client to server, drop server to client: the server seems silent. */
  | "silent"
  /** Drop both ways and never close: a half-open connection. */
  | "blackhole";

/** A TCP proxy in front of a real server. */
export class FaultProxy {
  readonly #targetPort: number;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #halfOpen = new WeakSet<Socket>();
  mode: ProxyMode = "pass";
  port = 0;
  /** Connections accepted so far. */
  accepted = 0;

  constructor(targetPort: number) {
    this.#targetPort = targetPort;
    this.#server = createServer((client) => this.#accept(client));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.port = await listen(this.#server);
    return this;
  }

  #accept(client: Socket): void {
    this.accepted++;
    const upstream = createConnection({
      host: "127.0.0.1",
      port: this.#targetPort,
    });
    this.#sockets.add(client);
    this.#sockets.add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on("data", (chunk) => {
      if (this.mode !== "blackhole" && !this.#halfOpen.has(client)) {
        upstream.write(chunk);
      }
    });
    upstream.on("data", (chunk) => {
      if (this.mode === "pass" && !this.#halfOpen.has(client)) {
        client.write(chunk);
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(upstream);
    };
    client.on("close", end);
    upstream.on("close", end);
    client.on("error", () => {});
    upstream.on("error", () => {});
  }

  /**
   * Makes every connection open now half-open (nothing passes, nothing
   * closes); connections opened later pass as the mode says.
   */
  halfOpenExisting(): void {
    for (const socket of this.#sockets) this.#halfOpen.add(socket);
  }

  /** Cuts every open connection (with FIN/RST) without changing the mode. */
  dropAll(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  stop(): Promise<void> {
    return closeServer(this.#server, this.#sockets);
  }
}

/** What a scripted server does with one command. */
export type Script = (
  args: string[],
  socket: Socket,
  connection: number,
) => string | Uint8Array | undefined | Promise<void>;

/** Parses RESP arrays of bulk strings (what clients send). */
export function parseCommands(
  buffer: Uint8Array,
): { commands: string[][]; rest: Uint8Array } {
  const text = new TextDecoder("latin1").decode(buffer);
  const commands: string[][] = [];
  let pos = 0;
  outer: while (pos < text.length) {
    if (text[pos] !== "*") throw new Error(`unexpected byte ${text[pos]}`);
    const lineEnd = text.indexOf("\r\n", pos);
    if (lineEnd === -1) break;
    const count = Number(text.slice(pos + 1, lineEnd));
    let at = lineEnd + 2;
    const args: string[] = [];
    for (let i = 0; i < count; i++) {
      const headerEnd = text.indexOf("\r\n", at);
      if (headerEnd === -1) break outer;
      const length = Number(text.slice(at + 1, headerEnd));
      if (headerEnd + 2 + length + 2 > text.length) break outer;
      args.push(text.slice(headerEnd + 2, headerEnd + 2 + length));
      at = headerEnd + 2 + length + 2;
    }
    commands.push(args);
    pos = at;
  }
  return { commands, rest: buffer.subarray(pos) };
}

/**
 * A fake server: answers HELLO as a RESP2-only server would (unknown
 * command), so clients fall back to RESP2, then hands every other command to
 * the script. A script returning a string or bytes writes them; returning
 * undefined writes nothing (the script wrote or chose silence itself).
 */
export class ScriptedServer {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  port = 0;
  connections = 0;
  /**
   * How each connection the client ended came to its end, in order:
   * `"fin"` for an orderly close, `"reset"` for a reset.
   */
  readonly ends: ("fin" | "reset")[] = [];

  constructor(script: Script) {
    this.#server = createServer((socket) => {
      const connection = ++this.connections;
      this.#sockets.add(socket);
      socket.setNoDelay(true);
      socket.on("end", () => this.ends.push("fin"));
      socket.on("error", (error: Error & { code?: string }) => {
        if (error.code === "ECONNRESET") this.ends.push("reset");
      });
      socket.on("close", () => this.#sockets.delete(socket));
      let pending = new Uint8Array(0);
      socket.on("data", (chunk: Uint8Array) => {
        const joined = new Uint8Array(pending.length + chunk.length);
        joined.set(pending);
        joined.set(chunk, pending.length);
        const { commands, rest } = parseCommands(joined);
        pending = rest.slice();
        for (const args of commands) {
          if (socket.destroyed) return;
          if (args[0].toUpperCase() === "HELLO") {
            socket.write("-ERR unknown command 'HELLO'\r\n");
            continue;
          }
          const out = script(args, socket, connection);
          if (typeof out === "string" || out instanceof Uint8Array) {
            socket.write(out);
          }
        }
      });
    });
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.port = await listen(this.#server);
    return this;
  }

  stop(): Promise<void> {
    return closeServer(this.#server, this.#sockets);
  }
}

/** RESP bulk string. */
export function bulk(value: string): string {
  return `$${new TextEncoder().encode(value).length}\r\n${value}\r\n`;
}
