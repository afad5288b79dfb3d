/**
 * The pieces of a span: OpenTelemetry's constants, the names and
 * attributes of the database conventions for Redis, the error status
 * (messages without argument values), and what the cluster's routing
 * writes down about where a traced call went.
 *
 * @module
 */

import type { Command } from "../commands/_command.ts";
import { commandSpec } from "../commands/registry.ts";
import { ReplyError } from "../errors.ts";
import type { RespValue } from "../resp/decode.ts";
import type { CommandArg } from "../resp/encode.ts";
import type { Span, SpanAttributes, Tracer } from "./types.ts";

/** OpenTelemetry's `SpanKind.INTERNAL`. */
export const INTERNAL = 0;
/** OpenTelemetry's `SpanKind.CLIENT`. */
export const CLIENT = 2;
/** OpenTelemetry's `SpanStatusCode.ERROR`. */
export const ERROR = 2;

/** The span of opening a connection, handshake included. */
export const CONNECT_SPAN = "connect";
/** The span of waiting in `acquire` for a lease. */
export const ACQUIRE_SPAN = "acquire";

/**
 * The key of a traced call's record in the options it passes on. A call
 * whose options have one runs inside its span already: a client's `[RUN]`
 * starts the span and calls itself with the record, and the cluster's
 * routing writes down in it which node the command went to.
 */
export const TRACED: unique symbol = Symbol("respool.traced");

/** What the cluster's routing writes down for a traced call. */
export interface Served {
  /** `host:port` of the node it went to last; `null` when several. */
  node?: string | null;
}

export type Traced = { readonly [TRACED]?: Served };

/** Where a server is: a host and port, or a unix socket path (no port). */
export interface Endpoint {
  readonly host: string;
  readonly port?: number;
}

/**
 * Reads an address as connections and cluster nodes name it: `host:port`
 * (an IPv6 host with or without brackets), or a unix socket path.
 *
 * @param address The address.
 * @returns The host and port, or the path as the host.
 */
export function endpointOf(address: string): Endpoint {
  const colon = address.lastIndexOf(":");
  const port = address.slice(colon + 1);
  if (colon <= 0 || address.startsWith("/") || !/^\d{1,5}$/.test(port)) {
    return { host: address };
  }
  const host = address.slice(0, colon);
  return {
    host: host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host,
    port: Number(port),
  };
}

/**
 * Writes down, for a traced call, the node the cluster sent it to; `null`
 * when it was split over several (a split is never undone by a later
 * part). Nothing happens for a call that is not traced.
 *
 * @param options The call's options.
 * @param node `host:port` of the node, or `null` for several.
 */
export function noteNode(
  options: object | null | undefined,
  node: string | null,
): void {
  const served = (options as Traced | null | undefined)?.[TRACED];
  if (served !== undefined && served.node !== null) served.node = node;
}

/**
 * Writes down, for a traced call split by node (a cluster's pipeline), the
 * node when it all went to one, else that it went to several.
 *
 * @param options The call's options.
 * @param nodes The nodes it was split over.
 * @param others How many of its commands went their own way.
 */
export function noteNodes(
  options: object | null | undefined,
  nodes: ReadonlyMap<{ readonly address: string }, unknown>,
  others: number,
): void {
  const served = (options as Traced | null | undefined)?.[TRACED];
  if (served === undefined || served.node === null) return;
  served.node = nodes.size === 1 && others === 0
    ? nodes.keys().next().value!.address
    : null;
}

/**
 * Checks the `tracer` option.
 *
 * @param tracer The option as given.
 * @returns The tracer, or undefined when none was given.
 * @throws {TypeError} When it is not an object with a `startSpan` method.
 */
export function resolveTracer(tracer: unknown): Tracer | undefined {
  if (tracer === undefined) return undefined;
  if (
    typeof tracer !== "object" || tracer === null ||
    typeof (tracer as Tracer).startSpan !== "function"
  ) {
    throw new TypeError(
      `Cannot create the client as tracer must be an OpenTelemetry Tracer (an object with a startSpan method), got ${
        tracer === null
          ? "null"
          : typeof tracer === "object"
          ? "an object without one"
          : typeof tracer
      }`,
    );
  }
  return tracer as Tracer;
}

export const decoder = new TextDecoder();

/**
 * The operation's name: the command as the registry names it, upper case,
 * a subcommand of a container with it ("CLIENT SETNAME"); an unknown
 * command by its first word. Never an argument.
 *
 * @param args The command as it would be sent.
 * @returns The name.
 */
export function operationName(args: readonly CommandArg[]): string {
  const spec = commandSpec(args);
  if (spec !== undefined) return spec.name;
  const name = args[0];
  return (name instanceof Uint8Array ? decoder.decode(name) : String(name))
    .toUpperCase();
}

/**
 * A batch's name: `kind`, followed by the operation when every command of
 * the batch is the same one ("PIPELINE GET"), as the conventions ask.
 */
export function batchName(
  kind: "PIPELINE" | "MULTI",
  commands: readonly Command<unknown>[],
  from: number,
  to: number,
): string {
  let common: string | undefined;
  for (let i = from; i < to; i++) {
    const name = operationName(commands[i].args);
    if (common === undefined) common = name;
    else if (name !== common) return kind;
  }
  return common === undefined ? kind : `${kind} ${common}`;
}

/**
 * The server error a batch resolved with, if any: a pipeline's first; for
 * a transaction, EXEC's (EXECABORT), MULTI's, or the first inside EXEC's
 * reply.
 */
export function batchError(
  replies: readonly RespValue[],
  transaction: boolean,
): ReplyError | undefined {
  if (!transaction) {
    for (const reply of replies) if (reply instanceof ReplyError) return reply;
    return undefined;
  }
  const exec = replies[replies.length - 1];
  if (exec instanceof ReplyError) return exec;
  if (replies[0] instanceof ReplyError) return replies[0];
  if (Array.isArray(exec)) {
    for (const reply of exec) if (reply instanceof ReplyError) return reply;
  }
  return undefined;
}

/**
 * The server quotes an unknown command's first arguments in its error
 * ("..., with args beginning with: 'a' 'b'"): they are cut, so no argument
 * reaches a span even there.
 */
export function redact(message: string): string {
  const at = message.indexOf(", with args beginning with:");
  return at === -1 ? message : message.slice(0, at);
}

/**
 * Marks a span as failed: `error.type` (a server error's prefix, or the
 * error's class), `db.response.status_code` for a server error, the
 * exception, and status ERROR with the message.
 */
export function fail(span: Span, error: unknown): void {
  const attributes: SpanAttributes = {};
  if (error instanceof ReplyError) {
    attributes["error.type"] = error.prefix;
    attributes["db.response.status_code"] = error.prefix;
  } else {
    attributes["error.type"] = error instanceof Error ? error.name : "_OTHER";
  }
  span.setAttributes(attributes);
  const message = redact(
    error instanceof Error ? error.message : String(error),
  );
  if (error instanceof Error) {
    const stack = error.stack;
    span.recordException({
      name: error.name,
      message,
      stack: stack === undefined || message === error.message
        ? stack
        : stack.replace(error.message, message),
    });
  }
  span.setStatus({ code: ERROR, message });
}

/** `fn()`, with a synchronous throw turned into a rejection. */
export function settle<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The options of a traced call, carrying its record. */
export function traced<O extends object>(
  options: O | undefined,
  served: Served,
): O {
  return { ...options, [TRACED]: served } as O;
}

/** Adds `server.address` and, for TCP, `server.port`. */
export function place(
  attributes: SpanAttributes,
  at: Endpoint,
): SpanAttributes {
  attributes["server.address"] = at.host;
  if (at.port !== undefined) attributes["server.port"] = at.port;
  return attributes;
}
