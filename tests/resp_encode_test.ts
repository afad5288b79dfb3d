/**
 * Tests for the RESP command encoder (src/resp/encode.ts). Runs unchanged
 * under `deno test` and `bun test`.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type CommandArg,
  encodeCommand,
  RespWriter,
} from "../src/resp/encode.ts";

const textEncoder = new TextEncoder();

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

/** The RESP encoding of a command whose arguments are given as raw bytes. */
function expectedCommand(args: readonly Uint8Array[]): Uint8Array {
  const parts = [utf8(`*${args.length}\r\n`)];
  for (const arg of args) {
    parts.push(utf8(`$${arg.length}\r\n`), arg, utf8("\r\n"));
  }
  return concat(parts);
}

/** The bytes the server should see for one argument. */
function argBytes(arg: CommandArg): Uint8Array {
  if (arg instanceof Uint8Array) return arg;
  if (arg === Infinity) return utf8("+inf");
  if (arg === -Infinity) return utf8("-inf");
  return utf8(String(arg));
}

/**
 * An independent reader of what the encoder writes: a sequence of RESP
 * arrays of bulk strings. Throws when the bytes are not exactly that.
 */
function parseCommands(bytes: Uint8Array): Uint8Array[][] {
  const commands: Uint8Array[][] = [];
  let pos = 0;
  const readLine = (type: number): number => {
    assert.equal(bytes[pos], type, `expected type byte at ${pos}`);
    let end = pos + 1;
    while (bytes[end] !== 13) {
      assert.ok(end < bytes.length, "line is not terminated");
      end++;
    }
    assert.equal(bytes[end + 1], 10, "CR is not followed by LF");
    const text = String.fromCharCode(...bytes.subarray(pos + 1, end));
    assert.match(text, /^(0|[1-9][0-9]*)$/, `bad length ${text}`);
    pos = end + 2;
    return Number(text);
  };
  while (pos < bytes.length) {
    const count = readLine(42); // '*'
    const args: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const length = readLine(36); // '$'
      assert.ok(pos + length + 2 <= bytes.length, "bulk string is truncated");
      args.push(bytes.slice(pos, pos + length));
      pos += length;
      assert.equal(bytes[pos], 13);
      assert.equal(bytes[pos + 1], 10);
      pos += 2;
    }
    commands.push(args);
  }
  return commands;
}

function ascii(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

describe("encodeCommand()", () => {
  test("encodeCommand() writes the exact bytes of GET key", () => {
    assert.equal(
      ascii(encodeCommand(["GET", "key"])),
      "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n",
    );
  });

  test("encodeCommand() writes the exact bytes of SET with an empty value", () => {
    assert.equal(
      ascii(encodeCommand(["SET", "k", ""])),
      "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n",
    );
  });

  test("encodeCommand() writes a one-word command", () => {
    assert.equal(ascii(encodeCommand(["PING"])), "*1\r\n$4\r\nPING\r\n");
  });

  test("encodeCommand() writes ten or more arguments with a two-digit count", () => {
    const args = Array.from({ length: 12 }, (_, i) => `a${i}`);
    const bytes = encodeCommand(args);
    assert.ok(ascii(bytes).startsWith("*12\r\n$2\r\na0\r\n"));
    assert.deepEqual(bytes, expectedCommand(args.map(utf8)));
  });

  test("encodeCommand() counts UTF-8 bytes, not UTF-16 units, in short strings", () => {
    const cases: [string, number][] = [
      ["é", 2],
      ["😀", 4], // one surrogate pair, two UTF-16 units
      ["中文", 6],
      ["abcé", 5], // ASCII first, so the optimistic ASCII path must back out
      ["a😀b中é", 11],
      ["\ud800", 3], // a lone surrogate is sent as U+FFFD
      ["x".repeat(63) + "é", 65], // 64 units: still the short path
    ];
    for (const [s, length] of cases) {
      const bytes = encodeCommand(["SET", s]);
      assert.deepEqual(bytes, expectedCommand([utf8("SET"), utf8(s)]), s);
      assert.equal(utf8(s).length, length);
      assert.ok(ascii(bytes).includes(`$${length}\r\n`), s);
    }
  });

  test("encodeCommand() counts UTF-8 bytes in long strings", () => {
    const cases = [
      "é".repeat(100), // 200 bytes; worst case 300 has the same digit count
      "😀".repeat(70), // 140 units, 280 bytes
      "中".repeat(100), // 300 bytes: exactly the worst case
      "x".repeat(64) + "é", // 65 units: the first long string
      "é" + "x".repeat(64),
      "a".repeat(65),
      "a😀".repeat(1000) + "中文",
      "\ud800".repeat(80),
    ];
    for (const s of cases) {
      assert.deepEqual(
        encodeCommand(["SET", "k", s]),
        expectedCommand([utf8("SET"), utf8("k"), utf8(s)]),
        `length ${s.length}`,
      );
    }
  });

  test("encodeCommand() writes long strings whose length has fewer digits than the worst case", () => {
    // 40,000 ASCII bytes: the reserved header fits 120,000 (6 digits), the
    // real one is 5 digits, so the payload has to move back by one byte.
    for (
      const s of [
        "a".repeat(40_000),
        "b".repeat(34), // short path; 102 would have more digits
        "c".repeat(334), // 334 -> worst 1002
        "é".repeat(300) + "a".repeat(10), // 610 -> worst 930: same digits
        "a".repeat(3_334), // 3334 -> worst 10002
        "a".repeat(33_334) + "中", // 33337 -> worst 100005
      ]
    ) {
      const bytes = encodeCommand(["SET", s]);
      assert.deepEqual(bytes, expectedCommand([utf8("SET"), utf8(s)]));
      assert.equal(parseCommands(bytes)[0][1].length, utf8(s).length);
    }
  });

  test("encodeCommand() writes numbers as their decimal text", () => {
    const cases: [number, string][] = [
      [0, "0"],
      [7, "7"],
      [42, "42"],
      [-7, "-7"],
      [1_000_000, "1000000"],
      [Number.MAX_SAFE_INTEGER, "9007199254740991"],
      [-Number.MAX_SAFE_INTEGER, "-9007199254740991"],
      [3.14, "3.14"],
      [-0.5, "-0.5"],
      [1e-7, "1e-7"],
      [1e21, "1e+21"],
      [Infinity, "+inf"],
      [-Infinity, "-inf"],
    ];
    for (const [n, text] of cases) {
      assert.equal(
        ascii(encodeCommand(["ZADD", "z", n, "m"])),
        `*4\r\n$4\r\nZADD\r\n$1\r\nz\r\n$${text.length}\r\n${text}\r\n$1\r\nm\r\n`,
        text,
      );
    }
  });

  test("encodeCommand() writes bigints as their decimal text", () => {
    for (const n of [0n, 5n, -5n, 2n ** 64n, -(2n ** 63n), 10n ** 40n]) {
      const text = n.toString();
      assert.equal(
        ascii(encodeCommand(["INCRBY", "k", n])),
        `*3\r\n$6\r\nINCRBY\r\n$1\r\nk\r\n$${text.length}\r\n${text}\r\n`,
      );
    }
  });

  test("encodeCommand() writes a Uint8Array with every byte value and CRLF inside verbatim", () => {
    const value = new Uint8Array(258);
    for (let i = 0; i < 256; i++) value[i] = i;
    value[256] = 13;
    value[257] = 10;
    const bytes = encodeCommand(["SET", "k", value]);
    const head = utf8("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$258\r\n");
    assert.deepEqual(bytes.subarray(0, head.length), head);
    assert.deepEqual(
      bytes.subarray(head.length, head.length + 258),
      value,
    );
    assert.deepEqual(bytes.subarray(head.length + 258), utf8("\r\n"));
    assert.equal(bytes.length, head.length + 260);
  });

  test("encodeCommand() writes only the viewed part of a Uint8Array", () => {
    const backing = utf8("xxhelloxx");
    const view = backing.subarray(2, 7);
    assert.equal(
      ascii(encodeCommand(["SET", view, new Uint8Array(0)])),
      "*3\r\n$3\r\nSET\r\n$5\r\nhello\r\n$0\r\n\r\n",
    );
  });

  test("encodeCommand() throws TypeError for an empty command", () => {
    assert.throws(() => encodeCommand([]), TypeError);
  });

  test("encodeCommand() throws TypeError naming the argument index of an unsupported argument", () => {
    const bad: [unknown, string][] = [
      [null, "null"],
      [undefined, "undefined"],
      [{}, "object"],
      [[1], "object"],
      [true, "boolean"],
      [false, "boolean"],
      [Symbol("s"), "symbol"],
      [() => 1, "function"],
    ];
    for (const [value, kind] of bad) {
      for (const index of [0, 1, 2]) {
        const args: unknown[] = ["SET", "k", "v"];
        args[index] = value;
        assert.throws(
          () => encodeCommand(args as CommandArg[]),
          (error: unknown) => {
            assert.ok(error instanceof TypeError);
            assert.match(error.message, new RegExp(`argument ${index}\\b`));
            assert.ok(error.message.includes(kind), error.message);
            return true;
          },
        );
      }
    }
  });
});

describe("RespWriter", () => {
  test("RespWriter.writeCommand() appends many commands in order", () => {
    const writer = new RespWriter();
    const commands: CommandArg[][] = [];
    for (let i = 0; i < 1_000; i++) {
      commands.push(
        i % 3 === 0
          ? ["GET", `key:${i}`]
          : i % 3 === 1
          ? ["SET", `key:${i}`, `välue ${i}`.repeat(i % 20), "EX", i]
          : ["MSET", utf8(`b${i}`), BigInt(i), "中".repeat(i % 90)],
      );
    }
    let expectedLength = 0;
    for (const command of commands) {
      writer.writeCommand(command);
      expectedLength += encodeCommand(command).length;
      assert.equal(writer.length, expectedLength);
    }
    const bytes = writer.take();
    assert.deepEqual(bytes, concat(commands.map(encodeCommand)));
    assert.equal(parseCommands(bytes).length, 1_000);
  });

  test("RespWriter.take() empties the writer and returns a copy", () => {
    const writer = new RespWriter(8);
    writer.writeCommand(["GET", "a"]);
    const first = writer.take();
    assert.equal(writer.length, 0);
    assert.equal(writer.take().length, 0);
    writer.writeCommand(["DEL", "b"]);
    const second = writer.take();
    assert.equal(ascii(first), "*2\r\n$3\r\nGET\r\n$1\r\na\r\n");
    assert.equal(ascii(second), "*2\r\n$3\r\nDEL\r\n$1\r\nb\r\n");
  });

  test("RespWriter.writeCommand() grows past the initial buffer size", () => {
    for (const initialSize of [0, 1, 16, 64]) {
      const writer = new RespWriter(initialSize);
      const big = new Uint8Array(100_000).map((_, i) => i & 0xff);
      const commands: CommandArg[][] = [
        ["SET", "k", "v"],
        ["SET", "big", big],
        ["SET", "long", "é".repeat(50_000)],
        ["SET", "short", "ab"],
      ];
      for (const command of commands) writer.writeCommand(command);
      assert.deepEqual(writer.take(), concat(commands.map(encodeCommand)));
      // Still usable after take() (which may have shrunk the buffer).
      writer.writeCommand(["GET", "k"]);
      assert.equal(ascii(writer.take()), "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    }
  });

  test("RespWriter.writeCommand() grows on many small commands", () => {
    const writer = new RespWriter(16);
    const commands: CommandArg[][] = [];
    for (let i = 0; i < 5_000; i++) commands.push(["INCR", `counter:${i}`]);
    for (const command of commands) writer.writeCommand(command);
    assert.deepEqual(writer.take(), concat(commands.map(encodeCommand)));
  });

  test("RespWriter.writeCommand() leaves the writer unchanged after a TypeError", () => {
    const writer = new RespWriter(32);
    writer.writeCommand(["SET", "a", "1"]);
    const before = writer.length;
    const bad: unknown[][] = [
      [],
      ["SET", "k", null],
      ["SET", "x".repeat(100_000), undefined], // grows the buffer, then fails
      ["SET", new Uint8Array(50_000), "é".repeat(1_000), {}],
      [false],
      ["MSET", "a", "1", "b", true],
    ];
    for (const args of bad) {
      assert.throws(() => writer.writeCommand(args as CommandArg[]), TypeError);
      assert.equal(writer.length, before);
    }
    writer.writeCommand(["GET", "a"]);
    assert.equal(
      ascii(writer.take()),
      "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n",
    );
  });
});

const unicodeText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.string({
    unit: fc.constantFrom("a", "é", "中", "😀", "\r", "\n", "\0", "\uFEFF"),
    maxLength: 200,
  }),
  fc.string({ unit: "grapheme", minLength: 60, maxLength: 70 }),
);

const commandArg: fc.Arbitrary<CommandArg> = fc.oneof(
  unicodeText,
  fc.uint8Array({ maxLength: 300 }),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.bigInt(),
);

const command = fc.array(commandArg, { minLength: 1, maxLength: 8 });

describe("encodeCommand() properties", () => {
  test("encodeCommand() output reads back as the same arguments", () => {
    fc.assert(
      fc.property(command, (args) => {
        const parsed = parseCommands(encodeCommand(args));
        assert.equal(parsed.length, 1);
        assert.deepEqual(parsed[0], args.map(argBytes));
      }),
      { numRuns: 300 },
    );
  });

  test("RespWriter.writeCommand() output reads back as the same commands", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 64 }),
        fc.array(command, { minLength: 1, maxLength: 10 }),
        (initialSize, commands) => {
          const writer = new RespWriter(initialSize);
          for (const args of commands) writer.writeCommand(args);
          const parsed = parseCommands(writer.take());
          assert.deepEqual(parsed, commands.map((args) => args.map(argBytes)));
        },
      ),
      { numRuns: 150 },
    );
  });
});
