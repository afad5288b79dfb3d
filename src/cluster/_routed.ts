/**
 * Routing a cluster's commands: by hash slot to the pool of the node that
 * serves it, following MOVED and ASK, waiting out TRYAGAIN and CLUSTERDOWN
 * within the command's deadline; multi-key commands split by slot,
 * pipelines split by node, transactions on their one slot's node.
 *
 * @module
 */

import { type Command, sendOptions } from "../commands/_command.ts";
import {
  blockTimeout,
  type CommandSpec,
  commandSpec,
} from "../commands/registry.ts";
import type { CommandOptions } from "../connection/connection.ts";
import {
  ClusterError,
  ConnectionError,
  ReplyError,
  TimeoutError,
} from "../errors.ts";
import type { RespValue } from "../resp/decode.ts";
import type { CommandArg } from "../resp/encode.ts";
import { commandSlots, keySlot, soleKeyIndex } from "../router/slot.ts";
import { checkTimeout, RUN } from "../_executor.ts";
import { refusal } from "../_guard.ts";
import {
  combine,
  joinSplit,
  parseRedirect,
  redirectOf,
  SPLIT,
  splitBySlot,
  transactionSlot,
} from "./_combine.ts";
import type { ClusterLease } from "./_lease.ts";
import type { ClusterNode, Router } from "./_router.ts";
import { pipeline } from "./_pipeline.ts";
import { noteNode } from "../tracing/_attributes.ts";

const identity = (reply: RespValue): RespValue => reply;
const ASKING: Command<RespValue> = { args: ["ASKING"], map: identity };

/** Sends a command to a node; `asking` after an ASK reply. */
export type Send<T> = (
  node: ClusterNode<ClusterLease>,
  asking: boolean,
  timeout: number,
) => Promise<T>;

/** What the routing layer needs of the cluster. */
export interface RoutingSettings {
  readonly commandTimeout: number;
  readonly acquireTimeout: number;
  readonly maxRedirections: number;
  readonly readFrom: "primary" | "replica" | "preferReplica";
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function deadlineError(name: string, timeout: number, last: unknown): Error {
  return new TimeoutError(
    `Cannot send ${name} within ${timeout} ms as the cluster kept answering ${
      last instanceof Error ? last.message : String(last)
    }`,
    { cause: last },
  );
}

/**
 * Routes commands: the part of the cluster client below its public
 * surface. Kept apart so `cluster.ts` stays the API.
 */
export class Routing {
  readonly router: Router<ClusterLease>;
  readonly settings: RoutingSettings;

  constructor(router: Router<ClusterLease>, settings: RoutingSettings) {
    this.router = router;
    this.settings = settings;
  }

  /**
   * Runs one built command on the node serving its keys' slot; splits
   * MGET, MSET, DEL, UNLINK, EXISTS and TOUCH by slot; sends keyless
   * commands with an all-shards policy to every primary.
   *
   * @param command The command and its reply mapper.
   * @param options Per-call options.
   * @returns The mapped reply.
   */
  run<T>(
    command: Command<T>,
    options?: CommandOptions,
  ): Promise<T> {
    const args = command.args;
    try {
      if (options?.timeout !== undefined) {
        checkTimeout(options.timeout, String(args[0]));
      }
      const spec = commandSpec(args);
      if (spec === undefined) {
        return this.route(command, options, undefined, false);
      }
      if (spec.effect !== undefined || spec.blocking) {
        const refused = refusal(spec, "client", true, false);
        if (refused !== undefined) throw new TypeError(refused);
        if (blockTimeout(spec, args) !== undefined) {
          return this.#blocking(command, spec, options);
        }
      }
      if (soleKeyIndex(spec, args) === 1) {
        return this.route(command, options, keySlot(args[1]), spec.readonly);
      }
      const slots = commandSlots(spec, args);
      switch (slots.kind) {
        case "one":
          return this.route(command, options, slots.slot, spec.readonly);
        case "none":
          return this.#keyless(command, spec, options);
        case "many":
          return this.#split(
            command,
            spec,
            slots.positions,
            slots.slots,
            options,
          );
        default:
          return this.#askKeys(command, spec, options);
      }
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Sends a pipeline split by node, or a transaction on its slot's node.
   *
   * @param commands The commands, in order.
   * @param options A timeout and a signal.
   * @returns The raw replies, in the caller's order.
   */
  batch(
    commands: readonly Command<unknown>[],
    options?: CommandOptions,
  ): Promise<RespValue[]> {
    try {
      if (options?.timeout !== undefined) {
        checkTimeout(options.timeout, "the batch");
      }
      return commands[0]?.args[0] === "MULTI"
        ? this.#transaction(commands, options)
        : pipeline(this, commands, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The node for a slot (any primary for none), by `readFrom`. */
  pick(
    slot: number | undefined,
    read: boolean,
  ): ClusterNode<ClusterLease> | undefined {
    const router = this.router;
    if (slot === undefined) return router.anyPrimary();
    return read && this.settings.readFrom !== "primary"
      ? router.reader(slot)
      : router.primary(slot);
  }

  /**
   * Sends a command to the node of `slot` (any primary when undefined) and
   * follows redirections.
   */
  route<T>(
    command: Command<T>,
    options: CommandOptions | undefined,
    slot: number | undefined,
    read: boolean,
  ): Promise<T> {
    const router = this.router;
    if (!router.ready) {
      return router.whenReady().then(() =>
        this.route(command, options, slot, read)
      );
    }
    const start = Date.now();
    const node = this.pick(slot, read);
    if (node === undefined) {
      return this.follow(
        undefined,
        slot,
        read,
        options,
        start,
        this.#sender(command, options),
        command,
      );
    }
    noteNode(options, node.address);
    return router.pool(node).run(
      command.args,
      command.map,
      sendOptions(command, options),
    ).catch((error) =>
      this.follow(
        error,
        slot,
        read,
        options,
        start,
        this.#sender(command, options),
        command,
        node,
      )
    );
  }

  /** Sends one command to a node, after ASKING when asked to. */
  #sender<T>(
    command: Command<T>,
    options: CommandOptions | undefined,
  ): Send<T> {
    const router = this.router;
    return (node, asking, timeout) => {
      const pool = router.pool(node);
      const o = { ...options, timeout };
      if (command.bytes) o.bytes = true;
      if (!asking) return pool.run(command.args, command.map, o);
      return pool.runBatch([ASKING, command], o).then((replies) => {
        if (replies[1] instanceof ReplyError) throw replies[1];
        return command.map(replies[1]);
      });
    };
  }

  /**
   * The redirection loop: acts on `error` (MOVED, ASK, TRYAGAIN,
   * CLUSTERDOWN, a node that left the map, a connection that failed before
   * the command was written) and sends again, until the deadline or the
   * redirection limit.
   */
  async follow<T>(
    error: unknown,
    slot: number | undefined,
    read: boolean,
    options: CommandOptions | undefined,
    start: number,
    send: Send<T>,
    command: Command<unknown>,
    failed?: ClusterNode<ClusterLease>,
  ): Promise<T> {
    const router = this.router;
    const name = String(command.args[0]);
    const timeout = options?.timeout ?? this.settings.commandTimeout;
    const max = this.settings.maxRedirections;
    let redirections = 0;
    let waits = 0;
    let asking: ClusterNode<ClusterLease> | undefined;
    let primaryOnly = false;
    for (let first = true;; first = false) {
      if (!first || error !== undefined) {
        const redirect = redirectOf(error);
        const target = redirect && parseRedirect(redirect);
        if (redirect !== undefined && target !== undefined) {
          // A MOVED names the slot's owner: the map learns it even when
          // this command has used up its redirections.
          const moved = redirect.prefix === "MOVED";
          if (moved) router.moved(target.slot, target.address);
          if (++redirections > max) {
            throw new ClusterError(
              `Cannot send ${name} as slot ${target.slot} was redirected more than ${max} times (last: ${redirect.message})`,
              target.slot,
              { cause: redirect },
            );
          }
          if (!moved) asking = router.asked(target.address);
        } else if (redirect !== undefined || this.#retryable(error)) {
          // TRYAGAIN, CLUSTERDOWN, or a connection that failed before the
          // command was written: wait a little, within the deadline.
          if (redirect?.prefix !== "TRYAGAIN") router.requestRefresh();
          if (
            this.settings.readFrom === "preferReplica" && read &&
            failed?.role === "replica"
          ) primaryOnly = true;
          else {
            const delay = Math.min(10 * 2 ** waits++, 500);
            if (Date.now() - start + delay >= timeout) {
              throw deadlineError(name, timeout, error);
            }
            await sleep(delay);
          }
        } else if (!router.isRetired(error)) {
          // A node that stops answering (hung, or partitioned away) may be
          // failing over: look at the map again, rate-limited as always.
          if (error instanceof TimeoutError && failed !== undefined) {
            router.suspect(failed);
          }
          throw error;
        }
      }
      const remaining = timeout - (Date.now() - start);
      if (remaining <= 0) throw deadlineError(name, timeout, error);
      let node = asking ?? this.pick(slot, read && !primaryOnly);
      if (node === undefined) {
        await router.refresh().catch(() => {});
        node = this.pick(slot, read && !primaryOnly);
        if (node === undefined) {
          throw new ClusterError(
            slot === undefined
              ? `Cannot send ${name} as the cluster's slot map lists no primary`
              : `Cannot send ${name} as no node serves slot ${slot}`,
            slot,
          );
        }
      }
      try {
        noteNode(options, node.address);
        return await send(node, asking !== undefined, remaining);
      } catch (failure) {
        error = failure;
        failed = node;
        asking = undefined;
        if (router.closed) throw failure;
      }
    }
  }

  #retryable(error: unknown): boolean {
    return error instanceof ConnectionError && !error.mayHaveBeenApplied;
  }

  /** A blocking command, on a lease of the key's node. */
  #blocking<T>(
    command: Command<T>,
    spec: CommandSpec,
    options: CommandOptions | undefined,
  ): Promise<T> {
    const slots = commandSlots(spec, command.args);
    if (slots.kind === "many") throw this.crossSlot(spec.name, slots.slots);
    const slot = slots.kind === "one" ? slots.slot : undefined;
    const router = this.router;
    const send: Send<T> = async (node, asking, timeout) => {
      const lease = await router.pool(node).acquire({
        signal: options?.signal,
        timeout: Math.min(timeout, this.settings.acquireTimeout),
      });
      try {
        if (asking) await lease.send(["ASKING"]);
        return await lease[RUN](command, options);
      } finally {
        await lease.release();
      }
    };
    return router.whenReady().then(() =>
      this.follow(
        undefined,
        slot,
        false,
        { ...options, timeout: Infinity },
        Date.now(),
        send,
        command,
      )
    );
  }

  /** The refusal of a command whose keys span slots. */
  crossSlot(name: string, slots: readonly number[]): TypeError {
    return new TypeError(
      `Cannot send ${name} as its keys are in slots ${
        slots.join(", ")
      }: on a cluster, keys of one command must share a slot (use a {hash tag}); only MGET, MSET, DEL, UNLINK, EXISTS and TOUCH are split`,
    );
  }

  /** A multi-key command across slots: split, or refused. */
  async #split<T>(
    command: Command<T>,
    spec: CommandSpec,
    positions: readonly number[],
    slots: readonly number[],
    options: CommandOptions | undefined,
  ): Promise<T> {
    const name = spec.name;
    if (!SPLIT.has(name)) throw this.crossSlot(name, slots);
    noteNode(options, null);
    const parts = splitBySlot(command.args, positions, keySlot);
    const replies = await Promise.all(parts.map((part) =>
      this.route(
        { args: part.args, map: identity, bytes: command.bytes },
        options,
        part.slot,
        spec.readonly,
      )
    ));
    return command.map(joinSplit(name, parts, replies, positions.length));
  }

  /** A keyless command: every primary (or node) by its policy, or any. */
  async #keyless<T>(
    command: Command<T>,
    spec: CommandSpec,
    options: CommandOptions | undefined,
  ): Promise<T> {
    const policy = spec.requestPolicy;
    if (
      (policy !== "all_shards" && policy !== "all_nodes") ||
      spec.responsePolicy === "special" || spec.name === "RANDOMKEY"
    ) return this.route(command, options, undefined, spec.readonly);
    const router = this.router;
    noteNode(options, null);
    await router.whenReady();
    const nodes = policy === "all_nodes"
      ? router.allNodes()
      : router.primaries();
    const o = sendOptions(command, options);
    const results = await Promise.allSettled(
      nodes.map((node) => router.pool(node).run(command.args, identity, o)),
    );
    return command.map(combine(spec.responsePolicy, results));
  }

  /** Keys the specs cannot place (SORT ... BY): the server says. */
  async #askKeys<T>(
    command: Command<T>,
    spec: CommandSpec,
    options: CommandOptions | undefined,
  ): Promise<T> {
    let keys: RespValue = [];
    try {
      keys = await this.route(
        { args: ["COMMAND", "GETKEYS", ...command.args], map: identity },
        options,
        undefined,
        false,
      );
    } catch (error) {
      if (!(error instanceof ReplyError)) throw error;
    }
    const slots = [...new Set((keys as CommandArg[]).map(keySlot))];
    if (slots.length > 1) throw this.crossSlot(spec.name, slots);
    return this.route(command, options, slots[0], spec.readonly);
  }

  /** MULTI ... EXEC on the node of its one slot. */
  #transaction(
    commands: readonly Command<unknown>[],
    options: CommandOptions | undefined,
  ): Promise<RespValue[]> {
    const slot = transactionSlot(commands);
    const router = this.router;
    const send: Send<RespValue[]> = async (node, asking, timeout) => {
      const sent = asking ? [ASKING, ...commands] : commands;
      let replies = await router.pool(node).runBatch(sent, {
        ...options,
        timeout,
      });
      if (asking) replies = replies.slice(1);
      const exec = replies[replies.length - 1];
      if (exec instanceof ReplyError && exec.prefix === "EXECABORT") {
        // Refused whole: a redirection means it ran nowhere; follow it.
        const redirect = replies.find((r) => redirectOf(r) !== undefined);
        if (redirect !== undefined) throw redirect;
      }
      return replies;
    };
    return router.whenReady().then(() =>
      this.follow(
        undefined,
        slot,
        false,
        options,
        Date.now(),
        send,
        commands[1] ?? commands[0],
      )
    );
  }
}
