/**
 * What the pool knows about one connection.
 *
 * @module
 */

import type {
  BatchMember,
  CommandOptions,
  ConnectionEvents,
  ConnectionState,
  LostCommand,
  ReplyMapper,
} from "../connection/connection.ts";
import type { ConnectionError, ReplyError } from "../errors.ts";
import type { CommandArg } from "../resp/encode.ts";
import type { RespValue } from "../resp/decode.ts";

/**
 * The part of a connection the pool uses. `Connection` implements it; the
 * pool's unit tests use fakes.
 */
export interface PoolConnection {
  readonly state: ConnectionState;
  readonly protocol?: 2 | 3;
  /** The server's id of the connection, once known (CLIENT UNBLOCK). */
  clientId?: number;
  readonly inFlight: number;
  readonly createdAt: number;
  readonly lastUsedAt: number;
  /** `host:port` or the socket path (spans name the server by it). */
  readonly address?: string;
  readonly closed: Promise<void>;
  connect(): Promise<void>;
  send<T>(
    args: readonly CommandArg[],
    map?: ReplyMapper<T>,
    options?: CommandOptions,
    attempt?: number,
  ): Promise<T>;
  /** Sends commands as one entry: one write, one timeout, one retry. */
  sendBatch(
    batch: readonly BatchMember[],
    options?: CommandOptions,
    attempt?: number,
  ): Promise<RespValue[]>;
  /** Resolves once nothing is in flight (or the connection closed). */
  drained(): Promise<void>;
  close(): Promise<void>;
  destroy(error?: Error): void;
}

/** Where a slot is in its life. */
export type SlotState =
  | "connecting"
  | "shared"
  | "draining"
  | "leased"
  | "closed";

/** What a slot reports its connection's events to: the pool. */
export interface SlotOwner {
  /** The slot's connection closed; `error` says why when it failed. */
  slotClosed(slot: Slot, error: Error | undefined): void;
  /** A command on the slot's connection timed out. */
  countTimeout(): void;
  /** The last reply in flight on the slot's connection arrived. */
  slotIdle(slot: Slot): void;
  /** A command a shared connection lost; `true` takes it over. */
  retryShared(
    command: LostCommand,
    error: ConnectionError | ReplyError,
    mayHaveBeenApplied: boolean,
  ): boolean;
}

/**
 * One connection and its bookkeeping. The slot is also where its connection
 * reports (its `ConnectionEvents`), passing each event on to the owner with
 * the slot: methods, not closures made per connection.
 */
export class Slot<C extends PoolConnection = PoolConnection>
  implements ConnectionEvents {
  readonly #owner: SlotOwner;
  readonly connection: C;
  state: SlotState = "connecting";
  /** When the current lease was acquired, in epoch milliseconds. */
  acquiredAt = 0;
  /** Made in the `acquire` call, when it records its stack. */
  origin: Error | undefined;
  /**
   * The slot's lease, until leak tracking registers it (it waits for the
   * next maintenance round, and most leases are released before).
   */
  unregistered: object | undefined;
  longHoldReported = false;
  /**
   * The pool's server moved (a Sentinel failover): this connection goes to
   * the old one, so it is closed instead of being shared or leased again.
   */
  retired = false;
  /** Where push messages of this connection go (a subscription's handler). */
  onPush: ((message: RespValue[]) => void) | undefined;

  /**
   * @param owner Gets the connection's events.
   * @param open Makes the connection, which reports to the slot.
   */
  constructor(owner: SlotOwner, open: (events: Slot) => C) {
    this.#owner = owner;
    this.connection = open(this);
  }

  /** The connection closed. */
  close(_: unknown, error: Error | undefined): void {
    this.#owner.slotClosed(this, error);
  }

  /** A command timed out. */
  timeout(): void {
    this.#owner.countTimeout();
  }

  /** Nothing is in flight any more. */
  idle(): void {
    this.#owner.slotIdle(this);
  }

  /** A command the connection lost; `true` takes it over. */
  retry(
    command: LostCommand,
    error: ConnectionError | ReplyError,
    mayHaveBeenApplied: boolean,
  ): boolean {
    // Entries on leases are never moved: their connection's state went
    // with it.
    return (this.state === "shared" || this.state === "draining") &&
      this.#owner.retryShared(command, error, mayHaveBeenApplied);
  }

  /** A push message: to the slot's handler, if it has one. */
  push(message: RespValue[]): void {
    this.onPush?.(message);
  }

  /** The stack of the `acquire` call, formatted on first read. */
  get stack(): string | undefined {
    return this.origin?.stack;
  }

  /** Commands in flight on the connection (what dispatch compares). */
  get inFlight(): number {
    return this.connection.inFlight;
  }
}

/**
 * Closes a pool's slots gracefully within `timeout` ms: waits for `first`
 * (the leases to come back), then for every connection to close (those
 * still connecting, to end); whatever is left when the time is up is the
 * caller's to destroy.
 *
 * @param slots The pool's slots, read once `first` has settled.
 * @param first What to wait for before closing; `undefined` for nothing.
 * @param timeout The deadline for both, in milliseconds.
 */
export async function closeSlots(
  slots: Iterable<Slot>,
  first: Promise<void> | undefined,
  timeout: number,
): Promise<void> {
  if (first === undefined && allIdle(slots)) {
    // Nothing to wait for: each connection closes at once, without a timer
    // (a Worker closes a client per request).
    await Promise.all([...slots].map((slot) => slot.connection.close()));
    return;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<void>((resolve) =>
    timer = setTimeout(resolve, timeout)
  );
  if (first !== undefined) await Promise.race([first, expired]);
  const closing = Promise.all(
    [...slots].map((slot) =>
      slot.state === "connecting"
        ? slot.connection.closed
        : slot.connection.close()
    ),
  );
  await Promise.race([closing, expired]);
  clearTimeout(timer);
}

/** Whether no slot is opening and none has a command in flight. */
function allIdle(slots: Iterable<Slot>): boolean {
  for (const slot of slots) {
    if (slot.state === "connecting" || slot.connection.inFlight > 0) {
      return false;
    }
  }
  return true;
}

/**
 * Idle shared connections and commands in flight, over a pool's slots.
 *
 * @param slots The slots.
 * @returns The counts.
 */
export function countSlots(
  slots: Iterable<Slot>,
): { idle: number; inFlight: number } {
  let idle = 0;
  let inFlight = 0;
  for (const slot of slots) {
    const n = slot.state === "connecting" ? 0 : slot.connection.inFlight;
    inFlight += n;
    if (slot.state === "shared" && n === 0) idle++;
  }
  return { idle, inFlight };
}
