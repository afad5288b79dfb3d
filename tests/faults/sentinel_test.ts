/**
 * Fault suite, Sentinel part: a real loopback Sentinel setup (a master, two
 * replicas, three sentinels, tests/_sentinel.ts) fails over under 50
 * concurrent SET+INCR workers, by `SENTINEL FAILOVER`, by SIGKILL of the
 * master and by freezing it with SIGSTOP; sentinels are down, hung or asked
 * for a master they do not know; the data nodes need a password; a client
 * reads from a replica.
 *
 * Every call must settle; writes must go to the new master soon after the
 * failover; no INCR may be applied more often than the client said it
 * might have been; nothing may be written to the old master once the client
 * has moved; errors must name what they tried and never a password.
 *
 * The accounting of the failover tests: every INCR the workers send is
 * counted as acknowledged (with the value the server returned, the time it
 * was issued and resolved, and how many `failover` events the client had
 * emitted when it was issued), as may-have-been-applied (a
 * `ConnectionError` saying so), as timed out (a `TimeoutError`: it may have
 * run too) or as failed otherwise (never sent). The final counter, read
 * from the master the setup settles on, must not exceed acknowledged +
 * may-have-been-applied + timed out. The check is also made on the new
 * master alone, which holds even when acknowledged writes were lost: the
 * lowest value a new master returned to an INCR known to have gone there
 * (`m`) and everything above it up to the final value were produced by
 * INCRs the new master ran, so `final - m + 1` cannot exceed those
 * acknowledged there plus those that may have gone there plus those whose
 * outcome is unknown.
 *
 * Under this load the sentinels now and then fail over a second time, about
 * down-after-milliseconds after switching to the new master (two of them
 * flag it `+sdown`): the final values are then read from the master after
 * that, the client must have followed it there, and the sentinels' events
 * are printed with the test's line.
 *
 * Each test prints one `sentinel:` JSON line with what it measured.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  type Client,
  ConnectionError,
  createClient,
  type FailoverDetail,
  RedisError,
  ReplyError,
  TimeoutError,
} from "../../mod.ts";
import { type Reply, ReplyError as RawReplyError, send } from "../_cluster.ts";
import { type SentinelSetup, startSentinel } from "../_sentinel.ts";
import { sleep } from "../_util.ts";
import { Calls, everything } from "./_calls.ts";

function report(name: string, values: Record<string, unknown>): void {
  console.log(`sentinel: ${JSON.stringify({ test: name, ...values })}`);
}

/** `127.0.0.1:<port>` */
function at(port: number): string {
  return `127.0.0.1:${port}`;
}

/** The port of `127.0.0.1:<port>`. */
function portOf(address: string | undefined): number {
  return Number(address?.split(":").pop());
}

/** One command to a node, after AUTH when a password is given. */
async function raw(
  port: number,
  command: (string | number)[],
  password?: string,
  timeoutMs = 2_000,
): Promise<Reply> {
  const replies = await send(
    port,
    password === undefined ? [command] : [["AUTH", password], command],
    timeoutMs,
  );
  const reply = replies[replies.length - 1];
  if (reply instanceof RawReplyError) {
    throw new Error(`${at(port)} ${command[0]}: ${reply.message}`);
  }
  return reply;
}

/** Calls of INCR and SET a data node has run, and its role, at one time. */
interface NodeWrites {
  incr: number;
  set: number;
  role: string;
}

/**
 * `INFO commandstats replication` of a data node in one reply: calls that
 * ran (rejected ones, READONLY say, are counted apart by Redis 7) and the
 * role, so that a count taken while the node is a master is not polluted
 * by the replication stream of a later demotion.
 */
async function writesOn(port: number, password?: string): Promise<NodeWrites> {
  const info = String(
    await raw(port, ["INFO", "commandstats", "replication"], password),
  );
  const calls = (name: string) =>
    Number(
      new RegExp(`^cmdstat_${name}:calls=(\\d+)`, "m").exec(info)?.[1] ?? 0,
    );
  return {
    incr: calls("incr"),
    set: calls("set"),
    role: /^role:(\w+)/m.exec(info)?.[1] ?? "unknown",
  };
}

/** The value of `key` on the node at `port`, as a number (0 when unset). */
async function counterOn(
  port: number,
  key: string,
  password?: string,
): Promise<number> {
  return Number(await raw(port, ["GET", key], password) ?? 0);
}

/** What the sentinels announced, seen by subscribers of their own. */
interface SwitchWatch {
  /** When the first `+switch-master` for the setup's master arrived. */
  first: number | undefined;
  message: string | undefined;
  /**
   * Every event of every sentinel (`psubscribe *`) as `<ms> s<i>
   * <channel> <message>`, the time from `since()`: printed when a test
   * fails, to tell what the sentinels did.
   */
  readonly events: string[];
  /** Sets the origin of the times in `events`. */
  since(at: number): void;
  close(): Promise<void>;
}

/**
 * Subscribes to every event on every sentinel, each through a plain client
 * of its own (not the client under test), and records when the first
 * `+switch-master` for the setup's master arrived.
 */
async function watchSwitches(setup: SentinelSetup): Promise<SwitchWatch> {
  const clients = setup.sentinelUrls.map((url) =>
    createClient(url, { connectTimeout: 2_000, commandTimeout: 5_000 })
  );
  const subs = await Promise.all(
    clients.map((client) => client.psubscribe("*")),
  );
  let origin = Date.now();
  const watch: SwitchWatch = {
    first: undefined,
    message: undefined,
    events: [],
    since(at) {
      origin = at;
    },
    async close() {
      await Promise.all(subs.map((sub) => sub.close()));
      await Promise.all(clients.map((client) => client.close(1_000)));
    },
  };
  for (const [i, sub] of subs.entries()) {
    (async () => {
      for await (const m of sub) {
        const now = Date.now();
        if (watch.events.length < 500) {
          watch.events.push(`${now - origin} s${i} ${m.channel} ${m.message}`);
        }
        if (
          m.channel === "+switch-master" && watch.first === undefined &&
          m.message.startsWith(setup.name)
        ) {
          watch.first = now;
          watch.message = m.message;
        }
      }
    })().catch(() => {});
  }
  return watch;
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

/**
 * The master once the setup has settled, where the final values are read:
 * every running sentinel reports it, flagged only `master` (no failover in
 * progress), its ROLE says master and every other running data node but
 * `exclude` says slave, all of it for 1.5 s in a row. Usually the first
 * new master; but the sentinels may judge a fresh master down (no PONG
 * within down-after-milliseconds while it takes the load and syncs the
 * other replica) and fail over again, and the client then follows.
 *
 * @throws {Error} When that does not happen within `timeoutMs`.
 */
async function finalMaster(
  setup: SentinelSetup,
  options: { password?: string; exclude?: number[]; timeoutMs?: number } = {},
): Promise<number> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let candidate: number | undefined;
  let since = 0;
  for (;;) {
    let reason: string | undefined;
    let master: number | undefined;
    try {
      for (const sentinel of setup.sentinels) {
        if (sentinel.pid() === undefined) continue;
        const view = fields(
          await raw(sentinel.port, ["SENTINEL", "MASTER", setup.name]),
        );
        const port = Number(view.get("port"));
        if (view.get("flags") !== "master") {
          reason = `sentinel ${at(sentinel.port)} flags ${view.get("flags")}`;
        } else if (master !== undefined && port !== master) {
          reason = `sentinels report ${at(master)} and ${at(port)}`;
        }
        master ??= port;
        if (reason !== undefined) break;
      }
      if (reason === undefined && master !== undefined) {
        for (const node of setup.data) {
          if (
            node.pid() === undefined || options.exclude?.includes(node.port)
          ) continue;
          const role = await raw(node.port, ["ROLE"], options.password, 1_000);
          const want = node.port === master ? "master" : "slave";
          if (!Array.isArray(role) || role[0] !== want) {
            reason = `${at(node.port)} says ROLE ${
              Array.isArray(role) ? role[0] : role
            }, not ${want}`;
            break;
          }
        }
      }
    } catch (error) {
      reason = (error as Error).message;
    }
    if (reason === undefined && master !== undefined) {
      if (candidate !== master) {
        candidate = master;
        since = Date.now();
      } else if (Date.now() - since >= 1_500) return master;
    } else candidate = undefined;
    if (Date.now() > deadline) {
      throw new Error(
        `The setup did not settle on a master: ${reason ?? "still settling"}`,
      );
    }
    await sleep(100);
  }
}

/**
 * Polls ROLE of `ports` every 10 ms until one says master; resolves with
 * that port and when (or `undefined` once stopped or after `timeoutMs`).
 */
function watchPromotion(
  ports: number[],
  password: string | undefined,
  timeoutMs: number,
): {
  done: Promise<{ port: number; at: number } | undefined>;
  stop(): void;
} {
  let stopped = false;
  const done = (async () => {
    const deadline = Date.now() + timeoutMs;
    while (!stopped && Date.now() < deadline) {
      for (const port of ports) {
        try {
          const role = await raw(port, ["ROLE"], password, 1_000);
          if (Array.isArray(role) && role[0] === "master") {
            return { port, at: Date.now() };
          }
        } catch {
          // Busy, restarting its links, or frozen: ask again.
        }
      }
      await sleep(10);
    }
    return undefined;
  })();
  return { done, stop: () => stopped = true };
}

/** An acknowledged INCR. */
interface Ack {
  key: string;
  value: number;
  issuedAt: number;
  resolvedAt: number;
  /** `failover` events the client had emitted when the INCR was issued. */
  epoch: number;
}

/** A `failover` event of the client under test. */
interface Move extends FailoverDetail {
  at: number;
}

/** What {@linkcode Load.verify} found. */
interface Verdict {
  acked: number;
  maybe: number;
  timedOut: number;
  failed: number;
  finals: Record<string, number>;
  /** final - acked - maybe - timedOut, summed over counters where > 0. */
  doubleApplied: number;
  /** The same on the new master alone (see the module doc). */
  doubleAppliedOnNew: number;
  /** acked - final, where > 0: acknowledged INCRs the new master lacks. */
  lostAcked: number;
  /** INCRs acknowledged by the new master with a value above the final. */
  lostOnNew: number;
  perCounter: string[];
  /** SETs whose final value was never attempted (must be 0). */
  unknownValues: number;
  /** SET keys whose final value is below the last acknowledged one. */
  lostAckedSets: number;
}

/**
 * 50 workers on one client: 40 INCR on five shared counters, 10 SET on a
 * key of their own with increasing values, each pausing 5 ms after a
 * failure. Records every outcome (see the module doc).
 */
class Load {
  readonly calls: Calls;
  readonly counters: string[];
  readonly acks: Ack[] = [];
  readonly incr = new Map<
    string,
    { acked: number; maybe: number; timedOut: number; failed: number }
  >();
  readonly sets = new Map<string, { attempted: number; acked: number }>();
  readonly moves: Move[] = [];
  /** Resolution times of acknowledged SETs with their issue time. */
  readonly setAcks: { issuedAt: number; resolvedAt: number }[] = [];
  #stopped = false;
  readonly #workers: Promise<unknown>;

  readonly client: Client;

  constructor(
    client: Client,
    prefix: string,
    options: { incrWorkers?: number; setWorkers?: number; secrets?: string[] } =
      {},
  ) {
    this.client = client;
    this.calls = new Calls(options.secrets);
    this.counters = Array.from({ length: 5 }, (_, i) => `${prefix}:c${i}`);
    for (const key of this.counters) {
      this.incr.set(key, { acked: 0, maybe: 0, timedOut: 0, failed: 0 });
    }
    client.addEventListener("failover", (event) => {
      this.moves.push({ ...event.detail, at: Date.now() });
    });
    this.#workers = Promise.all([
      ...Array.from(
        { length: options.incrWorkers ?? 40 },
        () => this.#incrWorker(),
      ),
      ...Array.from(
        { length: options.setWorkers ?? 10 },
        (_, id) => this.#setWorker(`${prefix}:s${id}`),
      ),
    ]);
  }

  async #incrWorker(): Promise<void> {
    while (!this.#stopped) {
      const key =
        this.counters[Math.floor(Math.random() * this.counters.length)];
      const state = this.incr.get(key)!;
      const epoch = this.moves.length;
      const issuedAt = Date.now();
      try {
        const value = await this.calls.track("incr", this.client.incr(key));
        state.acked++;
        this.acks.push({
          key,
          value,
          issuedAt,
          resolvedAt: Date.now(),
          epoch,
        });
      } catch (error) {
        if (error instanceof ConnectionError && error.mayHaveBeenApplied) {
          state.maybe++;
        } else if (error instanceof TimeoutError) state.timedOut++;
        else state.failed++;
        await sleep(5);
      }
    }
  }

  async #setWorker(key: string): Promise<void> {
    const state = { attempted: 0, acked: 0 };
    this.sets.set(key, state);
    while (!this.#stopped) {
      const value = ++state.attempted;
      const issuedAt = Date.now();
      try {
        await this.calls.track("set", this.client.set(key, String(value)));
        state.acked = value;
        this.setAcks.push({ issuedAt, resolvedAt: Date.now() });
      } catch {
        await sleep(5);
      }
    }
  }

  /** The first acknowledged INCR (by resolution) that `which` accepts. */
  firstAck(which: (ack: Ack) => boolean): Ack | undefined {
    let first: Ack | undefined;
    for (const ack of this.acks) {
      if (
        which(ack) && (first === undefined || ack.resolvedAt < first.resolvedAt)
      ) {
        first = ack;
      }
    }
    return first;
  }

  /**
   * Stops the workers and waits for their calls, at most `ms`.
   *
   * @returns How many calls are still pending then (hung).
   */
  async stop(ms: number): Promise<number> {
    this.#stopped = true;
    const hung = await this.calls.drain(ms);
    if (hung === 0) await this.#workers;
    return hung;
  }

  /**
   * Compares the final values on the new master with what the workers were
   * told. `isNew` says which acknowledged INCRs certainly went to the new
   * master; those not known to, but resolved after `boundary`, may have.
   */
  async verify(
    newPort: number,
    isNew: (ack: Ack) => boolean,
    boundary: number,
    password?: string,
  ): Promise<Verdict> {
    const verdict: Verdict = {
      acked: 0,
      maybe: 0,
      timedOut: 0,
      failed: 0,
      finals: {},
      doubleApplied: 0,
      doubleAppliedOnNew: 0,
      lostAcked: 0,
      lostOnNew: 0,
      perCounter: [],
      unknownValues: 0,
      lostAckedSets: 0,
    };
    for (const [key, state] of this.incr) {
      const final = await counterOn(newPort, key, password);
      verdict.finals[key] = final;
      verdict.acked += state.acked;
      verdict.maybe += state.maybe;
      verdict.timedOut += state.timedOut;
      verdict.failed += state.failed;
      const unknown = state.maybe + state.timedOut;
      const over = final - state.acked - unknown;
      if (over > 0) {
        verdict.doubleApplied += over;
        verdict.perCounter.push(
          `${key}: final ${final} > ${JSON.stringify(state)}`,
        );
      }
      verdict.lostAcked += Math.max(0, state.acked - final);
      const mine = this.acks.filter((ack) => ack.key === key);
      const onNew = mine.filter(isNew);
      if (onNew.length > 0) {
        const m = onNew.reduce(
          (low, ack) => Math.min(low, ack.value),
          Infinity,
        );
        const ambiguous = mine.filter((ack) =>
          !isNew(ack) && ack.resolvedAt >= boundary
        ).length;
        const overNew = final - m + 1 - onNew.length - ambiguous - unknown;
        if (overNew > 0) {
          verdict.doubleAppliedOnNew += overNew;
          verdict.perCounter.push(
            `${key} on the new master: final ${final}, lowest new reply ${m}, ${onNew.length} acknowledged there, ${ambiguous} maybe there, ${unknown} unknown`,
          );
        }
        verdict.lostOnNew += onNew.filter((ack) => ack.value > final).length;
      }
    }
    for (const [key, state] of this.sets) {
      const final = await counterOn(newPort, key, password);
      if (final > state.attempted) verdict.unknownValues++;
      if (final < state.acked) verdict.lostAckedSets++;
    }
    return verdict;
  }
}

const ALLOWED_FAILOVER_CODES = new Set([
  "incr:CONNECTION(maybe applied)",
  "incr:CONNECTION",
  "incr:TIMEOUT",
  "set:CONNECTION(maybe applied)",
  "set:CONNECTION",
  "set:TIMEOUT",
]);

/** Rejection codes outside {@linkcode ALLOWED_FAILOVER_CODES}. */
function unexpectedCodes(calls: Calls): string[] {
  return Object.keys(calls.rejectedByCode).filter((code) =>
    !ALLOWED_FAILOVER_CODES.has(code)
  );
}

/** Polls `check` every 20 ms until it is true; false after `ms`. */
async function until(
  check: () => boolean | Promise<boolean>,
  ms: number,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/** Clients subscribed to the follower's three channels on a sentinel. */
async function watchersOn(port: number): Promise<number> {
  const list = String(await raw(port, ["CLIENT", "LIST"]));
  return list.split("\n").filter((line) => /\bsub=3\b/.test(line)).length;
}

test(
  "discovery writes to the node whose ROLE is master, and follows a failover after losing the only sentinel it was given",
  { timeout: 90_000 },
  async () => {
    const setup = await startSentinel();
    let client: Client | undefined;
    let cached: Client | undefined;
    try {
      const [first, second, third] = setup.sentinels;
      client = createClient({
        sentinel: { name: setup.name, nodes: [setup.sentinelUrls[0]] },
        commandTimeout: 2_000,
      });
      // A caching client: what it read from the old master must not
      // outlive the move.
      cached = createClient({
        sentinel: { name: setup.name, nodes: setup.sentinelUrls },
        commandTimeout: 2_000,
        cache: true,
      });
      const moves: Move[] = [];
      client.addEventListener("failover", (e) => {
        moves.push({ ...e.detail, at: Date.now() });
      });
      const started = Date.now();
      assert.equal(await client.set("disc:k", "v1"), "OK");
      const firstCommandMs = Date.now() - started;
      const master = await setup.masterPort();
      assert.equal(await setup.roleOf(master), "master");
      assert.equal(await setup.cli(master, "GET", "disc:k"), "v1");
      assert.equal(client.stats().master, at(master));
      assert.equal(await cached.get("disc:k"), "v1");
      assert.equal(await cached.get("disc:k"), "v1");
      assert.equal(cached.stats().cache!.hits, 1);

      // It learned the other two sentinels and watches them.
      const learned = await until(
        async () =>
          await watchersOn(second.port) >= 1 &&
          await watchersOn(third.port) >= 1,
        5_000,
      );
      assert.ok(learned, "the client does not watch the other sentinels");

      await first.kill();
      const { from, to } = await setup.failover();
      assert.equal(from, master);
      const switchedAt = Date.now();
      let writes = 0;
      const followed = await until(async () => {
        await client!.set("disc:k", `v${++writes}`).catch(() => {});
        return client!.stats().master === at(to);
      }, 10_000);
      const followMs = Date.now() - switchedAt;
      assert.ok(followed, `stats().master is ${client.stats().master}`);
      assert.equal(await client.set("disc:k", "after"), "OK");
      assert.equal(await setup.cli(to, "GET", "disc:k"), "after");
      assert.equal(await setup.roleOf(to), "master");
      const cachedFollowed = await until(async () => {
        await cached!.get("disc:other").catch(() => {});
        return cached!.stats().master === at(to);
      }, 10_000);
      assert.ok(cachedFollowed, `cached at ${cached.stats().master}`);
      assert.equal(await cached.get("disc:k"), "after");
      report("discovery", {
        firstCommandMs,
        master,
        to,
        moves,
        followMsAfterSentinelsAgreed: followMs,
      });
      assert.equal(moves.length, 1, JSON.stringify(moves));
      assert.deepEqual(
        { from: moves[0].from, to: moves[0].to },
        { from: at(master), to: at(to) },
      );
    } finally {
      await client?.close(1_000);
      await cached?.close(1_000);
      await setup.stop();
    }
  },
);

test(
  "SENTINEL FAILOVER under 50 concurrent SET+INCR workers",
  { timeout: 90_000 },
  async () => {
    const COMMAND_TIMEOUT = 2_000;
    const setup = await startSentinel();
    let client: Client | undefined;
    let switches: SwitchWatch | undefined;
    try {
      switches = await watchSwitches(setup);
      client = createClient({
        sentinel: { name: setup.name, nodes: setup.sentinelUrls },
        commandTimeout: COMMAND_TIMEOUT,
      });
      await client.connect();
      const oldPort = await setup.masterPort();
      assert.equal(client.stats().master, at(oldPort));

      // The old master's write counts 200 ms after the client moved.
      let afterMove: Promise<NodeWrites> | undefined;
      client.addEventListener("failover", () => {
        afterMove ??= sleep(200).then(() => writesOn(oldPort));
      });
      const load = new Load(client, "fo");
      await sleep(1_000);
      const replicas = setup.data.map((n) => n.port).filter((p) =>
        p !== oldPort
      );
      const promotion = watchPromotion(replicas, undefined, 30_000);
      const failoverAt = Date.now();
      switches.since(failoverAt);
      const { from, to } = await setup.failover();
      const reportedAt = Date.now();
      const promoted = await promotion.done;

      // Two more seconds of load after the move (bounded).
      await until(
        () =>
          load.moves.length > 0 && switches!.first !== undefined &&
          Date.now() >= load.moves[0].at + 2_000,
        15_000,
      );
      const hung = await load.stop(3 * COMMAND_TIMEOUT + 2_000);
      const atEnd = await writesOn(oldPort);
      const atMove = afterMove === undefined ? undefined : await afterMove;
      const move = load.moves[0] as Move | undefined;
      const firstNew = load.firstAck((ack) => ack.epoch >= 1);
      const finalPort = await finalMaster(setup, { exclude: [oldPort] });
      const verdict = await load.verify(
        finalPort,
        (ack) => ack.epoch >= 1,
        move?.at ?? Infinity,
      );
      const switchAt = switches.first;
      const once = load.moves.length === 1 && finalPort === to;
      report("SENTINEL FAILOVER", {
        from,
        to,
        finalMaster: finalPort,
        sentinelEvents: once ? undefined : switches.events,
        promotionMs: promoted && promoted.at - failoverAt,
        sentinelsAgreedMs: reportedAt - failoverAt,
        switchMasterMs: switchAt && switchAt - failoverAt,
        clientMoveMs: move && move.at - failoverAt,
        moves: load.moves,
        firstNewAckMs: firstNew && firstNew.resolvedAt - failoverAt,
        switchToFirstNewAckMs: firstNew && switchAt &&
          firstNew.resolvedAt - switchAt,
        moveToFirstNewAckMs: firstNew && move && firstNew.resolvedAt - move.at,
        // The client's part of lostAcked (about: ROLE is polled every
        // 10 ms); the rest was not replicated before the promotion.
        ackedByOldAfterPromotion: promoted &&
          load.acks.filter((ack) =>
            ack.epoch === 0 && ack.resolvedAt >= promoted.at
          ).length,
        oldMasterAfterMove: atMove,
        oldMasterAtEnd: atEnd,
        hung,
        slowestCallMs: load.calls.slowestMs,
        sent: load.calls.sent,
        resolved: load.calls.resolved,
        rejectedByCode: load.calls.rejectedByCode,
        samples: load.calls.samples,
        ...verdict,
      });

      assert.equal(hung, 0, "calls still pending after the workers stopped");
      assert.ok(
        load.calls.slowestMs <= COMMAND_TIMEOUT + 1_500,
        `a call took ${load.calls.slowestMs} ms to settle`,
      );
      assert.ok(move !== undefined, "the client never emitted failover");
      assert.deepEqual(
        { from: move.from, to: move.to },
        { from: at(from), to: at(to) },
      );
      assert.equal(client.stats().master, at(finalPort));
      assert.ok(switchAt !== undefined, "no +switch-master arrived");
      assert.ok(
        firstNew !== undefined,
        "no INCR acknowledged by the new master",
      );
      assert.ok(
        firstNew.resolvedAt - switchAt <= 1_000,
        `first INCR on the new master ${
          firstNew.resolvedAt - switchAt
        } ms after +switch-master`,
      );
      assert.equal(verdict.doubleApplied, 0, verdict.perCounter.join("\n"));
      assert.equal(
        verdict.doubleAppliedOnNew,
        0,
        verdict.perCounter.join("\n"),
      );
      // Acknowledged by a new master and gone: only after a second
      // failover (by the sentinels) may the final master lack them.
      if (once) assert.equal(verdict.lostOnNew, 0);
      assert.equal(verdict.unknownValues, 0);
      // Nothing reached the old master after the move (+200 ms for replies
      // in flight); it was still a master, so no replication stream counts.
      assert.ok(atMove !== undefined);
      assert.equal(atEnd.role, "master", "the old master was demoted already");
      assert.deepEqual(
        { incr: atEnd.incr, set: atEnd.set },
        { incr: atMove.incr, set: atMove.set },
        "writes reached the old master after the client moved",
      );
      assert.deepEqual(
        unexpectedCodes(load.calls),
        [],
        JSON.stringify(load.calls.samples),
      );
    } finally {
      client?.destroy();
      await client?.close(1_000);
      await switches?.close();
      await setup.stop();
    }
  },
);

test(
  "master SIGKILLed under 50 concurrent SET+INCR workers",
  { timeout: 90_000 },
  async () => {
    const COMMAND_TIMEOUT = 2_000;
    const setup = await startSentinel({ downAfterMs: 1_000 });
    let client: Client | undefined;
    let switches: SwitchWatch | undefined;
    try {
      switches = await watchSwitches(setup);
      client = createClient({
        sentinel: { name: setup.name, nodes: setup.sentinelUrls },
        commandTimeout: COMMAND_TIMEOUT,
      });
      await client.connect();
      const oldPort = await setup.masterPort();
      const victim = setup.data.find((n) => n.port === oldPort)!;
      const load = new Load(client, "kill");
      await sleep(1_000);
      const killedAt = Date.now();
      switches.since(killedAt);
      await victim.kill();
      const exitedAt = Date.now();
      const to = await setup.waitForNewMaster(oldPort, 30_000);
      const reportedAt = Date.now();
      const resumed = () => load.firstAck((ack) => ack.issuedAt >= exitedAt);
      await until(
        () => {
          const first = resumed();
          return first !== undefined &&
            Date.now() >= Math.max(first.resolvedAt, reportedAt) + 2_000;
        },
        20_000,
      );
      const hung = await load.stop(3 * COMMAND_TIMEOUT + 2_000);
      const first = resumed();
      const move = load.moves[0] as Move | undefined;
      const finalPort = await finalMaster(setup);
      const verdict = await load.verify(
        finalPort,
        (ack) => ack.issuedAt >= exitedAt,
        exitedAt,
      );
      const switchAt = switches.first;
      const once = load.moves.length === 1 && finalPort === to;
      report("SIGKILL", {
        from: oldPort,
        to,
        finalMaster: finalPort,
        sentinelEvents: once ? undefined : switches.events,
        sentinelsAgreedMs: reportedAt - killedAt,
        switchMasterMs: switchAt && switchAt - killedAt,
        clientMoveMs: move && move.at - killedAt,
        moves: load.moves,
        resumeMs: first && first.resolvedAt - killedAt,
        resumeAfterAgreedMs: first && first.resolvedAt - reportedAt,
        resumeAfterSwitchMs: first && switchAt && first.resolvedAt - switchAt,
        hung,
        slowestCallMs: load.calls.slowestMs,
        sent: load.calls.sent,
        resolved: load.calls.resolved,
        rejectedByCode: load.calls.rejectedByCode,
        samples: load.calls.samples,
        ...verdict,
      });
      assert.equal(hung, 0, "calls still pending after the workers stopped");
      assert.ok(
        load.calls.slowestMs <= COMMAND_TIMEOUT + 1_500,
        `a call took ${load.calls.slowestMs} ms to settle`,
      );
      assert.ok(first !== undefined, "writes never resumed");
      assert.ok(
        first.resolvedAt - reportedAt <= 1_000,
        `writes resumed ${first.resolvedAt - killedAt} ms after the kill, ${
          reportedAt - killedAt
        } ms after it the sentinels agreed on the new master`,
      );
      assert.ok(move !== undefined, "the client never emitted failover");
      assert.equal(move.to, at(to));
      assert.equal(client.stats().master, at(finalPort));
      assert.equal(verdict.doubleApplied, 0, verdict.perCounter.join("\n"));
      assert.equal(
        verdict.doubleAppliedOnNew,
        0,
        verdict.perCounter.join("\n"),
      );
      // Acknowledged by a new master and gone: only after a second
      // failover (by the sentinels) may the final master lack them.
      if (once) assert.equal(verdict.lostOnNew, 0);
      assert.equal(verdict.unknownValues, 0);
      assert.deepEqual(
        unexpectedCodes(load.calls),
        [],
        JSON.stringify(load.calls.samples),
      );
    } finally {
      client?.destroy();
      await client?.close(1_000);
      await switches?.close();
      await setup.stop();
    }
  },
);

test(
  "master hung with SIGSTOP for longer than the failover",
  { timeout: 90_000 },
  async () => {
    const COMMAND_TIMEOUT = 1_000;
    const setup = await startSentinel({ downAfterMs: 1_000 });
    let client: Client | undefined;
    let switches: SwitchWatch | undefined;
    let victim: SentinelSetup["data"][number] | undefined;
    try {
      switches = await watchSwitches(setup);
      client = createClient({
        sentinel: { name: setup.name, nodes: setup.sentinelUrls },
        commandTimeout: COMMAND_TIMEOUT,
      });
      await client.connect();
      const oldPort = await setup.masterPort();
      victim = setup.data.find((n) => n.port === oldPort)!;
      const load = new Load(client, "stop");
      await sleep(1_000);
      const pausedAt = Date.now();
      switches.since(pausedAt);
      victim.pause();
      // Issued after this, only the new master can answer.
      const after = pausedAt + 20;
      const to = await setup.waitForNewMaster(oldPort, 30_000);
      const reportedAt = Date.now();
      const recovered = () => load.firstAck((ack) => ack.issuedAt >= after);
      await until(
        () => {
          const first = recovered();
          return first !== undefined &&
            Date.now() >= Math.max(first.resolvedAt, reportedAt) + 2_000;
        },
        20_000,
      );
      const hung = await load.stop(3 * COMMAND_TIMEOUT + 2_000);
      const first = recovered();
      const move = load.moves[0] as Move | undefined;
      // Read before the old master is resumed.
      const finalPort = await finalMaster(setup, { exclude: [oldPort] });
      const verdict = await load.verify(
        finalPort,
        (ack) => ack.issuedAt >= after,
        pausedAt,
      );
      const switchAt = switches.first;
      const once = load.moves.length === 1 && finalPort === to;
      report("SIGSTOP", {
        from: oldPort,
        to,
        finalMaster: finalPort,
        sentinelEvents: once ? undefined : switches.events,
        switchMasterMs: switchAt && switchAt - pausedAt,
        sentinelsAgreedMs: reportedAt - pausedAt,
        clientMoveMs: move && move.at - pausedAt,
        moves: load.moves,
        recoveryMs: first && first.resolvedAt - pausedAt,
        recoveryAfterAgreedMs: first && first.resolvedAt - reportedAt,
        hung,
        slowestCallMs: load.calls.slowestMs,
        sent: load.calls.sent,
        resolved: load.calls.resolved,
        rejectedByCode: load.calls.rejectedByCode,
        samples: load.calls.samples,
        ...verdict,
      });
      assert.equal(hung, 0, "calls still pending after the workers stopped");
      assert.ok(
        load.calls.slowestMs <= COMMAND_TIMEOUT + 1_000,
        `a call took ${load.calls.slowestMs} ms to settle`,
      );
      assert.ok(first !== undefined, "writes never resumed");
      assert.ok(
        first.resolvedAt - reportedAt <= COMMAND_TIMEOUT + 500,
        `writes resumed ${
          first.resolvedAt - reportedAt
        } ms after the sentinels agreed on the new master`,
      );
      assert.ok(move !== undefined, "the client never emitted failover");
      assert.equal(move.to, at(to));
      assert.equal(verdict.doubleApplied, 0, verdict.perCounter.join("\n"));
      assert.equal(
        verdict.doubleAppliedOnNew,
        0,
        verdict.perCounter.join("\n"),
      );
      if (once) assert.equal(verdict.lostOnNew, 0);
      assert.equal(verdict.unknownValues, 0);
      assert.equal(client.stats().master, at(finalPort));
      assert.deepEqual(
        unexpectedCodes(load.calls),
        [],
        JSON.stringify(load.calls.samples),
      );
    } finally {
      client?.destroy();
      await client?.close(1_000);
      await switches?.close();
      victim?.resume();
      await setup.stop();
    }
  },
);

test(
  "one of three sentinels down at start, and a hung sentinel first in the list",
  { timeout: 90_000 },
  async () => {
    const setup = await startSentinel();
    const [first] = setup.sentinels;
    const clients: Client[] = [];
    try {
      const master = await setup.masterPort();
      await first.kill();
      const down = createClient({
        sentinel: { name: setup.name, nodes: setup.sentinelUrls },
        connectTimeout: 1_000,
      });
      clients.push(down);
      let started = Date.now();
      assert.equal(await down.set("down:k", "v"), "OK");
      const downMs = Date.now() - started;
      assert.equal(down.stats().master, at(master));
      assert.equal(await setup.cli(master, "GET", "down:k"), "v");

      await first.restart();
      first.pause();
      const hung = createClient({
        sentinel: { name: setup.name, nodes: setup.sentinelUrls },
        connectTimeout: 500,
      });
      clients.push(hung);
      started = Date.now();
      assert.equal(await hung.set("hung:k", "v"), "OK");
      const hungMs = Date.now() - started;
      assert.equal(hung.stats().master, at(master));
      started = Date.now();
      await hung.close(1_000);
      const closeMs = Date.now() - started;
      report("sentinel down / hung", { downMs, hungMs, closeMs });
      assert.ok(downMs <= 1_000, `first command took ${downMs} ms`);
      assert.ok(hungMs <= 500 + 1_000, `first command took ${hungMs} ms`);
      assert.ok(closeMs <= 2_000, `close took ${closeMs} ms`);
    } finally {
      for (const client of clients) client.destroy();
      first.resume();
      await setup.stop();
    }
  },
);

test(
  "wrong master name and all sentinels down: clear errors, no hang",
  { timeout: 90_000 },
  async () => {
    const setup = await startSentinel();
    const clients: Client[] = [];
    try {
      const ports = setup.sentinels.map((n) => n.port);
      const wrong = createClient({
        sentinel: { name: "nosuchmaster", nodes: setup.sentinelUrls },
        connectTimeout: 1_000,
      });
      clients.push(wrong);
      let started = Date.now();
      const wrongError = await wrong.get("k").then(
        () => assert.fail("GET through an unknown master name resolved"),
        (e) => e,
      );
      const wrongMs = Date.now() - started;

      await Promise.all(setup.sentinels.map((n) => n.kill()));
      const CONNECT_TIMEOUT = 1_000;
      const none = createClient({
        sentinel: { name: setup.name, nodes: setup.sentinelUrls },
        connectTimeout: CONNECT_TIMEOUT,
      });
      clients.push(none);
      started = Date.now();
      const noneError = await none.get("k").then(
        () => assert.fail("GET with every sentinel down resolved"),
        (e) => e,
      );
      const noneMs = Date.now() - started;
      // A second call asks again, just as fast.
      started = Date.now();
      const againError = await none.set("k", "v").then(
        () => assert.fail("SET with every sentinel down resolved"),
        (e) => e,
      );
      const againMs = Date.now() - started;
      report("wrong name / all down", {
        wrongMs,
        wrongMessage: wrongError?.message,
        noneMs,
        noneMessage: noneError?.message,
        againMs,
      });
      assert.ok(wrongError instanceof ConnectionError, String(wrongError));
      assert.match(wrongError.message, /"nosuchmaster"/);
      assert.ok(wrongMs <= 1_000, `the error took ${wrongMs} ms`);
      for (const port of ports) {
        assert.ok(
          wrongError.message.includes(at(port)),
          `${wrongError.message} does not name ${at(port)}`,
        );
      }
      for (const [error, ms] of [[noneError, noneMs], [againError, againMs]]) {
        assert.ok(error instanceof ConnectionError, String(error));
        assert.match(error.message, new RegExp(`"${setup.name}"`));
        for (const port of ports) {
          assert.ok(
            error.message.includes(at(port)),
            `${error.message} does not name ${at(port)}`,
          );
        }
        assert.ok(
          ms <= CONNECT_TIMEOUT + 1_000,
          `the error took ${ms} ms`,
        );
      }
    } finally {
      for (const client of clients) client.destroy();
      await setup.stop();
    }
  },
);

test(
  "requirepass/masterauth on the data nodes through a failover, the password never in an error",
  { timeout: 90_000 },
  async () => {
    const PASSWORD = "s3cret";
    const WRONG = "wr0ng-pass";
    const secrets = [PASSWORD, WRONG];
    const setup = await startSentinel({ password: PASSWORD });
    const clients: Client[] = [];
    const events: unknown[] = [];
    try {
      const client = createClient({
        sentinel: { name: setup.name, nodes: setup.sentinelUrls },
        password: PASSWORD,
        commandTimeout: 2_000,
      });
      clients.push(client);
      client.addEventListener("error", (e) => events.push(e.detail.error));
      assert.equal(await client.set("pw:k", "v"), "OK");
      assert.equal(await client.get("pw:k"), "v");
      const load = new Load(client, "pw", {
        incrWorkers: 20,
        setWorkers: 5,
        secrets,
      });
      await sleep(500);
      const { from, to } = await setup.failover();
      await until(
        () => load.moves.length > 0 && Date.now() >= load.moves[0].at + 1_000,
        15_000,
      );
      const hung = await load.stop(8_000);
      const move = load.moves[0] as Move | undefined;
      const firstNew = load.firstAck((ack) => ack.epoch >= 1);
      const finalPort = await finalMaster(setup, {
        password: PASSWORD,
        exclude: [from],
      });
      const verdict = await load.verify(
        finalPort,
        (ack) => ack.epoch >= 1,
        move?.at ?? Infinity,
        PASSWORD,
      );

      const wrong = createClient({
        sentinel: { name: setup.name, nodes: setup.sentinelUrls },
        password: WRONG,
        connectTimeout: 1_000,
      });
      clients.push(wrong);
      wrong.addEventListener("error", (e) => events.push(e.detail.error));
      const started = Date.now();
      const wrongError = await wrong.get("pw:k").then(
        () => assert.fail("GET with a wrong password resolved"),
        (e) => e,
      );
      const wrongMs = Date.now() - started;
      const leakingEvents = events.filter((e) =>
        secrets.some((s) => everything(e).includes(s))
      );
      report("password", {
        to,
        finalMaster: finalPort,
        moves: load.moves,
        moveToFirstNewAckMs: firstNew && move && firstNew.resolvedAt - move.at,
        hung,
        rejectedByCode: load.calls.rejectedByCode,
        samples: load.calls.samples,
        leaksInCallErrors: load.calls.leaks,
        leaksInErrorEvents: leakingEvents.length,
        errorEvents: events.length,
        wrongMs,
        wrongError: `${wrongError?.name}: ${wrongError?.message}`,
        ...verdict,
      });
      assert.equal(hung, 0);
      assert.ok(move !== undefined, "the client never emitted failover");
      assert.equal(move.to, at(to));
      assert.ok(
        firstNew !== undefined,
        "no INCR acknowledged by the new master",
      );
      assert.equal(await client.get("pw:k"), "v");
      assert.equal(client.stats().master, at(finalPort));
      assert.equal(verdict.doubleApplied, 0, verdict.perCounter.join("\n"));
      assert.equal(verdict.doubleAppliedOnNew, 0);
      assert.ok(wrongError instanceof RedisError, String(wrongError));
      assert.ok(wrongMs <= 2_000, `the error took ${wrongMs} ms`);
      for (const secret of secrets) {
        assert.ok(
          !everything(wrongError).includes(secret),
          "a password in the error",
        );
      }
      assert.equal(load.calls.leaks, 0, "a password in a call's error");
      assert.equal(leakingEvents.length, 0, "a password in an error event");
    } finally {
      for (const client of clients) client.destroy();
      await setup.stop();
    }
  },
);

test(
  "replica reads: role replica reads from a replica and refuses writes",
  { timeout: 90_000 },
  async () => {
    const setup = await startSentinel();
    const clients: Client[] = [];
    try {
      const master = createClient({
        sentinel: { name: setup.name, nodes: setup.sentinelUrls },
      });
      const replica = createClient({
        sentinel: {
          name: setup.name,
          nodes: setup.sentinelUrls,
          role: "replica",
        },
        commandTimeout: 2_000,
      });
      clients.push(master, replica);
      const moves: Move[] = [];
      replica.addEventListener("failover", (e) => {
        moves.push({ ...e.detail, at: Date.now() });
      });
      assert.equal(await master.set("rr:k", "v1"), "OK");
      const masterPort = await setup.masterPort();
      let value: string | null = null;
      const started = Date.now();
      const replicated = await until(async () => {
        value = await replica.get("rr:k");
        return value === "v1";
      }, 5_000);
      const readMs = Date.now() - started;
      assert.ok(replicated, `the replica read ${value}`);
      const address = replica.stats().master;
      const port = portOf(address);
      assert.notEqual(port, masterPort);
      assert.ok(setup.data.some((n) => n.port === port), String(address));
      assert.equal(await setup.roleOf(port), "slave");

      // Writes are refused; a refusal is what a replica says, not news of
      // a failover, so the client stays where it is.
      const errors: unknown[] = [];
      for (let i = 0; i < 5; i++) {
        errors.push(
          await replica.set("rr:k", `v${i + 2}`).then(
            () => assert.fail("SET on a replica resolved"),
            (e) => e,
          ),
        );
        // A moment for a re-resolution the refusal may have started.
        await sleep(300);
      }
      report("replica reads", {
        replica: address,
        readMs,
        error: `${(errors[0] as Error)?.name}: ${
          (errors[0] as Error)?.message
        }`,
        movesAfterRefusedWrites: moves,
        addressAfter: replica.stats().master,
      });
      for (const error of errors) {
        assert.ok(error instanceof ReplyError, String(error));
        assert.equal(error.prefix, "READONLY");
      }
      assert.equal(await master.get("rr:k"), "v1");
      assert.equal(await setup.roleOf(portOf(replica.stats().master)), "slave");
      assert.deepEqual(
        moves,
        [],
        "refused writes moved the replica client (a failover event without a failover)",
      );
    } finally {
      for (const client of clients) await client.close(1_000);
      await setup.stop();
    }
  },
);
