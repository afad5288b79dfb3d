/**
 * Starts and stops throwaway redis-server processes on free loopback ports.
 * Uses only node: modules so it runs unchanged under Deno, Bun and Node.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A redis-server the test started. */
export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** The data directory (also where the unix socket lives when asked for). */
  readonly dir: string;
  /** The unix socket path when started with `unixSocket: true`. */
  readonly socketPath?: string;
  /** Stops the server and waits for it to exit. */
  stop(): Promise<void>;
  /** Kills the server with SIGKILL and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts the server again on the same port after stop/kill. */
  restart(): Promise<void>;
}

/** Options for {@linkcode startRedis}. */
export interface StartRedisOptions {
  /** Extra arguments, e.g. `["--requirepass", "pw"]`. */
  args?: string[];
  /** Also listen on a unix socket in the data directory. */
  unixSocket?: boolean;
  /** Use this port instead of a free one. */
  port?: number;
  /** Replace the TCP port with a TLS port using these files. */
  tls?: { cert: string; key: string; ca: string };
}

/** Finds a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function launch(args: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn("redis-server", args, {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`redis-server did not start in 10 s:\n${output}`));
    }, 10_000);
    const onData = (chunk: Uint8Array) => {
      output += new TextDecoder().decode(chunk);
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on(
      "data",
      (c: Uint8Array) => output += new TextDecoder().decode(c),
    );
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Starts a redis-server with no persistence on a free loopback port. */
export async function startRedis(
  options: StartRedisOptions = {},
): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "respool-redis-"));
  const port = options.port ?? await freePort();
  const socketPath = options.unixSocket ? join(dir, "redis.sock") : undefined;
  const args = [
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
    "--daemonize",
    "no",
    "--loglevel",
    "notice",
    "--enable-debug-command",
    "yes",
    ...(options.tls
      ? [
        "--port",
        "0",
        "--tls-port",
        String(port),
        "--tls-cert-file",
        options.tls.cert,
        "--tls-key-file",
        options.tls.key,
        "--tls-ca-cert-file",
        options.tls.ca,
        "--tls-auth-clients",
        "no",
      ]
      : ["--port", String(port)]),
    ...(socketPath
      ? ["--unixsocket", socketPath, "--unixsocketperm", "700"]
      : []),
    ...(options.args ?? []),
  ];
  let child: ChildProcess;
  try {
    child = await launch(args);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    host: "127.0.0.1",
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    socketPath,
    stop() {
      // Every caller waits for the same exit, however many stop at once.
      stopping ??= (async () => {
        child.kill("SIGTERM");
        await exited(child);
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
    async kill() {
      child.kill("SIGKILL");
      await exited(child);
    },
    async restart() {
      child = await launch(args);
    },
  };
}
