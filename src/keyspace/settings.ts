/**
 * The shared settings: configuration parameters that decide what the data in the segment
 * means or how much of it may exist (maxmemory and its policy, the LFU parameters that
 * give access stamps their meaning, lazy freeing, notify-keyspace-events, the encoding
 * thresholds of the collection types). They live in the segment so that every process —
 * the server and each library process — applies the same values at once: `CONFIG SET
 * maxmemory-policy allkeys-lfu` in the server changes what a library process writes from
 * its next command on.
 *
 * Which parameters are shared is the configuration table's business (`shared: true` in
 * src/config/config.ts); each has a fixed slot here. A generation number, bumped by every
 * write, lets a process cache what it derives from the values (its access policy, its
 * eviction parameters) and re-read only when another process changed them.
 *
 * Layout (one heap chunk, its ref in the keyspace header), written down once:
 *   0   u32  SETTINGS_VERSION
 *   4   u32  generation (bumped, under the lock and undo-logged, by every write)
 *   8   8 bytes reserved
 *   16  SETTING_SLOTS × f64: the values, at the slots of SETTING_SLOT below (encodeShared)
 */
import type { Heap } from '../heap/heap.js';
import { CONFIG_DEFS, lookupConfig, encodeShared, type SharedConfigStore } from '../config/config.js';

export const SETTINGS_VERSION = 1;
const HEADER = 16;
export const SETTING_SLOTS = 64;

/** Slot of each shared parameter: never renumber (a segment keeps its layout version). */
export const SETTING_SLOT: Record<string, number> = {
  maxmemory: 0,
  'maxmemory-policy': 1,
  'maxmemory-samples': 2,
  'maxmemory-eviction-tenacity': 3,
  'lfu-log-factor': 4,
  'lfu-decay-time': 5,
  'lazyfree-lazy-eviction': 6,
  'lazyfree-lazy-expire': 7,
  'lazyfree-lazy-server-del': 8,
  'lazyfree-lazy-user-del': 9,
  'lazyfree-lazy-user-flush': 10,
  'notify-keyspace-events': 11,
  'active-expire-effort': 12,
  'list-max-listpack-size': 13,
  'list-compress-depth': 14,
  'hash-max-listpack-entries': 15,
  'hash-max-listpack-value': 16,
  'set-max-intset-entries': 17,
  'set-max-listpack-entries': 18,
  'set-max-listpack-value': 19,
  'zset-max-listpack-entries': 20,
  'zset-max-listpack-value': 21,
  'stream-node-max-bytes': 22,
  'stream-node-max-entries': 23,
  'hll-sparse-max-bytes': 24,
};

// every shared parameter has a slot, and no two share one
{
  const used = new Set<number>();
  for (const d of CONFIG_DEFS) {
    if (!d.shared) continue;
    const s = SETTING_SLOT[d.name];
    if (s === undefined || used.has(s) || s >= SETTING_SLOTS) throw new Error(`shared setting ${d.name} has no slot of its own`);
    used.add(s);
  }
}

export function settingsBytes(): number {
  return HEADER + SETTING_SLOTS * 8;
}

/** Lay out the settings with every parameter's default (inside an operation, fresh chunk). */
export function formatSettings(heap: Heap, at: number): void {
  heap.mem.fill(at, settingsBytes(), 0);
  heap.dv.setUint32(at, SETTINGS_VERSION, true);
  heap.dv.setUint32(at + 4, 1, true);
  for (const d of CONFIG_DEFS) if (d.shared) heap.dv.setFloat64(at + HEADER + SETTING_SLOT[d.name]! * 8, encodeShared(d, d.default), true);
}

export class Settings implements SharedConfigStore {
  private readonly dv: DataView;

  constructor(
    private readonly heap: Heap,
    private readonly at: number,
    /** Runs fn as one operation under the write lock (the keyspace's exec). */
    private readonly atomically: (fn: () => void) => void,
  ) {
    this.dv = heap.dv;
    if (this.dv.getUint32(at, true) !== SETTINGS_VERSION) throw new Error('keyspace settings: unknown version');
  }

  /** Changes with every write: compare with a remembered value to know whether to re-derive. */
  generation(): number {
    return this.dv.getUint32(this.at + 4, true);
  }

  readShared(name: string): number {
    const s = SETTING_SLOT[name] ?? SETTING_SLOT[lookupConfig(name)?.name ?? ''];
    if (s === undefined) throw new Error(`${name} is not a shared setting`);
    return this.dv.getFloat64(this.at + HEADER + s * 8, true);
  }

  /** A slot's number, by index (hot paths: no name lookup). */
  slot(i: number): number {
    return this.dv.getFloat64(this.at + HEADER + i * 8, true);
  }

  writeShared(values: [string, number][]): void {
    this.atomically(() => {
      const heap = this.heap;
      for (const [name, v] of values) {
        const s = SETTING_SLOT[name];
        if (s === undefined) throw new Error(`${name} is not a shared setting`);
        const off = this.at + HEADER + s * 8;
        heap.log(off, 8);
        this.dv.setFloat64(off, v, true);
      }
      heap.log(this.at + 4, 4);
      this.dv.setUint32(this.at + 4, (this.generation() + 1) >>> 0 || 1, true);
    });
  }
}


