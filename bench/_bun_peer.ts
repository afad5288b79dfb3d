/**
 * Bun's built-in `RedisClient` as a benchmark peer, for the Bun benches
 * (compare_bun.ts, bun_floor.ts). It is the `RedisClient` export of "bun",
 * reached as `Bun.RedisClient` so that `deno check` can type this file.
 *
 * @module
 */
/// <reference types="npm:bun-types@1.4.5" />
import type { Peer, PeerFactory } from "./_clients.ts";

/** Bun's `RedisClient` with its defaults (auto-pipelining, one connection). */
export const bunRedis: PeerFactory = async (url) => {
  const client = new Bun.RedisClient(url);
  await client.connect();
  const peer: Peer = {
    id: "bun",
    label: "Bun RedisClient",
    get: (key) => client.get(key),
    set: (key, value) => client.set(key, value),
    hgetall: (key) => client.hgetall(key),
    hset: (key, fields) =>
      client.send("HSET", [key, ...Object.entries(fields).flat()]),
    notes: {
      pipeline: "no explicit pipeline API: 100 commands issued in one tick",
      acquire: "Bun's RedisClient has no connection pool",
    },
    close: () => Promise.resolve(client.close()),
  };
  return peer;
};
