/**
 * The client-side cache: replies of cacheable reads kept in memory, each
 * tied to the connection whose server-side tracking covers it, and dropped
 * when the server's invalidation for one of its keys arrives on any
 * connection, when this client writes one of them, or when that connection
 * is lost.
 *
 * @module
 */

import type { Command } from "../commands/_command.ts";
import type { CommandSpec } from "../commands/registry.ts";
import type { CommandOptions } from "../connection/_pending.ts";
import type { CommandArg } from "../resp/encode.ts";
import type { RespValue } from "../resp/types.ts";
import {
  cacheId,
  cachePlan,
  copyReply,
  invalidationKey,
  keysOf,
  READ,
  WRITE,
} from "./_plan.ts";
import type { CacheStats, ResolvedCache } from "./types.ts";
import { add, Entries, take } from "./_entries.ts";
import { bounded, FLIGHT, type Flight, newFlight } from "./_flight.ts";
import { TurnBudget } from "./_turns.ts";

/** Prefixes the space of replies read as bytes (no command name has it). */
const BYTES = "\u0002";

/** Sends a command to the server (the cache's way out). */
export type Send = <T>(
  command: Command<T>,
  options?: CommandOptions,
) => Promise<T>;

/** What the node pools tell the cache about their connections. */
export interface Tracker {
  /**
   * A push message arrived on a connection.
   *
   * @returns Whether it was an invalidation (and so handled).
   */
  push(source: object, message: RespValue[]): boolean;
  /** A connection closed: the server no longer tracks its reads. */
  lost(source: object): void;
}

const utf8 = new TextDecoder();

function text(value: RespValue): string {
  return typeof value === "string"
    ? value
    : value instanceof Uint8Array
    ? utf8.decode(value)
    : String(value);
}

/**
 * The keys a write changes: `null` for all of them (a keyless write such
 * as FLUSHALL, or keys the registry cannot find); a script's declared keys.
 */
function writtenKeys(
  spec: CommandSpec,
  args: readonly CommandArg[],
): string[] | null {
  const keys = keysOf(spec, args);
  if (spec.write && (keys === undefined || keys.length === 0)) return null;
  return keys ?? [];
}

/**
 * The cache of one client (or one cluster client: its keys are unique
 * across nodes).
 */
export class ClientCache implements Tracker {
  /** How MGET's missing keys are grouped into one MGET each (cluster slots). */
  readonly #group: ((key: CommandArg) => number) | undefined;
  readonly #entries: Entries;
  /** The flight later reads of a reply may wait for. */
  readonly #flights = new Map<string, Flight>();
  readonly #flightsByKey = new Map<string, Flight[]>();
  readonly #lost = new WeakSet<object>();
  #hits = 0;
  #misses = 0;
  #invalidations = 0;
  #closed = false;
  readonly #turns = new TurnBudget();

  /**
   * @param settings Bounds and ttl.
   * @param group Groups MGET's missing keys (by cluster slot); one group
   * when not given.
   */
  constructor(settings: ResolvedCache, group?: (key: CommandArg) => number) {
    this.#entries = new Entries(settings);
    this.#group = group;
  }

  /** What the cache holds and has done. */
  get stats(): CacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      entries: this.#entries.size,
      bytes: this.#entries.bytes,
      evictions: this.#entries.evictions,
      invalidations: this.#invalidations,
    };
  }

  /**
   * Runs a command through the cache: a cacheable read is answered from
   * memory or sent (and its reply kept); a write drops the replies of its
   * keys when its reply comes; anything else is sent as it is.
   *
   * @param command The command.
   * @param options Per-call options.
   * @param send Sends a command to the server.
   * @returns The mapped reply.
   */
  run<T>(
    command: Command<T>,
    options: CommandOptions | undefined,
    send: Send,
  ): Promise<T> {
    const plan = cachePlan(command.args);
    if (plan.kind === READ) {
      if (!this.#turns.spent()) {
        return this.#read(command, plan.spec!, options, send);
      }
      return new Promise<T>((resolve, reject) => {
        this.#turns.wait(() => {
          try {
            resolve(this.#read(command, plan.spec!, options, send));
          } catch (error) {
            reject(error);
          }
        });
      });
    }
    if (plan.kind !== WRITE) return send(command, options);
    const keys = writtenKeys(plan.spec!, command.args);
    const map = command.map;
    return send({
      args: command.args,
      bytes: command.bytes,
      map: (reply) => {
        this.changed(keys);
        return map(reply);
      },
    }, options);
  }

  /**
   * Sends a batch (pipeline or transaction): its reads bypass the cache,
   * its writes drop the replies of their keys when the batch's replies
   * come.
   *
   * @param commands The batch.
   * @param send Sends it.
   * @returns The raw replies.
   */
  batch(
    commands: readonly Command<unknown>[],
    send: () => Promise<RespValue[]>,
  ): Promise<RespValue[]> {
    let changed: (string[] | null)[] | undefined;
    for (const command of commands) {
      const keys = this.written(command.args);
      if (keys !== undefined) (changed ??= []).push(keys);
    }
    if (changed === undefined) return send();
    return send().then((replies) => {
      for (const keys of changed) this.changed(keys);
      return replies;
    });
  }

  /**
   * The keys a command writes, as invalidations name them.
   *
   * @param args The command.
   * @returns The keys; `null` for every key (FLUSHALL, or keys the registry
   * cannot find); undefined when it writes nothing.
   */
  written(args: readonly CommandArg[]): string[] | null | undefined {
    const plan = cachePlan(args);
    return plan.kind === WRITE ? writtenKeys(plan.spec!, args) : undefined;
  }

  /**
   * Drops the replies of keys this client changed, and keeps replies in
   * flight for them from being kept.
   *
   * @param keys The keys; `null` for all.
   */
  changed(keys: readonly string[] | null): void {
    if (keys === null) this.#flush();
    else for (const key of keys) this.#invalidate(key);
  }

  /**
   * Handles an invalidation push: `["invalidate", keys]`, or
   * `["invalidate", null]` for a flush.
   */
  push(_source: object, message: RespValue[]): boolean {
    if (message.length !== 2 || text(message[0]) !== "invalidate") {
      return false;
    }
    const keys = message[1];
    if (Array.isArray(keys)) {
      for (const key of keys) this.#invalidate(text(key));
    } else this.#flush();
    return true;
  }

  /** Drops the replies a connection's tracking covered. */
  lost(source: object): void {
    this.#lost.add(source);
    this.#invalidations += this.#entries.dropSource(source);
  }

  /**
   * Answers the reads waiting for their turn, in the order they came: the
   * client is closing, and they were issued before.
   */
  answerWaiting(): void {
    this.#turns.answerWaiting();
  }

  /** Empties the cache and keeps nothing more. */
  close(): void {
    this.#closed = true;
    this.#flush();
    // Any read still waiting is sent, and fails if the client is closed,
    // rather than left unsettled.
    this.#turns.close();
  }

  #read<T>(
    command: Command<T>,
    spec: CommandSpec,
    options: CommandOptions | undefined,
    send: Send,
  ): Promise<T> {
    const args = command.args;
    const name = spec.name;
    if (name === "MGET") return this.#mget(command, options, send);
    const bytes = command.bytes === true || options?.bytes === true;
    // One string argument: found by the strings the caller has, no new one.
    const single = args.length === 2 && typeof args[1] === "string";
    const space = single ? (bytes ? BYTES + name : name) : "";
    const id = single ? args[1] as string : cacheId(name, args, bytes);
    const entry = this.#entries.get(space, id, this.#turns.now);
    if (entry !== undefined) {
      this.#hits++;
      try {
        return Promise.resolve(command.map(copyReply(entry.value)));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    this.#misses++;
    let flight = this.#flights.get(space + FLIGHT + id);
    if (flight !== undefined) {
      return this.#follow(flight, command, options, send, name);
    }
    const keys = keysOf(spec, args);
    if (keys === undefined) return send(command, options);
    flight = this.#begin(space, id, keys, options);
    const own = flight;
    send<RespValue>({
      args,
      bytes: command.bytes,
      map: (reply, source) => {
        this.#land(own, reply, source);
        return reply;
      },
    }, options).then(
      // A reply that reached no connection's mapper (combined from nodes)
      // is answered, not kept.
      (reply) => this.#land(own, reply, undefined),
      (error) => this.#fail(own, error),
    );
    return flight.promise.then((raw) => command.map(copyReply(raw)));
  }

  /** Waits for another caller's read of the same reply. */
  #follow<T>(
    flight: Flight,
    command: Command<T>,
    options: CommandOptions | undefined,
    send: Send,
    name: string,
  ): Promise<T> {
    const mapped = flight.promise.then(
      (raw) => command.map(copyReply(raw)),
      (error) => {
        // Its own timeout or signal ended it: not ours to share.
        if (flight.own) return this.run(command, options, send);
        throw error;
      },
    );
    return options?.timeout === undefined && options?.signal === undefined
      ? mapped
      : bounded(mapped, options, name);
  }

  /** MGET, one reply per key: hits from memory, the rest sent. */
  #mget<T>(
    command: Command<T>,
    options: CommandOptions | undefined,
    send: Send,
  ): Promise<T> {
    const args = command.args;
    const bytes = command.bytes === true || options?.bytes === true;
    const values = new Array<RespValue>(args.length - 1);
    let waits: Promise<void>[] | undefined;
    let missing: Map<number, number[]> | undefined;
    let ids: string[] | undefined;
    const space = bytes ? BYTES + "MGET" : "MGET";
    const now = this.#turns.now;
    for (let i = 1; i < args.length; i++) {
      const key = args[i];
      const id = typeof key === "string"
        ? key
        : cacheId("MGET", ["MGET", key], bytes);
      const entry = this.#entries.get(space, id, now);
      if (entry !== undefined) {
        this.#hits++;
        values[i - 1] = copyReply(entry.value);
        continue;
      }
      this.#misses++;
      const flight = this.#flights.get(space + FLIGHT + id);
      if (flight !== undefined && !flight.own) {
        (waits ??= []).push(
          flight.promise.then((raw) => void (values[i - 1] = copyReply(raw))),
        );
        continue;
      }
      (ids ??= [])[i] = id;
      const group = this.#group?.(args[i]) ?? 0;
      const members = (missing ??= new Map()).get(group);
      if (members === undefined) missing.set(group, [i]);
      else members.push(i);
    }
    if (missing !== undefined) {
      for (const members of missing.values()) {
        const flights = members.map((i) =>
          this.#begin(space, ids![i], [invalidationKey(args[i])], options)
        );
        send<RespValue>({
          args: ["MGET", ...members.map((i) => args[i])],
          bytes: command.bytes,
          map: (reply, source) => {
            const list = Array.isArray(reply) ? reply : [];
            flights.forEach((f, j) => this.#land(f, list[j] ?? null, source));
            return reply;
          },
        }, options).then(
          (reply) => {
            const list = Array.isArray(reply) ? reply : [];
            flights.forEach((f, j) =>
              this.#land(f, list[j] ?? null, undefined)
            );
          },
          (error) => flights.forEach((f) => this.#fail(f, error)),
        );
        members.forEach((i, j) =>
          (waits ??= []).push(
            flights[j].promise.then((raw) =>
              void (values[i - 1] = copyReply(raw))
            ),
          )
        );
      }
    }
    try {
      if (waits === undefined) return Promise.resolve(command.map(values));
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.all(waits).then(() => command.map(values));
  }

  #begin(
    space: string,
    id: string,
    keys: readonly string[],
    options: CommandOptions | undefined,
  ): Flight {
    const flight = newFlight(space, id, keys, options);
    this.#flights.set(flight.key, flight);
    for (const key of keys) add(this.#flightsByKey, key, flight);
    return flight;
  }

  #end(flight: Flight): void {
    if (this.#flights.get(flight.key) === flight) {
      this.#flights.delete(flight.key);
    }
    for (const key of flight.keys) take(this.#flightsByKey, key, flight);
  }

  #fail(flight: Flight, error: unknown): void {
    if (flight.settled) return;
    flight.settled = true;
    this.#end(flight);
    flight.reject(error);
  }

  /**
   * A reply arrived on `source`: kept when none of its keys changed while
   * it was in flight and `source` tracks the keys it reads.
   */
  #land(flight: Flight, value: RespValue, source: object | undefined): void {
    if (flight.settled) return;
    flight.settled = true;
    this.#end(flight);
    // Reads of the same keys still in flight may have been answered before
    // this one on another connection: their answers may be older than the
    // one callers see now, so they are not kept, and later reads do not
    // wait for them.
    for (const key of flight.keys) this.#overtake(key);
    if (
      !flight.stale && source !== undefined && !this.#closed &&
      !this.#lost.has(source)
    ) this.#entries.set(flight.space, flight.id, flight.keys, value, source);
    // Kept or not, those waiting get the copy they are owed.
    flight.resolve(value);
  }

  /** A key changed: its replies go, its reads in flight are not kept. */
  #invalidate(key: string): void {
    this.#invalidations += this.#entries.dropKey(key);
    this.#overtake(key);
  }

  /** Marks the reads of a key in flight stale, and stops others joining. */
  #overtake(key: string): void {
    const flights = this.#flightsByKey.get(key);
    if (flights === undefined) return;
    for (const flight of flights) {
      flight.stale = true;
      // Later reads send again rather than wait for a stale answer.
      if (this.#flights.get(flight.key) === flight) {
        this.#flights.delete(flight.key);
      }
    }
  }

  #flush(): void {
    this.#invalidations += this.#entries.clear();
    for (const flights of this.#flightsByKey.values()) {
      for (const flight of flights) flight.stale = true;
    }
    this.#flights.clear();
  }
}
