/**
 * Keyspace statistics shared by every process (INFO stats: keyspace_hits, keyspace_misses,
 * expired_keys, evicted_keys; rdb_changes_since_last_save), counted by the write seam and
 * the lookups whichever process does the work.
 *
 * Each process counts in its own slot (its attach-registry slot in the segment header, so
 * two processes never write the same cache line); a reader sums the slots. A slot outlives
 * its process: the next process to take it goes on adding to it, so nothing counted is
 * ever lost. Counters are written under the write lock but not undo-logged (a rolled-back
 * command's misses still happened).
 *
 * Layout (one heap chunk, its ref in the keyspace header), written down once:
 *   0   u32 COUNTERS_VERSION, u32 slots (COUNTER_SLOTS), 8 bytes reserved
 *   16  COUNTER_SLOTS × 64 bytes, each 8 f64 counters at the C_* indexes below
 */
import type { Heap } from '../heap/heap.js';

export const COUNTERS_VERSION = 1;
/** The segment's 64 attach slots, and one for processes without a slot (a plain memory backing). */
export const COUNTER_SLOTS = 65;
const SLOT_BYTES = 64;
const HEADER = 16;

export const C_HITS = 0;
export const C_MISSES = 1;
export const C_EXPIRED = 2;
export const C_EVICTED = 3;
/** keys changed by commands (Redis's server.dirty) */
export const C_DIRTY = 4;
/** keys whose expiry was found past while they were kept (writable replicas: always 0 here) */
export const C_EXPIRED_STALE = 5;

export function countersBytes(): number {
  return HEADER + COUNTER_SLOTS * SLOT_BYTES;
}

export function formatCounters(heap: Heap, at: number): void {
  heap.mem.fill(at, countersBytes(), 0);
  heap.dv.setUint32(at, COUNTERS_VERSION, true);
  heap.dv.setUint32(at + 4, COUNTER_SLOTS, true);
}

export class Counters {
  private readonly dv: DataView;
  /** Byte offset of this process's slot. */
  private readonly mine: number;

  constructor(
    heap: Heap,
    private readonly at: number,
    /** this process's attach slot (0..63), or -1 */
    slot: number,
  ) {
    this.dv = heap.dv;
    if (this.dv.getUint32(at, true) !== COUNTERS_VERSION) throw new Error('keyspace counters: unknown version');
    this.mine = at + HEADER + (slot >= 0 && slot < COUNTER_SLOTS - 1 ? slot : COUNTER_SLOTS - 1) * SLOT_BYTES;
  }

  add(counter: number, n: number): void {
    const p = this.mine + counter * 8;
    this.dv.setFloat64(p, this.dv.getFloat64(p, true) + n, true);
  }

  /** The sum over every process. */
  total(counter: number): number {
    let t = 0;
    for (let i = 0; i < COUNTER_SLOTS; i++) t += this.dv.getFloat64(this.at + HEADER + i * SLOT_BYTES + counter * 8, true);
    return t;
  }

  /** CONFIG RESETSTAT: zero the given counters of every slot. */
  reset(counters: number[]): void {
    for (let i = 0; i < COUNTER_SLOTS; i++) for (const c of counters) this.dv.setFloat64(this.at + HEADER + i * SLOT_BYTES + c * 8, 0, true);
  }
}
