/**
 * The heartbeat of a subscribed connection: a PING every interval, and a
 * connection that does not answer one within the interval is destroyed (it
 * died without closing), so the subscription reconnects.
 *
 * @module
 */

import type { Connection } from "../connection/connection.ts";
import { TimeoutError } from "../errors.ts";

/** PINGs one connection at a time. */
export class Heartbeat {
  readonly #interval: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #connection: Connection | undefined;

  /** @param interval Milliseconds between PINGs; `Infinity` for none. */
  constructor(interval: number) {
    this.#interval = interval;
  }

  /** Beats on `connection` from now on (instead of any earlier one). */
  start(connection: Connection): void {
    this.stop();
    this.#connection = connection;
    this.#schedule(connection);
  }

  #schedule(connection: Connection): void {
    const interval = this.#interval;
    if (interval === Infinity) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#connection !== connection) return;
      connection.send(["PING"], undefined, { timeout: interval }).then(
        () => this.#schedule(connection),
        () =>
          connection.destroy(
            new TimeoutError(
              `Cannot hear from the subscribed connection to ${connection.address} within ${interval} ms`,
            ),
          ),
      );
    }, interval);
  }

  /** Stops beating. */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#connection = undefined;
  }
}
