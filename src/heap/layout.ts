/**
 * The heap's layout in the segment, written down once. Everything here is checked
 * when a heap is opened (`Heap.open`): a different magic or version is refused.
 *
 * Segment bytes [0, base) belong to the segment layer (src/shm/header.ts). The heap owns:
 *
 *   base                  heap header page (HEAP_HEADER_SIZE bytes, fields below)
 *   base + 4096           undo region: UNDO records, reserved as a sparse hole of
 *                         `undoReserve` bytes, backed on demand (`undoBacked`)
 *   arenaStart            the arena: chunks, then the top chunk up to `arenaEnd`
 *
 * Arena chunks (all offsets and sizes multiples of GRANULE = 16 bytes):
 *
 *   chunk + 0   u32  size in granules (whole chunk, header included)
 *   chunk + 4   u32  flags: INUSE | PREV_INUSE | PUNCHED | AGED, and CHUNK_TAG in bits 8..15
 *   chunk + 8   payload (in-use chunk) — a "ref" to it is chunk / 16, a u32, so refs
 *               address 64 GiB; 0 is the null ref (offset 0 is the segment header)
 *   free chunk: +8 u32 next ref, +12 u32 prev ref (bin list), and a footer in its
 *               last 8 bytes: u32 size in granules, u32 FOOTER_TAG (backward coalescing)
 *
 * The top chunk [top, arenaEnd) has no header: it is carved from and grown.
 * Invariant: the chunk just below `top` is in use (a freed neighbour merges into top).
 *
 * Undo records (undo region, 8-aligned): f64 offset, u32 length, u32 RECORD_TAG, then
 * `length` bytes of old contents padded to 8. `undoUsed` (an Int32 stored with
 * Atomics) is the length of the valid records: what makes a commit; `writeVersion`
 * (Int32, Atomics) is odd from an operation's first record until it commits or is rolled
 * back, so a reader without the lock can tell whether what it read was stable.
 */
export const HEAP_MAGIC = 'SHMKVHEP';
/** 2: the write version (H.writeVersion) that optimistic readers rely on. */
export const HEAP_VERSION = 2;
export const HEAP_HEADER_SIZE = 4096;
export const PAGE = 4096;
export const GRANULE = 16;
export const CHUNK_OVERHEAD = 8;
export const MIN_CHUNK = 32;
export const LINE = 64;
/** Refs are u32 granule indexes: the arena must end below this offset. */
export const MAX_ADDRESSABLE = 2 ** 32 * GRANULE;

export const INUSE = 1;
export const PREV_INUSE = 2;
export const PUNCHED = 4;
/**
 * A free chunk that a trim has already seen free (set by trim, dropped whenever the chunk
 * is split or merged): the next trim may punch it. Memory is given back only after it has
 * stayed free from one trim to the next, so a flush followed at once by a refill reuses
 * its memory without system calls, and a reader without the lock that follows a stale
 * pointer into memory freed a moment ago reads pages that are still there.
 */
export const AGED = 8;
export const CHUNK_TAG = 0xc5;
export const FOOTER_TAG = 0xf007c5c5;
export const RECORD_TAG = 0x5ec0de01;

/** Field offsets from the heap header's start (`base`). */
export const H = {
  magic: 0, // 8 bytes
  version: 8, // u32
  granule: 12, // u32
  undoStart: 16, // f64
  undoReserve: 24, // f64
  arenaStart: 32, // f64
  createdAt: 40, // f64, ms since epoch
  // --- logged with the operations that change them ---
  top: 64, // f64
  arenaEnd: 72, // f64
  usedBytes: 80, // f64: bytes of in-use chunks
  peakUsed: 88, // f64
  liveChunks: 96, // f64
  totalAllocs: 104, // f64
  totalFrees: 112, // f64
  freeBytes: 120, // f64: bytes of chunks in bins
  freeChunks: 128, // f64
  punchedBytes: 136, // f64: bytes given back by punching free chunks (cumulative)
  topDirtyEnd: 144, // f64: [top, topDirtyEnd) may hold punched pages (a punched chunk merged into top)
  // --- undo control: never logged ---
  undoUsed: 192, // i32, Atomics
  undoOwner: 196, // i32: pid of the process that wrote the current undo records
  undoBacked: 200, // f64: bytes of the undo region backed by memory
  commits: 208, // f64: operations committed that changed the heap (reads are not counted)
  rollbacks: 216, // f64: operations rolled back (errors and recoveries)
  recoveries: 224, // f64: rollbacks of a dead writer's operation
  undoPeak: 232, // f64
  // i32, Atomics: the write version, odd while an operation that changed shared bytes is
  // open (or its writer died with it open), bumped to odd by its first undo record and to
  // even when it commits or rolls back. Readers without the lock (optimistic reads) take
  // what they read as valid only if the version was even before and unchanged after.
  writeVersion: 240,
  // --- allocator bins (logged) ---
  binmap: 256, // u32 × BINMAP_WORDS
  bins: 512, // u32 × NBINS: head ref of each bin's list
  // --- roots for the layers above (logged) ---
  roots: 2048, // f64 × ROOT_COUNT
} as const;

export const NBINS = 176;
export const BINMAP_WORDS = NBINS / 32 + 1; // 6
export const ROOT_COUNT = 64;
export const SMALL_BIN_LIMIT = 64; // granules: chunks below 1 KiB have exact-size bins

export const DEFAULT_UNDO_RESERVE = 256 * 1024 * 1024;
export const UNDO_INITIAL = 1024 * 1024;
export const RECORD_HEADER = 16;

/** Bin of a free chunk of `g` granules: exact below 1 KiB, then 4 bins per power of two. */
export function binOf(g: number): number {
  if (g < SMALL_BIN_LIMIT) return g;
  const lg = 31 - Math.clz32(g);
  return SMALL_BIN_LIMIT + (lg - 6) * 4 + ((g >>> (lg - 2)) & 3);
}
