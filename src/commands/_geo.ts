/**
 * Types, argument checks and reply mappers of the geospatial commands
 * (`geo.ts`). Distances are bulk strings under RESP2 and RESP3; coordinates
 * are bulk strings under RESP2 and doubles under RESP3; both are read as
 * numbers.
 *
 * @module
 */

import type { RedisValue } from "./_command.ts";
import { value } from "./_command.ts";
import { atLeast, optionsOf } from "./_collection_args.ts";
import { toNumber, toValue, unexpected } from "./_reply.ts";
import { toScore } from "./_sorted_set_reply.ts";
import type { RespValue } from "../resp/decode.ts";
import type { CommandArg } from "../resp/encode.ts";

/** A unit of distance: metres, kilometres, miles or feet. */
export type GeoUnit = "m" | "km" | "mi" | "ft";

/** A point on the map, in degrees. */
export interface GeoCoordinates {
  /** From -180 to 180. */
  longitude: number;
  /** From -85.05112878 to 85.05112878 (the poles cannot be indexed). */
  latitude: number;
}

/** A member to add with GEOADD, and where it is. */
export interface GeoMember extends GeoCoordinates {
  /** The member. */
  member: RedisValue;
}

/** Options of GEOADD. `nx` and `xx` exclude each other. */
export interface GeoAddOptions {
  /** Only add new members; never move existing ones. */
  nx?: boolean;
  /** Only move existing members; never add new ones. */
  xx?: boolean;
  /** Count moved members too, not only added ones. */
  ch?: boolean;
}

/**
 * Where a search starts: at a member of the set (FROMMEMBER), or at a
 * longitude and latitude (FROMLONLAT).
 */
export type GeoOrigin =
  | { member: RedisValue; longitude?: never; latitude?: never }
  | { longitude: number; latitude: number; member?: never };

/**
 * The area a search covers around its origin: a circle (BYRADIUS) or a box
 * (BYBOX), measured in `unit`.
 */
export type GeoShape =
  | {
    /** The radius of the circle. */
    radius: number;
    width?: never;
    height?: never;
    /**
     * The unit of `radius`, and of the distances in the reply.
     *
     * @default {"m"}
     */
    unit?: GeoUnit;
  }
  | {
    /** The width of the box (east to west). */
    width: number;
    /** The height of the box (north to south). */
    height: number;
    radius?: never;
    /**
     * The unit of `width` and `height`, and of the distances in the reply.
     *
     * @default {"m"}
     */
    unit?: GeoUnit;
  };

/** Options of GEOSEARCH. */
export interface GeoSearchOptions {
  /** Nearest first (`"asc"`) or farthest first (`"desc"`); unsorted if left out. */
  order?: "asc" | "desc";
  /** Return at most this many matches (1 or more). */
  count?: number;
  /**
   * With `count`, stop as soon as `count` matches are found (faster; not
   * necessarily the nearest ones).
   */
  any?: boolean;
  /** Return each match's coordinates (WITHCOORD). */
  withCoord?: boolean;
  /** Return each match's distance from the origin (WITHDIST). */
  withDist?: boolean;
  /** Return each match's raw 52-bit geohash score (WITHHASH). */
  withHash?: boolean;
}

/** Options of GEOSEARCHSTORE. */
export interface GeoSearchStoreOptions {
  /** Nearest first (`"asc"`) or farthest first (`"desc"`). */
  order?: "asc" | "desc";
  /** Store at most this many matches (1 or more). */
  count?: number;
  /** With `count`, stop as soon as `count` matches are found. */
  any?: boolean;
  /**
   * Store each match with its distance from the origin as its score (in
   * the shape's unit), instead of its geohash, so the result is a plain
   * sorted set rather than a geo set (STOREDIST).
   */
  storeDist?: boolean;
}

/**
 * A member found by GEOSEARCH, with what the options asked for: `distance`
 * with `withDist`, `hash` with `withHash`, `coordinates` with `withCoord`.
 *
 * @typeParam V `string`, or `Uint8Array` from a view made by
 * `withOptions({ bytes: true })`.
 */
export interface GeoMatch<V extends string | Uint8Array = string> {
  /** The member. */
  member: V;
  /** Its distance from the origin, in the shape's unit. */
  distance?: number;
  /** Its raw geohash: the member's score in the sorted set. */
  hash?: number;
  /** Where it is. */
  coordinates?: GeoCoordinates;
}

const MAX_LATITUDE = 85.05112878;

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  return typeof v === "number" ? String(v) : typeof v;
}

/** A longitude and latitude that the server can index. */
export function coordinates(
  command: string,
  name: string,
  point: { longitude?: unknown; latitude?: unknown },
): [number, number] {
  const { longitude, latitude } = point;
  for (const [part, v] of [["longitude", longitude], ["latitude", latitude]]) {
    if (typeof v !== "number" || Number.isNaN(v)) {
      throw new TypeError(
        `Cannot build ${command} as ${name}.${part} must be a number, got ${
          describe(v)
        }`,
      );
    }
  }
  const lon = longitude as number;
  const lat = latitude as number;
  if (!(lon >= -180 && lon <= 180)) {
    throw new RangeError(
      `Cannot build ${command} as ${name}.longitude must be from -180 to 180, got ${lon}`,
    );
  }
  if (!(lat >= -MAX_LATITUDE && lat <= MAX_LATITUDE)) {
    throw new RangeError(
      `Cannot build ${command} as ${name}.latitude must be from -${MAX_LATITUDE} to ${MAX_LATITUDE}, got ${lat}`,
    );
  }
  return [lon, lat];
}

/** A unit as the server spells it. */
export function unit(command: string, name: string, u: unknown): GeoUnit {
  if (u === "m" || u === "km" || u === "mi" || u === "ft") return u;
  throw new TypeError(
    `Cannot build ${command} as ${name} must be "m", "km", "mi" or "ft", got ${
      describe(u)
    }`,
  );
}

function size(command: string, name: string, n: unknown): number {
  if (typeof n !== "number" || Number.isNaN(n)) {
    throw new TypeError(
      `Cannot build ${command} as ${name} must be a number, got ${describe(n)}`,
    );
  }
  if (!(n >= 0 && Number.isFinite(n))) {
    throw new RangeError(
      `Cannot build ${command} as ${name} must be finite and at least 0, got ${n}`,
    );
  }
  return n;
}

/** `FROMMEMBER m | FROMLONLAT lon lat`, then `BYRADIUS r u | BYBOX w h u`. */
export function originAndShape(
  command: string,
  origin: GeoOrigin,
  shape: GeoShape,
): CommandArg[] {
  if (typeof origin !== "object" || origin === null) {
    throw new TypeError(
      `Cannot build ${command} as origin must be an object with member, or longitude and latitude, got ${
        describe(origin)
      }`,
    );
  }
  const args: CommandArg[] = [];
  const byMember = origin.member !== undefined;
  if (
    byMember ===
      (origin.longitude !== undefined || origin.latitude !== undefined)
  ) {
    throw new TypeError(
      `Cannot build ${command} as origin must have either member or longitude and latitude`,
    );
  }
  if (byMember) args.push("FROMMEMBER", value("origin.member", origin.member));
  else {
    args.push("FROMLONLAT", ...coordinates(command, "origin", origin));
  }
  if (typeof shape !== "object" || shape === null) {
    throw new TypeError(
      `Cannot build ${command} as shape must be an object with radius, or width and height, got ${
        describe(shape)
      }`,
    );
  }
  const byRadius = shape.radius !== undefined;
  if (byRadius === (shape.width !== undefined || shape.height !== undefined)) {
    throw new TypeError(
      `Cannot build ${command} as shape must have either radius or width and height`,
    );
  }
  if (byRadius) {
    args.push("BYRADIUS", size(command, "shape.radius", shape.radius));
  } else {
    args.push(
      "BYBOX",
      size(command, "shape.width", shape.width),
      size(command, "shape.height", shape.height),
    );
  }
  args.push(
    shape.unit === undefined ? "m" : unit(command, "shape.unit", shape.unit),
  );
  return args;
}

/** `[ASC|DESC] [COUNT n [ANY]]`. */
export function orderAndCount(
  command: string,
  options: GeoSearchOptions | GeoSearchStoreOptions | undefined,
): CommandArg[] {
  const { order, count, any } = optionsOf(command, options);
  const args: CommandArg[] = [];
  if (order !== undefined) {
    if (order !== "asc" && order !== "desc") {
      throw new TypeError(
        `Cannot build ${command} as order must be "asc" or "desc", got ${
          describe(order)
        }`,
      );
    }
    args.push(order === "asc" ? "ASC" : "DESC");
  }
  if (count !== undefined) {
    args.push("COUNT", atLeast(command, "count", count, 1));
  }
  if (any) {
    if (count === undefined) {
      throw new TypeError(`Cannot build ${command} as option any needs count`);
    }
    args.push("ANY");
  }
  return args;
}

/** A `[longitude, latitude]` pair, or null (GEOPOS of a missing member). */
export function toCoordinatesOrNull(reply: RespValue): GeoCoordinates | null {
  if (reply === null) return null;
  if (Array.isArray(reply) && reply.length === 2) {
    return { longitude: toScore(reply[0]), latitude: toScore(reply[1]) };
  }
  return unexpected("a [longitude, latitude] pair", reply);
}

/** GEOPOS: one pair or null per member. */
export function toPositions(reply: RespValue): (GeoCoordinates | null)[] {
  if (Array.isArray(reply)) return reply.map(toCoordinatesOrNull);
  return unexpected("an array", reply);
}

/**
 * GEOSEARCH's matches: members only, or, with any of WITHDIST, WITHHASH
 * and WITHCOORD, one array per match holding the member, then what was
 * asked for, always in that order.
 */
export function toMatches(
  options: GeoSearchOptions,
): (reply: RespValue) => GeoMatch[] {
  const { withDist, withHash, withCoord } = options;
  const extra = (withDist ? 1 : 0) + (withHash ? 1 : 0) + (withCoord ? 1 : 0);
  return (reply) => {
    if (!Array.isArray(reply)) return unexpected("an array", reply);
    return reply.map((item): GeoMatch => {
      if (extra === 0) return { member: toValue(item) };
      if (!Array.isArray(item) || item.length !== extra + 1) {
        return unexpected(`a match of ${extra + 1} items`, item);
      }
      const match: GeoMatch = { member: toValue(item[0]) };
      let i = 1;
      if (withDist) match.distance = toScore(item[i++]);
      if (withHash) match.hash = toNumber(item[i++]);
      if (withCoord) {
        match.coordinates = toCoordinatesOrNull(item[i]) ??
          unexpected("coordinates", null);
      }
      return match;
    });
  };
}

/** Checks a GEOADD entry and returns `longitude latitude member`. */
export function geoMember(index: number, entry: unknown): CommandArg[] {
  if (typeof entry !== "object" || entry === null) {
    throw new TypeError(
      `Cannot build GEOADD as members[${index}] must be an object with longitude, latitude and member, got ${
        describe(entry)
      }`,
    );
  }
  const m = entry as GeoMember;
  return [
    ...coordinates("GEOADD", `members[${index}]`, m),
    value(`members[${index}].member`, m.member),
  ];
}
