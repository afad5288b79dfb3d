/**
 * A throwaway redis-server for the demo: a free loopback port, no
 * persistence, a temporary directory removed when it stops. The test
 * suite's launcher (tests/_redis.ts) does the work; this only adds
 * `await using`.
 *
 * @module
 */

import { startRedis } from "../tests/_redis.ts";

/** A running throwaway redis-server. */
export interface ThrowawayRedis extends AsyncDisposable {
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Stops the server (SIGTERM), waits for it to exit, removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts redis-server on a free port of 127.0.0.1 with no persistence.
 *
 * @returns The running server.
 * @throws {Error} When redis-server is not installed or does not start.
 */
export async function startThrowawayRedis(): Promise<ThrowawayRedis> {
  const server = await startRedis();
  const stop = () => server.stop();
  return {
    port: server.port,
    url: server.url,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
