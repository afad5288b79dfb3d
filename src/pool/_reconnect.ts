/**
 * The reconnect policy's state in a pool: the connection attempts under
 * way, which attempt comes next after failures, and the wait before it,
 * during which no connection is opened.
 *
 * @module
 */

import { ConnectionError, RedisError } from "../errors.ts";
import type { RetryPolicy } from "../policy/retry.ts";

/**
 * What a command or an `acquire` rejects with when opening a connection
 * failed: the server's own refusal (a wrong password) as it is, anything
 * else as a `ConnectionError` naming the address.
 *
 * @param what `acquire`, or the command's name.
 * @param error Why connecting failed.
 * @param address The server's address.
 * @returns The error.
 */
export function connectFailure(
  what: string,
  error: Error,
  address: string,
): Error {
  if (error instanceof RedisError && error.code === "REPLY") return error;
  return new ConnectionError(
    `Cannot ${
      what === "acquire" ? "acquire a connection" : `send ${what}`
    } as connecting to ${address} failed: ${error.message}`,
    { cause: error },
  );
}

/** The attempts to open a connection, and the waits after failures. */
export class Reconnects {
  readonly #policy: RetryPolicy;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Connection attempts under way. */
  opening = 0;
  /** When the latest attempt ends at the latest; 0 when none is under way. */
  settlesBy = 0;

  /** @param policy Says how long to wait before each attempt. */
  constructor(policy: RetryPolicy) {
    this.#policy = policy;
  }

  /**
   * An attempt starts.
   *
   * @param timeout Its connect timeout, in milliseconds.
   */
  started(timeout: number): void {
    this.opening++;
    this.settlesBy = Date.now() + timeout;
  }

  /** An attempt ended, opened or failed. */
  ended(): void {
    if (--this.opening === 0) this.settlesBy = 0;
  }

  /** Whether an attempt or a wait is under way: open no other now. */
  get busy(): boolean {
    return this.opening > 0 || this.#timer !== undefined;
  }

  /** Whether a wait is under way: no connection opens until it ends. */
  get waiting(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * Starts the wait before the next attempt, and calls `due` when it ends.
   *
   * @param error Why the last attempt failed.
   * @param due Makes the attempt.
   * @returns The attempt's number and delay, or undefined when the policy
   * gives up (nothing is scheduled then).
   */
  wait(
    error: Error,
    due: () => void,
  ): { attempt: number; delay: number } | undefined {
    const attempt = ++this.#attempt;
    const delay = this.#policy(attempt, error);
    if (delay === undefined) return undefined;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      due();
    }, delay);
    return { attempt, delay };
  }

  /** A connection opened: the next failure starts from the first attempt. */
  succeeded(): void {
    this.#attempt = 0;
  }

  /** Ends the wait, if any, and starts from the first attempt. */
  reset(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#attempt = 0;
  }
}
