/**
 * A throwaway redis-server for the demo: a free loopback port, no
 * persistence, a temporary directory removed when it stops. Uses only
 * `node:` modules, so it runs unchanged under Deno and Bun.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A running throwaway redis-server. */
export interface ThrowawayRedis extends AsyncDisposable {
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Stops the server (SIGTERM), waits for it to exit, removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts redis-server on a free port of 127.0.0.1 with no persistence.
 *
 * @returns The running server.
 * @throws {Error} When redis-server is not installed or does not start.
 */
export async function startThrowawayRedis(): Promise<ThrowawayRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "respool-demo-"));
  let child: ChildProcess;
  try {
    child = await launch([
      "--bind",
      "127.0.0.1",
      "--port",
      String(port),
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--daemonize",
      "no",
    ]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let stopping: Promise<void> | undefined;
  const stop = () =>
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    })();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

function freePort(): Promise<number> {
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
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`redis-server did not start in 10 s:\n${output}`));
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
    child.stderr?.on("data", (c: Uint8Array) => {
      output += new TextDecoder().decode(c);
    });
    child.once("error", (error: Error & { code?: string }) => {
      fail(
        error.code === "ENOENT"
          ? new Error(
            "Cannot start the demo's redis-server as it is not installed: install it (apt-get install redis-server, or `npx -y deno@2.9.6 task setup` as root) or set REDIS_URL",
          )
          : error,
      );
    });
    child.once("exit", (code) => {
      fail(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
}
