/**
 * Redis's geohash arithmetic against values a real redis-server 7.0.15 printed: GEOADD's
 * scores, GEOPOS's coordinates, GEOHASH's strings and GEODIST's distances in every unit,
 * for points on the limits (±180, ±85.05112878 — where Redis's encoder makes 53/54-bit
 * scores), near 0,0 and spread over the map. Plus the printf emulation's ties.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeScore,
  encodeScore,
  encodeScoreText,
  formatDistance,
  formatFixed,
  geohashEstimateStepsByRadius,
  geohashGetDistance,
  geohashString,
  scoresOfBox,
  geohashCalculateAreasByShape,
  unitToMeters,
} from '../../src/types/geo/geohash.js';
import { formatLongDouble } from '../../src/protocol/float.js';

/** [longitude, latitude given to GEOADD, ZSCORE, GEOPOS longitude, GEOPOS latitude, GEOHASH] */
const POINTS: [number, number, string, string, string, string][] = [
  [0, 0, "3377699720527872", "0.00000268220901489", "0.00000126736058093", "s0000000000"],
  [-0.0001, 0.0001, "1876499844738231", "-0.00009924173355103", "0.00010012148579364", "ebpbpbpbtd0"],
  [179.9999999, 85.0511, "4503599627370426", "179.99999731779098511", "85.05109963070665913", "zzpgzgpfxf0"],
  [-179.9999, -85.0511, "589", "-179.99990075826644897", "-85.05109963070665913", "00bh0hbj6m0"],
  [13.361389, 38.115556, "3479099956230698", "13.36138933897018433", "38.11555639549629859", "sqc8b49rny0"],
  [15.087269, 37.502669, "3479447370796909", "15.08726745843887329", "37.50266842333162032", "sqdtr74hyu0"],
  [-73.9454966, 40.747533, "1791875804419201", "-73.94549578428268433", "40.74753227099792952", "dr5rv3fe940"],
  [180, 0, "10133099161583616", "180", "0.00000126736058093", "80000000000"],
  [0, 85.05112878, "6755399441055744", "0.00000268220901489", "85.0511287799999991", "up05b5048p0"],
  [-122.27652, 37.805186, "1367952638197536", "-122.27652043104171753", "37.80518485897756165", "9q9p1d0znt0"],
  [55.855457, -33.181562, "2682708379601422", "55.85545510053634644", "-33.18156197140999097", "m4pepp2xqk0"],
  [47.694054, 84.299784, "3893850062364996", "47.69405633211135864", "84.29978293186701421", "vnczt63cb40"],
  [64.606133, 29.430971, "3605486069216533", "64.60613518953323364", "29.43097055803237794", "tmjzqjszb40"],
  [-117.828712, 65.139251, "1629753898168661", "-117.82870978116989136", "65.13925030672071159", "c7s4wdpz8h0"],
  [74.618583, 55.680875, "3855390541071300", "74.61858540773391724", "55.68087493261842269", "v9vhcbrse50"],
  [86.190963, -27.583905, "2739310236033732", "86.19096547365188599", "-27.58390404089512771", "mgj716d2550"],
  [105.802588, -52.324287, "2912269852673898", "105.80258578062057495", "-52.32428818041194063", "nqenrdehfv0"],
  [28.753763, -45.260456, "2381919618839186", "28.75376075506210327", "-45.26045628137368482", "hxuqw29fep0"],
  [-104.778575, 48.887498, "1590128870462278", "-104.77857738733291626", "48.88749778128163825", "c8tqpeww640"],
  [133.670311, 58.477869, "4290981741109316", "133.67031365633010864", "58.47786875975650389", "yfrh9txf200"],
];

/** [member i, member j, unit, GEODIST] for the points above (member k is POINTS[k]) */
const DISTANCES: [string, string, string, string][] = [
  ["p0", "p1", "m", "15.7928"],
  ["p0", "p1", "km", "0.0158"],
  ["p0", "p1", "ft", "51.8137"],
  ["p0", "p1", "mi", "0.0098"],
  ["p2", "p3", "m", "18919838.2457"],
  ["p2", "p3", "km", "18919.8382"],
  ["p2", "p3", "ft", "62072960.1237"],
  ["p2", "p3", "mi", "11756.2717"],
  ["p4", "p5", "m", "166274.1516"],
  ["p4", "p5", "km", "166.2742"],
  ["p4", "p5", "ft", "545518.8700"],
  ["p4", "p5", "mi", "103.3182"],
  ["p6", "p7", "m", "11355521.2165"],
  ["p6", "p7", "km", "11355.5212"],
  ["p6", "p7", "ft", "37255647.0358"],
  ["p6", "p7", "mi", "7056.0113"],
  ["p8", "p9", "m", "6111847.2260"],
  ["p8", "p9", "km", "6111.8472"],
  ["p8", "p9", "ft", "20051992.2114"],
  ["p8", "p9", "mi", "3797.7352"],
  ["p10", "p11", "m", "13073064.5562"],
  ["p10", "p11", "km", "13073.0646"],
  ["p10", "p11", "ft", "42890631.7461"],
  ["p10", "p11", "mi", "8123.2459"],
  ["p12", "p13", "m", "9499924.7983"],
  ["p12", "p13", "km", "9499.9248"],
  ["p12", "p13", "ft", "31167732.2780"],
  ["p12", "p13", "mi", "5902.9943"],
  ["p14", "p15", "m", "9326381.1352"],
  ["p14", "p15", "km", "9326.3811"],
  ["p14", "p15", "ft", "30598363.3044"],
  ["p14", "p15", "mi", "5795.1590"],
  ["p16", "p17", "m", "5428433.7678"],
  ["p16", "p17", "km", "5428.4338"],
  ["p16", "p17", "ft", "17809822.0728"],
  ["p16", "p17", "mi", "3373.0807"],
  ["p18", "p19", "m", "6947264.7502"],
  ["p18", "p19", "km", "6947.2648"],
  ["p18", "p19", "ft", "22792863.3538"],
  ["p18", "p19", "mi", "4316.8409"],
];

test('GEOADD scores, GEOPOS and GEOHASH as Redis prints them', () => {
  for (const [lon, lat, score, x, y, hash] of POINTS) {
    assert.equal(encodeScoreText(lon, lat), score, `score of ${lon},${lat}`);
    assert.equal(encodeScore(lon, lat), Number(score));
    const [dx, dy] = decodeScore(Number(score));
    assert.equal(formatLongDouble(dx), x, `longitude of ${lon},${lat}`);
    assert.equal(formatLongDouble(dy), y, `latitude of ${lon},${lat}`);
    assert.equal(geohashString(Number(score)), hash, `geohash of ${lon},${lat}`);
  }
});

test('GEODIST in m, km, ft and mi', () => {
  const pos = (m: string): [number, number] => decodeScore(Number(POINTS[Number(m.slice(1))]![2]));
  for (const [a, b, unit, want] of DISTANCES) {
    const [x1, y1] = pos(a);
    const [x2, y2] = pos(b);
    const d = geohashGetDistance(x1, y1, x2, y2) / unitToMeters(Buffer.from(unit));
    assert.equal(formatDistance(d), want, `${a} ${b} ${unit}`);
  }
  assert.equal(unitToMeters(Buffer.from('KM')), 1000);
  assert.equal(unitToMeters(Buffer.from('yd')), -1);
});

test('printf %f emulation: exact value, ties to even', () => {
  assert.equal(formatFixed(200, 6), '200.000000');
  assert.equal(formatFixed(-0.00001, 4), '-0.0000');
  assert.equal(formatFixed(0.00005, 4), '0.0001'); // 0.00005 is a bit above the tie
  assert.equal(formatFixed(0.125, 2), '0.12'); // exact tie: to even
  assert.equal(formatFixed(0.375, 2), '0.38');
  assert.equal(formatFixed(2.5, 0), '2');
  assert.equal(formatFixed(Infinity, 6), 'inf');
  assert.equal(formatFixed(1e22, 1), '10000000000000000000000.0');
  assert.equal(formatFixed(1e300, 6).length, 301 + 7);
});

test('search areas: step estimate and the score range of a cell', () => {
  assert.equal(geohashEstimateStepsByRadius(0, 0), 26);
  assert.equal(geohashEstimateStepsByRadius(1000, 0), 14);
  assert.equal(geohashEstimateStepsByRadius(1000, 70), 13);
  assert.equal(geohashEstimateStepsByRadius(1000, -85), 12);
  assert.equal(geohashEstimateStepsByRadius(5e7, 0), 1);
  // a step-26 cell is one score wide
  const s = Number(POINTS[4]![2]);
  const a = geohashCalculateAreasByShape({ type: 'radius', lon: 13.361389, lat: 38.115556, radius: 0, width: 0, height: 0, conversion: 1 });
  assert.equal(a.hash.step, 26);
  assert.deepEqual(scoresOfBox(a.hash), [s, s + 1]);
  // a huge radius: the whole map in a few cells
  const h = geohashCalculateAreasByShape({ type: 'radius', lon: 0, lat: 0, radius: 20000, width: 0, height: 0, conversion: 1000 });
  assert.equal(h.hash.step, 1);
  assert.equal(h.neighbors.length, 8);
});
