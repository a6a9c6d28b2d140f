/**
 * Redis 7.0's geohash arithmetic (geohash.c, geohash_helper.c, the helpers of geo.c),
 * re-derived so that GEO commands answer byte for byte what Redis answers:
 *
 * - A position is a 52-bit interleaved geohash: 26 bits of latitude cell in the even bit
 *   positions, 26 bits of longitude cell in the odd ones, over Redis's mercator limits
 *   (longitude ±180, latitude ±85.05112878). The sorted-set score is that integer.
 * - Decoding gives the centre of the cell, clamped to the limits.
 * - Radius and box searches look at the cell of the centre and its 8 neighbours, at a
 *   precision (step) estimated from the radius, then filter points by exact distance.
 * - Distances are haversine with Redis's earth radius; replies print them "%.4f" and
 *   coordinates as ld2string's human form ("%.17Lf" trimmed).
 *
 * Floating point: the arithmetic is the same IEEE operations in the same order as Redis's,
 * but sin/cos/asin come from the C library through the addon (native.sin,
 * native.cos, native.asin): V8's own differ from glibc's in the last bits, which GEOSEARCHSTORE
 * STOREDIST would show and which can move a point across a search's edge.
 *
 * Integer parts: JS bit operations are 32-bit, so a hash is kept as its two cell numbers
 * (`lat`, `lon`, each < 2^32) and its step, and converted to the 64-bit value only where
 * Redis does (scores, ranges). A cell can be exactly 2^step (a coordinate on the upper
 * limit: Redis's encoder does not clamp it), which makes a 53- or 54-bit score; such
 * values go through BigInt so they round as Redis's uint64 → double conversion does.
 */

import { native } from '../../shm/native.js';

export const GEO_STEP_MAX = 26;
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;

/** Earth's quadratic mean radius for WGS-84, in meters (geohash_helper.c). */
export const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
/** M_PI / 180.0, as the C compiler folds it. */
const D_R = Math.PI / 180.0;

const TWO32 = 4294967296;

export interface GeoHashRange {
  min: number;
  max: number;
}

/** A geohash of `step` bits per coordinate, as its latitude and longitude cell numbers. */
export interface GeoHashBits {
  /** latitude cell (the even bits of the interleaved value), uint32 */
  lat: number;
  /** longitude cell (the odd bits), uint32 */
  lon: number;
  step: number;
}

export interface GeoHashArea {
  hash: GeoHashBits;
  longitude: GeoHashRange;
  latitude: GeoHashRange;
}

/** The 8 neighbours in Redis's search order; null for one excluded from the search (GZERO). */
export interface GeoHashRadius {
  hash: GeoHashBits;
  area: GeoHashArea;
  /** north, south, east, west, north_east, north_west, south_east, south_west */
  neighbors: (GeoHashBits | null)[];
}

export const WGS84_LONG: GeoHashRange = { min: GEO_LONG_MIN, max: GEO_LONG_MAX };
export const WGS84_LAT: GeoHashRange = { min: GEO_LAT_MIN, max: GEO_LAT_MAX };
/** The standard geohash ranges GEOHASH re-encodes with (latitude ±90, not the mercator limits). */
const STANDARD_LAT: GeoHashRange = { min: -90, max: 90 };

// ---------------------------------------------------------------- bit interleaving

/** The 16 low bits of x spread to the even positions of a 32-bit word. */
function spread16(x: number): number {
  x &= 0xffff;
  x = (x | (x << 8)) & 0x00ff00ff;
  x = (x | (x << 4)) & 0x0f0f0f0f;
  x = (x | (x << 2)) & 0x33333333;
  x = (x | (x << 1)) & 0x55555555;
  return x;
}

/** The even bits of a 32-bit word packed into 16 bits (spread16's inverse). */
function compact16(x: number): number {
  x &= 0x55555555;
  x = (x | (x >>> 1)) & 0x33333333;
  x = (x | (x >>> 2)) & 0x0f0f0f0f;
  x = (x | (x >>> 4)) & 0x00ff00ff;
  x = (x | (x >>> 8)) & 0x0000ffff;
  return x;
}

/** The interleaved 64-bit value of a hash as [high word, low word] (latitude on even bits). */
export function hashWords(h: GeoHashBits): [number, number] {
  const lo = (spread16(h.lat) | (spread16(h.lon) << 1)) >>> 0;
  const hi = (spread16(h.lat >>> 16) | (spread16(h.lon >>> 16) << 1)) >>> 0;
  return [hi, lo];
}

/** The interleaved value as a BigInt (exact). */
export function hashBigInt(h: GeoHashBits): bigint {
  const [hi, lo] = hashWords(h);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** The cells of a 64-bit interleaved value given as two 32-bit words (deinterleave64). */
function cellsOfWords(hi: number, lo: number, step: number): GeoHashBits {
  const lat = (compact16(lo) | (compact16(hi) << 16)) >>> 0;
  const lon = (compact16(lo >>> 1) | (compact16(hi >>> 1) << 16)) >>> 0;
  return { lat, lon, step };
}

const U64 = 1n << 64n;

/**
 * The 64-bit integer C gets from `(uint64_t)score` on x86-64 (gcc: truncation; negative
 * scores wrap as int64; 2^64 and beyond give 0), as two 32-bit words.
 */
function scoreWords(score: number): [number, number] {
  if (score >= 0 && score < 9007199254740992) {
    const t = Math.trunc(score);
    const hi = Math.floor(t / TWO32);
    return [hi, t - hi * TWO32];
  }
  let v: bigint;
  if (Number.isNaN(score)) v = 1n << 63n;
  else if (score >= 9223372036854775808) v = score >= 18446744073709551616 ? 0n : BigInt(score);
  else if (score <= -9223372036854775808) v = 1n << 63n;
  else if (score < 0) v = (BigInt(Math.trunc(score)) + U64) % U64;
  else v = BigInt(score); // [2^53, 2^63): already an integer
  return [Number(v >> 32n), Number(v & 0xffffffffn)];
}

/** A sorted-set score as the step-26 hash Redis decodes it as (decodeGeohash). */
export function hashOfScore(score: number): GeoHashBits {
  const [hi, lo] = scoreWords(score);
  return cellsOfWords(hi, lo, GEO_STEP_MAX);
}

/**
 * geohashAlign52Bits(hash) and the same for the next hash (bits + 1): the sorted-set score
 * range [min, max) holding every step-26 point inside the cell, as the doubles Redis
 * compares scores against (uint64 converted to double: round to nearest even).
 */
export function scoresOfBox(h: GeoHashBits): [number, number] {
  const shift = BigInt(52 - h.step * 2);
  const bits = hashBigInt(h);
  const mask = U64 - 1n;
  const min = (bits << shift) & mask;
  const max = (((bits + 1n) & mask) << shift) & mask;
  return [Number(min), Number(max)];
}

// ---------------------------------------------------------------- encode / decode

/** geohashEncode: the cell of (longitude, latitude) at `step` bits, or null when out of range. */
export function geohashEncode(
  longRange: GeoHashRange,
  latRange: GeoHashRange,
  longitude: number,
  latitude: number,
  step: number,
): GeoHashBits | null {
  if (step > 32 || step === 0) return null;
  if (longitude > GEO_LONG_MAX || longitude < GEO_LONG_MIN || latitude > GEO_LAT_MAX || latitude < GEO_LAT_MIN) return null;
  if (latitude < latRange.min || latitude > latRange.max || longitude < longRange.min || longitude > longRange.max) return null;
  let latOffset = (latitude - latRange.min) / (latRange.max - latRange.min);
  let longOffset = (longitude - longRange.min) / (longRange.max - longRange.min);
  const cells = Math.pow(2, step);
  latOffset *= cells;
  longOffset *= cells;
  // (uint32_t) conversion of a value in [0, 2^32]: truncation
  return { lat: Math.trunc(latOffset) >>> 0, lon: Math.trunc(longOffset) >>> 0, step };
}

export function geohashEncodeWGS84(longitude: number, latitude: number, step: number): GeoHashBits | null {
  return geohashEncode(WGS84_LONG, WGS84_LAT, longitude, latitude, step);
}

/** geohashDecode: the cell's bounds. */
export function geohashDecode(longRange: GeoHashRange, latRange: GeoHashRange, h: GeoHashBits): GeoHashArea {
  const cells = Math.pow(2, h.step);
  const latScale = latRange.max - latRange.min;
  const longScale = longRange.max - longRange.min;
  // (ilato + 1) is uint32 arithmetic in C
  const latNext = (h.lat + 1) >>> 0;
  const lonNext = (h.lon + 1) >>> 0;
  return {
    hash: h,
    latitude: {
      min: latRange.min + (h.lat * 1.0 / cells) * latScale,
      max: latRange.min + (latNext * 1.0 / cells) * latScale,
    },
    longitude: {
      min: longRange.min + (h.lon * 1.0 / cells) * longScale,
      max: longRange.min + (lonNext * 1.0 / cells) * longScale,
    },
  };
}

/** The centre of a cell, clamped to the limits: [longitude, latitude]. */
export function areaCentre(area: GeoHashArea): [number, number] {
  let x = (area.longitude.min + area.longitude.max) / 2;
  if (x > GEO_LONG_MAX) x = GEO_LONG_MAX;
  if (x < GEO_LONG_MIN) x = GEO_LONG_MIN;
  let y = (area.latitude.min + area.latitude.max) / 2;
  if (y > GEO_LAT_MAX) y = GEO_LAT_MAX;
  if (y < GEO_LAT_MIN) y = GEO_LAT_MIN;
  return [x, y];
}

/** decodeGeohash: a sorted-set score → [longitude, latitude] (Redis never fails here: step is 26). */
export function decodeScore(score: number): [number, number] {
  return areaCentre(geohashDecode(WGS84_LONG, WGS84_LAT, hashOfScore(score)));
}

/** The score GEOADD gives (longitude, latitude) — already range-checked — as ZADD's decimal text. */
export function encodeScoreText(longitude: number, latitude: number): string {
  const h = geohashEncodeWGS84(longitude, latitude, GEO_STEP_MAX);
  if (h === null) return '0';
  const [hi, lo] = hashWords(h);
  return hi < 0x200000 ? String(hi * TWO32 + lo) : hashBigInt(h).toString();
}

/** The score GEOADD gives (longitude, latitude), as the double ZADD would parse from its text. */
export function encodeScore(longitude: number, latitude: number): number {
  const h = geohashEncodeWGS84(longitude, latitude, GEO_STEP_MAX);
  if (h === null) return 0;
  const [hi, lo] = hashWords(h);
  return hi * TWO32 + lo; // one rounding of the exact sum: the nearest double, as strtod gives
}

const GEOALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';

/**
 * GEOHASH's 11-character string of a score: decoded, re-encoded over the standard ranges
 * (latitude ±90) at 26 bits, 5 bits per character; the 11th character stands for bits
 * Redis does not have and is always '0'.
 */
export function geohashString(score: number): string {
  const [x, y] = decodeScore(score);
  const h = geohashEncode(WGS84_LONG, STANDARD_LAT, x, y, 26);
  // the decoded position is always inside the standard ranges
  const v = h === null ? 0n : hashBigInt(h);
  let s = '';
  for (let i = 0; i < 10; i++) s += GEOALPHABET[Number((v >> BigInt(52 - (i + 1) * 5)) & 0x1fn)];
  return s + '0';
}

// ---------------------------------------------------------------- neighbours

function moveX(h: GeoHashBits, d: number): GeoHashBits {
  if (d === 0) return h;
  const mask = h.step >= 32 ? 0xffffffff : Math.pow(2, h.step) - 1;
  // the longitude cell moves modulo 2^step; the latitude cell keeps every bit it had
  const lon = d > 0 ? (h.lon + 1) % TWO32 : (h.lon + TWO32 - 1) % TWO32;
  return { lat: h.lat, lon: (lon & mask) >>> 0, step: h.step };
}

function moveY(h: GeoHashBits, d: number): GeoHashBits {
  if (d === 0) return h;
  const mask = h.step >= 32 ? 0xffffffff : Math.pow(2, h.step) - 1;
  const lat = d > 0 ? (h.lat + 1) % TWO32 : (h.lat + TWO32 - 1) % TWO32;
  return { lat: (lat & mask) >>> 0, lon: h.lon, step: h.step };
}

/** geohashNeighbors: north, south, east, west, north_east, north_west, south_east, south_west. */
export function geohashNeighbors(h: GeoHashBits): GeoHashBits[] {
  return [
    moveY(h, 1),
    moveY(h, -1),
    moveX(h, 1),
    moveX(h, -1),
    moveY(moveX(h, 1), 1),
    moveY(moveX(h, -1), 1),
    moveY(moveX(h, 1), -1),
    moveY(moveX(h, -1), -1),
  ];
}

export function sameHash(a: GeoHashBits, b: GeoHashBits): boolean {
  return a.lat === b.lat && a.lon === b.lon && a.step === b.step;
}

// ---------------------------------------------------------------- search areas

/** A search shape: a circle of `radius` or a `width` × `height` box, in units of `conversion` meters. */
export interface GeoShape {
  type: 'radius' | 'box';
  /** centre longitude, latitude */
  lon: number;
  lat: number;
  radius: number;
  width: number;
  height: number;
  /** meters per unit */
  conversion: number;
}

const degRad = (ang: number): number => ang * D_R;
const radDeg = (ang: number): number => ang / D_R;

/** geohashEstimateStepsByRadius: the cell precision whose 3×3 block covers the radius. */
export function geohashEstimateStepsByRadius(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2; // make sure the range is included in most of the base cases
  // wider cells towards the poles, where meridians get closer
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/** geohashBoundingBox: [min lon, min lat, max lon, max lat] of the shape. */
export function geohashBoundingBox(shape: GeoShape): [number, number, number, number] {
  const longitude = shape.lon;
  const latitude = shape.lat;
  const height = shape.conversion * (shape.type === 'radius' ? shape.radius : shape.height / 2);
  const width = shape.conversion * (shape.type === 'radius' ? shape.radius : shape.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const longDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / native.cos(degRad(latitude + latDelta)));
  const longDeltaBottom = radDeg(width / EARTH_RADIUS_IN_METERS / native.cos(degRad(latitude - latDelta)));
  // the box's wider edge is the one nearer the equator
  const southern = latitude < 0;
  return [
    southern ? longitude - longDeltaBottom : longitude - longDeltaTop,
    latitude - latDelta,
    southern ? longitude + longDeltaBottom : longitude + longDeltaTop,
    latitude + latDelta,
  ];
}

/** geohashCalculateAreasByShapeWGS84: the centre cell and the neighbours worth searching. */
export function geohashCalculateAreasByShape(shape: GeoShape): GeoHashRadius {
  const [minLon, minLat, maxLon, maxLat] = geohashBoundingBox(shape);
  const longitude = shape.lon;
  const latitude = shape.lat;
  // a box is covered by the circle through its corners
  let radiusMeters =
    shape.type === 'radius'
      ? shape.radius
      : Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2));
  radiusMeters *= shape.conversion;

  let steps = geohashEstimateStepsByRadius(radiusMeters, latitude);
  const encode = (s: number): GeoHashBits =>
    geohashEncode(WGS84_LONG, WGS84_LAT, longitude, latitude, s) ?? { lat: 0, lon: 0, step: s };
  let hash = encode(steps);
  let neighbors = geohashNeighbors(hash);
  let area = geohashDecode(WGS84_LONG, WGS84_LAT, hash);

  // Near an edge of the centre cell the estimated step may be too fine for the 3×3 block
  // to cover the search area: then use cells twice as large.
  const north = geohashDecode(WGS84_LONG, WGS84_LAT, neighbors[0]!);
  const south = geohashDecode(WGS84_LONG, WGS84_LAT, neighbors[1]!);
  const east = geohashDecode(WGS84_LONG, WGS84_LAT, neighbors[2]!);
  const west = geohashDecode(WGS84_LONG, WGS84_LAT, neighbors[3]!);
  const decreaseStep =
    north.latitude.max < maxLat || south.latitude.min > minLat || east.longitude.max < maxLon || west.longitude.min > minLon;
  if (steps > 1 && decreaseStep) {
    steps--;
    hash = encode(steps);
    neighbors = geohashNeighbors(hash);
    area = geohashDecode(WGS84_LONG, WGS84_LAT, hash);
  }

  // leave out the neighbours on a side the search area does not reach
  const out: (GeoHashBits | null)[] = neighbors.slice();
  if (steps >= 2) {
    const [N, S, E, W, NE, NW, SE, SW] = [0, 1, 2, 3, 4, 5, 6, 7];
    if (area.latitude.min < minLat) out[S] = out[SW] = out[SE] = null;
    if (area.latitude.max > maxLat) out[N] = out[NE] = out[NW] = null;
    if (area.longitude.min < minLon) out[W] = out[SW] = out[NW] = null;
    if (area.longitude.max > maxLon) out[E] = out[SE] = out[NE] = null;
  }
  return { hash, area, neighbors: out };
}

// ---------------------------------------------------------------- distances

/** geohashGetDistance: haversine great-circle distance in meters (the C library's trigonometry). */
export function geohashGetDistance(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  const lat1r = degRad(lat1d);
  const lon1r = degRad(lon1d);
  const lat2r = degRad(lat2d);
  const lon2r = degRad(lon2d);
  const u = native.sin((lat2r - lat1r) / 2);
  const v = native.sin((lon2r - lon1r) / 2);
  return 2.0 * EARTH_RADIUS_IN_METERS * native.asin(Math.sqrt(u * u + native.cos(lat1r) * native.cos(lat2r) * v * v));
}

/**
 * Whether the point (lon, lat) is inside the shape; its distance from the centre (meters)
 * when it is, else -1 (geohashGetDistanceIfInRadiusWGS84 / geohashGetDistanceIfInRectangle).
 */
export function distanceIfInShape(shape: GeoShape, lon: number, lat: number): number {
  if (shape.type === 'radius') {
    const d = geohashGetDistance(shape.lon, shape.lat, lon, lat);
    return d > shape.radius * shape.conversion ? -1 : d;
  }
  const widthM = shape.width * shape.conversion;
  const heightM = shape.height * shape.conversion;
  const lonDistance = geohashGetDistance(lon, lat, shape.lon, lat);
  const latDistance = geohashGetDistance(lon, lat, lon, shape.lat);
  if (lonDistance > widthM / 2 || latDistance > heightM / 2) return -1;
  return geohashGetDistance(shape.lon, shape.lat, lon, lat);
}

// ---------------------------------------------------------------- units and printing

/** extractUnitOrReply: meters per unit (case-insensitive m, km, ft, mi), or -1. */
export function unitToMeters(u: Uint8Array): number {
  const s = Buffer.from(u).toString('latin1').toLowerCase();
  switch (s) {
    case 'm':
      return 1;
    case 'km':
      return 1000;
    case 'ft':
      return 0.3048;
    case 'mi':
      return 1609.34;
    default:
      return -1;
  }
}

/** The exact binary value of a finite double: |x| = m * 2^e. */
function decompose(x: number): [bigint, number] {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  const hi = dv.getUint32(0);
  const lo = dv.getUint32(4);
  const bexp = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (bexp === 0) return [m, -1074];
  m |= 1n << 52n;
  return [m, bexp - 1075];
}

/**
 * printf("%.<digits>f", x) as glibc prints it: the exact value rounded half to even,
 * "inf"/"-inf"/"nan" for the specials, "-0.0…" kept for negative values rounding to zero.
 */
export function formatFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return x < 0 ? '-nan' : 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const neg = x < 0 || Object.is(x, -0);
  const ax = Math.abs(x);
  // Fast path: toFixed is exact but rounds ties up; a tie needs the value to be a multiple
  // of 2^-(digits+1) (its expansion must end at the (digits+1)-th decimal), checked exactly.
  if (ax < 1e15 && !Number.isInteger(ax * Math.pow(2, digits + 1))) {
    const t = ax.toFixed(digits);
    return neg ? '-' + t : t;
  }
  const [m, e] = decompose(ax);
  const p = 10n ** BigInt(digits);
  let q: bigint;
  if (e >= 0) q = (m << BigInt(e)) * p;
  else {
    const sh = BigInt(-e);
    const scaled = m * p;
    q = scaled >> sh;
    const rem = scaled - (q << sh);
    const half = 1n << (sh - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  }
  let s = q.toString();
  if (digits > 0) {
    if (s.length <= digits) s = '0'.repeat(digits + 1 - s.length) + s;
    s = s.slice(0, s.length - digits) + '.' + s.slice(s.length - digits);
  }
  return neg ? '-' + s : s;
}

/** addReplyDoubleDistance's text: "%.4f". */
export function formatDistance(d: number): string {
  return formatFixed(d, 4);
}
