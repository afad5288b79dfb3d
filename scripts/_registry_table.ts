/**
 * The pure half of scripts/gen_registry.ts: the server's `COMMAND` and
 * `COMMAND DOCS` replies plus the client-side overlay become the source of
 * src/commands/_registry_data.ts. Shared with the test that checks the
 * committed table is current. Accepts RESP3 (sets, maps) and RESP2 (flat
 * arrays) replies alike.
 */
import type { Client, RespValue } from "../mod.ts";
import type { ConnectionEffect } from "../src/commands/registry.ts";

/** A command's blocking timeout argument: where it is and its unit. */
interface TimeoutRule {
  /** An index into the args (negative: from the end) or the token before it. */
  readonly at: number | string;
  readonly unit: "s" | "ms";
  /** For a token: `<TOKEN>=<values>` of the tokens that may come before it. */
  readonly before?: readonly string[];
}

/** A fact the server does not report, for one command. */
interface OverlayFact {
  readonly effect?: ConnectionEffect;
  readonly retrySafe?: true;
  readonly blocking?: true;
  readonly timeout?: TimeoutRule;
  /** Server facts for a command newer than the generating server. */
  readonly added?: {
    readonly arity: number;
    readonly flags: readonly string[];
    readonly tips: readonly string[];
  };
}

const sticky = { effect: "sticky" } as const;
const pubsub = { effect: "subscribe" } as const;
const takeover = { effect: "takeover" } as const;
const read = { retrySafe: true } as const;
const lastMs = { at: -1, unit: "ms" } as const;
/** Facts Redis 7.2 reports for its new CLIENT subcommands. */
const client72 = (arity: number) =>
  ({ ...sticky, added: { arity, flags: ["loading"], tips: [] } }) as const;

/** Client-side facts, by upper-case name (container, space, subcommand). */
export const OVERLAY: Readonly<Record<string, OverlayFact>> = {
  MULTI: { effect: "multi" }, // opens a transaction; undone by DISCARD
  EXEC: { effect: "exec" }, // ends the transaction and any WATCH
  DISCARD: { effect: "exec" }, // ends the transaction and any WATCH
  WATCH: { effect: "watch" }, // watches keys; undone by UNWATCH
  UNWATCH: { effect: "unwatch" }, // forgets the watched keys
  SELECT: { effect: "select" }, // switches the database; undone by SELECT
  "CLIENT SETNAME": { effect: "setname" }, // undone by naming it back
  SUBSCRIBE: pubsub, // enters pub/sub mode
  PSUBSCRIBE: pubsub, // enters pub/sub mode
  SSUBSCRIBE: pubsub, // enters pub/sub mode
  UNSUBSCRIBE: pubsub, // pub/sub mode (also answers outside it)
  PUNSUBSCRIBE: pubsub, // pub/sub mode (also answers outside it)
  SUNSUBSCRIBE: pubsub, // pub/sub mode (also answers outside it)
  MONITOR: takeover, // streams every command run; no replies follow
  SYNC: takeover, // turns the connection into a replication stream
  PSYNC: takeover, // turns the connection into a replication stream
  "CLIENT REPLY": { effect: "replymode" }, // OFF, SKIP: replies stop
  HELLO: sticky, // changes the protocol, user or name
  AUTH: sticky, // changes the user
  RESET: sticky, // resets every piece of connection state
  QUIT: sticky, // closes the connection
  READONLY: sticky, // lets a cluster replica connection serve reads
  READWRITE: sticky, // undoes READONLY
  ASKING: sticky, // lets the next command reach an importing slot
  "CLIENT TRACKING": sticky, // turns on invalidation pushes
  "CLIENT CACHING": sticky, // changes what the next read tracks
  "CLIENT NO-EVICT": sticky, // exempts the connection from eviction
  "CLIENT NO-TOUCH": client72(3), // reads stop touching keys (7.2)
  "CLIENT SETINFO": client72(4), // sets the library name or version (7.2)
  // Waits for replicas to ack this connection's writes; 7.0 does not flag
  // it blocking, and its docs do not give the unit (milliseconds).
  WAIT: { effect: "ownwrites", blocking: true, timeout: lastMs },
  // Waits for the AOF fsync of this connection's writes (7.2).
  WAITAOF: {
    effect: "ownwrites",
    blocking: true,
    timeout: lastMs,
    added: {
      arity: 4,
      flags: ["blocking"],
      tips: ["request_policy:all_shards", "response_policy:agg_min"],
    },
  },
  // Retry-safe, not flagged readonly: keyless reads that change nothing.
  PING: read, // answers PONG
  ECHO: read, // answers its argument
  TIME: read, // reads the clock
  LASTSAVE: read, // reads when the last save happened
  INFO: read, // reads statistics
  ROLE: read, // reads the replication role; sentinel discovery asks it
  "COMMAND COUNT": read, // reads the command table
  "COMMAND DOCS": read, // reads the command table
  "COMMAND INFO": read, // reads the command table
  "COMMAND LIST": read, // reads the command table
  "COMMAND GETKEYS": read, // reads the command table
  "COMMAND GETKEYSANDFLAGS": read, // reads the command table
  "CONFIG GET": read, // reads configuration
  "PUBSUB CHANNELS": read, // reads channel counts
  "PUBSUB NUMPAT": read, // reads channel counts
  "PUBSUB NUMSUB": read, // reads channel counts
  "PUBSUB SHARDCHANNELS": read, // reads channel counts
  "PUBSUB SHARDNUMSUB": read, // reads channel counts
  "SCRIPT EXISTS": read, // reads whether scripts are cached
  "FUNCTION LIST": read, // reads the loaded functions
  "FUNCTION DUMP": read, // reads the loaded functions
  "CLUSTER INFO": read, // reads the topology; a refresh may ask again
  "CLUSTER MYID": read, // reads the topology
  "CLUSTER NODES": read, // reads the topology
  "CLUSTER SHARDS": read, // reads the topology
  "CLUSTER SLOTS": read, // reads the topology
  "CLUSTER KEYSLOT": read, // computes a slot
};

/** Packed flag bits 0-6; registry.ts reads them in this order. */
const FLAG_BITS = "readonly write pubsub movablekeys no_multi loading blocking"
  .split(" ");
/** The bits of a FACTS line: write, blocking, retry-safe, effect. */
const FACT_BITS = 2 | 1 << 6 | 1 << 8 | 15 << 16;
/** The bits that make a command need care: blocking, an effect. */
const CARE_BITS = 1 << 6 | 15 << 16;
function list(value: RespValue | undefined): RespValue[] {
  if (value instanceof Set) return [...value];
  return Array.isArray(value) ? value : [];
}

function map(value: RespValue | undefined): Map<RespValue, RespValue> {
  if (value instanceof Map) return value;
  const pairs = list(value);
  const result = new Map<RespValue, RespValue>();
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    result.set(pairs[i], pairs[i + 1]);
  }
  return result;
}

function num(value: RespValue | undefined): number {
  return Number(value ?? 0);
}

/** One key spec as `begin find flags` (the format registry.ts parses). */
function encodeKeySpec(raw: RespValue): string {
  const spec = map(raw);
  const begin = map(spec.get("begin_search"));
  const find = map(spec.get("find_keys"));
  const pick = (parent: Map<RespValue, RespValue>, keys: string[]) => {
    const values = map(parent.get("spec"));
    return keys.map((key) => num(values.get(key))).join(":");
  };
  const b = begin.get("type") === "index"
    ? `i${pick(begin, ["index"])}`
    : begin.get("type") === "keyword"
    ? `k${map(begin.get("spec")).get("keyword")}:${pick(begin, ["startfrom"])}`
    : "u";
  const f = find.get("type") === "range"
    ? `r${pick(find, ["lastkey", "keystep", "limit"])}`
    : find.get("type") === "keynum"
    ? `n${pick(find, ["keynumidx", "firstkey", "keystep"])}`
    : "u";
  return `${b} ${f} ${list(spec.get("flags")).join("+")}`;
}

/**
 * How many args a documented argument takes, or undefined if it varies
 * (`present`: count an optional one as given).
 */
function width(
  arg: Map<RespValue, RespValue>,
  present = false,
): number | undefined {
  const flags = list(arg.get("flags"));
  if (flags.includes("multiple") || (!present && flags.includes("optional"))) {
    return undefined;
  }
  const token = arg.has("token") ? 1 : 0;
  const type = arg.get("type");
  if (type === "pure-token") return token;
  if (type === "block") {
    let sum = token;
    for (const child of list(arg.get("arguments"))) {
      const w = width(map(child));
      if (w === undefined) return undefined;
      sum += w;
    }
    return sum;
  }
  if (type === "oneof") {
    const options = list(arg.get("arguments")).map((a) => width(map(a)));
    return options.every((w) => w === 1) ? token + 1 : undefined;
  }
  return token + 1;
}

/**
 * Where a blocking command's timeout is, from its documented arguments: a
 * fixed index, or after a token, with the fixed-width tokens that may come
 * before it (so a lookup can walk past them as the server's parser does).
 */
function timeoutRule(
  docArgs: Map<RespValue, RespValue>[],
  start: number,
): TimeoutRule | undefined {
  for (const [i, arg] of docArgs.entries()) {
    const name = arg.get("name");
    const unit = name === "milliseconds" ? "ms" : name === "seconds" ||
        (name === "timeout" && arg.get("type") === "double")
      ? "s"
      : undefined;
    if (unit === undefined) continue;
    const token = arg.get("token");
    if (typeof token === "string") {
      const before: string[] = [];
      for (const other of docArgs) {
        const w = width(other, true);
        if (other === arg || !other.has("token") || w === undefined) continue;
        before.push(`${String(other.get("token")).toUpperCase()}=${w - 1}`);
      }
      return { at: token.toUpperCase(), unit, before };
    }
    if (i === docArgs.length - 1 && width(arg) === 1) return { at: -1, unit };
    let at = start;
    for (const before of docArgs.slice(0, i)) {
      const w = width(before);
      if (w === undefined) return undefined;
      at += w;
    }
    return { at, unit };
  }
  return undefined;
}

/** `<s|m><at>`, then the tokens that may come before it, space-separated. */
function encodeTimeout(rule: TimeoutRule): string {
  return [`${rule.unit === "ms" ? "m" : "s"}${rule.at}`, ...rule.before ?? []]
    .join(" ");
}

interface Row {
  name: string; // upper case, "CLIENT REPLY"
  arity: number;
  flags: string[];
  tips: string[];
  keySpecs: string[];
  timeout?: string;
}

/** The facts to render, as plain data, from the two replies. */
function collect(
  command: RespValue,
  docs: RespValue,
): Map<string, Row> {
  const docsByName = map(docs);
  const rows = new Map<string, Row>();
  const add = (entry: RespValue[], doc: Map<RespValue, RespValue>) => {
    const name = String(entry[0]).toUpperCase().replace("|", " ");
    const row: Row = {
      name,
      arity: num(entry[1]),
      flags: list(entry[2]).map(String),
      tips: list(entry[7]).map(String),
      keySpecs: list(entry[8]).map(encodeKeySpec),
    };
    if (row.flags.includes("blocking")) {
      const args = list(doc.get("arguments")).map(map);
      const rule = timeoutRule(args, name.includes(" ") ? 2 : 1);
      if (rule) row.timeout = encodeTimeout(rule);
    }
    rows.set(name, row);
  };
  for (const raw of list(command)) {
    const entry = list(raw);
    const doc = map(docsByName.get(entry[0]));
    add(entry, doc);
    const subDocs = map(doc.get("subcommands"));
    for (const sub of list(entry[9])) {
      const subEntry = list(sub);
      add(subEntry, map(subDocs.get(subEntry[0])));
    }
  }
  return rows;
}

/**
 * The source of src/commands/_registry_data.ts.
 *
 * @param command The server's `COMMAND` reply.
 * @param docs The server's `COMMAND DOCS` reply.
 * @param version The server's version, for the header.
 * @returns The module's source text.
 * @throws {Error} When an overlay entry names a command the server lacks and
 * gives no facts for it, or a blocking command's timeout cannot be located.
 */
export function renderRegistryModule(
  command: RespValue,
  docs: RespValue,
  version: string,
): string {
  return renderTables(command, docs, version).registry;
}

/**
 * The source of src/commands/_facts_data.ts: the facts a client needs
 * before it sends a command, for the commands that have one, from the same
 * rows as {@linkcode renderRegistryModule}.
 *
 * @param command The server's `COMMAND` reply.
 * @param docs The server's `COMMAND DOCS` reply.
 * @param version The server's version, for the header.
 * @returns The module's source text.
 * @throws {Error} As {@linkcode renderRegistryModule}.
 */
export function renderFactsModule(
  command: RespValue,
  docs: RespValue,
  version: string,
): string {
  return renderTables(command, docs, version).facts;
}

function renderTables(
  command: RespValue,
  docs: RespValue,
  version: string,
): { registry: string; facts: string } {
  const rows = collect(command, docs);
  for (const [name, fact] of Object.entries(OVERLAY)) {
    let row = rows.get(name);
    if (row === undefined) {
      if (fact.added === undefined) {
        throw new Error(
          `The overlay names ${name}, which Redis ${version} does not have`,
        );
      }
      const { arity, flags, tips } = fact.added;
      row = { name, arity, flags: [...flags], tips: [...tips], keySpecs: [] };
      rows.set(name, row);
    }
    if (fact.blocking) row.flags.push("blocking");
    if (fact.timeout) row.timeout = encodeTimeout(fact.timeout);
  }
  // Numbered in name order: the server lists commands in hash order.
  const sorted = [...rows.values()].sort((a, b) => a.name < b.name ? -1 : 1);
  const tip = (row: Row, kind: string) =>
    row.tips.find((t) => t.startsWith(`${kind}_policy:`))?.split(":")[1];
  const requests = distinct(sorted.map((row) => tip(row, "request")));
  const responses = distinct(sorted.map((row) => tip(row, "response")));
  const specs = distinct(sorted.flatMap((row) => row.keySpecs));
  // Numbered in the overlay's order of first mention.
  const effects = distinct(Object.values(OVERLAY).map((fact) => fact.effect));
  let container = "";
  // The facts a client needs before sending (src/commands/_facts.ts):
  // commands that are retry-safe, block or change connection state, with
  // those bits and the write bit, and the containers of such subcommands.
  const facts: string[] = [];
  // And the names needsCare() checks: commands that change connection
  // state or may block, themselves or through a subcommand.
  const careful = new Set<string>();
  let pendingContainer: string | undefined;
  const lines = sorted.map((row) => {
    if (row.timeout === undefined && row.flags.includes("blocking")) {
      throw new Error(`Cannot locate the timeout of ${row.name}`);
    }
    const fact = OVERLAY[row.name] ?? {};
    let bits = rank(requests, tip(row, "request")) << 9 |
      rank(responses, tip(row, "response")) << 12 |
      rank(effects, fact.effect) << 16;
    FLAG_BITS.forEach((flag, i) => {
      if (row.flags.includes(flag)) bits |= 1 << i;
    });
    if (row.tips.includes("nondeterministic_output")) bits |= 1 << 7;
    if (row.flags.includes("readonly") || fact.retrySafe) bits |= 1 << 8;
    const [top, sub] = row.name.split(" ");
    if (sub === undefined) container = top;
    else if (top !== container) throw new Error(`${row.name} has no container`);
    const label = sub === undefined
      ? top.toLowerCase()
      : `|${sub.toLowerCase()}`;
    const factBits = bits & FACT_BITS;
    const factFields = [
      label,
      factBits ? factBits.toString(36) : "",
      row.timeout ?? "",
    ];
    while (factFields[factFields.length - 1] === "") factFields.pop();
    if (sub === undefined) pendingContainer = factFields.join(",");
    if ((bits & CARE_BITS) !== 0) careful.add(top.toLowerCase());
    if ((bits & FACT_BITS & ~2) !== 0) {
      if (sub !== undefined && pendingContainer !== undefined) {
        facts.push(pendingContainer);
      }
      pendingContainer = undefined;
      facts.push(factFields.join(","));
    }
    const fields = [
      label,
      String(row.arity),
      bits.toString(36),
      row.keySpecs.map((spec) => specs.indexOf(spec).toString(36)).join("."),
      row.timeout ?? "",
    ];
    while (fields[fields.length - 1] === "") fields.pop();
    return fields.join(",");
  });
  const constants = [
    ["EFFECTS", "Connection effects, numbered from 1", effects.join(" ")],
    ["REQUEST_POLICIES", "Request policies, numbered from 1", requests],
    ["RESPONSE_POLICIES", "Response policies, numbered from 1", responses],
    ["KEY_SPECS", "Key specs, one a line, numbered from 0", specs],
    ["COMMANDS", `The ${lines.length} commands, one a line`, lines],
  ] as const;
  const registry = header(version) + constants.map(([name, doc, value]) => {
    const text = name === "KEY_SPECS" || name === "COMMANDS"
      ? `\`\n${value.join("\n")}\n\``
      : JSON.stringify(typeof value === "string" ? value : value.join(" "));
    // Wrapped as deno fmt wraps it, so the output is already formatted.
    const line = `export const ${name} = ${text};`;
    const wrapped = line.length > 80 && text[0] === '"'
      ? `export const ${name} =\n  ${text};`
      : line;
    return `\n/** ${doc}. */\n${wrapped}\n`;
  }).join("");
  return { registry, facts: factsModule(version, facts, [...careful]) };
}

function factsModule(
  version: string,
  facts: string[],
  careful: string[],
): string {
  return `/**
 * The facts a client needs before it sends a command, read by
 * src/commands/_facts.ts (the core entry loads these without the rest of
 * the registry). GENERATED by scripts/gen_registry.ts from the same
 * \`COMMAND\` and \`COMMAND DOCS\` replies of Redis ${version} and overlay
 * as src/commands/_registry_data.ts; do not edit by hand.
 *
 * A line is \`name,flags,timeout\` as a line of COMMANDS in
 * _registry_data.ts, with only the write, blocking, retry-safe and effect
 * bits of flags (effects numbered as its EFFECTS), for the commands that
 * are retry-safe, block or change connection state, and the containers of
 * such subcommands. A command not listed has none of those facts.
 *
 * @module
 */

/** The ${facts.length} commands and containers with facts, one a line. */
export const FACTS = \`
${facts.join("\n")}
\`;

/**
 * The ${careful.length} commands that change connection state or may block,
 * themselves or through a subcommand, in lower case: what needsCare()
 * checks on every command, without reading FACTS.
 */
export const CAREFUL =
  ${JSON.stringify(careful.join(" "))};
`;
}

/** The values, each once, in order of first appearance. */
function distinct(values: (string | undefined)[]): string[] {
  return [...new Set(values)].filter((v) => v !== undefined);
}

/** The value's number in the list, counting from 1; 0 for none. */
function rank(values: string[], value: string | undefined): number {
  return value === undefined ? 0 : values.indexOf(value) + 1;
}

function header(version: string): string {
  return `/**
 * Command facts for src/commands/registry.ts. GENERATED by
 * scripts/gen_registry.ts from the \`COMMAND\` and \`COMMAND DOCS\` replies of
 * Redis ${version} and the overlay in scripts/_registry_table.ts; do not edit
 * by hand.
 *
 * A key spec line is \`begin find flags\`: begin is \`i<index>\`,
 * \`k<KEYWORD>:<startfrom>\` or \`u\`; find is
 * \`r<lastkey>:<keystep>:<limit>\`, \`n<keynumidx>:<firstkey>:<keystep>\` or
 * \`u\`; flags are joined by \`+\`. A command line is
 * \`name,arity,flags,specs,timeout\` with empty trailing fields left out:
 * a name starting with \`|\` is a subcommand of the container above it;
 * flags is a base-36 number (bits 0-8: readonly, write, pubsub,
 * movablekeys, no_multi, loading, blocking, nondeterministic_output,
 * retry-safe; bits 9-11 request policy, 12-15 response policy, 16-19
 * effect); specs are base-36 key spec numbers joined by \`.\`; timeout is
 * \`<s|m><index>\` (negative: from the end) or \`<s|m><TOKEN>\` followed by
 * the \`<TOKEN>=<values>\` of the tokens that may precede it.
 *
 * @module
 */

/** The Redis version the table was generated from. */
export const REDIS_VERSION = ${JSON.stringify(version)};
`;
}

/**
 * Reads what {@linkcode renderRegistryModule} needs from a live server.
 *
 * @param redis A client of the server.
 * @returns The `COMMAND` and `COMMAND DOCS` replies and the server version.
 */
export async function readServerCommands(
  redis: Client,
): Promise<{ command: RespValue; docs: RespValue; version: string }> {
  const [command, docs, info] = await Promise.all([
    redis.send(["COMMAND"]),
    redis.send(["COMMAND", "DOCS"]),
    redis.send(["INFO", "server"]),
  ]);
  const version = String(info).match(/redis_version:(\S+)/)?.[1] ?? "unknown";
  return { command, docs, version };
}
