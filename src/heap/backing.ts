/**
 * What the heap needs from the memory under it. `src/shm` implements it over a
 * segment mapping; tests implement it over a plain SharedArrayBuffer.
 *
 * Offsets are byte offsets from the start of the mapping. The heap owns
 * [base, reserved); everything below `base` belongs to the segment layer.
 */
export interface Backing {
  /** The whole reserved mapping (pages past `committed()` must never be touched). */
  readonly sab: SharedArrayBuffer;
  /** First byte the heap owns (the segment header lives below it). */
  readonly base: number;
  /** Bytes mapped; the heap never grows past this. */
  readonly reserved: number;
  /**
   * The segment's size in bytes from offset 0. Bytes below it are backed by memory
   * except holes the heap made itself (with `extend` or `punch`), which it never
   * writes before `reserve`.
   */
  committed(): number;
  /**
   * Back [committed(), newCommitted) with memory. Throws an Error whose `code` is
   * 'ENOSPC' when tmpfs cannot back it, or 'EFBIG' past `reserved`; the mapping stays usable.
   */
  grow(newCommitted: number): void;
  /**
   * Make the segment `newSize` bytes long WITHOUT backing the new bytes (a sparse hole,
   * free on tmpfs): reading it gives zeros, writing it needs `reserve` first.
   */
  extend(newSize: number): void;
  /** Give back the tail: committed becomes `newCommitted` (page aligned, <= committed()). */
  shrink(newCommitted: number): void;
  /** Release the pages of [off, off+len) (page aligned); they read as zeros afterwards. */
  punch(off: number, len: number): void;
  /** Back a previously punched range again before it is written (ENOSPC as for grow). */
  reserve(off: number, len: number): void;
  /**
   * Take the cross-process write lock. Returns true when the previous holder died
   * holding it: the caller must repair (roll back) before going on.
   */
  lock(): boolean;
  unlock(): void;
}
