/**
 * Reply mappers shared by the command builders. Each turns a raw reply into
 * the typed value a method promises, the same under RESP2 and RESP3.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import type { RespValue } from "../resp/decode.ts";

const textDecoder = new TextDecoder();

function unexpected(what: string, reply: RespValue): never {
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
