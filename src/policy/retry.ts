/**
 * Retry and reconnect policies: plain functions from the attempt number and
 * the error to a delay, or `undefined` to stop.
 *
 * @module
 */

/**
 * Decides whether to try again after a failure.
 *
 * @param attempt The number of the try about to be made, from 1.
 * @param error The failure that ended the previous try.
 * @returns The delay before trying, in milliseconds, or `undefined` to stop.
 */
export type RetryPolicy = (attempt: number, error: Error) => number | undefined;

/** Options of {@linkcode exponentialBackoff}. */
export interface ExponentialBackoffOptions {
  /**
   * The delay of the first try, in milliseconds.
   *
   * @default {50}
   */
  base?: number;
  /**
   * The longest delay, in milliseconds.
   *
   * @default {2000}
   */
  cap?: number;
  /**
   * The most tries; `Infinity` for no limit.
   *
   * @default {3}
   */
  attempts?: number;
  /**
   * Whether to pick the delay at random between 0 and the exponential value
   * ("full jitter"), which spreads reconnect storms.
   *
   * @default {true}
   */
  jitter?: boolean;
}

function nonNegative(name: string, value: number): number {
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw new RangeError(
      `Cannot create the policy as ${name} must be a non-negative number, got ${value}`,
    );
  }
  return value;
}

/**
 * Exponential backoff with full jitter: try `n` waits a random time up to
 * `min(cap, base * 2 ** (n - 1))`.
 *
 * @example Five tries, at most one second apart
 * ```ts
 * import { exponentialBackoff } from "@respool/redis";
 *
 * const policy = exponentialBackoff({ base: 100, cap: 1_000, attempts: 5 });
 * console.assert(policy(6, new Error("down")) === undefined);
 * ```
 *
 * @param options The base delay, cap, number of tries and jitter.
 * @returns The policy.
 * @throws {RangeError} When an option is negative.
 */
export function exponentialBackoff(
  options: ExponentialBackoffOptions = {},
): RetryPolicy {
  const base = nonNegative("base", options.base ?? 50);
  const cap = nonNegative("cap", options.cap ?? 2_000);
  const attempts = nonNegative("attempts", options.attempts ?? 3);
  const jitter = options.jitter ?? true;
  return (attempt) => {
    if (attempt > attempts) return undefined;
    const ceiling = Math.min(cap, base * 2 ** Math.min(attempt - 1, 30));
    return jitter ? Math.random() * ceiling : ceiling;
  };
}

/**
 * The same delay before every try.
 *
 * @example Three tries, 200 ms apart
 * ```ts
 * import { constantBackoff } from "@respool/redis";
 *
 * const policy = constantBackoff(200, 3);
 * console.assert(policy(1, new Error("down")) === 200);
 * ```
 *
 * @param delay The delay, in milliseconds.
 * @param attempts The most tries.
 * @returns The policy.
 * @throws {RangeError} When an argument is negative.
 */
export function constantBackoff(delay: number, attempts = 3): RetryPolicy {
  nonNegative("delay", delay);
  nonNegative("attempts", attempts);
  return (attempt) => attempt > attempts ? undefined : delay;
}

/**
 * Never tries again.
 *
 * @example Turning retries off
 * ```ts
 * import { createClient, noRetry } from "@respool/redis";
 *
 * const client = createClient("redis://127.0.0.1:6379", { retry: noRetry });
 * await client.close();
 * ```
 *
 * @returns `undefined`, always.
 */
export function noRetry(): undefined {
  return undefined;
}
