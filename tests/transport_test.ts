/**
 * Tests the runtime's own transport (picked by `defaultTransport()`) and the
 * `node:net` transport against a real redis-server, over TCP, unix sockets
 * and TLS. Runs unchanged under `deno test` and `bun test`.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { defaultTransport, detectRuntime } from "../src/transport/detect.ts";
import { nodeTransport } from "../src/transport/node.ts";
import type {
  Transport,
  TransportConnectOptions,
  TransportHandlers,
  TransportSocket,
} from "../src/transport/types.ts";
import { freePort, type RedisServer, startRedis } from "./_redis.ts";
import { makeCerts, type TestCerts } from "./_tls.ts";

const T = { timeout: 30_000 };
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function resp(...args: string[]): Uint8Array {
  let text = `*${args.length}\r\n`;
  for (const arg of args) {
    text += `$${encoder.encode(arg).length}\r\n${arg}\r\n`;
  }
  return encoder.encode(text);
}

function concat(parts: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Handlers that record what the transport reports. */
class Probe implements TransportHandlers {
  readonly chunks: Uint8Array[] = [];
  readonly closeCalls: (Error | undefined)[] = [];
  readonly closed: Promise<Error | undefined>;
  size = 0;
  #onClosed!: (error: Error | undefined) => void;
  #want = Infinity;
  #onSize: (() => void) | undefined;

  constructor() {
    this.closed = new Promise((resolve) => this.#onClosed = resolve);
  }

  data(chunk: Uint8Array): void {
    // The transport may reuse the chunk once this returns.
    this.chunks.push(chunk.slice());
    this.size += chunk.length;
    if (this.size >= this.#want) this.#onSize?.();
  }

  close(error?: Error): void {
    this.closeCalls.push(error);
    this.#onClosed(error);
  }

  /** Resolves with every byte received once there are at least `size`. */
  async bytes(size: number): Promise<Uint8Array> {
    if (this.size < size) {
      this.#want = size;
      const enough = new Promise<void>((resolve) => this.#onSize = resolve);
      const closed = this.closed.then((error) => {
        if (this.size < size) {
          throw new Error(`Closed after ${this.size} of ${size} bytes`, {
            cause: error,
          });
        }
      });
      await Promise.race([enough, closed]);
    }
    return concat(this.chunks);
  }

  async text(size: number): Promise<string> {
    return decoder.decode(await this.bytes(size));
  }
}

/**
 * Where Linux lists TCP sockets with their timers; no runtime has an API that
 * reads SO_KEEPALIVE back, and other systems show it nowhere a test can read.
 */
const TCP_TABLES = ["/proc/net/tcp", "/proc/net/tcp6"].filter((table) =>
  existsSync(table)
);

/**
 * Seconds until the first keep-alive probe of the established TCP connection
 * from `localPort` to `remotePort`, or `undefined` when no keep-alive timer
 * runs on it. Read from /proc/net/tcp: on an established socket, timer 2 is
 * the one TCP runs only while SO_KEEPALIVE is on, and `tm->when` counts in
 * hundredths of a second.
 */
function keepAliveTimer(
  localPort: number,
  remotePort: number,
): number | undefined {
  const hex = (port: number) =>
    `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  for (const table of TCP_TABLES) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const [, local, remote, state, , timer] = line.trim().split(/\s+/);
      if (
        state !== "01" || !local.endsWith(hex(localPort)) ||
        !remote.endsWith(hex(remotePort))
      ) continue;
      const [active, when] = timer.split(":");
      return active === "02" ? parseInt(when, 16) / 100 : undefined;
    }
  }
  throw new Error(
    `Cannot find an established connection from port ${localPort} to ${remotePort}`,
  );
}

let plain: RedisServer;
let secure: RedisServer;
let certs: TestCerts;
let silent: Server;
let resetting: Server;
const accepted = new Set<Socket>();

function listen(onConnection: (socket: Socket) => void): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((socket) => {
      accepted.add(socket);
      socket.on("close", () => accepted.delete(socket));
      socket.on("error", () => {});
      onConnection(socket);
    });
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

function portOf(server: Server): number {
  const address = server.address();
  return typeof address === "object" && address ? address.port : 0;
}

before(async () => {
  certs = makeCerts();
  plain = await startRedis({ unixSocket: true });
  secure = await startRedis({
    tls: { cert: certs.cert, key: certs.key, ca: certs.ca },
  });
  // Accepts and never answers: a TLS handshake against it stays pending.
  silent = await listen(() => {});
  resetting = await listen((socket) =>
    socket.on("data", () => socket.resetAndDestroy())
  );
});

after(async () => {
  for (const socket of accepted) socket.destroy();
  await Promise.all([
    plain?.stop(),
    secure?.stop(),
    new Promise((resolve) => silent?.close(resolve) ?? resolve(undefined)),
    new Promise((resolve) => resetting?.close(resolve) ?? resolve(undefined)),
  ]);
  certs?.cleanup();
});

function suite(name: string, load: () => Promise<Transport>): void {
  const label = `${name}Transport`;
  let transport: Transport;

  async function open(
    options: Partial<TransportConnectOptions> = {},
    server: RedisServer = plain,
  ): Promise<[TransportSocket, Probe]> {
    const probe = new Probe();
    const socket = await transport.connect(
      { host: server.host, port: server.port, ...options },
      probe,
    );
    return [socket, probe];
  }

  async function ping(socket: TransportSocket, probe: Probe): Promise<void> {
    socket.write(resp("PING"));
    assert.equal(await probe.text(7), "+PONG\r\n");
  }

  async function closeAndWait(
    socket: TransportSocket,
    probe: Probe,
  ): Promise<void> {
    socket.destroy();
    assert.equal(await probe.closed, undefined);
  }

  /** The client's own TCP port, as the server reports it in CLIENT INFO. */
  async function localPort(
    socket: TransportSocket,
    probe: Probe,
  ): Promise<number> {
    socket.write(resp("CLIENT", "INFO"));
    let text = await probe.text(1);
    while (!text.includes("\r\n")) text = await probe.text(text.length + 1);
    const header = text.indexOf("\r\n") + 2;
    const length = Number(text.slice(1, header - 2));
    text = await probe.text(header + length + 2);
    const match = / addr=[^ ]*:(\d+) /.exec(text);
    assert.ok(match, `CLIENT INFO names no addr: ${text}`);
    return Number(match[1]);
  }

  describe(label, () => {
    before(async () => {
      transport = await load();
      assert.equal(transport.name, name);
    });

    test(
      `${label}.connect() resolves to a socket that exchanges RESP bytes`,
      T,
      async () => {
        const [socket, probe] = await open();
        await ping(socket, probe);
        await closeAndWait(socket, probe);
      },
    );

    test(
      `${label}.write() sends a 32 MiB value whole and in order`,
      T,
      async () => {
        const [socket, probe] = await open();
        const value = new Uint8Array(32 << 20);
        for (let i = 0; i < value.length; i++) value[i] = i % 251;
        const key = `big:${name}`;
        socket.write(
          encoder.encode(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n`),
        );
        socket.write(encoder.encode(`$${value.length}\r\n`));
        socket.write(value);
        socket.write(encoder.encode("\r\n"));
        // Queued behind the value: must not overtake it.
        socket.write(resp("GET", key));
        const head = `+OK\r\n$${value.length}\r\n`;
        const all = await probe.bytes(head.length + value.length + 2);
        assert.equal(all.length, head.length + value.length + 2);
        assert.equal(decoder.decode(all.subarray(0, head.length)), head);
        assert.ok(
          sameBytes(
            all.subarray(head.length, head.length + value.length),
            value,
          ),
        );
        assert.equal(
          decoder.decode(all.subarray(head.length + value.length)),
          "\r\n",
        );
        await closeAndWait(socket, probe);
      },
    );

    test(
      `${label}.writeCopy() (Bun's) sends the bytes as they were when called, though the caller overwrites its buffer at once`,
      T,
      async () => {
        const [socket, probe] = await open();
        // Only Bun's socket writes without buffering, so only it offers
        // writeCopy; the others take ownership through write().
        assert.equal(socket.writeCopy !== undefined, name === "bun");
        if (socket.writeCopy !== undefined) {
          const key = `copy:${name}`;
          const value = new Uint8Array(32 << 20);
          for (let i = 0; i < value.length; i++) value[i] = i % 251;
          const command = concat([
            encoder.encode(
              `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n`,
            ),
            value,
            encoder.encode("\r\n"),
          ]);
          // More than the kernel takes at once: the rest waits for drain.
          const reused = new Uint8Array(command.length + 16);
          reused.set(command);
          socket.writeCopy(reused, command.length);
          reused.fill(0x2a);
          socket.write(resp("GET", key));
          const head = `+OK\r\n$${value.length}\r\n`;
          const all = await probe.bytes(head.length + value.length + 2);
          assert.equal(decoder.decode(all.subarray(0, head.length)), head);
          assert.ok(
            sameBytes(
              all.subarray(head.length, head.length + value.length),
              value,
            ),
            "the value as it was when writeCopy was called",
          );
        }
        await closeAndWait(socket, probe);
      },
    );

    test(
      `${label}.write() keeps the order of many small writes`,
      T,
      async () => {
        const [socket, probe] = await open();
        // A large write first, so that on Bun the small ones queue behind it.
        const large = "x".repeat(4 << 20);
        socket.write(resp("ECHO", large));
        let expected = `$${large.length}\r\n${large}\r\n`;
        for (let i = 0; i < 10_000; i++) {
          socket.write(resp("ECHO", String(i)));
          expected += `$${String(i).length}\r\n${i}\r\n`;
        }
        assert.equal(await probe.text(expected.length), expected);
        await closeAndWait(socket, probe);
      },
    );

    test(`${label}.connect() opens a unix socket`, T, async () => {
      const [socket, probe] = await open({
        host: "",
        port: 0,
        path: plain.socketPath,
      });
      await ping(socket, probe);
      await closeAndWait(socket, probe);
    });

    test(
      `${label}.connect() rejects TLS over a unix socket with a TypeError`,
      T,
      async () => {
        const probe = new Probe();
        await assert.rejects(
          transport.connect(
            {
              host: "",
              port: 0,
              path: plain.socketPath,
              tls: { ca: certs.caPem },
            },
            probe,
          ),
          (error) =>
            error instanceof TypeError &&
            /^Cannot use TLS over a unix socket \(.+\) as Redis serves TLS on TCP only$/
              .test(error.message),
        );
        assert.equal(probe.closeCalls.length, 0);
      },
    );

    test(
      `${label}.connect() turns TCP keep-alive on, over TLS too`,
      {
        ...T,
        skip: TCP_TABLES.length === 0
          ? "only Linux shows whether keep-alive is on (/proc/net/tcp)"
          : false,
      },
      async () => {
        // Deno's Conn.setKeepAlive() takes no delay, so there the first
        // probe waits the system's default; elsewhere it is 30 s.
        const firstProbeWithin = name === "deno"
          ? Number(
            readFileSync("/proc/sys/net/ipv4/tcp_keepalive_time", "utf8"),
          )
          : 30;
        for (
          const [server, tls] of [
            [plain, undefined],
            [secure, { ca: certs.caPem }],
          ] as const
        ) {
          const [socket, probe] = await open({ tls }, server);
          const seconds = keepAliveTimer(
            await localPort(socket, probe),
            server.port,
          );
          assert.ok(
            seconds !== undefined && seconds > 0 &&
              seconds <= firstProbeWithin,
            `first keep-alive probe in ${seconds} s, want at most ${firstProbeWithin} s${
              tls ? " over TLS" : ""
            }`,
          );
          await closeAndWait(socket, probe);
        }
      },
    );

    test(`${label}.connect() verifies TLS with the right CA`, T, async () => {
      const [socket, probe] = await open({ tls: { ca: certs.caPem } }, secure);
      const value = "v".repeat(4 << 20);
      socket.write(resp("SET", `tls:${name}`, value));
      socket.write(resp("STRLEN", `tls:${name}`));
      const reply = `+OK\r\n:${value.length}\r\n`;
      assert.equal(await probe.text(reply.length), reply);
      await closeAndWait(socket, probe);
    });

    test(
      `${label}.connect() rejects when the CA does not match`,
      T,
      async () => {
        const probe = new Probe();
        await assert.rejects(
          transport.connect(
            {
              host: secure.host,
              port: secure.port,
              tls: { ca: certs.otherCaPem },
            },
            probe,
          ),
          // Deno's own TLS error is left as it is.
          name === "deno"
            ? Error
            : /^Error: Cannot connect to 127\.0\.0\.1:\d+ as .*(certificate|TLS).*self.signed/,
        );
        assert.equal(probe.closeCalls.length, 0);
      },
    );

    test(
      `${label}.connect() rejects when the server name does not match`,
      T,
      async () => {
        await assert.rejects(
          transport.connect(
            {
              host: secure.host,
              port: secure.port,
              tls: { ca: certs.caPem, servername: "wrong.example" },
            },
            new Probe(),
          ),
        );
      },
    );

    test(
      `${label}.connect() rejects when nothing listens on the port`,
      T,
      async () => {
        const port = await freePort();
        await assert.rejects(
          transport.connect({ host: "127.0.0.1", port }, new Probe()),
        );
      },
    );

    test(
      `${label}.connect() rejects with the signal's reason when aborted`,
      T,
      async () => {
        const reason = new Error("gave up");
        await assert.rejects(
          transport.connect(
            {
              host: plain.host,
              port: plain.port,
              signal: AbortSignal.abort(reason),
            },
            new Probe(),
          ),
          (error) => error === reason,
        );
        // Aborted in the same tick, before the socket can have opened.
        const controller = new AbortController();
        const connecting = transport.connect(
          { host: plain.host, port: plain.port, signal: controller.signal },
          new Probe(),
        );
        controller.abort(reason);
        await assert.rejects(connecting, (error) => error === reason);
      },
    );

    test(
      `${label}.connect() rejects with the signal's reason when aborted during the TLS handshake`,
      T,
      async () => {
        const reason = new Error("gave up");
        const controller = new AbortController();
        const handshaking = transport.connect(
          {
            host: "127.0.0.1",
            port: portOf(silent),
            tls: { ca: certs.caPem },
            signal: controller.signal,
          },
          new Probe(),
        );
        await delay(50);
        controller.abort(reason);
        await assert.rejects(handshaking, (error) => error === reason);
      },
    );

    test(
      `${label}.destroy() calls handlers.close() once without an error`,
      T,
      async () => {
        const [socket, probe] = await open();
        await ping(socket, probe);
        socket.destroy();
        assert.equal(await probe.closed, undefined);
        socket.write(resp("PING"));
        socket.destroy();
        await delay(20);
        assert.deepEqual(probe.closeCalls, [undefined]);
      },
    );

    test(
      `${label} calls handlers.close() when the server is killed`,
      T,
      async () => {
        const doomed = await startRedis();
        try {
          const [socket, probe] = await open({}, doomed);
          await ping(socket, probe);
          await doomed.kill();
          await probe.closed;
          await delay(20);
          assert.equal(probe.closeCalls.length, 1);
        } finally {
          await doomed.stop();
        }
      },
    );

    test(
      `${label} calls handlers.close() with an Error when the peer resets`,
      T,
      async () => {
        const probe = new Probe();
        const socket = await transport.connect(
          { host: "127.0.0.1", port: portOf(resetting) },
          probe,
        );
        socket.write(resp("PING"));
        assert.ok((await probe.closed) instanceof Error);
        assert.equal(probe.closeCalls.length, 1);
      },
    );
  });
}

suite(detectRuntime() ?? "unknown", defaultTransport);
suite("node", () => Promise.resolve(nodeTransport));
