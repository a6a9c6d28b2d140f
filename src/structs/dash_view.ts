/**
 * Walking a Dash (src/structs/dash.ts) through a HeapView instead of the live mapping: an
 * incremental DUMP of a big collection reads the table as it was when the dump began (the
 * copy-on-write epoch's view), a slice at a time, while writers go on changing the live
 * table (splits, backward shifts, the directory doubling). The cursor reads every byte —
 * table header, directory, segments — through the view, and keeps its position (directory
 * index, the current segment's refs, slot index) between calls, so a walk resumed after
 * any number of writes still visits the table exactly as it was: every ref once.
 */
import { Heap } from '../heap/heap.js';
import type { HeapView } from '../heap/view.js';
import { DASH_LAYOUT, SLOTS } from './dash.js';

const { T_DEPTH, T_DIR, T_COUNT, SEG_HDR } = DASH_LAYOUT;

export class DashViewCursor {
  /** The table's entry count (its header), as the view has it. */
  readonly count: number;
  private readonly dir: number;
  private readonly dirLen: number;
  /** Next directory index to look at. */
  private i = 0;
  /** The segment ref last loaded: a segment spans a run of directory entries (as Dash.forEach, skip the repeats). */
  private prevSeg = -1;
  /**
   * The current segment's slot refs, copied out: what view.bytes returns is only valid
   * until the next call on the view, and the caller reads each ref's chunk in between.
   */
  private readonly refs = new Uint32Array(SLOTS);
  /** Next slot of `refs` to look at; SLOTS: load the next segment. */
  private k = SLOTS;

  constructor(
    private readonly view: HeapView,
    /** Payload offset of the table header. */
    table: number,
  ) {
    const depth = view.u32(table + T_DEPTH);
    if (depth > 32) throw new Error(`dash ${table}: depth ${depth} (not a table)`);
    this.count = view.f64(table + T_COUNT);
    this.dir = Heap.deref(view.u32(table + T_DIR));
    this.dirLen = 2 ** depth;
  }

  /** The next ref of the table (table order), 0 when the walk is over. */
  next(): number {
    for (;;) {
      while (this.k < SLOTS) {
        const r = this.refs[this.k++]!;
        if (r !== 0) return r;
      }
      if (!this.loadNextSegment()) return 0;
    }
  }

  private loadNextSegment(): boolean {
    const view = this.view;
    while (this.i < this.dirLen) {
      const s = view.u32(this.dir + this.i * 4);
      this.i++;
      if (s === this.prevSeg) continue;
      this.prevSeg = s;
      const seg = Heap.deref(s);
      // an empty segment (its count) has nothing to copy
      if (view.u32(seg + 4) === 0) continue;
      const b = view.bytes(seg + SEG_HDR, SLOTS * 8);
      for (let k = 0; k < SLOTS; k++) {
        const o = k * 8 + 4;
        this.refs[k] = (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
      }
      this.k = 0;
      return true;
    }
    return false;
  }
}
