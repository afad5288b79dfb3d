/**
 * `redis://`, `rediss://` and `unix://` URL parsing.
 *
 * @module
 */

/** Connection settings taken from a URL. */
export interface UrlSettings {
  /** The host name or address. */
  host?: string;
  /** The TCP port. */
  port?: number;
  /** The unix socket path (`unix://` URLs). */
  path?: string;
  /** The ACL user name. */
  username?: string;
  /** The password, percent-decoded. */
  password?: string;
  /** The database number. */
  db?: number;
  /** Whether the URL asks for TLS (`rediss://`). */
  tls?: boolean;
}

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new TypeError(
      `Cannot parse the URL as its ${what} is not valid percent-encoding`,
    );
  }
}

function parseDb(text: string | null): number | undefined {
  if (text === null || text === "") return undefined;
  if (!/^\d+$/.test(text)) {
    throw new TypeError(
      `Cannot parse the URL as its database "${text}" is not a number`,
    );
  }
  return Number(text);
}

/**
 * Parses a `redis://`, `rediss://` or `unix://` URL.
 *
 * The user name, password and database come from the URL
 * (`redis://user:pass@host:port/db`); a unix URL takes them from the query
 * (`unix:///run/redis.sock?db=2&password=...`).
 *
 * @example Parsing a URL with credentials
 * ```ts
 * import { parseRedisUrl } from "@respool/redis";
 *
 * const settings = parseRedisUrl("rediss://app:s%40cret@cache.local:6380/2");
 * console.assert(settings.password === "s@cret" && settings.db === 2 && settings.tls);
 * ```
 *
 * @param url The URL.
 * @returns The settings it carries.
 * @throws {TypeError} When the URL cannot be parsed or has another scheme.
 */
export function parseRedisUrl(url: string): UrlSettings {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(
      "Cannot parse the URL as it is not a valid URL (expected redis://host:port/db)",
    );
  }
  const settings: UrlSettings = {};
  if (parsed.username) settings.username = decode(parsed.username, "user name");
  if (parsed.password) settings.password = decode(parsed.password, "password");
  switch (parsed.protocol) {
    case "redis:":
    case "rediss:": {
      if (parsed.protocol === "rediss:") settings.tls = true;
      if (parsed.hostname) {
        settings.host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
      }
      if (parsed.port) settings.port = Number(parsed.port);
      const db = parseDb(parsed.pathname.replace(/^\//, "") || null);
      if (db !== undefined) settings.db = db;
      break;
    }
    case "unix:": {
      settings.path = decode(parsed.pathname, "path");
      if (!settings.path) {
        throw new TypeError("Cannot parse the URL as it has no socket path");
      }
      break;
    }
    default:
      throw new TypeError(
        `Cannot parse the URL as its scheme "${parsed.protocol}" is not redis:, rediss: or unix:`,
      );
  }
  const db = parseDb(parsed.searchParams.get("db"));
  if (db !== undefined) settings.db = db;
  const password = parsed.searchParams.get("password");
  if (password !== null) settings.password = password;
  const username = parsed.searchParams.get("username");
  if (username !== null) settings.username = username;
  return settings;
}
