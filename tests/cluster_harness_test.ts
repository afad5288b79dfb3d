/**
 * The Redis Cluster test harness itself (tests/_cluster.ts): a real cluster
 * starts, its slots move as in a resharding, a half-done migration answers
 * ASK, and nodes stop and come back.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { slotOf, startCluster } from "./_cluster.ts";

test("slotOf() hashes keys as Redis Cluster does", () => {
  assert.equal(slotOf("foo"), 12182);
  assert.equal(slotOf("bar"), 5061);
  assert.equal(slotOf("{user1}:a"), slotOf("{user1}:b"));
  assert.equal(slotOf("{user1}:a"), slotOf("user1"));
  // An empty tag hashes the whole key; only the first tag counts.
  assert.notEqual(slotOf("{}a"), slotOf("{}b"));
  assert.equal(slotOf("{a}{b}"), slotOf("a"));
});

test(
  "startCluster() starts a cluster whose slots move and migrate like a real resharding",
  { timeout: 60_000 },
  async () => {
    const cluster = await startCluster();
    try {
      assert.equal(cluster.nodes.length, 6);
      assert.deepEqual(
        cluster.seeds,
        cluster.nodes.map((n) => `redis://127.0.0.1:${n.port}`),
      );
      const primaries = await cluster.primaries();
      assert.equal(primaries.length, 3);
      const info = await cluster.cli(primaries[0], "CLUSTER", "INFO");
      assert.match(info, /cluster_state:ok/);
      assert.match(info, /cluster_slots_assigned:16384/);
      assert.match(info, /cluster_slots_ok:16384/);
      assert.match(info, /cluster_known_nodes:6/);
      for (const slot of [0, 5461, 10923, 16383]) {
        assert.ok(primaries.includes(await cluster.ownerOf(slot)));
      }

      // moveSlots: the key goes along and the source redirects with MOVED.
      const slot = slotOf("foo");
      const source = await cluster.ownerOf(slot);
      const target = primaries.find((port) => port !== source)!;
      assert.equal(await cluster.cli(source, "SET", "foo", "moved"), "OK");
      await cluster.moveSlots([slot], target);
      assert.equal(await cluster.ownerOf(slot), target);
      assert.equal(await cluster.cli(target, "GET", "foo"), "moved");
      assert.equal(
        await cluster.cli(source, "GET", "foo"),
        `MOVED ${slot} 127.0.0.1:${target}`,
      );

      // beginMigration: ASK for a migrated key, the rest still served.
      const half = slotOf("bar");
      const from = await cluster.ownerOf(half);
      const to = primaries.find((port) => port !== from)!;
      assert.equal(await cluster.cli(from, "SET", "bar", "1"), "OK");
      assert.equal(await cluster.cli(from, "SET", "{bar}:stays", "2"), "OK");
      const finish = await cluster.beginMigration(half, to, ["bar"]);
      assert.match(await cluster.cli(from, "GET", "bar"), /ASK/);
      assert.equal(
        await cluster.cli(from, "GET", "bar"),
        `ASK ${half} 127.0.0.1:${to}`,
      );
      assert.equal(await cluster.cli(from, "GET", "{bar}:stays"), "2");
      assert.equal(await cluster.ownerOf(half), from);
      await finish();
      assert.equal(await cluster.ownerOf(half), to);
      assert.equal(await cluster.cli(to, "GET", "bar"), "1");
      assert.equal(await cluster.cli(to, "GET", "{bar}:stays"), "2");
      assert.match(await cluster.cli(from, "GET", "bar"), /^MOVED /);

      // A replica killed and restarted rejoins as the replica it was.
      const replica = cluster.nodes.find((n) => !primaries.includes(n.port))!;
      await replica.kill();
      assert.equal(replica.pid(), undefined);
      await assert.rejects(cluster.cli(replica.port, "PING"));
      await replica.restart();
      assert.equal(typeof replica.pid(), "number");
      await cluster.waitStable();
      assert.match(await cluster.cli(replica.port, "ROLE"), /^slave/);

      // A paused node is skipped by the harness's own queries.
      replica.pause();
      assert.deepEqual(await cluster.primaries(), primaries);
      replica.resume();
      await cluster.waitStable();
      assert.equal(await cluster.cli(replica.port, "PING"), "PONG");
    } finally {
      await cluster.stop();
      await cluster.stop();
    }
    for (const node of cluster.nodes) assert.equal(node.pid(), undefined);
  },
);
