/**
 * Benchmarks of the RESP encoder and decoder (src/resp). Run with
 * `deno bench -A bench/resp_bench.ts`. Inputs are built once, outside the
 * measured functions.
 */
import {
  type CommandArg,
  encodeCommand,
  RespWriter,
} from "../src/resp/encode.ts";
import { Decoder, type RespValue } from "../src/resp/decode.ts";

const textEncoder = new TextEncoder();

// ---------------------------------------------------------------------------
// Encoding

const GET: CommandArg[] = ["GET", "user:1000:session"];
const SET_100: CommandArg[] = ["SET", "user:1000:session", "v".repeat(100)];
const SET_16K: CommandArg[] = ["SET", "blob:1", "x".repeat(16 * 1024)];
const SET_16K_BYTES: CommandArg[] = [
  "SET",
  "blob:1",
  new Uint8Array(16 * 1024).fill(120),
];
const MSET_10: CommandArg[] = ["MSET"];
for (let i = 0; i < 10; i++) {
  MSET_10.push(`key:${i}`, `value-${i}-${"z".repeat(20)}`);
}

const writer = new RespWriter();
let encodedBytes = 0;

function writeAndTake(args: readonly CommandArg[]): void {
  writer.writeCommand(args);
  encodedBytes += writer.take().length;
}

Deno.bench({
  name: "RespWriter GET key",
  group: "encode",
  baseline: true,
  fn: () => writeAndTake(GET),
});

Deno.bench({
  name: "RespWriter SET key 100-byte value",
  group: "encode",
  fn: () => writeAndTake(SET_100),
});

Deno.bench({
  name: "RespWriter SET key 16 KiB string value",
  group: "encode",
  fn: () => writeAndTake(SET_16K),
});

Deno.bench({
  name: "RespWriter SET key 16 KiB Uint8Array value",
  group: "encode",
  fn: () => writeAndTake(SET_16K_BYTES),
});

Deno.bench({
  name: "RespWriter MSET 10 pairs",
  group: "encode",
  fn: () => writeAndTake(MSET_10),
});

Deno.bench({
  name: "encodeCommand GET key",
  group: "encode",
  fn: () => {
    encodedBytes += encodeCommand(GET).length;
  },
});

Deno.bench({
  name: "encodeCommand SET key 100-byte value",
  group: "encode",
  fn: () => {
    encodedBytes += encodeCommand(SET_100).length;
  },
});

// ---------------------------------------------------------------------------
// Decoding

function bulk(s: string): string {
  return `$${textEncoder.encode(s).length}\r\n${s}\r\n`;
}

const OK = textEncoder.encode("+OK\r\n");
const BULK_100 = textEncoder.encode(bulk("b".repeat(100)));
const BULK_16K = textEncoder.encode(bulk("c".repeat(16 * 1024)));
const HGETALL_RESP2 = textEncoder.encode(
  "*100\r\n" +
    Array.from(
      { length: 100 },
      (_, i) => i % 2 === 0 ? bulk(`field:${i}`) : bulk(`value:${i}`),
    ).join(""),
);
const MAP_RESP3 = textEncoder.encode(
  "%100\r\n" +
    Array.from(
      { length: 100 },
      (_, i) => bulk(`field:${i}`) + bulk(`value:${i}`),
    )
      .join(""),
);
const PIPELINE_100 = textEncoder.encode(
  Array.from(
    { length: 100 },
    (_, i) => i % 2 === 0 ? "+OK\r\n" : bulk(`value:${i}`),
  ).join(""),
);

let replies = 0;
let lastReply: RespValue = null;
const decoder = new Decoder({
  reply(value) {
    replies++;
    lastReply = value;
  },
  push() {},
});
const bytesDecoder = new Decoder({
  reply(value) {
    replies++;
    lastReply = value;
  },
  push() {},
});
bytesDecoder.bytes = true;

Deno.bench({
  name: "Decoder +OK",
  group: "decode",
  baseline: true,
  fn: () => decoder.feed(OK),
});

Deno.bench({
  name: "Decoder 100-byte bulk string",
  group: "decode",
  fn: () => decoder.feed(BULK_100),
});

Deno.bench({
  name: "Decoder 16 KiB bulk string",
  group: "decode",
  fn: () => decoder.feed(BULK_16K),
});

Deno.bench({
  name: "Decoder 16 KiB bulk string as bytes",
  group: "decode",
  fn: () => bytesDecoder.feed(BULK_16K),
});

Deno.bench({
  name: "Decoder RESP2 array of 100 bulk strings (HGETALL)",
  group: "decode",
  fn: () => decoder.feed(HGETALL_RESP2),
});

Deno.bench({
  name: "Decoder RESP3 map of 100 fields",
  group: "decode",
  fn: () => decoder.feed(MAP_RESP3),
});

Deno.bench({
  name: "Decoder 100 pipelined +OK/bulk replies in one chunk",
  group: "decode",
  fn: () => decoder.feed(PIPELINE_100),
});

// Keep the sinks observable so no work is optimised away.
globalThis.addEventListener("unload", () => {
  if (encodedBytes < 0 || replies < 0 || lastReply === undefined) {
    console.log(encodedBytes, replies);
  }
});
