/**
 * Opening a connection's socket within its deadline: the transport's
 * connect raced against an abort signal, its failures named after the
 * address.
 *
 * @module
 */

import { ConnectionError, RedisError, TimeoutError } from "../errors.ts";
import type {
  Transport,
  TransportConnectOptions,
  TransportHandlers,
  TransportSocket,
} from "../transport/types.ts";

/**
 * Opens a socket with `transport`, giving up when `options.signal` aborts
 * (a socket that opens after that is destroyed). A failure that is not
 * already a RedisError or the abort reason becomes a ConnectionError that
 * names `address`.
 *
 * @returns The open socket.
 */
export function openSocket(
  transport: Transport,
  options: TransportConnectOptions & { signal: AbortSignal },
  handlers: TransportHandlers,
  address: string,
): Promise<TransportSocket> {
  const signal = options.signal;
  return abortable(
    transport.connect(options, handlers),
    signal,
    (late) => late.destroy(),
  ).catch((error) => {
    throw error instanceof RedisError || error === signal.reason
      ? error
      : new ConnectionError(
        `Cannot connect to ${address} as ${(error as Error)?.message ?? error}`,
        { cause: error },
      );
  });
}

/**
 * A connect deadline: `signal` aborts with a `TimeoutError` after `ms`,
 * unless `clear()` was called first.
 *
 * @param ms The connect timeout, in milliseconds.
 * @param address The server's address, for the message.
 * @returns The signal and the way to stop the timer.
 */
export function connectDeadline(
  ms: number,
  address: string,
): { readonly signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(
      new TimeoutError(`Cannot connect to ${address} within ${ms} ms`),
    );
  }, ms);
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/**
 * Races a promise against an abort signal; a value that arrives after the
 * abort is handed to `late` (to close a socket nobody will use).
 */
export function abortable<T>(
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
