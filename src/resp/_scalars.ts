/**
 * The decoder's scalar readers: lengths, integers, big numbers, doubles and
 * short texts, read straight out of the receive buffer.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";

const textDecoder = new TextDecoder("utf-8", { ignoreBOM: true });
const MAX_SAFE_DIGITS = 15;
const DOUBLE = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** UTF-8 text of a slice; short ASCII is built without a TextDecoder. */
export function decodeText(
  buf: Uint8Array,
  start: number,
  end: number,
): string {
  if (end - start <= 24) {
    let s = "";
    for (let i = start; i < end; i++) {
      const c = buf[i];
      if (c >= 0x80) return textDecoder.decode(buf.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return textDecoder.decode(buf.subarray(start, end));
}

function typeName(byte: number): string {
  return byte >= 0x20 && byte < 0x7f
    ? `'${String.fromCharCode(byte)}'`
    : `0x${byte.toString(16).padStart(2, "0")}`;
}

/** The error for a byte that starts no RESP type. */
export function unknownType(byte: number): ProtocolError {
  return new ProtocolError(
    `Cannot decode the reply as byte ${
      typeName(byte)
    } does not start a RESP type`,
  );
}

/** A length header (`$`, `*`, `%`, ...); -1 for a RESP2 null when allowed. */
export function readLength(
  buf: Uint8Array,
  start: number,
  end: number,
  allowNull: boolean,
): number {
  if (start === end) {
    throw new ProtocolError("Cannot decode the reply as a length is empty");
  }
  if (buf[start] === 63) { // '?'
    throw new ProtocolError(
      "Cannot decode the reply as streamed aggregates and strings are not supported",
    );
  }
  if (buf[start] === 45) {
    if (allowNull && end === start + 2 && buf[start + 1] === 49) return -1;
    throw new ProtocolError(
      "Cannot decode the reply as a length is negative",
    );
  }
  if (end - start > MAX_SAFE_DIGITS) {
    throw new ProtocolError(
      "Cannot decode the reply as a length is too large",
    );
  }
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) {
      throw new ProtocolError(
        "Cannot decode the reply as a length is not a decimal number",
      );
    }
    n = n * 10 + d;
  }
  return n;
}

/** An integer line, as a number, or a bigint past 15 digits that needs one. */
export function readInteger(
  buf: Uint8Array,
  start: number,
  end: number,
): number | bigint {
  let i = start;
  const negative = buf[i] === 45;
  if (negative || buf[i] === 43) i++;
  if (i === end) {
    throw new ProtocolError("Cannot decode the reply as an integer is empty");
  }
  if (end - i > MAX_SAFE_DIGITS) {
    return readBigNumber(buf, start, end, true);
  }
  let n = 0;
  for (; i < end; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) {
      throw new ProtocolError(
        "Cannot decode the reply as an integer is not a decimal number",
      );
    }
    n = n * 10 + d;
  }
  return negative ? -n : n;
}

/** A big number line; `narrow` gives a number when it fits. */
export function readBigNumber(
  buf: Uint8Array,
  start: number,
  end: number,
  narrow = false,
): number | bigint {
  const text = decodeText(buf, start, end);
  if (!/^[-+]?\d+$/.test(text)) {
    throw new ProtocolError(
      "Cannot decode the reply as a big number is not a decimal number",
    );
  }
  const big = BigInt(text);
  if (
    narrow && big <= BigInt(Number.MAX_SAFE_INTEGER) &&
    big >= BigInt(Number.MIN_SAFE_INTEGER)
  ) return Number(big);
  return big;
}

/** A double line, with inf and nan. */
export function readDouble(
  buf: Uint8Array,
  start: number,
  end: number,
): number {
  const text = decodeText(buf, start, end);
  switch (text) {
    case "inf":
    case "+inf":
      return Infinity;
    case "-inf":
      return -Infinity;
    case "nan":
    case "-nan":
      return NaN;
  }
  if (!DOUBLE.test(text)) {
    throw new ProtocolError(
      "Cannot decode the reply as a double is not a number",
    );
  }
  return Number(text);
}
