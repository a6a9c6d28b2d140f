/**
 * One wall clock per process, in fractional milliseconds since the epoch, for everything
 * that must agree with key expiry: the keyspace's time, TIME, INFO's server_time_usec,
 * MONITOR's stamps.
 *
 * Why not `performance.timeOrigin + performance.now()`: the monotonic clock and the system
 * clock drift apart (NTP slews one and not the other). Measured here: 0.8 ms apart at start
 * and 0.6 ms more within 3 s, so after minutes a server's TIME ran milliseconds ahead of the
 * clock its expiry used, and a key set to expire at TIME + 200 ms was still there 201 ms later
 * (Redis's "PEXPIREAT can set sub-second expires"). Why not Date.now() alone: it has no
 * microseconds, and is one more clock read where the monotonic one is read anyway.
 *
 * So: the monotonic clock plus an offset, re-checked against Date.now() at most every
 * RESYNC_MS and moved only as far as needed to stay within Date.now()'s millisecond: the
 * clock never jitters, follows the system clock's steps and slews, and lags Date.now() by
 * less than a millisecond, never leads it.
 */

import { performance as perf } from 'node:perf_hooks';

/** How often the offset is checked against Date.now(). */
const RESYNC_MS = 100;

let offset = perf.timeOrigin;
let syncedAt = -Infinity;

/** The wall clock (ms since the epoch, with a fraction) at monotonic time t (performance.now()). */
export function wallMs(t: number = perf.now()): number {
  if (t - syncedAt >= RESYNC_MS || t < syncedAt) {
    const d = Date.now();
    const w = t + offset;
    // Date.now() is read after t: the wall clock at t lies in [d - (read delay), d + 1).
    // Out of that millisecond, move to its start: this clock then lags the system's by less
    // than 1 ms and never leads it, so Math.floor(wallMs()) <= Date.now() read after it (a
    // key set to expire at TIME + 200 ms is gone by Date.now() 201 ms later)
    if (w < d || w >= d + 1) offset = d - t;
    syncedAt = t;
  }
  return t + offset;
}

/** microseconds since the epoch (TIME, server_time_usec) */
export function wallUs(): number {
  return Math.floor(wallMs() * 1000);
}
