/**
 * Starts and stops a throwaway Redis Sentinel setup on loopback: one master,
 * two replicas and three sentinels, each a redis-server in a temporary
 * directory of its own. Also forces failovers and waits for them.
 *
 * Uses only node: modules so it runs unchanged under Deno, Bun and Node.
 * The processes are started through tests/_cluster.ts, so every one of them
 * is killed with SIGKILL (and the directories removed) when the test
 * process exits, even after a failed test.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type ClusterNode,
  freePorts,
  makeTempDir,
  removeTempDir,
  type Reply,
  ReplyError,
  run,
  send,
  sleep,
  startNode,
} from "./_cluster.ts";
import { freePort } from "./_redis.ts";

/**
 * One redis-server of a {@linkcode SentinelSetup}, data node or sentinel.
 * Its `dir` holds its config file (`redis.conf` or `sentinel.conf`), which
 * the sentinels rewrite: a restarted sentinel comes back with its id and
 * what it knew, a restarted data node with the role Sentinel last gave it
 * (Sentinel sends `CONFIG REWRITE` after every `REPLICAOF`).
 */
export type SentinelNode = ClusterNode;

/** A running setup started by {@linkcode startSentinel}. */
export interface SentinelSetup {
  /** The master name the sentinels monitor, `mymaster` unless given. */
  readonly name: string;
  /**
   * The three data nodes. `data[0]` is the first master, `data[1]` and
   * `data[2]` its replicas; failovers change that, see
   * {@linkcode SentinelSetup.masterPort} and {@linkcode SentinelSetup.roleOf}.
   */
  readonly data: SentinelNode[];
  /** The three sentinels. */
  readonly sentinels: SentinelNode[];
  /** `redis://127.0.0.1:<port>` of every sentinel. */
  readonly sentinelUrls: string[];
  /**
   * Runs `redis-cli -h 127.0.0.1 -p <port> ...args` and returns its stdout,
   * trimmed. Adds `-a <password>` for a data node when the setup has a
   * `password`, and for a sentinel when it has a `sentinelPassword`. A reply
   * error is part of that output and does not throw.
   *
   * @throws {Error} When redis-cli fails (cannot connect, say) or takes more
   * than 10 s.
   */
  cli(port: number, ...args: string[]): Promise<string>;
  /**
   * The master's port from `SENTINEL GET-MASTER-ADDR-BY-NAME` of the first
   * live sentinel (started, not paused) that answers.
   *
   * @throws {Error} When no live sentinel answers.
   */
  masterPort(): Promise<number>;
  /**
   * The role the data node at `port` reports in `ROLE`: `"master"` or
   * `"slave"`.
   */
  roleOf(port: number): Promise<string>;
  /**
   * Forces a failover with `SENTINEL FAILOVER <name>` on a live sentinel
   * (retried while it answers `NOGOODSLAVE`, as it does for a moment after
   * a failover), then waits as {@linkcode SentinelSetup.waitForNewMaster}
   * does. The old master stays up; the sentinels turn it into a replica
   * about 10 s later.
   *
   * @param timeoutMs The bound for all of it, 30000 unless given.
   * @returns The master's port before and after.
   * @throws {Error} When a failover is in progress already, or the new
   * master is not reported in time.
   */
  failover(timeoutMs?: number): Promise<{ from: number; to: number }>;
  /**
   * Waits until every live sentinel reports the same master, other than
   * `oldPort`, and that data node's `ROLE` says master. For failovers the
   * sentinels start themselves (pause or kill the master).
   *
   * @param timeoutMs The bound, 30000 unless given.
   * @returns The new master's port.
   * @throws {Error} Naming what was still wrong when the time ran out.
   */
  waitForNewMaster(oldPort: number, timeoutMs?: number): Promise<number>;
  /**
   * Waits until the setup is settled: every live sentinel reports the same
   * master, flagged only `master`, with the other two sentinels and every
   * live replica known (live sentinels flagged only `sentinel`, replicas
   * only `slave`); that data node says `role:master` and lists every other
   * live data node as an online replica, each of which says `role:slave`
   * with `master_link_status:up` to it. After a failover the old master
   * takes about 10 s to become a replica.
   *
   * @param timeoutMs The bound, 30000 unless given.
   * @throws {Error} Naming what was still wrong when the time ran out.
   */
  waitStable(timeoutMs?: number): Promise<void>;
  /**
   * Stops the sentinels, then the data nodes (paused ones are resumed
   * first), and removes their directories. Idempotent.
   */
  stop(): Promise<void>;
}

/** Options for {@linkcode startSentinel}. */
export interface StartSentinelOptions {
  /** The master name, `mymaster` unless given. */
  name?: string;
  /**
   * A password for the data nodes: they get `requirepass` and `masterauth`,
   * the sentinels `sentinel auth-pass`.
   */
  password?: string;
  /**
   * A password for the sentinels themselves: they get `requirepass` and
   * `sentinel sentinel-pass` (to talk to each other).
   */
  sentinelPassword?: string;
  /** `sentinel down-after-milliseconds`; 1000 unless given. */
  downAfterMs?: number;
  /** `sentinel failover-timeout`; 2000 unless given. */
  failoverTimeoutMs?: number;
  /**
   * Extra redis-server arguments for the data nodes, after their config
   * file (so they override it, `--save` or `--appendonly` say).
   */
  args?: string[];
}

/** A node with whether it can answer now (started and not paused). */
interface Member {
  readonly node: SentinelNode;
  live(): boolean;
}

/** Quotes a config file value the way redis-server reads it back. */
function quote(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** A flat `[field, value, ...]` reply as a map. */
function fields(reply: Reply): Map<string, string> {
  const map = new Map<string, string>();
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) {
      map.set(String(reply[i]), String(reply[i + 1]));
    }
  }
  return map;
}

/** A field of `INFO` output, such as `role` or `master_link_status`. */
function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, "m").exec(info)?.[1]?.trim();
}

/**
 * Starts a node, on `port` or on another free port when that one was
 * taken in between (a few times).
 */
async function onFreePort(
  port: number,
  start: (port: number) => Promise<Member>,
): Promise<Member> {
  for (let attempt = 1;; attempt++) {
    try {
      return await start(port);
    } catch (error) {
      if (attempt >= 3 || !/address already in use/i.test(String(error))) {
        throw error;
      }
      port = await freePort();
    }
  }
}

/**
 * Waits for all `starts`, adds the nodes that started to `into` (in order,
 * so that a failure still stops them) and throws the first failure.
 */
async function startAll(
  into: Member[],
  starts: Promise<Member>[],
): Promise<void> {
  const results = await Promise.allSettled(starts);
  for (const result of results) {
    if (result.status === "fulfilled") into.push(result.value);
  }
  const failed = results.find((r) => r.status === "rejected");
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
}

/**
 * Starts a Redis Sentinel setup on loopback, each process on a free port
 * in a directory of its own under one temporary directory: a master and two
 * replicas (`replicaof`, no persistence, diskless sync without delay, and
 * `requirepass`/`masterauth` when a `password` is given), then, once both
 * replicas are in sync, three sentinels monitoring the master with quorum 2.
 * Resolves once the setup is settled (see {@linkcode SentinelSetup.waitStable}):
 * each sentinel knows the master, both replicas and the other two sentinels.
 *
 * @throws {Error} When a process does not start or the setup is not ready
 * within 15 s; whatever was started is stopped again.
 */
export async function startSentinel(
  options: StartSentinelOptions = {},
): Promise<SentinelSetup> {
  const name = options.name ?? "mymaster";
  const password = options.password;
  const sentinelPassword = options.sentinelPassword;
  const downAfterMs = options.downAfterMs ?? 1000;
  const failoverTimeoutMs = options.failoverTimeoutMs ?? 2000;
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    throw new RangeError(
      `name must be letters, digits, ".", "_" or "-", got ${
        JSON.stringify(name)
      }`,
    );
  }
  for (
    const [option, value] of [["downAfterMs", downAfterMs], [
      "failoverTimeoutMs",
      failoverTimeoutMs,
    ]] as const
  ) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(
        `${option} must be a positive integer, got ${value}`,
      );
    }
  }

  const root = makeTempDir("respool-sentinel-");
  const data: Member[] = [];
  const sentinels: Member[] = [];

  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    stopping ??= (async () => {
      // Sentinels first, so that they do not fail over while the data
      // nodes go down.
      await Promise.all(sentinels.map((member) => member.node.stop()));
      await Promise.all(data.map((member) => member.node.stop()));
      removeTempDir(root);
    })();
    return stopping;
  };

  const passwordOf = (port: number): string | undefined =>
    data.some((m) => m.node.port === port)
      ? password
      : sentinels.some((m) => m.node.port === port)
      ? sentinelPassword
      : undefined;

  /** Sends one command (after AUTH when needed); a reply error throws. */
  const ask = async (
    port: number,
    command: (string | number)[],
    timeoutMs = 5_000,
  ): Promise<Reply> => {
    const secret = passwordOf(port);
    const commands = secret === undefined
      ? [command]
      : [["AUTH", secret], command];
    const replies = await send(port, commands, timeoutMs);
    for (const [i, reply] of replies.entries()) {
      if (reply instanceof ReplyError) {
        // Never the password in the message.
        const what = i === replies.length - 1 ? command.join(" ") : "AUTH";
        throw new Error(`127.0.0.1:${port} ${what}: ${reply.message}`);
      }
    }
    return replies[replies.length - 1];
  };

  const startData = (
    index: number,
    port: number,
    masterPort?: number,
  ): Promise<Member> => {
    const dir = join(root, `data-${index}`);
    mkdirSync(dir, { recursive: true });
    const conf = join(dir, "redis.conf");
    return onFreePort(port, (port) => {
      const lines = [
        `port ${port}`,
        "bind 127.0.0.1",
        `dir ${quote(dir)}`,
        'save ""',
        "appendonly no",
        "daemonize no",
        "loglevel notice",
        // Replicas sync at once (diskless, no 5 s wait for more replicas).
        "repl-diskless-sync-delay 0",
        "enable-debug-command yes",
        ...password === undefined
          ? []
          : [`requirepass ${quote(password)}`, `masterauth ${quote(password)}`],
        ...masterPort === undefined
          ? []
          : [`replicaof 127.0.0.1 ${masterPort}`],
      ];
      writeFileSync(conf, lines.join("\n") + "\n");
      return startNode(port, dir, [conf, ...options.args ?? []]);
    });
  };

  const startSentinelNode = (
    index: number,
    port: number,
    masterPort: number,
  ): Promise<Member> => {
    const dir = join(root, `sentinel-${index}`);
    mkdirSync(dir, { recursive: true });
    const conf = join(dir, "sentinel.conf");
    return onFreePort(port, (port) => {
      const lines = [
        `port ${port}`,
        "bind 127.0.0.1",
        `dir ${quote(dir)}`,
        "daemonize no",
        "loglevel notice",
        ...sentinelPassword === undefined ? [] : [
          `requirepass ${quote(sentinelPassword)}`,
          `sentinel sentinel-pass ${quote(sentinelPassword)}`,
        ],
        `sentinel monitor ${name} 127.0.0.1 ${masterPort} 2`,
        `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
        `sentinel failover-timeout ${name} ${failoverTimeoutMs}`,
        `sentinel parallel-syncs ${name} 1`,
        ...password === undefined
          ? []
          : [`sentinel auth-pass ${name} ${quote(password)}`],
      ];
      // Sentinel rewrites this file (its id, what it learns): it must be
      // writable, and a restart reads it back.
      writeFileSync(conf, lines.join("\n") + "\n");
      return startNode(port, dir, [conf, "--sentinel"], "Sentinel ID is");
    });
  };

  /** Why the setup is not settled now, or `undefined` when it is. */
  const unstable = async (): Promise<string | undefined> => {
    const liveSentinels = sentinels.filter((m) => m.live());
    const liveData = data.filter((m) => m.live());
    if (liveSentinels.length === 0) return "no sentinel is live";
    let master: number | undefined;
    let reportedBy = 0;
    for (const sentinel of liveSentinels) {
      const at = `sentinel 127.0.0.1:${sentinel.node.port}`;
      let masterReply: Reply, replicasReply: Reply, peersReply: Reply;
      try {
        masterReply = await ask(sentinel.node.port, [
          "SENTINEL",
          "MASTER",
          name,
        ]);
        replicasReply = await ask(sentinel.node.port, [
          "SENTINEL",
          "REPLICAS",
          name,
        ]);
        peersReply = await ask(sentinel.node.port, [
          "SENTINEL",
          "SENTINELS",
          name,
        ]);
      } catch (error) {
        return (error as Error).message;
      }
      const view = fields(masterReply);
      const port = Number(view.get("port"));
      if (master === undefined) {
        master = port;
        reportedBy = sentinel.node.port;
      } else if (port !== master) {
        return `${at} reports master 127.0.0.1:${port}, sentinel 127.0.0.1:${reportedBy} 127.0.0.1:${master}`;
      }
      if (view.get("flags") !== "master") {
        return `${at} flags master 127.0.0.1:${port} ${view.get("flags")}`;
      }
      const others = Number(view.get("num-other-sentinels"));
      if (others !== sentinels.length - 1) {
        return `${at} knows ${others} other sentinels, not ${
          sentinels.length - 1
        }`;
      }
      const replicas = Array.isArray(replicasReply)
        ? replicasReply.map(fields)
        : [];
      for (const member of liveData) {
        if (member.node.port === port) continue;
        const seen = replicas.find((r) =>
          Number(r.get("port")) === member.node.port
        );
        if (seen === undefined) {
          return `${at} does not know replica 127.0.0.1:${member.node.port}`;
        }
        if (seen.get("flags") !== "slave") {
          return `${at} flags replica 127.0.0.1:${member.node.port} ${
            seen.get("flags")
          }`;
        }
      }
      const peers = Array.isArray(peersReply) ? peersReply.map(fields) : [];
      for (const other of liveSentinels) {
        if (other === sentinel) continue;
        const seen = peers.find((p) =>
          Number(p.get("port")) === other.node.port
        );
        if (seen === undefined) {
          return `${at} does not know sentinel 127.0.0.1:${other.node.port}`;
        }
        if (seen.get("flags") !== "sentinel") {
          return `${at} flags sentinel 127.0.0.1:${other.node.port} ${
            seen.get("flags")
          }`;
        }
      }
    }
    if (!liveData.some((m) => m.node.port === master)) {
      return `the master the sentinels report, 127.0.0.1:${master}, is not a live data node`;
    }
    for (const member of liveData) {
      const port = member.node.port;
      let info: string;
      try {
        info = String(await ask(port, ["INFO", "replication"]));
      } catch (error) {
        return (error as Error).message;
      }
      const role = infoField(info, "role");
      if (port === master) {
        if (role !== "master") {
          return `127.0.0.1:${port}, master for the sentinels, says role:${role}`;
        }
        const online = new Set(
          [...info.matchAll(/^slave\d+:.*\bport=(\d+),state=online\b/gm)].map(
            (match) => Number(match[1]),
          ),
        );
        const missing = liveData.find((m) =>
          m.node.port !== port && !online.has(m.node.port)
        );
        if (missing !== undefined) {
          return `master 127.0.0.1:${port} does not list 127.0.0.1:${missing.node.port} as an online replica`;
        }
      } else if (role !== "slave") {
        return `127.0.0.1:${port} says role:${role}, not slave`;
      } else if (Number(infoField(info, "master_port")) !== master) {
        return `replica 127.0.0.1:${port} replicates 127.0.0.1:${
          infoField(info, "master_port")
        }, not 127.0.0.1:${master}`;
      } else if (infoField(info, "master_link_status") !== "up") {
        return `replica 127.0.0.1:${port} has master_link_status:${
          infoField(info, "master_link_status")
        }`;
      }
    }
    return undefined;
  };

  const waitStable = async (timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reason = await unstable();
      if (reason === undefined) return;
      if (Date.now() > deadline) {
        throw new Error(
          `Sentinel setup not stable within ${timeoutMs} ms: ${reason}`,
        );
      }
      await sleep(50);
    }
  };

  /** Waits until both replicas are in sync with the first master. */
  const waitReplicas = async (masterPort: number, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let reason: string | undefined;
      for (const member of data) {
        if (member.node.port === masterPort) continue;
        try {
          const info = String(
            await ask(member.node.port, ["INFO", "replication"]),
          );
          const link = infoField(info, "master_link_status");
          if (link !== "up") {
            reason ??=
              `replica 127.0.0.1:${member.node.port} has master_link_status:${link}`;
          }
        } catch (error) {
          reason ??= (error as Error).message;
        }
      }
      if (reason === undefined) return;
      if (Date.now() > deadline) {
        throw new Error(
          `Replicas not in sync within ${timeoutMs} ms: ${reason}`,
        );
      }
      await sleep(50);
    }
  };

  const masterPort = async (): Promise<number> => {
    const failures: string[] = [];
    for (const sentinel of sentinels) {
      if (!sentinel.live()) continue;
      try {
        const reply = await ask(sentinel.node.port, [
          "SENTINEL",
          "GET-MASTER-ADDR-BY-NAME",
          name,
        ]);
        if (!Array.isArray(reply) || reply.length !== 2) {
          throw new Error(
            `sentinel 127.0.0.1:${sentinel.node.port} does not know master ${name}`,
          );
        }
        return Number(reply[1]);
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
    throw new Error(
      `No live sentinel answered SENTINEL GET-MASTER-ADDR-BY-NAME ${name}${
        failures.length ? `:\n${failures.join("\n")}` : ""
      }`,
    );
  };

  const roleOf = async (port: number): Promise<string> => {
    const reply = await ask(port, ["ROLE"]);
    if (!Array.isArray(reply)) {
      throw new Error(`127.0.0.1:${port} ROLE: unexpected reply ${reply}`);
    }
    return String(reply[0]);
  };

  const waitForNewMaster = async (oldPort: number, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let reason: string | undefined;
      let agreed: number | undefined;
      const live = sentinels.filter((m) => m.live());
      if (live.length === 0) reason = "no sentinel is live";
      for (const sentinel of live) {
        const port = sentinel.node.port;
        try {
          const reply = await ask(port, [
            "SENTINEL",
            "GET-MASTER-ADDR-BY-NAME",
            name,
          ]);
          const reported = Array.isArray(reply) ? Number(reply[1]) : NaN;
          if (reported === oldPort) {
            reason =
              `sentinel 127.0.0.1:${port} still reports 127.0.0.1:${oldPort}`;
          } else if (agreed !== undefined && reported !== agreed) {
            reason =
              `sentinels report 127.0.0.1:${agreed} and 127.0.0.1:${reported}`;
          }
          agreed ??= reported;
        } catch (error) {
          reason = (error as Error).message;
        }
        if (reason !== undefined) break;
      }
      if (reason === undefined && agreed !== undefined) {
        try {
          const role = await roleOf(agreed);
          if (role === "master") return agreed;
          reason =
            `127.0.0.1:${agreed}, reported by the sentinels, says ROLE ${role}`;
        } catch (error) {
          reason = (error as Error).message;
        }
      }
      if (Date.now() > deadline) {
        throw new Error(
          `No new master instead of 127.0.0.1:${oldPort} within ${timeoutMs} ms: ${reason}`,
        );
      }
      await sleep(50);
    }
  };

  const setup: SentinelSetup = {
    name,
    data: [],
    sentinels: [],
    sentinelUrls: [],
    cli(port, ...args) {
      const secret = passwordOf(port);
      return run(
        "redis-cli",
        [
          "-h",
          "127.0.0.1",
          "-p",
          String(port),
          ...secret === undefined ? [] : ["-a", secret, "--no-auth-warning"],
          ...args,
        ],
        10_000,
      );
    },
    masterPort,
    roleOf,
    async failover(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      const from = await masterPort();
      for (;;) {
        const sentinel = sentinels.find((m) => m.live());
        if (sentinel === undefined) {
          throw new Error("Cannot fail over: no sentinel is live");
        }
        try {
          await ask(sentinel.node.port, ["SENTINEL", "FAILOVER", name]);
          break;
        } catch (error) {
          const message = (error as Error).message;
          if (!/: NOGOODSLAVE/.test(message) || Date.now() > deadline) {
            throw new Error(`Cannot fail over: ${message}`);
          }
        }
        await sleep(100);
      }
      const to = await waitForNewMaster(
        from,
        Math.max(deadline - Date.now(), 1),
      );
      return { from, to };
    },
    waitForNewMaster,
    waitStable,
    stop: stopAll,
  };

  try {
    const ports = await freePorts(6);
    data.push(await startData(0, ports[0]));
    const master = data[0].node.port;
    await startAll(
      data,
      [1, 2].map((i) => startData(i, ports[i], master)),
    );
    await waitReplicas(master, 10_000);
    await startAll(
      sentinels,
      [0, 1, 2].map((i) => startSentinelNode(i, ports[3 + i], master)),
    );
    setup.data.push(...data.map((m) => m.node));
    setup.sentinels.push(...sentinels.map((m) => m.node));
    setup.sentinelUrls.push(...sentinels.map((m) => m.node.url));
    await waitStable(15_000);
    return setup;
  } catch (error) {
    await stopAll();
    throw error;
  }
}
