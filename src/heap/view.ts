/**
 * A read-only view of heap bytes: what a reader that must see the heap as it was at some
 * instant (an incremental DUMP of a huge value walking it a slice at a time while writers
 * go on) reads through instead of the live mapping. `liveView` reads the mapping as it is
 * (for values nobody can change meanwhile, and for tests); the copy-on-write epoch
 * (src/heap/cow.ts) gives one that returns the bytes of the epoch's start.
 *
 * Offsets are byte offsets in the mapping, as everywhere in the heap.
 */
import type { Heap } from './heap.js';

export interface HeapView {
  /** `len` bytes at `off`: a copy or a view, valid until the next call on this view. */
  bytes(off: number, len: number): Uint8Array;
  u8(off: number): number;
  u16(off: number): number;
  u32(off: number): number;
  f64(off: number): number;
}

/** The live mapping as a HeapView. */
export function liveView(heap: Heap): HeapView {
  const dv = heap.dv;
  const u8 = heap.mem.u8;
  return {
    bytes: (off, len) => u8.subarray(off, off + len),
    u8: (off) => u8[off]!,
    u16: (off) => dv.getUint16(off, true),
    u32: (off) => dv.getUint32(off, true),
    f64: (off) => dv.getFloat64(off, true),
  };
}
