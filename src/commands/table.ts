/**
 * Every typed command, by method name: the one table the client, leases,
 * pipelines and transactions derive their methods from. A family is a class
 * of builders in its own file; adding it here is all it takes.
 *
 * @module
 */

import { BitmapCommands } from "./bitmaps.ts";
import { HashCommands } from "./hashes.ts";
import { KeyCommands } from "./keys.ts";
import { ListCommands } from "./lists.ts";
import { BlockingListCommands } from "./list_blocking.ts";
import { ServerCommands } from "./server.ts";
import { ClientCommands } from "./clients.ts";
import { SetCommands } from "./sets.ts";
import { SortedSetCommands } from "./sorted_sets.ts";
import { SortedSetRangeCommands } from "./sorted_set_ranges.ts";
import { SortedSetCombineCommands } from "./sorted_set_combine.ts";
import { GeoCommands } from "./geo.ts";
import { BitfieldCommands } from "./bitfields.ts";
import { SortCommands } from "./sort.ts";
import { FunctionCommands } from "./functions.ts";
import { StringCommands } from "./strings.ts";
import { StreamCommands } from "./streams.ts";
import { StreamGroupCommands } from "./stream_groups.ts";
import { StreamClaimCommands } from "./stream_claims.ts";
import { ScriptCommands } from "./scripts.ts";
import { PubSubCommands } from "./pubsub.ts";

/** Every command builder, by method name. */
export interface CommandTable
  extends
    StringCommands,
    KeyCommands,
    ServerCommands,
    ClientCommands,
    ListCommands,
    BlockingListCommands,
    SetCommands,
    SortedSetCommands,
    SortedSetRangeCommands,
    SortedSetCombineCommands,
    GeoCommands,
    BitmapCommands,
    BitfieldCommands,
    SortCommands,
    HashCommands,
    StreamCommands,
    StreamGroupCommands,
    StreamClaimCommands,
    ScriptCommands,
    FunctionCommands,
    PubSubCommands {}

const families = [
  PubSubCommands,
  StringCommands,
  KeyCommands,
  ServerCommands,
  ClientCommands,
  ListCommands,
  BlockingListCommands,
  SetCommands,
  SortedSetCommands,
  SortedSetRangeCommands,
  SortedSetCombineCommands,
  GeoCommands,
  BitmapCommands,
  BitfieldCommands,
  SortCommands,
  HashCommands,
  StreamCommands,
  StreamGroupCommands,
  StreamClaimCommands,
  ScriptCommands,
  FunctionCommands,
];

function collect(): CommandTable {
  const table: Record<string, unknown> = {};
  for (const family of families) {
    for (const name of Object.getOwnPropertyNames(family.prototype)) {
      if (name === "constructor") continue;
      if (name in table) {
        throw new Error(`Command builder ${name} is defined twice`);
      }
      table[name] =
        (family.prototype as unknown as Record<string, unknown>)[name];
    }
  }
  return table as unknown as CommandTable;
}

/** Every command builder, by method name. */
export const commands: CommandTable = collect();
