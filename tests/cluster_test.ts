/**
 * The cluster client against a real loopback Redis Cluster (3 primaries, 3
 * replicas): routing by slot, split multi-key commands, pipelines across
 * nodes, MOVED and ASK from real migrations, transactions on one slot,
 * leases on the key's node, SCAN over every primary, sharded pub/sub that
 * follows its slot, replica reads and the address map.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type Cluster,
  ClusterError,
  ConnectionError,
  createCluster,
  keySlot,
  ReplyError,
  TimeoutError,
  type TopologyChange,
} from "../mod.ts";
import { type RedisCluster, slotOf, startCluster } from "./_cluster.ts";
import { sleep, waitFor } from "./_util.ts";

const T = { timeout: 60_000 };

/** A key in `slot`, found by trying names. */
function keyIn(slot: number, prefix = "k"): string {
  for (let i = 0; i < 1_000_000; i++) {
    if (slotOf(`${prefix}${i}`) === slot) return `${prefix}${i}`;
  }
  throw new Error(`no key found for slot ${slot}`);
}

/** Calls of a command on a node, from INFO commandstats. */
async function calls(
  redis: RedisCluster,
  port: number,
  command: string,
): Promise<number> {
  const info = await redis.cli(port, "INFO", "commandstats");
  const match = new RegExp(
    `cmdstat_${command.replace("|", "\\|")}:calls=(\\d+)`,
  )
    .exec(info);
  return match === null ? 0 : Number(match[1]);
}

describe("cluster", () => {
  let redis: RedisCluster;
  let cluster: Cluster;

  before(async () => {
    // A generous node timeout: no spurious failover on a busy machine
    // (the failover tests use 1 s).
    redis = await startCluster({ nodeTimeout: 5_000 });
    cluster = createCluster([redis.seeds[0]], { commandTimeout: 5_000 });
  }, T);

  after(async () => {
    await cluster?.close();
    await redis?.stop();
  }, T);

  test("keySlot agrees with the server", T, async () => {
    for (const key of ["foo", "{user:1}:cart", "ümlaut", "{}x", "a{b}c"]) {
      const reply = await redis.cli(
        redis.nodes[0].port,
        "CLUSTER",
        "KEYSLOT",
        key,
      );
      assert.equal(keySlot(key), Number(reply), key);
    }
    assert.equal(keySlot(new TextEncoder().encode("foo")), 12182);
  });

  test("1,000 keys over all slots land on their own nodes", T, async () => {
    const keys = Array.from({ length: 1_000 }, (_, i) => `spread:${i}`);
    await Promise.all(keys.map((k, i) => cluster.set(k, String(i))));
    const values = await Promise.all(keys.map((k) => cluster.get(k)));
    assert.deepEqual(values, keys.map((_, i) => String(i)));
    // Each key is on the primary that owns its slot, as the server says.
    for (const k of keys.slice(0, 30)) {
      const owner = await redis.ownerOf(slotOf(k));
      assert.equal(await redis.cli(owner, "GET", k), String(keys.indexOf(k)));
    }
    assert.equal(Object.keys(cluster.stats().nodes).length, 3);
    assert.deepEqual(
      cluster.primaries().map((a) => Number(a.split(":")[1])).sort(),
      await redis.primaries(),
    );
  });

  test(
    "MGET, MSET, DEL, EXISTS across slots answer in the caller's order",
    T,
    async () => {
      const keys = ["m:a", "m:b", "m:c", "m:d", "m:e", "m:f"];
      assert.ok(new Set(keys.map(slotOf)).size > 3);
      assert.equal(
        await cluster.mset(keys.map((k) => [k, `v-${k}`] as [string, string])),
        "OK",
      );
      assert.deepEqual(
        await cluster.mget("m:f", "m:none", ...keys.slice(0, 3)),
        ["v-m:f", null, "v-m:a", "v-m:b", "v-m:c"],
      );
      assert.equal(await cluster.exists("m:a", "m:zz", "m:b", "m:a"), 3);
      assert.equal(await cluster.del("m:a", "m:b", "m:none"), 2);
      assert.deepEqual(await cluster.mget("m:a", "m:b", "m:c"), [
        null,
        null,
        "v-m:c",
      ]);
    },
  );

  test(
    "commands that cannot be split are refused before anything is sent",
    T,
    async () => {
      const a = "x:1";
      const b = keyIn((slotOf(a) + 5000) % 16384, "x:");
      const before = await Promise.all(
        (await redis.primaries()).map((p) => calls(redis, p, "sinterstore")),
      );
      await assert.rejects(
        cluster.sinterstore("dest", a, b),
        (error: Error) => {
          assert.ok(error instanceof TypeError);
          assert.match(
            error.message,
            new RegExp(`slots ${slotOf("dest")}, ${slotOf(a)}, ${slotOf(b)}`),
          );
          return true;
        },
      );
      await assert.rejects(cluster.rename(a, b), TypeError);
      const afterCalls = await Promise.all(
        (await redis.primaries()).map((p) => calls(redis, p, "sinterstore")),
      );
      assert.deepEqual(afterCalls, before);
      // Hash tags keep them in one slot: allowed.
      await cluster.sadd("{t}a", "1", "2");
      await cluster.sadd("{t}b", "2", "3");
      assert.equal(await cluster.sinterstore("{t}dest", "{t}a", "{t}b"), 1);
    },
  );

  test(
    "a pipeline across nodes keeps order and each member's error",
    T,
    async () => {
      await cluster.set("p:str", "s");
      const results = await cluster.pipeline()
        .set("p:1", "one")
        .get("p:1")
        .incr("p:str") // not an integer: an error in its own slot
        .set("p:2", "two")
        .mget("p:1", "p:2", "p:none")
        .dbsize()
        .get("p:2")
        .exec();
      assert.equal(results[0], "OK");
      assert.equal(results[1], "one");
      assert.ok(results[2] instanceof ReplyError);
      assert.equal(results[3], "OK");
      assert.deepEqual(results[4], ["one", "two", null]);
      assert.equal(typeof results[5], "number");
      assert.equal(results[6], "two");
    },
  );

  test(
    "keyless commands: DBSIZE summed, KEYS from every primary",
    T,
    async () => {
      await cluster.set("kk:1", "1");
      await cluster.set("kk:2", "2");
      await cluster.set("kk:3", "3");
      let total = 0;
      for (const port of await redis.primaries()) {
        total += Number(await redis.cli(port, "DBSIZE"));
      }
      assert.equal(await cluster.dbsize(), total);
      assert.deepEqual(
        ((await cluster.send(["KEYS", "kk:*"])) as string[]).sort(),
        ["kk:1", "kk:2", "kk:3"],
      );
    },
  );

  test("scan walks every primary and yields each key once", T, async () => {
    const keys = Array.from({ length: 300 }, (_, i) => `scan:${i}`);
    await cluster.mset(keys.map((k) => [k, "1"] as [string, string]));
    const seen: string[] = [];
    for await (const key of cluster.scan({ match: "scan:*", count: 50 })) {
      seen.push(key);
    }
    assert.equal(seen.length, 300);
    assert.deepEqual(seen.sort(), keys.sort());
  });

  test(
    "a cross-slot transaction is refused before MULTI; a hash-tagged one retries a WATCH conflict",
    T,
    async () => {
      const multis = async () => {
        let n = 0;
        for (const p of await redis.primaries()) {
          n += await calls(
            redis,
            p,
            "multi",
          );
        }
        return n;
      };
      const before = await multis();
      await assert.rejects(
        cluster.multi().incr("tx:a").incr("tx:b").exec(),
        /slots/,
      );
      assert.equal(await multis(), before);
      assert.deepEqual(
        await cluster.multi().incr("{tx}a").incr("{tx}b").exec(),
        [1, 1],
      );

      const other = createCluster([redis.seeds[1]]);
      try {
        await cluster.set("{acct}balance", "100");
        let attempts = 0;
        const results = await cluster.transaction(async (lease) => {
          attempts++;
          const balance = Number(await lease.get("{acct}balance"));
          if (attempts === 1) await other.set("{acct}balance", "50"); // conflict
          return lease.multi().set("{acct}balance", String(balance - 10))
            .incr("{acct}ops");
        }, { watch: ["{acct}balance"] });
        assert.equal(attempts, 2);
        assert.deepEqual(results, ["OK", 1]);
        assert.equal(await cluster.get("{acct}balance"), "40");
        // A key of another slot inside the lease's transaction: refused
        // before MULTI.
        await assert.rejects(
          cluster.transaction(
            (lease) => lease.multi().incr("{acct}ops").incr("elsewhere"),
            {
              watch: ["{acct}ops"],
            },
          ),
          (error: Error) =>
            error instanceof TypeError && /slots/.test(error.message),
        );
        await assert.rejects(
          cluster.transaction((l) => l.multi(), {} as never),
          TypeError,
        );
      } finally {
        await other.close();
      }
    },
  );

  test(
    "acquire({ key }) leases a connection on the key's primary",
    T,
    async () => {
      for (const key of ["lease:a", "lease:b", "lease:c"]) {
        await using conn = await cluster.acquire({ key });
        const info = String(await conn.send(["CLIENT", "INFO"]));
        const port = Number(/laddr=[^ ]*:(\d+)/.exec(info)![1]);
        assert.equal(port, await redis.ownerOf(slotOf(key)));
        assert.equal(await cluster.nodeFor(key), `127.0.0.1:${port}`);
      }
      await assert.rejects(cluster.acquire({} as never), TypeError);
    },
  );

  test("blocking commands run on a lease of the key's node", T, async () => {
    const popped = cluster.blpop(["block:list"], 5);
    await sleep(100);
    await cluster.rpush("block:list", "x");
    assert.deepEqual(await popped, { key: "block:list", element: "x" });
  });

  test(
    "a slot migrated under load: every GET answers, MOVED updates the map",
    T,
    async () => {
      const slot = slotOf("move:0");
      const keys = [0, 1, 2, 3, 4, 5, 6, 7].map((i) =>
        keyIn(slot, `move:${i}:`)
      );
      await Promise.all(keys.map((k) => cluster.set(k, k)));
      const source = await redis.ownerOf(slot);
      const target = (await redis.primaries()).find((p) => p !== source)!;
      const moves: TopologyChange[] = [];
      cluster.addEventListener("topology", (e) => moves.push(e.detail));
      let stop = false;
      let reads = 0;
      const load = (async () => {
        while (!stop) {
          const values = await Promise.all(keys.map((k) => cluster.get(k)));
          assert.deepEqual(values, keys);
          reads += keys.length;
        }
      })();
      await sleep(100);
      await redis.moveSlots([slot], target);
      await sleep(300);
      stop = true;
      await load;
      assert.ok(reads > 0);
      assert.equal(await cluster.nodeFor(keys[0]), `127.0.0.1:${target}`);
      await waitFor(() => moves.length > 0, 5_000);
      assert.ok(
        moves.some((m) =>
          m.moved.some((r) =>
            r.from <= slot && slot <= r.to && r.now === `127.0.0.1:${target}`
          )
        ),
      );
      assert.ok(cluster.stats().redirections >= 1);
    },
  );

  test(
    "a half-migrated slot: ASK reaches moved keys, others stay on the source",
    T,
    async () => {
      const slot = slotOf("ask:0");
      const moved = keyIn(slot, "ask:m");
      const stay = keyIn(slot, "ask:s");
      await cluster.set(moved, "moved-value");
      await cluster.set(stay, "stay-value");
      const source = await redis.ownerOf(slot);
      const target = (await redis.primaries()).find((p) => p !== source)!;
      const finish = await redis.beginMigration(slot, target, [moved]);
      try {
        assert.match(await redis.cli(source, "GET", moved), /ASK/);
        assert.equal(await cluster.get(moved), "moved-value");
        assert.equal(await cluster.get(stay), "stay-value");
        assert.deepEqual(
          await cluster.pipeline().get(moved).get(stay).exec(),
          ["moved-value", "stay-value"],
        );
        // ASK does not move the slot: the map still names the source.
        assert.equal(await cluster.nodeFor(stay), `127.0.0.1:${source}`);
      } finally {
        await finish();
      }
      assert.equal(await cluster.get(stay), "stay-value");
    },
  );

  test(
    "TRYAGAIN mid-migration is waited out within the deadline",
    T,
    async () => {
      // Two keys of one slot, one of them already moved: the source answers
      // TRYAGAIN to an MGET of both until the migration ends.
      const slot = slotOf("{try}a");
      await cluster.mset([["{try}a", "A"], ["{try}b", "B"]]);
      const source = await redis.ownerOf(slot);
      const target = (await redis.primaries()).find((p) => p !== source)!;
      const finish = await redis.beginMigration(slot, target, ["{try}a"]);
      try {
        assert.match(
          await redis.cli(source, "MGET", "{try}a", "{try}b"),
          /TRYAGAIN|ASK/,
        );
        await assert.rejects(
          cluster.withOptions({ timeout: 300 }).mget("{try}a", "{try}b"),
          (error: Error) =>
            error instanceof TimeoutError && /TRYAGAIN/.test(error.message),
        );
        const pending = cluster.mget("{try}a", "{try}b");
        await sleep(200);
        await finish();
        assert.deepEqual(await pending, ["A", "B"]);
      } finally {
        await finish();
      }
    },
  );

  test(
    "past maxRedirections a command rejects with ClusterError naming the slot",
    T,
    async () => {
      const strict = createCluster([redis.seeds[0]], { maxRedirections: 0 });
      try {
        const slot = slotOf("redir:key");
        await strict.set("redir:key", "1");
        const source = await redis.ownerOf(slot);
        const target = (await redis.primaries()).find((p) => p !== source)!;
        await redis.moveSlots([slot], target); // behind the client's back
        await assert.rejects(strict.get("redir:key"), (error: Error) => {
          assert.ok(error instanceof ClusterError, String(error));
          assert.equal(error.code, "CLUSTER");
          assert.equal(error.slot, slot);
          assert.match(error.message, new RegExp(`slot ${slot}`));
          return true;
        });
        // The MOVED it got updated the map: the next GET goes straight there.
        assert.equal(await strict.get("redir:key"), "1");
      } finally {
        await strict.close();
      }
    },
  );

  test("ssubscribe follows its slot to a new primary", T, async () => {
    const channel = "orders";
    const slot = slotOf(channel);
    await using sub = await cluster.ssubscribe(channel);
    let downtimeMs: number | undefined;
    sub.addEventListener("reconnect", (e) => downtimeMs = e.detail.downtimeMs);
    const messages = sub[Symbol.asyncIterator]();
    await cluster.spublish(channel, "before");
    assert.equal((await messages.next()).value?.message, "before");
    const source = await redis.ownerOf(slot);
    const target = (await redis.primaries()).find((p) => p !== source)!;
    await redis.moveSlots([slot], target);
    // Publish until the resubscribed connection hears it (bounded).
    let heard: string | undefined;
    const next = messages.next().then((r) => heard = r.value?.message);
    for (let i = 0; i < 100 && heard === undefined; i++) {
      await cluster.spublish(channel, "after");
      await sleep(50);
    }
    await next;
    assert.equal(heard, "after");
    // It resubscribed on the new owner; how long it was deaf is reported.
    assert.ok(
      downtimeMs !== undefined && downtimeMs < 2_000,
      String(downtimeMs),
    );
    console.log(`ssubscribe moved with its slot; deaf for ${downtimeMs} ms`);
  });

  test(
    "readFrom: replica reads from replicas; writes go to primaries",
    T,
    async () => {
      const reader = createCluster(redis.seeds, { readFrom: "replica" });
      try {
        await reader.set("ro:key", "v");
        const primaries = await redis.primaries();
        const replicas = redis.nodes.map((n) => n.port).filter((p) =>
          !primaries.includes(p)
        );
        const before = await Promise.all(
          replicas.map((p) => calls(redis, p, "get")),
        );
        await waitFor(async () => (await reader.get("ro:key")) === "v", 5_000);
        for (let i = 0; i < 20; i++) {
          assert.equal(
            await reader.get("ro:key"),
            "v",
          );
        }
        const afterCalls = await Promise.all(
          replicas.map((p) => calls(redis, p, "get")),
        );
        const served = afterCalls.reduce((s, n, i) => s + n - before[i], 0);
        assert.ok(served >= 20, `replicas served ${served} GETs`);
      } finally {
        await reader.close();
      }
    },
  );

  test(
    "the cache: each node's connections track their reads; writes, MGET across slots and a slot move keep it fresh",
    T,
    async () => {
      await using cached = createCluster([redis.seeds[0]], {
        cache: true,
        commandTimeout: 5_000,
      });
      const keys = ["cc:a", "cc:b", "cc:c", "cc:d", "cc:e", "cc:f"];
      const owners = new Set(
        await Promise.all(keys.map((k) => redis.ownerOf(slotOf(k)))),
      );
      assert.equal(owners.size, 3, "the keys span every primary");
      await cluster.mset(keys.map((k) => [k, "1"] as [string, string]));
      assert.deepEqual(await cached.mget(...keys), keys.map(() => "1"));
      const before = await Promise.all(
        [...owners].map((port) => calls(redis, port, "mget")),
      );
      // Every key answered from memory, on every node.
      assert.deepEqual(await cached.mget(...keys), keys.map(() => "1"));
      for (const k of keys) assert.equal(await cached.get(k), "1");
      await Promise.all(keys.map((k) => cached.get(k)));
      const after = await Promise.all(
        [...owners].map((port) => calls(redis, port, "mget")),
      );
      assert.deepEqual(after, before);
      const stats = cached.stats().cache!;
      assert.equal(stats.entries, keys.length * 2);
      // Another client's writes, on each node, arrive as invalidations.
      await cluster.mset(keys.map((k) => [k, "2"] as [string, string]));
      await waitFor(
        () => cached.stats().cache!.invalidations >= keys.length * 2,
        2_000,
      );
      assert.deepEqual(await cached.mget(...keys), keys.map(() => "2"));
      // Its own write, seen at once.
      await cached.set("cc:a", "3");
      assert.equal(await cached.get("cc:a"), "3");
      // A slot moved to another primary: the source's delete invalidates,
      // the new owner's value is what the next read sees.
      const slot = slotOf("cc:b");
      const source = await redis.ownerOf(slot);
      const target = (await redis.primaries()).find((p) => p !== source)!;
      assert.equal(await cached.get("cc:b"), "2");
      await redis.moveSlots([slot], target);
      await cluster.set("cc:b", "moved");
      await waitFor(async () => await cached.get("cc:b") === "moved", 2_000);
      assert.equal(await cached.get("cc:b"), "moved");
    },
  );

  test("the address map: nodes are dialled as mapped", T, async () => {
    const mapped = createCluster([redis.seeds[0]], {
      addressMap: (address) => address.replace("127.0.0.1", "localhost"),
    });
    try {
      await mapped.set("map:key", "1");
      assert.equal(await mapped.get("map:key"), "1");
      const nodes = Object.keys(mapped.stats().nodes);
      assert.ok(nodes.some((a) => a.startsWith("localhost:")), nodes.join());
      assert.ok(mapped.primaries().every((a) => a.startsWith("localhost:")));
    } finally {
      await mapped.close();
    }
  });
});

describe("cluster without a cluster", () => {
  test(
    "createCluster touches no network; unreachable seeds reject with the seeds named",
    T,
    async () => {
      const cluster = createCluster(["redis://127.0.0.1:1", "127.0.0.1:2"], {
        connectTimeout: 500,
        retry: () => undefined,
      });
      try {
        const started = Date.now();
        await assert.rejects(cluster.get("k"), (error: Error) => {
          assert.ok(error instanceof ConnectionError, String(error));
          assert.match(error.message, /127\.0\.0\.1:1/);
          assert.match(error.message, /127\.0\.0\.1:2/);
          return true;
        });
        assert.ok(Date.now() - started < 3_000);
      } finally {
        await cluster.close();
      }
    },
  );

  test("options are checked", () => {
    assert.throws(() => createCluster([]), TypeError);
    assert.throws(() => createCluster(["redis://h:1/2"]), RangeError);
    assert.throws(
      () => createCluster(["h:1"], { readFrom: "any" as never }),
      TypeError,
    );
    assert.throws(
      () => createCluster(["h:1"], { maxRedirections: -1 }),
      RangeError,
    );
    assert.throws(() => createCluster(["h:1"], { db: 1 } as never), TypeError);
    assert.throws(
      // @ts-expect-error: a typo
      () => createCluster(["h:1"], { refresh: { intervall: 1 } }),
      (error: Error) =>
        error instanceof TypeError &&
        /refresh\.intervall is not an option: did you mean refresh\.interval\?/
          .test(error.message),
    );
  });
});
