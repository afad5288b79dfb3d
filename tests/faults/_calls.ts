/**
 * The call tracker of the failover tests: every call goes through `track`,
 * which counts outcomes by error code, keeps the slowest settle time,
 * knows which calls are still pending (a hang), and counts rejections whose
 * message, stack or cause holds one of the `secrets`.
 */
import { ConnectionError, RedisError, ReplyError } from "../../mod.ts";
import { sleep } from "../_util.ts";

/** The code a rejection is counted under. */
export function codeOf(error: unknown): string {
  if (error instanceof ReplyError) return `REPLY:${error.prefix}`;
  if (error instanceof ConnectionError) {
    return error.mayHaveBeenApplied
      ? "CONNECTION(maybe applied)"
      : "CONNECTION";
  }
  if (error instanceof RedisError) return error.code;
  return error instanceof Error ? error.name : String(error);
}

/** An error's message, stack and causes, as one text. */
export function everything(error: unknown): string {
  const parts: string[] = [];
  for (let e = error, depth = 0; e != null && depth < 10; depth++) {
    if (e instanceof Error) {
      parts.push(String(e), e.message, e.stack ?? "");
      e = e.cause;
    } else {
      parts.push(String(e));
      break;
    }
  }
  return parts.join("\n");
}

/** Tracks calls: outcomes by code, the slowest, the pending. */
export class Calls {
  readonly pending = new Map<Promise<unknown>, number>();
  sent = 0;
  resolved = 0;
  slowestMs = 0;
  /** Rejections whose text holds a secret. */
  leaks = 0;
  /** Rejections by `<call>:<code>`, the call being e.g. `incr`. */
  readonly rejectedByCode: Record<string, number> = {};
  /** The first message seen for each of them. */
  readonly samples: Record<string, string> = {};
  readonly secrets: readonly string[];

  constructor(secrets: readonly string[] = []) {
    this.secrets = secrets;
  }

  /** Counts `promise` under `what` (e.g. `incr`) and passes it on. */
  track<T>(what: string, promise: Promise<T>): Promise<T> {
    const issuedAt = Date.now();
    this.sent++;
    this.pending.set(promise, issuedAt);
    const settle = () => {
      this.pending.delete(promise);
      this.slowestMs = Math.max(this.slowestMs, Date.now() - issuedAt);
    };
    return promise.then((value) => {
      settle();
      this.resolved++;
      return value;
    }, (error) => {
      settle();
      const code = `${what}:${codeOf(error)}`;
      this.rejectedByCode[code] = (this.rejectedByCode[code] ?? 0) + 1;
      this.samples[code] ??= String(error?.message).slice(0, 400);
      if (this.secrets.length > 0) {
        const text = everything(error);
        if (this.secrets.some((secret) => text.includes(secret))) this.leaks++;
      }
      throw error;
    });
  }

  /** Waits until nothing is pending, at most `ms`; returns what still is. */
  async drain(ms: number): Promise<number> {
    const deadline = Date.now() + ms;
    while (this.pending.size > 0 && Date.now() < deadline) await sleep(10);
    return this.pending.size;
  }

  /** Calls pending for longer than `ms`. */
  olderThan(ms: number): number {
    const now = Date.now();
    return [...this.pending.values()].filter((at) => now - at > ms).length;
  }
}
