/**
 * A read of a missing reply in flight, which later reads of the same reply
 * wait for; and how a waiting read keeps its own timeout and signal.
 *
 * @module
 */

import type { CommandOptions } from "../connection/_pending.ts";
import { TimeoutError } from "../errors.ts";
import type { RespValue } from "../resp/types.ts";

/** A read of a missing reply, in flight; later reads of it wait for it. */
export interface Flight {
  /** Where its reply is kept: see `Entries.get`. */
  readonly space: string;
  readonly id: string;
  /** Its key among the flights: space and id. */
  readonly key: string;
  readonly keys: readonly string[];
  /**
   * One of its keys changed while it was in flight, or another read of one
   * of them was answered meanwhile (which of the two answers is newer
   * cannot be told across connections): its reply is not kept.
   */
  stale: boolean;
  /** It has a timeout or signal of its own: when it fails, others retry. */
  readonly own: boolean;
  /** Its reply arrived or it failed. */
  settled: boolean;
  readonly promise: Promise<RespValue>;
  resolve(value: RespValue): void;
  reject(error: unknown): void;
}

/** Separates a flight's space from its id in its key. */
export const FLIGHT = "\u0001";

/**
 * Starts a flight.
 *
 * @param space Where its reply is kept (see `Entries.get`).
 * @param id The reply's identity in that space.
 * @param keys Its keys, as invalidations name them.
 * @param options The first reader's options.
 * @returns The flight, its promise settled by `resolve` or `reject`.
 */
export function newFlight(
  space: string,
  id: string,
  keys: readonly string[],
  options: CommandOptions | undefined,
): Flight {
  let resolve!: (value: RespValue) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<RespValue>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return {
    space,
    id,
    key: space + FLIGHT + id,
    keys,
    stale: false,
    settled: false,
    own: options?.timeout !== undefined || options?.signal !== undefined,
    promise,
    resolve,
    reject,
  };
}

/**
 * Rejects when the caller's own timeout or signal ends first; for reads
 * that wait for another caller's read of the same reply.
 */
export function bounded<T>(
  promise: Promise<T>,
  options: CommandOptions,
  name: string,
): Promise<T> {
  const { timeout, signal } = options;
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      done();
      reject(signal!.reason);
    };
    const done = () => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    if (timeout !== undefined && timeout !== Infinity) {
      timer = setTimeout(() => {
        done();
        reject(
          new TimeoutError(
            `Cannot get a reply to ${name} within ${timeout} ms`,
          ),
        );
      }, timeout);
    }
    promise.then((value) => {
      done();
      resolve(value);
    }, (error) => {
      done();
      reject(error);
    });
  });
}
