/**
 * Tests for the incremental RESP2/RESP3 decoder (src/resp/decode.ts). Runs
 * unchanged under `deno test` and `bun test`.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  Decoder,
  type DecoderLimits,
  type RespValue,
} from "../src/resp/decode.ts";
import { ProtocolError, RedisError, ReplyError } from "../src/errors.ts";

const textEncoder = new TextEncoder();
/** Keeps a leading U+FEFF: a value that starts with one must survive. */
const textDecoder = new TextDecoder("utf-8", { ignoreBOM: true });

function utf8(s: string): Uint8Array {
  return textEncoder.encode(s);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

type Event = ["reply", RespValue] | ["push", RespValue[]];

interface Harness {
  readonly decoder: Decoder;
  readonly events: Event[];
  /** The values delivered to handlers.reply, in order. */
  replies(): RespValue[];
}

interface HarnessOptions extends DecoderLimits {
  bytes?: boolean;
  pushBytes?: boolean;
}

function harness(options: HarnessOptions = {}): Harness {
  const events: Event[] = [];
  const { bytes = false, pushBytes = false, ...limits } = options;
  const decoder = new Decoder({
    reply: (value) => events.push(["reply", value]),
    push: (value) => events.push(["push", value]),
  }, limits);
  decoder.bytes = bytes;
  decoder.pushBytes = pushBytes;
  return {
    decoder,
    events,
    replies: () =>
      events.filter((e) => e[0] === "reply").map((e) => e[1] as RespValue),
  };
}

/** Decodes `input` fed whole and returns the single reply it holds. */
function decodeOne(input: string | Uint8Array, options?: HarnessOptions) {
  const h = harness(options);
  h.decoder.feed(typeof input === "string" ? utf8(input) : input);
  assert.equal(h.events.length, 1, "expected exactly one reply");
  assert.equal(h.events[0][0], "reply");
  assert.equal(h.decoder.pending, false);
  return h.events[0][1];
}

/**
 * A comparable form of decoded values: deepStrictEqual alone would not tell
 * a ReplyError's message apart, nor a Set's insertion order.
 */
type Canon =
  | string
  | number
  | bigint
  | boolean
  | null
  | [string, unknown];

function canon(value: unknown): Canon {
  if (value instanceof ReplyError) return ["error", value.message];
  if (value instanceof Uint8Array) return ["bytes", Array.from(value)];
  if (Array.isArray(value)) return ["array", value.map(canon)];
  if (value instanceof Map) {
    return ["map", [...value].map(([k, v]) => [canon(k), canon(v)])];
  }
  if (value instanceof Set) return ["set", [...value].map(canon)];
  if (
    value === null || typeof value === "string" ||
    typeof value === "number" || typeof value === "bigint" ||
    typeof value === "boolean"
  ) return value;
  throw new Error(`Unexpected decoded value ${String(value)}`);
}

function canonEvents(events: readonly Event[]): [string, Canon][] {
  return events.map(([kind, value]) => [kind, canon(value)]);
}

/** Feeds `chunks` one by one, overwriting each after it was fed. */
function feedAndClobber(decoder: Decoder, chunks: readonly Uint8Array[]) {
  for (const chunk of chunks) {
    const copy = chunk.slice();
    decoder.feed(copy);
    copy.fill(0x3f);
  }
}

function assertProtocolError(
  input: string | Uint8Array,
  limits: DecoderLimits = {},
  message?: RegExp,
): ProtocolError {
  const h = harness(limits);
  const bytes = typeof input === "string" ? utf8(input) : input;
  let caught: unknown;
  try {
    h.decoder.feed(bytes);
  } catch (error) {
    caught = error;
  }
  assert.ok(
    caught instanceof ProtocolError,
    `expected ProtocolError for ${JSON.stringify(String(input))}, got ${
      String(caught)
    }`,
  );
  assert.equal(caught.code, "PROTOCOL");
  if (message) assert.match(caught.message, message);
  return caught;
}

/** Feeds byte by byte and expects a ProtocolError by the end. */
function assertProtocolErrorByteByByte(input: string, limits?: DecoderLimits) {
  const h = harness(limits);
  const bytes = utf8(input);
  let caught: unknown;
  let at = -1;
  for (let i = 0; i < bytes.length && caught === undefined; i++) {
    try {
      h.decoder.feed(bytes.subarray(i, i + 1));
    } catch (error) {
      caught = error;
      at = i;
    }
  }
  assert.ok(caught instanceof ProtocolError, `got ${String(caught)}`);
  return at;
}

describe("Decoder RESP2 types", () => {
  test("Decoder.feed() decodes simple strings", () => {
    assert.equal(decodeOne("+OK\r\n"), "OK");
    assert.equal(decodeOne("+\r\n"), "");
    assert.equal(decodeOne("+héllo wörld\r\n"), "héllo wörld");
    const long = "the quick brown fox jumps over the lazy dog é 中 😀";
    assert.equal(decodeOne(`+${long}\r\n`), long);
  });

  test("Decoder.feed() delivers an error reply as a ReplyError value", () => {
    const value = decodeOne("-ERR unknown command 'FOO'\r\n");
    assert.ok(value instanceof ReplyError);
    assert.ok(value instanceof RedisError);
    assert.equal(value.code, "REPLY");
    assert.equal(value.prefix, "ERR");
    assert.equal(value.message, "ERR unknown command 'FOO'");
    const wrongType = decodeOne(
      "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    );
    assert.ok(wrongType instanceof ReplyError);
    assert.equal(wrongType.prefix, "WRONGTYPE");
    const bare = decodeOne("-NOAUTH\r\n");
    assert.ok(bare instanceof ReplyError);
    assert.equal(bare.prefix, "NOAUTH");
  });

  test("Decoder.feed() decodes integers", () => {
    assert.equal(decodeOne(":0\r\n"), 0);
    assert.equal(decodeOne(":1000\r\n"), 1000);
    assert.equal(decodeOne(":-42\r\n"), -42);
    assert.equal(decodeOne(":+7\r\n"), 7);
    assert.equal(decodeOne(":999999999999999\r\n"), 999_999_999_999_999);
    assert.equal(decodeOne(":9007199254740991\r\n"), Number.MAX_SAFE_INTEGER);
    assert.equal(
      decodeOne(":-9007199254740991\r\n"),
      Number.MIN_SAFE_INTEGER,
    );
  });

  test("Decoder.feed() decodes 64-bit integers beyond 2^53 as bigint", () => {
    assert.equal(decodeOne(":9007199254740992\r\n"), 9007199254740992n);
    assert.equal(decodeOne(":9007199254740993\r\n"), 9007199254740993n);
    assert.equal(decodeOne(":-9007199254740993\r\n"), -9007199254740993n);
    assert.equal(decodeOne(":9223372036854775807\r\n"), 2n ** 63n - 1n);
    assert.equal(decodeOne(":-9223372036854775808\r\n"), -(2n ** 63n));
  });

  test("Decoder.feed() decodes bulk strings", () => {
    assert.equal(decodeOne("$5\r\nhello\r\n"), "hello");
    assert.equal(decodeOne("$0\r\n\r\n"), "");
    assert.equal(decodeOne("$4\r\na\r\nb\r\n"), "a\r\nb");
    assert.equal(decodeOne("$9\r\nhé中llo\r\n"), "hé中llo");
    const long = "é".repeat(1000) + "😀";
    assert.equal(decodeOne(`$${utf8(long).length}\r\n${long}\r\n`), long);
  });

  test("Decoder.feed() keeps a leading U+FEFF in strings", () => {
    // A byte order mark is data in Redis, not an encoding hint.
    assert.equal(decodeOne("$3\r\n\uFEFF\r\n"), "\uFEFF");
    assert.equal(decodeOne("$4\r\n\uFEFFa\r\n"), "\uFEFFa");
    const long = "\uFEFF" + "x".repeat(40);
    assert.equal(decodeOne(`$43\r\n${long}\r\n`), long);
    assert.equal(decodeOne("+\uFEFFok\r\n"), "\uFEFFok");
    assert.equal(decodeOne("=7\r\ntxt:\uFEFF\r\n"), "\uFEFF");
    const error = decodeOne("!6\r\n\uFEFFERR\r\n");
    assert.ok(error instanceof ReplyError);
    assert.equal(error.message, "\uFEFFERR");
  });

  test("Decoder.feed() decodes a null bulk string and a null array as null", () => {
    assert.equal(decodeOne("$-1\r\n"), null);
    assert.equal(decodeOne("*-1\r\n"), null);
  });

  test("Decoder.feed() decodes empty and nested arrays", () => {
    assert.deepEqual(decodeOne("*0\r\n"), []);
    assert.deepEqual(decodeOne("*3\r\n:1\r\n:2\r\n:3\r\n"), [1, 2, 3]);
    assert.deepEqual(
      decodeOne(
        "*3\r\n*2\r\n:1\r\n$3\r\nfoo\r\n*0\r\n*2\r\n$-1\r\n*1\r\n*-1\r\n",
      ),
      [[1, "foo"], [], [null, [null]]],
    );
    const error = decodeOne("*2\r\n+OK\r\n-ERR x\r\n");
    assert.ok(Array.isArray(error) && error[1] instanceof ReplyError);
  });

  test("Decoder.feed() decodes deep nesting up to the default maxDepth of 64", () => {
    const depth = 64;
    const value = decodeOne("*1\r\n".repeat(depth) + ":7\r\n");
    let inner: RespValue = value;
    for (let i = 0; i < depth; i++) {
      assert.ok(Array.isArray(inner) && inner.length === 1);
      inner = inner[0];
    }
    assert.equal(inner, 7);
  });

  test("Decoder.feed() delivers pipelined replies in order", () => {
    const h = harness();
    h.decoder.feed(utf8("+OK\r\n:1\r\n$1\r\na\r\n*1\r\n+b\r\n-ERR e\r\n"));
    assert.deepEqual(canonEvents(h.events), [
      ["reply", "OK"],
      ["reply", 1],
      ["reply", "a"],
      ["reply", ["array", ["b"]]],
      ["reply", ["error", "ERR e"]],
    ]);
  });
});

describe("Decoder RESP3 types", () => {
  test("Decoder.feed() decodes a map as a Map", () => {
    const value = decodeOne(
      "%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n*1\r\n:2\r\n",
    );
    assert.ok(value instanceof Map);
    assert.deepEqual(
      value,
      new Map<RespValue, RespValue>([["first", 1], ["second", [2]]]),
    );
    assert.deepEqual(decodeOne("%0\r\n"), new Map());
    const nested = decodeOne("%1\r\n%1\r\n:1\r\n:2\r\n~1\r\n#t\r\n");
    assert.ok(nested instanceof Map);
    const [[key, val]] = [...nested];
    assert.deepEqual(key, new Map([[1, 2]]));
    assert.deepEqual(val, new Set([true]));
  });

  test("Decoder.flat returns maps as flat arrays of keys and values, and leaves pushes as they are", () => {
    const h = harness();
    h.decoder.flat = true;
    h.decoder.feed(utf8(
      "%2\r\n$1\r\na\r\n%1\r\n+x\r\n:1\r\n$1\r\nb\r\n%0\r\n" +
        ">2\r\n$7\r\nmessage\r\n%1\r\n+k\r\n+v\r\n",
    ));
    assert.deepEqual(h.events, [
      ["reply", ["a", ["x", 1], "b", []]],
      ["push", ["message", new Map([["k", "v"]])]],
    ]);
    h.decoder.flat = false;
    h.decoder.feed(utf8("%1\r\n+a\r\n:1\r\n"));
    assert.deepEqual(h.replies()[1], new Map([["a", 1]]));
  });

  test("Decoder.feed() decodes map keys to the same strings when many keys share the key cache's slots", () => {
    // 3,000 distinct short keys (ASCII, multi-byte, invalid UTF-8, at and
    // past the cached length) over 1,024 slots: every slot is contended, so
    // a key found by a wrong match would show.
    const keys: Uint8Array[] = [];
    for (let i = 0; i < 3000; i++) {
      const text = i % 3 === 0 ? `f:${i}` : i % 3 === 1 ? `é✓${i}` : "",
        bytes = text !== "" ? utf8(text) : concat([
          new Uint8Array([0xff]),
          utf8(String(i)),
          new Uint8Array([0xc3]),
        ]);
      keys.push(i % 100 === 0 ? concat([bytes, utf8("x".repeat(21))]) : bytes);
    }
    const encode = (order: number[]) =>
      concat([
        utf8(`%${order.length}\r\n`),
        ...order.flatMap((i) => [
          utf8(`$${keys[i].length}\r\n`),
          keys[i],
          utf8(`\r\n:${i}\r\n`),
        ]),
      ]);
    const forward = keys.map((_, i) => i);
    const shuffled = forward.map((i) => (i * 7919) % keys.length);
    for (const order of [forward, shuffled, forward]) {
      const value = decodeOne(encode(order));
      assert.ok(value instanceof Map);
      assert.deepEqual(
        [...value],
        order.map((i) => [textDecoder.decode(keys[i]), i]),
      );
    }
  });

  test("Decoder.feed() decodes a set as a Set", () => {
    const value = decodeOne("~3\r\n+a\r\n:1\r\n$1\r\nb\r\n");
    assert.ok(value instanceof Set);
    assert.deepEqual([...value], ["a", 1, "b"]);
    assert.deepEqual(decodeOne("~0\r\n"), new Set());
  });

  test("Decoder.feed() drops an attribute and delivers the value after it", () => {
    // The example from the RESP3 specification.
    assert.deepEqual(
      decodeOne(
        "|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n" +
          "*2\r\n:2039123\r\n:9543892\r\n",
      ),
      [2039123, 9543892],
    );
    assert.equal(decodeOne("|0\r\n+OK\r\n"), "OK");
    assert.equal(decodeOne("|1\r\n+a\r\n+b\r\n|1\r\n+c\r\n+d\r\n:5\r\n"), 5);
    // Inside an aggregate the attribute is not an element.
    assert.deepEqual(
      decodeOne(
        "*2\r\n|1\r\n+ttl\r\n:3\r\n:1\r\n|1\r\n+x\r\n*1\r\n+y\r\n:2\r\n",
      ),
      [1, 2],
    );
    assert.deepEqual(
      decodeOne("%1\r\n|1\r\n+a\r\n+b\r\n+k\r\n|1\r\n+a\r\n+b\r\n+v\r\n"),
      new Map([["k", "v"]]),
    );
  });

  test("Decoder.feed() sends a push to handlers.push, not handlers.reply", () => {
    const h = harness();
    h.decoder.feed(
      utf8(
        "+before\r\n>3\r\n+message\r\n$4\r\nnews\r\n$5\r\nhello\r\n:1\r\n" +
          "|1\r\n+a\r\n+b\r\n>2\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n+after\r\n",
      ),
    );
    assert.deepEqual(canonEvents(h.events), [
      ["reply", "before"],
      ["push", ["array", ["message", "news", "hello"]]],
      ["reply", 1],
      ["push", ["array", ["invalidate", ["array", ["k"]]]]],
      ["reply", "after"],
    ]);
    assert.ok(Array.isArray(h.events[1][1]));
  });

  test("Decoder.feed() decodes a push nested in a reply as an array", () => {
    const h = harness();
    h.decoder.feed(utf8("*1\r\n>1\r\n+x\r\n"));
    assert.deepEqual(canonEvents(h.events), [
      ["reply", ["array", [["array", ["x"]]]]],
    ]);
  });

  test("Decoder.feed() decodes doubles", () => {
    const cases: [string, number][] = [
      ["1.23", 1.23],
      ["-4.5", -4.5],
      ["10", 10],
      ["0", 0],
      ["3.14e2", 314],
      ["1e-3", 0.001],
      ["-2.5E+10", -2.5e10],
      ["1.7976931348623157e308", Number.MAX_VALUE],
      ["inf", Infinity],
      ["+inf", Infinity],
      ["-inf", -Infinity],
    ];
    for (const [text, n] of cases) assert.equal(decodeOne(`,${text}\r\n`), n);
    assert.ok(Number.isNaN(decodeOne(",nan\r\n")));
  });

  test("Decoder.feed() decodes booleans and the RESP3 null", () => {
    assert.equal(decodeOne("#t\r\n"), true);
    assert.equal(decodeOne("#f\r\n"), false);
    assert.equal(decodeOne("_\r\n"), null);
  });

  test("Decoder.feed() decodes big numbers as bigint", () => {
    assert.equal(
      decodeOne("(3492890328409238509324850943850943825024385\r\n"),
      3492890328409238509324850943850943825024385n,
    );
    assert.equal(decodeOne("(-1\r\n"), -1n);
    assert.equal(decodeOne("(0\r\n"), 0n);
  });

  test("Decoder.feed() strips the format prefix of a verbatim string", () => {
    assert.equal(decodeOne("=15\r\ntxt:Some string\r\n"), "Some string");
    assert.equal(decodeOne("=4\r\nmkd:\r\n"), "");
    assert.equal(decodeOne("=8\r\ntxt:a\r\nb\r\n"), "a\r\nb");
    assert.deepEqual(
      decodeOne("=15\r\ntxt:Some string\r\n", { bytes: true }),
      utf8("Some string"),
    );
  });

  test("Decoder.feed() delivers a blob error as a ReplyError value", () => {
    const value = decodeOne("!21\r\nSYNTAX invalid syntax\r\n");
    assert.ok(value instanceof ReplyError);
    assert.equal(value.prefix, "SYNTAX");
    assert.equal(value.message, "SYNTAX invalid syntax");
    const withCrlf = decodeOne("!8\r\nERR a\r\nb\r\n");
    assert.ok(withCrlf instanceof ReplyError);
    assert.equal(withCrlf.message, "ERR a\r\nb");
  });
});

describe("Decoder bytes and pushBytes", () => {
  test("Decoder.bytes makes bulk strings Uint8Array", () => {
    const value = decodeOne("$5\r\nhello\r\n", { bytes: true });
    assert.ok(value instanceof Uint8Array);
    assert.deepEqual(value, utf8("hello"));
    const binary = concat([
      utf8("$4\r\n"),
      new Uint8Array([0xff, 0x00, 13, 10]),
      utf8("\r\n"),
    ]);
    assert.deepEqual(
      decodeOne(binary, { bytes: true }),
      new Uint8Array([0xff, 0x00, 13, 10]),
    );
    assert.deepEqual(
      decodeOne("*3\r\n$1\r\na\r\n+simple\r\n%1\r\n$1\r\nk\r\n$1\r\nv\r\n", {
        bytes: true,
      }),
      [
        utf8("a"),
        "simple",
        new Map([[utf8("k"), utf8("v")]]),
      ],
    );
    assert.equal(decodeOne("$-1\r\n", { bytes: true }), null);
    assert.deepEqual(
      decodeOne("$0\r\n\r\n", { bytes: true }),
      new Uint8Array(),
    );
  });

  test("Decoder.bytes applies per top-level reply", () => {
    const h = harness();
    h.decoder.bytes = true;
    h.decoder.feed(utf8("$1\r\na\r\n"));
    h.decoder.bytes = false;
    h.decoder.feed(utf8("$1\r\nb\r\n"));
    assert.deepEqual(h.replies(), [utf8("a"), "b"]);
  });

  test("Decoder.feed() copies bulk bytes, so mutating the fed chunk later changes nothing", () => {
    const input = utf8("$5\r\nhello\r\n*2\r\n$3\r\nabc\r\n$3\r\nxyz\r\n");
    // Fed whole (values taken straight from the chunk).
    const whole = harness({ bytes: true });
    const chunk = input.slice();
    whole.decoder.feed(chunk);
    chunk.fill(0);
    assert.deepEqual(whole.replies(), [utf8("hello"), [
      utf8("abc"),
      utf8("xyz"),
    ]]);
    // Fed in pieces (values taken from the decoder's own buffer).
    for (let cut = 1; cut < input.length; cut++) {
      const split = harness({ bytes: true });
      feedAndClobber(split.decoder, [
        input.subarray(0, cut),
        input.subarray(cut),
      ]);
      assert.deepEqual(split.replies(), [utf8("hello"), [
        utf8("abc"),
        utf8("xyz"),
      ]]);
    }
    // A reply kept across feeds is not changed by a later feed either.
    const later = harness({ bytes: true });
    const scratch = new Uint8Array(64);
    scratch.set(utf8("$3\r\nabc\r\n$3\r\nd"));
    later.decoder.feed(scratch.subarray(0, 14));
    scratch.set(utf8("ef\r\n"));
    later.decoder.feed(scratch.subarray(0, 4));
    scratch.fill(0);
    assert.deepEqual(later.replies(), [utf8("abc"), utf8("def")]);
  });

  test("Decoder.pushBytes makes bulk strings of push messages Uint8Array", () => {
    const input = utf8(
      ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nhi\r\n$2\r\nok\r\n",
    );
    const pushOnly = harness({ pushBytes: true });
    pushOnly.decoder.feed(input);
    assert.deepEqual(canonEvents(pushOnly.events), [
      ["push", ["array", [
        ["bytes", Array.from(utf8("message"))],
        ["bytes", Array.from(utf8("c"))],
        ["bytes", Array.from(utf8("hi"))],
      ]]],
      ["reply", "ok"],
    ]);
    const replyOnly = harness({ bytes: true });
    replyOnly.decoder.feed(input);
    assert.deepEqual(canonEvents(replyOnly.events), [
      ["push", ["array", ["message", "c", "hi"]]],
      ["reply", ["bytes", Array.from(utf8("ok"))]],
    ]);
  });

  test("Decoder.pending reports a partly received reply", () => {
    const h = harness();
    assert.equal(h.decoder.pending, false);
    h.decoder.feed(utf8("*2\r\n:1\r\n"));
    assert.equal(h.decoder.pending, true);
    h.decoder.feed(utf8(":2\r\n"));
    assert.equal(h.decoder.pending, false);
    h.decoder.feed(utf8("$5\r\nhel"));
    assert.equal(h.decoder.pending, true);
    h.decoder.feed(utf8("lo\r\n"));
    assert.equal(h.decoder.pending, false);
    assert.deepEqual(h.replies(), [[1, 2], "hello"]);
  });
});

/** One reply of every type, RESP2 and RESP3, pipelined together. */
const SAMPLE = [
  "+OK\r\n",
  "-ERR something bad\r\n",
  ":0\r\n",
  ":-123456\r\n",
  ":12345678901234567890\r\n",
  "$5\r\nhello\r\n",
  "$0\r\n\r\n",
  "$-1\r\n",
  "$6\r\nab\r\ncd\r\n",
  "$6\r\nhé中\r\n",
  "*-1\r\n",
  "*0\r\n",
  "*3\r\n:1\r\n*2\r\n$1\r\na\r\n$-1\r\n*0\r\n",
  "%2\r\n+k1\r\n:1\r\n$2\r\nk2\r\n*2\r\n#t\r\n_\r\n",
  "~3\r\n+x\r\n:2\r\n,2.5\r\n",
  "|1\r\n+meta\r\n%1\r\n+a\r\n:1\r\n$3\r\nval\r\n",
  ">3\r\n+message\r\n$4\r\nchan\r\n$7\r\npayload\r\n",
  ",3.14\r\n",
  ",-1.5e-3\r\n",
  ",inf\r\n",
  ",-inf\r\n",
  ",nan\r\n",
  "#t\r\n",
  "#f\r\n",
  "_\r\n",
  "(3492890328409238509324850943850943825024385\r\n",
  "=15\r\ntxt:Some string\r\n",
  "!21\r\nSYNTAX invalid syntax\r\n",
  "*2\r\n|1\r\n+a\r\n+b\r\n%1\r\n=7\r\ntxt:key\r\n!3\r\nERR\r\n>1\r\n+p\r\n",
  `$${"x".repeat(300).length}\r\n${"x".repeat(300)}\r\n`,
  "+last\r\n",
].join("");

const SAMPLE_BYTES = utf8(SAMPLE);

function decodeSample(
  chunks: readonly Uint8Array[],
  options?: HarnessOptions,
): [string, Canon][] {
  const h = harness(options);
  feedAndClobber(h.decoder, chunks);
  assert.equal(h.decoder.pending, false);
  return canonEvents(h.events);
}

describe("Decoder chunk boundaries", () => {
  test("Decoder.feed() decodes the sample stream fed whole", () => {
    const events = decodeSample([SAMPLE_BYTES]);
    assert.equal(events.length, 31);
    assert.deepEqual(events.slice(0, 12), [
      ["reply", "OK"],
      ["reply", ["error", "ERR something bad"]],
      ["reply", 0],
      ["reply", -123456],
      ["reply", 12345678901234567890n],
      ["reply", "hello"],
      ["reply", ""],
      ["reply", null],
      ["reply", "ab\r\ncd"],
      ["reply", "hé中"],
      ["reply", null],
      ["reply", ["array", []]],
    ]);
    assert.deepEqual(events[16], [
      "push",
      ["array", ["message", "chan", "payload"]],
    ]);
    assert.deepEqual(events[28], [
      "reply",
      ["array", [["map", [["key", ["error", "ERR"]]]], ["array", ["p"]]]],
    ]);
    assert.deepEqual(events[30], ["reply", "last"]);
  });

  for (const options of [{}, { bytes: true, pushBytes: true }]) {
    const label = options.bytes ? " with bytes" : "";
    test(`Decoder.feed() delivers the same values split at every byte${label}`, () => {
      const whole = decodeSample([SAMPLE_BYTES], options);
      for (let cut = 0; cut <= SAMPLE_BYTES.length; cut++) {
        assert.deepEqual(
          decodeSample(
            [SAMPLE_BYTES.subarray(0, cut), SAMPLE_BYTES.subarray(cut)],
            options,
          ),
          whole,
          `split at ${cut}`,
        );
      }
    });

    test(`Decoder.feed() delivers the same values fed one byte at a time${label}`, () => {
      const whole = decodeSample([SAMPLE_BYTES], options);
      const bytes: Uint8Array[] = [];
      for (let i = 0; i < SAMPLE_BYTES.length; i++) {
        bytes.push(SAMPLE_BYTES.subarray(i, i + 1));
      }
      assert.deepEqual(decodeSample(bytes, options), whole);
    });
  }

  test("Decoder.feed() delivers the same values split at every pair of points", () => {
    const whole = decodeSample([SAMPLE_BYTES]);
    // Every pair would be ~400k decodes; a stride keeps it to a few thousand.
    const n = SAMPLE_BYTES.length;
    for (let a = 0; a < n; a += 7) {
      for (let b = a; b <= n; b += 11) {
        assert.deepEqual(
          decodeSample([
            SAMPLE_BYTES.subarray(0, a),
            SAMPLE_BYTES.subarray(a, b),
            SAMPLE_BYTES.subarray(b),
          ]),
          whole,
          `split at ${a} and ${b}`,
        );
      }
    }
  });

  test("Decoder.feed() accepts empty chunks anywhere", () => {
    const whole = decodeSample([SAMPLE_BYTES]);
    const chunks: Uint8Array[] = [new Uint8Array(0)];
    for (let i = 0; i < SAMPLE_BYTES.length; i += 5) {
      chunks.push(SAMPLE_BYTES.subarray(i, i + 5), new Uint8Array(0));
    }
    assert.deepEqual(decodeSample(chunks), whole);
  });
});

describe("Decoder malformed input", () => {
  test("Decoder.feed() throws ProtocolError for an unknown type byte", () => {
    for (const input of ["?abc\r\n", "x\r\n", "\r\n", "\0\r\n", "OK\r\n"]) {
      assertProtocolError(input, {}, /RESP type/);
    }
    assertProtocolError("*2\r\n:1\r\n@\r\n");
    assertProtocolError(new Uint8Array([0xff, 13, 10]));
    // RESP3 streamed string parts are not a type of their own.
    assertProtocolError(";4\r\nabcd\r\n");
  });

  test("Decoder.feed() throws ProtocolError for CR without LF", () => {
    assertProtocolError("+OK\rX\n");
    assertProtocolError("+OK\r\r\n");
    assertProtocolError(":1\r:2\r\n");
    assertProtocolError("$3\rabc\r\n");
    assertProtocolErrorByteByByte("+OK\rX");
  });

  test("Decoder.feed() throws ProtocolError for lengths that are not decimal numbers", () => {
    for (
      const input of [
        "$abc\r\n",
        "$\r\n",
        "$ 5\r\n",
        "$5 \r\n",
        "$1.5\r\n",
        "$+5\r\n",
        "$0x10\r\n",
        "*1x\r\n",
        "*\r\n",
        "%a\r\n",
        "~\r\n",
        ">z\r\n",
        "|!\r\n",
        "=x\r\n",
        "!\r\n",
        "$99999999999999999999\r\n",
      ]
    ) assertProtocolError(input);
  });

  test("Decoder.feed() throws ProtocolError for negative lengths other than -1", () => {
    for (
      const input of [
        "$-2\r\n",
        "$-10\r\n",
        "$-\r\n",
        "$--1\r\n",
        "*-2\r\n",
        "*-100\r\n",
        "%-1\r\n",
        "~-1\r\n",
        ">-1\r\n",
        "|-1\r\n",
      ]
    ) assertProtocolError(input);
  });

  test("Decoder.feed() throws ProtocolError for a bulk string not followed by CRLF", () => {
    assertProtocolError("$3\r\nabcd\r\n");
    assertProtocolError("$3\r\nabc\n\r");
    assertProtocolError("$3\r\nabcXY");
    assertProtocolError("$0\r\nX\r\n");
    assertProtocolError("=8\r\ntxt:abcd--");
    assertProtocolError("!3\r\nERR\n\n");
    assertProtocolErrorByteByByte("*2\r\n$1\r\na\r\n$2\r\nbcd\r\n");
  });

  test("Decoder.feed() throws ProtocolError for a boolean other than t or f", () => {
    for (const input of ["#x\r\n", "#\r\n", "#tt\r\n", "#T\r\n", "#1\r\n"]) {
      assertProtocolError(input, {}, /boolean/);
    }
  });

  test("Decoder.feed() throws ProtocolError for a bad double", () => {
    for (
      const input of [
        ",abc\r\n",
        ",\r\n",
        ",1.2.3\r\n",
        ",1e\r\n",
        ",--1\r\n",
        ", \r\n",
        ", 1\r\n",
        ",0x10\r\n",
        ",Infinity\r\n",
        ",1_000\r\n",
      ]
    ) assertProtocolError(input, {}, /double/);
  });

  test("Decoder.feed() throws ProtocolError for bad integers, big numbers, nulls and verbatim strings", () => {
    for (
      const input of [
        ":\r\n",
        ":-\r\n",
        ":abc\r\n",
        ":1.5\r\n",
        ": 1\r\n",
        ":12345678901234567890x\r\n",
        "(\r\n",
        "(12a\r\n",
        "(1.0\r\n",
        "_x\r\n",
        "=3\r\nabc\r\n",
        "=4\r\ntxt-\r\n",
      ]
    ) assertProtocolError(input);
  });

  test("Decoder.feed() refuses streamed strings and aggregates", () => {
    for (
      const input of [
        "$?\r\n",
        "*?\r\n",
        "%?\r\n",
        "~?\r\n",
        "=?\r\n",
        ">?\r\n",
      ]
    ) {
      assertProtocolError(input, {}, /streamed aggregates .*not supported/);
    }
  });

  test("Decoder.feed() throws ProtocolError for nesting beyond maxDepth", () => {
    const ok = harness({ maxDepth: 3 });
    ok.decoder.feed(utf8("*1\r\n%1\r\n+k\r\n~1\r\n:1\r\n"));
    assert.deepEqual(canonEvents(ok.events), [
      ["reply", ["array", [["map", [["k", ["set", [1]]]]]]]],
    ]);
    assertProtocolError(
      "*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n",
      { maxDepth: 3 },
      /maxDepth/,
    );
    assertProtocolError("*1\r\n".repeat(65) + ":1\r\n", {}, /maxDepth/);
    // Refused from the headers alone, before any element arrives.
    assertProtocolError(
      "*1\r\n%1\r\n~1\r\n>1\r\n",
      { maxDepth: 3 },
      /maxDepth/,
    );
  });

  test("Decoder.feed() refuses a bulk string beyond maxBulkLength from its header alone", () => {
    assertProtocolError(
      "$999999999999\r\n",
      { maxBulkLength: 1024 },
      /maxBulkLength/,
    );
    assertProtocolError("$1025\r\n", { maxBulkLength: 1024 }, /maxBulkLength/);
    assertProtocolError("=2000\r\n", { maxBulkLength: 1024 }, /maxBulkLength/);
    assertProtocolError("!2000\r\n", { maxBulkLength: 1024 }, /maxBulkLength/);
    assertProtocolError(
      "*1\r\n$1025\r\n",
      { maxBulkLength: 1024 },
      /maxBulkLength/,
    );
    // The default limit (512 MiB) too, without allocating for the body.
    assertProtocolError("$999999999999\r\n", {}, /maxBulkLength/);
    const at = assertProtocolErrorByteByByte("$1025\r\n", {
      maxBulkLength: 1024,
    });
    assert.equal(at, 6, "refused as soon as the header's LF arrived");
    const ok = harness({ maxBulkLength: 1024 });
    ok.decoder.feed(utf8(`$1024\r\n${"a".repeat(1024)}\r\n`));
    assert.equal(ok.replies()[0], "a".repeat(1024));
  });

  test("Decoder.feed() refuses an aggregate beyond maxAggregateLength from its header alone", () => {
    assertProtocolError(
      "*11\r\n",
      { maxAggregateLength: 10 },
      /maxAggregateLength/,
    );
    assertProtocolError(
      "%11\r\n",
      { maxAggregateLength: 10 },
      /maxAggregateLength/,
    );
    assertProtocolError(
      "~11\r\n",
      { maxAggregateLength: 10 },
      /maxAggregateLength/,
    );
    assertProtocolError(
      ">11\r\n",
      { maxAggregateLength: 10 },
      /maxAggregateLength/,
    );
    assertProtocolError(
      "|11\r\n",
      { maxAggregateLength: 10 },
      /maxAggregateLength/,
    );
    assertProtocolError("*4294967296\r\n", {}, /maxAggregateLength/);
    const ok = harness({ maxAggregateLength: 10 });
    ok.decoder.feed(utf8("*10\r\n" + ":1\r\n".repeat(10)));
    assert.equal((ok.replies()[0] as RespValue[]).length, 10);
  });

  test("Decoder.feed() refuses a line longer than maxLineLength whether or not its CRLF arrived", () => {
    const line = "+" + "a".repeat(100) + "\r\n";
    assertProtocolError(line, { maxLineLength: 64 }, /longer than 64/);
    assertProtocolError(`*2\r\n:1\r\n${line}`, { maxLineLength: 64 });
    assertProtocolError(":" + "1".repeat(70) + "\r\n", { maxLineLength: 64 });
    assertProtocolErrorByteByByte(line, { maxLineLength: 64 });
    // The limit is on the line before its CRLF, type byte included.
    assert.equal(
      decodeOne("+" + "a".repeat(63) + "\r\n", { maxLineLength: 64 }),
      "a".repeat(63),
    );
    assertProtocolError("+" + "a".repeat(64) + "\r\n", { maxLineLength: 64 });
    // A bulk string's body is not a line.
    const body = "b".repeat(1000);
    assert.equal(
      decodeOne(`$1000\r\n${body}\r\n`, { maxLineLength: 64 }),
      body,
    );
  });

  test("Decoder.feed() refuses a line longer than maxLineLength without CRLF", () => {
    assertProtocolError(
      "+" + "a".repeat(100),
      { maxLineLength: 64 },
      /maxLineLength|longer/,
    );
    assertProtocolError("$" + "1".repeat(100), { maxLineLength: 64 });
    assertProtocolError("+OK\r\n:" + "1".repeat(100), { maxLineLength: 64 });
    const at = assertProtocolErrorByteByByte("-" + "e".repeat(200), {
      maxLineLength: 64,
    });
    assert.ok(at <= 66, `refused only at byte ${at}`);
    // A line up to the limit waits for its CRLF.
    const ok = harness({ maxLineLength: 64 });
    ok.decoder.feed(utf8("+" + "a".repeat(63)));
    ok.decoder.feed(utf8("\r\n"));
    assert.deepEqual(ok.replies(), ["a".repeat(63)]);
  });

  test("Decoder.feed() delivers the replies before a malformed one, then throws", () => {
    const h = harness();
    assert.throws(
      () => h.decoder.feed(utf8("+OK\r\n:1\r\n*2\r\n:2\r\n?\r\n")),
      ProtocolError,
    );
    assert.deepEqual(h.replies(), ["OK", 1]);
  });

  test("Decoder.feed() throws the same ProtocolError on every feed after one", () => {
    const h = harness();
    let first: unknown;
    try {
      h.decoder.feed(utf8("*1\r\n#x\r\n"));
    } catch (error) {
      first = error;
    }
    assert.ok(first instanceof ProtocolError);
    for (const input of ["+OK\r\n", "", "$5\r\nhello\r\n"]) {
      assert.throws(
        () => h.decoder.feed(utf8(input)),
        (error) => error === first,
      );
    }
    assert.deepEqual(h.events, []);
  });

  test("Decoder.reset() makes the decoder usable again", () => {
    const h = harness();
    assert.throws(() => h.decoder.feed(utf8("$-5\r\n")), ProtocolError);
    h.decoder.reset();
    h.decoder.feed(utf8("+OK\r\n"));
    assert.deepEqual(h.replies(), ["OK"]);
    // reset() also drops a partly received reply.
    h.decoder.feed(utf8("*3\r\n:1\r\n$10\r\nabc"));
    assert.equal(h.decoder.pending, true);
    h.decoder.reset();
    assert.equal(h.decoder.pending, false);
    h.decoder.feed(utf8("$3\r\nnew\r\n"));
    assert.deepEqual(h.replies(), ["OK", "new"]);
  });

  test("new Decoder() throws RangeError for a limit that is not a positive integer", () => {
    const handlers = { reply() {}, push() {} };
    for (
      const limits of [
        { maxDepth: 0 },
        { maxBulkLength: -1 },
        { maxAggregateLength: 1.5 },
        { maxLineLength: NaN },
        { maxBulkLength: Infinity },
      ]
    ) assert.throws(() => new Decoder(handlers, limits), RangeError);
  });
});

describe("Decoder large replies", () => {
  function feedInChunks(decoder: Decoder, bytes: Uint8Array, size: number) {
    for (let at = 0; at < bytes.length; at += size) {
      decoder.feed(bytes.subarray(at, at + size));
    }
  }

  test(
    "Decoder.feed() decodes an array of 200,000 bulk strings fed in 64 KiB chunks",
    {
      timeout: 30_000,
    },
    () => {
      const count = 200_000;
      const parts = [`*${count}\r\n`];
      for (let i = 0; i < count; i++) {
        const s = `v${i}`;
        parts.push(`$${s.length}\r\n${s}\r\n`);
      }
      const h = harness();
      feedInChunks(h.decoder, utf8(parts.join("")), 65_536);
      const [value] = h.replies();
      assert.ok(Array.isArray(value));
      assert.equal(value.length, count);
      assert.equal(value[0], "v0");
      assert.equal(value[123_456], "v123456");
      assert.equal(value[count - 1], `v${count - 1}`);
      assert.equal(h.decoder.pending, false);
    },
  );

  test("Decoder.feed() decodes a 20 MiB bulk string fed in 64 KiB chunks", {
    timeout: 30_000,
  }, () => {
    const size = 20 * 1024 * 1024;
    const header = utf8(`$${size}\r\n`);
    const input = new Uint8Array(header.length + size + 2 + 5);
    input.set(header);
    for (let i = 0; i < size; i++) input[header.length + i] = (i * 31) & 0xff;
    input.set(utf8("\r\n+OK\r\n"), header.length + size);
    const h = harness({ bytes: true });
    feedInChunks(h.decoder, input, 65_536);
    const [value, ok] = h.replies();
    assert.ok(value instanceof Uint8Array);
    assert.equal(value.length, size);
    assert.deepEqual(
      value,
      input.subarray(header.length, header.length + size),
    );
    assert.equal(ok, "OK");
    // The same as text.
    const text = harness();
    const ascii = input.slice();
    for (let i = 0; i < size; i++) ascii[header.length + i] = 97 + (i % 26);
    feedInChunks(text.decoder, ascii, 65_536);
    const [s] = text.replies();
    assert.equal(typeof s, "string");
    assert.equal((s as string).length, size);
    assert.equal((s as string).slice(0, 28), "abcdefghijklmnopqrstuvwxyzab");
  });

  test(
    "Decoder.feed() decodes 100,000 pipelined replies fed in 64 KiB chunks",
    {
      timeout: 30_000,
    },
    () => {
      const parts: string[] = [];
      for (let i = 0; i < 100_000; i++) {
        parts.push(
          i % 2 === 0 ? "+OK\r\n" : `$${String(i).length}\r\n${i}\r\n`,
        );
      }
      const h = harness();
      feedInChunks(h.decoder, utf8(parts.join("")), 65_536);
      const replies = h.replies();
      assert.equal(replies.length, 100_000);
      assert.equal(replies[0], "OK");
      assert.equal(replies[99_999], "99999");
    },
  );
});

describe("Decoder lines dripped one byte per chunk", () => {
  /** Feeds `bytes` one byte per chunk, as a server trickling a reply would. */
  function drip(decoder: Decoder, bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      decoder.feed(bytes.subarray(i, i + 1));
    }
  }

  test(
    "Decoder.feed() decodes a 1,000,000-byte simple string dripped one byte per chunk in linear time",
    { timeout: 60_000 },
    () => {
      // Why a quadratic decoder cannot pass: searching the kept line for its
      // CR from the start on every chunk examines about n^2/2 = 5e11 bytes
      // for this line. A JavaScript byte loop manages a few 1e9 a second at
      // best (0.4e9 on the machine this was written on), so that takes
      // minutes, and the budget below runs out long before the last byte:
      // on any machine slower than 25e9 bytes a second. A linear decoder
      // examines each byte about once and took 0.2 s on that machine under
      // Deno, Bun and Node alike: the budget leaves it a margin of 100 times.
      const budgetMs = 20_000;
      const length = 1_000_000; // under the default maxLineLength of 1 MiB
      const bytes = new Uint8Array(length + 3);
      bytes[0] = 43; // '+'
      for (let i = 1; i <= length; i++) bytes[i] = 97 + (i % 26);
      bytes[length + 1] = 13;
      bytes[length + 2] = 10;
      const h = harness();
      const started = performance.now();
      for (let at = 0; at < bytes.length; at += 65_536) {
        drip(h.decoder, bytes.subarray(at, at + 65_536));
        const elapsed = performance.now() - started;
        assert.ok(
          elapsed < budgetMs,
          `fed only ${at + 65_536} bytes in ${Math.round(elapsed)} ms`,
        );
      }
      const [value] = h.replies();
      assert.equal(typeof value, "string");
      assert.equal((value as string).length, length);
      assert.equal(value, textDecoder.decode(bytes.subarray(1, length + 1)));
      assert.equal(h.decoder.pending, false);
    },
  );

  test("Decoder.feed() decodes a bulk string whose length header is dripped one byte per chunk", () => {
    const body = "v".repeat(123_456);
    const h = harness();
    drip(h.decoder, utf8("$123456\r\n"));
    assert.equal(h.decoder.pending, true);
    h.decoder.feed(utf8(`${body}\r\n`));
    // The same inside an array, after an element already decoded, with the
    // body dripped as well.
    drip(h.decoder, utf8("*3\r\n:7\r\n$5\r\nhello\r\n$-1\r\n"));
    assert.deepEqual(h.replies(), [body, [7, "hello", null]]);
    assert.equal(h.decoder.pending, false);
  });

  test("Decoder.feed() decodes a long error line dripped one byte per chunk", () => {
    const message = "ERR " + "e".repeat(100_000);
    const h = harness();
    drip(h.decoder, utf8(`-${message}\r\n+OK\r\n`));
    const [error, ok] = h.replies();
    assert.ok(error instanceof ReplyError);
    assert.equal(error.message, message);
    assert.equal(ok, "OK");
    assert.equal(h.decoder.pending, false);
  });

  test("Decoder.feed() finds a CR that ended the previous chunk of a long line", () => {
    const line = "+" + "s".repeat(50_000);
    const h = harness();
    // The line arrives in pieces, the last of them ending in its CR.
    h.decoder.feed(utf8(line.slice(0, 20_000)));
    h.decoder.feed(utf8(line.slice(20_000) + "\r"));
    h.decoder.feed(utf8("\n:1\r\n"));
    assert.deepEqual(h.replies(), [line.slice(1), 1]);
    // A CR not followed by LF is still refused when dripped.
    assertProtocolErrorByteByByte(`${line}\rX`);
  });
});

// ---------------------------------------------------------------------------
// Property tests: a model of RESP3 values, a serialiser for it written here,
// and the value the decoder must produce for each.

type Node =
  | { t: "simple"; s: string }
  | { t: "error"; s: string }
  | { t: "int"; n: bigint }
  | { t: "bulk"; b: Uint8Array }
  | { t: "nullBulk" }
  | { t: "nullArray" }
  | { t: "null" }
  | { t: "double"; d: number }
  | { t: "bool"; b: boolean }
  | { t: "big"; n: bigint }
  | { t: "verbatim"; format: string; b: Uint8Array }
  | { t: "blobError"; b: Uint8Array }
  | { t: "array"; items: Node[] }
  | { t: "set"; items: Node[] }
  | { t: "push"; items: Node[] }
  | { t: "map"; entries: [Node, Node][] }
  | { t: "attribute"; entries: [Node, Node][]; value: Node };

function serialise(node: Node, out: Uint8Array[]): void {
  const line = (s: string): void => {
    out.push(utf8(s));
  };
  const blob = (type: string, b: Uint8Array) => {
    line(`${type}${b.length}\r\n`);
    out.push(b);
    line("\r\n");
  };
  switch (node.t) {
    case "simple":
      return line(`+${node.s}\r\n`);
    case "error":
      return line(`-${node.s}\r\n`);
    case "int":
      return line(`:${node.n}\r\n`);
    case "bulk":
      return blob("$", node.b);
    case "nullBulk":
      return line("$-1\r\n");
    case "nullArray":
      return line("*-1\r\n");
    case "null":
      return line("_\r\n");
    case "double": {
      const d = node.d;
      const text = Number.isNaN(d)
        ? "nan"
        : d === Infinity
        ? "inf"
        : d === -Infinity
        ? "-inf"
        : Object.is(d, -0)
        ? "-0"
        : String(d);
      return line(`,${text}\r\n`);
    }
    case "bool":
      return line(node.b ? "#t\r\n" : "#f\r\n");
    case "big":
      return line(`(${node.n}\r\n`);
    case "verbatim":
      return blob("=", concat([utf8(`${node.format}:`), node.b]));
    case "blobError":
      return blob("!", node.b);
    case "array":
    case "set":
    case "push": {
      const type = node.t === "array" ? "*" : node.t === "set" ? "~" : ">";
      line(`${type}${node.items.length}\r\n`);
      for (const item of node.items) serialise(item, out);
      return;
    }
    case "map":
    case "attribute": {
      line(`${node.t === "map" ? "%" : "|"}${node.entries.length}\r\n`);
      for (const [k, v] of node.entries) {
        serialise(k, out);
        serialise(v, out);
      }
      if (node.t === "attribute") serialise(node.value, out);
      return;
    }
  }
}

/** What the decoder must produce for `node`. */
function expected(node: Node, bytes: boolean): RespValue {
  switch (node.t) {
    case "simple":
      return node.s;
    case "error":
      return new ReplyError(node.s);
    case "int":
      return Number.isSafeInteger(Number(node.n)) ? Number(node.n) : node.n;
    case "bulk":
    case "verbatim":
      return bytes ? node.b : textDecoder.decode(node.b);
    case "nullBulk":
    case "nullArray":
    case "null":
      return null;
    case "double":
      return node.d;
    case "bool":
      return node.b;
    case "big":
      return node.n;
    case "blobError":
      return new ReplyError(textDecoder.decode(node.b));
    case "array":
    case "push":
      return node.items.map((item) => expected(item, bytes));
    case "set":
      return new Set(node.items.map((item) => expected(item, bytes)));
    case "map":
      return new Map(
        node.entries.map(([k, v]) => [expected(k, bytes), expected(v, bytes)]),
      );
    case "attribute":
      return expected(node.value, bytes);
  }
}

/** The event a top-level `node` produces, given the decoder's flags. */
function expectedEvent(node: Node, bytes: boolean, pushBytes: boolean): Event {
  let inner = node;
  while (inner.t === "attribute") inner = inner.value;
  if (inner.t === "push") {
    return ["push", expected(inner, pushBytes) as RespValue[]];
  }
  return ["reply", expected(inner, bytes)];
}

const lineText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.string({
    unit: fc.constantFrom("a", "Z", " ", "é", "中", "😀", "\uFEFF", "+", "$"),
    maxLength: 30,
  }),
).map((s) => s.replace(/[\r\n]/g, "_"));

const blobBytes = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }).map(utf8),
  fc.string({
    unit: fc.constantFrom("a", "\r", "\n", "\r\n", "é", "😀", "\uFEFF"),
    maxLength: 40,
  }).map(utf8),
  fc.uint8Array({ maxLength: 40 }),
  fc.string({ unit: "binary-ascii", minLength: 100, maxLength: 400 }).map(utf8),
);

const leaf: fc.Arbitrary<Node> = fc.oneof(
  lineText.map((s): Node => ({ t: "simple", s })),
  lineText.map((s): Node => ({ t: "error", s: `ERR ${s}` })),
  fc.oneof(
    fc.integer().map(BigInt),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  ).map((n): Node => ({ t: "int", n })),
  blobBytes.map((b): Node => ({ t: "bulk", b })),
  fc.constant<Node>({ t: "nullBulk" }),
  fc.constant<Node>({ t: "nullArray" }),
  fc.constant<Node>({ t: "null" }),
  fc.double().map((d): Node => ({ t: "double", d })),
  fc.boolean().map((b): Node => ({ t: "bool", b })),
  fc.bigInt().map((n): Node => ({ t: "big", n })),
  fc.tuple(fc.constantFrom("txt", "mkd"), blobBytes).map((
    [format, b],
  ): Node => ({ t: "verbatim", format, b })),
  blobBytes.map((b): Node => ({ t: "blobError", b })),
);

const DEPTH = { depthIdentifier: "resp", maxLength: 5 } as const;

const { node: nodeArb } = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 5, depthSize: "small", depthIdentifier: "resp" },
    leaf,
    fc.array(tie("node"), DEPTH).map((items): Node => ({ t: "array", items })),
    fc.array(tie("node"), DEPTH).map((items): Node => ({ t: "set", items })),
    fc.array(tie("node"), DEPTH).map((items): Node => ({ t: "push", items })),
    fc.array(fc.tuple(tie("node"), tie("node")), DEPTH).map((
      entries,
    ): Node => ({ t: "map", entries })),
    fc.tuple(
      fc.array(fc.tuple(tie("node"), tie("node")), { ...DEPTH, maxLength: 2 }),
      tie("node"),
    ).map(([entries, value]): Node => ({ t: "attribute", entries, value })),
  ),
}));

/** A top-level push must carry at least one element. */
const topLevel: fc.Arbitrary<Node> = fc.oneof(
  nodeArb.filter((node) => {
    let inner = node;
    while (inner.t === "attribute") inner = inner.value;
    return inner.t !== "push" || inner.items.length > 0;
  }),
  fc.array(nodeArb, { minLength: 1, maxLength: 4 }).map((items): Node => ({
    t: "push",
    items,
  })),
);

/** Cuts `bytes` at the given points (taken modulo its length). */
function cut(bytes: Uint8Array, points: readonly number[]): Uint8Array[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((
    a,
    b,
  ) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of at) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

describe("Decoder properties", () => {
  test("Decoder.feed() decodes random RESP3 values fed in random chunks", {
    timeout: 30_000,
  }, () => {
    fc.assert(
      fc.property(
        fc.array(topLevel, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.boolean(),
        fc.boolean(),
        (nodes, points, bytes, pushBytes) => {
          const parts: Uint8Array[] = [];
          for (const node of nodes) serialise(node, parts);
          const stream = concat(parts);
          const h = harness({ bytes, pushBytes });
          feedAndClobber(h.decoder, cut(stream, points));
          assert.equal(h.decoder.pending, false);
          assert.deepEqual(
            canonEvents(h.events),
            canonEvents(
              nodes.map((node) => expectedEvent(node, bytes, pushBytes)),
            ),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  test("Decoder.feed() decodes random RESP3 values fed one byte at a time", {
    timeout: 30_000,
  }, () => {
    fc.assert(
      fc.property(topLevel, (node) => {
        const parts: Uint8Array[] = [];
        serialise(node, parts);
        const stream = concat(parts);
        const h = harness();
        for (let i = 0; i < stream.length; i++) {
          h.decoder.feed(stream.subarray(i, i + 1));
        }
        assert.deepEqual(
          canonEvents(h.events),
          canonEvents([expectedEvent(node, false, false)]),
        );
      }),
      { numRuns: 100 },
    );
  });

  const respByte = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        ..."+-:$*%~>|_,#(=!?\r\n-0123456789tfinax".split("").map((c) =>
          c.charCodeAt(0)
        ),
      ),
    },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
  );

  test("Decoder.feed() throws only ProtocolError for random bytes", {
    timeout: 30_000,
  }, () => {
    const limits = {
      maxBulkLength: 4096,
      maxAggregateLength: 1000,
      maxDepth: 16,
      maxLineLength: 256,
    };
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.array(respByte, { maxLength: 200 }).map((b) => new Uint8Array(b)),
        ),
        fc.array(fc.nat(), { maxLength: 10 }),
        (bytes, points) => {
          const h = harness(limits);
          let failed: unknown;
          for (const chunk of cut(bytes, points)) {
            try {
              h.decoder.feed(chunk);
            } catch (error) {
              assert.ok(
                error instanceof ProtocolError,
                `not a ProtocolError: ${String(error)}`,
              );
              if (failed !== undefined) assert.equal(error, failed);
              failed = error;
            }
          }
          // Whatever happened, reset() gives a working decoder.
          h.decoder.reset();
          h.events.length = 0;
          h.decoder.feed(utf8("+OK\r\n"));
          assert.deepEqual(h.replies(), ["OK"]);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  test("Decoder.feed() throws only ProtocolError for mutated valid streams", {
    timeout: 30_000,
  }, () => {
    const limits = {
      maxBulkLength: 1 << 20,
      maxAggregateLength: 10_000,
      maxLineLength: 40,
    };
    const mutation = fc.record({
      at: fc.nat(),
      byte: respByte,
      kind: fc.constantFrom("replace", "insert", "delete"),
    });
    fc.assert(
      fc.property(
        fc.array(topLevel, { minLength: 1, maxLength: 3 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (nodes, mutations, points) => {
          const parts: Uint8Array[] = [];
          for (const node of nodes) serialise(node, parts);
          const bytes = Array.from(concat(parts));
          for (const { at, byte, kind } of mutations) {
            const i = at % (bytes.length + 1);
            if (kind === "insert") bytes.splice(i, 0, byte);
            else if (kind === "delete") bytes.splice(i, 1);
            else bytes[Math.min(i, bytes.length - 1)] = byte;
          }
          const input = new Uint8Array(bytes);
          const outcome = (chunks: Uint8Array[]) => {
            const h = harness(limits);
            let message: string | undefined;
            try {
              feedAndClobber(h.decoder, chunks);
            } catch (error) {
              assert.ok(
                error instanceof ProtocolError,
                `not a ProtocolError: ${String(error)}`,
              );
              message = error.message;
            }
            return { events: canonEvents(h.events), message };
          };
          // Where the chunks are cut changes neither the replies delivered
          // before an error nor the error.
          assert.deepEqual(outcome(cut(input, points)), outcome([input]));
        },
      ),
      { numRuns: 1_000 },
    );
  });

  test("Decoder.feed() decodes a valid prefix of a stream and then throws ProtocolError for garbage", () => {
    fc.assert(
      fc.property(
        fc.array(topLevel, { minLength: 1, maxLength: 3 }),
        fc.constantFrom("?", "\0", "x", "@"),
        (nodes, garbage) => {
          const parts: Uint8Array[] = [];
          for (const node of nodes) serialise(node, parts);
          parts.push(utf8(`${garbage}\r\n`));
          const h = harness();
          assert.throws(() => h.decoder.feed(concat(parts)), ProtocolError);
          assert.deepEqual(
            canonEvents(h.events),
            canonEvents(nodes.map((node) => expectedEvent(node, false, false))),
          );
        },
      ),
      { numRuns: 100 },
    );
  });
});
