/**
 * What the client must know about a command before sending it: whether it
 * changes the connection's state (so it may only run on a lease) and whether
 * it blocks (so it runs on a lease of its own).
 *
 * @module
 */

/**
 * Commands that change per-connection state. On the shared, multiplexed
 * connections they would leak that state into other callers' commands.
 */
const STATEFUL = new Set([
  "AUTH",
  "ASKING",
  "CLIENT",
  "DISCARD",
  "EXEC",
  "HELLO",
  "MONITOR",
  "MULTI",
  "PSUBSCRIBE",
  "PUNSUBSCRIBE",
  "QUIT",
  "READONLY",
  "READWRITE",
  "RESET",
  "SELECT",
  "SSUBSCRIBE",
  "SUBSCRIBE",
  "SUNSUBSCRIBE",
  "SYNC",
  "PSYNC",
  "UNSUBSCRIBE",
  "UNWATCH",
  "WATCH",
]);

/** CLIENT subcommands that only read, and are safe on shared connections. */
const CLIENT_READS = new Set([
  "ID",
  "GETNAME",
  "LIST",
  "INFO",
  "KILL",
  "GETREDIR",
  "TRACKINGINFO",
  "NO-EVICT",
  "NO-TOUCH",
  "PAUSE",
  "UNPAUSE",
]);

/** Whether the command changes connection state (uppercase name). */
export function isStateful(name: string, sub?: unknown): boolean {
  if (!STATEFUL.has(name)) return false;
  if (name === "CLIENT") {
    return typeof sub !== "string" || !CLIENT_READS.has(sub.toUpperCase());
  }
  return true;
}

/** Commands that may block the connection waiting for data. */
const BLOCKING = new Set([
  "BLPOP",
  "BRPOP",
  "BLMOVE",
  "BRPOPLPUSH",
  "BLMPOP",
  "BZPOPMIN",
  "BZPOPMAX",
  "BZMPOP",
  "WAIT",
  "WAITAOF",
]);

/**
 * How long a command may block, in milliseconds: `undefined` when it does
 * not block, `0` when it may block for ever.
 *
 * @param name The uppercase command name.
 * @param args The whole command.
 */
export function blockTime(
  name: string,
  args: readonly unknown[],
): number | undefined {
  if (BLOCKING.has(name)) {
    // The timeout is the last argument (seconds), except WAIT's (ms, last).
    const last = Number(args[args.length - 1]);
    if (!Number.isFinite(last) || last < 0) return 0;
    if (name === "WAIT" || name === "WAITAOF") return last;
    if (name === "BLMPOP" || name === "BZMPOP") {
      const seconds = Number(args[1]);
      return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 0;
    }
    return last * 1000;
  }
  if (name === "XREAD" || name === "XREADGROUP") {
    for (let i = 1; i < args.length - 1; i++) {
      const word = args[i];
      if (typeof word === "string" && word.toUpperCase() === "BLOCK") {
        const ms = Number(args[i + 1]);
        return Number.isFinite(ms) && ms >= 0 ? ms : 0;
      }
    }
  }
  return undefined;
}
