/**
 * The handshake of a new connection: HELLO (with AUTH and SETNAME), or AUTH
 * and CLIENT SETNAME on servers without HELLO, then SELECT, READONLY on a
 * cluster connection that reads from replicas, and CLIENT TRACKING for the
 * client-side cache.
 *
 * @module
 */

import { ReplyError, TimeoutError } from "../errors.ts";
import type { RespValue } from "../resp/decode.ts";
import type { CommandArg } from "../resp/encode.ts";
import type { ResolvedOptions } from "../options.ts";

/** The settings the handshake reads. */
export type HandshakeSettings =
  & Pick<
    ResolvedOptions,
    "username" | "password" | "db" | "protocol" | "name"
  >
  & {
    readonly readOnly?: boolean;
    /** Turn on key tracking: invalidations come as RESP3 pushes. */
    readonly tracking?: boolean;
  };

/** What the handshake agreed. */
export interface HandshakeResult {
  /** The RESP version the connection speaks. */
  readonly protocol: 2 | 3;
  /** The server's id of this connection, when HELLO told it. */
  readonly clientId: number | undefined;
}

function isUnknownCommand(error: unknown): boolean {
  return error instanceof ReplyError &&
    (/unknown command/i.test(error.message) || error.prefix === "NOPROTO");
}

function idOf(hello: RespValue): number | undefined {
  if (hello instanceof Map) {
    const id = hello.get("id");
    return typeof id === "number" ? id : undefined;
  }
  return undefined;
}

/**
 * Whether commands may follow the handshake on the wire without waiting for
 * it, saving a round trip on every new connection: nothing in it can change
 * what they do (no AUTH, no SELECT). Not with tracking: no read may come
 * before tracking is on.
 *
 * @param settings The handshake's settings.
 * @returns Whether the connection is ready before the handshake's replies.
 */
export function handshakeIsPipelined(settings: HandshakeSettings): boolean {
  return settings.password === undefined && settings.db === 0 &&
    !settings.readOnly && !settings.tracking;
}

/**
 * What the failure of a pipelined handshake does to its connection. A
 * HELLO the server refused (NOAUTH, say; an unknown HELLO is handled by
 * {@linkcode handshake}) leaves it speaking RESP2, each command getting the
 * server's own error: undefined. Anything else closes it, a timeout named
 * as HELLO left unanswered.
 *
 * @param error Why the handshake failed.
 * @param address The server's address, for the message.
 * @param timeout The connect timeout that bounded HELLO, in milliseconds.
 * @returns The error to close the connection with, if it must close.
 */
export function pipelinedFailure(
  error: unknown,
  address: string,
  timeout: number,
): Error | undefined {
  if (error instanceof ReplyError) return undefined;
  return error instanceof TimeoutError
    ? new TimeoutError(
      `Cannot connect to ${address} within ${timeout} ms as the server did not answer HELLO`,
    )
    : error as Error;
}

/**
 * Runs the handshake through `send`, which queues a command on the new
 * connection and resolves with its reply.
 *
 * @param settings Who to authenticate as, the name, the database.
 * @param send Sends one handshake command.
 * @returns The protocol agreed and the connection's id.
 * @throws {ReplyError} When the server refuses a step (a wrong password).
 */
export async function handshake(
  settings: HandshakeSettings,
  send: (args: readonly CommandArg[]) => Promise<RespValue>,
): Promise<HandshakeResult> {
  const s = settings;
  const auth: string[] = s.password === undefined
    ? []
    : ["AUTH", s.username ?? "default", s.password];
  const setName: string[] = s.name === undefined ? [] : ["SETNAME", s.name];
  let protocol: 2 | 3 = 2;
  let clientId: number | undefined;
  let helloFailed = false;
  const setup: Promise<unknown>[] = [];
  if (s.protocol === 3) {
    const hello = send(["HELLO", "3", ...auth, ...setName]);
    // Right behind HELLO, so that every later command is tracked.
    const tracking = s.tracking
      ? send(["CLIENT", "TRACKING", "ON"])
      : undefined;
    try {
      clientId = idOf(await hello);
      protocol = 3;
      if (tracking !== undefined) setup.push(tracking);
    } catch (error) {
      tracking?.catch(() => {});
      if (!isUnknownCommand(error)) throw error;
      helloFailed = true;
    }
  }
  if (s.protocol === 2 || helloFailed) {
    if (s.password !== undefined) {
      setup.push(send(
        s.username === undefined
          ? ["AUTH", s.password]
          : ["AUTH", s.username, s.password],
      ));
    }
    if (s.name !== undefined) setup.push(send(["CLIENT", "SETNAME", s.name]));
  }
  if (s.db !== 0) setup.push(send(["SELECT", s.db]));
  if (s.readOnly) setup.push(send(["READONLY"]));
  if (s.tracking && protocol !== 3) {
    // The server refused HELLO 3: reconnecting cannot help.
    throw new ReplyError(
      "ERR the server refused HELLO 3, and the client-side cache needs RESP3 for its invalidations (Redis 6 or later)",
      "HELLO",
    );
  }
  // Wait for all so that none is left unobserved, then report the first.
  const results = await Promise.allSettled(setup);
  for (const result of results) {
    if (result.status === "rejected") throw result.reason;
  }
  return { protocol, clientId };
}
