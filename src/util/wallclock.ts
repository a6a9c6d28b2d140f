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
 * So: the monotonic clock plus an offset, re-measured against Date.now() at most every
 * RESYNC_MS. One measurement reads the monotonic clock, Date.now(), the monotonic clock
 * again: the true offset lies in [d - t2, d + 1 - t1). The offset used is the highest lower
 * bound of the last WINDOW measurements: never ahead of the system clock (so
 * Math.floor(wallMs()) <= a Date.now() read after it, and a key set to expire at TIME + 200
 * ms is gone by Date.now() 201 ms later), behind it by about 1/WINDOW ms, and forgetting old
 * measurements so that a slow drift cannot carry it ahead. A measurement whose upper bound
 * is below the offset means the system clock stepped back: the clock follows at once.
 * (Taking d - t from a single read after t, as before, put the clock ahead by however long
 * the process was descheduled between the two reads: a CI failure.)
 */

import { performance as perf } from 'node:perf_hooks';

/** How often the offset is measured against Date.now(). */
const RESYNC_MS = 100;
/** How many measurements the offset is the best of (0.8 s of them). */
const WINDOW = 8;
/** A measurement whose two monotonic reads are further apart than this is taken again. */
const TIGHT_MS = 0.05;

const lows = new Float64Array(WINDOW);
let lowCount = 0;
let lowNext = 0;
let offset = perf.timeOrigin;
let syncedAt = -Infinity;
/** the last value handed out, so that dropping a measurement does not move the clock back */
let last = -Infinity;

/** Measure the offset; false when every try was loose (the process kept being descheduled). */
function resync(): boolean {
  let lo = 0;
  let hi = 0;
  let tight = false;
  for (let i = 0; i < 4 && !tight; i++) {
    const t1 = perf.now();
    const d = Date.now();
    const t2 = perf.now();
    lo = d - t2;
    hi = d + 1 - t1;
    tight = t2 - t1 < TIGHT_MS;
  }
  if (lowCount > 0 && offset >= hi) {
    // the system clock is behind this clock by a millisecond or more: it stepped back (or
    // slewed); start over from this measurement, and let the clock go back with it
    lowCount = 0;
    last = -Infinity;
  }
  lows[lowNext] = lo;
  lowNext = (lowNext + 1) % WINDOW;
  if (lowCount < WINDOW) lowCount++;
  // the last lowCount measurements end just before lowNext
  let best = -Infinity;
  for (let i = 1; i <= lowCount; i++) best = Math.max(best, lows[(lowNext - i + WINDOW) % WINDOW]!);
  offset = best;
  return tight;
}

/** The wall clock (ms since the epoch, with a fraction) at monotonic time t (performance.now()). */
export function wallMs(t: number = perf.now()): number {
  // (a loose measurement is still a safe lower bound, but may lag by however long the
  // process was away: measured again at the next call rather than 100 ms later)
  if (t - syncedAt >= RESYNC_MS || t < syncedAt) {
    if (resync()) syncedAt = t;
  }
  const w = t + offset;
  if (w >= last) return (last = w);
  // a measurement that made the offset highest left the window: hold still rather than go
  // back (by the drift of under a second: microseconds)
  return last;
}

/** microseconds since the epoch (TIME, server_time_usec) */
export function wallUs(): number {
  return Math.floor(wallMs() * 1000);
}
