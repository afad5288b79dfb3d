/**
 * CLIENT commands that read or act on the server's connections: ID,
 * GETNAME, SETNAME, LIST and KILL. CLIENT SETNAME changes the state of the
 * connection it runs on, so only a lease sends it (the client refuses it,
 * and a lease sets the name back on release); the other CLIENT commands
 * that change a connection's own state belong on a lease, sent with
 * `send()`.
 *
 * @module
 */

import { type Command, command, int } from "./_command.ts";
import { setField, toNumber, toOk, toText, toTextOrNull } from "./_reply.ts";
import { text } from "./server.ts";
import type { RespValue } from "../resp/decode.ts";
import type { CommandArg } from "../resp/encode.ts";

/**
 * One connection as CLIENT LIST describes it: `id`, `addr`, `laddr`, `name`,
 * `age`, `idle`, `db`, `cmd`, `user`, `resp`, ... as text.
 */
export type ClientInfo = Record<string, string>;

/** The kinds of connection CLIENT LIST and CLIENT KILL can select. */
export type ClientType = "normal" | "master" | "replica" | "pubsub";

/** Options of CLIENT LIST. `type` and `id` exclude each other. */
export interface ClientListOptions {
  /** Only connections of this kind. */
  type?: ClientType;
  /** Only the connections with these ids. */
  id?: number[];
}

/**
 * Which connections CLIENT KILL closes: those matching every filter given.
 * At least one of `id`, `addr`, `laddr`, `user`, `type` is required.
 */
export interface ClientKillFilter {
  /** The connection with this id (see {@linkcode ClientCommands.clientId}). */
  id?: number;
  /** The connection from this `ip:port`. */
  addr?: string;
  /** Connections to this local `ip:port` of the server. */
  laddr?: string;
  /** Connections authenticated as this ACL user. */
  user?: string;
  /** Connections of this kind. */
  type?: ClientType;
  /**
   * Spare the connection that sends the command.
   *
   * @default {true}
   */
  skipme?: boolean;
}

const CLIENT_TYPES: ReadonlySet<string> = new Set([
  "normal",
  "master",
  "replica",
  "pubsub",
]);

function clientType(command: string, type: unknown): ClientType {
  if (typeof type === "string" && CLIENT_TYPES.has(type)) {
    return type as ClientType;
  }
  throw new TypeError(
    `Cannot build ${command} as type must be normal, master, replica or pubsub, got ${
      typeof type === "string" ? JSON.stringify(type) : typeof type
    }`,
  );
}

/** CLIENT LIST: one line per connection of space-separated `field=value`. */
function toClientList(reply: RespValue): ClientInfo[] {
  const clients: ClientInfo[] = [];
  for (const raw of toText(reply).split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    const client: ClientInfo = {};
    for (const pair of line.split(" ")) {
      if (pair === "") continue;
      const eq = pair.indexOf("=");
      if (eq === -1) setField(client, pair, "");
      else setField(client, pair.slice(0, eq), pair.slice(eq + 1));
    }
    clients.push(client);
  }
  return clients;
}

/** CLIENT commands about the server's connections. */
export class ClientCommands {
  /**
   * CLIENT ID: the id of the connection that runs the command. On the
   * client that is any pooled connection; on a lease, the lease's own.
   *
   * @returns The connection id.
   */
  clientId(): Command<number> {
    return command(["CLIENT", "ID"], toNumber);
  }

  /**
   * CLIENT GETNAME: the name of the connection that runs the command.
   *
   * @returns The name, or null when it has none.
   */
  clientGetname(): Command<string | null> {
    return command(["CLIENT", "GETNAME"], toTextOrNull);
  }

  /**
   * CLIENT SETNAME: names the connection that runs the command, as CLIENT
   * LIST shows it. The name is connection state: the client refuses the
   * command on its shared connections (with a `TypeError`, as do pipelines
   * and transactions on them); send it on a lease, which sets the name back
   * (to the `name` option, or none) when it is released.
   *
   * @example Naming a leased connection while it does a job
   * ```ts ignore
   * await using conn = await redis.acquire();
   * await conn.clientSetname("report-builder");
   * await conn.clientGetname(); // "report-builder"
   * ```
   *
   * @param name The name: printable ASCII without spaces; `""` removes it.
   * @returns `"OK"`.
   * @throws {TypeError} When the name is not a string or has spaces,
   * newlines or other characters outside printable ASCII.
   */
  clientSetname(name: string): Command<"OK"> {
    if (typeof name !== "string") {
      throw new TypeError(
        `Cannot build CLIENT SETNAME as name must be a string, got ${
          name === null ? "null" : typeof name
        }`,
      );
    }
    // The server's own rule: every character from "!" to "~".
    if (!/^[!-~]*$/.test(name)) {
      throw new TypeError(
        `Cannot build CLIENT SETNAME as name must be printable ASCII without spaces, got ${
          JSON.stringify(name)
        }`,
      );
    }
    return command(["CLIENT", "SETNAME", name], toOk);
  }

  /**
   * CLIENT LIST: the server's connections, parsed.
   *
   * @example Finding connections by name
   * ```ts ignore
   * const workers = (await redis.clientList({ type: "normal" }))
   *   .filter((c) => c.name.startsWith("worker-"));
   * ```
   *
   * @param options `type` or `id` to select connections.
   * @returns One record per connection (`id`, `addr`, `name`, `age`, `db`,
   * `cmd`, `user`, ... as text).
   * @throws {TypeError} When both `type` and `id` are given or `id` is
   * empty.
   */
  clientList(options?: ClientListOptions): Command<ClientInfo[]> {
    const args: CommandArg[] = ["CLIENT", "LIST"];
    if (options?.type !== undefined && options.id !== undefined) {
      throw new TypeError(
        "Cannot build CLIENT LIST as options type and id exclude each other",
      );
    }
    if (options?.type !== undefined) {
      args.push("TYPE", clientType("CLIENT LIST", options.type));
    }
    if (options?.id !== undefined) {
      if (!Array.isArray(options.id) || options.id.length === 0) {
        throw new TypeError(
          "Cannot build CLIENT LIST as id must be a non-empty array of ids",
        );
      }
      args.push("ID", ...options.id.map((id, i) => int(`id ${i}`, id)));
    }
    return command(args, toClientList);
  }

  /**
   * CLIENT KILL: closes the connections that match every filter given.
   *
   * @example Closing one connection, or every connection of a user
   * ```ts ignore
   * await redis.clientKill({ id: 42 }); // 1 when it existed
   * await redis.clientKill({ user: "batch", skipme: true });
   * ```
   *
   * @param filter `id`, `addr`, `laddr`, `user`, `type`, and `skipme`.
   * @returns How many connections were closed.
   * @throws {TypeError} When no filter that selects connections is given.
   */
  clientKill(filter: ClientKillFilter): Command<number> {
    if (typeof filter !== "object" || filter === null) {
      throw new TypeError(
        `Cannot build CLIENT KILL as filter must be an object, got ${
          filter === null ? "null" : typeof filter
        }`,
      );
    }
    const args: CommandArg[] = ["CLIENT", "KILL"];
    if (filter.id !== undefined) args.push("ID", int("id", filter.id));
    if (filter.addr !== undefined) {
      args.push("ADDR", text("CLIENT KILL", "addr", filter.addr));
    }
    if (filter.laddr !== undefined) {
      args.push("LADDR", text("CLIENT KILL", "laddr", filter.laddr));
    }
    if (filter.user !== undefined) {
      args.push("USER", text("CLIENT KILL", "user", filter.user));
    }
    if (filter.type !== undefined) {
      args.push("TYPE", clientType("CLIENT KILL", filter.type));
    }
    if (args.length === 2) {
      throw new TypeError(
        "Cannot build CLIENT KILL as it needs one of the filters id, addr, laddr, user or type",
      );
    }
    if (filter.skipme !== undefined) {
      args.push("SKIPME", filter.skipme ? "yes" : "no");
    }
    return command(args, toNumber);
  }
}
