/**
 * The spans a client records when it was given a tracer: one per command,
 * pipeline and transaction, one per connection opened and one per wait in
 * `acquire`, named and attributed by the OpenTelemetry database conventions
 * for Redis. Argument values are never recorded. Clients, leases, the
 * cluster and the node pools call in here only when a tracer was given;
 * without one they pay a single `undefined` check.
 *
 * @module
 */

import type { Command } from "../commands/_command.ts";
import type { CommandOptions } from "../connection/connection.ts";
import type { ReplyError } from "../errors.ts";
import type { ResolvedOptions } from "../options.ts";
import type { RespValue } from "../resp/decode.ts";
import { BATCH, type Executor, RUN } from "../_executor.ts";
import type { Span, SpanAttributes, Tracer } from "./types.ts";

import {
  ACQUIRE_SPAN,
  batchError,
  batchName,
  CLIENT,
  CONNECT_SPAN,
  type Endpoint,
  endpointOf,
  fail,
  INTERNAL,
  operationName,
  place,
  type Served,
  settle,
  TRACED,
  type Traced,
  traced,
} from "./_attributes.ts";

/**
 * Starts and ends the spans of one client (or lease, cluster or node pool)
 * with one tracer: what they have in common is the database index and
 * where the server is.
 */
export class Tracing {
  readonly #tracer: Tracer;
  readonly #db: number;
  readonly #where: (() => Endpoint | undefined) | undefined;

  /**
   * @param tracer The tracer.
   * @param db The configured database index.
   * @param where Where commands go, when one server serves them all (a
   * Sentinel client's answer changes with failovers); the cluster leaves
   * it out and its routing notes each command's node instead.
   */
  constructor(
    tracer: Tracer,
    db: number,
    where?: () => Endpoint | undefined,
  ) {
    this.#tracer = tracer;
    this.#db = db;
    this.#where = where;
  }

  /**
   * The tracing of a lease: its commands go to its connection's server.
   *
   * @param connection The leased connection (`address`: `host:port` or a
   * socket path).
   * @returns The lease's tracing.
   */
  on(connection: { readonly address?: string }): Tracing {
    const address = connection.address;
    if (address === undefined) return this;
    const endpoint = endpointOf(address);
    return new Tracing(this.#tracer, this.#db, () => endpoint);
  }

  /**
   * Whether a call is the caller's, to be traced, and not the traced call
   * that a span already covers.
   *
   * @param options The call's options.
   * @returns True when the call has no span yet.
   */
  untraced(options: object | null | undefined): boolean {
    return (options as Traced | null | undefined)?.[TRACED] === undefined;
  }

  /**
   * Runs one command in a span named by its operation.
   *
   * @param executor What runs it (called again, with the record).
   * @param command The command.
   * @param options The caller's options.
   * @param db The database index, when it is not the configured one.
   * @returns The command's result.
   */
  command<T>(
    executor: Executor,
    command: Command<T>,
    options: CommandOptions | undefined,
    db?: number,
  ): Promise<T> {
    const served: Served = {};
    const name = operationName(command.args);
    const [span, placed] = this.#start(name, CLIENT, true, db);
    return this.#finish(
      span,
      placed,
      served,
      settle(() => executor[RUN](command, traced(options, served))),
    );
  }

  /**
   * Runs a pipeline or a transaction (MULTI ... EXEC) in one span: `MULTI`
   * or `PIPELINE` (followed by the operation when all are the same one),
   * with `db.operation.batch.size`; a pipeline of one command is that
   * command's span.
   *
   * @param executor What sends it (called again, with the record).
   * @param commands The commands, MULTI and EXEC included.
   * @param options The caller's options.
   * @param db The database index, when it is not the configured one.
   * @returns The raw replies.
   */
  batch(
    executor: Executor,
    commands: readonly Command<unknown>[],
    options: CommandOptions | undefined,
    db?: number,
  ): Promise<RespValue[]> {
    const last = commands.length - 1;
    const transaction = last > 0 && commands[0].args[0] === "MULTI" &&
      commands[last].args[0] === "EXEC";
    const count = transaction ? commands.length - 2 : commands.length;
    const name = transaction
      ? batchName("MULTI", commands, 1, last)
      : count === 1
      ? operationName(commands[0].args)
      : batchName("PIPELINE", commands, 0, commands.length);
    // A batch of one is an operation, not a batch, for the conventions.
    const size = count === 1 ? undefined : count;
    const served: Served = {};
    const [span, placed] = this.#start(name, CLIENT, true, db, size);
    return this.#finish(
      span,
      placed,
      served,
      settle(() => executor[BATCH](commands, traced(options, served))),
      (replies) => batchError(replies, transaction),
    );
  }

  /**
   * Waits in `acquire` in a span.
   *
   * @param acquire The caller's `acquire` (called again, with the record).
   * @param options The caller's options.
   * @returns The lease.
   */
  acquire<O extends object, L>(
    acquire: (options: O) => Promise<L>,
    options: O | undefined,
  ): Promise<L> {
    const served: Served = {};
    const [span, placed] = this.#start(ACQUIRE_SPAN, INTERNAL, false);
    return this.#finish(
      span,
      placed,
      served,
      settle(() => acquire(traced(options, served))),
    );
  }

  /**
   * Wraps a connection factory so that each connection's `connect()`
   * (socket and handshake) runs in a span.
   *
   * @param open The factory.
   * @returns The factory of traced connections.
   */
  connections<
    E,
    C extends { connect(): Promise<void>; readonly address?: string },
  >(open: (events: E) => C): (events: E) => C {
    return (events) => {
      const connection = open(events);
      const connect = connection.connect;
      connection.connect = () => {
        const address = connection.address;
        const [span, placed] = this.#start(
          CONNECT_SPAN,
          CLIENT,
          false,
          undefined,
          undefined,
          address === undefined ? undefined : endpointOf(address),
        );
        return this.#finish(
          span,
          placed,
          undefined,
          settle(() => connect.call(connection)),
        );
      };
      return connection;
    };
  }

  /** Starts a span; also says whether its server is known yet. */
  #start(
    name: string,
    kind: number,
    operation: boolean,
    db?: number,
    size?: number,
    endpoint?: Endpoint,
  ): [Span, boolean] {
    const attributes: SpanAttributes = { "db.system.name": "redis" };
    if (operation) attributes["db.operation.name"] = name;
    if (size !== undefined) attributes["db.operation.batch.size"] = size;
    attributes["db.namespace"] = String(db ?? this.#db);
    const at = endpoint ?? this.#where?.();
    if (at !== undefined) place(attributes, at);
    return [
      this.#tracer.startSpan(name, { kind, attributes }),
      at !== undefined,
    ];
  }

  /** Ends the span when `result` settles, with what went wrong if anything. */
  #finish<T>(
    span: Span,
    placed: boolean,
    served: Served | undefined,
    result: Promise<T>,
    check?: (value: T) => ReplyError | undefined,
  ): Promise<T> {
    return result.then(
      (value) => {
        this.#place(span, placed, served);
        const error = check?.(value);
        if (error !== undefined) fail(span, error);
        span.end();
        return value;
      },
      (error: unknown) => {
        this.#place(span, placed, served);
        fail(span, error);
        span.end();
        throw error;
      },
    );
  }

  /** Sets where the server was, once known: the node the routing noted. */
  #place(span: Span, placed: boolean, served: Served | undefined): void {
    const node = served?.node;
    if (typeof node === "string") {
      span.setAttributes(place({}, endpointOf(node)));
    } else if (!placed) {
      const at = this.#where?.();
      if (at !== undefined) span.setAttributes(place({}, at));
    }
  }
}

/**
 * The tracing of a client for one server, or undefined without a tracer.
 *
 * @param options The client's options.
 * @param follower A Sentinel client's master follower: commands go where
 * it says.
 * @returns The tracing.
 */
export function clientTracing(
  options: ResolvedOptions,
  follower?: {
    readonly current: string | undefined;
    readonly address: Endpoint;
  },
): Tracing | undefined {
  const tracer = options.tracer;
  if (tracer === undefined) return undefined;
  if (follower !== undefined) {
    return new Tracing(
      tracer,
      options.db,
      () => follower.current === undefined ? undefined : follower.address,
    );
  }
  const endpoint: Endpoint = options.path === undefined
    ? { host: options.host, port: options.port }
    : { host: options.path };
  return new Tracing(tracer, options.db, () => endpoint);
}
