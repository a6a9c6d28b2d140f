/**
 * maxmemory: evicting keys until the heap's used bytes fit, by Redis's policies
 * (evict.c's performEvictions, written anew). LRU, LFU and volatile-ttl sample
 * `maxmemory-samples` keys per database into a pool of the 16 best candidates and evict
 * the best; the random policies pick any key. `volatile-*` policies only consider keys
 * with an expiry. Each eviction is its own operation, so a crash in the middle leaves
 * whole keys, and the memory it frees is counted before the next one is chosen.
 */
import { Heap } from '../heap/heap.js';
import { idleSeconds, lfuCounter } from './access.js';
import type { Keyspace } from './keyspace.js';
import { O_LRU } from './object.js';
import { REASON } from './changes.js';
import type { MaxmemoryPolicy } from '../config/config.js';

export const OOM_ERROR = "OOM command not allowed when used memory > 'maxmemory'.";

/** ok: under the limit; fail: nothing (more) can be evicted; running: out of time, more to do. */
export type EvictResult = 'ok' | 'fail' | 'running';

const POOL_SIZE = 16;

/**
 * The time one call may spend evicting, from maxmemory-eviction-tenacity as Redis
 * documents it: 50 µs per step up to 10 (500 µs), then 15% more per step, 100 = no limit.
 * Past it the command runs anyway and the next one (or the cron) evicts more.
 */
export function evictionBudgetMs(tenacity: number): number {
  if (tenacity >= 100) return Infinity;
  if (tenacity <= 10) return 0.05 * tenacity;
  return 0.5 * Math.pow(1.15, tenacity - 10);
}

interface Candidate {
  score: number;
  db: number;
  e: number;
}

const perf = globalThis.performance;

export class Evictor {
  private nextDb = 0;
  evicted = 0;

  constructor(private readonly ks: Keyspace) {}

  /**
   * Evict until used memory ≤ limit. Must run with the keyspace lock held (the server's
   * batch lock) and outside an operation: each eviction is an operation of its own.
   */
  run(limit: number, policy: MaxmemoryPolicy, samples: number, budgetMs: number): EvictResult {
    const ks = this.ks;
    if (ks.evictableMemory() <= limit) return 'ok';
    if (policy === 'noeviction') return 'fail';
    const deadline = perf.now() + budgetMs;
    const volatile = policy.startsWith('volatile-');
    const random = policy.endsWith('-random');
    let pool: Candidate[] = [];
    for (let n = 0; ks.evictableMemory() > limit; n++) {
      if ((n & 15) === 15 && perf.now() > deadline) return 'running';
      let victim: Candidate | null = null;
      if (random) victim = this.randomVictim(volatile);
      else {
        // Fresh samples every time, merged into the pool of the best seen so far (as
        // Redis does): the pool's leftovers are only taken if nothing better turns up.
        // Its entries stay valid within this call: nothing but our evictions runs.
        pool = this.sample(policy, volatile, samples, pool);
        victim = pool.pop() ?? null;
      }
      if (victim === null) return 'fail';
      const { db, e } = victim;
      ks.exec(() => ks.removeEntry(db, e, REASON.evicted));
      this.evicted++;
      // a key sampled twice (two tables, or twice in one) must not be evicted twice
      pool = pool.filter((c) => c.e !== e);
    }
    return 'ok';
  }

  private table(db: number, volatile: boolean) {
    return volatile ? this.ks.expires(db) : this.ks.main(db);
  }

  /** One key of some database, databases taken in turn (Redis's next_db). */
  private randomVictim(volatile: boolean): Candidate | null {
    const dbs = this.ks.databases;
    for (let i = 0; i < dbs; i++) {
      const db = (this.nextDb + i) % dbs;
      const ref = this.table(db, volatile).randomRef(Math.random);
      if (ref !== 0) {
        this.nextDb = (db + 1) % dbs;
        return { score: 0, db, e: Heap.deref(ref) };
      }
    }
    return null;
  }

  /** `pool` and `samples` keys of each database: the POOL_SIZE best, best last. */
  private sample(policy: MaxmemoryPolicy, volatile: boolean, samples: number, pool: Candidate[]): Candidate[] {
    const ks = this.ks;
    const dv = ks.heap.dv;
    const now = ks.now;
    const access = ks.access;
    for (let db = 0; db < ks.databases; db++) {
      const t = this.table(db, volatile);
      if (t.count() === 0) continue;
      for (let i = 0; i < samples; i++) {
        const ref = t.randomRef(Math.random);
        if (ref === 0) break;
        const e = Heap.deref(ref);
        if (pool.some((c) => c.e === e)) continue;
        const stamp = dv.getUint32(e + O_LRU, true);
        let score: number;
        if (policy.endsWith('-lru')) score = idleSeconds(stamp, now);
        else if (policy.endsWith('-lfu')) score = 255 - lfuCounter(access, stamp, now);
        else score = -ks.expireAt(e); // volatile-ttl: the soonest expiry first
        pool.push({ score, db, e });
      }
    }
    // random order first, so that equal scores (idle within the same second) are picked at random
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    pool.sort((a, b) => a.score - b.score);
    return pool.slice(-POOL_SIZE);
  }
}
