/**
 * The keyspace as the server and the command families see it. Implemented by
 * `src/store/store.ts` over the block heap; this file only fixes the contract so
 * that the server layer can be written against it.
 */
import type { AccessPolicy } from './access.js';
import type { EvictResult, MaxmemoryPolicy } from './evict.js';

export interface StoreMemoryStats {
  /** Bytes handed out by the heap to live objects (Redis's used_memory). */
  usedMemory: number;
  /** Bytes of the segment backed by memory (what tmpfs holds: like used_memory_rss). */
  committed: number;
  /** Virtual bytes mapped (the growth limit). */
  reserved: number;
  /** Highest usedMemory seen since the segment was created. */
  peak: number;
  /** committed / usedMemory. */
  fragmentation: number;
}

export interface Store {
  /** Number of logical databases (SELECT 0..databases-1). */
  readonly databases: number;
  /** Segment name the keyspace lives in. */
  readonly segmentName: string;
  /**
   * Runs one command's data work atomically: takes the cross-process write lock (unless a
   * batch holds it), opens an undo-logged operation, runs fn, commits. If fn throws, the
   * operation is rolled back and the error rethrown: no command is ever half-applied.
   */
  exec<T>(fn: () => T): T;
  /** Holds the write lock across several exec() calls (all commands of one read event). */
  lockBatch(): void;
  unlockBatch(): void;
  dbsize(db: number): number;
  expiresCount(db: number): number;
  /** Inside exec(). */
  flushdb(db: number): void;
  flushall(): void;
  /** Free what flushes left to free lazily, one operation per slice (outside exec). */
  lazyFreeAll(): void;
  swapdb(a: number, b: number): void;
  memoryStats(): StoreMemoryStats;
  /** usedMemory of memoryStats(), cheap enough to read before every command. */
  usedMemory(): number;
  /** How accesses are recorded: LRU clock, or LFU counter (maxmemory-policy, lfu-*). */
  setAccessPolicy(p: AccessPolicy): void;
  /**
   * maxmemory: evict keys by `policy` until usedMemory() ≤ limit, for at most budgetMs. With
   * the lock held (a batch), outside exec(): each eviction is an operation of its own.
   */
  evict(limit: number, policy: MaxmemoryPolicy, samples: number, budgetMs: number): { result: EvictResult; evicted: number };
  /** Active expiry: sample keys with a TTL and delete expired ones, for at most budgetMs. */
  activeExpireCycle(budgetMs: number): void;
  /** Detaches from the segment (the data stays). */
  close(): void;
}
