/**
 * Geospatial commands: members of a sorted set placed by longitude and
 * latitude, their distances, positions and geohashes, and searches by
 * radius or box. Distances and coordinates are numbers under RESP2 and RESP3
 * alike.
 *
 * @module
 */

import {
  type Command,
  command,
  key,
  type RedisKey,
  type RedisValue,
  value,
} from "./_command.ts";
import { optionsOf, valueList } from "./_collection_args.ts";
import { toNumber, toTextOrNullEach } from "./_reply.ts";
import { toScoreOrNull } from "./_sorted_set_reply.ts";
import {
  type GeoAddOptions,
  type GeoCoordinates,
  type GeoMatch,
  type GeoMember,
  geoMember,
  type GeoOrigin,
  type GeoSearchOptions,
  type GeoSearchStoreOptions,
  type GeoShape,
  type GeoUnit,
  orderAndCount,
  originAndShape,
  toMatches,
  toPositions,
  unit,
} from "./_geo.ts";
import type { CommandArg } from "../resp/encode.ts";

export type {
  GeoAddOptions,
  GeoCoordinates,
  GeoMatch,
  GeoMember,
  GeoOrigin,
  GeoSearchOptions,
  GeoSearchStoreOptions,
  GeoShape,
  GeoUnit,
};

/**
 * Geospatial commands: each builds the command and says how to read its
 * reply.
 */
export class GeoCommands {
  /**
   * GEOADD: adds members at a longitude and latitude, or moves them.
   *
   * @example Adding two cities, then moving one only if it exists
   * ```ts ignore
   * await redis.geoadd("cities", [
   *   { longitude: 13.361389, latitude: 38.115556, member: "Palermo" },
   *   { longitude: 15.087269, latitude: 37.502669, member: "Catania" },
   * ]); // 2
   * await redis.geoadd("cities", [
   *   { longitude: 13.4, latitude: 38.1, member: "Palermo" },
   * ], { xx: true, ch: true }); // 1
   * ```
   *
   * @param k The key.
   * @param members `{ longitude, latitude, member }` entries (at least one).
   * @param options `nx` or `xx`, and `ch`.
   * @returns How many members were added (with `ch`, added or moved).
   * @throws {TypeError} When `nx` and `xx` are both given, or an entry is
   * malformed.
   * @throws {RangeError} When a longitude or latitude is out of range.
   */
  geoadd(
    k: RedisKey,
    members: readonly GeoMember[],
    options?: GeoAddOptions,
  ): Command<number> {
    const args: CommandArg[] = ["GEOADD", key("key", k)];
    const { nx, xx, ch } = optionsOf("GEOADD", options);
    if (nx && xx) {
      throw new TypeError(
        "Cannot build GEOADD as options nx and xx exclude each other",
      );
    }
    if (nx) args.push("NX");
    if (xx) args.push("XX");
    if (ch) args.push("CH");
    if (!Array.isArray(members) || members.length === 0) {
      throw new TypeError(
        "Cannot build GEOADD as members must be a non-empty array",
      );
    }
    members.forEach((entry, i) => args.push(...geoMember(i, entry)));
    return command(args, toNumber);
  }

  /**
   * GEODIST: the distance between two members.
   *
   * @example The distance in kilometres
   * ```ts ignore
   * await redis.geodist("cities", "Palermo", "Catania", "km"); // 166.2742
   * ```
   *
   * @param k The key.
   * @param member1 One member.
   * @param member2 The other member.
   * @param distanceUnit The unit of the result.
   * @returns The distance, or null when a member or the key is missing.
   * @throws {TypeError} When the unit is unknown.
   */
  geodist(
    k: RedisKey,
    member1: RedisValue,
    member2: RedisValue,
    distanceUnit: GeoUnit = "m",
  ): Command<number | null> {
    return command(
      [
        "GEODIST",
        key("key", k),
        value("member1", member1),
        value("member2", member2),
        unit("GEODIST", "unit", distanceUnit),
      ],
      toScoreOrNull,
    );
  }

  /**
   * GEOPOS: where members are (as stored: within a fraction of a metre of
   * where they were added).
   *
   * @example Reading positions
   * ```ts ignore
   * const [palermo, nowhere] = await redis.geopos("cities", "Palermo", "Atlantis");
   * palermo?.longitude; // 13.36138933897018433
   * nowhere; // null
   * ```
   *
   * @param k The key.
   * @param members The members (at least one).
   * @returns One `{ longitude, latitude }` per member, in order; null for a
   * missing member.
   */
  geopos(
    k: RedisKey,
    ...members: RedisValue[]
  ): Command<(GeoCoordinates | null)[]> {
    return command(
      ["GEOPOS", key("key", k), ...valueList("GEOPOS", "member", members)],
      toPositions,
    );
  }

  /**
   * GEOHASH: the standard 11-character geohash of members' positions.
   *
   * @example Reading a geohash
   * ```ts ignore
   * await redis.geohash("cities", "Palermo"); // ["sqc8b49rny0"]
   * ```
   *
   * @param k The key.
   * @param members The members (at least one).
   * @returns One geohash per member, in order; null for a missing member.
   */
  geohash(k: RedisKey, ...members: RedisValue[]): Command<(string | null)[]> {
    return command(
      ["GEOHASH", key("key", k), ...valueList("GEOHASH", "member", members)],
      toTextOrNullEach,
    );
  }

  /**
   * GEOSEARCH: the members within a circle or a box around a member or a
   * point.
   *
   * @example The two nearest cities within 200 km of a point
   * ```ts ignore
   * const near = await redis.geosearch(
   *   "cities",
   *   { longitude: 15, latitude: 37 },
   *   { radius: 200, unit: "km" },
   *   { order: "asc", count: 2, withDist: true, withCoord: true },
   * );
   * // [{ member: "Catania", distance: 56.4413,
   * //    coordinates: { longitude: 15.08726..., latitude: 37.50266... } }, ...]
   * ```
   *
   * @param k The key.
   * @param origin Where to search from: `{ member }`, or `{ longitude,
   * latitude }`.
   * @param shape What to search: `{ radius }`, or `{ width, height }`, with
   * a `unit` (metres by default).
   * @param options `order`, `count` (with `any`), and `withDist`,
   * `withHash`, `withCoord` for what each match carries.
   * @returns One `{ member }` per match, with `distance` (in the shape's
   * unit), `hash` and `coordinates` when asked for.
   * @throws {TypeError} When the origin or the shape is malformed, or `any`
   * is given without `count`.
   * @throws {RangeError} When a size is negative, a coordinate out of range
   * or `count` below 1.
   * @throws {ReplyError} When the origin member is missing.
   */
  geosearch(
    k: RedisKey,
    origin: GeoOrigin,
    shape: GeoShape,
    options?: GeoSearchOptions,
  ): Command<GeoMatch[]> {
    const opts = optionsOf("GEOSEARCH", options);
    const args: CommandArg[] = [
      "GEOSEARCH",
      key("key", k),
      ...originAndShape("GEOSEARCH", origin, shape),
      ...orderAndCount("GEOSEARCH", opts),
    ];
    if (opts.withCoord) args.push("WITHCOORD");
    if (opts.withDist) args.push("WITHDIST");
    if (opts.withHash) args.push("WITHHASH");
    return command(args, toMatches(opts));
  }

  /**
   * GEOSEARCHSTORE: stores the members within a circle or a box at
   * `destination`, replacing it (an empty result deletes it).
   *
   * @example Storing the cities within 100 km, by distance
   * ```ts ignore
   * await redis.geosearchstore(
   *   "near:palermo",
   *   "cities",
   *   { member: "Palermo" },
   *   { radius: 100, unit: "km" },
   *   { storeDist: true },
   * ); // 1
   * await redis.zrangeWithScores("near:palermo", 0, -1); // [{ member: "Palermo", score: 0 }]
   * ```
   *
   * @param destination The key to store at.
   * @param source The geo set to search.
   * @param origin Where to search from: `{ member }`, or `{ longitude,
   * latitude }`.
   * @param shape What to search: `{ radius }`, or `{ width, height }`, with
   * a `unit` (metres by default).
   * @param options `order`, `count` (with `any`), and `storeDist` to store
   * distances as scores.
   * @returns The number of members stored.
   * @throws {TypeError} When the origin or the shape is malformed, or `any`
   * is given without `count`.
   * @throws {RangeError} When a size is negative, a coordinate out of range
   * or `count` below 1.
   * @throws {ReplyError} When the origin member is missing.
   */
  geosearchstore(
    destination: RedisKey,
    source: RedisKey,
    origin: GeoOrigin,
    shape: GeoShape,
    options?: GeoSearchStoreOptions,
  ): Command<number> {
    const opts = optionsOf("GEOSEARCHSTORE", options);
    const args: CommandArg[] = [
      "GEOSEARCHSTORE",
      key("destination", destination),
      key("source", source),
      ...originAndShape("GEOSEARCHSTORE", origin, shape),
      ...orderAndCount("GEOSEARCHSTORE", opts),
    ];
    if (opts.storeDist) args.push("STOREDIST");
    return command(args, toNumber);
  }
}
