/**
 * The RESP codec respool speaks, for tools that read or write the protocol
 * themselves (proxies, test servers, benchmarks): an encoder for commands
 * and a streaming decoder for replies and pushes. Clients do not need it.
 *
 * @example Encoding a command and decoding a reply
 * ```ts
 * import { Decoder, encodeCommand } from "@respool/redis/resp";
 *
 * const wire = encodeCommand(["SET", "greeting", "hello"]);
 * console.assert(new TextDecoder().decode(wire).startsWith("*3\r\n$3\r\nSET"));
 * const replies: unknown[] = [];
 * const decoder = new Decoder({ reply: (v) => replies.push(v), push: () => {} });
 * decoder.feed(new TextEncoder().encode("+OK\r\n"));
 * console.assert(replies[0] === "OK");
 * ```
 *
 * @module
 */

export {
  type CommandArg,
  encodeCommand,
  RespWriter,
} from "./src/resp/encode.ts";
export {
  Decoder,
  type DecoderHandlers,
  type DecoderLimits,
  type RespValue,
} from "./src/resp/decode.ts";
