/**
 * Fault suite, cluster part: a real loopback cluster (3 primaries, 3
 * replicas, `--cluster-node-timeout 1000`) loses a primary to SIGKILL under
 * 100 concurrent callers, has 500 slots moved behind the client's back, and
 * has a primary frozen with SIGSTOP. Every call must settle; writes to the
 * failed shard must resume soon after its replica is promoted; nothing may
 * be applied more often than the client said it might have been; and stale
 * slot maps must not set off a storm of topology queries.
 *
 * Each test prints one `cluster-failover:` JSON line with what it measured.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  type Cluster,
  ConnectionError,
  createCluster,
  TimeoutError,
} from "../../mod.ts";
import { type RedisCluster, slotOf, startCluster } from "../_cluster.ts";
import { sleep } from "../_util.ts";
import { Calls } from "./_calls.ts";

const NODE_TIMEOUT = 1_000;

/** Caches slot owners as the cluster reports them (CLUSTER NODES). */
function owners(nodes: RedisCluster): (key: string) => Promise<number> {
  const cache = new Map<number, number>();
  return async (key) => {
    const slot = slotOf(key);
    let port = cache.get(slot);
    if (port === undefined) {
      port = await nodes.ownerOf(slot);
      cache.set(slot, port);
    }
    return port;
  };
}

/** The port of the (first) replica of the primary at `port`. */
async function replicaOf(nodes: RedisCluster, port: number): Promise<number> {
  const info = await nodes.cli(port, "INFO", "replication");
  const match = /slave0:ip=[^,]*,port=(\d+)/.exec(info);
  assert.ok(match, `127.0.0.1:${port} lists no replica:\n${info}`);
  return Number(match[1]);
}

/**
 * Polls `ROLE` of `port` every 20 ms until it says master; resolves with
 * the time that answer came (or `undefined` after `timeoutMs`).
 */
async function promotion(
  nodes: RedisCluster,
  port: number,
  timeoutMs: number,
): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (/^master/.test(await nodes.cli(port, "ROLE"))) return Date.now();
    } catch {
      // Busy or slow: ask again.
    }
    await sleep(20);
  }
  return undefined;
}

/** Sum of `calls=` of CLUSTER SHARDS and CLUSTER SLOTS over `ports`. */
async function topologyCalls(
  nodes: RedisCluster,
  ports: number[],
): Promise<number> {
  let total = 0;
  for (const port of ports) {
    const stats = await nodes.cli(port, "INFO", "commandstats");
    for (const name of ["shards", "slots"]) {
      const match = new RegExp(`cmdstat_cluster\\|${name}:calls=(\\d+)`)
        .exec(stats);
      if (match) total += Number(match[1]);
    }
  }
  return total;
}

function report(name: string, values: Record<string, unknown>): void {
  console.log(`cluster-failover: ${JSON.stringify({ test: name, ...values })}`);
}

test(
  "a primary SIGKILLed under 100 concurrent SET+INCR workers",
  { timeout: 90_000 },
  async () => {
    const COMMAND_TIMEOUT = 2_000;
    const nodes = await startCluster({
      nodeTimeout: NODE_TIMEOUT,
      args: ["--appendonly", "yes", "--appendfsync", "always"],
    });
    let cluster: Cluster | undefined;
    try {
      cluster = createCluster(nodes.seeds, { commandTimeout: COMMAND_TIMEOUT });
      const client = cluster;
      await client.connect();
      const ownerOf = owners(nodes);
      const primaries = await nodes.primaries();

      // 50 counters over the slots; the victim owns the most of them.
      const counters = Array.from({ length: 50 }, (_, i) => `{c${i}}`);
      const counterOwner = new Map<string, number>();
      for (const key of counters) counterOwner.set(key, await ownerOf(key));
      const perPrimary = primaries.map((port) => ({
        port,
        count: counters.filter((k) => counterOwner.get(k) === port).length,
      }));
      const victim = perPrimary.reduce((a, b) => b.count > a.count ? b : a)
        .port;
      const victimNode = nodes.nodes.find((n) => n.port === victim)!;
      const replica = await replicaOf(nodes, victim);
      const onVictim = (key: string) => counterOwner.get(key) === victim;

      // 20 SET workers, each on a key of its own: half on the victim's
      // shard. Workers 80-89 confirm each SET with WAIT 1 on a lease;
      // workers 90-99 send plain SETs.
      const setKeys = new Map<number, string>();
      for (let id = 80; id < 100; id++) {
        for (let n = 0; !setKeys.has(id); n++) {
          assert.ok(n < 1_000, `no key for SET worker ${id}`);
          const key = `{s${id}.${n}}`;
          const port = await ownerOf(key);
          if ((port === victim) === (id % 2 === 0)) {
            counterOwner.set(key, port);
            setKeys.set(id, key);
            break;
          }
        }
      }

      const calls = new Calls();
      const incr = new Map(
        counters.map((key) => [key, { acked: 0, maybe: 0, timedOut: 0 }]),
      );
      const sets = new Map<
        string,
        {
          waited: boolean;
          attempted: number;
          acked: number;
          replicated: number;
        }
      >();
      let waitShort = 0;

      const start = Date.now();
      let exitedAt = Infinity;
      let resumedAt: number | undefined;
      let queriesAtResume: number | undefined;
      const running = () => {
        const now = Date.now();
        return now < start + 8_000 ||
          (resumedAt === undefined && now < start + 20_000);
      };
      const pause = () => sleep(5);

      const incrWorker = async () => {
        while (running()) {
          const key = counters[Math.floor(Math.random() * counters.length)];
          const state = incr.get(key)!;
          const issuedAt = Date.now();
          try {
            await calls.track("incr", client.incr(key));
            state.acked++;
            if (issuedAt >= exitedAt && onVictim(key)) {
              if (resumedAt === undefined) {
                resumedAt = Date.now();
                queriesAtResume = client.stats().topologyQueries;
              }
            }
          } catch (error) {
            if (error instanceof ConnectionError && error.mayHaveBeenApplied) {
              state.maybe++;
            } else if (error instanceof TimeoutError) state.timedOut++;
            await pause();
          }
        }
      };

      const setWorker = async (id: number) => {
        const key = setKeys.get(id)!;
        const waited = id < 90;
        const state = { waited, attempted: 0, acked: 0, replicated: 0 };
        sets.set(key, state);
        while (running()) {
          const value = ++state.attempted;
          try {
            if (!waited) {
              await calls.track("set", client.set(key, String(value)));
              state.acked = value;
              continue;
            }
            const conn = await calls.track(
              "acquire",
              client.acquire({ key, timeout: COMMAND_TIMEOUT }),
            );
            try {
              await calls.track(
                "lease SET",
                conn.send(["SET", key, String(value)]),
              );
              state.acked = value;
              const n = await calls.track(
                "lease WAIT",
                conn.send(["WAIT", "1", "1000"]),
              );
              if (Number(n) >= 1) state.replicated = value;
              else waitShort++;
            } finally {
              await calls.track("release", conn.release());
            }
          } catch {
            await pause();
          }
        }
      };

      const workers = Promise.all([
        ...Array.from({ length: 80 }, () => incrWorker()),
        ...Array.from({ length: 20 }, (_, i) => setWorker(80 + i)),
      ]);

      await sleep(start + 2_000 - Date.now());
      const queriesAtKill = client.stats().topologyQueries;
      const killedAt = Date.now();
      const promoted = promotion(nodes, replica, 20_000);
      await victimNode.kill();
      exitedAt = Date.now();
      const promotedAt = await promoted;

      // Workers stop issuing at 8 s (or once writes resumed, at most 20 s);
      // every call must then settle within its timeout plus a margin.
      while (running()) await sleep(50);
      const stoppedAt = Date.now();
      const queriesAtStop = client.stats().topologyQueries;
      const hung = await calls.drain(3 * COMMAND_TIMEOUT + 3_000);
      const hungOld = calls.olderThan(COMMAND_TIMEOUT + 3_000);
      if (hung === 0) await workers;

      // The final values, once the cluster agrees on its new primary.
      await nodes.waitStable(15_000);
      let doubleApplied = 0;
      let doubleAppliedIgnoringTimeouts = 0;
      let lostAckedIncr = 0;
      let lostAckedIncrOtherShards = 0;
      const perCounter: string[] = [];
      let acked = 0;
      let maybe = 0;
      let timedOut = 0;
      for (const [key, state] of incr) {
        const final = Number(await client.get(key) ?? 0);
        acked += state.acked;
        maybe += state.maybe;
        timedOut += state.timedOut;
        const over = final - state.acked - state.maybe - state.timedOut;
        if (over > 0) {
          doubleApplied += over;
          perCounter.push(`${key}: final ${final} > ${JSON.stringify(state)}`);
        }
        doubleAppliedIgnoringTimeouts += Math.max(
          0,
          final - state.acked - state.maybe,
        );
        const lost = Math.max(0, state.acked - final);
        lostAckedIncr += lost;
        if (!onVictim(key)) lostAckedIncrOtherShards += lost;
      }
      // SETs confirmed by WAIT 1 survive the failover; plain acknowledged
      // SETs survive on the shards that did not fail.
      let lostReplicatedSets = 0;
      let lostAckedSetsOtherShards = 0;
      let lostAckedSetsVictim = 0;
      let unknownValues = 0;
      let replicatedSets = 0;
      for (const [key, state] of sets) {
        const final = Number(await client.get(key) ?? 0);
        if (final > state.attempted) unknownValues++;
        if (state.waited) {
          replicatedSets += state.replicated;
          if (final < state.replicated) lostReplicatedSets++;
        }
        if (final < state.acked) {
          if (onVictim(key)) lostAckedSetsVictim++;
          else lostAckedSetsOtherShards++;
        }
      }

      const resumeMs = resumedAt === undefined
        ? undefined
        : resumedAt - killedAt;
      const promotionMs = promotedAt === undefined
        ? undefined
        : promotedAt - killedAt;
      report("kill", {
        victim,
        countersOnVictim: counters.filter(onVictim).length,
        promotionMs,
        resumeMs,
        resumeAfterPromotionMs: resumeMs !== undefined &&
            promotionMs !== undefined
          ? resumeMs - promotionMs
          : undefined,
        hung,
        hungOld,
        slowestCallMs: calls.slowestMs,
        sent: calls.sent,
        resolved: calls.resolved,
        rejectedByCode: calls.rejectedByCode,
        samples: calls.samples,
        incrAcked: acked,
        incrMaybeApplied: maybe,
        incrTimedOut: timedOut,
        doubleApplied,
        doubleAppliedIgnoringTimeouts,
        lostAckedIncr,
        lostAckedIncrOtherShards,
        replicatedSetWrites: replicatedSets,
        waitBelowOne: waitShort,
        lostReplicatedSets,
        lostAckedSetsVictim,
        lostAckedSetsOtherShards,
        unknownValues,
        topologyQueries: queriesAtStop - queriesAtKill,
        topologyQueriesPerSecond: Number(
          ((queriesAtStop - queriesAtKill) * 1000 / (stoppedAt - killedAt))
            .toFixed(2),
        ),
        topologyQueriesKillToResume: queriesAtResume === undefined
          ? undefined
          : queriesAtResume - queriesAtKill,
        topologyQueriesPerSecondKillToResume:
          queriesAtResume === undefined || resumeMs === undefined
            ? undefined
            : Number(
              ((queriesAtResume - queriesAtKill) * 1000 / resumeMs).toFixed(2),
            ),
        doubles: perCounter,
        redirections: client.stats().redirections,
      });

      assert.equal(hung, 0, "calls still pending after the workers stopped");
      assert.ok(
        calls.slowestMs <= COMMAND_TIMEOUT + 1_500,
        `a call took ${calls.slowestMs} ms to settle`,
      );
      assert.ok(calls.resolved > 1_000, `resolved ${calls.resolved}`);
      assert.equal(doubleApplied, 0, perCounter.join("\n"));
      assert.equal(lostReplicatedSets, 0, "a SET confirmed by WAIT was lost");
      assert.equal(lostAckedIncrOtherShards, 0);
      assert.equal(lostAckedSetsOtherShards, 0);
      assert.equal(unknownValues, 0);
      assert.ok(replicatedSets > 0, "no SET was confirmed by WAIT");
      assert.ok(promotionMs !== undefined, "the replica was never promoted");
      assert.ok(resumeMs !== undefined, "writes to the shard never resumed");
      if (promotionMs <= NODE_TIMEOUT) {
        assert.ok(
          resumeMs <= NODE_TIMEOUT + 3_000,
          `writes resumed ${resumeMs} ms after the kill`,
        );
      } else {
        assert.ok(
          resumeMs - promotionMs <= 3_000,
          `writes resumed ${resumeMs - promotionMs} ms after the promotion`,
        );
      }
      // At most one refresh per second (with jitter), each asking 3 nodes.
      assert.ok(
        (queriesAtStop - queriesAtKill) * 1000 / (stoppedAt - killedAt) <= 10,
        `${queriesAtStop - queriesAtKill} topology queries in ${
          stoppedAt - killedAt
        } ms`,
      );
      // Routed commands wait out CLUSTERDOWN and re-send what was never
      // written, within their deadline; what reaches the caller is a lost
      // reply or that deadline. Leases get raw server replies (CLUSTERDOWN)
      // and are only reported.
      const allowed = new Set([
        "incr:CONNECTION(maybe applied)",
        "incr:TIMEOUT",
        "set:CONNECTION(maybe applied)",
        "set:TIMEOUT",
      ]);
      assert.deepEqual(
        Object.keys(calls.rejectedByCode).filter((c) =>
          /^(incr|set):/.test(c) && !allowed.has(c)
        ),
        [],
        JSON.stringify(calls.samples),
      );
    } finally {
      if (cluster !== undefined) {
        cluster.destroy();
        await cluster.close(1_000);
      }
      await nodes.stop();
    }
  },
);

test(
  "a stale slot map after resharding many slots is bounded",
  { timeout: 90_000 },
  async () => {
    const nodes = await startCluster({ nodeTimeout: NODE_TIMEOUT });
    let cluster: Cluster | undefined;
    try {
      cluster = createCluster(nodes.seeds, { commandTimeout: 10_000 });
      const client = cluster;
      const ports = nodes.nodes.map((n) => n.port);
      const source = await nodes.ownerOf(0);
      assert.equal(await nodes.ownerOf(499), source);
      const primaries = await nodes.primaries();
      const target = primaries.find((p) => p !== source)!;
      const slots = Array.from({ length: 500 }, (_, i) => i);

      // A hash tag for each of the 500 slots, 20 keys behind each.
      const tags = new Map<number, string>();
      for (let n = 0; tags.size < slots.length && n < 5_000_000; n++) {
        const tag = `t${n}`;
        const slot = slotOf(tag);
        if (slot < slots.length && !tags.has(slot)) tags.set(slot, tag);
      }
      assert.equal(tags.size, slots.length);
      const keys = [...tags.values()].flatMap((tag) =>
        Array.from({ length: 20 }, (_, i) => `{${tag}}:${i}`)
      );
      assert.equal(keys.length, 10_000);
      for (let i = 0; i < keys.length; i += 1_000) {
        await Promise.all(
          keys.slice(i, i + 1_000).map((key) => client.set(key, `v:${key}`)),
        );
      }
      // A connection to every primary, so the burst below finds them open.
      for (const port of primaries) {
        for (let n = 0;; n++) {
          assert.ok(n < 1_000, `no key on 127.0.0.1:${port}`);
          const key = `warm${n}`;
          if (await nodes.ownerOf(slotOf(key)) === port) {
            await client.get(key);
            break;
          }
        }
      }
      assert.equal(await client.nodeFor(keys[0]), `127.0.0.1:${source}`);

      const queriesBefore = client.stats().topologyQueries;
      const callsBefore = await topologyCalls(nodes, ports);
      const moveStart = Date.now();
      await nodes.moveSlots(slots, target);
      const moveMs = Date.now() - moveStart;
      assert.equal(await nodes.ownerOf(0), target);
      assert.equal(await nodes.ownerOf(499), target);
      // The client has not noticed.
      assert.equal(await client.nodeFor(keys[0]), `127.0.0.1:${source}`);

      const calls = new Calls();
      const burstStart = Date.now();
      const results = await Promise.allSettled(
        keys.map((key) => calls.track("get", client.get(key))),
      );
      const burstMs = Date.now() - burstStart;
      // Let a refresh scheduled by the last redirections run, and count it.
      await sleep(1_500);
      const callsAfter = await topologyCalls(nodes, ports);
      const queriesAfter = client.stats().topologyQueries;
      const wrong = results.filter((r, i) =>
        r.status !== "fulfilled" || r.value !== `v:${keys[i]}`
      ).length;

      report("stale map", {
        source,
        target,
        movedSlots: slots.length,
        moveMs,
        burstMs,
        wrong,
        rejectedByCode: calls.rejectedByCode,
        samples: calls.samples,
        serverTopologyCalls: callsAfter - callsBefore,
        clientTopologyQueries: queriesAfter - queriesBefore,
        redirections: client.stats().redirections,
        slowestCallMs: calls.slowestMs,
      });
      assert.equal(wrong, 0, JSON.stringify(calls.samples));
      assert.equal(await client.nodeFor(keys[0]), `127.0.0.1:${target}`);
      assert.ok(
        callsAfter - callsBefore <= 10,
        `${callsAfter - callsBefore} CLUSTER SHARDS/SLOTS calls on the servers`,
      );
      assert.ok(
        queriesAfter - queriesBefore <= 10,
        `${queriesAfter - queriesBefore} topology queries by the client`,
      );
    } finally {
      if (cluster !== undefined) await cluster.close(1_000);
      await nodes.stop();
    }
  },
);

test(
  "a hung primary (SIGSTOP) is left after failover",
  { timeout: 90_000 },
  async () => {
    const COMMAND_TIMEOUT = 1_000;
    const nodes = await startCluster({ nodeTimeout: NODE_TIMEOUT });
    let cluster: Cluster | undefined;
    let victimNode: RedisCluster["nodes"][number] | undefined;
    try {
      const primaries = await nodes.primaries();
      const victim = primaries[0];
      victimNode = nodes.nodes.find((n) => n.port === victim)!;
      cluster = createCluster(nodes.seeds, { commandTimeout: COMMAND_TIMEOUT });
      const client = cluster;
      const replica = await replicaOf(nodes, victim);
      const keys: string[] = [];
      for (let n = 0; keys.length < 20; n++) {
        assert.ok(n < 10_000, "too few keys on the victim");
        const key = `{h${n}}`;
        if (await nodes.ownerOf(slotOf(key)) === victim) keys.push(key);
      }
      for (const key of keys) await client.set(key, "0");

      const calls = new Calls();
      const at: { promoted?: number; firstSuccess?: number } = {};
      const deadline = Date.now() + 40_000;
      const running = () =>
        Date.now() < deadline &&
        (at.firstSuccess === undefined ||
          Date.now() < at.firstSuccess + 2_000);
      const outcomes = { ok: 0, timeout: 0, other: 0 };
      const writer = async (id: number) => {
        for (let i = 0; running(); i++) {
          const key = keys[(id + i) % keys.length];
          try {
            await calls.track("set", client.set(key, `${id}.${i}`));
            outcomes.ok++;
            if (at.promoted !== undefined) {
              at.firstSuccess ??= Date.now();
            }
          } catch (error) {
            if (error instanceof TimeoutError) outcomes.timeout++;
            else outcomes.other++;
            await sleep(5);
          }
          await sleep(10);
        }
      };
      const writers = Promise.all(
        Array.from({ length: 10 }, (_, id) => writer(id)),
      );
      await sleep(500);
      const queriesAtPause = client.stats().topologyQueries;
      const pausedAt = Date.now();
      victimNode.pause();
      at.promoted = await promotion(nodes, replica, 30_000);
      while (running()) await sleep(50);
      const hung = await calls.drain(3 * COMMAND_TIMEOUT + 2_000);
      if (hung === 0) await writers;
      const recoveryMs = at.firstSuccess !== undefined &&
          at.promoted !== undefined
        ? at.firstSuccess - at.promoted
        : undefined;
      report("sigstop", {
        victim,
        promotionMs: at.promoted === undefined
          ? undefined
          : at.promoted - pausedAt,
        recoveryAfterPromotionMs: recoveryMs,
        hung,
        slowestCallMs: calls.slowestMs,
        outcomes,
        rejectedByCode: calls.rejectedByCode,
        samples: calls.samples,
        topologyQueries: client.stats().topologyQueries - queriesAtPause,
      });
      assert.equal(hung, 0);
      assert.ok(at.promoted !== undefined, "the replica was never promoted");
      assert.ok(recoveryMs !== undefined, "writes never resumed");
      assert.ok(
        recoveryMs <= COMMAND_TIMEOUT + 2_000,
        `writes resumed ${recoveryMs} ms after the promotion`,
      );
      assert.ok(
        calls.slowestMs <= COMMAND_TIMEOUT + 500,
        `a call took ${calls.slowestMs} ms to settle`,
      );
      // A call to the frozen node times out, or fails with the connection
      // once the client declares that connection dead (no byte for a
      // commandTimeout with commands outstanding).
      assert.deepEqual(
        Object.keys(calls.rejectedByCode).filter((c) =>
          c !== "set:TIMEOUT" && c !== "set:CONNECTION(maybe applied)"
        ),
        [],
        JSON.stringify(calls.samples),
      );
    } finally {
      victimNode?.resume();
      if (cluster !== undefined) {
        cluster.destroy();
        await cluster.close(1_000);
      }
      await nodes.stop();
    }
  },
);
