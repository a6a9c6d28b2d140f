import { Heap } from '../../src/heap/heap.js';

/**
 * A deterministic write-heavy workload over the heap, shared by the writer processes
 * (which run it against a segment) and the checker (which replays it on a plain model):
 * operation i of a writer depends only on (seed, i) and the model state, so after a
 * crash the checker knows exactly what committed state N ops must have left.
 *
 * Heap roots: ROOT_SLOTS → a chunk of SLOT_COUNT u32 refs; ROOT_COUNTER + w → ops
 * committed by writer w. Object payload: u32 slot, u32 version, u32 length, u32 seed
 * byte, then `length` pattern bytes.
 */
export const ROOT_SLOTS = 10;
export const ROOT_COUNTER = 11;
export const SLOT_COUNT = 256;

export type Model = ({ version: number; len: number; seed: number } | null)[];

export function rng(seed: number, i: number): () => number {
  let a = (seed ^ Math.imul(i + 1, 0x9e3779b9)) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function patternByte(seed: number, j: number): number {
  return (seed + j * 7) & 0xff;
}

interface Effects {
  replace(slot: number, version: number, len: number, seed: number): void;
  rewrite(slot: number, seed: number): void;
  free(slot: number): void;
}

/** Decide operation i and apply it to the model, calling `fx` for each effect. */
export function step(model: Model, seed: number, i: number, lo: number, hi: number, fx?: Effects): void {
  const r = rng(seed, i);
  const n = r() < 0.15 ? 5 : 1;
  for (let k = 0; k < n; k++) {
    const slot = lo + Math.floor(r() * (hi - lo));
    const a = r();
    const cur = model[slot] ?? null;
    if (a < 0.5 || cur === null) {
      const len = r() < 0.05 ? 40000 + Math.floor(r() * 100000) : Math.floor(r() * 3000);
      const s = Math.floor(r() * 256);
      const version = (cur?.version ?? 0) + 1;
      fx?.replace(slot, version, len, s);
      model[slot] = { version, len, seed: s };
    } else if (a < 0.8) {
      const s = Math.floor(r() * 256);
      fx?.rewrite(slot, s);
      model[slot] = { ...cur, seed: s };
    } else {
      fx?.free(slot);
      model[slot] = null;
    }
  }
}

export function heapEffects(heap: Heap, slots: number): Effects {
  const dv = heap.dv;
  const u8 = heap.mem.u8;
  const fill = (p: number, len: number, s: number) => {
    for (let j = 0; j < len; j++) u8[p + 16 + j] = patternByte(s, j);
  };
  return {
    replace(slot, version, len, s) {
      const p = heap.alloc(16 + len);
      dv.setUint32(p, slot, true);
      dv.setUint32(p + 4, version, true);
      dv.setUint32(p + 8, len, true);
      dv.setUint32(p + 12, s, true);
      fill(p, len, s);
      const at = slots + slot * 4;
      const old = dv.getUint32(at, true);
      heap.log(at, 4);
      dv.setUint32(at, Heap.ref(p), true);
      if (old !== 0) heap.free(Heap.deref(old));
    },
    rewrite(slot, s) {
      const p = Heap.deref(dv.getUint32(slots + slot * 4, true));
      const len = dv.getUint32(p + 8, true);
      heap.log(p + 12, 4 + len);
      dv.setUint32(p + 12, s, true);
      fill(p, len, s);
    },
    free(slot) {
      const at = slots + slot * 4;
      const old = dv.getUint32(at, true);
      heap.log(at, 4);
      dv.setUint32(at, 0, true);
      heap.free(Heap.deref(old));
    },
  };
}

/** Set up the slots table if the heap has none (caller holds the lock). */
export function ensureSlots(heap: Heap): number {
  if (heap.getRoot(ROOT_SLOTS) === 0) {
    heap.atomically(() => {
      const t = heap.alloc(SLOT_COUNT * 4);
      heap.mem.fill(t, SLOT_COUNT * 4, 0);
      heap.setRoot(ROOT_SLOTS, t);
    });
  }
  return heap.getRoot(ROOT_SLOTS);
}

/** Differences between the heap's slots and the model, as messages. */
export function compare(heap: Heap, model: Model, lo: number, hi: number): string[] {
  const out: string[] = [];
  const dv = heap.dv;
  const u8 = heap.mem.u8;
  const slots = heap.getRoot(ROOT_SLOTS);
  for (let s = lo; s < hi; s++) {
    const want = model[s] ?? null;
    const ref = dv.getUint32(slots + s * 4, true);
    if (want === null) {
      if (ref !== 0) out.push(`slot ${s}: should be empty`);
      continue;
    }
    if (ref === 0) {
      out.push(`slot ${s}: empty, should hold version ${want.version}`);
      continue;
    }
    const p = Heap.deref(ref);
    const got = { slot: dv.getUint32(p, true), version: dv.getUint32(p + 4, true), len: dv.getUint32(p + 8, true), seed: dv.getUint32(p + 12, true) };
    if (got.slot !== s || got.version !== want.version || got.len !== want.len || got.seed !== want.seed) {
      out.push(`slot ${s}: holds ${JSON.stringify(got)}, should hold ${JSON.stringify(want)}`);
      continue;
    }
    for (let j = 0; j < want.len; j++) {
      if (u8[p + 16 + j] !== patternByte(want.seed, j)) {
        out.push(`slot ${s}: byte ${j} differs`);
        break;
      }
    }
  }
  return out;
}
