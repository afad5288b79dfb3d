/**
 * A pipeline on a cluster, split by node.
 *
 * @module
 */

import type { Command } from "../commands/_command.ts";
import { commandSpec } from "../commands/registry.ts";
import type { CommandOptions } from "../connection/connection.ts";
import { ReplyError } from "../errors.ts";
import type { RespValue } from "../resp/decode.ts";
import { commandSlots } from "../router/slot.ts";
import { parseRedirect, redirectOf, SPLIT } from "./_combine.ts";
import type { ClusterLease } from "./_lease.ts";
import type { ClusterNode } from "./_router.ts";
import type { Routing } from "./_routed.ts";
import { noteNodes } from "../tracing/_attributes.ts";

const identity = (reply: RespValue): RespValue => reply;

/**
 * Sends a pipeline on a cluster: one batch per node, in parallel, results
 * in the caller's order. Members that cannot be split are refused before
 * anything is sent; members redirected (MOVED, ASK), split by slot or sent
 * to every primary run one by one.
 *
 * @param routing The cluster's routing.
 * @param commands The pipeline's commands.
 * @param options A timeout and a signal for each node's batch.
 * @returns The raw replies (server errors as values), in order.
 */
export async function pipeline(
  routing: Routing,
  commands: readonly Command<unknown>[],
  options: CommandOptions | undefined,
): Promise<RespValue[]> {
  const router = routing.router;
  const groups = new Map<
    ClusterNode<ClusterLease>,
    { indices: number[]; members: Command<unknown>[] }
  >();
  const alone: number[] = [];
  let keyless: ClusterNode<ClusterLease> | undefined;
  // Refuse what cannot be split before anything is sent.
  const plan = commands.map((command) => {
    const spec = commandSpec(command.args);
    const slots = spec && commandSlots(spec, command.args);
    if (slots?.kind === "many" && !SPLIT.has(spec!.name)) {
      throw routing.crossSlot(spec!.name, slots.slots);
    }
    return { spec, slots };
  });
  if (!router.ready) await router.whenReady();
  plan.forEach(({ spec, slots }, i) => {
    let node: ClusterNode<ClusterLease> | undefined;
    if (slots?.kind === "one") node = routing.pick(slots.slot, spec!.readonly);
    else if (
      slots?.kind === "none" && spec!.requestPolicy !== "all_shards" &&
      spec!.requestPolicy !== "all_nodes"
    ) node = keyless ??= router.anyPrimary();
    if (node === undefined) {
      alone.push(i);
      return;
    }
    let group = groups.get(node);
    if (group === undefined) {
      groups.set(node, group = { indices: [], members: [] });
    }
    group.indices.push(i);
    group.members.push(commands[i]);
  });
  noteNodes(options, groups, alone.length);
  const replies: RespValue[] = new Array(commands.length);
  await Promise.all(
    [...groups].map(([node, group]) =>
      router.pool(node).runBatch(group.members, options).then((results) => {
        results.forEach((reply, j) => {
          const redirect = redirectOf(reply);
          if (redirect === undefined) {
            replies[group.indices[j]] = reply;
            return;
          }
          const target = redirect.prefix === "MOVED" &&
            parseRedirect(redirect);
          if (target) router.moved(target.slot, target.address);
          alone.push(group.indices[j]);
        });
      }, (error) => {
        if (!router.isRetired(error)) throw error;
        alone.push(...group.indices);
      })
    ),
  );
  // Members that were redirected, split or fanned out: one by one.
  await Promise.all(alone.map((i) =>
    routing.run(
      { args: commands[i].args, map: identity, bytes: commands[i].bytes },
      options,
    ).then((reply) => replies[i] = reply, (error) => {
      if (!(error instanceof ReplyError)) throw error;
      replies[i] = error;
    })
  ));
  return replies;
}
