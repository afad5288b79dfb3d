/**
 * What the decoder produces and what it is given: decoded values, the
 * limits it enforces, and where it delivers replies and pushes.
 *
 * @module
 */

import type { ReplyError } from "../errors.ts";

/** A decoded RESP value. */
export type RespValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | Uint8Array
  | ReplyError
  | RespValue[]
  | Map<RespValue, RespValue>
  | Set<RespValue>;

/** Limits that protect the decoder from hostile or broken servers. */
export interface DecoderLimits {
  /**
   * The longest bulk string accepted, in bytes.
   *
   * @default {536870912}
   */
  maxBulkLength?: number;
  /**
   * The deepest nesting of aggregates accepted.
   *
   * @default {64}
   */
  maxDepth?: number;
  /**
   * The most elements one aggregate may announce.
   *
   * @default {134217728}
   */
  maxAggregateLength?: number;
  /**
   * The longest simple line (status, error, number) accepted, in bytes.
   *
   * @default {1048576}
   */
  maxLineLength?: number;
}

/** Where the decoder delivers what it decodes. */
export interface DecoderHandlers {
  /** Called with each complete top-level reply, in order. */
  reply(value: RespValue): void;
  /** Called with each complete RESP3 push message (`>`). */
  push(value: RespValue[]): void;
}
