/**
 * Error classes with stable codes. Every error respool raises for a server,
 * network or pool failure extends {@linkcode RedisError} and carries a
 * `code`; misuse of the API throws the built-in `TypeError`/`RangeError`.
 *
 * @module
 */

/** The stable codes carried by {@linkcode RedisError.code}. */
export type RedisErrorCode =
  | "REPLY"
  | "CONNECTION"
  | "TIMEOUT"
  | "POOL_TIMEOUT"
  | "PROTOCOL"
  | "CLOSED"
  | "QUEUE_FULL"
  | "LEASE_RELEASED"
  | "CLUSTER";

/**
 * The base class of every error respool raises for a server, network or pool
 * failure.
 *
 * @example Telling errors apart by code
 * ```ts
 * import { RedisError } from "@respool/redis";
 *
 * function describe(error: unknown): string {
 *   return error instanceof RedisError ? error.code : "other";
 * }
 * ```
 */
export class RedisError extends Error {
  /** The stable code of this failure. */
  readonly code: RedisErrorCode;

  /**
   * Constructs a new instance.
   *
   * @param code The stable code of the failure.
   * @param message What could not be done and why.
   * @param options The cause, if any.
   */
  constructor(code: RedisErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RedisError";
    this.code = code;
  }
}

/**
 * An error reply from the server (`-ERR ...` or a RESP3 blob error).
 *
 * @example Reading the server's error prefix
 * ```ts
 * import { ReplyError } from "@respool/redis";
 *
 * const error = new ReplyError("WRONGTYPE Operation against a key holding the wrong kind of value");
 * console.assert(error.prefix === "WRONGTYPE");
 * ```
 */
export class ReplyError extends RedisError {
  /** The first word of the server's message, such as `ERR` or `WRONGTYPE`. */
  readonly prefix: string;

  /**
   * Constructs a new instance.
   *
   * @param message The server's error message.
   * @param command The name of the command that failed, if known.
   */
  constructor(message: string, command?: string) {
    super("REPLY", command ? `${message} (command: ${command})` : message);
    this.name = "ReplyError";
    const space = message.indexOf(" ");
    this.prefix = space === -1 ? message : message.slice(0, space);
  }
}

/**
 * The connection failed or was lost.
 *
 * `mayHaveBeenApplied` is `true` when the command had been written to the
 * server before the connection was lost, so it may or may not have run.
 *
 * @example Checking whether a write may have run
 * ```ts
 * import { ConnectionError } from "@respool/redis";
 *
 * const error = new ConnectionError("Cannot read the reply as the connection was lost", { mayHaveBeenApplied: true });
 * console.assert(error.mayHaveBeenApplied);
 * ```
 */
export class ConnectionError extends RedisError {
  /** Whether the command reached the server before the failure. */
  readonly mayHaveBeenApplied: boolean;

  /**
   * Constructs a new instance.
   *
   * @param message What could not be done and why.
   * @param options The cause, and whether the command may have run.
   */
  constructor(
    message: string,
    options?: ErrorOptions & { mayHaveBeenApplied?: boolean },
  ) {
    super("CONNECTION", message, options);
    this.name = "ConnectionError";
    this.mayHaveBeenApplied = options?.mayHaveBeenApplied ?? false;
  }
}

/**
 * A command or connection attempt did not finish within its timeout.
 *
 * @example Creating a timeout error
 * ```ts
 * import { TimeoutError } from "@respool/redis";
 *
 * const error = new TimeoutError("Cannot get a reply to GET within 10 ms");
 * console.assert(error.code === "TIMEOUT");
 * ```
 */
export class TimeoutError extends RedisError {
  /**
   * Constructs a new instance.
   *
   * @param message What could not be done and why.
   * @param options The cause, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super("TIMEOUT", message, options);
    this.name = "TimeoutError";
  }
}

/**
 * `acquire` waited `acquireTimeout` without a connection becoming free.
 *
 * @example Creating a pool timeout error
 * ```ts
 * import { PoolTimeoutError } from "@respool/redis";
 *
 * const error = new PoolTimeoutError("Cannot acquire a connection within 5000 ms");
 * console.assert(error.code === "POOL_TIMEOUT");
 * ```
 */
export class PoolTimeoutError extends RedisError {
  /**
   * Constructs a new instance.
   *
   * @param message What could not be done and why.
   */
  constructor(message: string) {
    super("POOL_TIMEOUT", message);
    this.name = "PoolTimeoutError";
  }
}

/**
 * The server sent bytes that are not valid RESP, or that break a limit. The
 * connection that received them is destroyed.
 *
 * @example Creating a protocol error
 * ```ts
 * import { ProtocolError } from "@respool/redis";
 *
 * const error = new ProtocolError("Cannot decode the reply as byte 0x3f is not a RESP type");
 * console.assert(error.code === "PROTOCOL");
 * ```
 */
export class ProtocolError extends RedisError {
  /**
   * Constructs a new instance.
   *
   * @param message What could not be decoded and why.
   */
  constructor(message: string) {
    super("PROTOCOL", message);
    this.name = "ProtocolError";
  }
}

/**
 * The client, pool or connection was closed before the operation could run.
 *
 * @example Creating a closed error
 * ```ts
 * import { ClosedError } from "@respool/redis";
 *
 * const error = new ClosedError("Cannot send GET as the client is closed");
 * console.assert(error.code === "CLOSED");
 * ```
 */
export class ClosedError extends RedisError {
  /**
   * Constructs a new instance.
   *
   * @param message What could not be done and why.
   */
  constructor(message: string) {
    super("CLOSED", message);
    this.name = "ClosedError";
  }
}

/**
 * Too many commands are already queued while no connection is usable.
 *
 * @example Creating a queue-full error
 * ```ts
 * import { QueueFullError } from "@respool/redis";
 *
 * const error = new QueueFullError("Cannot queue GET as 10000 commands are already waiting");
 * console.assert(error.code === "QUEUE_FULL");
 * ```
 */
export class QueueFullError extends RedisError {
  /**
   * Constructs a new instance.
   *
   * @param message What could not be done and why.
   */
  constructor(message: string) {
    super("QUEUE_FULL", message);
    this.name = "QueueFullError";
  }
}

/**
 * A lease was used after it was released or destroyed.
 *
 * @example Creating a lease-released error
 * ```ts
 * import { LeaseReleasedError } from "@respool/redis";
 *
 * const error = new LeaseReleasedError("Cannot send GET as the lease was released");
 * console.assert(error.code === "LEASE_RELEASED");
 * ```
 */
export class LeaseReleasedError extends RedisError {
  /**
   * Constructs a new instance.
   *
   * @param message What could not be done and why.
   */
  constructor(message: string) {
    super("LEASE_RELEASED", message);
    this.name = "LeaseReleasedError";
  }
}

/**
 * A cluster could not serve a slot: no node serves it, or the command was
 * redirected more often than `maxRedirections` allows.
 *
 * @example Creating a cluster error
 * ```ts
 * import { ClusterError } from "@respool/redis";
 *
 * const error = new ClusterError("Cannot send GET as no node serves slot 12182", 12182);
 * console.assert(error.code === "CLUSTER" && error.slot === 12182);
 * ```
 */
export class ClusterError extends RedisError {
  /** The slot that could not be served, when the command had one. */
  readonly slot: number | undefined;

  /**
   * Constructs a new instance.
   *
   * @param message What could not be done and why, naming the slot.
   * @param slot The slot.
   * @param options The cause, if any.
   */
  constructor(message: string, slot?: number, options?: ErrorOptions) {
    super("CLUSTER", message, options);
    this.name = "ClusterError";
    this.slot = slot;
  }
}
