/**
 * One connection to a server: handshake, FIFO reply matching with many
 * entries in flight, write coalescing, per-entry timeouts and aborts.
 *
 * @module
 */

import { ClosedError, ConnectionError, ProtocolError } from "../errors.ts";
import { type CommandArg, commandName, RespWriter } from "../resp/encode.ts";
import { Decoder, type RespValue } from "../resp/decode.ts";
import type { ResolvedOptions } from "../options.ts";
import type { Transport, TransportSocket } from "../transport/types.ts";
import { microtask } from "../transport/detect.ts";
import {
  handshake,
  handshakeIsPipelined,
  type HandshakeSettings,
  pipelinedFailure,
} from "./_handshake.ts";
import { abortable, connectDeadline, openSocket } from "./_open.ts";
import { type ReplyEvents, ReplyQueue } from "./_replies.ts";
import {
  BATCH,
  type BatchMember,
  type CommandOptions,
  CONFIRM,
  type LostCommand,
  Pending,
  type ReplyMapper,
  SINGLE,
} from "./_pending.ts";

export type { BatchMember, CommandOptions, LostCommand, ReplyMapper };

/** What a connection tells its owner. */
export interface ConnectionEvents extends ReplyEvents {
  /** The connection closed; `error` says why when it failed. */
  close?(connection: Connection, error: Error | undefined): void;
}

/** The settings a connection needs. */
export type ConnectionSettings =
  & HandshakeSettings
  & Pick<
    ResolvedOptions,
    | "host"
    | "port"
    | "path"
    | "tls"
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

/**
 * One socket to one server with any number of entries in flight.
 *
 * Replies are matched to entries in the order the entries were written (the
 * reply queue, `_replies.ts`); this class owns the socket, the handshake,
 * the writes and the connection's life.
 */
export class Connection {
  readonly #settings: ConnectionSettings;
  readonly #transport: Transport;
  readonly #events: ConnectionEvents;
  readonly #writer = new RespWriter();
  readonly #decoder: Decoder;
  readonly #queue: ReplyQueue;
  #socket: TransportSocket | undefined;
  #state: ConnectionState = "new";
  #protocol: 2 | 3 = 2;
  #seq = 0;
  #writtenSeq = 0;
  #flushScheduled = false;
  /** The time read when the current tick's first command was issued. */
  #tickNow = 0;
  #lastDataAt = 0;
  /** Made when first asked for: `closed` is read by closing pools only. */
  #closed: Promise<void> | undefined;
  #resolveClosed: (() => void) | undefined;
  #error: Error | undefined;
  /** The server's id of this connection, once known. */
  clientId: number | undefined;
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
    const queue = this.#queue = new ReplyQueue(
      this,
      events,
      settings.commandTimeout,
    );
    this.#decoder = queue.decoder = new Decoder(queue, settings.limits);
  }

  /** The current state. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** The RESP version agreed in the handshake. */
  get protocol(): 2 | 3 {
    return this.#protocol;
  }

  /** Entries written or queued whose replies have not all arrived. */
  get inFlight(): number {
    return this.#queue.size;
  }

  /** Why the connection closed, if it failed. */
  get error(): Error | undefined {
    return this.#error;
  }

  /**
   * Resolves once nothing is in flight, or the connection closed.
   *
   * @returns A promise for that moment.
   */
  drained(): Promise<void> {
    return this.#state === "closed" ? Promise.resolve() : this.#queue.drained();
  }

  /** Resolves once the connection has closed. */
  get closed(): Promise<void> {
    if (this.#closed !== undefined) return this.#closed;
    return this.#closed = this.#state === "closed"
      ? Promise.resolve()
      : new Promise((resolve) => this.#resolveClosed = resolve);
  }

  /** When a byte last arrived, in epoch milliseconds. */
  get lastDataAt(): number {
    return this.#lastDataAt;
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
    // The deadline's timer and signal live in a scope of their own: one
    // here would be kept alive by the socket's callbacks below.
    const deadline = connectDeadline(s.connectTimeout, this.address);
    try {
      const socket = await openSocket(this.#transport, {
        host: s.host,
        port: s.port,
        path: s.path,
        tls: s.tls,
        signal: deadline.signal,
      }, {
        data: (chunk) => this.#onData(chunk),
        close: (error) => this.#onSocketClose(error),
      }, this.address);
      if (this.#state !== "connecting") {
        // Destroyed while the socket was opening: nothing else will close it.
        socket.destroy();
        throw this.#error ??
          new ClosedError("Cannot connect as the connection was closed");
      }
      this.#socket = socket;
      this.#lastDataAt = Date.now();
      this.#decoder.decodeUtf8 = socket.decodeUtf8;
      this.#writer.encodeUtf8Into = socket.encodeUtf8Into;
      if (handshakeIsPipelined(s)) {
        this.#state = "ready";
        // HELLO's write waits two microtasks, for the commands the caller
        // sends once connect() resolved: they leave with it in one write
        // (on workerd a second write waits a turn of its event loop).
        this.#tickNow = this.lastUsedAt = Date.now();
        this.#flushScheduled = true;
        microtask(() => microtask(this.#flush));
        this.#handshake(s.connectTimeout).catch((error) => {
          const failure = pipelinedFailure(
            error,
            this.address,
            s.connectTimeout,
          );
          if (failure !== undefined) this.destroy(failure);
        });
        return;
      }
      await abortable(this.#handshake(Infinity), deadline.signal);
      this.#state = "ready";
    } catch (error) {
      this.destroy(error as Error);
      throw error;
    } finally {
      deadline.clear();
    }
  }

  /** `timeout` bounds each reply (Infinity: the caller bounds the whole). */
  async #handshake(timeout: number): Promise<void> {
    const options = { timeout };
    const result = await handshake(
      this.#settings,
      (args) =>
        this.#enqueue(SINGLE, args, undefined, identity, options) as Promise<
          RespValue
        >,
    );
    this.#protocol = result.protocol;
    this.clientId = result.clientId;
  }

  #notReady(what: string): Error {
    return this.#error ??
      new ClosedError(
        `Cannot send ${what} as the connection is ${this.#state}`,
      );
  }

  /**
   * Sends one command.
   *
   * @param args The command and its arguments.
   * @param map Turns the reply into the returned value.
   * @param options Per-call bytes mode, timeout and abort signal.
   * @param attempt How many times it was tried before (for retries).
   * @returns The mapped reply.
   */
  send<T = RespValue>(
    args: readonly CommandArg[],
    map?: ReplyMapper<T>,
    options?: CommandOptions,
    attempt = 0,
  ): Promise<T> {
    if (this.#state !== "ready") {
      return Promise.reject(this.#notReady(commandName(args)));
    }
    return this.#enqueue(
      SINGLE,
      args,
      undefined,
      (map ?? identity) as ReplyMapper<unknown>,
      options,
      attempt,
    ) as Promise<T>;
  }

  /**
   * Sends commands back to back as one entry: they leave in one write,
   * nothing else comes between them, and a timeout, abort or retry acts on
   * all of them together.
   *
   * @param batch The commands, in order.
   * @param options A timeout and an abort signal for the whole batch.
   * @param attempt How many times it was tried before (for retries).
   * @returns Every reply in order; server errors are `ReplyError` values.
   */
  sendBatch(
    batch: readonly BatchMember[],
    options?: CommandOptions,
    attempt = 0,
  ): Promise<RespValue[]> {
    if (this.#state !== "ready") {
      return Promise.reject(this.#notReady("the batch"));
    }
    return this.#enqueue(
      BATCH,
      batch[0].args,
      batch,
      identity,
      options,
      attempt,
      batch.length,
    ) as Promise<RespValue[]>;
  }

  /**
   * Sends a (P|S)(UN)SUBSCRIBE, settled once the server confirmed each of
   * its `expected` names (or refused the command). From then on the
   * connection routes pub/sub messages to the `push` event.
   *
   * @param args The command; every name must be given (no bare
   * UNSUBSCRIBE), so the confirmations can be counted.
   * @param expected How many confirmations to wait for.
   * @param options A timeout and an abort signal.
   * @returns Once confirmed.
   */
  sendConfirmed(
    args: readonly CommandArg[],
    expected: number,
    options?: CommandOptions,
  ): Promise<void> {
    if (this.#state !== "ready") {
      return Promise.reject(this.#notReady(commandName(args)));
    }
    this.#queue.subscriber = true;
    return this.#enqueue(
      CONFIRM,
      args,
      undefined,
      identity,
      options,
      0,
      expected,
      commandName(args).toLowerCase(),
    ) as Promise<void>;
  }

  #enqueue(
    kind: number,
    args: readonly CommandArg[],
    batch: readonly BatchMember[] | undefined,
    map: ReplyMapper<unknown>,
    options: CommandOptions | undefined,
    attempt = 0,
    expected = 1,
    confirms?: string,
  ): Promise<unknown> {
    const writer = this.#writer;
    const mark = writer.length;
    try {
      if (batch === undefined) writer.writeCommand(args);
      else for (const member of batch) writer.writeCommand(member.args);
    } catch (error) {
      // Nothing of a batch that could not be encoded may leave.
      writer.truncate(mark);
      return Promise.reject(error);
    }
    // One clock read per tick: commands issued together share it.
    let now = this.#tickNow;
    if (!this.#flushScheduled) {
      now = this.#tickNow = Date.now();
      this.lastUsedAt = now;
    }
    const pending = new Pending(
      kind,
      args,
      batch,
      options,
      map,
      ++this.#seq,
      now,
      expected,
      confirms,
    );
    pending.attempt = attempt;
    const promise = new Promise<unknown>((resolve, reject) => {
      pending.resolve = resolve;
      pending.reject = reject;
    });
    this.#queue.add(pending);
    if (!this.#flushScheduled) {
      if (batch !== undefined && mark === 0 && this.#socket !== undefined) {
        // A batch alone in the buffer is a write already: send it now, so
        // the server works on it while the caller encodes what follows (a
        // cluster pipeline's next node).
        this.#flush();
        return promise;
      }
      this.#flushScheduled = true;
      microtask(this.#flush);
    }
    return promise;
  }

  #flush = (): void => {
    this.#flushScheduled = false;
    if (this.#writer.length === 0 || this.#socket === undefined) return;
    this.#writtenSeq = this.#seq;
    const writeCopy = this.#socket.writeCopy;
    if (writeCopy === undefined) this.#socket.write(this.#writer.take());
    else writeCopy(this.#writer.buffer, this.#writer.clear());
  };

  #onData(chunk: Uint8Array): void {
    this.lastUsedAt = this.#lastDataAt = Date.now();
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

  /** Decode bulk strings of pub/sub messages as bytes. */
  set pushBytes(value: boolean) {
    this.#decoder.pushBytes = value;
    this.#queue.idleBytes = value;
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
   * Closes gracefully: waits for the replies in flight, then closes the
   * socket. No QUIT (deprecated in Redis 7.2) and no wait for the server's
   * FIN: a Worker closing its client per request would wait round trips.
   *
   * @returns Once the socket has closed.
   */
  close(): Promise<void> {
    if (this.#state === "ready") {
      this.#state = "closing";
      this.#queue.drained().then(() => {
        if (this.#state !== "closing") return;
        this.#shutdown(undefined);
        this.#socket?.destroy();
      });
    } else if (this.#state !== "closing") {
      this.destroy();
    }
    return this.closed;
  }

  /**
   * Closes at once; every entry in flight rejects with `error` (by default
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
    this.#writer.clear();
    this.#queue.failAll(error, this.#writtenSeq);
    this.#events.close?.(this, error);
    this.#resolveClosed?.();
  }
}
