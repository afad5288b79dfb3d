/**
 * Reply types and mappers of the stream commands. RESP2 sends records as
 * flat field/value arrays and RESP3 as maps; both become the same objects.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import type { RespValue } from "../resp/decode.ts";
import {
  setField,
  toNumber,
  toNumberOrNull,
  toPairs,
  toText,
  toTextOrNull,
  toValue,
} from "./_reply.ts";

/**
 * One stream entry. Its ID and field names are text in bytes mode too.
 *
 * @typeParam V `string`, or `Uint8Array` from a view made by
 * `withOptions({ bytes: true })`.
 */
export interface StreamMessage<V extends string | Uint8Array = string> {
  /** The entry ID, such as `"1700000000000-0"`. */
  id: string;
  /** The entry's fields and values. */
  fields: Record<string, V>;
}

/**
 * One entry read by XREADGROUP. When a consumer re-reads its pending
 * entries (an ID other than `">"`), an entry deleted since it was delivered
 * comes back with `fields` null.
 *
 * @typeParam V `string`, or `Uint8Array` from a view made by
 * `withOptions({ bytes: true })`.
 */
export interface StreamGroupMessage<V extends string | Uint8Array = string> {
  /** The entry ID. */
  id: string;
  /** The entry's fields and values; null when the entry was deleted. */
  fields: Record<string, V> | null;
}

/**
 * The entries read from one stream by XREAD or XREADGROUP.
 *
 * @typeParam M The entries' type.
 * @typeParam K The key's type: `string`, or `Uint8Array` from a view made
 * by `withOptions({ bytes: true })`.
 */
export interface StreamRead<
  M = StreamMessage,
  K extends string | Uint8Array = string,
> {
  /** The stream's key. */
  key: K;
  /** The entries, oldest first. */
  messages: M[];
}

/** The summary form of XPENDING. */
export interface XPendingSummary {
  /** How many entries are pending in the group. */
  count: number;
  /** The smallest pending ID, or null when nothing is pending. */
  smallest: string | null;
  /** The greatest pending ID, or null when nothing is pending. */
  greatest: string | null;
  /** Each consumer with pending entries, and how many it has. */
  consumers: { name: string; count: number }[];
}

/** One pending entry, from the extended form of XPENDING. */
export interface XPendingEntry {
  /** The entry ID. */
  id: string;
  /** The consumer it was delivered to. */
  consumer: string;
  /** Milliseconds since it was last delivered. */
  idle: number;
  /** How many times it was delivered. */
  deliveries: number;
}

/**
 * The reply of XAUTOCLAIM.
 *
 * @typeParam V `string`, or `Uint8Array` from a view made by
 * `withOptions({ bytes: true })`.
 */
export interface XAutoClaimResult<V extends string | Uint8Array = string> {
  /** The ID to pass as `start` to continue the scan; `"0-0"` when done. */
  next: string;
  /** The entries claimed. */
  messages: StreamMessage<V>[];
  /** IDs that were pending but no longer exist; they left the PEL. */
  deleted: string[];
}

/** The reply of XAUTOCLAIM with JUSTID. */
export interface XAutoClaimIdsResult {
  /** The ID to pass as `start` to continue the scan; `"0-0"` when done. */
  next: string;
  /** The IDs claimed. */
  ids: string[];
  /** IDs that were pending but no longer exist; they left the PEL. */
  deleted: string[];
}

/**
 * The main fields of XINFO STREAM.
 *
 * @typeParam V `string`, or `Uint8Array` from a view made by
 * `withOptions({ bytes: true })`.
 */
export interface XInfoStream<V extends string | Uint8Array = string> {
  /** The number of entries. */
  length: number;
  /** Keys in the underlying radix tree. */
  radixTreeKeys: number;
  /** Nodes in the underlying radix tree. */
  radixTreeNodes: number;
  /** The number of consumer groups. */
  groups: number;
  /** The ID of the last entry added. */
  lastGeneratedId: string;
  /** The greatest ID deleted (Redis 7.0 and later). */
  maxDeletedEntryId?: string;
  /** How many entries were ever added (Redis 7.0 and later). */
  entriesAdded?: number;
  /** The first ID recorded (Redis 7.0 and later). */
  recordedFirstEntryId?: string;
  /** The first entry, or null when the stream is empty. */
  firstEntry: StreamMessage<V> | null;
  /** The last entry, or null when the stream is empty. */
  lastEntry: StreamMessage<V> | null;
}

/** One consumer group, from XINFO GROUPS. */
export interface XInfoGroup {
  /** The group's name. */
  name: string;
  /** How many consumers it has. */
  consumers: number;
  /** How many entries are pending (delivered, not acknowledged). */
  pending: number;
  /** The ID of the last entry delivered to the group. */
  lastDeliveredId: string;
  /** The logical read counter, or null when unknown (Redis 7.0 and later). */
  entriesRead: number | null;
  /** Entries not yet delivered, or null when unknown (Redis 7.0 and later). */
  lag: number | null;
}

/** One consumer, from XINFO CONSUMERS. */
export interface XInfoConsumer {
  /** The consumer's name. */
  name: string;
  /** How many entries are pending for it. */
  pending: number;
  /** Milliseconds since it last tried to interact. */
  idle: number;
  /** Milliseconds since it last read successfully (Redis 7.2 and later). */
  inactive?: number;
}

function unexpected(what: string, reply: RespValue): never {
  throw new ProtocolError(
    `Cannot read the stream reply as ${what} was expected, got ${
      reply === null ? "null" : Array.isArray(reply) ? "an array" : typeof reply
    }`,
  );
}

function array(reply: RespValue, what: string): RespValue[] {
  if (Array.isArray(reply)) return reply;
  return unexpected(what, reply);
}

function fieldsOf(reply: RespValue): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, v] of toPairs(reply)) setField(fields, name, toValue(v));
  return fields;
}

function fieldsOrNull(reply: RespValue): Record<string, string> | null {
  return reply === null ? null : fieldsOf(reply);
}

/** An entry: `[id, [field, value, ...]]`. */
function toMessage(reply: RespValue): StreamMessage {
  const [id, fields] = array(reply, "an entry");
  return { id: toText(id), fields: fieldsOf(fields) };
}

/** An entry or null (XINFO STREAM's first and last entries). */
function toMessageOrNull(reply: RespValue): StreamMessage | null {
  return reply === null ? null : toMessage(reply);
}

/** A list of entries (XRANGE, XREVRANGE, XCLAIM). */
export function toMessages(reply: RespValue): StreamMessage[] {
  const out: StreamMessage[] = [];
  // Before Redis 7.0, XCLAIM answers nil for entries deleted meanwhile.
  for (const item of array(reply, "a list of entries")) {
    if (item !== null) out.push(toMessage(item));
  }
  return out;
}

/** The streams of XREAD: `[[key, entries], ...]` (RESP2) or a map (RESP3). */
export function toStreamReads(reply: RespValue): StreamRead[] | null {
  if (reply === null) return null;
  return streamsOf(reply).map(([key, messages]) => ({
    key,
    messages: toMessages(messages),
  }));
}

/** The streams of XREADGROUP, whose entries may have been deleted. */
export function toStreamGroupReads(
  reply: RespValue,
): StreamRead<StreamGroupMessage>[] | null {
  if (reply === null) return null;
  return streamsOf(reply).map(([key, messages]) => ({
    key,
    messages: array(messages, "a list of entries").map((item) => {
      const [id, fields] = array(item, "an entry");
      return { id: toText(id), fields: fieldsOrNull(fields) };
    }),
  }));
}

function streamsOf(reply: RespValue): [string, RespValue][] {
  if (reply instanceof Map) {
    return Array.from(reply, ([key, v]) => [toValue(key), v]);
  }
  return array(reply, "a list of streams").map((item) => {
    const [key, messages] = array(item, "a stream");
    return [toValue(key), messages];
  });
}

/** The summary form of XPENDING: `[count, smallest, greatest, consumers]`. */
export function toPendingSummary(reply: RespValue): XPendingSummary {
  const [count, smallest, greatest, consumers] = array(reply, "a summary");
  return {
    count: toNumber(count),
    smallest: toTextOrNull(smallest),
    greatest: toTextOrNull(greatest),
    consumers: consumers === null
      ? []
      : array(consumers, "a list of consumers").map((item) => {
        const [name, n] = array(item, "a consumer");
        return { name: toText(name), count: toNumber(n) };
      }),
  };
}

/** The extended form of XPENDING: `[[id, consumer, idle, deliveries], ...]`. */
export function toPendingEntries(reply: RespValue): XPendingEntry[] {
  return array(reply, "a list of pending entries").map((item) => {
    const [id, consumer, idle, deliveries] = array(item, "a pending entry");
    return {
      id: toText(id),
      consumer: toText(consumer),
      idle: toNumber(idle),
      deliveries: toNumber(deliveries),
    };
  });
}

function deletedOf(reply: RespValue | undefined): string[] {
  // Redis 6.2 has no third element.
  if (reply === undefined || reply === null) return [];
  return array(reply, "a list of IDs").map(toText);
}

/** XAUTOCLAIM: `[next, entries, deleted]`. */
export function toAutoClaim(reply: RespValue): XAutoClaimResult {
  const [next, messages, deleted] = array(reply, "an XAUTOCLAIM reply");
  return {
    next: toText(next),
    messages: toMessages(messages),
    deleted: deletedOf(deleted),
  };
}

/** XAUTOCLAIM with JUSTID: `[next, ids, deleted]`. */
export function toAutoClaimIds(reply: RespValue): XAutoClaimIdsResult {
  const [next, ids, deleted] = array(reply, "an XAUTOCLAIM reply");
  return {
    next: toText(next),
    ids: array(ids, "a list of IDs").map(toText),
    deleted: deletedOf(deleted),
  };
}

function optionalString(v: RespValue | undefined): string | undefined {
  return v === undefined ? undefined : toText(v);
}

function optionalNumber(v: RespValue | undefined): number | undefined {
  return v === undefined ? undefined : toNumber(v);
}

/** XINFO STREAM. */
export function toInfoStream(reply: RespValue): XInfoStream {
  const info = toPairs(reply);
  const out: XInfoStream = {
    length: toNumber(need(info, "length")),
    radixTreeKeys: toNumber(need(info, "radix-tree-keys")),
    radixTreeNodes: toNumber(need(info, "radix-tree-nodes")),
    groups: toNumber(need(info, "groups")),
    lastGeneratedId: toText(need(info, "last-generated-id")),
    firstEntry: toMessageOrNull(info.get("first-entry") ?? null),
    lastEntry: toMessageOrNull(info.get("last-entry") ?? null),
  };
  const maxDeleted = optionalString(info.get("max-deleted-entry-id"));
  if (maxDeleted !== undefined) out.maxDeletedEntryId = maxDeleted;
  const added = optionalNumber(info.get("entries-added"));
  if (added !== undefined) out.entriesAdded = added;
  const first = optionalString(info.get("recorded-first-entry-id"));
  if (first !== undefined) out.recordedFirstEntryId = first;
  return out;
}

function need(info: Map<string, RespValue>, name: string): RespValue {
  const v = info.get(name);
  if (v === undefined) {
    throw new ProtocolError(
      `Cannot read the stream reply as field ${name} is missing`,
    );
  }
  return v;
}

/** XINFO GROUPS. */
export function toInfoGroups(reply: RespValue): XInfoGroup[] {
  return array(reply, "a list of groups").map((item) => {
    const group = toPairs(item);
    return {
      name: toText(need(group, "name")),
      consumers: toNumber(need(group, "consumers")),
      pending: toNumber(need(group, "pending")),
      lastDeliveredId: toText(need(group, "last-delivered-id")),
      entriesRead: toNumberOrNull(group.get("entries-read") ?? null),
      lag: toNumberOrNull(group.get("lag") ?? null),
    };
  });
}

/** XINFO CONSUMERS. */
export function toInfoConsumers(reply: RespValue): XInfoConsumer[] {
  return array(reply, "a list of consumers").map((item) => {
    const consumer = toPairs(item);
    const out: XInfoConsumer = {
      name: toText(need(consumer, "name")),
      pending: toNumber(need(consumer, "pending")),
      idle: toNumber(need(consumer, "idle")),
    };
    const inactive = optionalNumber(consumer.get("inactive"));
    if (inactive !== undefined) out.inactive = inactive;
    return out;
  });
}

/** A list of IDs (XCLAIM with JUSTID). */
export function toIds(reply: RespValue): string[] {
  return array(reply, "a list of IDs").map(toText);
}
