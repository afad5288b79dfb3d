/**
 * Bytes mode, `withOptions({ bytes: true })`: every typed command of the
 * shared SAMPLES table runs twice on the same seeded data, in text mode and
 * in bytes mode, under RESP2 and RESP3. Where the text result holds a value
 * the application stored, the bytes result must hold a `Uint8Array` with
 * the same UTF-8 bytes; everything else (numbers, nulls, status replies,
 * stream IDs, names, record field names) must be the same. Also: values
 * that are not UTF-8 round-trip exactly, and scan() yields such keys.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Client, createClient, type RedisCommands } from "../mod.ts";
import type { BytesCommands } from "../src/redis_commands.ts";
import type { BytesReplies } from "../src/commands/bytes.ts";
import { commands } from "../src/commands/table.ts";
import { FUNCTION_LIBRARY, KEYLESS_SAMPLES, SAMPLES } from "./_samples.ts";
import { type RedisServer, startRedis } from "./_redis.ts";

const T = { timeout: 120_000 };
const utf8 = new TextEncoder();

/**
 * The commands whose replies change in bytes mode: exactly the methods of
 * BytesReplies (checked below at compile time), each of which must return
 * at least one Uint8Array on the seeded data. Every other command must
 * return the same in both modes.
 */
const BYTES = [
  "get",
  "set",
  "mget",
  "getdel",
  "getex",
  "getrange",
  "randomkey",
  "echo",
  "lpop",
  "lpopCount",
  "rpop",
  "rpopCount",
  "lrange",
  "lindex",
  "lmove",
  "lmpop",
  "blpop",
  "brpop",
  "blmove",
  "blmpop",
  "smembers",
  "sinter",
  "sunion",
  "sdiff",
  "spop",
  "spopCount",
  "srandmember",
  "srandmemberCount",
  "zpopmin",
  "zpopmax",
  "bzpopmin",
  "bzpopmax",
  "zrandmember",
  "zrandmemberCount",
  "zrandmemberWithScores",
  "zrange",
  "zrangeWithScores",
  "zunion",
  "zunionWithScores",
  "zinter",
  "zinterWithScores",
  "zdiff",
  "zdiffWithScores",
  "geosearch",
  "sort",
  "sortRo",
  "hget",
  "hmget",
  "hgetall",
  "hkeys",
  "hvals",
  "hrandfield",
  "hrandfieldCount",
  "hrandfieldWithValues",
  "xrange",
  "xrevrange",
  "xread",
  "xreadgroup",
  "xclaim",
  "xautoclaim",
  "xinfoStream",
] as const satisfies readonly (keyof BytesReplies)[];

// A method added to BytesReplies but not to BYTES fails to compile here.
type Unlisted = Exclude<keyof BytesReplies, typeof BYTES[number]>;
const bytesListed: [Unlisted] extends [never] ? true : Unlisted = true;

/** Properties of bytes-mode replies that stay text (stream IDs). */
const TEXT_FIELDS: Partial<Record<keyof BytesReplies, readonly string[]>> = {
  xrange: ["id"],
  xrevrange: ["id"],
  xread: ["id"],
  xreadgroup: ["id"],
  xclaim: ["id"],
  xautoclaim: ["next", "id", "deleted"],
  xinfoStream: [
    "lastGeneratedId",
    "maxDeletedEntryId",
    "recordedFirstEntryId",
    "id",
  ],
};

/** Text commands whose answers differ from one call to the next. */
const VARYING = new Set([
  "info",
  "time",
  "clientId",
  "clientList",
  "xadd",
  "xpendingRange",
  "xinfoConsumers",
  "objectIdletime",
]);

/** Samples changed so that the reply carries values, not only a status. */
const ARGS: Record<string, readonly unknown[]> = {
  set: ["k1", "v", { get: true }],
  sort: ["l1", { alpha: true }],
  sortRo: ["l1", { alpha: true }],
  sortStore: ["l1", "l2", { alpha: true }],
};

/** The data every command runs against. */
const SEED: readonly string[][] = [
  ["FLUSHALL"],
  ["SET", "k1", "hi héllo ✓"],
  ["SET", "k2", "b"],
  ["SET", "k5", "x"],
  ["SET", "k6", "y"],
  ["SET", "k7", "gone ✓"],
  ["SET", "n1", "10"],
  ["SET", "r1", "r"],
  ["RPUSH", "l1", "a", "b", "ç", "d"],
  ["RPUSH", "l2", "x", "ÿ"],
  ["SADD", "s1", "a", "ü"],
  ["SADD", "s2", "ü", "c"],
  ["SADD", "s3", "z"],
  ["ZADD", "z1", "1.5", "a", "2", "ž"],
  ["ZADD", "z2", "1", "ž", "3", "c"],
  ["ZADD", "z9", "1", "p", "2.5", "q✓"],
  ["HSET", "hh1", "f", "v", "g", "wö"],
  ["HSET", "hh2", "n", "1"],
  ["XADD", "x1", "1-1", "a", "1", "f", "välue"],
  ["XADD", "x1", "2-0", "g", "x✓"],
  ["XGROUP", "CREATE", "x1", "g1", "0"],
  ["XREADGROUP", "GROUP", "g1", "c1", "COUNT", "1", "STREAMS", "x1", ">"],
  ["GEOADD", "g1", "13.361389", "38.115556", "m"],
  ["GEOADD", "g1", "13.361389", "38.115556", "ḿ"],
  ["GEOADD", "g1", "15.087269", "37.502669", "n"],
  ["SETBIT", "b1", "1", "1"],
  ["SET", "b2", "x"],
  ["PFADD", "h1", "a"],
  ["FUNCTION", "LOAD", "REPLACE", FUNCTION_LIBRARY],
];

/** Seeds that leave one candidate to commands that pick at random. */
const SINGLE: Record<string, readonly string[][]> = {
  randomkey: [["FLUSHALL"], ["SET", "k1", "hi héllo ✓"]],
  srandmember: [["DEL", "s1"], ["SADD", "s1", "ü"]],
  hrandfield: [["DEL", "hh1"], ["HSET", "hh1", "g", "wö"]],
  zrandmember: [["DEL", "z1"], ["ZADD", "z1", "2", "ž"]],
};

type Outcome = { value: unknown } | { error: string };

async function run(
  target: RedisCommands | BytesCommands,
  name: string,
  args: readonly unknown[],
): Promise<Outcome> {
  const methods = target as unknown as Record<
    string,
    (...args: unknown[]) => Promise<unknown>
  >;
  try {
    return { value: await methods[name](...args) };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

/** The text result with each stored value as its UTF-8 bytes. */
function asBytes(value: unknown, text: ReadonlySet<string>): unknown {
  if (typeof value === "string") return utf8.encode(value);
  if (Array.isArray(value)) return value.map((item) => asBytes(item, text));
  if (
    typeof value === "object" && value !== null &&
    !(value instanceof Uint8Array)
  ) {
    const out: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(value)) {
      out[name] = text.has(name) ? v : asBytes(v, text);
    }
    return out;
  }
  return value;
}

/** The value with every Uint8Array (a Buffer on Node) as a plain one. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return Uint8Array.from(value);
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(value)) out[name] = plain(v);
    return out;
  }
  return value;
}

/** Bytes as hex. */
function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** How many Uint8Arrays the value holds. */
function countBytes(value: unknown): number {
  if (value instanceof Uint8Array) return 1;
  if (typeof value !== "object" || value === null) return 0;
  let n = 0;
  for (const v of Object.values(value)) n += countBytes(v);
  return n;
}

/** The value's structure and kinds, for answers that vary. */
function shape(value: unknown): string {
  if (value === null) return "null";
  if (value instanceof Uint8Array) return "bytes";
  if (Array.isArray(value)) {
    return `[${[...new Set(value.map(shape))].sort().join("|")}]`;
  }
  if (typeof value === "object") {
    return `{${
      Object.entries(value).map(([k, v]) => `${k}:${shape(v)}`).sort().join(
        ",",
      )
    }}`;
  }
  return typeof value;
}

describe("RedisCommands.withOptions() with bytes", () => {
  let server: RedisServer;
  let admin: Client;

  before(async () => {
    server = await startRedis();
    admin = createClient(server.url);
  });

  after(async () => {
    await admin?.close();
    await server?.stop();
  });

  async function seed(name: string): Promise<void> {
    const pipeline = admin.pipeline();
    for (const args of [...SEED, ...SINGLE[name] ?? []]) pipeline.send(args);
    const results: unknown[] = await pipeline.exec();
    for (const result of results) {
      if (result instanceof Error) throw result;
    }
  }

  test("every typed command has a sample and every keyless one arguments", () => {
    const names = Object.keys(commands);
    assert.deepEqual(names.filter((name) => !(name in SAMPLES)), []);
    assert.deepEqual(
      names.filter((name) =>
        SAMPLES[name] === null && !(name in KEYLESS_SAMPLES)
      ),
      [],
    );
    assert.deepEqual(BYTES.filter((name) => !names.includes(name)), []);
    assert.equal(bytesListed, true);
  });

  for (const protocol of [2, 3] as const) {
    test(
      `RedisCommands.withOptions() with bytes returns stored values as Uint8Array from every typed command under RESP${protocol}`,
      T,
      async () => {
        await using redis = createClient(server.url, {
          protocol,
          commandTimeout: 5_000,
        });
        const binary = redis.withOptions({ bytes: true });
        const changing = new Set<string>(BYTES);
        for (const name of Object.keys(commands)) {
          const args = ARGS[name] ?? SAMPLES[name] ?? KEYLESS_SAMPLES[name];
          await seed(name);
          const text = await run(redis, name, args);
          await seed(name);
          const bytes = await run(binary, name, args);
          if ("error" in text || "error" in bytes) {
            assert.ok(
              !changing.has(name),
              `${name} failed: ${JSON.stringify([text, bytes])}`,
            );
            assert.deepEqual(bytes, text, `${name}: the same error`);
            continue;
          }
          if (VARYING.has(name)) {
            assert.equal(shape(bytes.value), shape(text.value), name);
            assert.equal(countBytes(bytes.value), 0, `${name}: text`);
            continue;
          }
          const expected = changing.has(name)
            ? asBytes(
              text.value,
              new Set(TEXT_FIELDS[name as keyof BytesReplies] ?? []),
            )
            : text.value;
          assert.deepEqual(plain(bytes.value), plain(expected), name);
          if (changing.has(name)) {
            assert.ok(countBytes(bytes.value) > 0, `${name}: no bytes`);
          }
        }
      },
    );
  }

  for (const protocol of [2, 3] as const) {
    test(
      `RedisCommands.withOptions() with bytes round-trips bytes that are not UTF-8 under RESP${protocol}`,
      T,
      async () => {
        await admin.flushall();
        await using redis = createClient(server.url, { protocol });
        const binary = redis.withOptions({ bytes: true });
        const raw = new Uint8Array([0xff, 0xfe]);
        const rawKey = new Uint8Array([0x6b, 0xff, 0xfe, 0x00]);

        assert.equal(await binary.set("v", raw), "OK");
        const value: Uint8Array | null = await binary.get("v");
        assert.deepEqual(plain(value), raw);
        // @ts-expect-error: a bytes view's get() is not typed as a string
        const notText: string | null = await binary.get("v");
        assert.ok((notText as unknown) instanceof Uint8Array);
        const text: string | null = await redis.get("v");
        assert.equal(typeof text, "string");
        const scoped: string | null = await redis.withOptions({
          bytes: false,
          timeout: 1_000,
        }).get("v");
        assert.equal(typeof scoped, "string");
        const still: Uint8Array | null = await binary.withOptions({
          timeout: 1_000,
        }).get("v");
        assert.deepEqual(plain(still), raw);

        await redis.hset(
          "h",
          new Map<string | Uint8Array, string | Uint8Array>([
            ["f", raw],
            [raw, "g"],
          ]),
        );
        const record: Record<string, Uint8Array> = await binary.hgetall("h");
        assert.deepEqual(plain(record.f), raw);
        const fields: Uint8Array[] = await binary.hkeys("h");
        assert.deepEqual(fields.map(hex).sort(), ["66", "fffe"]);
        const pairs: [Uint8Array, Uint8Array][] = [];
        for await (const pair of binary.hscan("h")) pairs.push(pair);
        assert.equal(pairs.length, 2);
        assert.ok(pairs.some(([f, v]) => f[0] === 0xff && v[0] === 0x67));

        await redis.lpush("l", raw);
        const list: Uint8Array[] = await binary.lrange("l", 0, -1);
        assert.deepEqual(plain(list), [raw]);

        await redis.sadd("s", raw);
        const members: Uint8Array[] = await binary.smembers("s");
        assert.deepEqual(plain(members), [raw]);
        const scanned: Uint8Array[] = [];
        for await (const member of binary.sscan("s")) scanned.push(member);
        assert.deepEqual(plain(scanned), [raw]);

        await redis.zadd("z", [{ member: raw, score: 1.5 }]);
        const ranked: Uint8Array[] = await binary.zrange("z", 0, -1);
        assert.deepEqual(plain(ranked), [raw]);
        assert.deepEqual(plain(await binary.zrangeWithScores("z", 0, -1)), [
          { member: raw, score: 1.5 },
        ]);
        for await (const { member, score } of binary.zscan("z")) {
          assert.deepEqual(plain(member), raw);
          assert.equal(score, 1.5);
        }

        await redis.set(rawKey, "x");
        const keys: Uint8Array[] = [];
        for await (const key of binary.scan({ match: "k*" })) keys.push(key);
        assert.deepEqual(plain(keys), [rawKey]);
      },
    );
  }

  test(
    "RedisCommands.withOptions() with bytes has scan() strip the keyPrefix from bytes keys",
    T,
    async () => {
      await admin.flushall();
      const rawKey = new Uint8Array([0xff, 0xfe, 0x41]);
      const prefixed = new Uint8Array([0x70, 0x3a, ...rawKey]); // "p:"
      await admin.set(prefixed, "1");
      await admin.set("other", "2");
      await using redis = createClient(server.url, { keyPrefix: "p:" });
      const keys: Uint8Array[] = [];
      for await (const key of redis.withOptions({ bytes: true }).scan()) {
        keys.push(key);
      }
      assert.deepEqual(plain(keys), [rawKey]);
      const names: string[] = [];
      for await (const key of redis.scan()) names.push(key);
      assert.equal(names.length, 1);
    },
  );
});
