/**
 * Starts and stops a throwaway Redis Cluster on loopback: one redis-server
 * per node, each in a temporary directory of its own, joined with
 * `redis-cli --cluster create`. Also moves slots between primaries the way a
 * real resharding does (IMPORTING/MIGRATING, MIGRATE ... KEYS, SETSLOT NODE),
 * or stops half way so that the source answers ASK.
 *
 * Uses only node: modules so it runs unchanged under Deno, Bun and Node.
 * Every redis-server and redis-cli it starts is killed with SIGKILL when the
 * test process exits, so a failed test cannot leave a node behind.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { freePort } from "./_redis.ts";

/** One redis-server of a {@linkcode RedisCluster}. */
export interface ClusterNode {
  readonly host: "127.0.0.1";
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** The node's data directory, holding its `nodes.conf`. */
  readonly dir: string;
  /** The process id while the server runs, otherwise `undefined`. */
  pid(): number | undefined;
  /** Kills the server with SIGKILL and waits for it to exit. */
  kill(): Promise<void>;
  /**
   * Stops the server with SIGTERM (no save: the node runs with `--save ""`)
   * and waits for it to exit; SIGKILL after 10 s. Resumes a paused server
   * first, so that it can act on the signal.
   */
  stop(): Promise<void>;
  /** Freezes the server with SIGSTOP: it keeps its sockets but answers nothing. */
  pause(): void;
  /** Lets a paused server run again (SIGCONT). */
  resume(): void;
  /**
   * Starts the server again after stop/kill, on the same port with the same
   * `nodes.conf`, so it rejoins the cluster as the node it was.
   *
   * @throws {Error} When the server is still running.
   */
  restart(): Promise<void>;
}

/** A running cluster started by {@linkcode startCluster}. */
export interface RedisCluster {
  /** Every node, primaries and replicas, in the order they were started. */
  readonly nodes: ClusterNode[];
  /** `redis://127.0.0.1:<port>` of every node. */
  readonly seeds: string[];
  /**
   * Runs `redis-cli -h 127.0.0.1 -p <port> ...args` and returns its stdout,
   * trimmed. A reply error (such as `MOVED` or `ASK`) is part of that output
   * and does not throw.
   *
   * @throws {Error} When redis-cli fails (cannot connect, say) or takes more
   * than 10 s.
   */
  cli(port: number, ...args: string[]): Promise<string>;
  /**
   * The ports of the current primaries (sorted), from `CLUSTER NODES` of a
   * live node: nodes flagged `master`, serving slots, and not `fail`.
   */
  primaries(): Promise<number[]>;
  /**
   * The port of the primary that owns `slot` now, from `CLUSTER NODES` of a
   * live node. During a migration that is still the source.
   */
  ownerOf(slot: number): Promise<number>;
  /**
   * Waits until every live node (started, not paused) reports
   * `cluster_state:ok`, all of them agree on the owner of every slot, every
   * owner is live, and no live node is flagged failing or unknown in any
   * live node's view.
   *
   * @param timeoutMs The bound, 15000 unless given.
   * @throws {Error} Naming what was still wrong when the time ran out.
   */
  waitStable(timeoutMs?: number): Promise<void>;
  /**
   * Moves `slots` to the primary at `targetPort` as a resharding does: per
   * source, `CLUSTER SETSLOT <s> IMPORTING` on the target and `MIGRATING` on
   * the source, `CLUSTER GETKEYSINSLOT` + `MIGRATE ... KEYS` in batches of
   * 100 until the slot is empty, then `CLUSTER SETSLOT <s> NODE <target>` on
   * the target, the source and the other live primaries. Slots the target
   * owns already are skipped. Ends with {@linkcode RedisCluster.waitStable}.
   */
  moveSlots(slots: number[], targetPort: number): Promise<void>;
  /**
   * Begins moving `slot` to the primary at `targetPort` and stops half way:
   * IMPORTING/MIGRATING set and only `keysToMove` migrated (those of them
   * that exist), so the source answers ASK for them while it still serves
   * the others.
   *
   * @returns A function that finishes the move: migrates the remaining keys,
   * sends `SETSLOT NODE` everywhere and waits for the cluster to be stable.
   * Calling it again returns the same promise.
   * @throws {Error} When a key is not in `slot` or the target owns it already.
   */
  beginMigration(
    slot: number,
    targetPort: number,
    keysToMove: string[],
  ): Promise<() => Promise<void>>;
  /** Stops every node and removes their directories. Idempotent. */
  stop(): Promise<void>;
}

/** Options for {@linkcode startCluster}. */
export interface StartClusterOptions {
  /** Number of primaries, at least 3 (redis-cli's minimum); 3 unless given. */
  primaries?: number;
  /** Replicas of each primary; 1 unless given. */
  replicasPerPrimary?: number;
  /** `--cluster-node-timeout` in milliseconds; 1000 unless given. */
  nodeTimeout?: number;
  /** Extra redis-server arguments for every node. */
  args?: string[];
}

/** The number of hash slots of a Redis Cluster. */
const SLOTS = 16384;

// ---------------------------------------------------------------------------
// Children, and killing them when the test process exits

const running = new Set<ChildProcess>();
const directories = new Set<string>();

/** SIGKILLs every child still running and removes the cluster directories. */
function cleanUp(): void {
  for (const child of running) {
    if (child.pid === undefined) continue;
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
  running.clear();
  for (const dir of directories) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Best effort while exiting.
    }
  }
  directories.clear();
}

process.once("exit", cleanUp);
// `deno test` ends without emitting process "exit" (and kills the children
// itself, but leaves the directories); it does dispatch "unload".
(globalThis as {
  addEventListener?: (type: string, listener: () => void) => void;
}).addEventListener?.("unload", cleanUp);

/**
 * Creates a temporary directory (under the OS temp dir, named `prefix` plus
 * random characters) that is removed when the process exits, unless
 * {@linkcode removeTempDir} removed it before.
 */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  directories.add(dir);
  return dir;
}

/** Removes a directory made by {@linkcode makeTempDir}, and all it holds. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  directories.delete(dir);
}

/**
 * Starts `program`, tracked so that the exit handler can kill it. The child
 * and its pipes are unref'd: a test that forgets to stop its cluster lets
 * the process end (and the exit handler kill the nodes) instead of hanging
 * the test run. Every wait on a child therefore holds a timer of its own.
 */
function track(program: string, args: string[]): ChildProcess {
  const child = spawn(program, args, { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  child.once("exit", () => running.delete(child));
  child.once("error", () => running.delete(child));
  child.unref();
  for (const stream of [child.stdout, child.stderr]) {
    (stream as { unref?: () => void } | null)?.unref?.();
  }
  return child;
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null ||
    !running.has(child);
}

/** Waits for the child to exit; throws after `timeoutMs`. */
function exited(child: ChildProcess, timeoutMs = 15_000): Promise<void> {
  if (hasExited(child)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `${child.spawnfile} (pid ${child.pid}) did not exit in ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    child.once("exit", done);
    child.once("error", done);
  });
}

/**
 * Sends a signal by pid (not `child.kill`, which in some runtimes marks the
 * child killed after the first signal, and would make SIGSTOP final).
 */
function signal(
  child: ChildProcess,
  name: "SIGTERM" | "SIGKILL" | "SIGSTOP" | "SIGCONT",
): void {
  if (child.pid === undefined || hasExited(child)) return;
  try {
    process.kill(child.pid, name);
  } catch {
    // Exited in between.
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Keeps the last `limit` characters of a process's output, for errors. */
function collect(child: ChildProcess, limit = 8_000): () => string {
  let output = "";
  const keep = (chunk: Uint8Array) => {
    output += new TextDecoder().decode(chunk);
    if (output.length > limit * 2) output = output.slice(-limit);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return () => output.slice(-limit);
}

/**
 * Starts redis-server and resolves once it accepts connections: once its
 * output includes `ready` (Sentinel never prints the default).
 */
function launchServer(
  args: string[],
  ready = "Ready to accept connections",
): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = track("redis-server", args);
    const output = collect(child);
    const timer = setTimeout(() => {
      signal(child, "SIGKILL");
      reject(new Error(`redis-server did not start in 10 s:\n${output()}`));
    }, 10_000);
    const onData = () => {
      if (output().includes(ready)) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        resolve(child);
      }
    };
    child.stdout?.on("data", onData);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code, name) => {
      clearTimeout(timer);
      reject(
        new Error(`redis-server exited with ${code ?? name}:\n${output()}`),
      );
    });
  });
}

/**
 * Runs a program to its end and returns stdout; throws on a non-zero exit
 * or after `timeoutMs` (the program is then killed).
 */
export function run(
  program: string,
  args: string[],
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = track(program, args);
    let stdout = "";
    let stderr = "";
    child.stdout?.on(
      "data",
      (chunk: Uint8Array) => stdout += new TextDecoder().decode(chunk),
    );
    child.stderr?.on(
      "data",
      (chunk: Uint8Array) => stderr += new TextDecoder().decode(chunk),
    );
    const command = [program, ...args].join(" ");
    const timer = setTimeout(() => {
      signal(child, "SIGKILL");
      reject(
        new Error(
          `${command} did not finish in ${timeoutMs} ms:\n${stdout}${stderr}`,
        ),
      );
    }, timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`${command}: ${error.message}`));
    });
    // "close", not "exit": the output is complete only once the pipes close.
    child.once("close", (code, name) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout.trim());
      else {
        reject(
          new Error(
            `${command} exited with ${code ?? name}:\n${stdout}${stderr}`,
          ),
        );
      }
    });
  });
}

// ---------------------------------------------------------------------------
// A minimal RESP2 connection, for the harness's own commands (faster than a
// redis-cli per command, and it tells reply errors from strings)

/** A reply error, such as `-ERR ...` or `-MOVED ...`. */
export class ReplyError extends Error {}

/** A decoded RESP2 reply. */
export type Reply = string | number | null | ReplyError | Reply[];

const CRLF = new Uint8Array([13, 10]);

function encode(commands: (string | number)[][]): Uint8Array {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const command of commands) {
    parts.push(encoder.encode(`*${command.length}\r\n`));
    for (const arg of command) {
      const bytes = encoder.encode(String(arg));
      parts.push(encoder.encode(`$${bytes.length}\r\n`), bytes, CRLF);
    }
  }
  return concat(parts);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Parses one reply at `at`; `undefined` when more bytes are needed. */
function parse(
  bytes: Uint8Array,
  at: number,
): [Reply, number] | undefined {
  let end = at;
  while (
    end + 1 < bytes.length && (bytes[end] !== 13 || bytes[end + 1] !== 10)
  ) {
    end++;
  }
  if (end + 1 >= bytes.length) return undefined;
  const line = new TextDecoder().decode(bytes.subarray(at + 1, end));
  const next = end + 2;
  switch (bytes[at]) {
    case 43: // +
      return [line, next];
    case 45: // -
      return [new ReplyError(line), next];
    case 58: // :
      return [Number(line), next];
    case 36: { // $
      const length = Number(line);
      if (length < 0) return [null, next];
      if (next + length + 2 > bytes.length) return undefined;
      const text = new TextDecoder().decode(
        bytes.subarray(next, next + length),
      );
      return [text, next + length + 2];
    }
    case 42: { // *
      const count = Number(line);
      if (count < 0) return [null, next];
      const items: Reply[] = [];
      let position = next;
      for (let i = 0; i < count; i++) {
        const item = parse(bytes, position);
        if (item === undefined) return undefined;
        items.push(item[0]);
        position = item[1];
      }
      return [items, position];
    }
    default:
      throw new Error(`Unexpected RESP type byte ${bytes[at]}`);
  }
}

/**
 * Sends `commands` pipelined on one new connection to 127.0.0.1:`port` and
 * resolves with their replies (reply errors included, not thrown).
 *
 * @throws {Error} When the connection fails or the replies take longer than
 * `timeoutMs`.
 */
export function send(
  port: number,
  commands: (string | number)[][],
  timeoutMs = 10_000,
): Promise<Reply[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let buffer: Uint8Array = new Uint8Array(0);
    const replies: Reply[] = [];
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(replies);
    };
    const timer = setTimeout(
      () =>
        finish(
          new Error(
            `127.0.0.1:${port} did not answer ${
              commands.map((c) => c.join(" ")).join("; ").slice(0, 200)
            } within ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    socket.once(
      "error",
      (error) => finish(new Error(`127.0.0.1:${port}: ${error.message}`)),
    );
    socket.once("close", () =>
      finish(
        new Error(
          `127.0.0.1:${port} closed the connection after ${replies.length} of ${commands.length} replies`,
        ),
      ));
    socket.once("connect", () => socket.write(encode(commands)));
    socket.on("data", (chunk: Uint8Array) => {
      buffer = concat([buffer, chunk]);
      let at = 0;
      try {
        for (;;) {
          if (at >= buffer.length) break;
          const parsed = parse(buffer, at);
          if (parsed === undefined) break;
          replies.push(parsed[0]);
          at = parsed[1];
        }
      } catch (error) {
        finish(error as Error);
        return;
      }
      buffer = buffer.slice(at);
      if (replies.length === commands.length) finish();
    });
  });
}

/** Like {@linkcode send}, but a reply error throws. */
export async function call(
  port: number,
  commands: (string | number)[][],
): Promise<Reply[]> {
  const replies = await send(port, commands);
  replies.forEach((reply, i) => {
    if (reply instanceof ReplyError) {
      throw new Error(
        `127.0.0.1:${port} ${commands[i].join(" ")}: ${reply.message}`,
      );
    }
  });
  return replies;
}

// ---------------------------------------------------------------------------
// CLUSTER NODES

interface NodeView {
  id: string;
  port: number;
  flags: Set<string>;
  /** Slot ranges `[first, last]` it owns (migration markers left out). */
  ranges: [number, number][];
}

function parseNodes(text: string): NodeView[] {
  return text.split("\n").filter((line) => line.trim() !== "").map(
    (line) => {
      const fields = line.trim().split(" ");
      // <ip>:<port>@<cport>[,<hostname>]
      const port = Number(fields[1].split("@")[0].split(":").at(-1));
      const ranges: [number, number][] = [];
      for (const field of fields.slice(8)) {
        if (field.startsWith("[")) continue;
        const [first, last] = field.split("-").map(Number);
        ranges.push([first, last ?? first]);
      }
      return {
        id: fields[0],
        port,
        flags: new Set(fields[2].split(",")),
        ranges,
      };
    },
  );
}

/** `first-last:port,...` of the slot owners, sorted, for comparing views. */
function ownership(views: NodeView[]): string {
  return views.flatMap((view) =>
    view.flags.has("master")
      ? view.ranges.map(([first, last]) => [first, last, view.port])
      : []
  ).sort((a, b) => a[0] - b[0]).map(([first, last, port]) =>
    `${first}-${last}:${port}`
  ).join(",");
}

// ---------------------------------------------------------------------------
// Nodes

interface Member {
  readonly node: ClusterNode;
  /** Started and not paused: can answer. */
  live(): boolean;
  /** The node id (stable across restarts, it is in nodes.conf). */
  id(): Promise<string>;
}

async function startMember(
  port: number,
  busPort: number,
  dir: string,
  args: string[],
): Promise<Member> {
  const serverArgs = [
    "--port",
    String(port),
    "--cluster-port",
    String(busPort),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--cluster-enabled",
    "yes",
    "--cluster-config-file",
    "nodes.conf",
    "--save",
    "",
    "--appendonly",
    "no",
    "--daemonize",
    "no",
    "--loglevel",
    "notice",
    // Replicas sync at once (diskless, no 5 s wait for more replicas).
    "--repl-diskless-sync-delay",
    "0",
    "--enable-debug-command",
    "yes",
    ...args,
  ];
  const { node, live } = await startNode(port, dir, serverArgs);
  let nodeId: string | undefined;
  return {
    node,
    live,
    async id() {
      nodeId ??= String((await call(port, [["CLUSTER", "MYID"]]))[0]);
      return nodeId;
    },
  };
}

/**
 * Starts `redis-server ...serverArgs` (which must make it listen on
 * 127.0.0.1:`port`) and wraps it as a {@linkcode ClusterNode}: kill, stop,
 * pause, resume, and restart with the same arguments.
 *
 * @param dir The node's directory, as reported by `node.dir`.
 * @param ready The output line that tells the server accepts connections,
 * `Ready to accept connections` unless given.
 * @returns The node, and `live()`: started and not paused, so it can answer.
 */
export async function startNode(
  port: number,
  dir: string,
  serverArgs: string[],
  ready?: string,
): Promise<{ node: ClusterNode; live(): boolean }> {
  let child: ChildProcess | undefined = await launchServer(serverArgs, ready);
  let paused = false;
  const alive = () => child !== undefined && !hasExited(child);
  const node: ClusterNode = {
    host: "127.0.0.1",
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    pid: () => alive() ? child?.pid : undefined,
    async kill() {
      if (child === undefined) return;
      signal(child, "SIGKILL");
      await exited(child);
      paused = false;
    },
    async stop() {
      if (child === undefined) return;
      const current = child;
      signal(current, "SIGTERM");
      signal(current, "SIGCONT");
      const timer = setTimeout(() => signal(current, "SIGKILL"), 10_000);
      await exited(current);
      clearTimeout(timer);
      paused = false;
    },
    pause() {
      if (child === undefined || !alive()) {
        throw new Error(`Cannot pause 127.0.0.1:${port}: it is not running`);
      }
      signal(child, "SIGSTOP");
      paused = true;
    },
    resume() {
      if (child !== undefined) signal(child, "SIGCONT");
      paused = false;
    },
    async restart() {
      if (alive()) {
        throw new Error(
          `Cannot restart 127.0.0.1:${port}: it is still running (stop or kill it first)`,
        );
      }
      child = undefined;
      child = await launchServer(serverArgs, ready);
      paused = false;
    },
  };
  return { node, live: () => alive() && !paused };
}

/** Finds `count` distinct free ports (freePort can repeat itself). */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let attempt = 0; ports.size < count; attempt++) {
    if (attempt > count * 10) {
      throw new Error(`Could not find ${count} distinct free ports`);
    }
    ports.add(await freePort());
  }
  return [...ports];
}

// ---------------------------------------------------------------------------
// The cluster

/**
 * Starts a Redis Cluster on loopback: `primaries` × (1 + `replicasPerPrimary`)
 * redis-server processes on free ports (each with a free cluster bus port and
 * its own temporary directory, `--cluster-config-file nodes.conf`, no
 * persistence), joined with `redis-cli --cluster create ... --cluster-yes`.
 * Resolves once the cluster is stable (see
 * {@linkcode RedisCluster.waitStable}) and every replica reports
 * `master_link_status:up`.
 *
 * @throws {Error} When a node does not start or the cluster does not become
 * ready within 15 s; whatever was started is stopped again.
 */
export async function startCluster(
  options: StartClusterOptions = {},
): Promise<RedisCluster> {
  const primaryCount = options.primaries ?? 3;
  const replicas = options.replicasPerPrimary ?? 1;
  const nodeTimeout = options.nodeTimeout ?? 1000;
  if (!Number.isInteger(primaryCount) || primaryCount < 3) {
    throw new RangeError(
      `primaries must be an integer of at least 3 (redis-cli --cluster create needs 3), got ${primaryCount}`,
    );
  }
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new RangeError(
      `replicasPerPrimary must be a non-negative integer, got ${replicas}`,
    );
  }
  const count = primaryCount * (1 + replicas);
  const root = makeTempDir("respool-cluster-");
  const members: Member[] = [];

  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    stopping ??= (async () => {
      await Promise.all(members.map((member) => member.node.stop()));
      removeTempDir(root);
    })();
    return stopping;
  };

  const byPort = (port: number): Member => {
    const member = members.find((m) => m.node.port === port);
    if (member === undefined) {
      throw new Error(`127.0.0.1:${port} is not a node of this cluster`);
    }
    return member;
  };

  /** CLUSTER NODES of the first live node that answers. */
  const view = async (): Promise<NodeView[]> => {
    const failures: string[] = [];
    for (const member of members) {
      if (!member.live()) continue;
      try {
        const [nodes] = await call(member.node.port, [["CLUSTER", "NODES"]]);
        return parseNodes(String(nodes));
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
    throw new Error(
      `No live node answered CLUSTER NODES${
        failures.length ? `:\n${failures.join("\n")}` : ""
      }`,
    );
  };

  const ownerIn = (views: NodeView[], slot: number): NodeView | undefined =>
    views.find((v) =>
      v.flags.has("master") &&
      v.ranges.some(([first, last]) => first <= slot && slot <= last)
    );

  const checkSlot = (slot: number) => {
    if (!Number.isInteger(slot) || slot < 0 || slot >= SLOTS) {
      throw new RangeError(`Not a hash slot: ${slot}`);
    }
  };

  /** Why the cluster is not stable now, or `undefined` when it is. */
  const unstable = async (): Promise<string | undefined> => {
    const live = members.filter((m) => m.live());
    if (live.length === 0) return "no node is live";
    const livePorts = new Set(live.map((m) => m.node.port));
    let agreed: string | undefined;
    let agreedBy = 0;
    for (const member of live) {
      const port = member.node.port;
      let info: Reply, nodes: Reply;
      try {
        [info, nodes] = await call(port, [["CLUSTER", "INFO"], [
          "CLUSTER",
          "NODES",
        ]]);
      } catch (error) {
        return (error as Error).message;
      }
      const state = /cluster_state:(\w+)/.exec(String(info))?.[1];
      if (state !== "ok") {
        return `127.0.0.1:${port} reports cluster_state:${state}`;
      }
      const views = parseNodes(String(nodes));
      for (const livePort of livePorts) {
        const seen = views.find((v) => v.port === livePort);
        if (seen === undefined) {
          return `127.0.0.1:${port} does not know 127.0.0.1:${livePort}`;
        }
        const bad = ["fail", "fail?", "handshake", "noaddr"].filter((flag) =>
          seen.flags.has(flag)
        );
        if (bad.length) {
          return `127.0.0.1:${port} flags 127.0.0.1:${livePort} ${
            bad.join(",")
          }`;
        }
      }
      // Just after the cluster forms, gossip may not have told every node
      // yet which nodes became replicas: they still look like empty masters.
      const empty = views.find((v) =>
        v.flags.has("master") && v.ranges.length === 0 &&
        livePorts.has(v.port) && !v.flags.has("fail")
      );
      if (empty !== undefined) {
        return `127.0.0.1:${port} sees 127.0.0.1:${empty.port} as a master without slots`;
      }
      const owners = ownership(views);
      for (const owner of views) {
        if (
          owner.flags.has("master") && owner.ranges.length &&
          !livePorts.has(owner.port)
        ) {
          return `127.0.0.1:${port} sees slots owned by 127.0.0.1:${owner.port}, which is not live`;
        }
      }
      if (agreed === undefined) {
        agreed = owners;
        agreedBy = port;
      } else if (owners !== agreed) {
        return `127.0.0.1:${port} and 127.0.0.1:${agreedBy} disagree on slot owners:\n${owners}\n${agreed}`;
      }
    }
    return undefined;
  };

  const waitStable = async (timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reason = await unstable();
      if (reason === undefined) return;
      if (Date.now() > deadline) {
        throw new Error(`Cluster not stable within ${timeoutMs} ms: ${reason}`);
      }
      await sleep(50);
    }
  };

  /** Waits for `count` replicas, each with `master_link_status:up`. */
  const waitReplicas = async (expected: number, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let reason: string | undefined;
      let up = 0;
      for (const member of members) {
        const port = member.node.port;
        try {
          const [info] = await call(port, [["INFO", "replication"]]);
          const text = String(info);
          if (!text.includes("role:slave")) continue;
          if (text.includes("master_link_status:up")) up++;
          else reason ??= `replica 127.0.0.1:${port} has its master link down`;
        } catch (error) {
          reason ??= (error as Error).message;
        }
      }
      if (reason === undefined && up === expected) return;
      if (Date.now() > deadline) {
        throw new Error(
          `Replicas not in sync within ${timeoutMs} ms: ${
            reason ?? `${up} of ${expected} replicas up`
          }`,
        );
      }
      await sleep(50);
    }
  };

  /** Migrates every key of `slot` from source to target, 100 at a time. */
  const migrateAll = async (
    source: number,
    target: number,
    slot: number,
    deadline: number,
  ) => {
    for (;;) {
      const [keys] = await call(source, [[
        "CLUSTER",
        "GETKEYSINSLOT",
        slot,
        100,
      ]]);
      if (!Array.isArray(keys) || keys.length === 0) return;
      await migrate(source, target, keys.map(String));
      if (Date.now() > deadline) {
        throw new Error(
          `Slot ${slot} still has keys on 127.0.0.1:${source} after the deadline`,
        );
      }
    }
  };

  const migrate = async (source: number, target: number, keys: string[]) => {
    for (let i = 0; i < keys.length; i += 100) {
      await call(source, [[
        "MIGRATE",
        "127.0.0.1",
        target,
        "",
        0,
        5_000,
        "KEYS",
        ...keys.slice(i, i + 100),
      ]]);
    }
  };

  /** Sets IMPORTING on the target and MIGRATING on the source. */
  const open = async (source: Member, target: Member, slots: number[]) => {
    const [sourceId, targetId] = [await source.id(), await target.id()];
    await call(
      target.node.port,
      slots.map((s) => ["CLUSTER", "SETSLOT", s, "IMPORTING", sourceId]),
    );
    await call(
      source.node.port,
      slots.map((s) => ["CLUSTER", "SETSLOT", s, "MIGRATING", targetId]),
    );
  };

  /**
   * SETSLOT NODE on the target, then the source, then the other live
   * primaries (replicas refuse SETSLOT and learn it from the bus).
   */
  const close = async (source: Member, target: Member, slots: number[]) => {
    const targetId = await target.id();
    const commands = slots.map((
      s,
    ) => ["CLUSTER", "SETSLOT", s, "NODE", targetId]);
    await call(target.node.port, commands);
    await call(source.node.port, commands);
    const views = parseNodes(
      String((await call(target.node.port, [["CLUSTER", "NODES"]]))[0]),
    );
    for (const view of views) {
      if (
        !view.flags.has("master") || view.flags.has("fail") ||
        view.port === source.node.port || view.port === target.node.port
      ) continue;
      const other = members.find((m) => m.node.port === view.port);
      if (other === undefined || !other.live()) continue;
      await call(view.port, commands);
    }
  };

  const cluster: RedisCluster = {
    nodes: [],
    seeds: [],
    cli(port, ...args) {
      return run(
        "redis-cli",
        ["-h", "127.0.0.1", "-p", String(port), ...args],
        10_000,
      );
    },
    async primaries() {
      // A master without slots is a replica whose role has not reached
      // this node's view yet (gossip lags just after the cluster forms).
      return (await view()).filter((v) =>
        v.flags.has("master") && v.ranges.length > 0 &&
        !v.flags.has("fail") && !v.flags.has("handshake") &&
        !v.flags.has("noaddr")
      ).map((v) => v.port).sort((a, b) => a - b);
    },
    async ownerOf(slot) {
      checkSlot(slot);
      const owner = ownerIn(await view(), slot);
      if (owner === undefined) throw new Error(`No node owns slot ${slot}`);
      return owner.port;
    },
    waitStable,
    async moveSlots(slots, targetPort) {
      slots.forEach(checkSlot);
      const target = byPort(targetPort);
      const deadline = Date.now() + 60_000;
      const views = parseNodes(
        String((await call(targetPort, [["CLUSTER", "NODES"]]))[0]),
      );
      const bySource = new Map<number, number[]>();
      for (const slot of new Set(slots)) {
        const owner = ownerIn(views, slot);
        if (owner === undefined) throw new Error(`No node owns slot ${slot}`);
        if (owner.port === targetPort) continue;
        bySource.set(owner.port, [...bySource.get(owner.port) ?? [], slot]);
      }
      for (const [sourcePort, group] of bySource) {
        const source = byPort(sourcePort);
        await open(source, target, group);
        for (const slot of group) {
          await migrateAll(sourcePort, targetPort, slot, deadline);
        }
        await close(source, target, group);
      }
      await waitStable();
    },
    async beginMigration(slot, targetPort, keysToMove) {
      checkSlot(slot);
      for (const key of keysToMove) {
        if (slotOf(key) !== slot) {
          throw new Error(
            `Key ${JSON.stringify(key)} is in slot ${slotOf(key)}, not ${slot}`,
          );
        }
      }
      const target = byPort(targetPort);
      const views = parseNodes(
        String((await call(targetPort, [["CLUSTER", "NODES"]]))[0]),
      );
      const owner = ownerIn(views, slot);
      if (owner === undefined) throw new Error(`No node owns slot ${slot}`);
      if (owner.port === targetPort) {
        throw new Error(`127.0.0.1:${targetPort} owns slot ${slot} already`);
      }
      const source = byPort(owner.port);
      await open(source, target, [slot]);
      await migrate(owner.port, targetPort, keysToMove);
      let finishing: Promise<void> | undefined;
      return () =>
        finishing ??= (async () => {
          await migrateAll(owner.port, targetPort, slot, Date.now() + 60_000);
          await close(source, target, [slot]);
          await waitStable();
        })();
    },
    stop: stopAll,
  };

  try {
    // Another test may take a port between freePort() and the bind: then
    // start all nodes again on other ports, a few times.
    for (let attempt = 1;; attempt++) {
      const ports = await freePorts(count * 2);
      const started = await Promise.allSettled(
        Array.from({ length: count }, (_, i) => {
          const port = ports[i];
          const dir = join(root, `node-${port}`);
          mkdirSync(dir, { recursive: true });
          return startMember(port, ports[count + i], dir, [
            "--cluster-node-timeout",
            String(nodeTimeout),
            ...options.args ?? [],
          ]);
        }),
      );
      for (const result of started) {
        if (result.status === "fulfilled") members.push(result.value);
      }
      const failed = started.find((r) => r.status === "rejected");
      if (failed === undefined) break;
      const reason = (failed as PromiseRejectedResult).reason;
      if (attempt >= 3 || !/address already in use/i.test(String(reason))) {
        throw reason;
      }
      await Promise.all(members.map((member) => member.node.kill()));
      members.length = 0;
    }
    cluster.nodes.push(...members.map((m) => m.node));
    cluster.seeds.push(...members.map((m) => m.node.url));
    await run("redis-cli", [
      "--cluster",
      "create",
      ...members.map((m) => `127.0.0.1:${m.node.port}`),
      "--cluster-replicas",
      String(replicas),
      "--cluster-yes",
    ], 30_000);
    await waitStable(15_000);
    await waitReplicas(primaryCount * replicas, 15_000);
    return cluster;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

// ---------------------------------------------------------------------------
// Hash slots

/** CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), by table. */
const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    }
    table[i] = crc & 0xffff;
  }
  return table;
})();

/**
 * The hash slot of `key` (CRC16/XMODEM of its UTF-8 bytes, mod 16384), with
 * the hash tag rule: when the key has a `{` followed later by a `}` with at
 * least one byte between them, only the bytes between the first `{` and the
 * first `}` after it are hashed. A reference implementation for tests only.
 */
export function slotOf(key: string): number {
  let bytes = new TextEncoder().encode(key);
  const open = bytes.indexOf(0x7b);
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of bytes) {
    crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xff];
  }
  return crc % SLOTS;
}
