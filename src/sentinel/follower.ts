/**
 * Following a master through Sentinel: discovery (asking the sentinels in
 * turn, each bounded by `connectTimeout`, and checking the node's ROLE),
 * a `+switch-master` subscription that moves to another sentinel when its
 * own dies, and re-resolution after a READONLY reply, a lost connection or
 * a timeout, so that a missed event still converges.
 *
 * @module
 */

import { Connection } from "../connection/connection.ts";
import {
  ClosedError,
  ConnectionError,
  ReplyError,
  TimeoutError,
} from "../errors.ts";
import { Lease } from "../lease.ts";
import type { ResolvedOptions, ResolvedSentinel } from "../options.ts";
import type { Pool } from "../pool/pool.ts";
import { Subscription } from "../pubsub/subscription.ts";
import type { RespValue } from "../resp/decode.ts";
import { createNodePool, reconnectPolicy } from "../router/node_pool.ts";
import { autoTransport } from "../transport/detect.ts";

/** A node's host and port. */
export interface Address {
  readonly host: string;
  readonly port: number;
}

/** The `detail` of a `failover` event. */
export interface FailoverDetail {
  /** The address the client used until now. */
  readonly from: string;
  /** The address it uses from now on. */
  readonly to: string;
}

/** What the follower needs of its client. */
export interface FollowerHost {
  /** The client's pool, moved to the new address on a failover. */
  pool(): Pool<Connection, Lease>;
  emit(type: string, detail: unknown): void;
}

/** The sentinel events that move the client. */
const EVENTS = ["+switch-master", "+selected-slave", "+promoted-slave"];
/** How many sentinels are watched at once. */
const WATCHED = 5;
/** How long a selected replica is polled for its promotion, in ms. */
const PROMOTION_WAIT = 10_000;

/** Re-resolutions asked for by errors run at most this often. */
const MIN_INTERVAL = 250;

function text(address: Address): string {
  return `${address.host}:${address.port}`;
}

/** A map (RESP3) or flat key-value array (RESP2) as a getter. */
function field(entry: RespValue, name: string): string | undefined {
  if (entry instanceof Map) {
    const value = entry.get(name);
    return value == null ? undefined : String(value);
  }
  if (Array.isArray(entry)) {
    for (let i = 0; i + 1 < entry.length; i += 2) {
      if (String(entry[i]) === name) return String(entry[i + 1]);
    }
  }
  return undefined;
}

/** Follows the master (or a replica) a set of sentinels names. */
export class MasterFollower {
  readonly #options: ResolvedOptions;
  readonly #sentinel: ResolvedSentinel;
  readonly #host: FollowerHost;
  readonly #sentinels: Address[];
  readonly #pools = new Map<string, Pool<Connection, Lease>>();
  #address: Address | undefined;
  #resolving: Promise<void> | undefined;
  #lastResolve = -Infinity;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** A subscription on each watched sentinel, by address. */
  readonly #watches = new Map<string, Subscription<string>>();
  /** The replica a failover was seen to select, while it is polled. */
  #promoting: string | undefined;
  #closed = false;

  constructor(options: ResolvedOptions, host: FollowerHost) {
    this.#options = options;
    this.#sentinel = options.sentinel!;
    this.#host = host;
    this.#sentinels = [...this.#sentinel.nodes];
  }

  /** Where new connections go; the sentinels' first answer before that. */
  get address(): Address {
    return this.#address ?? { host: "127.0.0.1", port: 0 };
  }

  /** The address in use, once known. */
  get current(): string | undefined {
    return this.#address === undefined ? undefined : text(this.#address);
  }

  /**
   * Resolves the master when it was never resolved.
   *
   * @throws {ConnectionError} When no sentinel names a usable master.
   */
  ready(): Promise<void> {
    if (this.#address !== undefined) return Promise.resolve();
    if (this.#closed) {
      return Promise.reject(
        new ClosedError("Cannot run the command as the client was closed"),
      );
    }
    return this.resolve();
  }

  /**
   * Sends through the pool once the master is known, and acts on what
   * comes back: READONLY (the node was demoted) resolves again and sends
   * once more when the master moved (the write was refused, not applied);
   * a lost connection or a timeout resolves again in the background.
   *
   * @param send Sends the command.
   * @returns Its reply.
   */
  run<T>(send: () => Promise<T>): Promise<T> {
    if (this.#address === undefined) {
      return this.ready().then(() =>
        send().catch((e) => this.#recover(e, send))
      );
    }
    return send().catch((error) => this.#recover(error, send));
  }

  async #recover<T>(error: unknown, send: () => Promise<T>): Promise<T> {
    if (
      error instanceof ReplyError && error.prefix === "READONLY" &&
      this.#sentinel.role === "master"
    ) {
      const before = this.current;
      await this.resolve().catch(() => {});
      if (this.current !== before) return await send();
    } else if (
      error instanceof ConnectionError || error instanceof TimeoutError
    ) {
      this.lost();
    }
    throw error;
  }

  /** A connection failed or was lost: ask the sentinels again, soon. */
  lost(): void {
    if (this.#closed || this.#resolving || this.#timer !== undefined) return;
    const wait = this.#lastResolve + MIN_INTERVAL - Date.now();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.resolve().catch(() => {});
    }, Math.max(0, wait));
  }

  /**
   * Asks the sentinels, in turn, where the master is (or a replica, by
   * `role`), checks its ROLE, and moves the pool there. One at a time.
   *
   * @throws {ConnectionError} When no sentinel names a usable node; the
   * message names the master and the sentinels tried.
   */
  resolve(): Promise<void> {
    this.#resolving ??= this.#resolve().finally(() => {
      this.#resolving = undefined;
    });
    return this.#resolving;
  }

  async #resolve(): Promise<void> {
    this.#lastResolve = Date.now();
    const name = this.#sentinel.name;
    const tried: string[] = [];
    for (const sentinel of [...this.#sentinels]) {
      if (this.#closed) break;
      const where = text(sentinel);
      try {
        const master = await this.#askMaster(sentinel);
        if (master === undefined) {
          tried.push(`${where} (does not know "${name}")`);
          continue;
        }
        let target = master;
        if (this.#sentinel.role === "replica") {
          target = await this.#pickReplica(sentinel) ?? master;
        }
        const role = await this.#role(target).catch((error: Error) => {
          throw new Error(`${text(target)}, which it names: ${error.message}`);
        });
        const want = target === master ? "master" : "slave";
        if (role !== want) {
          tried.push(`${where} (names ${text(target)}, whose ROLE is ${role})`);
          continue;
        }
        // The sentinel that answered goes first next time.
        this.#sentinels.splice(this.#sentinels.indexOf(sentinel), 1);
        this.#sentinels.unshift(sentinel);
        this.#moveTo(target);
        this.#startWatching();
        this.#learn(sentinel);
        return;
      } catch (error) {
        tried.push(`${where} (${(error as Error).message})`);
      }
    }
    throw new ConnectionError(
      `Cannot find the ${
        this.#sentinel.role === "replica" ? "replicas of" : "master"
      } "${name}" through Sentinel: ${tried.join("; ") || "no sentinel"}`,
    );
  }

  /** A sentinel's pool, made on first use. */
  #pool(sentinel: Address): Pool<Connection, Lease> {
    const key = text(sentinel);
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      const s = this.#sentinel;
      pool = createNodePool<Lease>(
        {
          ...this.#options,
          host: sentinel.host,
          port: sentinel.port,
          path: undefined,
          username: s.username,
          password: s.password,
          tls: s.tls,
          db: 0,
          readOnly: false,
          sentinel: undefined,
          pool: { ...this.#options.pool, min: 0, max: 2, maxLeases: 1 },
          retry: () => undefined,
        },
        () => true,
        (owner, slot) => new Lease(owner, slot),
      );
      this.#pools.set(key, pool);
    }
    return pool;
  }

  #ask(sentinel: Address, args: string[]): Promise<RespValue> {
    return this.#pool(sentinel).run(args, undefined, {
      timeout: this.#options.connectTimeout,
    }) as Promise<RespValue>;
  }

  async #askMaster(sentinel: Address): Promise<Address | undefined> {
    const reply = await this.#ask(sentinel, [
      "SENTINEL",
      "GET-MASTER-ADDR-BY-NAME",
      this.#sentinel.name,
    ]);
    if (!Array.isArray(reply) || reply.length < 2) return undefined;
    return { host: String(reply[0]), port: Number(reply[1]) };
  }

  async #pickReplica(sentinel: Address): Promise<Address | undefined> {
    const reply = await this.#ask(sentinel, [
      "SENTINEL",
      "REPLICAS",
      this.#sentinel.name,
    ]);
    const up = (Array.isArray(reply) ? reply : []).filter((entry) => {
      const flags = field(entry, "flags") ?? "";
      return !/s_down|o_down|disconnected/.test(flags) &&
        field(entry, "master-link-status") !== "err";
    }).map((entry) => ({
      host: field(entry, "ip") ?? "",
      port: Number(field(entry, "port")),
    }));
    // Stay on the replica in use while it is up; else any that is.
    return up.find((a) => text(a) === this.current) ??
      up[Math.floor(Math.random() * up.length)];
  }

  /** Learns the other sentinels, so losing those given is survived. */
  #learn(sentinel: Address): void {
    this.#ask(sentinel, ["SENTINEL", "SENTINELS", this.#sentinel.name]).then(
      (reply) => {
        for (const entry of Array.isArray(reply) ? reply : []) {
          const host = field(entry, "ip");
          const port = Number(field(entry, "port"));
          if (
            host !== undefined && port > 0 &&
            !this.#sentinels.some((s) => s.host === host && s.port === port)
          ) this.#sentinels.push({ host, port });
        }
        this.#startWatching();
      },
      () => {},
    );
  }

  /** A connection of its own to a data node, for ROLE. */
  #probe(address: Address): Connection {
    return new Connection(
      { ...this.#options, ...address, path: undefined, readOnly: false },
      this.#options.transport ?? autoTransport,
    );
  }

  /** ROLE of a node, on a connection of its own, within connectTimeout. */
  async #role(address: Address): Promise<string> {
    const connection = this.#probe(address);
    try {
      await connection.connect();
      const reply = await connection.send(["ROLE"], undefined, {
        timeout: this.#options.connectTimeout,
      });
      return Array.isArray(reply) ? String(reply[0]) : "unknown";
    } finally {
      connection.destroy();
    }
  }

  /** Moves new connections to `target`; old ones drain and close. */
  #moveTo(target: Address): void {
    const before = this.#address;
    if (before !== undefined && text(before) === text(target)) return;
    this.#address = target;
    if (before === undefined) return;
    this.#host.pool().retire(text(target));
    this.#host.emit(
      "failover",
      {
        from: text(before),
        to: text(target),
      } satisfies FailoverDetail,
    );
  }

  /**
   * Listens on every known sentinel (up to five): `+switch-master` from
   * any, and from the failover's leader `+selected-slave` (the replica
   * about to be promoted, then polled until its ROLE says master) and
   * `+promoted-slave`, which come about a second before the leader's own
   * `+switch-master`. The client moves as soon as the new master takes
   * writes, so the old one, if still up, gets none after that.
   */
  #startWatching(): void {
    for (const sentinel of this.#sentinels.slice(0, WATCHED)) {
      const key = text(sentinel);
      if (this.#closed || this.#watches.has(key)) continue;
      const watch = new Subscription<string>({
        acquire: () =>
          this.#pool(sentinel).acquire({
            timeout: this.#options.connectTimeout,
          }),
        reconnect: reconnectPolicy(this.#options),
        get closed() {
          return false;
        },
      }, { heartbeatInterval: Math.min(this.#options.commandTimeout, 5_000) });
      this.#watches.set(key, watch);
      // Events may have been missed while it was away: ask again.
      watch.addEventListener("reconnect", () => this.lost());
      watch.open("subscribe", EVENTS).then(async (sub) => {
        for await (const m of sub) this.#onEvent(m.channel, m.message);
      }, () => this.#watches.delete(key));
    }
  }

  #onEvent(channel: string, message: string): void {
    if (this.#closed) return;
    const words = message.split(" ");
    // +switch-master: <name> <old ip> <old port> <new ip> <new port>
    // +selected-slave, +promoted-slave: slave <id> <ip> <port> @ <name> ...
    const switched = channel === "+switch-master";
    const name = switched ? words[0] : words[5];
    if (name !== this.#sentinel.name) return;
    if (this.#sentinel.role === "replica") {
      this.lost();
      return;
    }
    const host = switched ? words[3] : words[2];
    const port = Number(switched ? words[4] : words[3]);
    if (channel === "+selected-slave") this.#awaitPromotion({ host, port });
    else this.#moveTo({ host, port });
  }

  /** Polls the selected replica's ROLE; moves there once it is master. */
  async #awaitPromotion(target: Address): Promise<void> {
    const key = text(target);
    if (this.#promoting === key) return;
    this.#promoting = key;
    const deadline = Date.now() + PROMOTION_WAIT;
    let connection: Connection | undefined;
    try {
      while (
        this.#promoting === key && !this.#closed && Date.now() < deadline &&
        this.current !== key
      ) {
        try {
          if (connection === undefined) {
            connection = this.#probe(target);
            await connection.connect();
          }
          const role = await connection.send(["ROLE"], undefined, {
            timeout: this.#options.connectTimeout,
          });
          if (Array.isArray(role) && role[0] === "master") {
            this.#moveTo(target);
            break;
          }
        } catch {
          // The promotion kills the replica's clients: connect again.
          connection?.destroy();
          connection = undefined;
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      connection?.destroy();
      if (this.#promoting === key) this.#promoting = undefined;
    }
  }

  /** Stops watching and closes the sentinels' connections. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await Promise.all([...this.#watches.values()].map((w) => w.close()));
    await Promise.all([...this.#pools.values()].map((p) => p.close(1_000)));
  }

  /** Closes at once. */
  destroy(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const watch of this.#watches.values()) watch.close();
    for (const pool of this.#pools.values()) pool.destroy();
  }
}

/**
 * The follower of a Sentinel client, or undefined for a client given its
 * server's address.
 *
 * @param options The client's options.
 * @param host The client's side.
 * @returns The follower, when `options.sentinel` is set.
 */
export function followerFor(
  options: ResolvedOptions,
  host: FollowerHost,
): MasterFollower | undefined {
  return options.sentinel === undefined
    ? undefined
    : new MasterFollower(options, host);
}
