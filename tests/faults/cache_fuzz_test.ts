/**
 * The client-side cache under a long random mix of reads, this client's
 * own writes (through commands, pipelines, transactions and leases),
 * another client's writes and killed connections, checked read by read
 * against a shadow model of the server's data: not one stale read.
 *
 * Another client's write is visible once its invalidation has arrived,
 * which the test allows for by yielding to the event loop (2 ms) after it;
 * this client's own writes must be visible to the very next read.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Client, createClient } from "../../mod.ts";
import { type RedisServer, startRedis } from "../_redis.ts";
import { sleep, waitFor } from "../_util.ts";

const OPERATIONS = 100_000;

/** A deterministic generator, so a failure can be replayed from its seed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe("Client-side cache fuzz", () => {
  let server: RedisServer;

  before(async () => {
    server = await startRedis();
  });

  after(async () => {
    await server?.stop();
  });

  test(`${OPERATIONS} random reads, writes and disconnects: no stale read`, {
    timeout: 180_000,
  }, async () => {
    const seed = Number(process.env.CACHE_FUZZ_SEED ?? Date.now() % 100_000);
    const rand = random(seed);
    const pick = <T>(items: readonly T[]): T =>
      items[Math.floor(rand() * items.length)];
    const strings = Array.from({ length: 24 }, (_, i) => `fz:s${i}`);
    const hashes = Array.from({ length: 6 }, (_, i) => `fz:h${i}`);
    const fields = ["a", "b", "c"];
    // The shadow model: what the server holds after every acknowledged write.
    const model = new Map<string, string | null>();
    const hashModel = new Map<string, Map<string, string>>();
    for (const key of strings) model.set(key, null);
    for (const key of hashes) hashModel.set(key, new Map());

    const other = createClient(server.url);
    const redis: Client = createClient(server.url, {
      cache: { maxEntries: 40 },
      name: "fuzz",
      pool: { min: 2, max: 4 },
    });
    await other.flushall();
    let stale = 0;
    let reads = 0;
    let kills = 0;
    let firstStale = "";
    // The last operations, for the report of the first stale read.
    const history: string[] = [];
    const log = (what: string) => {
      history.push(what);
      if (history.length > 12) history.shift();
    };
    // Keys last written by the other client: a read may miss such a write
    // while its invalidation is still on the way (late), but must see it
    // once it arrived. A key last written by this client has no such
    // allowance.
    const byOther = new Set<string>();
    let late = 0;
    const same = (a: unknown, b: unknown) => {
      try {
        assert.deepEqual(a, b);
        return true;
      } catch {
        return false;
      }
    };
    const expect = async (
      what: string,
      keys: readonly string[],
      read: () => Promise<unknown>,
      want: () => unknown,
    ) => {
      reads++;
      const got = await read();
      if (same(got, want())) return log(what);
      if (keys.some((k) => byOther.has(k))) {
        await sleep(50);
        if (same(await read(), want())) return void late++;
      }
      if (stale++ === 0) {
        firstStale = `${what}: got ${JSON.stringify(got)}, want ${
          JSON.stringify(want())
        } after ${history.join("; ")}`;
      }
    };
    const own = (...keys: string[]) => keys.forEach((k) => byOther.delete(k));
    const hashObject = (key: string) => Object.fromEntries(hashModel.get(key)!);
    let n = 0;
    const fresh = () => `v${++n}`;

    try {
      for (let op = 0; op < OPERATIONS; op++) {
        const r = rand();
        if (r < 0.625) {
          // A read through the cache, checked against the model.
          const kind = rand();
          if (kind < 0.55) {
            const key = pick(strings);
            await expect(
              `GET ${key}`,
              [key],
              () => redis.get(key),
              () => model.get(key),
            );
          } else if (kind < 0.7) {
            const keys = [pick(strings), pick(strings), pick(strings)];
            await expect(
              `MGET ${keys}`,
              keys,
              () => redis.mget(...keys),
              () => keys.map((k) => model.get(k)),
            );
          } else if (kind < 0.85) {
            const key = pick(hashes);
            const field = pick(fields);
            await expect(
              `HGET ${key} ${field}`,
              [key],
              () => redis.hget(key, field),
              () => hashModel.get(key)!.get(field) ?? null,
            );
          } else {
            const key = pick(hashes);
            await expect(
              `HGETALL ${key}`,
              [key],
              () => redis.hgetall(key),
              () => hashObject(key),
            );
          }
        } else if (r < 0.9795) {
          // This client's own write: the next read must see it.
          const kind = rand();
          const key = pick(strings);
          const value = fresh();
          if (kind < 0.4) {
            await redis.set(key, value);
            model.set(key, value);
            log(`SET ${key} ${value}`);
            own(key);
          } else if (kind < 0.5) {
            await redis.del(key);
            model.set(key, null);
            log(`DEL ${key}`);
            own(key);
          } else if (kind < 0.6) {
            const key2 = pick(strings);
            await redis.pipeline().set(key, value).del(key2).exec();
            model.set(key, value);
            model.set(key2, null);
            log(`pipeline SET ${key} ${value}, DEL ${key2}`);
            own(key, key2);
          } else if (kind < 0.7) {
            const h = pick(hashes);
            const field = pick(fields);
            await redis.multi().set(key, value).hset(h, { [field]: value })
              .exec();
            model.set(key, value);
            hashModel.get(h)!.set(field, value);
            log(`multi SET ${key} ${value}, HSET ${h} ${field}`);
            own(key, h);
          } else if (kind < 0.8) {
            await using lease = await redis.acquire();
            await lease.set(key, value);
            model.set(key, value);
            log(`lease SET ${key} ${value}`);
            own(key);
          } else if (kind < 0.9) {
            const h = pick(hashes);
            const field = pick(fields);
            await redis.hset(h, { [field]: value });
            hashModel.get(h)!.set(field, value);
            log(`HSET ${h} ${field} ${value}`);
            own(h);
          } else {
            const h = pick(hashes);
            const field = pick(fields);
            await redis.hdel(h, field);
            hashModel.get(h)!.delete(field);
            log(`HDEL ${h} ${field}`);
            own(h);
          }
        } else if (r < 0.9945) {
          // Another client's write, then a turn of the event loop for its
          // invalidation to arrive.
          const key = pick(strings);
          const value = fresh();
          if (rand() < 0.7) {
            await other.set(key, value);
            model.set(key, value);
            log(`other SET ${key} ${value}`);
            byOther.add(key);
          } else {
            const h = pick(hashes);
            const field = pick(fields);
            await other.hset(h, { [field]: value });
            hashModel.get(h)!.set(field, value);
            log(`other HSET ${h} ${field} ${value}`);
            byOther.add(h);
          }
          await sleep(2);
        } else if (r < 0.997) {
          // A killed connection of the caching client, and writes made
          // while it is down; the client must drop what it tracked before
          // serving another read from it.
          const list = await other.send(["CLIENT", "LIST"]) as string;
          const ids = [...list.matchAll(/^id=(\d+) .*name=fuzz /gm)]
            .map((m) => m[1]);
          if (ids.length === 0) continue;
          const destroyed = redis.stats().destroyed;
          const id = pick(ids);
          await other.send(["CLIENT", "KILL", "ID", id]);
          log(`CLIENT KILL ${id}`);
          for (let i = 0; i < 3; i++) {
            const key = pick(strings);
            const value = fresh();
            await other.set(key, value);
            model.set(key, value);
            log(`other SET ${key} ${value}`);
            byOther.add(key);
          }
          kills++;
          await waitFor(() => redis.stats().destroyed > destroyed, 5_000);
          // The writes' invalidations to the other connections, as above.
          await sleep(2);
        } else {
          // FLUSHALL from the other client.
          await other.flushall();
          log("FLUSHALL");
          for (const key of [...strings, ...hashes]) byOther.add(key);
          for (const key of strings) model.set(key, null);
          for (const key of hashes) hashModel.get(key)!.clear();
          await sleep(2);
        }
      }
    } finally {
      await redis.close();
      await other.close();
    }
    const cache = redis.stats().cache!;
    console.log(
      `cache-fuzz: ${
        JSON.stringify({
          seed,
          operations: OPERATIONS,
          reads,
          stale,
          late,
          kills,
          hits: cache.hits,
          misses: cache.misses,
          evictions: cache.evictions,
          invalidations: cache.invalidations,
        })
      }`,
    );
    assert.equal(stale, 0, `seed ${seed}: first stale read ${firstStale}`);
    assert.ok(cache.hits > reads / 4, `${cache.hits} hits of ${reads} reads`);
    assert.ok(kills > 100, `${kills} connections killed`);
  });
});
