import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Client, createClient, ReplyError } from "../mod.ts";
import {
  allCommandSpecs,
  blockTimeout,
  type CommandSpec,
  commandSpec,
  keyPositions,
} from "../src/commands/registry.ts";
import { REDIS_VERSION } from "../src/commands/_registry_data.ts";
import {
  readServerCommands,
  renderRegistryModule,
} from "../scripts/_registry_table.ts";
import { type RedisServer, startRedis } from "./_redis.ts";

const T = { timeout: 30_000 };
const bytes = (text: string) => new TextEncoder().encode(text);

/** Commands with keys in every begin_search / find_keys shape. */
const KEYED: string[][] = [
  ["GET", "k1"],
  ["SET", "k1", "v", "EX", "10", "NX", "GET"],
  ["GETEX", "k1", "PERSIST"],
  ["MSET", "a", "1", "b", "2", "c", "3"],
  ["MSETNX", "a", "1", "b", "2"],
  ["MGET", "a", "b", "c"],
  ["DEL", "a", "b", "c"],
  ["UNLINK", "a", "b"],
  ["EXISTS", "a", "b", "a"],
  ["TOUCH", "a", "b"],
  ["EXPIRE", "k1", "10", "NX"],
  ["DUMP", "k1"],
  ["RESTORE", "k1", "0", "payload", "REPLACE"],
  ["RENAME", "src", "dst"],
  ["COPY", "src", "dst", "DB", "0", "REPLACE"],
  ["LMOVE", "src", "dst", "LEFT", "RIGHT"],
  ["RPOPLPUSH", "src", "dst"],
  ["SMOVE", "src", "dst", "m"],
  ["BLPOP", "l1", "l2", "l3", "0"],
  ["BRPOPLPUSH", "src", "dst", "0"],
  ["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"],
  ["BZPOPMIN", "z1", "z2", "0"],
  ["BLMPOP", "0", "2", "l1", "l2", "LEFT", "COUNT", "2"],
  ["BZMPOP", "1", "2", "z1", "z2", "MAX"],
  ["LMPOP", "2", "l1", "l2", "RIGHT"],
  ["ZMPOP", "2", "z1", "z2", "MIN", "COUNT", "3"],
  ["SINTERCARD", "2", "s1", "s2", "LIMIT", "5"],
  ["ZINTERCARD", "2", "z1", "z2"],
  ["ZUNIONSTORE", "dst", "2", "z1", "z2", "WEIGHTS", "1", "2"],
  ["ZDIFFSTORE", "dst", "2", "z1", "z2"],
  ["ZINTERSTORE", "dst", "2", "z1", "z2", "AGGREGATE", "MAX"],
  ["ZUNION", "2", "z1", "z2"],
  ["ZINTER", "3", "z1", "z2", "z3", "WITHSCORES"],
  ["ZDIFF", "2", "z1", "z2"],
  ["ZRANGESTORE", "dst", "src", "0", "-1"],
  ["SUNIONSTORE", "dst", "s1", "s2"],
  ["BITOP", "AND", "dst", "k1", "k2"],
  ["PFMERGE", "dst", "h1", "h2"],
  ["LCS", "k1", "k2"],
  ["HSET", "h", "f", "v", "f2", "v2"],
  ["EVAL", "return 1", "2", "k1", "k2", "a1", "a2"],
  ["EVAL_RO", "return 1", "1", "k1", "a1"],
  ["EVALSHA", "0123456789abcdef0123456789abcdef01234567", "1", "k1", "a1"],
  ["EVALSHA_RO", "0123456789abcdef0123456789abcdef01234567", "0"],
  ["FCALL", "fn", "2", "k1", "k2", "a"],
  ["FCALL_RO", "fn", "0", "a"],
  ["XADD", "s", "*", "f", "v"],
  [
    "XREAD",
    "COUNT",
    "2",
    "BLOCK",
    "10",
    "STREAMS",
    "s1",
    "s2",
    "s3",
    "0",
    "0",
    "0",
  ],
  ["XREAD", "STREAMS", "s1", "0"],
  [
    "XREADGROUP",
    "GROUP",
    "g",
    "c",
    "COUNT",
    "1",
    "NOACK",
    "STREAMS",
    "s1",
    "s2",
    ">",
    ">",
  ],
  ["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"],
  ["XINFO", "STREAM", "s", "FULL"],
  ["XAUTOCLAIM", "s", "g", "c", "0", "0"],
  ["OBJECT", "ENCODING", "k1"],
  ["OBJECT", "FREQ", "k1"],
  ["MEMORY", "USAGE", "k1", "SAMPLES", "5"],
  ["GEORADIUS", "g", "0", "0", "10", "km", "STORE", "dst"],
  ["GEORADIUS", "g", "0", "0", "10", "km", "STOREDIST", "dd"],
  ["GEORADIUS", "g", "0", "0", "10", "km", "WITHDIST"],
  ["GEORADIUSBYMEMBER", "g", "m", "10", "km", "COUNT", "3", "STORE", "dst"],
  ["GEOSEARCHSTORE", "dst", "src", "FROMMEMBER", "m", "BYRADIUS", "1", "km"],
  ["SPUBLISH", "channel", "message"],
  ["PING", "hello"],
  ["DBSIZE"],
  ["INFO", "server"],
];

/**
 * Commands whose keys the specs cannot express, and why: the test checks
 * the reason against the spec.
 */
const INEXPRESSIBLE: Record<string, { args: string[]; why: string }> = {
  SORT: {
    args: ["SORT", "k1", "BY", "w_*", "GET", "o_*", "STORE", "dst"],
    why: "unknown", // STORE and the BY/GET patterns have "unknown" specs
  },
  SORT_RO: { args: ["SORT_RO", "k1", "ALPHA"], why: "unknown" },
  MIGRATE: {
    args: ["MIGRATE", "h", "6379", "", "0", "5000", "KEYS", "k1", "k2"],
    why: "incomplete", // KEYS is searched from the end: a key may spell it
  },
};

describe("Command registry against a real redis-server", () => {
  let server: RedisServer;
  let redis: Client;

  before(async () => {
    server = await startRedis();
    redis = createClient(server.url);
  });

  after(async () => {
    await redis.close();
    await server.stop();
  });

  /** The server's answer, [] when it says the command has no keys. */
  async function serverKeys(args: string[]): Promise<string[]> {
    if (args.length === 1) {
      // GETKEYS wants arguments: ask whether the command has key specs.
      const [info] = await redis.send(["COMMAND", "INFO", args[0]]) as [
        unknown[],
      ];
      assert.equal((info[8] as Set<unknown>).size, 0, args[0]);
      return [];
    }
    try {
      return await redis.send(["COMMAND", "GETKEYS", ...args]) as string[];
    } catch (error) {
      if (
        error instanceof ReplyError && /no key arguments/.test(error.message)
      ) {
        return [];
      }
      throw error;
    }
  }

  test(
    "commandSpec() finds commands by string in any case and by bytes",
    T,
    () => {
      for (const name of ["get", "GET", "Get", bytes("get"), bytes("gEt")]) {
        assert.equal(commandSpec([name, "k"])?.name, "GET");
      }
      assert.equal(commandSpec([bytes("select"), "1"])?.name, "SELECT");
      assert.equal(
        commandSpec(["client", "reply", "off"])?.name,
        "CLIENT REPLY",
      );
      assert.equal(
        commandSpec(["CLIENT", bytes("No-Touch"), "on"])?.name,
        "CLIENT NO-TOUCH",
      );
      assert.equal(commandSpec(["Config", "GET", "x"])?.name, "CONFIG GET");
      assert.equal(commandSpec(["CLIENT"])?.name, "CLIENT");
    },
  );

  test("commandSpec() returns undefined for unknown commands", T, () => {
    assert.equal(commandSpec(["NOSUCHCOMMAND"]), undefined);
    assert.equal(commandSpec(["CLIENT", "NOSUCHSUB"]), undefined);
    assert.equal(commandSpec(["CLIENT", 1]), undefined);
    assert.equal(commandSpec([bytes("gét")]), undefined);
    assert.equal(commandSpec([42]), undefined);
    assert.equal(commandSpec([]), undefined);
  });

  test(
    "keyPositions() agrees with COMMAND GETKEYS on real commands",
    T,
    async () => {
      assert.ok(KEYED.length >= 50);
      for (const args of KEYED) {
        const spec = commandSpec(args);
        assert.ok(spec, args.join(" "));
        const positions = keyPositions(spec, args);
        assert.ok(positions, `${args.join(" ")}: no positions`);
        assert.deepEqual(
          positions,
          [...new Set(positions)].sort((a, b) => a - b),
          `${args.join(" ")}: positions out of order`,
        );
        // GETKEYS lists keys in spec order; compare them as multisets.
        assert.deepEqual(
          positions.map((i) => args[i]).sort(),
          (await serverKeys(args)).sort(),
          args.join(" "),
        );
      }
    },
  );

  test(
    "keyPositions() returns undefined only where the specs cannot say",
    T,
    async () => {
      for (const [name, { args, why }] of Object.entries(INEXPRESSIBLE)) {
        const spec = commandSpec(args)!;
        assert.equal(spec.name, name);
        assert.equal(keyPositions(spec, args), undefined, name);
        const reason = why === "unknown"
          ? spec.keySpecs.some((k) => k.beginSearch.type === "unknown")
          : spec.keySpecs.some((k) => k.flags.includes("incomplete"));
        assert.ok(reason, `${name} should have an ${why} key spec`);
        assert.ok((await serverKeys(args)).length > 0, name);
      }
      const covered = new Set(
        [...KEYED, ...Object.values(INEXPRESSIBLE).map((c) => c.args)]
          .map((args) => commandSpec(args)!.name),
      );
      for (const spec of allCommandSpecs()) {
        const inexpressible = spec.keySpecs.some((k) =>
          k.beginSearch.type === "unknown" || k.findKeys.type === "unknown" ||
          k.flags.includes("incomplete")
        );
        if (inexpressible) assert.ok(spec.name in INEXPRESSIBLE, spec.name);
        if (spec.movableKeys && !inexpressible) {
          assert.ok(covered.has(spec.name), `${spec.name} is not tested`);
        }
      }
    },
  );

  test(
    "keyPositions() returns undefined when the args are too short",
    T,
    () => {
      const cases = [
        ["GET"],
        ["ZUNIONSTORE", "dst", "3", "z1"],
        ["EVAL", "s", "x", "k"],
        ["LMPOP", "-1", "l1"],
      ];
      for (const args of cases) {
        assert.equal(keyPositions(commandSpec(args)!, args), undefined);
      }
    },
  );

  test(
    "keyPositions() searches backwards from a negative startfrom",
    T,
    () => {
      // MIGRATE's KEYS spec, which 7.0 flags incomplete, without the flag.
      const migrate = commandSpec(["MIGRATE"])!;
      const spec: CommandSpec = {
        ...migrate,
        keySpecs: migrate.keySpecs.map((k) => ({
          ...k,
          flags: k.flags.filter((f) => f !== "incomplete"),
        })),
      };
      const args = INEXPRESSIBLE.MIGRATE.args;
      assert.deepEqual(keyPositions(spec, args), [3, 7, 8]);
      const copy = ["MIGRATE", "h", "6379", "k", "0", "5000", "COPY"];
      assert.deepEqual(keyPositions(spec, copy), [3]);
    },
  );

  test("keyPositions() matches keywords given as bytes in any case", T, () => {
    const args = [
      "XREAD",
      bytes("block"),
      "0",
      bytes("sTrEaMs"),
      "a",
      "b",
      "0",
      "0",
    ];
    assert.deepEqual(keyPositions(commandSpec(args)!, args), [4, 5]);
  });

  test("blockTimeout() reads the timeout where COMMAND DOCS puts it", T, () => {
    const cases: [string[], number | undefined][] = [
      [["BLPOP", "k", "0"], 0],
      [["BLPOP", "k", "1.5"], 1500],
      [["BLPOP", "k", "0.29"], 290],
      [["BLMPOP", "2", "1", "k", "LEFT"], 2000],
      [["BZPOPMIN", "k", "0.25"], 250],
      [["BZMPOP", "0.5", "1", "k", "MIN"], 500],
      [["BLMOVE", "a", "b", "LEFT", "RIGHT", "2"], 2000],
      [["BRPOPLPUSH", "a", "b", "3"], 3000],
      [["XREAD", "COUNT", "1", "BLOCK", "300", "STREAMS", "s", "0"], 300],
      [["XREAD", "STREAMS", "s", "0"], undefined],
      [["XREAD", "STREAMS", "BLOCK", "0"], undefined],
      [["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"], 0],
      [["XREADGROUP", "GROUP", "g", "BLOCK", "STREAMS", "s", ">"], undefined],
      [["WAIT", "1", "500"], 500],
      [["WAITAOF", "1", "0", "250"], 250],
      [["BLPOP", "k", "-1"], 0],
      [["BLPOP", "k", "soon"], 0],
      [["GET", "k"], undefined],
    ];
    for (const [args, expected] of cases) {
      assert.equal(
        blockTimeout(commandSpec(args)!, args),
        expected,
        args.join(" "),
      );
    }
  });

  test("CommandSpec.effect comes from the overlay", T, () => {
    const effects: [string[], CommandSpec["effect"]][] = [
      [["SELECT", "1"], "select"],
      [["MULTI"], "multi"],
      [["EXEC"], "exec"],
      [["DISCARD"], "exec"],
      [["WATCH", "k"], "watch"],
      [["UNWATCH"], "unwatch"],
      [["CLIENT", "SETNAME", "n"], "setname"],
      [["CLIENT", "REPLY", "OFF"], "replymode"],
      [["CLIENT", "NO-TOUCH", "ON"], "sticky"],
      [["CLIENT", "SETINFO", "LIB-NAME", "x"], "sticky"],
      [["CLIENT", "TRACKING", "ON"], "sticky"],
      [["HELLO", "3"], "sticky"],
      [["SUBSCRIBE", "c"], "subscribe"],
      [["PSUBSCRIBE", "c*"], "subscribe"],
      [["SSUBSCRIBE", "c"], "subscribe"],
      [["UNSUBSCRIBE"], "subscribe"],
      [["PUNSUBSCRIBE"], "subscribe"],
      [["SUNSUBSCRIBE"], "subscribe"],
      [["MONITOR"], "takeover"],
      [["WAIT", "1", "0"], "ownwrites"],
      [["WAITAOF", "1", "0", "0"], "ownwrites"],
      [["CLIENT", "ID"], undefined],
      [["CLIENT", "UNBLOCK", "1"], undefined],
      [["CLIENT", "LIST"], undefined],
      [["GET", "k"], undefined],
    ];
    for (const [args, effect] of effects) {
      assert.equal(commandSpec(args)?.effect, effect, args.join(" "));
    }
    const waitaof = commandSpec(["WAITAOF"])!;
    assert.equal(waitaof.readonly || waitaof.write, false);
    assert.equal(waitaof.blocking, true);
  });

  test("CommandSpec flags and tips come from the server", T, () => {
    const get = commandSpec(["GET"])!;
    assert.ok(get.readonly && get.retrySafe && !get.write);
    assert.equal(get.keySpecs[0].access, "RO");
    const incr = commandSpec(["INCR"])!;
    assert.ok(incr.write && !incr.retrySafe && !incr.readonly);
    assert.equal(incr.keySpecs[0].access, "RW");
    assert.ok(commandSpec(["PING"])!.retrySafe);
    assert.ok(commandSpec(["ECHO", "x"])!.retrySafe);
    assert.ok(!commandSpec(["EVAL", "s", "0"])!.retrySafe);
    assert.ok(commandSpec(["TTL", "k"])!.nondeterministic);
    assert.ok(!commandSpec(["GET", "k"])!.nondeterministic);
    const dbsize = commandSpec(["DBSIZE"])!;
    assert.equal(dbsize.requestPolicy, "all_shards");
    assert.equal(dbsize.responsePolicy, "agg_sum");
    assert.equal(commandSpec(["KEYS", "*"])!.requestPolicy, "all_shards");
    assert.equal(commandSpec(["GET", "k"])!.requestPolicy, undefined);
    assert.ok(commandSpec(["BLPOP"])!.blocking);
    assert.ok(commandSpec(["WAIT"])!.blocking);
    assert.ok(commandSpec(["PUBLISH"])!.pubsub);
    assert.ok(commandSpec(["XREAD"])!.movableKeys);
    assert.ok(commandSpec(["SAVE"])!.noMulti);
    assert.ok(commandSpec(["INFO"])!.loading);
    assert.equal(commandSpec(["SET"])!.arity, -3);
    assert.equal(commandSpec(["SPUBLISH"])!.keySpecs[0].access, undefined);
    for (const spec of allCommandSpecs()) {
      if (spec.write) assert.ok(!spec.retrySafe, spec.name);
      assert.ok(Object.isFrozen(spec), spec.name);
    }
  });

  test(
    "allCommandSpecs() lists every command and subcommand the server has",
    T,
    async () => {
      const names = new Set(allCommandSpecs().map((s) => s.name));
      const count = await redis.send(["COMMAND", "COUNT"]) as number;
      const server = await redis.send(["COMMAND", "LIST"]) as string[];
      assert.ok(names.size >= count);
      for (const name of server) {
        assert.ok(names.has(name.toUpperCase().replace("|", " ")), name);
      }
      for (const name of ["CLIENT NO-TOUCH", "CLIENT SETINFO", "WAITAOF"]) {
        assert.ok(names.has(name), name);
      }
    },
  );

  test(
    "renderRegistryModule() reproduces the committed src/commands/_registry_data.ts",
    T,
    async () => {
      const { command, docs, version } = await readServerCommands(redis);
      if (version !== REDIS_VERSION) {
        assert.fail(
          `The table was generated from Redis ${REDIS_VERSION} but the test ` +
            `server is Redis ${version}: cannot check it is current`,
        );
      }
      const committed = readFileSync(
        fileURLToPath(
          new URL("../src/commands/_registry_data.ts", import.meta.url).href,
        ),
        "utf8",
      );
      assert.equal(renderRegistryModule(command, docs, version), committed);
    },
  );
});
