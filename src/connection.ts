/**
 * One connection to a server: handshake, FIFO reply matching with many
 * commands in flight, write coalescing, per-command timeouts and aborts.
 *
 * @module
 */

import {
  ClosedError,
  ConnectionError,
  ProtocolError,
  RedisError,
  ReplyError,
  TimeoutError,
} from "./errors.ts";
import { Queue } from "./_queue.ts";
import { type CommandArg, commandName, RespWriter } from "./resp/encode.ts";
import { Decoder, type RespValue } from "./resp/decode.ts";
import type { ResolvedOptions } from "./options.ts";
import type { Transport, TransportSocket } from "./transport/types.ts";

/** Per-call options of a command. */
export interface CommandOptions {
  /** Return bulk strings as `Uint8Array` instead of strings. */
  bytes?: boolean;
  /**
   * How long to wait for the reply, in milliseconds; `0` waits for ever.
   *
   * @default {the client's commandTimeout}
   */
  timeout?: number;
  /** Rejects the command with the signal's reason when aborted. */
  signal?: AbortSignal;
}

/** Turns a raw reply into the value a typed method returns. */
export type ReplyMapper<T> = (reply: RespValue) => T;

/** What a connection tells its owner. */
export interface ConnectionEvents {
  /** The connection closed; `error` says why when it failed. */
  close?(connection: Connection, error: Error | undefined): void;
  /** A RESP3 push message (or a RESP2 pub/sub message) arrived. */
  push?(message: RespValue[]): void;
  /** A command timed out. */
  timeout?(): void;
  /** The last reply in flight arrived: nothing is pending now. */
  idle?(): void;
  /**
   * A command failed in a way that sending it again might fix: its
   * connection was lost before the reply came, or the server answered that
   * it is still loading its data (and so did not run it). Return `true` to
   * take the command over (to retry it); otherwise it rejects with `error`.
   */
  retry?(
    command: LostCommand,
    error: ConnectionError | ReplyError,
    mayHaveBeenApplied: boolean,
  ): boolean;
}

/** The settings a connection needs. */
export type ConnectionSettings = Pick<
  ResolvedOptions,
  | "host"
  | "port"
  | "path"
  | "username"
  | "password"
  | "db"
  | "tls"
  | "protocol"
  | "name"
  | "connectTimeout"
  | "commandTimeout"
  | "limits"
>;

/** The states a connection moves through, in order. */
export type ConnectionState =
  | "new"
  | "connecting"
  | "ready"
  | "closing"
  | "closed";

const identity: ReplyMapper<RespValue> = (reply) => reply;
const textDecoder = new TextDecoder();

/** The first element of pub/sub messages and confirmations. */
const PUBSUB_KINDS = new Set([
  "message",
  "pmessage",
  "smessage",
  "subscribe",
  "psubscribe",
  "ssubscribe",
  "unsubscribe",
  "punsubscribe",
  "sunsubscribe",
]);

/** A command that failed in a way a retry might fix. */
export interface LostCommand {
  /** The upper-case command name. */
  readonly name: string;
  readonly args: readonly CommandArg[];
  readonly map: ReplyMapper<unknown>;
  readonly options: CommandOptions | undefined;
  /** When it was first issued, in epoch milliseconds. */
  readonly issuedAt: number;
  /** How many times it was tried before this one. */
  readonly attempt: number;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

class Pending implements LostCommand {
  args: readonly CommandArg[];
  options: CommandOptions | undefined;
  attempt = 0;
  map: ReplyMapper<unknown>;
  bytes: boolean;
  resolve!: (value: unknown) => void;
  reject!: (error: unknown) => void;
  /** Sequence number; compared with the last written one. */
  seq: number;
  issuedAt: number;
  /** When the shared timer times this command out; 0 when it does not. */
  deadline = 0;
  settled = false;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  signal: AbortSignal | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;

  constructor(
    args: readonly CommandArg[],
    options: CommandOptions | undefined,
    map: ReplyMapper<unknown>,
    bytes: boolean,
    seq: number,
    issuedAt: number,
  ) {
    this.args = args;
    this.options = options;
    this.map = map;
    this.bytes = bytes;
    this.seq = seq;
    this.issuedAt = issuedAt;
  }

  /** The upper-case name, for messages: worked out only when needed. */
  get name(): string {
    return commandName(this.args);
  }

  /** Marks the command settled and drops its timer and abort listener. */
  finish(): void {
    this.settled = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.onAbort !== undefined) {
      this.signal!.removeEventListener("abort", this.onAbort);
    }
  }
}

function isUnknownCommand(error: unknown): boolean {
  return error instanceof ReplyError &&
    (/unknown command/i.test(error.message) || error.prefix === "NOPROTO");
}

/**
 * One socket to one server with any number of commands in flight.
 *
 * Replies are matched to commands in the order the commands were written. A
 * command that times out or is aborted stays in the queue, marked settled,
 * so its reply is read and dropped when it comes and later replies stay
 * matched to their own commands.
 */
export class Connection {
  readonly #settings: ConnectionSettings;
  readonly #transport: Transport;
  readonly #events: ConnectionEvents;
  readonly #writer = new RespWriter();
  readonly #decoder: Decoder;
  readonly #queue = new Queue<Pending>();
  #socket: TransportSocket | undefined;
  #state: ConnectionState = "new";
  #protocol: 2 | 3 = 2;
  #seq = 0;
  #writtenSeq = 0;
  #flushScheduled = false;
  /** The time read when the current tick's first command was issued. */
  #tickNow = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastDataAt = 0;
  #closed: Promise<void>;
  #resolveClosed!: () => void;
  #drainedPromise: Promise<void> | undefined;
  #resolveDrained: (() => void) | undefined;
  #error: Error | undefined;
  /** How the decoder reads replies that no command waits for (RESP2 pub/sub). */
  #idleBytes = false;
  /** When set, RESP2 pub/sub messages are routed to the push handler. */
  subscriber = false;
  /** When the connection was created, in epoch milliseconds. */
  readonly createdAt: number = Date.now();
  /** When a command was last issued or answered, in epoch milliseconds. */
  lastUsedAt: number = Date.now();

  /**
   * Constructs a connection; nothing happens on the network until
   * {@linkcode Connection.connect}.
   *
   * @param settings Where to connect and how.
   * @param transport The socket implementation.
   * @param events Where to report closing and push messages.
   */
  constructor(
    settings: ConnectionSettings,
    transport: Transport,
    events: ConnectionEvents = {},
  ) {
    this.#settings = settings;
    this.#transport = transport;
    this.#events = events;
    this.#decoder = new Decoder({
      reply: (value) => this.#onReply(value),
      push: (value) => this.#events.push?.(value),
    }, settings.limits);
    this.#closed = new Promise((resolve) => this.#resolveClosed = resolve);
  }

  /** The current state. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** The RESP version agreed in the handshake. */
  get protocol(): 2 | 3 {
    return this.#protocol;
  }

  /** Commands written or queued whose replies have not arrived. */
  get inFlight(): number {
    return this.#queue.size;
  }

  /** Why the connection closed, if it failed. */
  get error(): Error | undefined {
    return this.#error;
  }

  /**
   * Resolves once no command is in flight, or the connection closed.
   *
   * @returns A promise for that moment.
   */
  drained(): Promise<void> {
    if (this.#queue.size === 0 || this.#state === "closed") {
      return Promise.resolve();
    }
    this.#drainedPromise ??= new Promise((resolve) =>
      this.#resolveDrained = resolve
    );
    return this.#drainedPromise;
  }

  #settleDrained(): void {
    const resolve = this.#resolveDrained;
    if (resolve === undefined) return;
    this.#drainedPromise = this.#resolveDrained = undefined;
    resolve();
  }

  /** Resolves once the connection has closed. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /** `host:port` or the socket path, for messages. */
  get address(): string {
    const s = this.#settings;
    return s.path ?? `${s.host}:${s.port}`;
  }

  /**
   * Opens the socket and runs the handshake (HELLO, AUTH, SETNAME, SELECT).
   *
   * @returns Once the connection is ready for commands.
   * @throws {TimeoutError} When it takes longer than `connectTimeout`.
   * @throws {ConnectionError} When the socket cannot be opened.
   * @throws {ReplyError} When the server refuses the handshake (for
   * example a wrong password).
   */
  async connect(): Promise<void> {
    if (this.#state !== "new") {
      throw new TypeError("Cannot connect as the connection was already used");
    }
    this.#state = "connecting";
    const s = this.#settings;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      controller.abort(
        new TimeoutError(
          `Cannot connect to ${this.address} within ${s.connectTimeout} ms`,
        ),
      );
    }, s.connectTimeout);
    try {
      this.#socket = await abortable(
        this.#transport.connect({
          host: s.host,
          port: s.port,
          path: s.path,
          tls: s.tls,
          signal: controller.signal,
        }, {
          data: (chunk) => this.#onData(chunk),
          close: (error) => this.#onSocketClose(error),
        }),
        controller.signal,
        (late) => late.destroy(),
      ).catch((error) => {
        throw error instanceof RedisError || error === controller.signal.reason
          ? error
          : new ConnectionError(
            `Cannot connect to ${this.address} as ${
              (error as Error)?.message ?? error
            }`,
            { cause: error },
          );
      });
      if (this.#state !== "connecting") {
        throw this.#error ??
          new ClosedError("Cannot connect as the connection was closed");
      }
      this.#lastDataAt = Date.now();
      this.#decoder.decodeUtf8 = this.#socket.decodeUtf8;
      if (s.password === undefined && s.db === 0) {
        // Nothing in this handshake can change what later commands do (no
        // AUTH, no SELECT), so they need not wait for it: they follow HELLO
        // on the wire, saving a round trip on every new connection.
        this.#state = "ready";
        this.#handshake(s.connectTimeout).catch((error) => {
          // HELLO refused for another reason (NOAUTH): the connection stays
          // RESP2 and each command gets the server's own error.
          if (error instanceof ReplyError) return;
          this.destroy(
            error instanceof TimeoutError
              ? new TimeoutError(
                `Cannot connect to ${this.address} within ${s.connectTimeout} ms as the server did not answer HELLO`,
              )
              : error,
          );
        });
        return;
      }
      await abortable(this.#handshake(0), controller.signal);
      this.#state = "ready";
    } catch (error) {
      this.destroy(error as Error);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * HELLO (with AUTH and SETNAME), or AUTH and CLIENT SETNAME on servers
   * without HELLO, then SELECT. `timeout` bounds each reply (0: the caller
   * bounds the whole handshake).
   */
  async #handshake(timeout: number): Promise<void> {
    const s = this.#settings;
    const options = { timeout };
    const auth: string[] = s.password === undefined
      ? []
      : ["AUTH", s.username ?? "default", s.password];
    const setName: string[] = s.name === undefined ? [] : ["SETNAME", s.name];
    let helloFailed = false;
    if (s.protocol === 3) {
      try {
        await this.#enqueue(
          ["HELLO", "3", ...auth, ...setName],
          identity,
          options,
        );
        this.#protocol = 3;
      } catch (error) {
        if (!isUnknownCommand(error)) throw error;
        helloFailed = true;
      }
    }
    const setup: Promise<unknown>[] = [];
    if (s.protocol === 2 || helloFailed) {
      if (s.password !== undefined) {
        setup.push(this.#enqueue(
          s.username === undefined
            ? ["AUTH", s.password]
            : ["AUTH", s.username, s.password],
          identity,
          options,
        ));
      }
      if (s.name !== undefined) {
        setup.push(
          this.#enqueue(["CLIENT", "SETNAME", s.name], identity, options),
        );
      }
    }
    if (s.db !== 0) {
      setup.push(this.#enqueue(["SELECT", s.db], identity, options));
    }
    // Wait for all so that none is left unobserved, then report the first.
    const results = await Promise.allSettled(setup);
    for (const result of results) {
      if (result.status === "rejected") throw result.reason;
    }
  }

  /**
   * Sends one command.
   *
   * @param args The command and its arguments.
   * @param map Turns the reply into the returned value.
   * @param options Per-call bytes mode, timeout and abort signal.
   * @returns The mapped reply.
   */
  send<T = RespValue>(
    args: readonly CommandArg[],
    map?: ReplyMapper<T>,
    options?: CommandOptions,
    attempt = 0,
  ): Promise<T> {
    if (this.#state !== "ready") {
      return Promise.reject(
        this.#error ??
          new ClosedError(
            `Cannot send ${
              commandName(args)
            } as the connection is ${this.#state}`,
          ),
      );
    }
    return this.#enqueue(
      args,
      map ?? identity as ReplyMapper<T>,
      options,
      attempt,
    );
  }

  #enqueue<T>(
    args: readonly CommandArg[],
    map: ReplyMapper<T>,
    options: CommandOptions | undefined,
    attempt = 0,
  ): Promise<T> {
    try {
      this.#writer.writeCommand(args);
    } catch (error) {
      return Promise.reject(error);
    }
    // One clock read per tick: commands issued together share it.
    let now = this.#tickNow;
    if (!this.#flushScheduled) {
      now = this.#tickNow = Date.now();
      this.lastUsedAt = now;
    }
    const pending = new Pending(
      args,
      options,
      map,
      options?.bytes === true,
      ++this.#seq,
      now,
    );
    pending.attempt = attempt;
    const promise = new Promise<T>((resolve, reject) => {
      pending.resolve = resolve as (value: unknown) => void;
      pending.reject = reject;
    });
    if (this.#queue.size === 0) this.#decoder.bytes = pending.bytes;
    this.#queue.push(pending);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(this.#flush);
    }
    const timeout = options?.timeout;
    const signal = options?.signal;
    if (timeout === undefined && signal === undefined) {
      pending.deadline = now + this.#settings.commandTimeout;
      if (this.#timer === undefined) this.#armTimer(pending.deadline);
    } else {
      this.#guard(pending, timeout ?? this.#settings.commandTimeout, signal);
    }
    return promise;
  }

  /** The slow path: a command with its own timeout or abort signal. */
  #guard(
    pending: Pending,
    timeout: number,
    signal: AbortSignal | undefined,
  ): void {
    if (signal !== undefined) {
      if (signal.aborted) {
        pending.finish();
        pending.reject(signal.reason);
        return;
      }
      pending.signal = signal;
      pending.onAbort = () => {
        if (pending.settled) return;
        pending.finish();
        pending.reject(signal.reason);
      };
      signal.addEventListener("abort", pending.onAbort, { once: true });
    }
    if (timeout > 0) {
      pending.timer = setTimeout(() => {
        if (pending.settled) return;
        this.#timeOut(pending, timeout);
        this.#checkDead(Date.now());
      }, timeout);
    }
  }

  #flush = (): void => {
    this.#flushScheduled = false;
    if (this.#writer.length === 0 || this.#socket === undefined) return;
    this.#writtenSeq = this.#seq;
    this.#socket.write(this.#writer.take());
  };

  #armTimer(at: number): void {
    this.#timer = setTimeout(this.#onTimer, Math.max(0, at - Date.now()));
  }

  /*
   * One timer serves every command with the default timeout: their deadlines
   * grow in queue order, so the timer only needs the earliest pending one.
   * It is not cleared when the queue empties; when it fires with nothing due
   * it re-arms for the next deadline or stays off.
   */
  #onTimer = (): void => {
    this.#timer = undefined;
    const now = Date.now();
    const timeout = this.#settings.commandTimeout;
    let next = 0;
    for (let i = 0; i < this.#queue.size; i++) {
      const pending = this.#queue.at(i)!;
      if (pending.settled || pending.deadline === 0) continue;
      if (pending.deadline > now) {
        next = pending.deadline;
        break;
      }
      this.#timeOut(pending, timeout);
    }
    if (this.#checkDead(now)) return;
    if (next !== 0) this.#armTimer(next);
  };

  #timeOut(pending: Pending, timeout: number): void {
    pending.finish();
    pending.reject(
      new TimeoutError(
        `Cannot get a reply to ${pending.name} from ${this.address} within ${timeout} ms`,
      ),
    );
    this.#events.timeout?.();
  }

  /**
   * Destroys the connection when its oldest command is past its time and no
   * byte has arrived for `commandTimeout`: the server or the path to it is
   * gone, and nothing more will come.
   */
  #checkDead(now: number): boolean {
    const head = this.#queue.peek();
    if (head === undefined || !head.settled) return false;
    const silentFor = now - Math.max(this.#lastDataAt, head.issuedAt);
    if (silentFor < this.#settings.commandTimeout) return false;
    this.destroy(
      new TimeoutError(
        `Cannot use the connection to ${this.address} as it sent nothing for ${silentFor} ms with commands outstanding`,
      ),
    );
    return true;
  }

  #onData(chunk: Uint8Array): void {
    this.#lastDataAt = Date.now();
    try {
      this.#decoder.feed(chunk);
    } catch (error) {
      this.destroy(
        error instanceof ProtocolError ? error : new ProtocolError(
          `Cannot decode the reply as ${(error as Error)?.message ?? error}`,
        ),
      );
    }
  }

  #onReply(value: RespValue): void {
    if (this.subscriber && this.#routeSubscriberMessage(value)) return;
    const pending = this.#queue.shift();
    if (pending === undefined) {
      throw new ProtocolError(
        "Cannot match the reply as no command is waiting for one",
      );
    }
    const next = this.#queue.peek();
    if (next === undefined) {
      this.#decoder.bytes = this.#idleBytes;
      this.#events.idle?.();
      this.#settleDrained();
    } else this.#decoder.bytes = next.bytes;
    if (pending.settled) return;
    pending.finish();
    if (value instanceof ReplyError) {
      const error = new ReplyError(value.message, pending.name);
      // A server still loading its dataset refused the command unrun.
      if (
        error.prefix === "LOADING" &&
        this.#events.retry?.(pending, error, false) === true
      ) return;
      pending.reject(error);
      return;
    }
    this.lastUsedAt = this.#lastDataAt;
    try {
      pending.resolve(pending.map(value));
    } catch (error) {
      pending.reject(error);
    }
  }

  #routeSubscriberMessage(value: RespValue): boolean {
    if (!Array.isArray(value)) return false;
    const head = value[0];
    const kind = typeof head === "string"
      ? head
      : head instanceof Uint8Array
      ? textDecoder.decode(head)
      : undefined;
    if (kind === undefined || !PUBSUB_KINDS.has(kind)) return false;
    this.#events.push?.(value);
    return true;
  }

  /**
   * Writes a command that gets no reply of its own: SUBSCRIBE and its kin,
   * whose confirmations arrive as push messages (RESP3) or, on a connection
   * in subscriber mode, as messages routed like pushes (RESP2).
   *
   * @param args The command.
   * @throws {TypeError} When an argument cannot be encoded.
   * @throws {ClosedError} When the connection is not ready.
   */
  sendNoReply(args: readonly CommandArg[]): void {
    if (this.#state !== "ready") {
      throw this.#error ??
        new ClosedError(
          `Cannot send ${
            commandName(args)
          } as the connection is ${this.#state}`,
        );
    }
    this.#writer.writeCommand(args);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      this.#tickNow = Date.now();
      queueMicrotask(this.#flush);
    }
  }

  /** Decode bulk strings of push messages as bytes (pub/sub payloads). */
  set pushBytes(value: boolean) {
    this.#decoder.pushBytes = value;
    this.#idleBytes = value;
    if (this.#queue.size === 0) this.#decoder.bytes = value;
  }

  #onSocketClose(error: Error | undefined): void {
    if (this.#state === "closed") return;
    if (this.#state === "closing" && error === undefined) {
      this.#shutdown(undefined);
      return;
    }
    this.#shutdown(
      new ConnectionError(
        `Cannot use the connection to ${this.address} as it was closed${
          error ? ` (${error.message})` : " by the server"
        }`,
        { cause: error },
      ),
    );
  }

  /**
   * Closes gracefully: waits for the replies in flight, sends QUIT, then
   * closes the socket.
   *
   * @returns Once the socket has closed.
   */
  close(): Promise<void> {
    if (this.#state === "ready") {
      this.#state = "closing";
      this.#enqueue(["QUIT"], identity, undefined).then(
        () => this.#socket?.close(),
        () => this.destroy(),
      );
    } else if (this.#state !== "closing") {
      this.destroy();
    }
    return this.#closed;
  }

  /**
   * Closes at once; every command in flight rejects with `error` (by default
   * a `ClosedError`).
   *
   * @param error Why the connection is destroyed.
   */
  destroy(error?: Error): void {
    if (this.#state === "closed") return;
    this.#shutdown(
      error ??
        new ClosedError(
          `Cannot finish the command as the connection to ${this.address} was destroyed`,
        ),
    );
    this.#socket?.destroy();
  }

  #shutdown(error: Error | undefined): void {
    this.#state = "closed";
    this.#error = error;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#writer.take();
    const written = this.#writtenSeq;
    for (const pending of this.#queue.drain()) {
      if (pending.settled) continue;
      pending.finish();
      if (
        error === undefined || error instanceof ProtocolError ||
        error instanceof ClosedError
      ) {
        pending.reject(
          error ??
            new ClosedError(
              `Cannot finish ${pending.name} as the connection to ${this.address} closed`,
            ),
        );
      } else {
        const applied = pending.seq <= written;
        const why = error instanceof TimeoutError ? ` (${error.message})` : "";
        const failure = new ConnectionError(
          applied
            ? `Cannot read the reply to ${pending.name} as the connection to ${this.address} was lost${why}; the command may or may not have been applied`
            : `Cannot send ${pending.name} as the connection to ${this.address} was lost before it was written${why}`,
          { cause: error, mayHaveBeenApplied: applied },
        );
        // The owner may take the command over and send it again elsewhere.
        if (this.#events.retry?.(pending, failure, applied) !== true) {
          pending.reject(failure);
        }
      }
    }
    this.#events.close?.(this, error);
    this.#settleDrained();
    this.#resolveClosed();
  }
}

/**
 * Races a promise against an abort signal; a value that arrives after the
 * abort is handed to `late` (to close a socket nobody will use).
 */
function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  late?: (value: T) => void,
): Promise<T> {
  if (signal.aborted) {
    promise.then(late, () => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.then(late, () => {});
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) return;
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
