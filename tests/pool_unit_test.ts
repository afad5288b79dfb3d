/**
 * Unit tests of the pool's mechanism with fake connections from an injected
 * factory: no sockets, so queueing, timeouts and accounting are checked in
 * isolation. (Behaviour against a real server is in pool_test.ts.)
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  ClosedError,
  ConnectionError,
  PoolTimeoutError,
  QueueFullError,
} from "../mod.ts";
import type {
  ConnectionEvents,
  ConnectionState,
} from "../src/connection/connection.ts";
import { Pool, type PoolSettings } from "../src/pool/pool.ts";
import { Lease } from "../src/lease.ts";
import type { PoolConnection } from "../src/pool/_slot.ts";
import { sleep } from "./_util.ts";

/** A connection that answers every command with its own name after `delay`. */
class FakeConnection implements PoolConnection {
  state: ConnectionState = "new";
  inFlight = 0;
  readonly createdAt = Date.now();
  lastUsedAt = Date.now();
  readonly closed: Promise<void>;
  #resolveClosed!: () => void;
  readonly events: ConnectionEvents & { idle(): void };
  readonly id: number;
  sent: string[] = [];

  readonly connectResult: () => Promise<void>;
  readonly delay: number;

  // Plain fields, no parameter properties: Node's type stripping has none.
  constructor(
    id: number,
    events: ConnectionEvents & { idle(): void },
    connectResult: () => Promise<void>,
    delay = 1,
  ) {
    this.id = id;
    this.events = events;
    this.connectResult = connectResult;
    this.delay = delay;
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
  }

  async connect(): Promise<void> {
    this.state = "connecting";
    try {
      await this.connectResult();
    } catch (error) {
      this.destroy(error as Error);
      throw error;
    }
    this.state = "ready";
  }

  send<T>(args: readonly unknown[], map?: (reply: never) => T): Promise<T> {
    if (this.state !== "ready") {
      return Promise.reject(new ClosedError("closed"));
    }
    this.inFlight++;
    this.sent.push(String(args[0]));
    return new Promise<T>((resolve) => {
      setTimeout(() => {
        this.inFlight--;
        this.lastUsedAt = Date.now();
        if (this.inFlight === 0) this.events.idle();
        resolve((map ? map(`conn${this.id}` as never) : `conn${this.id}`) as T);
      }, this.delay);
    });
  }

  sendBatch(batch: readonly { args: readonly unknown[] }[]): Promise<never[]> {
    return Promise.all(batch.map((member) => this.send(member.args))) as never;
  }

  drained(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () =>
        this.inFlight === 0 ? resolve() : setTimeout(check, 1);
      check();
    });
  }

  close(): Promise<void> {
    this.destroy();
    return this.closed;
  }

  destroy(error?: Error): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.events.close?.(this as never, error);
    this.#resolveClosed();
  }
}

const settings: PoolSettings = {
  max: 2,
  min: 0,
  maxLeases: 2,
  acquireTimeout: 1_000,
  idleTimeout: 0,
  maxLifetime: 0,
  healthCheckInterval: 0,
  leakDetection: "always",
  longHoldWarning: 0,
  maxQueued: 100,
  commandTimeout: 1_000,
  connectTimeout: 1_000,
  db: 0,
  retry: () => undefined,
  reconnect: () => undefined,
};

function makePool(
  overrides: Partial<PoolSettings> = {},
  connect: () => Promise<void> = () => Promise.resolve(),
) {
  const connections: FakeConnection[] = [];
  const events: string[] = [];
  const pool = new Pool<FakeConnection, Lease>(
    {
      ...settings,
      // Leases may take every connection unless a test says otherwise: the
      // mechanism is what these tests check.
      maxLeases: overrides.max ?? settings.max,
      ...overrides,
    },
    (hooks) => {
      const connection = new FakeConnection(
        connections.length + 1,
        hooks,
        connect,
      );
      connections.push(connection);
      return connection;
    },
    (owner, slot) => new Lease(owner, slot),
    (type) => {
      events.push(type);
      return false;
    },
    "fake:1",
  );
  return { pool, connections, events };
}

describe("Pool mechanism (fake connections)", () => {
  test("Pool.acquire() opens up to max connections and then queues", async () => {
    const { pool, connections } = makePool({ max: 2 });
    const a = await pool.acquire();
    const b = await pool.acquire();
    assert.equal(connections.length, 2);
    const waiting = pool.acquire();
    await sleep(10);
    assert.equal(connections.length, 2);
    assert.equal(pool.stats().waiting, 1);
    await a.release();
    const c = await waiting;
    await Promise.all([b.release(), c.release()]);
    pool.destroy();
  });

  test("Pool.retire() moves new work to new connections: shared ones close after their replies, leased ones are destroyed at release", async () => {
    const { pool, connections } = makePool({ max: 3, maxLeases: 1 });
    const lease = await pool.acquire();
    assert.equal(await pool.run(["GET"]), "conn2");
    const inFlight = pool.run(["GET"]); // on conn2 when the pool moves
    pool.retire("fake:2");
    // The reply in flight still arrives; nothing new goes to conn2.
    assert.equal(await inFlight, "conn2");
    assert.equal(await pool.run(["GET"]), "conn3");
    await connections[1].closed;
    assert.equal(connections[1].state, "closed");
    assert.equal(connections[0].state, "ready"); // leased: untouched meanwhile
    await lease.release();
    assert.equal(connections[0].state, "closed");
    assert.equal(pool.stats().leased, 0);
    // The next lease is a connection opened after the move.
    const next = await pool.acquire();
    const on = await next.send(["GET"]);
    assert.ok(on !== "conn1" && on !== "conn2", String(on));
    await next.release();
    pool.destroy();
  });

  test("Pool.acquire() serves waiters first in, first out", async () => {
    const { pool } = makePool({ max: 1 });
    const held = await pool.acquire();
    const order: number[] = [];
    const all = [0, 1, 2, 3].map((i) =>
      pool.acquire().then(async (lease) => {
        order.push(i);
        await sleep(1);
        await lease.release();
      })
    );
    await held.release();
    await Promise.all(all);
    assert.deepEqual(order, [0, 1, 2, 3]);
    pool.destroy();
  });

  test("Pool.acquire() times out with PoolTimeoutError and leaves no waiter", async () => {
    const { pool } = makePool({ max: 1, acquireTimeout: 30 });
    const held = await pool.acquire();
    await assert.rejects(pool.acquire(), PoolTimeoutError);
    assert.equal(pool.stats().waiting, 0);
    await held.release();
    pool.destroy();
  });

  test("Pool.run() queues while connecting and dispatches once ready", async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => open = resolve);
    const { pool, connections } = makePool({}, () => gate);
    const replies = [pool.run(["GET"]), pool.run(["GET"]), pool.run(["GET"])];
    assert.equal(pool.stats().queued, 3);
    assert.equal(connections.length, 1);
    open();
    assert.deepEqual(await Promise.all(replies), ["conn1", "conn1", "conn1"]);
    assert.equal(pool.stats().queued, 0);
    pool.destroy();
  });

  test("Pool.run() rejects with QueueFullError past maxQueued", async () => {
    const { pool } = makePool({ maxQueued: 2 }, () => new Promise(() => {}));
    const queued = [pool.run(["A"]), pool.run(["B"])];
    await assert.rejects(pool.run(["C"]), QueueFullError);
    pool.destroy();
    for (const promise of queued) await assert.rejects(promise, ClosedError);
  });

  test("Pool rejects queued commands with ConnectionError once the retry policy gives up", async () => {
    let attempts = 0;
    const { pool, events } = makePool(
      { retry: (attempt) => attempt <= 2 ? 0 : undefined, reconnect: () => 1 },
      () => {
        attempts++;
        return Promise.reject(new Error("refused"));
      },
    );
    const error = await pool.run(["GET"]).catch((e) => e);
    assert.ok(error instanceof ConnectionError);
    assert.match(error.message, /connecting to fake:1 failed: refused/);
    assert.equal(attempts, 3);
    assert.ok(events.includes("reconnecting"));
    assert.equal(pool.stats().total, 0);
    pool.destroy();
  });

  test("Pool frees the slot of a lost connection and opens another for waiters", async () => {
    const { pool, connections } = makePool({ max: 1 });
    const lease = await pool.acquire();
    const waiting = pool.acquire();
    connections[0].destroy(new Error("reset"));
    const next = await waiting;
    assert.equal(connections.length, 2);
    assert.equal(pool.stats().total, 1);
    await lease.release(); // a no-op: its connection is gone
    await next.release();
    assert.equal(pool.stats().leased, 0);
    pool.destroy();
  });

  test("Pool drains a busy shared connection for a waiter when full", async () => {
    const { pool, connections } = makePool({ max: 1 });
    await pool.run(["PING"]);
    const busy = Array.from({ length: 5 }, () => pool.run(["GET"]));
    const lease = await pool.acquire();
    assert.deepEqual(await Promise.all(busy), Array(5).fill("conn1"));
    assert.equal(connections.length, 1);
    assert.equal(pool.stats().leased, 1);
    const later = pool.run(["GET"]);
    await sleep(5);
    assert.equal(
      pool.stats().queued,
      1,
      "multiplexed commands wait while the only connection is leased",
    );
    await lease.release();
    assert.equal(await later, "conn1");
    pool.destroy();
  });

  test("Pool.close() waits for leases up to its timeout, then destroys; later calls reject", async () => {
    const { pool, connections } = makePool();
    const lease = await pool.acquire();
    const started = Date.now();
    await pool.close(50);
    assert.ok(Date.now() - started >= 45);
    assert.equal(connections[0].state, "closed");
    await assert.rejects(pool.acquire(), ClosedError);
    await assert.rejects(pool.run(["GET"]), ClosedError);
    await lease.release();
    assert.equal(pool.stats().total, 0);
  });

  test("Pool.acquire() leaves plain commands a connection: leases stop at maxLeases", async () => {
    const { pool, connections } = makePool({
      max: 2,
      maxLeases: 1,
      acquireTimeout: 50,
    });
    const lease = await pool.acquire();
    // The second connection exists for plain commands, never for a lease.
    await assert.rejects(pool.acquire(), PoolTimeoutError);
    assert.equal(await pool.run(["GET"]), "conn2");
    assert.equal(connections.length, 2);
    assert.equal(pool.stats().leased, 1);
    const waiting = pool.acquire({ timeout: 1_000 });
    await sleep(5);
    assert.equal(pool.stats().waiting, 1, "waits for the lease, not conn2");
    await lease.release();
    const next = await waiting;
    assert.equal(pool.stats().leased, 1);
    await next.release();
    pool.destroy();
  });
});
