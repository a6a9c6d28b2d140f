import type { Heap } from './heap.js';
import { BINMAP_WORDS, CHUNK_TAG, FOOTER_TAG, GRANULE, H, INUSE, MIN_CHUNK, NBINS, PREV_INUSE, binOf } from './layout.js';

export interface HeapCheckReport {
  ok: boolean;
  /** Each problem found, with the offset it concerns. */
  errors: string[];
  chunks: number;
  inUse: number;
  inUseBytes: number;
  free: number;
  freeBytes: number;
  /** In-use chunk payload offsets, for the layers above to cross-check reachability. */
  live?: Set<number>;
}

const MAX_ERRORS = 50;

/**
 * Walks every chunk of the arena and every bin list and reports exactly what is wrong:
 * bad tags, sizes that run past top, boundary flags that disagree with the neighbour,
 * free chunks that should have merged, footers, bin lists (links, membership, cycles,
 * bitmap) and the header's counters. Read-only.
 */
export function checkHeap(heap: Heap, opts: { collectLive?: boolean } = {}): HeapCheckReport {
  const dv = heap.dv;
  const errors: string[] = [];
  const err = (m: string) => {
    if (errors.length < MAX_ERRORS) errors.push(m);
  };
  const top = heap.headerField(H.top);
  const arenaEnd = heap.headerField(H.arenaEnd);
  const committed = heap.backing.committed();
  if (!(heap.arenaStart <= top && top <= arenaEnd && arenaEnd <= committed)) {
    err(`header: arena ${heap.arenaStart}, top ${top}, end ${arenaEnd}, committed ${committed} out of order`);
  }
  if (heap.pendingUndo() !== 0 && !heap.inOperation) err(`undo log holds ${heap.pendingUndo()} bytes of an unfinished operation`);

  const freeSeen = new Map<number, number>(); // chunk -> granules
  const live = opts.collectLive ? new Set<number>() : undefined;
  let chunks = 0;
  let inUse = 0;
  let inUseBytes = 0;
  let prevInUse = true;
  let c = heap.arenaStart;
  while (c < top) {
    const g = dv.getUint32(c, true);
    const f = dv.getUint32(c + 4, true);
    if (f >>> 8 !== CHUNK_TAG) {
      err(`chunk ${c}: bad tag ${(f >>> 8).toString(16)} (walk stopped)`);
      break;
    }
    if (g * GRANULE < MIN_CHUNK || c + g * GRANULE > top) {
      err(`chunk ${c}: size ${g * GRANULE} runs past top ${top} or is too small (walk stopped)`);
      break;
    }
    if (((f & PREV_INUSE) !== 0) !== prevInUse) err(`chunk ${c}: PREV_INUSE flag says ${(f & PREV_INUSE) !== 0}, previous chunk in use: ${prevInUse}`);
    const isUsed = (f & INUSE) !== 0;
    if (isUsed) {
      inUse++;
      inUseBytes += g * GRANULE;
      live?.add(c + 8);
    } else {
      if (!prevInUse) err(`chunk ${c}: free chunk follows a free chunk (not coalesced)`);
      const foot = c + g * GRANULE - 8;
      if (dv.getUint32(foot, true) !== g || dv.getUint32(foot + 4, true) !== FOOTER_TAG) err(`chunk ${c}: footer does not match its size`);
      freeSeen.set(c, g);
    }
    prevInUse = isUsed;
    chunks++;
    c += g * GRANULE;
  }
  if (c === top && !prevInUse && chunks > 0) err(`chunk below top is free (should have merged into top)`);

  // Bins: every free chunk once, in the right bin, links consistent.
  let binFree = 0;
  let binFreeBytes = 0;
  const listed = new Set<number>();
  for (let b = 0; b < NBINS; b++) {
    const head = dv.getUint32(heap.base + H.bins + b * 4, true);
    const bit = (dv.getUint32(heap.base + H.binmap + (b >>> 5) * 4, true) >>> (b & 31)) & 1;
    if ((head !== 0) !== (bit === 1)) err(`bin ${b}: bitmap bit ${bit} but head ${head}`);
    let prev = 0;
    let steps = 0;
    for (let r = head; r !== 0; r = dv.getUint32(r * GRANULE + 8, true)) {
      const cc = r * GRANULE;
      if (++steps > freeSeen.size + 1) {
        err(`bin ${b}: list longer than the number of free chunks (cycle?)`);
        break;
      }
      const g = freeSeen.get(cc);
      if (g === undefined) {
        err(`bin ${b}: lists ${cc}, which is not a free chunk of the arena`);
        break;
      }
      if (listed.has(cc)) err(`chunk ${cc}: listed twice`);
      listed.add(cc);
      if (binOf(g) !== b) err(`chunk ${cc}: size ${g * GRANULE} is in bin ${b}, belongs in ${binOf(g)}`);
      if (dv.getUint32(cc + 12, true) !== prev) err(`chunk ${cc}: prev link ${dv.getUint32(cc + 12, true)} should be ${prev}`);
      prev = r;
      binFree++;
      binFreeBytes += g * GRANULE;
    }
  }
  for (const cc of freeSeen.keys()) if (!listed.has(cc)) err(`chunk ${cc}: free but in no bin (leaked)`);
  for (let w = 0; w < BINMAP_WORDS; w++) {
    const bits = dv.getUint32(heap.base + H.binmap + w * 4, true);
    if (w * 32 + 32 > NBINS && bits >>> (NBINS - w * 32) !== 0 && NBINS - w * 32 < 32) err(`binmap word ${w}: bits past the last bin`);
  }

  const hdr = (name: string, field: number, actual: number) => {
    const v = heap.headerField(field);
    if (v !== actual) err(`header ${name} is ${v}, the arena holds ${actual}`);
  };
  hdr('usedBytes', H.usedBytes, inUseBytes);
  hdr('liveChunks', H.liveChunks, inUse);
  hdr('freeBytes', H.freeBytes, binFreeBytes);
  hdr('freeChunks', H.freeChunks, binFree);

  return {
    ok: errors.length === 0,
    errors,
    chunks,
    inUse,
    inUseBytes,
    free: freeSeen.size,
    freeBytes: binFreeBytes,
    live,
  };
}
