/**
 * Reply mappers shared by the command builders. Each turns a raw reply into
 * the typed value a method promises, the same under RESP2 and RESP3.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import type { RespValue } from "../resp/decode.ts";
import { readsFlatMaps } from "../connection/_pending.ts";

const textDecoder = new TextDecoder();

/** Throws the ProtocolError for a reply of another shape than expected. */
export function unexpected(what: string, reply: RespValue): never {
  throw new ProtocolError(
    `Cannot read the reply as ${what} was expected, got ${
      reply === null ? "null" : Array.isArray(reply) ? "an array" : typeof reply
    }`,
  );
}

/** The reply as it came. */
export const asIs = (reply: RespValue): RespValue => reply;

/*
 * Two kinds of string replies. A value the application stored (a string's
 * value, an element, a member, a hash value, a key) goes through the
 * `toValue` mappers: in text mode it is the string the decoder made, in
 * bytes mode (`withOptions({ bytes: true })`) the `Uint8Array` it made,
 * passed through untouched. Their return types say `string`, the text-mode
 * promise of the builders; `BytesReplies` types what the bytes view
 * returns. Text the server makes or that names something (status words,
 * stream IDs, TYPE's answer, INFO, group names, a record's field names)
 * goes through the `toText` mappers, which decode bytes. Both test for a
 * string first, so text mode pays nothing for bytes mode.
 */

/** A bulk-string value: a string, or in bytes mode the bytes as they came. */
export function toValue(reply: RespValue): string {
  if (typeof reply === "string") return reply;
  if (reply instanceof Uint8Array) return reply as unknown as string;
  return unexpected("a string", reply);
}

/** A bulk-string value or null (GET of a missing key). */
export function toValueOrNull(reply: RespValue): string | null {
  if (reply === null || typeof reply === "string") return reply;
  if (reply instanceof Uint8Array) return reply as unknown as string;
  return unexpected("a string", reply);
}

/** Text: always a string, bytes decoded as UTF-8 (IDs, names, status). */
export function toText(reply: RespValue): string {
  if (typeof reply === "string") return reply;
  if (reply instanceof Uint8Array) return textDecoder.decode(reply);
  return unexpected("a string", reply);
}

/** Text or null. */
export function toTextOrNull(reply: RespValue): string | null {
  return reply === null ? null : toText(reply);
}

/**
 * A number: an integer reply, or a number sent as a bulk string (a string,
 * or bytes in bytes mode: INCRBYFLOAT, TIME).
 */
export function toNumber(reply: RespValue): number {
  if (typeof reply === "number") return reply;
  if (typeof reply === "bigint") return Number(reply);
  if (
    typeof reply === "string" && reply !== "" && !Number.isNaN(Number(reply))
  ) {
    return Number(reply);
  }
  if (reply instanceof Uint8Array) {
    const text = textDecoder.decode(reply);
    if (text !== "" && !Number.isNaN(Number(text))) return Number(text);
  }
  return unexpected("a number", reply);
}

/** A boolean from an integer 0/1 reply (or a RESP3 boolean). */
export function toBoolean(reply: RespValue): boolean {
  if (typeof reply === "boolean") return reply;
  if (reply === 1 || reply === 0) return reply === 1;
  return unexpected("0 or 1", reply);
}

/** `"OK"` or null (SET with NX/XX that did not set). */
export function toOkOrNull(reply: RespValue): "OK" | null {
  if (reply === null) return null;
  if (reply === "OK") return reply;
  return unexpected("OK", reply);
}

/** `"OK"` (status replies). */
export function toOk(reply: RespValue): "OK" {
  if (reply === "OK") return reply;
  return unexpected("OK", reply);
}

/** A number or null (integer replies that may be nil). */
export function toNumberOrNull(reply: RespValue): number | null {
  return reply === null ? null : toNumber(reply);
}

/** A list of values (an array, or a RESP3 set). */
export function toValues(reply: RespValue): string[] {
  if (Array.isArray(reply) || reply instanceof Set) {
    return Array.from(reply, (item: RespValue) => toValue(item));
  }
  return unexpected("an array", reply);
}

/** A list whose items are each a value or null (MGET, HMGET, SORT). */
export function toValueOrNullEach(reply: RespValue): (string | null)[] {
  if (Array.isArray(reply)) return reply.map((item) => toValueOrNull(item));
  return unexpected("an array", reply);
}

/** A list of values, or null (LPOP with a count on a missing key). */
export function toValuesOrNull(reply: RespValue): string[] | null {
  return reply === null ? null : toValues(reply);
}

/** A list of text (an array, or a RESP3 set). */
export function toTexts(reply: RespValue): string[] {
  if (Array.isArray(reply) || reply instanceof Set) {
    return Array.from(reply, (item: RespValue) => toText(item));
  }
  return unexpected("an array", reply);
}

/** A list whose items are each text or null (GEOHASH). */
export function toTextOrNullEach(reply: RespValue): (string | null)[] {
  if (Array.isArray(reply)) return reply.map((item) => toTextOrNull(item));
  return unexpected("an array", reply);
}

/**
 * Sets a field on a plain object, as an own property even when the field is
 * named `__proto__` (plain assignment would replace the prototype instead).
 */
export function setField<T>(
  record: Record<string, T>,
  field: string,
  v: T,
): void {
  if (field === "__proto__") {
    Object.defineProperty(record, field, {
      value: v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else record[field] = v;
}

/**
 * A record from a flat field/value array (RESP2) or a map (RESP3), field
 * names read as text (they become property names), values by `value`.
 */
function toRecord(
  reply: RespValue,
  value: (reply: RespValue) => string,
): Record<string, string> {
  const record: Record<string, string> = {};
  if (reply instanceof Map) {
    for (const [field, v] of reply) setField(record, toText(field), value(v));
    return record;
  }
  if (Array.isArray(reply) && reply.length % 2 === 0) {
    for (let i = 0; i < reply.length; i += 2) {
      setField(record, toText(reply[i]), value(reply[i + 1]));
    }
    return record;
  }
  return unexpected("a map or a flat array of pairs", reply);
}

/** A record of values by field name (HGETALL). */
export const toValueRecord: (reply: RespValue) => Record<string, string> =
  readsFlatMaps((reply) => toRecord(reply, toValue));

/** A record of text by name (CONFIG GET). */
export const toTextRecord: (reply: RespValue) => Record<string, string> =
  readsFlatMaps((reply) => toRecord(reply, toText));

/** A list of booleans from 0/1 integers or RESP3 booleans (SMISMEMBER). */
export function toBooleans(reply: RespValue): boolean[] {
  if (Array.isArray(reply)) return reply.map((item) => toBoolean(item));
  return unexpected("an array", reply);
}

/**
 * The name/value pairs of a flat array (RESP2) or a map (RESP3), names
 * read as strings, values as they came: the records of FUNCTION LIST and
 * the like.
 */
export function toPairs(reply: RespValue): Map<string, RespValue> {
  const out = new Map<string, RespValue>();
  if (reply instanceof Map) {
    for (const [name, v] of reply) out.set(toText(name), v);
    return out;
  }
  if (Array.isArray(reply) && reply.length % 2 === 0) {
    for (let i = 0; i < reply.length; i += 2) {
      out.set(toText(reply[i]), reply[i + 1]);
    }
    return out;
  }
  return unexpected("a map or a flat array of pairs", reply);
}
