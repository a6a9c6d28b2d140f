/**
 * The whole-keyspace integrity check (`shmkv check`, the crash tests): the heap's own
 * check, then every structure reachable from the keyspace header — tables, entries and
 * what each value owns (asked of its type) — reached exactly once, and nothing in use
 * that nothing references.
 */
import { Heap } from '../heap/heap.js';
import { checkHeap } from '../heap/check.js';
import { hashBytes } from '../structs/hash.js';
import type { Dash } from '../structs/dash.js';
import type { Keyspace } from './keyspace.js';
import { valueType } from './valuetypes.js';

export interface KeyspaceReport {
  ok: boolean;
  errors: string[];
  keys: number;
}

export function checkKeyspace(ks: Keyspace): KeyspaceReport {
  const heapReport = checkHeap(ks.heap, { collectLive: true });
  const errors = [...heapReport.errors];
  const live = heapReport.live!;
  const reached = new Set<number>();
  const mark = (p: number, what: string): void => {
    if (!live.has(p)) errors.push(`${what} at ${p} is not a live chunk`);
    else if (reached.has(p)) errors.push(`${what} at ${p} is referenced twice`);
    reached.add(p);
  };
  const u8 = ks.heap.mem.u8;
  let keys = 0;
  const [header, ...own] = ks.ownChunks();
  mark(header!, 'keyspace header');
  for (const p of own) mark(p, 'keyspace structure');
  const markTable = (t: Dash): void => {
    mark(t.table, 'table');
    t.forEachChunk((p) => mark(p, 'table chunk'));
  };
  const markEntry = (e: number, what: string): void => {
    mark(e, what);
    try {
      valueType(ks.type(e)).chunks(ks, e, mark, errors);
    } catch (err) {
      errors.push(`${what} at ${e}: ${(err as Error).message}`);
    }
  };
  const refs = ks.tableRefs();
  for (let db = 0; db < ks.databases; db++) {
    const main = ks.dashOf(refs.main[db]!);
    const exp = ks.dashOf(refs.expires[db]!);
    markTable(main);
    markTable(exp);
    keys += main.check(errors);
    exp.check(errors, (r) => main.find(hashBytes(u8, ks.keyOffset(Heap.deref(r)), ks.keyLength(Heap.deref(r))), (x) => x === r) === r);
    let withTtl = 0;
    main.forEach((r) => {
      const e = Heap.deref(r);
      markEntry(e, 'entry');
      if (ks.expireAt(e) !== 0) withTtl++;
    });
    if (withTtl !== exp.count()) errors.push(`db ${db}: ${withTtl} keys have a TTL, the expires index holds ${exp.count()}`);
  }
  for (const ref of refs.graveyard) {
    const t = ks.dashOf(ref);
    markTable(t);
    t.forEach((r) => markEntry(Heap.deref(r), 'flushed entry'));
  }
  // a copy-on-write epoch's shadow and the chunks it keeps from being reused
  ks.heap.cow.chunks(mark);
  // a snapshot's state, what it preserved, and tables flushed away from it
  ks.snapshots.chunks(mark, markEntry);
  for (const ref of ks.snapshots.detachedTables()) {
    const t = ks.dashOf(ref);
    markTable(t);
    t.forEach((r) => markEntry(Heap.deref(r), 'flushed entry kept for a snapshot'));
  }
  const lazy = ks.lazyValues();
  mark(lazy.chunk, 'lazy-free queue');
  for (const [type, handle] of lazy.values) {
    const t = valueType(type);
    if (t.lazyChunks === undefined) errors.push(`lazy-free queue: type ${t.name} queues values but cannot list their chunks`);
    else t.lazyChunks(ks, handle, mark, errors);
  }
  for (const p of live) if (!reached.has(p)) errors.push(`chunk at ${p} is in use but nothing references it (leak)`);
  return { ok: errors.length === 0, errors: errors.slice(0, 100), keys };
}
