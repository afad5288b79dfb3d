/**
 * How fast respool's Sentinel client follows a failover, and what it costs:
 * 10 `SENTINEL FAILOVER`s one after the other on one loopback setup (a
 * master, two replicas, three sentinels, tests/_sentinel.ts), the setup
 * settled (`waitStable`) before each, under 50 workers doing INCR through
 * one client. Each failover gets counters of its own; its workers start
 * 500 ms before it and stop 1 s after the client moved (or when it is given
 * up on), and every call they made is waited for.
 *
 * ```sh
 * deno task bench:sentinel   # deno run -A bench/sentinel_failover.ts
 * ```
 *
 * Per failover, and as median and max:
 *
 * - (a) `switchToAckMs`: from the first `+switch-master` that independent
 *   subscribers (a plain client on each sentinel) saw to the first INCR
 *   acknowledged by the new master (one issued after the client's
 *   `failover` event). Negative when the client moved before the sentinels
 *   announced the switch, as it does: it moves once the replica the
 *   failover selected says ROLE master.
 * - (b) `moveToAckMs`: from the client's `failover` event to that INCR.
 * - (c) `hung`: calls still pending 3 × commandTimeout + 2 s after the
 *   workers stopped.
 * - (d) `doubleApplied`: INCRs applied more often than the client allowed
 *   for: `final - acknowledged - mayHaveBeenApplied - timedOut` per counter,
 *   and the same on the new master alone (from the lowest value it returned
 *   to an INCR sent after the move), which acknowledged writes lost in the
 *   switch cannot hide.
 * - (e) `lostAcked`: acknowledged INCRs the new master does not have
 *   (acknowledged − final, where positive): the old master acknowledged
 *   them after its last replicated write, before the client moved.
 *
 * Also `writesToOldAfterMove`: INCR calls the old master ran from 200 ms
 * after the client moved until the workers stopped (INFO commandstats);
 * `promotedMs` and `ackedByOldAfterPromotion`: when a ROLE poll (every
 * 10 ms) saw the replica promoted, and how many INCRs the old master still
 * acknowledged after that (the client's share of `lostAcked`).
 *
 * The final values are read once the setup settled again, from the master
 * then (`finalMaster`): under this load the sentinels now and then judge
 * the fresh master down and fail over a second time, and the client must
 * follow that too (`followed`).
 *
 * Results go to bench/sentinel_results.json. Settings (environment):
 * `BENCH_FAILOVERS` (10), `BENCH_WORKERS` (50), `BENCH_COMMAND_TIMEOUT`
 * (2000 ms). Every process it starts is stopped at the end, also after a
 * failure.
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  type Client,
  ConnectionError,
  createClient,
  TimeoutError,
} from "../mod.ts";
import { send } from "../tests/_cluster.ts";
import { type SentinelSetup, startSentinel } from "../tests/_sentinel.ts";

const FAILOVERS = Number(process.env.BENCH_FAILOVERS ?? 10);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 50);
const COMMAND_TIMEOUT = Number(process.env.BENCH_COMMAND_TIMEOUT ?? 2_000);
const COUNTERS = 5;
const RESULTS_FILE = fileURLToPath(
  new URL("./sentinel_results.json", import.meta.url).href,
);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A node's INCR calls and role, from one INFO reply. */
async function incrCalls(
  port: number,
): Promise<{ calls: number; role: string }> {
  const [info] = await send(port, [["INFO", "commandstats", "replication"]]);
  const text = String(info);
  return {
    calls: Number(/^cmdstat_incr:calls=(\d+)/m.exec(text)?.[1] ?? 0),
    role: /^role:(\w+)/m.exec(text)?.[1] ?? "unknown",
  };
}

async function getNumber(port: number, key: string): Promise<number> {
  const [reply] = await send(port, [["GET", key]]);
  return Number(reply ?? 0);
}

/**
 * When one of `ports` first says ROLE master (polled every 10 ms), or
 * `undefined` once stopped.
 */
function watchPromotion(ports: number[]): {
  done: Promise<number | undefined>;
  stop(): void;
} {
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      for (const port of ports) {
        try {
          const [role] = await send(port, [["ROLE"]], 1_000);
          if (Array.isArray(role) && role[0] === "master") return Date.now();
        } catch {
          // Restarting its links: ask again.
        }
      }
      await sleep(10);
    }
    return undefined;
  })();
  return { done, stop: () => stopped = true };
}

/** Arrival times of `+switch-master`, seen by a plain client per sentinel. */
async function watchSwitches(
  setup: SentinelSetup,
): Promise<{ times: number[]; close(): Promise<void> }> {
  const clients = setup.sentinelUrls.map((url) =>
    createClient(url, { connectTimeout: 2_000 })
  );
  const subs = await Promise.all(
    clients.map((client) => client.subscribe("+switch-master")),
  );
  const times: number[] = [];
  for (const sub of subs) {
    (async () => {
      for await (const m of sub) {
        if (m.message.startsWith(setup.name)) times.push(Date.now());
      }
    })().catch(() => {});
  }
  return {
    times,
    async close() {
      await Promise.all(subs.map((sub) => sub.close()));
      await Promise.all(clients.map((client) => client.close(1_000)));
    },
  };
}

interface Ack {
  key: string;
  value: number;
  resolvedAt: number;
  /** Issued after the client's move of this round. */
  onNew: boolean;
}

interface Row {
  failover: number;
  from: number;
  to: number;
  /** The master once the setup settled (another failover may follow). */
  finalMaster: number;
  /** `failover` events of the client in this round. */
  clientMoves: number;
  /** The client ended on `finalMaster`. */
  followed: boolean;
  /** From SENTINEL FAILOVER to the client's `failover` event. */
  clientMoveMs: number | null;
  /** From SENTINEL FAILOVER to a ROLE poll seeing the replica promoted. */
  promotedMs: number | null;
  /**
   * INCRs the old master acknowledged after that poll (about: the poll is
   * every 10 ms): the client's part of `lostAcked`, the rest being writes
   * not yet replicated when the replica was promoted.
   */
  ackedByOldAfterPromotion: number | null;
  /** From SENTINEL FAILOVER to the first `+switch-master`. */
  switchMasterMs: number | null;
  switchToAckMs: number | null;
  moveToAckMs: number | null;
  hung: number;
  doubleApplied: number;
  lostAcked: number;
  writesToOldAfterMove: number | null;
  acked: number;
  mayHaveBeenApplied: number;
  timedOut: number;
  failed: number;
  rejected: Record<string, number>;
}

/** One failover under load; the setup is settled when it is called. */
async function oneFailover(
  setup: SentinelSetup,
  client: Client,
  switches: { times: number[] },
  round: number,
): Promise<Row> {
  const counters = Array.from(
    { length: COUNTERS },
    (_, i) => `bench:sentinel:${round}:c${i}`,
  );
  const state = new Map(
    counters.map((k) => [k, { acked: 0, maybe: 0, timedOut: 0, failed: 0 }]),
  );
  const acks: Ack[] = [];
  const pending = new Set<Promise<number>>();
  const rejected: Record<string, number> = {};
  let move: { at: number; from: string; to: string } | undefined;
  let moves = 0;
  const onMove = (event: CustomEvent<{ from: string; to: string }>) => {
    move ??= { at: Date.now(), ...event.detail };
    moves++;
  };
  client.addEventListener("failover", onMove);
  let stopped = false;

  const worker = async () => {
    while (!stopped) {
      const key = counters[Math.floor(Math.random() * counters.length)];
      const s = state.get(key)!;
      const onNew = move !== undefined;
      const call = client.incr(key);
      pending.add(call);
      try {
        const value = await call;
        s.acked++;
        acks.push({ key, value, resolvedAt: Date.now(), onNew });
      } catch (error) {
        const code = error instanceof ConnectionError
          ? error.mayHaveBeenApplied
            ? "CONNECTION(maybe applied)"
            : "CONNECTION"
          : (error as { code?: string })?.code ?? String(error);
        rejected[code] = (rejected[code] ?? 0) + 1;
        if (error instanceof ConnectionError && error.mayHaveBeenApplied) {
          s.maybe++;
        } else if (error instanceof TimeoutError) s.timedOut++;
        else s.failed++;
        await sleep(5);
      } finally {
        pending.delete(call);
      }
    }
  };

  const oldPort = await setup.masterPort();
  let oldAfterMove: Promise<{ calls: number; role: string }> | undefined;
  const workers = Promise.all(Array.from({ length: WORKERS }, worker));
  try {
    await sleep(500);
    const promotion = watchPromotion(
      setup.data.map((n) => n.port).filter((p) => p !== oldPort),
    );
    const startedAt = Date.now();
    const { from, to } = await setup.failover(30_000).finally(() =>
      setTimeout(promotion.stop, 5_000)
    );
    const promotedAt = await promotion.done;
    // Until 1 s after the move and a +switch-master (at most 20 s).
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (move !== undefined && oldAfterMove === undefined) {
        const at = move.at;
        oldAfterMove = sleep(at + 200 - Date.now()).then(() =>
          incrCalls(oldPort)
        );
      }
      const switched = switches.times.some((t) => t >= startedAt);
      if (
        (move !== undefined && switched && Date.now() >= move.at + 1_000) ||
        Date.now() > deadline
      ) break;
      await sleep(20);
    }
    stopped = true;
    const drainUntil = Date.now() + 3 * COMMAND_TIMEOUT + 2_000;
    while (pending.size > 0 && Date.now() < drainUntil) await sleep(10);
    const hung = pending.size;
    if (hung === 0) await workers;
    const oldAtEnd = await incrCalls(oldPort);
    const oldAtMove = oldAfterMove && await oldAfterMove;
    // The final values on the master once the setup settled: usually
    // `to`, but the sentinels may fail over again (they can judge a fresh
    // master down while it syncs under load), and the client follows.
    await setup.waitStable(60_000);
    const finalPort = await setup.masterPort();

    let doubleApplied = 0;
    let lostAcked = 0;
    let acked = 0, maybe = 0, timedOut = 0, failed = 0;
    for (const [key, s] of state) {
      const final = await getNumber(finalPort, key);
      acked += s.acked;
      maybe += s.maybe;
      timedOut += s.timedOut;
      failed += s.failed;
      const unknown = s.maybe + s.timedOut;
      const over = Math.max(0, final - s.acked - unknown);
      lostAcked += Math.max(0, s.acked - final);
      const mine = acks.filter((a) => a.key === key);
      const onNew = mine.filter((a) => a.onNew);
      let overNew = 0;
      if (onNew.length > 0 && move !== undefined) {
        const lowest = onNew.reduce(
          (low, a) => Math.min(low, a.value),
          Infinity,
        );
        const ambiguous = mine.filter((a) =>
          !a.onNew && a.resolvedAt >= move!.at
        ).length;
        overNew = Math.max(
          0,
          final - lowest + 1 - onNew.length - ambiguous - unknown,
        );
      }
      doubleApplied += Math.max(over, overNew);
    }
    const firstNew = acks.filter((a) => a.onNew).reduce<Ack | undefined>(
      (first, a) =>
        first === undefined || a.resolvedAt < first.resolvedAt ? a : first,
      undefined,
    );
    const firstSwitch = switches.times.filter((t) => t >= startedAt)
      .reduce((a, b) => Math.min(a, b), Infinity);
    const ms = (x: number | undefined, from: number | undefined) =>
      x === undefined || from === undefined || !Number.isFinite(from)
        ? null
        : x - from;
    return {
      failover: round,
      from,
      to,
      finalMaster: finalPort,
      clientMoves: moves,
      followed: client.stats().master === `127.0.0.1:${finalPort}`,
      clientMoveMs: ms(move?.at, startedAt),
      promotedMs: ms(promotedAt, startedAt),
      ackedByOldAfterPromotion: promotedAt === undefined
        ? null
        : acks.filter((a) => !a.onNew && a.resolvedAt >= promotedAt).length,
      switchMasterMs: ms(firstSwitch, startedAt),
      switchToAckMs: ms(firstNew?.resolvedAt, firstSwitch),
      moveToAckMs: ms(firstNew?.resolvedAt, move?.at),
      hung,
      doubleApplied,
      lostAcked,
      writesToOldAfterMove:
        oldAtMove === undefined || oldAtEnd.role !== "master"
          ? null
          : oldAtEnd.calls - oldAtMove.calls,
      acked,
      mayHaveBeenApplied: maybe,
      timedOut,
      failed,
      rejected,
    };
  } finally {
    stopped = true;
    client.removeEventListener("failover", onMove);
  }
}

function summary(
  rows: Row[],
  field: keyof Row,
): { median: number; max: number } | null {
  const values = rows.map((r) => r[field]).filter((v): v is number =>
    typeof v === "number"
  );
  if (values.length === 0) return null;
  return { median: median(values), max: Math.max(...values) };
}

async function main(): Promise<void> {
  const runtime = "Deno" in globalThis
    ? `deno ${
      (globalThis as unknown as { Deno: { version: { deno: string } } }).Deno
        .version.deno
    }`
    : "Bun" in globalThis
    ? `bun ${
      (globalThis as unknown as { Bun: { version: string } }).Bun.version
    }`
    : `node ${process.version}`;
  console.log(
    `Sentinel failover bench: ${FAILOVERS} × SENTINEL FAILOVER, ${WORKERS} INCR workers, commandTimeout ${COMMAND_TIMEOUT} ms, ${runtime}`,
  );
  const startedAt = Date.now();
  const setup = await startSentinel();
  let client: Client | undefined;
  let switches: { times: number[]; close(): Promise<void> } | undefined;
  const rows: Row[] = [];
  let error: unknown;
  try {
    switches = await watchSwitches(setup);
    client = createClient({
      sentinel: { name: setup.name, nodes: setup.sentinelUrls },
      commandTimeout: COMMAND_TIMEOUT,
    });
    await client.connect();
    const header = [
      "#",
      "from→to",
      "promoted",
      "move",
      "switch",
      "(a) switch→ack",
      "(b) move→ack",
      "(c) hung",
      "(d) double",
      "(e) lost",
      "old acks after promotion",
      "old after",
      "acked",
    ];
    console.log(header.join("\t"));
    for (let i = 1; i <= FAILOVERS; i++) {
      await setup.waitStable(60_000);
      const row = await oneFailover(setup, client, switches, i);
      rows.push(row);
      console.log([
        i,
        `${row.from}→${row.to}${
          row.finalMaster === row.to ? "" : `→${row.finalMaster}`
        }${row.followed ? "" : " (not followed)"}`,
        row.promotedMs,
        row.clientMoveMs,
        row.switchMasterMs,
        row.switchToAckMs,
        row.moveToAckMs,
        row.hung,
        row.doubleApplied,
        row.lostAcked,
        row.ackedByOldAfterPromotion,
        row.writesToOldAfterMove,
        row.acked,
      ].join("\t"));
    }
  } catch (e) {
    error = e;
  } finally {
    client?.destroy();
    await client?.close(1_000);
    await switches?.close();
    await setup.stop();
  }

  const fields = [
    "switchToAckMs",
    "moveToAckMs",
    "hung",
    "doubleApplied",
    "lostAcked",
    "clientMoveMs",
    "promotedMs",
    "ackedByOldAfterPromotion",
    "switchMasterMs",
    "writesToOldAfterMove",
  ] as const;
  const summaries = Object.fromEntries(
    fields.map((f) => [f, summary(rows, f)]),
  );
  console.log("\nmedian / max over the failovers:");
  for (const f of fields) {
    const s = summaries[f];
    console.log(`  ${f}: ${s === null ? "n/a" : `${s.median} / ${s.max}`}`);
  }
  const results = {
    date: new Date().toISOString(),
    runtime,
    settings: {
      failovers: FAILOVERS,
      workers: WORKERS,
      counters: COUNTERS,
      commandTimeoutMs: COMMAND_TIMEOUT,
      downAfterMs: 1_000,
      failoverTimeoutMs: 2_000,
    },
    completed: rows.length,
    error: error === undefined ? undefined : String(error),
    durationMs: Date.now() - startedAt,
    summary: summaries,
    failovers: rows,
  };
  writeFileSync(RESULTS_FILE, JSON.stringify(results, null, 2) + "\n");
  console.log(`\nwrote ${RESULTS_FILE}`);
  if (error !== undefined) throw error;
  if (
    rows.length < FAILOVERS ||
    rows.some((r) =>
      r.hung > 0 || r.doubleApplied > 0 || r.switchToAckMs === null ||
      r.writesToOldAfterMove !== 0 || !r.followed
    )
  ) {
    console.error(
      "FAILED: a hung call, a double apply, a failover not followed, or a write to the old master",
    );
    process.exitCode = 1;
  }
}

await main();
