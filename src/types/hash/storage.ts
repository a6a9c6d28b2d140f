/**
 * Hash values in the keyspace (Redis 7.0's t_hash.c data side): how a hash is stored and
 * the operations the hash commands build on.
 *
 * Storage, two encodings (the entry's encoding byte, what OBJECT ENCODING reports):
 * - ENC_LISTPACK: one listpack (src/structs/listpack.ts) of alternating field, value, in
 *   insertion order; the entry's value ref points to it.
 * - ENC_HT ('hashtable'): a per-key Dash (src/structs/dash.ts, extendible hashing: it
 *   grows a segment at a time, never rehashing the whole table) whose refs point to one
 *   small chunk per field: u32 field length, u32 value length, field bytes, value bytes.
 *   The hash of a field is the keyspace's key hash (src/structs/hash.ts); equal hashes are
 *   told apart by comparing the field bytes. The entry's value ref points to the table.
 * The entry's length field (O_VLEN) is the number of fields in both encodings.
 *
 * Conversion listpack → hashtable happens where Redis 7.0 converts (hashTypeTryConversion
 * on the arguments of HSET/HMSET/HSETNX, hashTypeSet for HINCRBY* and past
 * hash-max-listpack-entries fields); like Redis, a hash never converts back.
 */
import { Heap } from '../../heap/heap.js';
import { REASON } from '../../keyspace/changes.js';
import { WrongTypeError, type Keyspace } from '../../keyspace/keyspace.js';
import { OBJ_HASH, O_ENC, O_VLEN, O_VREF } from '../../keyspace/object.js';
import { SETTING_SLOT } from '../../keyspace/settings.js';
import { registerValueType, type RdbElementBuilder, type ValueType } from '../../keyspace/valuetypes.js';
import { Dash } from '../../structs/dash.js';
import { hashBytes } from '../../structs/hash.js';
import { lpAppend, lpCheck, lpData, lpDelete, lpFind, lpFirst, lpFromItems, lpLen, lpNew, lpNext, lpPeekPair, lpReplace, lpUsed } from '../../structs/listpack.js';
import { Digest } from '../../keyspace/digest.js';
import { RdbError } from '../../rdb/value.js';
import { hashFromRdb, hashToRdb } from './rdb.js';
import { hashRdbStream } from './stream.js';

/** Redis's OBJ_ENCODING_HT and OBJ_ENCODING_LISTPACK codes. */
export const ENC_HT = 2;
export const ENC_LISTPACK = 11;

const SLOT_ENTRIES = SETTING_SLOT['hash-max-listpack-entries']!;
const SLOT_VALUE = SETTING_SLOT['hash-max-listpack-value']!;

// field chunk layout (exported for the streaming serialiser, src/types/hash/stream.ts)
export const F_FLEN = 0;
export const F_VLEN = 4;
export const F_DATA = 8;

// ---------------------------------------------------------------- basics

export function hashLength(ks: Keyspace, e: number): number {
  return ks.heap.dv.getUint32(e + O_VLEN, true);
}

function isListpack(ks: Keyspace, e: number): boolean {
  return ks.heap.mem.u8[e + O_ENC] === ENC_LISTPACK;
}

function vptr(ks: Keyspace, e: number): number {
  return Heap.deref(ks.heap.dv.getUint32(e + O_VREF, true));
}

function setValue(ks: Keyspace, e: number, len: number, p: number): void {
  const dv = ks.heap.dv;
  ks.heap.log(e + O_VLEN, 8);
  dv.setUint32(e + O_VLEN, len, true);
  dv.setUint32(e + O_VREF, Heap.ref(p), true);
}

/** hash-max-listpack-entries */
export function maxEntries(ks: Keyspace): number {
  return ks.settings.slot(SLOT_ENTRIES);
}

/** hash-max-listpack-value */
export function maxValue(ks: Keyspace): number {
  return ks.settings.slot(SLOT_VALUE);
}

// equality probe for the Dash of fields (no closure per lookup)
let probeHeap: Heap | null = null;
let probeBuf: Uint8Array = new Uint8Array(0);
let probeStart = 0;
let probeLen = 0;
const eqField = (ref: number): boolean => {
  const heap = probeHeap!;
  const c = Heap.deref(ref);
  return heap.dv.getUint32(c + F_FLEN, true) === probeLen && heap.mem.equals(c + F_DATA, probeBuf, probeStart, probeLen);
};

function setProbe(heap: Heap, buf: Uint8Array, start: number, len: number): number {
  probeHeap = heap;
  probeBuf = buf;
  probeStart = start;
  probeLen = len;
  return hashBytes(buf, start, len);
}

/**
 * The Dash of the hashtable at t for the hot per-field paths (find, set, delete): the last
 * one made is kept, since a Dash holds nothing but its heap and table offset (and the
 * fresh flag, never set here), rather than one allocation per HSET/HGET. If Dash ever
 * caches table state in the object, this must go.
 */
let lastDash: Dash | null = null;
let lastDashHeap: Heap | null = null;
function dashAt(heap: Heap, t: number): Dash {
  const d = lastDash;
  if (d !== null && d.table === t && lastDashHeap === heap) return d;
  lastDashHeap = heap;
  return (lastDash = new Dash(heap, t));
}

/** The chunk ref of a field in a hashtable-encoded hash, or 0. */
function findCell(ks: Keyspace, e: number, field: Uint8Array): number {
  const h = setProbe(ks.heap, field, 0, field.length);
  const r = dashAt(ks.heap, vptr(ks, e)).find(h, eqField);
  probeBuf = EMPTY;
  return r;
}
const EMPTY = new Uint8Array(0);

function newCell(heap: Heap, f: Uint8Array, fs: number, fl: number, v: Uint8Array, vs: number, vl: number): number {
  const c = heap.alloc(F_DATA + fl + vl);
  heap.dv.setUint32(c + F_FLEN, fl, true);
  heap.dv.setUint32(c + F_VLEN, vl, true);
  heap.mem.write(c + F_DATA, f, fs, fl);
  heap.mem.write(c + F_DATA + fl, v, vs, vl);
  return c;
}

/** Where a value (or field) lives: offset and length, filled by the lookups below. */
export interface Span {
  off: number;
  len: number;
}

// ---------------------------------------------------------------- lookups

/** The entry of a hash key, 0 when absent; WRONGTYPE for another type. */
export function findHash(ks: Keyspace, db: number, key: Uint8Array, read = false): number {
  const e = read ? ks.lookupRead(db, key) : ks.lookupWrite(db, key);
  if (e !== 0 && ks.type(e) !== OBJ_HASH) throw new WrongTypeError();
  return e;
}

/** Redis's hashTypeLookupWriteOrCreate: the hash's entry, a new empty (listpack) one when absent. */
export function lookupWriteOrCreate(ks: Keyspace, db: number, key: Uint8Array): number {
  const e = findHash(ks, db, key);
  return e !== 0 ? e : createHash(ks, db, key);
}

/** A new, empty (listpack) hash under `key`, which must be absent. */
export function createHash(ks: Keyspace, db: number, key: Uint8Array): number {
  const ne = ks.newEntry(OBJ_HASH, ENC_LISTPACK, key, 0, key.length, 0);
  ks.heap.dv.setUint32(ne + O_VREF, Heap.ref(lpNew(ks.heap, 32)), true);
  ks.addEntry(db, ne, REASON.added);
  return ne;
}

/** The value of `field` into `out` (true), or false when the field is absent. */
export function getValue(ks: Keyspace, e: number, field: Uint8Array, out: Span): boolean {
  const heap = ks.heap;
  if (isListpack(ks, e)) {
    const p = vptr(ks, e);
    const at = lpFind(heap, p, field, 0, field.length, -1, 1);
    if (at === 0) return false;
    const v = lpNext(heap, p, at);
    out.off = lpData(heap, v);
    out.len = lpLen(heap, v);
    return true;
  }
  const r = findCell(ks, e, field);
  if (r === 0) return false;
  const c = Heap.deref(r);
  const fl = heap.dv.getUint32(c + F_FLEN, true);
  out.off = c + F_DATA + fl;
  out.len = heap.dv.getUint32(c + F_VLEN, true);
  return true;
}

/**
 * getValue() for a reader without the lock (src/keyspace/peek.ts): every offset checked
 * against the read's bounds first. True with the value's span in `out`, false when the
 * field is absent, -1 when the read must be given up.
 */
export function peekValue(ks: Keyspace, e: number, field: Uint8Array, floor: number, limit: number, out: Span): boolean | -1 {
  const heap = ks.heap;
  const p = vptr(ks, e);
  if (isListpack(ks, e)) {
    const v = lpPeekPair(heap, p, field, floor, limit);
    if (v <= 0) return v === 0 ? false : -1;
    out.off = lpData(heap, v);
    out.len = lpLen(heap, v);
    return true;
  }
  if (ks.heap.mem.u8[e + O_ENC] !== ENC_HT) return -1;
  const dv = heap.dv;
  const n = field.length;
  const r = new Dash(heap, p).peek(
    hashBytes(field, 0, n),
    (ref) => {
      const c = Heap.deref(ref);
      if (c < floor || c + F_DATA > limit) return -1;
      if (dv.getUint32(c + F_FLEN, true) !== n) return 0;
      if (c + F_DATA + n > limit) return -1;
      return heap.mem.equals(c + F_DATA, field, 0, n) ? 1 : 0;
    },
    floor,
    limit,
  );
  if (r <= 0) return r === 0 ? false : -1;
  const c = Heap.deref(r);
  out.off = c + F_DATA + dv.getUint32(c + F_FLEN, true);
  out.len = dv.getUint32(c + F_VLEN, true);
  return true;
}

/** A copy of a field's value, or null. */
export function getValueCopy(ks: Keyspace, e: number, field: Uint8Array): Buffer | null {
  const s: Span = { off: 0, len: 0 };
  if (!getValue(ks, e, field, s)) return null;
  const b = Buffer.allocUnsafe(s.len);
  ks.heap.mem.read(s.off, s.len, b);
  return b;
}

/** Call fn for each (field, value) in the hash's order (fn must not change the hash). */
export function forEachPair(ks: Keyspace, e: number, fn: (foff: number, flen: number, voff: number, vlen: number) => void): void {
  const heap = ks.heap;
  if (isListpack(ks, e)) {
    const p = vptr(ks, e);
    for (let at = lpFirst(heap, p); at !== 0; ) {
      const v = lpNext(heap, p, at);
      fn(lpData(heap, at), lpLen(heap, at), lpData(heap, v!), lpLen(heap, v!));
      at = lpNext(heap, p, v);
    }
    return;
  }
  const dv = heap.dv;
  new Dash(heap, vptr(ks, e)).forEach((r) => {
    const c = Heap.deref(r);
    const fl = dv.getUint32(c + F_FLEN, true);
    fn(c + F_DATA, fl, c + F_DATA + fl, dv.getUint32(c + F_VLEN, true));
  });
}

/** Pairs (field offset, length, value offset, length) of a listpack hash, by position. */
function lpPairs(ks: Keyspace, e: number): number[] {
  const out: number[] = [];
  forEachPair(ks, e, (a, b, c, d) => out.push(a, b, c, d));
  return out;
}

/**
 * `n` random pairs, with repetitions (HRANDFIELD with a negative count): offsets and
 * lengths, 4 numbers per pick.
 */
export function randomPairs(ks: Keyspace, e: number, n: number, rand: () => number): number[] {
  const out: number[] = [];
  const dv = ks.heap.dv;
  if (isListpack(ks, e)) {
    const all = lpPairs(ks, e);
    const size = all.length / 4;
    for (let i = 0; i < n; i++) {
      const k = Math.floor(rand() * size) * 4;
      out.push(all[k]!, all[k + 1]!, all[k + 2]!, all[k + 3]!);
    }
    return out;
  }
  const d = new Dash(ks.heap, vptr(ks, e));
  for (let i = 0; i < n; i++) {
    const c = Heap.deref(d.fairRandomRef(rand));
    const fl = dv.getUint32(c + F_FLEN, true);
    out.push(c + F_DATA, fl, c + F_DATA + fl, dv.getUint32(c + F_VLEN, true));
  }
  return out;
}

/** `n` distinct random pairs (n < size): Redis's CASE 3/4 of HRANDFIELD. */
export function randomUniquePairs(ks: Keyspace, e: number, n: number, rand: () => number): number[] {
  const size = hashLength(ks, e);
  const out: number[] = [];
  if (isListpack(ks, e) || n * 3 > size) {
    // selection sampling over the pairs in order (lpRandomPairsUnique); for a hashtable,
    // CASE 3 (a copy minus random elements) gives the same distribution
    const all = lpPairs(ks, e);
    let need = n;
    for (let i = 0; i < size && need > 0; i++) {
      if (rand() * (size - i) < need) {
        out.push(all[i * 4]!, all[i * 4 + 1]!, all[i * 4 + 2]!, all[i * 4 + 3]!);
        need--;
      }
    }
    return out;
  }
  const dv = ks.heap.dv;
  const d = new Dash(ks.heap, vptr(ks, e));
  const seen = new Set<number>();
  while (seen.size < n) {
    const r = d.fairRandomRef(rand);
    if (seen.has(r)) continue;
    seen.add(r);
    const c = Heap.deref(r);
    const fl = dv.getUint32(c + F_FLEN, true);
    out.push(c + F_DATA, fl, c + F_DATA + fl, dv.getUint32(c + F_VLEN, true));
  }
  return out;
}

/**
 * HSCAN: pairs (field off, len, value off, len) from `cursor`, about `count` fields;
 * returns the next cursor. A listpack hash is returned whole with cursor 0 (as Redis).
 */
export function scanPairs(ks: Keyspace, e: number, cursor: number, count: number, out: number[]): number {
  if (isListpack(ks, e)) {
    forEachPair(ks, e, (a, b, c, d) => out.push(a, b, c, d));
    return 0;
  }
  const dv = ks.heap.dv;
  const refs: number[] = [];
  const next = new Dash(ks.heap, vptr(ks, e)).scan(cursor, count, refs);
  for (const r of refs) {
    const c = Heap.deref(r);
    const fl = dv.getUint32(c + F_FLEN, true);
    out.push(c + F_DATA, fl, c + F_DATA + fl, dv.getUint32(c + F_VLEN, true));
  }
  return next;
}

// ---------------------------------------------------------------- changes

/** Convert a listpack hash to a hashtable (hashTypeConvertListpack). */
export function convertToHashtable(ks: Keyspace, e: number): void {
  if (!isListpack(ks, e)) return;
  const heap = ks.heap;
  const p = vptr(ks, e);
  const t = Dash.create(heap);
  // (made in this operation, nothing older points into it: filled without undo records)
  const d = new Dash(heap, t, true);
  const u8 = heap.mem.u8;
  let n = 0;
  forEachPair(ks, e, (foff, flen, voff, vlen) => {
    const f = heap.mem.view(foff, flen);
    const v = heap.mem.view(voff, vlen);
    const h = hashBytes(f, 0, flen);
    d.insert(h, Heap.ref(newCell(heap, f, 0, flen, v, 0, vlen)));
    n++;
  });
  heap.free(p);
  heap.log(e + O_ENC, 1);
  u8[e + O_ENC] = ENC_HT;
  setValue(ks, e, n, t);
}

/**
 * A new, unlinked hash entry of fields[i] → values[i] (a hash loaded from RDB): one
 * listpack in the given order when `listpack`, else a hashtable built in fresh chunks
 * (nothing undo-logged, however many fields). Returns 0, having freed what it built, when
 * a field is there twice (Redis refuses such a value).
 */
export function loadHashEntry(ks: Keyspace, key: Uint8Array, fields: readonly Uint8Array[], values: readonly Uint8Array[], listpack: boolean): number {
  const heap = ks.heap;
  const n = fields.length;
  let ref: number;
  if (listpack) {
    const seen = new Set<string>();
    const flat: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const f = fields[i]!;
      seen.add(Buffer.from(f.buffer, f.byteOffset, f.length).toString('latin1'));
      flat.push(f, values[i]!);
    }
    if (seen.size !== n) return 0;
    ref = Heap.ref(lpFromItems(heap, flat));
  } else {
    const b = freshTable(heap);
    for (let i = 0; i < n; i++) if (!b.add(fields[i]!, values[i]!)) return 0;
    ref = Heap.ref(b.table);
  }
  const e = ks.newEntry(OBJ_HASH, listpack ? ENC_LISTPACK : ENC_HT, key, 0, key.length, 0);
  heap.dv.setUint32(e + O_VLEN, n, true);
  heap.dv.setUint32(e + O_VREF, ref, true);
  return e;
}

/**
 * A hashtable (Dash) filled in this operation with cells in fresh chunks, nothing
 * undo-logged (a hash loaded or restored). add() answers false for a field given twice,
 * having freed what was built.
 */
function freshTable(heap: Heap): { table: number; add(f: Uint8Array, v: Uint8Array): boolean } {
  const table = Dash.create(heap);
  const d = new Dash(heap, table, true);
  return {
    table,
    add(f, v) {
      const h = setProbe(heap, f, 0, f.length);
      const dup = d.find(h, eqField) !== 0;
      probeBuf = EMPTY;
      if (dup) {
        d.forEach((r) => heap.free(Heap.deref(r)));
        d.destroy();
        return false;
      }
      d.insert(h, Heap.ref(newCell(heap, f, 0, f.length, v, 0, v.length)));
      return true;
    },
  };
}

/**
 * A hash of `count` pairs loaded a pair at a time (a big hash streamed from an RDB file),
 * when its count alone says it is a hashtable (more than hash-max-listpack-entries); null
 * otherwise. A field given twice throws RdbError after freeing what was built.
 */
export function hashPairBuilder(ks: Keyspace, count: number): RdbElementBuilder | null {
  if (count <= maxEntries(ks)) return null;
  const heap = ks.heap;
  const b = freshTable(heap);
  let n = 0;
  return {
    element(f, v) {
      if (v === null) throw new RdbError('a hash field without its value');
      if (!b.add(f, v)) throw new RdbError('a hash field is there twice');
      n++;
    },
    finish(key) {
      const e = ks.newEntry(OBJ_HASH, ENC_HT, key, 0, key.length, 0);
      heap.dv.setUint32(e + O_VLEN, n, true);
      heap.dv.setUint32(e + O_VREF, Heap.ref(b.table), true);
      return e;
    },
  };
}

/** Whether hash entry e is listpack-encoded. */
export function hashIsListpack(ks: Keyspace, e: number): boolean {
  return isListpack(ks, e);
}

/** hashTypeTryConversion: any of argv[start..end] longer than hash-max-listpack-value converts. */
export function tryConversion(ks: Keyspace, e: number, argv: Uint8Array[], start: number, end: number): void {
  if (!isListpack(ks, e)) return;
  const max = maxValue(ks);
  for (let i = start; i <= end; i++) {
    if (argv[i]!.length > max) {
      convertToHashtable(ks, e);
      return;
    }
  }
}

/**
 * hashTypeSet: set field to value; returns true when the field was updated, false when
 * added. Converts when the field or value is too long for a listpack, or when the listpack
 * grows past hash-max-listpack-entries fields.
 */
export function setField(ks: Keyspace, e: number, field: Uint8Array, value: Uint8Array, vstart = 0, vlen = value.length - vstart): boolean {
  const heap = ks.heap;
  if (isListpack(ks, e)) {
    const max = maxValue(ks);
    if (field.length > max || vlen > max) convertToHashtable(ks, e);
  }
  if (isListpack(ks, e)) {
    const p = vptr(ks, e);
    const at = lpFind(heap, p, field, 0, field.length, -1, 1);
    const n = hashLength(ks, e);
    if (at !== 0) {
      const [q] = lpReplace(heap, p, lpNext(heap, p, at), value, vstart, vlen);
      if (q !== p) setValue(ks, e, n, q);
      return true;
    }
    let q = lpAppend(heap, p, field);
    q = lpAppend(heap, q, value, vstart, vlen);
    setValue(ks, e, n + 1, q);
    if (n + 1 > maxEntries(ks)) convertToHashtable(ks, e);
    return false;
  }
  const dv = heap.dv;
  const t = vptr(ks, e);
  const d = dashAt(heap, t);
  const h = setProbe(heap, field, 0, field.length);
  const r = d.find(h, eqField);
  probeBuf = EMPTY;
  if (r !== 0) {
    const c = Heap.deref(r);
    const fl = dv.getUint32(c + F_FLEN, true);
    const old = dv.getUint32(c + F_VLEN, true);
    if (F_DATA + fl + vlen <= heap.usable(c)) {
      heap.log(c + F_VLEN, 4);
      heap.log(c + F_DATA + fl, Math.max(old, vlen));
      dv.setUint32(c + F_VLEN, vlen, true);
      heap.mem.write(c + F_DATA + fl, value, vstart, vlen);
      return true;
    }
    const nc = newCell(heap, field, 0, field.length, value, vstart, vlen);
    d.replace(h, r, Heap.ref(nc));
    heap.free(c);
    return true;
  }
  const nc = newCell(heap, field, 0, field.length, value, vstart, vlen);
  d.insert(h, Heap.ref(nc));
  setValue(ks, e, hashLength(ks, e) + 1, t);
  return false;
}

/** hashTypeDelete: whether the field was there (the caller deletes an emptied key). */
export function deleteField(ks: Keyspace, e: number, field: Uint8Array): boolean {
  const heap = ks.heap;
  const n = hashLength(ks, e);
  const p = vptr(ks, e);
  if (isListpack(ks, e)) {
    const at = lpFind(heap, p, field, 0, field.length, -1, 1);
    if (at === 0) return false;
    lpDelete(heap, p, at, 2);
    setValue(ks, e, n - 1, p);
    return true;
  }
  const d = dashAt(heap, p);
  const h = setProbe(heap, field, 0, field.length);
  const r = d.find(h, eqField);
  probeBuf = EMPTY;
  if (r === 0) return false;
  d.remove(h, r);
  heap.free(Heap.deref(r));
  setValue(ks, e, n - 1, p);
  return true;
}

// ---------------------------------------------------------------- the type's registration

function rdbLenBytes(n: number): number {
  return n < 64 ? 1 : n < 16384 ? 2 : n <= 0xffffffff ? 5 : 9;
}

/** Redis's LAZYFREE_THRESHOLD: values with more elements than this are freed lazily. */
const LAZYFREE_THRESHOLD = 64;

export const hashType: ValueType = {
  type: OBJ_HASH,
  name: 'hash',
  inlineBytes() {
    return 0;
  },
  free(ks, e) {
    const heap = ks.heap;
    const p = vptr(ks, e);
    if (p === 0) return;
    if (isListpack(ks, e)) {
      heap.free(p);
      return;
    }
    const d = new Dash(heap, p);
    d.forEach((r) => heap.free(Heap.deref(r)));
    d.destroy();
  },
  // a hashtable of more than LAZYFREE_THRESHOLD fields is freed a slice at a time once its key is gone
  lazyHandle(ks, e) {
    return isListpack(ks, e) || hashLength(ks, e) <= LAZYFREE_THRESHOLD ? 0 : Heap.ref(vptr(ks, e));
  },
  freeStep(ks, handle, budget) {
    return new Dash(ks.heap, Heap.deref(handle)).freeSome(budget) ? 0 : handle;
  },
  lazyChunks(ks, handle, mark) {
    new Dash(ks.heap, Heap.deref(handle)).markOwned(mark, 'lazily freed hash');
  },
  copy(ks, from, to) {
    const heap = ks.heap;
    const p = vptr(ks, from);
    if (isListpack(ks, from)) {
      const used = lpUsed(heap, p);
      const q = heap.alloc(used);
      heap.mem.copy(q, p, used);
      heap.dv.setUint32(to + O_VREF, Heap.ref(q), true);
      return;
    }
    const t = Dash.create(heap);
    const d = new Dash(heap, t, true);
    const dv = heap.dv;
    new Dash(heap, p).forEach((r, h) => {
      const c = Heap.deref(r);
      const size = F_DATA + dv.getUint32(c + F_FLEN, true) + dv.getUint32(c + F_VLEN, true);
      const nc = heap.alloc(size);
      heap.mem.copy(nc, c, size);
      d.insert(h, Heap.ref(nc));
    });
    heap.dv.setUint32(to + O_VREF, Heap.ref(t), true);
  },
  encoding(ks, e) {
    return isListpack(ks, e) ? 'listpack' : 'hashtable';
  },
  chunks(ks, e, mark, errors) {
    const heap = ks.heap;
    const p = vptr(ks, e);
    const n = hashLength(ks, e);
    if (isListpack(ks, e)) {
      mark(p, 'hash listpack');
      const c = lpCheck(heap, p, errors, 'hash listpack');
      if (c >= 0 && c !== n * 2) errors.push(`hash at ${e}: ${n} fields but its listpack holds ${c} entries`);
      return;
    }
    const d = new Dash(heap, p);
    mark(p, 'hash table');
    d.forEachChunk((q) => mark(q, 'hash table chunk'));
    const got = d.check(errors);
    if (got !== n) errors.push(`hash at ${e}: ${n} fields but its table holds ${got}`);
    const dv = heap.dv;
    d.forEach((r, h) => {
      const c = Heap.deref(r);
      mark(c, 'hash field');
      const fl = dv.getUint32(c + F_FLEN, true);
      if (F_DATA + fl + dv.getUint32(c + F_VLEN, true) > heap.usable(c)) errors.push(`hash field at ${c}: lengths run past its chunk`);
      else if (hashBytes(heap.mem.view(c + F_DATA, fl), 0, fl) !== h) errors.push(`hash field at ${c}: stored under the wrong hash`);
    });
  },
  outsideBytes(ks, e) {
    const heap = ks.heap;
    const p = vptr(ks, e);
    if (isListpack(ks, e)) return heap.usable(p) + 8;
    let n = heap.usable(p) + 8;
    const d = new Dash(heap, p);
    d.forEachChunk((q) => (n += heap.usable(q) + 8));
    d.forEach((r) => (n += heap.usable(Heap.deref(r)) + 8));
    return n;
  },
  digest(ks, e, d) {
    const heap = ks.heap;
    forEachPair(ks, e, (foff, flen, voff, vlen) => {
      const el = new Digest();
      el.mix(heap.mem.view(foff, flen));
      el.mix(heap.mem.view(voff, vlen));
      d.xor(el.bytes);
    });
  },
  toRdb: hashToRdb,
  rdbStream: hashRdbStream,
  fromRdb: hashFromRdb,
  fromRdbElements: hashPairBuilder,
  serializedLength(ks, e) {
    if (isListpack(ks, e)) {
      // the listpack saved as one string (Redis: header 6 bytes, entries, end byte)
      const b = lpUsed(ks.heap, vptr(ks, e)) - 8 + 7;
      return rdbLenBytes(b) + b;
    }
    let n = rdbLenBytes(hashLength(ks, e));
    forEachPair(ks, e, (_a, flen, _b, vlen) => {
      n += rdbLenBytes(flen) + flen + rdbLenBytes(vlen) + vlen;
    });
    return n;
  },
};

registerValueType(hashType);
