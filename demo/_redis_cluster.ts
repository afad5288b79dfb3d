/**
 * A throwaway Redis Cluster for `deno task demo --cluster`: three
 * redis-server primaries (no replicas) on free loopback ports, each in a
 * temporary directory of its own, no persistence. They are joined without
 * redis-cli: `CLUSTER ADDSLOTSRANGE` on each node and `CLUSTER MEET` from
 * the first, sent with respool's own client, then `CLUSTER INFO` is polled
 * until every node says `cluster_state:ok`.
 *
 * The nodes are stopped by {@linkcode ThrowawayCluster.stop}, and killed
 * with SIGKILL if the demo's process exits before that.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { createClient } from "../mod.ts";

/** The number of hash slots of a Redis Cluster. */
const SLOTS = 16384;

/** One primary of a {@linkcode ThrowawayCluster}. */
export interface ThrowawayClusterNode {
  /** The port it serves clients on, on 127.0.0.1. */
  readonly port: number;
  /** The port of its cluster bus. */
  readonly busPort: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** `127.0.0.1:<port>`, as the cluster client's stats name it. */
  readonly address: string;
  /** The first and last hash slot it serves. */
  readonly slots: readonly [number, number];
}

/** A running throwaway cluster. */
export interface ThrowawayCluster extends AsyncDisposable {
  /** Its primaries, in slot order. */
  readonly nodes: readonly ThrowawayClusterNode[];
  /** The nodes' URLs, as seeds for `createCluster`. */
  readonly seeds: readonly string[];
  /**
   * Stops every node (SIGTERM; SIGKILL after 10 s), waits for them to exit
   * and removes their directories. Idempotent.
   */
  stop(): Promise<void>;
}

/** Options of {@linkcode startThrowawayCluster}. */
export interface ThrowawayClusterOptions {
  /**
   * How many primaries; the slots are split evenly between them.
   *
   * @default {3}
   */
  primaries?: number;
  /**
   * How long the nodes may take to agree on `cluster_state:ok`, in
   * milliseconds.
   *
   * @default {20000}
   */
  timeoutMs?: number;
}

// Nodes still running when the process exits are killed, so that an error
// or a Ctrl-C the demo did not get to handle cannot leave one behind.
const running = new Set<ChildProcess>();
const directories = new Set<string>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
  for (const dir of directories) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Best effort while exiting.
    }
  }
});

/**
 * Starts a cluster of `primaries` redis-servers on 127.0.0.1, gives each
 * an even share of the slots, joins them and waits until every node
 * reports `cluster_state:ok`.
 *
 * @example Running the demo's service against it
 * ```ts ignore
 * await using cluster = await startThrowawayCluster();
 * await using redis = createCluster(cluster.seeds);
 * ```
 *
 * @param options How many primaries, how long to wait.
 * @returns The running cluster.
 * @throws {Error} When redis-server is not installed, a node does not
 * start, or the cluster is not ok in time; the nodes started are stopped.
 */
export async function startThrowawayCluster(
  options: ThrowawayClusterOptions = {},
): Promise<ThrowawayCluster> {
  const count = options.primaries ?? 3;
  const dir = mkdtempSync(join(tmpdir(), "respool-demo-cluster-"));
  directories.add(dir);
  const children: ChildProcess[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    stopping ??= (async () => {
      await Promise.all(children.map(terminate));
      rmSync(dir, { recursive: true, force: true });
      directories.delete(dir);
    })();
  try {
    const nodes = await launchAll(count, dir, children);
    await formCluster(nodes, options.timeoutMs ?? 20_000);
    return {
      nodes,
      seeds: nodes.map((node) => node.url),
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Starts the nodes on free ports; when another process takes a port
 * between finding it and binding it, starts them all again on others.
 */
async function launchAll(
  count: number,
  root: string,
  children: ChildProcess[],
): Promise<ThrowawayClusterNode[]> {
  for (let attempt = 1;; attempt++) {
    const ports = await freePorts(count * 2);
    const nodes = Array.from({ length: count }, (_, i) => {
      const port = ports[i];
      const first = Math.floor((i * SLOTS) / count);
      const last = Math.floor(((i + 1) * SLOTS) / count) - 1;
      return {
        port,
        busPort: ports[count + i],
        url: `redis://127.0.0.1:${port}`,
        address: `127.0.0.1:${port}`,
        slots: [first, last] as const,
      };
    });
    const started = await Promise.allSettled(
      nodes.map((node) => launch(node, root)),
    );
    for (const result of started) {
      if (result.status === "fulfilled") children.push(result.value);
    }
    const failed = started.find((r) => r.status === "rejected");
    if (failed === undefined) return nodes;
    const reason = (failed as PromiseRejectedResult).reason;
    await Promise.all(children.splice(0).map(terminate));
    if (attempt >= 3 || !/address already in use/i.test(String(reason))) {
      throw reason;
    }
  }
}

/** Starts one node and resolves once it accepts connections. */
function launch(
  node: ThrowawayClusterNode,
  root: string,
): Promise<ChildProcess> {
  const dir = join(root, `node-${node.port}`);
  const args = [
    "--bind",
    "127.0.0.1",
    "--port",
    String(node.port),
    "--cluster-enabled",
    "yes",
    "--cluster-port",
    String(node.busPort),
    "--cluster-config-file",
    join(dir, "nodes.conf"),
    "--cluster-node-timeout",
    "5000",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    "no",
    "--daemonize",
    "no",
  ];
  // redis-server writes nodes.conf there, but does not make the directory.
  mkdirSync(dir, { recursive: true });
  return new Promise((resolve, reject) => {
    const child = spawn("redis-server", args, {
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(child);
    child.once("exit", () => running.delete(child));
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
      (chunk: Uint8Array) => output += new TextDecoder().decode(chunk),
    );
    child.once("error", (error) => {
      clearTimeout(timer);
      running.delete(child);
      reject(new Error(`Cannot start redis-server: ${error.message}`));
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`redis-server exited with ${code ?? signal}:\n${output}`),
      );
    });
  });
}

/**
 * Gives each node its slots, introduces the others to the first one, and
 * waits until every node has met every other and says `cluster_state:ok`
 * (which it says only once it knows an owner for every slot).
 */
async function formCluster(
  nodes: readonly ThrowawayClusterNode[],
  timeoutMs: number,
): Promise<void> {
  const clients = nodes.map((node) =>
    createClient(node.url, { name: "respool-demo-setup", pool: { max: 1 } })
  );
  try {
    await Promise.all(
      nodes.map((node, i) =>
        clients[i].send(["CLUSTER", "ADDSLOTSRANGE", ...node.slots])
      ),
    );
    for (const node of nodes.slice(1)) {
      await clients[0].send([
        "CLUSTER",
        "MEET",
        "127.0.0.1",
        node.port,
        node.busPort,
      ]);
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const infos = await Promise.all(
        clients.map(async (client) =>
          String(await client.send(["CLUSTER", "INFO"]))
        ),
      );
      const waiting = infos.findIndex((info) =>
        !info.includes("cluster_state:ok") ||
        !info.includes(`cluster_known_nodes:${nodes.length}`)
      );
      if (waiting === -1) return;
      if (Date.now() > deadline) {
        throw new Error(
          `The demo's cluster is not ok after ${timeoutMs} ms: ` +
            `${nodes[waiting].address} says\n${infos[waiting]}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
}

/** SIGTERM, SIGKILL after 10 s; resolves once the node has exited. */
function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** `count` distinct free TCP ports of 127.0.0.1, all held while found. */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    return await Promise.all(
      Array.from(
        { length: count },
        () =>
          new Promise<number>((resolve, reject) => {
            const server = createServer();
            servers.push(server);
            server.once("error", reject);
            server.listen(0, "127.0.0.1", () => {
              const address = server.address();
              resolve(
                typeof address === "object" && address ? address.port : 0,
              );
            });
          }),
      ),
    );
  } finally {
    await Promise.all(
      servers.map((server) =>
        new Promise<void>((resolve) => server.close(() => resolve()))
      ),
    );
  }
}
