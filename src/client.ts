/**
 * The client: typed commands multiplexed over a bounded pool, leases for
 * stateful work, stats and events.
 *
 * @module
 */

import { type CommandOptions, Connection } from "./connection.ts";
import {
  type ClientOptions,
  type ResolvedOptions,
  resolveOptions,
} from "./options.ts";
import { exponentialBackoff } from "./policy/retry.ts";
import { defaultTransport } from "./transport/detect.ts";
import type { Transport } from "./transport/types.ts";
import type { Command } from "./commands/_command.ts";
import { blockTime, isStateful } from "./commands/_flags.ts";
import {
  BATCH,
  RedisCommands,
  RUN,
  type SendOptions,
} from "./commands/methods.ts";
import type { CommandArg } from "./resp/encode.ts";
import type { RespValue } from "./resp/decode.ts";
import { type AcquireOptions, Pool, type PoolStats } from "./pool/pool.ts";
import type { Lease } from "./pool/lease.ts";

/** The `detail` of each event the client emits. */
export interface ClientEventMap {
  /** A connection opened. */
  connect: { address: string };
  /** A connection finished its handshake and takes commands. */
  ready: { address: string };
  /** A connection attempt failed or a connection was lost; trying again. */
  reconnecting: { attempt: number; delay: number; error: Error };
  /** A connection failed. */
  error: { error: Error };
  /** A lease was garbage-collected without release; `stack` is where it was acquired. */
  leak: { stack: string; heldMs: number };
  /** A lease has been held longer than `longHoldWarning`. */
  longhold: { stack: string | undefined; heldMs: number };
  /** The client closed. */
  close: Record<string, never>;
}

/** A listener for one of the client's events. */
export type ClientEventListener<K extends keyof ClientEventMap> = (
  event: CustomEvent<ClientEventMap[K]>,
) => void;

const lazyTransport: Transport = {
  name: "auto",
  async connect(options, handlers) {
    return (await defaultTransport()).connect(options, handlers);
  },
};

/**
 * A Redis/Valkey client: commands are multiplexed over a bounded pool of
 * connections (many in flight per connection, those issued in one tick sent
 * in one write); `acquire()` lends an exclusive connection for stateful
 * work. Create one with {@linkcode createClient}.
 *
 * @example Commands, a lease and events
 * ```ts ignore
 * import { createClient } from "@respool/redis";
 *
 * await using redis = createClient("redis://127.0.0.1:6379");
 * redis.addEventListener("leak", (e) => console.warn(e.detail.stack));
 * await redis.set("greeting", "hello", { ex: 60 });
 * console.log(await redis.get("greeting"));
 * {
 *   await using conn = await redis.acquire({ timeout: 1_000 });
 *   await conn.send(["SELECT", 2]);
 * } // released (and reset to db 0) here
 * ```
 */
export class Client extends RedisCommands {
  readonly #options: ResolvedOptions;
  readonly #pool: Pool<Connection>;
  readonly #events = new EventTarget();
  readonly #listening = new Map<string, Set<unknown>>();
  #closing: Promise<void> | undefined;

  /**
   * Constructs a client; nothing touches the network until the first
   * command or {@linkcode Client.connect}. Prefer {@linkcode createClient}.
   *
   * @param options Resolved options.
   */
  constructor(options: ResolvedOptions) {
    super();
    this.#options = options;
    const transport = options.transport ?? lazyTransport;
    const address = options.path ?? `${options.host}:${options.port}`;
    this.#pool = new Pool<Connection>(
      {
        ...options.pool,
        maxQueued: options.maxQueued,
        commandTimeout: options.commandTimeout,
        connectTimeout: options.connectTimeout,
        db: options.db,
        retry: options.retry ?? exponentialBackoff(),
        reconnect: options.reconnect ??
          exponentialBackoff({ base: 100, cap: 5_000, attempts: Infinity }),
      },
      (events) => new Connection(options, transport, events),
      (type, detail) => this.#emit(type, detail),
      address,
    );
  }

  /**
   * Runs one built command on this client (multiplexed, or on a lease of its own when it blocks).
   *
   * @param command The command and its reply mapper.
   * @param options Per-call options.
   * @returns The mapped reply.
   */
  override [RUN]<T>(
    command: Command<T>,
    options?: CommandOptions,
  ): Promise<T> {
    if (command.bytes) options = { ...options, bytes: true };
    if (command.block !== undefined) return this.#runBlocking(command, options);
    return this.#pool.run(command.args, command.map, options);
  }

  /**
   * Sends built commands back to back on one shared connection.
   *
   * @param commands The commands, in order.
   * @param options Per-call options applied to each command.
   * @returns One promise per command, for its mapped reply.
   */
  override [BATCH](
    commands: readonly Command<unknown>[],
    options?: CommandOptions,
  ): Promise<Promise<unknown>[]> {
    return this.#pool.batch(commands.map((command) => ({
      args: command.args,
      map: command.map,
      options: command.bytes ? { ...options, bytes: true } : options,
    })));
  }

  /**
   * Sends any command. Commands that block (BLPOP, XREAD BLOCK, WAIT, ...)
   * run on a lease of their own so they never stall other commands.
   *
   * @param args The command name and its arguments.
   * @param options `bytes: true` returns bulk strings as `Uint8Array`; also a
   * per-call `timeout` and `signal`.
   * @returns The reply as decoded.
   * @throws {TypeError} When the command changes connection state (SELECT,
   * MULTI, WATCH, SUBSCRIBE, ...): send it on a lease from `acquire()`.
   * @throws {ReplyError} When the server answers with an error.
   */
  override send(
    args: readonly CommandArg[],
    options?: SendOptions,
  ): Promise<RespValue> {
    if (!Array.isArray(args) || args.length === 0) {
      return Promise.reject(
        new TypeError(
          "Cannot send the command as args must be a non-empty array",
        ),
      );
    }
    const name = typeof args[0] === "string" ? args[0].toUpperCase() : "";
    if (isStateful(name, args[1])) {
      return Promise.reject(
        new TypeError(
          `Cannot send ${name} on the shared connections as it changes connection state: send it on a lease from client.acquire()`,
        ),
      );
    }
    const block = blockTime(name, args);
    return this[RUN](
      { args: args as CommandArg[], map: identity, block },
      options,
    );
  }

  async #runBlocking<T>(
    command: Command<T>,
    options: CommandOptions | undefined,
  ): Promise<T> {
    const lease = await this.#pool.acquire({ signal: options?.signal });
    try {
      return command.map(await lease.send(command.args, options));
    } finally {
      await lease.release();
    }
  }

  /**
   * Opens a connection (or `pool.min` connections) now instead of at the
   * first command, so configuration errors surface here.
   *
   * @returns Once a connection is ready.
   * @throws {ConnectionError} When the server cannot be reached.
   * @throws {ReplyError} When the server refuses the handshake.
   */
  connect(): Promise<void> {
    return this.#pool.warm();
  }

  /**
   * Borrows an exclusive connection for stateful work. Release it with
   * `await using`, `release()` or `destroy()`; a lease dropped without
   * release is reported as a `leak` event and its connection reclaimed.
   *
   * @example Leasing for a transaction
   * ```ts ignore
   * await using conn = await redis.acquire({ timeout: 1_000 });
   * await conn.send(["MULTI"]);
   * await conn.send(["INCR", "n"]);
   * await conn.send(["EXEC"]);
   * ```
   *
   * @param options A timeout (default `pool.acquireTimeout`) and a signal.
   * @returns The lease.
   * @throws {PoolTimeoutError} When no connection became free in time.
   * @throws {ClosedError} When the client is closed.
   */
  acquire(options?: AcquireOptions): Promise<Lease> {
    return this.#pool.acquire(options);
  }

  /**
   * A snapshot of the pool: sizes, waiters, in-flight commands and
   * counters.
   *
   * @returns The stats.
   */
  stats(): PoolStats {
    return this.#pool.stats();
  }

  /**
   * Closes gracefully: waits (up to `timeout`) for leases to be released
   * and replies in flight to arrive, then closes every connection.
   *
   * @param timeout How long to wait, in milliseconds.
   * @returns Once everything is closed.
   */
  close(timeout = 5_000): Promise<void> {
    this.#closing ??= this.#pool.close(timeout).then(() => {
      this.#emit("close", {});
    });
    return this.#closing;
  }

  /** Closes at once: commands in flight and waiters reject. */
  destroy(): void {
    this.#pool.destroy();
  }

  /**
   * Closes the client; called by `await using`.
   *
   * @returns Once closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Listens for an event: `connect`, `ready`, `reconnecting`, `error`,
   * `leak`, `longhold` or `close`.
   *
   * @param type The event.
   * @param listener Called with a `CustomEvent` whose `detail` describes it.
   * @param options As for `EventTarget.addEventListener`.
   */
  addEventListener<K extends keyof ClientEventMap>(
    type: K,
    listener: ClientEventListener<K>,
    options?: AddEventListenerOptions,
  ): void {
    let set = this.#listening.get(type);
    if (set === undefined) this.#listening.set(type, set = new Set());
    set.add(listener);
    this.#events.addEventListener(type, listener as EventListener, options);
  }

  /**
   * Stops listening for an event.
   *
   * @param type The event.
   * @param listener The listener passed to `addEventListener`.
   */
  removeEventListener<K extends keyof ClientEventMap>(
    type: K,
    listener: ClientEventListener<K>,
  ): void {
    this.#listening.get(type)?.delete(listener);
    this.#events.removeEventListener(type, listener as EventListener);
  }

  #emit(type: string, detail: unknown): boolean {
    const listened = (this.#listening.get(type)?.size ?? 0) > 0;
    if (listened) this.#events.dispatchEvent(new CustomEvent(type, { detail }));
    return listened;
  }
}

const identity = (reply: RespValue): RespValue => reply;

/**
 * Creates a client. Nothing touches the network until the first command.
 *
 * @example Creating a client from a URL and options
 * ```ts
 * import { createClient } from "@respool/redis";
 *
 * const redis = createClient("redis://127.0.0.1:6379/0", {
 *   pool: { max: 10, acquireTimeout: 5_000 },
 *   commandTimeout: 10_000,
 * });
 * await redis.close();
 * ```
 *
 * @param url A `redis://`, `rediss://` or `unix://` URL, or the options.
 * @param options Options; they win over what the URL says.
 * @returns The client.
 * @throws {TypeError} When the URL or an option has the wrong type.
 * @throws {RangeError} When an option is out of range.
 */
export function createClient(
  url?: string | ClientOptions,
  options?: ClientOptions,
): Client {
  if (typeof url === "object" && url !== null) {
    return new Client(resolveOptions(undefined, url));
  }
  return new Client(resolveOptions(url, options));
}
