/**
 * Access metadata of an object (the u32 at O_LRU), the input of LRU / LFU eviction and
 * of OBJECT IDLETIME / FREQ. Under an LRU policy (and by default) it is the LRU clock in
 * seconds; under an LFU policy it is Redis's layout: the last decrement time in minutes
 * (16 bits) above an 8-bit logarithmic access counter that starts at LFU_INIT. Switching
 * policy reinterprets the field, so, as in Redis, old values take a while to adjust.
 */
export const LFU_INIT = 5;

export interface AccessPolicy {
  lfu: boolean;
  /** lfu-log-factor: how slowly the counter grows (0: every access counts). */
  logFactor: number;
  /** lfu-decay-time: minutes per counter decrement of an idle key (0: no decay). */
  decayMinutes: number;
  /**
   * Whether integers 0..9999 are written as Redis's shared objects (OBJECT REFCOUNT):
   * not when maxmemory evicts by LRU/LFU, which needs each key's own access data.
   */
  sharedIntegers: boolean;
}

export const DEFAULT_ACCESS: AccessPolicy = { lfu: false, logFactor: 10, decayMinutes: 1, sharedIntegers: true };

/** The LRU clock: seconds, wrapping at 2^32. */
export function lruClock(nowMs: number): number {
  return Math.floor(nowMs / 1000) >>> 0;
}

function minutes(nowMs: number): number {
  return Math.floor(nowMs / 60000) & 0xffff;
}

/** A new object's stamp. */
export function freshStamp(p: AccessPolicy, nowMs: number): number {
  return p.lfu ? ((minutes(nowMs) << 8) | LFU_INIT) >>> 0 : lruClock(nowMs);
}

/** The LFU counter after the decay its idle minutes call for (the stamp is not changed). */
export function lfuCounter(p: AccessPolicy, stamp: number, nowMs: number): number {
  const counter = stamp & 0xff;
  if (p.decayMinutes === 0) return counter;
  const last = stamp >>> 8;
  const now = minutes(nowMs);
  const elapsed = now >= last ? now - last : 0xffff - last + now;
  const periods = Math.floor(elapsed / p.decayMinutes);
  return periods >= counter ? 0 : counter - periods;
}

/** The stamp after one access. */
export function touchedStamp(p: AccessPolicy, stamp: number, nowMs: number): number {
  if (!p.lfu) return lruClock(nowMs);
  let counter = lfuCounter(p, stamp, nowMs);
  if (counter < 255) {
    // logarithmic: the more accesses already counted, the less likely one more counts
    const base = Math.max(0, counter - LFU_INIT);
    if (Math.random() < 1 / (base * p.logFactor + 1)) counter++;
  }
  return ((minutes(nowMs) << 8) | counter) >>> 0;
}

/** Seconds since the last access (LRU stamps). */
export function idleSeconds(stamp: number, nowMs: number): number {
  return Math.max(0, lruClock(nowMs) - stamp);
}

/**
 * The stamp of an object loaded or restored with an idle time (s) or an LFU counter (-1:
 * none given), as Redis's objectSetLRUOrLFU: the counter counts under an LFU policy, the
 * idle time under an LRU one; null when neither applies (keep a fresh stamp).
 */
export function restoredStamp(p: AccessPolicy, lruPolicy: boolean, idle: number, freq: number, nowMs: number): number | null {
  if (p.lfu) return freq >= 0 ? ((minutes(nowMs) << 8) | Math.min(255, freq)) >>> 0 : null;
  if (lruPolicy && idle >= 0) return (lruClock(nowMs) - Math.min(idle, lruClock(nowMs))) >>> 0;
  return null;
}
