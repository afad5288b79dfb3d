/**
 * Reply mappers shared by the command builders. Each turns a raw reply into
 * the typed value a method promises, the same under RESP2 and RESP3.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import type { RespValue } from "../resp/decode.ts";

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

/** A string or null (bulk string replies). */
export function toStringOrNull(reply: RespValue): string | null {
  if (reply === null || typeof reply === "string") return reply;
  if (reply instanceof Uint8Array) return textDecoder.decode(reply);
  return unexpected("a string", reply);
}

/** A string. */
export function toString(reply: RespValue): string {
  if (typeof reply === "string") return reply;
  if (reply instanceof Uint8Array) return textDecoder.decode(reply);
  return unexpected("a string", reply);
}

/** A number (integer replies). */
export function toNumber(reply: RespValue): number {
  if (typeof reply === "number") return reply;
  if (typeof reply === "bigint") return Number(reply);
  if (
    typeof reply === "string" && reply !== "" && !Number.isNaN(Number(reply))
  ) {
    return Number(reply);
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

/** A list of strings (an array, or a RESP3 set). */
export function toStrings(reply: RespValue): string[] {
  if (Array.isArray(reply) || reply instanceof Set) {
    return Array.from(reply, (item: RespValue) => toString(item));
  }
  return unexpected("an array", reply);
}

/** A list whose items are each a string or null (MGET, HMGET). */
export function toStringOrNullEach(reply: RespValue): (string | null)[] {
  if (Array.isArray(reply)) return reply.map((item) => toStringOrNull(item));
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
 * A record of strings from a flat field/value array (RESP2) or a map
 * (RESP3): HGETALL, CONFIG GET.
 */
export function toRecord(reply: RespValue): Record<string, string> {
  const record: Record<string, string> = {};
  if (reply instanceof Map) {
    for (const [field, v] of reply) {
      setField(record, toString(field), toString(v));
    }
    return record;
  }
  if (Array.isArray(reply) && reply.length % 2 === 0) {
    for (let i = 0; i < reply.length; i += 2) {
      setField(record, toString(reply[i]), toString(reply[i + 1]));
    }
    return record;
  }
  return unexpected("a map or a flat array of pairs", reply);
}

/** A list of strings, or null (LPOP with a count on a missing key). */
export function toStringsOrNull(reply: RespValue): string[] | null {
  return reply === null ? null : toStrings(reply);
}

/** A list of booleans from 0/1 integers or RESP3 booleans (SMISMEMBER). */
export function toBooleans(reply: RespValue): boolean[] {
  if (Array.isArray(reply)) return reply.map((item) => toBoolean(item));
  return unexpected("an array", reply);
}
