/**
 * An incremental RESP2/RESP3 decoder that accepts chunks cut anywhere.
 *
 * @module
 */

import { ProtocolError, ReplyError } from "../errors.ts";
import {
  decodeText,
  readBigNumber,
  readDouble,
  readInteger,
  readLength,
  unknownType,
} from "./_scalars.ts";

import { KeyCache, MAX_KEY_BYTES } from "./_keys.ts";
import type { DecoderHandlers, DecoderLimits, RespValue } from "./types.ts";

export type { DecoderHandlers, DecoderLimits, RespValue };

// Aggregate kinds (plain numbers: Node's type stripping has no enums).
const ARRAY = 0;
const MAP = 1;
const SET = 2;
const PUSH = 3;
const ATTRIBUTE = 4;

interface Frame {
  kind: number;
  remaining: number;
  items: RespValue[];
}

// ignoreBOM keeps a leading U+FEFF: in a reply it is data, not a byte order mark.
const textDecoder = new TextDecoder("utf-8", { ignoreBOM: true });
const CR = 13;
const SHRINK_ABOVE = 1_048_576;
const PREALLOCATE_LIMIT = 4_194_304;
/** The bytes that start a RESP2/RESP3 element, checked before the line end arrives. */
const TYPE_BYTES = new Uint8Array(256);
for (const c of "+-:$=!*%~>|_,#(") TYPE_BYTES[c.charCodeAt(0)] = 1;

/** Shared by every decoder, made on first use. */
let keyCache: KeyCache | undefined;

/** Marks that the element at the current position is not complete yet. */
const INCOMPLETE = Symbol("incomplete");
/** Marks that an aggregate header was read and a frame pushed. */
const OPENED = Symbol("opened");

function lineTooLong(maxLineLength: number): ProtocolError {
  return new ProtocolError(
    `Cannot decode the reply as a line is longer than ${maxLineLength} bytes`,
  );
}

/**
 * Decodes RESP2 and RESP3 replies from chunks cut at any byte.
 *
 * Complete elements are moved into a stack of open aggregates as soon as they
 * are read, so a large reply arriving in many chunks is parsed once, not once
 * per chunk. Bytes it keeps across chunks are copied, so callers may reuse
 * the chunk they fed.
 *
 * @example Decoding a reply split across two chunks
 * ```ts
 * import { Decoder, type RespValue } from "@respool/redis/resp";
 *
 * const replies: RespValue[] = [];
 * const decoder = new Decoder({ reply: (v) => replies.push(v), push: () => {} });
 * decoder.feed(new TextEncoder().encode("$5\r\nhel"));
 * decoder.feed(new TextEncoder().encode("lo\r\n"));
 * console.assert(replies[0] === "hello");
 * ```
 */
export class Decoder {
  /** Decode bulk strings of the next top-level reply as `Uint8Array`. */
  bytes = false;
  /** Decode bulk strings of push messages as `Uint8Array`. */
  pushBytes = false;
  /**
   * Return the maps of the next top-level reply as flat arrays of keys and
   * values (RESP2's shape), for a caller that would only turn the `Map`
   * into something else.
   */
  flat = false;
  /**
   * A faster UTF-8 decoder the runtime offers (see the transport's
   * `decodeUtf8`); `TextDecoder` otherwise.
   */
  decodeUtf8:
    | ((bytes: Uint8Array, start: number, end: number) => string)
    | undefined = undefined;

  readonly #handlers: DecoderHandlers;
  readonly #maxBulkLength: number;
  readonly #maxDepth: number;
  readonly #maxAggregateLength: number;
  readonly #maxLineLength: number;

  #buf: Uint8Array = new Uint8Array(0);
  #start = 0;
  #end = 0;
  /** Bytes the kept element needs before parsing it again can progress. */
  #need = 0;
  /**
   * Where, counted from the kept element's first byte, the search for the CR
   * ending its line resumes: the bytes before it were already searched.
   */
  #crFrom = 1;
  #stack: Frame[] = [];
  #frameBytes = false;
  #frameFlat = false;
  #failed: ProtocolError | undefined;

  /**
   * Constructs a new instance.
   *
   * @param handlers Where complete replies and push messages go.
   * @param limits Limits on what the server may send.
   * @throws {RangeError} When a limit is not a positive integer.
   */
  constructor(handlers: DecoderHandlers, limits: DecoderLimits = {}) {
    this.#handlers = handlers;
    this.#maxBulkLength = positive(
      "maxBulkLength",
      limits.maxBulkLength ?? 536_870_912,
    );
    this.#maxDepth = positive("maxDepth", limits.maxDepth ?? 64);
    this.#maxAggregateLength = positive(
      "maxAggregateLength",
      limits.maxAggregateLength ?? 134_217_728,
    );
    this.#maxLineLength = positive(
      "maxLineLength",
      limits.maxLineLength ?? 1_048_576,
    );
  }

  /** Whether part of a reply is buffered, waiting for more bytes. */
  get pending(): boolean {
    return this.#end > this.#start || this.#stack.length > 0;
  }

  /**
   * Feeds bytes received from the server.
   *
   * @param chunk The bytes; the decoder does not keep a reference to them.
   * @throws {ProtocolError} When the bytes are not valid RESP or break a
   * limit; every later call throws the same error.
   */
  feed(chunk: Uint8Array): void {
    if (this.#failed) throw this.#failed;
    try {
      if (this.#end === this.#start) {
        const used = this.#parse(chunk, 0, chunk.length);
        if (used < chunk.length) this.#keep(chunk, used);
        return;
      }
      this.#append(chunk);
      if (this.#end - this.#start < this.#need) return;
      if (!this.#lineArrived()) return;
      this.#start = this.#parse(this.#buf, this.#start, this.#end);
      if (this.#start === this.#end) {
        this.#start = this.#end = 0;
        if (this.#buf.length > SHRINK_ABOVE) this.#buf = new Uint8Array(0);
      }
    } catch (error) {
      // Whatever interrupted parsing (a malformed reply, or a handler that
      // threw) left the stream at an unknown position: refuse to go on.
      this.#failed = error instanceof ProtocolError ? error : new ProtocolError(
        `Cannot decode further replies as handling one failed: ${
          (error as Error)?.message ?? error
        }`,
      );
      throw error;
    }
  }

  /** Drops any partly received reply, as after a reconnect. */
  reset(): void {
    this.#start = this.#end = this.#need = 0;
    this.#crFrom = 1;
    this.#stack = [];
    this.#failed = undefined;
  }

  #keep(chunk: Uint8Array, from: number): void {
    const size = chunk.length - from;
    // Reserve for a large bulk string up front, but only up to a bound: a
    // header alone must not make us allocate maxBulkLength.
    const reserve = Math.min(this.#need, PREALLOCATE_LIMIT);
    if (this.#buf.length < size || this.#buf.length < reserve) {
      this.#buf = new Uint8Array(Math.max(size, reserve, 4096));
    }
    this.#buf.set(chunk.subarray(from), 0);
    this.#start = 0;
    this.#end = size;
  }

  #append(chunk: Uint8Array): void {
    const kept = this.#end - this.#start;
    const needed = kept + chunk.length;
    if (this.#end + chunk.length > this.#buf.length) {
      if (needed <= this.#buf.length) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        const grown = new Uint8Array(
          Math.max(
            needed,
            this.#buf.length * 2,
            Math.min(this.#need, needed * 4),
          ),
        );
        grown.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = grown;
      }
      this.#start = 0;
      this.#end = kept;
    }
    this.#buf.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  /**
   * Whether the kept element's line ending (CR and the byte after it) has
   * arrived. Searches only the bytes that came since the last search: from
   * the line's start each time, a line dripped one byte per chunk would cost
   * O(n^2). Once it has arrived, #parse reads the line again, once.
   */
  #lineArrived(): boolean {
    const start = this.#start;
    const end = this.#end;
    const cr = this.#findCR(this.#buf, start + this.#crFrom, end);
    if (cr !== -1 && cr + 1 < end) return true;
    this.#crFrom = (cr === -1 ? end : cr) - start;
    // The same check as #parse makes, so it does not matter where the
    // chunks were cut.
    if (this.#crFrom > this.#maxLineLength) {
      throw lineTooLong(this.#maxLineLength);
    }
    return false;
  }

  /** Parses as much as possible; returns the offset of the first unused byte. */
  #parse(buf: Uint8Array, pos: number, end: number): number {
    this.#need = 0;
    const stack = this.#stack;
    while (pos < end) {
      if (stack.length === 0) {
        const push = buf[pos] === 62;
        this.#frameBytes = push ? this.pushBytes : this.bytes;
        this.#frameFlat = !push && this.flat;
      }
      // Refuse garbage at once rather than wait for a CR that may never come.
      if (TYPE_BYTES[buf[pos]] === 0) throw unknownType(buf[pos]);
      const lineEnd = this.#findCR(buf, pos + 1, end);
      // Checked whether or not the CR has arrived, so the outcome does not
      // depend on where the chunks were cut.
      if ((lineEnd === -1 ? end : lineEnd) - pos > this.#maxLineLength) {
        throw lineTooLong(this.#maxLineLength);
      }
      // Where #lineArrived resumes the search once more bytes are kept.
      if (lineEnd === -1) {
        this.#crFrom = end - pos;
        return pos;
      }
      if (lineEnd + 1 >= end) {
        this.#crFrom = lineEnd - pos;
        return pos;
      }
      if (buf[lineEnd + 1] !== 10) {
        throw new ProtocolError(
          "Cannot decode the reply as a line ends in CR without LF",
        );
      }
      const next = lineEnd + 2;
      let value: RespValue | typeof INCOMPLETE | typeof OPENED;
      let after = next;
      switch (buf[pos]) {
        case 43: // '+'
          // "+OK" answers most writes: a literal, not a string built and
          // then compared character by character.
          value = lineEnd === pos + 3 && buf[pos + 1] === 79 &&
              buf[pos + 2] === 75
            ? "OK"
            : decodeText(buf, pos + 1, lineEnd);
          break;
        case 45: // '-'
          value = new ReplyError(decodeText(buf, pos + 1, lineEnd));
          break;
        case 58: // ':'
          value = readInteger(buf, pos + 1, lineEnd);
          break;
        case 36: // '$'
        case 61: // '='
        case 33: { // '!'
          const length = readLength(buf, pos + 1, lineEnd, true);
          if (length === -1) {
            value = null;
            break;
          }
          if (length > this.#maxBulkLength) {
            throw new ProtocolError(
              `Cannot decode the reply as a bulk string of ${length} bytes exceeds maxBulkLength (${this.#maxBulkLength})`,
            );
          }
          after = next + length + 2;
          if (after > end) {
            this.#need = after - pos;
            this.#crFrom = lineEnd - pos;
            value = INCOMPLETE;
            break;
          }
          if (buf[after - 2] !== CR || buf[after - 1] !== 10) {
            throw new ProtocolError(
              "Cannot decode the reply as a bulk string is not followed by CRLF",
            );
          }
          value = length <= MAX_KEY_BYTES && buf[pos] === 36 &&
              !this.#frameBytes && this.#atMapKey()
            ? (keyCache ??= new KeyCache()).get(
              buf,
              next,
              next + length,
              this.decodeUtf8 ?? decodeText,
            )
            : this.#bulk(buf[pos], buf, next, next + length);
          break;
        }
        case 42: // '*'
        case 37: // '%'
        case 126: // '~'
        case 62: // '>'
        case 124: // '|'
          value = this.#open(buf, pos, lineEnd);
          break;
        case 95: // '_'
          if (lineEnd !== pos + 1) {
            throw new ProtocolError(
              "Cannot decode the reply as a RESP3 null carries data",
            );
          }
          value = null;
          break;
        case 44: // ','
          value = readDouble(buf, pos + 1, lineEnd);
          break;
        case 35: // '#'
          if (
            lineEnd !== pos + 2 ||
            (buf[pos + 1] !== 116 && buf[pos + 1] !== 102)
          ) {
            throw new ProtocolError(
              "Cannot decode the reply as a RESP3 boolean is not 't' or 'f'",
            );
          }
          value = buf[pos + 1] === 116;
          break;
        case 40: // '('
          value = readBigNumber(buf, pos + 1, lineEnd);
          break;
        default:
          throw unknownType(buf[pos]);
      }
      if (value === INCOMPLETE) return pos;
      pos = after;
      if (value === OPENED) continue;
      this.#complete(value);
    }
    return pos;
  }

  /** Whether the next element is a key of the innermost open map. */
  #atMapKey(): boolean {
    const stack = this.#stack;
    if (stack.length === 0) return false;
    const top = stack[stack.length - 1];
    // A map's `remaining` counts keys and values down to 0 from an even number.
    return top.kind === MAP && (top.remaining & 1) === 0;
  }

  /** Delivers a finished value to its parent aggregate, or to the handlers. */
  #complete(value: RespValue): void {
    const stack = this.#stack;
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      top.items.push(value);
      if (--top.remaining > 0) return;
      stack.pop();
      if (top.kind === ATTRIBUTE) return; // attributes annotate; dropped
      value = build(top, this.#frameFlat);
      if (top.kind === PUSH && stack.length === 0) {
        this.#handlers.push(value as RespValue[]);
        return;
      }
    }
    this.#handlers.reply(value);
  }

  #open(
    buf: Uint8Array,
    pos: number,
    lineEnd: number,
  ): RespValue | typeof OPENED {
    const type = buf[pos];
    const count = readLength(buf, pos + 1, lineEnd, type === 42);
    if (count === -1) return null;
    if (count > this.#maxAggregateLength) {
      throw new ProtocolError(
        `Cannot decode the reply as an aggregate of ${count} elements exceeds maxAggregateLength (${this.#maxAggregateLength})`,
      );
    }
    const kind = type === 42
      ? ARRAY
      : type === 37
      ? MAP
      : type === 126
      ? SET
      : type === 62
      ? PUSH
      : ATTRIBUTE;
    if (count === 0) {
      if (kind === ATTRIBUTE) return OPENED;
      const empty = build({ kind, remaining: 0, items: [] }, this.#frameFlat);
      if (kind === PUSH && this.#stack.length === 0) {
        throw new ProtocolError("Cannot decode the reply as a push is empty");
      }
      return empty;
    }
    if (this.#stack.length >= this.#maxDepth) {
      throw new ProtocolError(
        `Cannot decode the reply as it nests deeper than maxDepth (${this.#maxDepth})`,
      );
    }
    const elements = kind === MAP || kind === ATTRIBUTE ? count * 2 : count;
    this.#stack.push({ kind, remaining: elements, items: [] });
    return OPENED;
  }

  #bulk(
    type: number,
    buf: Uint8Array,
    start: number,
    end: number,
  ): RespValue {
    if (type === 33) {
      return new ReplyError(textDecoder.decode(buf.subarray(start, end)));
    }
    if (type === 61) {
      // Verbatim strings start with a three-letter format and a colon.
      if (end - start < 4 || buf[start + 3] !== 58) {
        throw new ProtocolError(
          "Cannot decode the reply as a verbatim string has no format prefix",
        );
      }
      start += 4;
    }
    return this.#frameBytes
      ? buf.slice(start, end)
      : (this.decodeUtf8 ?? decodeText)(buf, start, end);
  }

  #findCR(buf: Uint8Array, from: number, end: number): number {
    for (let i = from; i < end; i++) if (buf[i] === CR) return i;
    return -1;
  }
}

function build(frame: Frame, flat: boolean): RespValue {
  switch (frame.kind) {
    case MAP: {
      if (flat) return frame.items;
      const map = new Map<RespValue, RespValue>();
      const items = frame.items;
      for (let i = 0; i < items.length; i += 2) map.set(items[i], items[i + 1]);
      return map;
    }
    case SET:
      return new Set(frame.items);
    default:
      return frame.items;
  }
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(
      `Cannot create the decoder as ${name} must be a positive integer, got ${value}`,
    );
  }
  return value;
}
