/**
 * GEO commands, like Redis 7.0's geo.c: positions are sorted-set members whose scores are
 * 52-bit geohashes (./geohash.ts), so every command here reads or writes a sorted set
 * through the zset storage's seam, and GEOADD is ZADD with the coordinates turned into
 * scores (Redis rewrites the command and calls ZADD; so do we, so that NX/XX/CH, the
 * listpack/skiplist thresholds and the replies are ZADD's own).
 *
 * Argument parsing follows georadiusGeneric step by step because its order decides which
 * error a malformed command gets (the source key's type first, then each option as it is
 * met, then the cross-option checks, then a missing key).
 */
import { ReplyError } from '../../keyspace/keyspace.js';
import { parseRedisDouble, formatLongDouble } from '../../protocol/float.js';
import { ERR_SYNTAX, argInt64, eqi } from '../../commands/args.js';
import type { CommandContext, CommandDef } from '../../commands/types.js';
import { findZset, storeZset, zsetRangeByScore, zsetScore } from '../zset/storage.js';
import { zaddCommand } from '../zset/zset_family.js';
import {
  GEO_LAT_MAX,
  GEO_LAT_MIN,
  GEO_LONG_MAX,
  GEO_LONG_MIN,
  decodeScore,
  distanceIfInShape,
  encodeScoreText,
  formatDistance,
  formatFixed,
  geohashCalculateAreasByShape,
  geohashGetDistance,
  geohashString,
  sameHash,
  scoresOfBox,
  unitToMeters,
  type GeoHashBits,
  type GeoShape,
} from './geohash.js';

const ERR_UNIT = 'ERR unsupported unit provided. please use M, KM, FT, MI';

// ---------------------------------------------------------------- argument helpers

/** getDoubleFromObjectOrReply: `msg` replaces the default error text. */
function argDouble(arg: Buffer, msg = 'value is not a valid float'): number {
  const v = parseRedisDouble(arg);
  if (v === null) throw new ReplyError('ERR ' + msg);
  return v;
}

/** extractLongLatOrReply: [longitude, latitude] from two arguments, range-checked. */
function argLongLat(argv: Buffer[], i: number): [number, number] {
  const x = argDouble(argv[i]!);
  const y = argDouble(argv[i + 1]!);
  if (x < GEO_LONG_MIN || x > GEO_LONG_MAX || y < GEO_LAT_MIN || y > GEO_LAT_MAX)
    throw new ReplyError(`ERR invalid longitude,latitude pair ${formatFixed(x, 6)},${formatFixed(y, 6)}`);
  return [x, y];
}

/** extractUnitOrReply: meters per unit. */
function argUnit(arg: Buffer): number {
  const u = unitToMeters(arg);
  if (u < 0) throw new ReplyError(ERR_UNIT);
  return u;
}

/** extractDistanceOrReply: [radius, meters per unit]. */
function argDistance(argv: Buffer[], i: number): [number, number] {
  const d = argDouble(argv[i]!, 'need numeric radius');
  if (d < 0) throw new ReplyError('ERR radius cannot be negative');
  return [d, argUnit(argv[i + 1]!)];
}

/** extractBoxOrReply: [width, height, meters per unit]. */
function argBox(argv: Buffer[], i: number): [number, number, number] {
  const w = argDouble(argv[i]!, 'need numeric width');
  const h = argDouble(argv[i + 1]!, 'need numeric height');
  if (h < 0 || w < 0) throw new ReplyError('ERR height or width cannot be negative');
  return [w, h, argUnit(argv[i + 2]!)];
}

/** A member's position, or null when it is not in the set. */
function memberLongLat(ctx: CommandContext, e: number, member: Buffer): [number, number] | null {
  const score = zsetScore(ctx.ks, e, member);
  return score === null ? null : decodeScore(score);
}

// ---------------------------------------------------------------- searching

interface GeoPoint {
  member: Buffer;
  score: number;
  lon: number;
  lat: number;
  /** meters from the centre */
  dist: number;
}

/**
 * The members inside the shape, scanning the centre cell and its neighbours as score
 * ranges (membersOfAllNeighbors). With `limit` (COUNT … ANY) the scan stops as soon as that
 * many were found.
 */
function membersInShape(ctx: CommandContext, e: number, shape: GeoShape, limit: number): GeoPoint[] {
  const areas = geohashCalculateAreasByShape(shape);
  const boxes: (GeoHashBits | null)[] = [areas.hash, ...areas.neighbors];
  const found: GeoPoint[] = [];
  let last: GeoHashBits | null = null;
  for (let i = 0; i < boxes.length; i++) {
    const box = boxes[i];
    if (box === null || box === undefined) continue;
    // With a huge radius neighbouring cells can be the same cell: search it once. (Redis
    // compares with the last box searched, but not when that was the centre: its
    // `last_processed` index 0 reads as "none".)
    if (last !== null && i > 0 && sameHash(box, last)) continue;
    if (found.length > 0 && limit > 0 && found.length >= limit) break;
    const [min, max] = scoresOfBox(box);
    zsetRangeByScore(ctx.ks, e, min, max, (member, score) => {
      if (score >= max) return false; // [min, max)
      const [lon, lat] = decodeScore(score);
      const dist = distanceIfInShape(shape, lon, lat);
      if (dist >= 0) found.push({ member, score, lon, lat, dist });
      if (found.length > 0 && limit > 0 && found.length >= limit) return false;
      return true;
    });
    last = i > 0 ? box : null;
  }
  return found;
}

type Cmp = (a: GeoPoint, b: GeoPoint) => number;

const byDistAsc: Cmp = (a, b) => (a.dist > b.dist ? 1 : a.dist === b.dist ? 0 : -1);
const byDistDesc: Cmp = (a, b) => -byDistAsc(a, b);

/**
 * Redis's pqsort (a Bentley–McIlroy quicksort that only recurses into the parts that
 * overlap the wanted index range [lrange, rrange]; 7.0's has no switch to insertion sort
 * after a partition without swaps), re-derived so that, with COUNT, points at equal
 * distances come out in the same order as Redis's.
 */
function pqsort(a: GeoPoint[], cmp: Cmp, lrange: number, rrange: number): void {
  const swap = (i: number, j: number): void => {
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  };
  const vecswap = (i: number, j: number, n: number): void => {
    for (let k = 0; k < n; k++) swap(i + k, j + k);
  };
  const med3 = (i: number, j: number, k: number): number =>
    cmp(a[i]!, a[j]!) < 0
      ? cmp(a[j]!, a[k]!) < 0
        ? j
        : cmp(a[i]!, a[k]!) < 0
          ? k
          : i
      : cmp(a[j]!, a[k]!) > 0
        ? j
        : cmp(a[i]!, a[k]!) < 0
          ? i
          : k;
  const insertion = (lo: number, n: number): void => {
    for (let m = lo + 1; m < lo + n; m++) for (let l = m; l > lo && cmp(a[l - 1]!, a[l]!) > 0; l--) swap(l, l - 1);
  };
  // whether [s, s+n) overlaps the wanted range
  const wanted = (s: number, n: number): boolean => !((lrange < s && rrange < s) || (lrange >= s + n && rrange >= s + n));

  const sort = (lo: number, n: number): void => {
    for (;;) {
      if (n < 7) {
        insertion(lo, n);
        return;
      }
      let pm = lo + Math.floor(n / 2);
      if (n > 7) {
        let pl = lo;
        let pn = lo + n - 1;
        if (n > 40) {
          const d = Math.floor(n / 8);
          pl = med3(pl, pl + d, pl + 2 * d);
          pm = med3(pm - d, pm, pm + d);
          pn = med3(pn - 2 * d, pn - d, pn);
        }
        pm = med3(pl, pm, pn);
      }
      swap(lo, pm);
      let pa = lo + 1;
      let pb = pa;
      let pc = lo + n - 1;
      let pd = pc;
      for (;;) {
        let c: number;
        while (pb <= pc && (c = cmp(a[pb]!, a[lo]!)) <= 0) {
          if (c === 0) {
            swap(pa, pb);
            pa++;
          }
          pb++;
        }
        while (pb <= pc && (c = cmp(a[pc]!, a[lo]!)) >= 0) {
          if (c === 0) {
            swap(pc, pd);
            pd--;
          }
          pc--;
        }
        if (pb > pc) break;
        swap(pb, pc);
        pb++;
        pc--;
      }
      const pn = lo + n;
      let r = Math.min(pa - lo, pb - pa);
      vecswap(lo, pb - r, r);
      r = Math.min(pd - pc, pn - pd - 1);
      vecswap(pb, pn - r, r);
      r = pb - pa;
      if (r > 1 && wanted(lo, r)) sort(lo, r);
      r = pd - pc;
      if (r <= 1) return;
      lo = pn - r;
      n = r;
      if (!wanted(lo, n)) return;
    }
  };
  sort(0, a.length);
}

const SORT_NONE = 0;
const SORT_ASC = 1;
const SORT_DESC = 2;

const RADIUS_COORDS = 1 << 0; // GEORADIUS: around coordinates
const RADIUS_MEMBER = 1 << 1; // GEORADIUSBYMEMBER: around a member
const RADIUS_NOSTORE = 1 << 2; // the _RO forms: no STORE / STOREDIST
const GEOSEARCH = 1 << 3; // GEOSEARCH's argument syntax
const GEOSEARCHSTORE = 1 << 4; // GEOSEARCHSTORE: STOREDIST is a flag, the destination is argv[1]

/**
 * georadiusGeneric: GEORADIUS[_RO], GEORADIUSBYMEMBER[_RO], GEOSEARCH and GEOSEARCHSTORE.
 * `srcIndex` is the source key's argument.
 */
function georadiusGeneric(ctx: CommandContext, argv: Buffer[], srcIndex: number, flags: number): void {
  const k = ctx.ks;
  const db = ctx.session.db;
  let storekey: Buffer | null = null;
  let storedist = false;

  // the source key's type is checked before anything else
  const zobj = findZset(k, db, argv[srcIndex]!, true);

  const shape: GeoShape = { type: 'radius', lon: 0, lat: 0, radius: 0, width: 0, height: 0, conversion: 1 };
  let baseArgs: number;
  if (flags & RADIUS_COORDS) {
    baseArgs = 6;
    [shape.lon, shape.lat] = argLongLat(argv, 2);
    [shape.radius, shape.conversion] = argDistance(argv, baseArgs - 2);
  } else if (flags & RADIUS_MEMBER && zobj === 0) {
    // no source key: the options are still parsed, so the reply fits STORE or not
    baseArgs = 5;
  } else if (flags & RADIUS_MEMBER) {
    baseArgs = 5;
    const xy = memberLongLat(ctx, zobj, argv[2]!);
    if (xy === null) throw new ReplyError('ERR could not decode requested zset member');
    [shape.lon, shape.lat] = xy;
    [shape.radius, shape.conversion] = argDistance(argv, baseArgs - 2);
  } else {
    baseArgs = 2;
    if (flags & GEOSEARCHSTORE) {
      baseArgs = 3;
      storekey = argv[1]!;
    }
  }

  let withdist = false;
  let withhash = false;
  let withcoords = false;
  let frommember = false;
  let fromloc = false;
  let byradius = false;
  let bybox = false;
  let sort = SORT_NONE;
  let any = false; // stop as soon as COUNT results were found
  let count = 0; // 0: no limit
  const remaining = argv.length - baseArgs;
  for (let i = 0; i < remaining; i++) {
    const arg = argv[baseArgs + i]!;
    if (eqi(arg, 'withdist')) withdist = true;
    else if (eqi(arg, 'withhash')) withhash = true;
    else if (eqi(arg, 'withcoord')) withcoords = true;
    else if (eqi(arg, 'any')) any = true;
    else if (eqi(arg, 'asc')) sort = SORT_ASC;
    else if (eqi(arg, 'desc')) sort = SORT_DESC;
    else if (eqi(arg, 'count') && i + 1 < remaining) {
      const c = argInt64(argv[baseArgs + i + 1]!);
      if (c <= 0) throw new ReplyError('ERR COUNT must be > 0');
      count = Number(c);
      i++;
    } else if (eqi(arg, 'store') && i + 1 < remaining && !(flags & RADIUS_NOSTORE) && !(flags & GEOSEARCH)) {
      storekey = argv[baseArgs + i + 1]!;
      storedist = false;
      i++;
    } else if (eqi(arg, 'storedist') && i + 1 < remaining && !(flags & RADIUS_NOSTORE) && !(flags & GEOSEARCH)) {
      storekey = argv[baseArgs + i + 1]!;
      storedist = true;
      i++;
    } else if (eqi(arg, 'storedist') && flags & GEOSEARCH && flags & GEOSEARCHSTORE) {
      storedist = true;
    } else if (eqi(arg, 'frommember') && i + 1 < remaining && flags & GEOSEARCH && !fromloc) {
      // without a source key there is nothing to decode: the error comes after parsing
      if (zobj !== 0) {
        const xy = memberLongLat(ctx, zobj, argv[baseArgs + i + 1]!);
        if (xy === null) throw new ReplyError('ERR could not decode requested zset member');
        [shape.lon, shape.lat] = xy;
      }
      frommember = true;
      i++;
    } else if (eqi(arg, 'fromlonlat') && i + 2 < remaining && flags & GEOSEARCH && !frommember) {
      [shape.lon, shape.lat] = argLongLat(argv, baseArgs + i + 1);
      fromloc = true;
      i += 2;
    } else if (eqi(arg, 'byradius') && i + 2 < remaining && flags & GEOSEARCH && !bybox) {
      [shape.radius, shape.conversion] = argDistance(argv, baseArgs + i + 1);
      shape.type = 'radius';
      byradius = true;
      i += 2;
    } else if (eqi(arg, 'bybox') && i + 3 < remaining && flags & GEOSEARCH && !byradius) {
      [shape.width, shape.height, shape.conversion] = argBox(argv, baseArgs + i + 1);
      shape.type = 'box';
      bybox = true;
      i += 3;
    } else throw new ReplyError(ERR_SYNTAX);
  }

  if (storekey !== null && (withdist || withhash || withcoords))
    throw new ReplyError(
      `ERR ${flags & GEOSEARCHSTORE ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS'} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`,
    );
  // the command's name as the client spelled it
  const name = (): string => argv[0]!.toString('latin1');
  if (flags & GEOSEARCH && !(frommember || fromloc))
    throw new ReplyError(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${name()}`);
  if (flags & GEOSEARCH && !(byradius || bybox))
    throw new ReplyError(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${name()}`);
  if (any && count === 0) throw new ReplyError('ERR the ANY argument requires COUNT argument');

  if (zobj === 0) {
    if (storekey !== null) {
      storeZset(k, db, storekey, []); // deletes the destination
      ctx.reply.integer(0);
    } else ctx.reply.array(0);
    return;
  }

  // COUNT needs the nearest ones: ascending unless told otherwise (ANY takes any)
  if (count !== 0 && sort === SORT_NONE && !any) sort = SORT_ASC;

  const points = membersInShape(ctx, zobj, shape, any ? count : 0);
  if (points.length === 0 && storekey === null) {
    ctx.reply.array(0);
    return;
  }

  const resultLength = points.length;
  const returned = count === 0 || resultLength < count ? resultLength : count;
  if (sort !== SORT_NONE) {
    const cmp = sort === SORT_ASC ? byDistAsc : byDistDesc;
    // glibc's qsort is a stable merge sort; Redis sorts only the head with pqsort
    if (returned === resultLength) points.sort(cmp);
    else pqsort(points, cmp, 0, returned - 1);
  }

  const w = ctx.reply;
  if (storekey === null) {
    const options = (withdist ? 1 : 0) + (withcoords ? 1 : 0) + (withhash ? 1 : 0);
    w.array(returned);
    for (let i = 0; i < returned; i++) {
      const gp = points[i]!;
      if (options > 0) w.array(options + 1);
      w.bulk(gp.member);
      if (withdist) w.bulk(formatDistance(gp.dist / shape.conversion));
      // (long long) of the score
      if (withhash) w.integer(Math.trunc(gp.score));
      if (withcoords) {
        w.array(2);
        w.doubleText(formatLongDouble(gp.lon));
        w.doubleText(formatLongDouble(gp.lat));
      }
    }
    return;
  }
  const items: Array<[Buffer, number]> = [];
  for (let i = 0; i < returned; i++) {
    const gp = points[i]!;
    items.push([gp.member, storedist ? gp.dist / shape.conversion : gp.score]);
  }
  storeZset(k, db, storekey, items);
  w.integer(returned);
}

// ---------------------------------------------------------------- commands

/** GEOADD key [NX|XX] [CH] longitude latitude member [...]: ZADD with geohash scores. */
function geoadd(ctx: CommandContext, argv: Buffer[]): void {
  let xx = false;
  let nx = false;
  let longidx = 2;
  while (longidx < argv.length) {
    const opt = argv[longidx]!;
    if (eqi(opt, 'nx')) nx = true;
    else if (eqi(opt, 'xx')) xx = true;
    else if (eqi(opt, 'ch')) {
      // ZADD handles it
    } else break;
    longidx++;
  }
  if ((argv.length - longidx) % 3 !== 0 || (xx && nx)) throw new ReplyError(ERR_SYNTAX);
  const elements = (argv.length - longidx) / 3;
  const zargv: Buffer[] = [Buffer.from('zadd')];
  for (let i = 1; i < longidx; i++) zargv.push(argv[i]!);
  for (let i = 0; i < elements; i++) {
    const [x, y] = argLongLat(argv, longidx + i * 3);
    zargv.push(Buffer.from(encodeScoreText(x, y)), argv[longidx + i * 3 + 2]!);
  }
  zaddCommand(ctx, zargv);
}

function georadius(ctx: CommandContext, argv: Buffer[]): void {
  georadiusGeneric(ctx, argv, 1, RADIUS_COORDS);
}

function georadiusbymember(ctx: CommandContext, argv: Buffer[]): void {
  georadiusGeneric(ctx, argv, 1, RADIUS_MEMBER);
}

function georadiusRo(ctx: CommandContext, argv: Buffer[]): void {
  georadiusGeneric(ctx, argv, 1, RADIUS_COORDS | RADIUS_NOSTORE);
}

function georadiusbymemberRo(ctx: CommandContext, argv: Buffer[]): void {
  georadiusGeneric(ctx, argv, 1, RADIUS_MEMBER | RADIUS_NOSTORE);
}

function geosearch(ctx: CommandContext, argv: Buffer[]): void {
  georadiusGeneric(ctx, argv, 1, GEOSEARCH);
}

function geosearchstore(ctx: CommandContext, argv: Buffer[]): void {
  georadiusGeneric(ctx, argv, 2, GEOSEARCH | GEOSEARCHSTORE);
}

/** GEOHASH key [member ...]: standard 11-character geohashes, null for missing members. */
function geohash(ctx: CommandContext, argv: Buffer[]): void {
  const e = findZset(ctx.ks, ctx.session.db, argv[1]!, true);
  const w = ctx.reply;
  w.array(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const score = e === 0 ? null : zsetScore(ctx.ks, e, argv[j]!);
    if (score === null) w.nullBulk();
    else w.bulk(geohashString(score));
  }
}

/** GEOPOS key [member ...]: [longitude, latitude] pairs, a null array for missing members. */
function geopos(ctx: CommandContext, argv: Buffer[]): void {
  const e = findZset(ctx.ks, ctx.session.db, argv[1]!, true);
  const w = ctx.reply;
  w.array(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const score = e === 0 ? null : zsetScore(ctx.ks, e, argv[j]!);
    if (score === null) {
      w.nullArray();
      continue;
    }
    const [x, y] = decodeScore(score);
    w.array(2);
    w.doubleText(formatLongDouble(x));
    w.doubleText(formatLongDouble(y));
  }
}

/** GEODIST key member1 member2 [M|KM|FT|MI] */
function geodist(ctx: CommandContext, argv: Buffer[]): void {
  let toMeter = 1;
  if (argv.length === 5) toMeter = argUnit(argv[4]!);
  else if (argv.length > 5) throw new ReplyError(ERR_SYNTAX);
  const e = findZset(ctx.ks, ctx.session.db, argv[1]!, true);
  if (e === 0) {
    ctx.reply.nullBulk();
    return;
  }
  const a = memberLongLat(ctx, e, argv[2]!);
  const b = a === null ? null : memberLongLat(ctx, e, argv[3]!);
  if (a === null || b === null) {
    ctx.reply.nullBulk();
    return;
  }
  ctx.reply.bulk(formatDistance(geohashGetDistance(a[0], a[1], b[0], b[1]) / toMeter));
}

// ---------------------------------------------------------------- the table

export const commands: CommandDef[] = [
  {
    name: 'geoadd',
    handler: geoadd,
    arity: -5,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'geo',
    summary: 'Add one or more geospatial items in the geospatial index represented using a sorted set',
    since: '3.2.0',
    complexity: 'O(log(N)) for each item added, where N is the number of elements in the sorted set.',
    history: [['6.2.0', 'Added the `CH`, `NX` and `XX` options.']],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      {
        name: 'condition',
        type: 'oneof',
        since: '6.2.0',
        flags: ['optional'],
        args: [{ name: 'nx', type: 'pure-token', token: 'NX' }, { name: 'xx', type: 'pure-token', token: 'XX' }],
      },
      { name: 'change', type: 'pure-token', token: 'CH', since: '6.2.0', flags: ['optional'] },
      {
        name: 'longitude_latitude_member',
        type: 'block',
        flags: ['multiple'],
        args: [
          { name: 'longitude', type: 'double' },
          { name: 'latitude', type: 'double' },
          { name: 'member', type: 'string' },
        ],
      },
    ],
  },
  {
    name: 'geodist',
    handler: geodist,
    arity: -4,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'geo',
    summary: 'Returns the distance between two members of a geospatial index',
    since: '3.2.0',
    complexity: 'O(log(N))',
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'member1', type: 'string' },
      { name: 'member2', type: 'string' },
      {
        name: 'unit',
        type: 'oneof',
        flags: ['optional'],
        args: [
          { name: 'm', type: 'pure-token', token: 'M' },
          { name: 'km', type: 'pure-token', token: 'KM' },
          { name: 'ft', type: 'pure-token', token: 'FT' },
          { name: 'mi', type: 'pure-token', token: 'MI' },
        ],
      },
    ],
  },
  {
    name: 'geohash',
    handler: geohash,
    arity: -2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'geo',
    summary: 'Returns members of a geospatial index as standard geohash strings',
    since: '3.2.0',
    complexity: 'O(log(N)) for each member requested, where N is the number of elements in the sorted set.',
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'member', type: 'string', flags: ['multiple'] },
    ],
  },
  {
    name: 'geopos',
    handler: geopos,
    arity: -2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'geo',
    summary: 'Returns longitude and latitude of members of a geospatial index',
    since: '3.2.0',
    complexity: 'O(N) where N is the number of members requested.',
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'member', type: 'string', flags: ['multiple'] },
    ],
  },
  {
    name: 'geosearch',
    handler: geosearch,
    arity: -7,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'geo',
    summary: 'Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.',
    since: '6.2.0',
    complexity: 'O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape',
    history: [['7.0.0', 'Added support for uppercase unit names.']],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      {
        name: 'from',
        type: 'oneof',
        args: [
          { name: 'member', type: 'string', token: 'FROMMEMBER' },
          {
            name: 'longitude_latitude',
            type: 'block',
            token: 'FROMLONLAT',
            args: [{ name: 'longitude', type: 'double' }, { name: 'latitude', type: 'double' }],
          },
        ],
      },
      {
        name: 'by',
        type: 'oneof',
        args: [
          {
            name: 'circle',
            type: 'block',
            args: [
              { name: 'radius', type: 'double', token: 'BYRADIUS' },
              {
                name: 'unit',
                type: 'oneof',
                args: [
                  { name: 'm', type: 'pure-token', token: 'M' },
                  { name: 'km', type: 'pure-token', token: 'KM' },
                  { name: 'ft', type: 'pure-token', token: 'FT' },
                  { name: 'mi', type: 'pure-token', token: 'MI' },
                ],
              },
            ],
          },
          {
            name: 'box',
            type: 'block',
            args: [
              { name: 'width', type: 'double', token: 'BYBOX' },
              { name: 'height', type: 'double' },
              {
                name: 'unit',
                type: 'oneof',
                args: [
                  { name: 'm', type: 'pure-token', token: 'M' },
                  { name: 'km', type: 'pure-token', token: 'KM' },
                  { name: 'ft', type: 'pure-token', token: 'FT' },
                  { name: 'mi', type: 'pure-token', token: 'MI' },
                ],
              },
            ],
          },
        ],
      },
      {
        name: 'order',
        type: 'oneof',
        flags: ['optional'],
        args: [
          { name: 'asc', type: 'pure-token', token: 'ASC' },
          { name: 'desc', type: 'pure-token', token: 'DESC' },
        ],
      },
      {
        name: 'count',
        type: 'block',
        flags: ['optional'],
        args: [
          { name: 'count', type: 'integer', token: 'COUNT' },
          { name: 'any', type: 'pure-token', token: 'ANY', flags: ['optional'] },
        ],
      },
      { name: 'withcoord', type: 'pure-token', token: 'WITHCOORD', flags: ['optional'] },
      { name: 'withdist', type: 'pure-token', token: 'WITHDIST', flags: ['optional'] },
      { name: 'withhash', type: 'pure-token', token: 'WITHHASH', flags: ['optional'] },
    ],
  },
  {
    name: 'geosearchstore',
    handler: geosearchstore,
    arity: -8,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 2,
    keyStep: 1,
    group: 'geo',
    summary: 'Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.',
    since: '6.2.0',
    complexity: 'O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape',
    keySpecs: [
      {
        flags: ['OW', 'update'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        flags: ['RO', 'access'],
        beginSearch: { type: 'index', index: 2 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    history: [['7.0.0', 'Added support for uppercase unit names.']],
    args: [
      { name: 'destination', type: 'key', keySpecIndex: 0 },
      { name: 'source', type: 'key', keySpecIndex: 1 },
      {
        name: 'from',
        type: 'oneof',
        args: [
          { name: 'member', type: 'string', token: 'FROMMEMBER' },
          {
            name: 'longitude_latitude',
            type: 'block',
            token: 'FROMLONLAT',
            args: [{ name: 'longitude', type: 'double' }, { name: 'latitude', type: 'double' }],
          },
        ],
      },
      {
        name: 'by',
        type: 'oneof',
        args: [
          {
            name: 'circle',
            type: 'block',
            args: [
              { name: 'radius', type: 'double', token: 'BYRADIUS' },
              {
                name: 'unit',
                type: 'oneof',
                args: [
                  { name: 'm', type: 'pure-token', token: 'M' },
                  { name: 'km', type: 'pure-token', token: 'KM' },
                  { name: 'ft', type: 'pure-token', token: 'FT' },
                  { name: 'mi', type: 'pure-token', token: 'MI' },
                ],
              },
            ],
          },
          {
            name: 'box',
            type: 'block',
            args: [
              { name: 'width', type: 'double', token: 'BYBOX' },
              { name: 'height', type: 'double' },
              {
                name: 'unit',
                type: 'oneof',
                args: [
                  { name: 'm', type: 'pure-token', token: 'M' },
                  { name: 'km', type: 'pure-token', token: 'KM' },
                  { name: 'ft', type: 'pure-token', token: 'FT' },
                  { name: 'mi', type: 'pure-token', token: 'MI' },
                ],
              },
            ],
          },
        ],
      },
      {
        name: 'order',
        type: 'oneof',
        flags: ['optional'],
        args: [
          { name: 'asc', type: 'pure-token', token: 'ASC' },
          { name: 'desc', type: 'pure-token', token: 'DESC' },
        ],
      },
      {
        name: 'count',
        type: 'block',
        flags: ['optional'],
        args: [
          { name: 'count', type: 'integer', token: 'COUNT' },
          { name: 'any', type: 'pure-token', token: 'ANY', flags: ['optional'] },
        ],
      },
      { name: 'storedist', type: 'pure-token', token: 'STOREDIST', flags: ['optional'] },
    ],
  },
  {
    name: 'georadius',
    handler: georadius,
    arity: -6,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'geo',
    summary: 'Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point',
    since: '3.2.0',
    complexity: 'O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.',
    keySpecs: [
      {
        flags: ['RO', 'access'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        flags: ['OW', 'update'],
        beginSearch: { type: 'keyword', keyword: 'STORE', startFrom: 6 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        flags: ['OW', 'update'],
        beginSearch: { type: 'keyword', keyword: 'STOREDIST', startFrom: 6 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    history: [
      ['6.2.0', 'Added the `ANY` option for `COUNT`.'],
      ['7.0.0', 'Added support for uppercase unit names.'],
    ],
    docFlags: ['deprecated'],
    deprecatedSince: '6.2.0',
    replacedBy: '`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument',
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'longitude', type: 'double' },
      { name: 'latitude', type: 'double' },
      { name: 'radius', type: 'double' },
      {
        name: 'unit',
        type: 'oneof',
        args: [
          { name: 'm', type: 'pure-token', token: 'M' },
          { name: 'km', type: 'pure-token', token: 'KM' },
          { name: 'ft', type: 'pure-token', token: 'FT' },
          { name: 'mi', type: 'pure-token', token: 'MI' },
        ],
      },
      { name: 'withcoord', type: 'pure-token', token: 'WITHCOORD', flags: ['optional'] },
      { name: 'withdist', type: 'pure-token', token: 'WITHDIST', flags: ['optional'] },
      { name: 'withhash', type: 'pure-token', token: 'WITHHASH', flags: ['optional'] },
      {
        name: 'count',
        type: 'block',
        flags: ['optional'],
        args: [
          { name: 'count', type: 'integer', token: 'COUNT' },
          { name: 'any', type: 'pure-token', token: 'ANY', since: '6.2.0', flags: ['optional'] },
        ],
      },
      {
        name: 'order',
        type: 'oneof',
        flags: ['optional'],
        args: [
          { name: 'asc', type: 'pure-token', token: 'ASC' },
          { name: 'desc', type: 'pure-token', token: 'DESC' },
        ],
      },
      { name: 'key', type: 'key', keySpecIndex: 1, token: 'STORE', flags: ['optional'] },
      { name: 'key', type: 'key', keySpecIndex: 2, token: 'STOREDIST', flags: ['optional'] },
    ],
  },
  {
    name: 'georadius_ro',
    handler: georadiusRo,
    arity: -6,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'geo',
    summary: 'A read-only variant for GEORADIUS',
    since: '3.2.10',
    complexity: 'O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.',
    history: [['6.2.0', 'Added the `ANY` option for `COUNT`.']],
    docFlags: ['deprecated'],
    deprecatedSince: '6.2.0',
    replacedBy: '`GEOSEARCH` with the `BYRADIUS` argument',
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'longitude', type: 'double' },
      { name: 'latitude', type: 'double' },
      { name: 'radius', type: 'double' },
      {
        name: 'unit',
        type: 'oneof',
        args: [
          { name: 'm', type: 'pure-token', token: 'M' },
          { name: 'km', type: 'pure-token', token: 'KM' },
          { name: 'ft', type: 'pure-token', token: 'FT' },
          { name: 'mi', type: 'pure-token', token: 'MI' },
        ],
      },
      { name: 'withcoord', type: 'pure-token', token: 'WITHCOORD', flags: ['optional'] },
      { name: 'withdist', type: 'pure-token', token: 'WITHDIST', flags: ['optional'] },
      { name: 'withhash', type: 'pure-token', token: 'WITHHASH', flags: ['optional'] },
      {
        name: 'count',
        type: 'block',
        flags: ['optional'],
        args: [
          { name: 'count', type: 'integer', token: 'COUNT' },
          { name: 'any', type: 'pure-token', token: 'ANY', since: '6.2.0', flags: ['optional'] },
        ],
      },
      {
        name: 'order',
        type: 'oneof',
        flags: ['optional'],
        args: [
          { name: 'asc', type: 'pure-token', token: 'ASC' },
          { name: 'desc', type: 'pure-token', token: 'DESC' },
        ],
      },
    ],
  },
  {
    name: 'georadiusbymember',
    handler: georadiusbymember,
    arity: -5,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'geo',
    summary: 'Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member',
    since: '3.2.0',
    complexity: 'O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.',
    keySpecs: [
      {
        flags: ['RO', 'access'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        flags: ['OW', 'update'],
        beginSearch: { type: 'keyword', keyword: 'STORE', startFrom: 5 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        flags: ['OW', 'update'],
        beginSearch: { type: 'keyword', keyword: 'STOREDIST', startFrom: 5 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
    ],
    history: [['7.0.0', 'Added support for uppercase unit names.']],
    docFlags: ['deprecated'],
    deprecatedSince: '6.2.0',
    replacedBy: '`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` and `FROMMEMBER` arguments',
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'member', type: 'string' },
      { name: 'radius', type: 'double' },
      {
        name: 'unit',
        type: 'oneof',
        args: [
          { name: 'm', type: 'pure-token', token: 'M' },
          { name: 'km', type: 'pure-token', token: 'KM' },
          { name: 'ft', type: 'pure-token', token: 'FT' },
          { name: 'mi', type: 'pure-token', token: 'MI' },
        ],
      },
      { name: 'withcoord', type: 'pure-token', token: 'WITHCOORD', flags: ['optional'] },
      { name: 'withdist', type: 'pure-token', token: 'WITHDIST', flags: ['optional'] },
      { name: 'withhash', type: 'pure-token', token: 'WITHHASH', flags: ['optional'] },
      {
        name: 'count',
        type: 'block',
        flags: ['optional'],
        args: [
          { name: 'count', type: 'integer', token: 'COUNT' },
          { name: 'any', type: 'pure-token', token: 'ANY', flags: ['optional'] },
        ],
      },
      {
        name: 'order',
        type: 'oneof',
        flags: ['optional'],
        args: [
          { name: 'asc', type: 'pure-token', token: 'ASC' },
          { name: 'desc', type: 'pure-token', token: 'DESC' },
        ],
      },
      { name: 'key', type: 'key', keySpecIndex: 1, token: 'STORE', flags: ['optional'] },
      { name: 'key', type: 'key', keySpecIndex: 2, token: 'STOREDIST', flags: ['optional'] },
    ],
  },
  {
    name: 'georadiusbymember_ro',
    handler: georadiusbymemberRo,
    arity: -5,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'geo',
    summary: 'A read-only variant for GEORADIUSBYMEMBER',
    since: '3.2.10',
    complexity: 'O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.',
    docFlags: ['deprecated'],
    deprecatedSince: '6.2.0',
    replacedBy: '`GEOSEARCH` with the `BYRADIUS` and `FROMMEMBER` arguments',
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'member', type: 'string' },
      { name: 'radius', type: 'double' },
      {
        name: 'unit',
        type: 'oneof',
        args: [
          { name: 'm', type: 'pure-token', token: 'M' },
          { name: 'km', type: 'pure-token', token: 'KM' },
          { name: 'ft', type: 'pure-token', token: 'FT' },
          { name: 'mi', type: 'pure-token', token: 'MI' },
        ],
      },
      { name: 'withcoord', type: 'pure-token', token: 'WITHCOORD', flags: ['optional'] },
      { name: 'withdist', type: 'pure-token', token: 'WITHDIST', flags: ['optional'] },
      { name: 'withhash', type: 'pure-token', token: 'WITHHASH', flags: ['optional'] },
      {
        name: 'count',
        type: 'block',
        flags: ['optional'],
        args: [
          { name: 'count', type: 'integer', token: 'COUNT' },
          { name: 'any', type: 'pure-token', token: 'ANY', flags: ['optional'] },
        ],
      },
      {
        name: 'order',
        type: 'oneof',
        flags: ['optional'],
        args: [
          { name: 'asc', type: 'pure-token', token: 'ASC' },
          { name: 'desc', type: 'pure-token', token: 'DESC' },
        ],
      },
    ],
  },
];
