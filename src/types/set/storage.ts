/**
 * Set values in the keyspace (Redis 7.0's t_set.c data side): how a set is stored and the
 * operations the set commands build on. Every change goes through the keyspace's seam.
 *
 * Encodings, as Redis 7.0 has them (OBJECT ENCODING):
 * - `intset` (ENC_INTSET): every member is an integer (Redis's string2ll form) and there
 *   are at most `set-max-intset-entries` of them: one chunk, src/structs/intset.ts.
 * - `hashtable`: anything else, for good (never converted back, as Redis), in one of two
 *   forms OBJECT ENCODING does not tell apart (a hashtable's order is nobody's business):
 *   - ENC_HT_SMALL: up to SMALL_MAX_COUNT members taking up to SMALL_MAX_BYTES, in a
 *     listpack (src/structs/listpack.ts) in insertion order: a set of a few strings costs
 *     tens of bytes instead of a table segment's two kilobytes. Membership is a scan.
 *   - ENC_HT: a Dash (src/structs/dash.ts, it grows one segment at a time) of refs to
 *     member chunks (u32 length, then the bytes), hashed with the keyspace's hash
 *     (src/structs/hash.ts). A small form that outgrows its bounds becomes this one.
 * The entry's O_VLEN is the member count; O_VREF the intset, the listpack or the Dash table.
 * Adding or removing one member touches that member's chunk and slot only (an intset or a
 * small form shifts its tail: both are bounded).
 */
import { Heap } from '../../heap/heap.js';
import { Dash } from '../../structs/dash.js';
import { hashBytes } from '../../structs/hash.js';
import { LP_HDR, lpAppend, lpCheck, lpCount, lpData, lpDelete, lpFind, lpFirst, lpFromItems, lpGet, lpItems, lpLen, lpNew, lpNext, lpSeek, lpUsed, lpEntrySize } from '../../structs/listpack.js';
import { isAdd, isBlobLen, isCheck, isCopy, isCount, isFind, isFromValues, isGet, isNew, isRemove, isValues, type IntValue } from '../../structs/intset.js';
import { str2ll } from '../../protocol/numbers.js';
import { REASON } from '../../keyspace/changes.js';
import { WrongTypeError, type Keyspace } from '../../keyspace/keyspace.js';
import { OBJ_SET, O_ENC, O_VLEN, O_VREF } from '../../keyspace/object.js';
import { SETTING_SLOT } from '../../keyspace/settings.js';
import { registerValueType, type ValueType } from '../../keyspace/valuetypes.js';
import { setFromRdb, setMemberBuilder, setToRdb } from './rdb.js';
import { setRdbStream } from './stream.js';

/** Redis's OBJ_ENCODING_HT / OBJ_ENCODING_INTSET codes. */
export const ENC_HT = 2;
export const ENC_INTSET = 6;
/** Our own code: a small hashtable-encoded set kept in a listpack (reported as `hashtable`). */
export const ENC_HT_SMALL = 0x42;

/** Bounds of the small form: past either, the set moves to a Dash. */
export const SMALL_MAX_COUNT = 128;
export const SMALL_MAX_BYTES = 4096;
/** Dash sets of at least this many members are freed lazily (a slice per operation). */
export const LAZY_MIN_MEMBERS = 256;

const SLOT_MAX_INTSET = SETTING_SLOT['set-max-intset-entries']!;

export function maxIntsetEntries(ks: Keyspace): number {
  return ks.settings.slot(SLOT_MAX_INTSET);
}

/** A member as an intset value, or null when it is not an integer in Redis's canonical form. */
export function asInt(m: Uint8Array): IntValue | null {
  return str2ll(m, 0, m.length);
}

export function intText(v: IntValue): Buffer {
  return Buffer.from(String(v), 'latin1');
}

// ---------------------------------------------------------------- member chunks

function newMember(heap: Heap, m: Uint8Array): number {
  const p = heap.alloc(4 + m.length);
  heap.dv.setUint32(p, m.length, true);
  heap.mem.write(p + 4, m);
  return p;
}

function memberBuf(heap: Heap, p: number): Buffer {
  const len = heap.dv.getUint32(p, true);
  const out = Buffer.allocUnsafe(len);
  heap.mem.read(p + 4, len, out);
  return out;
}

function memberEq(heap: Heap, p: number, m: Uint8Array): boolean {
  return heap.dv.getUint32(p, true) === m.length && heap.mem.equals(p + 4, m, 0, m.length);
}

function dashOf(ks: Keyspace, e: number): Dash {
  return new Dash(ks.heap, ks.valueRef(e));
}

function findRef(ks: Keyspace, d: Dash, m: Uint8Array, h: number): number {
  const heap = ks.heap;
  return d.find(h, (r) => memberEq(heap, Heap.deref(r), m));
}

// ---------------------------------------------------------------- reading

export function setSize(ks: Keyspace, e: number): number {
  return ks.heap.dv.getUint32(e + O_VLEN, true);
}

export function setEncoding(ks: Keyspace, e: number): number {
  return ks.heap.mem.u8[e + O_ENC]!;
}

/** The entry of a set key, 0 when absent; WRONGTYPE for another type. */
export function findSet(ks: Keyspace, db: number, key: Uint8Array, read: boolean): number {
  const e = read ? ks.lookupRead(db, key) : ks.lookupWrite(db, key);
  if (e !== 0 && ks.type(e) !== OBJ_SET) throw new WrongTypeError();
  return e;
}

export function setIsMember(ks: Keyspace, e: number, m: Uint8Array): boolean {
  const enc = setEncoding(ks, e);
  if (enc === ENC_INTSET) {
    const v = asInt(m);
    return v !== null && isFind(ks.heap, ks.valueRef(e), v);
  }
  if (enc === ENC_HT_SMALL) return lpFind(ks.heap, ks.valueRef(e), m) !== 0;
  return findRef(ks, dashOf(ks, e), m, hashBytes(m, 0, m.length)) !== 0;
}

/** Every member, in iteration order (an intset's: ascending). */
export function setMembers(ks: Keyspace, e: number): Buffer[] {
  const heap = ks.heap;
  const enc = setEncoding(ks, e);
  if (enc === ENC_INTSET) return isValues(heap, ks.valueRef(e)).map(intText);
  if (enc === ENC_HT_SMALL) return lpItems(heap, ks.valueRef(e));
  const out: Buffer[] = [];
  dashOf(ks, e).forEach((r) => out.push(memberBuf(heap, Heap.deref(r))));
  return out;
}

/**
 * Call fn with a view of each member of a hashtable-encoded set (either form), in
 * iteration order; the views point into the heap (an intset has no member bytes).
 */
export function setForEachView(ks: Keyspace, e: number, fn: (m: Uint8Array) => void): void {
  const heap = ks.heap;
  const enc = setEncoding(ks, e);
  if (enc === ENC_INTSET) throw new Error('setForEachView: an intset has no member bytes');
  if (enc === ENC_HT_SMALL) {
    const p = ks.valueRef(e);
    for (let at = lpFirst(heap, p); at !== 0; at = lpNext(heap, p, at)) fn(heap.mem.view(lpData(heap, at), lpLen(heap, at)));
    return;
  }
  dashOf(ks, e).forEach((r) => {
    const p = Heap.deref(r);
    fn(heap.mem.view(p + 4, heap.dv.getUint32(p, true)));
  });
}

/** Call fn for each member until it returns false. */
export function setForEachUntil(ks: Keyspace, e: number, fn: (m: Buffer) => boolean): void {
  const heap = ks.heap;
  const enc = setEncoding(ks, e);
  if (enc === ENC_INTSET) {
    const p = ks.valueRef(e);
    const n = isCount(heap, p);
    for (let i = 0; i < n; i++) if (!fn(intText(isGet(heap, p, i)))) return;
    return;
  }
  if (enc === ENC_HT_SMALL) {
    const p = ks.valueRef(e);
    for (let at = lpFirst(heap, p); at !== 0; at = lpNext(heap, p, at)) if (!fn(lpGet(heap, at))) return;
    return;
  }
  dashOf(ks, e).forEachUntil((r) => fn(memberBuf(heap, Heap.deref(r))));
}

/** A random member of a non-empty set. */
export function setRandom(ks: Keyspace, e: number): Buffer {
  const heap = ks.heap;
  const enc = setEncoding(ks, e);
  if (enc === ENC_INTSET) {
    const p = ks.valueRef(e);
    return intText(isGet(heap, p, Math.floor(Math.random() * isCount(heap, p))));
  }
  if (enc === ENC_HT_SMALL) {
    const p = ks.valueRef(e);
    return lpGet(heap, lpSeek(heap, p, Math.floor(Math.random() * lpCount(heap, p))));
  }
  return memberBuf(heap, Heap.deref(dashOf(ks, e).fairRandomRef(Math.random)));
}

/**
 * SSCAN over a hashtable set: members with hash >= cursor, about `count` of them; returns
 * the next cursor (0 at the end; a negative cursor is past the end). An intset is returned
 * whole (cursor 0) whatever the cursor, as Redis; so is the small form (a whole small table
 * in one reply is what Redis's dictScan gives too).
 */
export function setScan(ks: Keyspace, e: number, cursor: number, count: number, out: Buffer[]): number {
  if (setEncoding(ks, e) !== ENC_HT) {
    for (const m of setMembers(ks, e)) out.push(m);
    return 0;
  }
  if (cursor < 0) return 0;
  const refs: number[] = [];
  const next = dashOf(ks, e).scan(cursor, count, refs);
  for (const r of refs) out.push(memberBuf(ks.heap, Heap.deref(r)));
  return next;
}

// ---------------------------------------------------------------- writing

function writeHeader(ks: Keyspace, e: number, count: number, ref: number): void {
  const heap = ks.heap;
  heap.log(e + O_VLEN, 8);
  heap.dv.setUint32(e + O_VLEN, count, true);
  heap.dv.setUint32(e + O_VREF, ref, true);
}

function setEnc(ks: Keyspace, e: number, enc: number): void {
  ks.heap.log(e + O_ENC, 1);
  ks.heap.mem.u8[e + O_ENC] = enc;
}

/** Whether members of these sizes fit the small form. */
function fitsSmall(count: number, bytes: number): boolean {
  return count <= SMALL_MAX_COUNT && bytes <= SMALL_MAX_BYTES;
}

/** A Dash holding the members (new member chunks), built fresh: nothing undo-logged. */
function dashFrom(heap: Heap, members: Uint8Array[]): number {
  const t = Dash.create(heap);
  // (made in this operation, nothing older points into it: a rollback frees it whole)
  const d = new Dash(heap, t, true);
  for (const m of members) d.insert(hashBytes(m, 0, m.length), Heap.ref(newMember(heap, m)));
  return t;
}

/** Convert an intset set to a hashtable (setTypeConvert): the small form when it fits. */
function convertToHt(ks: Keyspace, e: number): void {
  const heap = ks.heap;
  const p = ks.valueRef(e);
  const members = isValues(heap, p).map(intText);
  let bytes = LP_HDR;
  for (const m of members) bytes += lpEntrySize(m.length);
  const small = fitsSmall(members.length, bytes);
  const ref = small ? lpFromItems(heap, members) : dashFrom(heap, members);
  heap.free(p);
  setEnc(ks, e, small ? ENC_HT_SMALL : ENC_HT);
  writeHeader(ks, e, setSize(ks, e), Heap.ref(ref));
}

/** Move a small-form set to a Dash. */
function smallToDash(ks: Keyspace, e: number): void {
  const heap = ks.heap;
  const p = ks.valueRef(e);
  const t = dashFrom(heap, lpItems(heap, p));
  heap.free(p);
  setEnc(ks, e, ENC_HT);
  writeHeader(ks, e, setSize(ks, e), Heap.ref(t));
}

/**
 * Add a member to the set of entry e (setTypeAdd): whether it was new. Converts an
 * intset to a hashtable for a non-integer member or past set-max-intset-entries. The
 * caller signals the change (ks.modified) once per command.
 */
export function setAdd(ks: Keyspace, e: number, m: Uint8Array): boolean {
  const heap = ks.heap;
  if (setEncoding(ks, e) === ENC_INTSET) {
    const v = asInt(m);
    if (v !== null) {
      const p = ks.valueRef(e);
      const q = isAdd(heap, p, v);
      if (q === 0) return false;
      const n = setSize(ks, e) + 1;
      writeHeader(ks, e, n, Heap.ref(q));
      if (n > maxIntsetEntries(ks)) convertToHt(ks, e);
      return true;
    }
    convertToHt(ks, e);
  }
  if (setEncoding(ks, e) === ENC_HT_SMALL) {
    const p = ks.valueRef(e);
    if (lpFind(heap, p, m) !== 0) return false;
    const q = lpAppend(heap, p, m);
    const n = setSize(ks, e) + 1;
    writeHeader(ks, e, n, Heap.ref(q));
    if (!fitsSmall(n, lpUsed(heap, q))) smallToDash(ks, e);
    return true;
  }
  const d = dashOf(ks, e);
  const h = hashBytes(m, 0, m.length);
  if (findRef(ks, d, m, h) !== 0) return false;
  d.insert(h, Heap.ref(newMember(heap, m)));
  writeHeader(ks, e, setSize(ks, e) + 1, heap.dv.getUint32(e + O_VREF, true));
  return true;
}

/** Remove a member (setTypeRemove): whether it was there. The caller deletes an emptied key. */
export function setRemove(ks: Keyspace, e: number, m: Uint8Array): boolean {
  const heap = ks.heap;
  const enc = setEncoding(ks, e);
  if (enc === ENC_INTSET) {
    const v = asInt(m);
    if (v === null || !isRemove(heap, ks.valueRef(e), v)) return false;
  } else if (enc === ENC_HT_SMALL) {
    const p = ks.valueRef(e);
    const at = lpFind(heap, p, m);
    if (at === 0) return false;
    lpDelete(heap, p, at);
  } else {
    const d = dashOf(ks, e);
    const h = hashBytes(m, 0, m.length);
    const r = findRef(ks, d, m, h);
    if (r === 0) return false;
    d.remove(h, r);
    heap.free(Heap.deref(r));
  }
  writeHeader(ks, e, setSize(ks, e) - 1, heap.dv.getUint32(e + O_VREF, true));
  return true;
}

/**
 * A new, unlinked set entry holding `members` (distinct), encoded as Redis would encode a
 * set built by adding them one at a time to setTypeCreate(first)'s set (or to an empty
 * intset, as the *STORE commands do): intset when all are integers and they fit, else hashtable.
 */
export function newSetEntry(ks: Keyspace, key: Uint8Array, members: Uint8Array[]): number {
  const heap = ks.heap;
  let ints: IntValue[] | null = members.length <= maxIntsetEntries(ks) ? [] : null;
  if (ints !== null) {
    for (const m of members) {
      const v = asInt(m);
      if (v === null) {
        ints = null;
        break;
      }
      ints.push(v);
    }
  }
  let enc = ENC_INTSET;
  let ref: number;
  if (ints !== null) ref = Heap.ref(ints.length === 0 ? isNew(heap) : isFromValues(heap, ints));
  else {
    let bytes = LP_HDR;
    for (const m of members) bytes += lpEntrySize(m.length);
    enc = fitsSmall(members.length, bytes) ? ENC_HT_SMALL : ENC_HT;
    ref = Heap.ref(enc === ENC_HT_SMALL ? lpFromItems(heap, members) : dashFrom(heap, members));
  }
  const e = ks.newEntry(OBJ_SET, enc, key, 0, key.length, 0);
  heap.dv.setUint32(e + O_VLEN, members.length, true);
  heap.dv.setUint32(e + O_VREF, ref, true);
  return e;
}

/**
 * A hashtable-encoded (Dash) set built a member at a time in fresh chunks, nothing
 * undo-logged (a big set streamed from an RDB file). add() answers false for a member
 * given twice, having freed what was built; finish() makes the entry (not linked).
 */
export function tableSetBuilder(ks: Keyspace): { table: number; add(m: Uint8Array): boolean; finish(key: Uint8Array): number } {
  const heap = ks.heap;
  const t = Dash.create(heap);
  const d = new Dash(heap, t, true);
  let n = 0;
  return {
    /** the table's ref */
    table: Heap.ref(t),
    add(m) {
      const h = hashBytes(m, 0, m.length);
      if (findRef(ks, d, m, h) !== 0) {
        destroyDash(heap, d);
        return false;
      }
      d.insert(h, Heap.ref(newMember(heap, m)));
      n++;
      return true;
    },
    finish(key) {
      const e = ks.newEntry(OBJ_SET, ENC_HT, key, 0, key.length, 0);
      heap.dv.setUint32(e + O_VLEN, n, true);
      heap.dv.setUint32(e + O_VREF, Heap.ref(t), true);
      return e;
    },
  };
}

/** Free a Dash of member chunks built in this operation (a load that failed half-way). */
function destroyDash(heap: Heap, d: Dash): void {
  d.forEach((r) => heap.free(Heap.deref(r)));
  d.destroy();
}

/**
 * A new, unlinked set entry holding `members` (a set loaded from RDB): an intset of
 * `ints` (the members as integers, any order) when given, else a hashtable — the small
 * form when it fits, a Dash built in fresh chunks (nothing undo-logged) beyond. Returns 0,
 * having freed what it built, when a member is there twice (Redis refuses such a value).
 */
export function loadSetEntry(ks: Keyspace, key: Uint8Array, members: readonly Uint8Array[], ints: IntValue[] | null): number {
  const heap = ks.heap;
  let enc: number;
  let ref: number;
  if (ints !== null) {
    const sorted = ints.slice().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) return 0;
    enc = ENC_INTSET;
    ref = Heap.ref(isFromValues(heap, sorted));
  } else {
    let bytes = LP_HDR;
    for (const m of members) bytes += lpEntrySize(m.length);
    if (fitsSmall(members.length, bytes)) {
      const seen = new Set<string>();
      for (const m of members) seen.add(Buffer.from(m.buffer, m.byteOffset, m.length).toString('latin1'));
      if (seen.size !== members.length) return 0;
      enc = ENC_HT_SMALL;
      ref = Heap.ref(lpFromItems(heap, members as Uint8Array[]));
    } else {
      const b = tableSetBuilder(ks);
      for (const m of members) if (!b.add(m)) return 0;
      enc = ENC_HT;
      ref = b.table;
    }
  }
  const e = ks.newEntry(OBJ_SET, enc, key, 0, key.length, 0);
  heap.dv.setUint32(e + O_VLEN, members.length, true);
  heap.dv.setUint32(e + O_VREF, ref, true);
  return e;
}

/**
 * A new, unlinked, empty set entry encoded for its first member (setTypeCreate): intset
 * when it is an integer, else hashtable. The caller adds the members, then links it.
 */
export function emptySetEntry(ks: Keyspace, key: Uint8Array, first: Uint8Array): number {
  const heap = ks.heap;
  const intset = asInt(first) !== null;
  const e = ks.newEntry(OBJ_SET, intset ? ENC_INTSET : ENC_HT_SMALL, key, 0, key.length, 0);
  heap.dv.setUint32(e + O_VREF, Heap.ref(intset ? isNew(heap) : lpNew(heap, 32)), true);
  return e;
}

/**
 * Store `members` (distinct) as the set at key, replacing whatever is there (and its TTL),
 * or delete the key when there are none (the *STORE commands). Returns the member count.
 */
export function storeSet(ks: Keyspace, db: number, key: Uint8Array, members: Uint8Array[]): number {
  const old = ks.lookupWrite(db, key);
  if (members.length === 0) {
    if (old !== 0) ks.removeEntry(db, old, REASON.deleted);
    return 0;
  }
  const e = newSetEntry(ks, key, members);
  if (old !== 0) ks.replaceEntry(db, old, e, REASON.overwritten);
  else ks.addEntry(db, e, REASON.added);
  return members.length;
}

/** Member chunks allocated together by storeTableMembers (heap.allocRun). */
const COPY_RUN = 1024;

/** Whether two member chunks hold the same bytes. */
function chunksEqual(heap: Heap, p: number, q: number): boolean {
  const len = heap.dv.getUint32(p, true);
  if (heap.dv.getUint32(q, true) !== len) return false;
  const mem = heap.mem;
  // (mem.equals reads its buffer argument from `start`: the mapping's own view only below its limit)
  return q + 4 + len <= mem.u8Limit ? mem.equals(p + 4, mem.u8, q + 4, len) : mem.equals(p + 4, mem.view(q + 4, len), 0, len);
}

/** Whether the hashtable set's table holds the member chunk p (whose hash is h). */
function tableHolds(heap: Heap, d: Dash, h: number, p: number): boolean {
  return d.find(h, (r) => chunksEqual(heap, Heap.deref(r), p)) !== 0;
}

export const SETOP_UNION = 0;
export const SETOP_DIFF = 1;
export const SETOP_INTER = 2;

/** A set operation's result as its members' (hash, chunk ref) pairs, taken from the source tables. */
export interface TableMembers {
  hashes: number[];
  refs: number[];
}

/**
 * SUNION / SDIFF / SINTER (op) of sets that are all in the Dash form, worked out from
 * the tables' own slots: each member's hash is in its slot and its chunk is compared with
 * others heap to heap, so no JS Buffer is made per member (those and their garbage
 * collection were two fifths of a SUNIONSTORE of two 1M-member sets). Union: a member of
 * the i-th set unless a set before it holds it; difference: the first set's members that
 * no other holds; intersection: the first set's members that every other holds, stopping
 * at `limit` (0: none). `sets` are entries (non-zero); null when one is in another form.
 */
export function tableSetOp(ks: Keyspace, sets: number[], op: number, limit = 0): TableMembers | null {
  const heap = ks.heap;
  for (const e of sets) if (setEncoding(ks, e) !== ENC_HT) return null;
  const tables = sets.map((e) => dashOf(ks, e));
  const hashes: number[] = [];
  const refs: number[] = [];
  if (op === SETOP_UNION) {
    for (let i = 0; i < tables.length; i++) {
      tables[i]!.forEach((r, h) => {
        const p = Heap.deref(r);
        for (let j = 0; j < i; j++) if (tableHolds(heap, tables[j]!, h, p)) return;
        hashes.push(h);
        refs.push(r);
      });
    }
  } else {
    const inter = op === SETOP_INTER;
    tables[0]!.forEachUntil((r, h) => {
      const p = Heap.deref(r);
      for (let j = 1; j < tables.length; j++) if (tableHolds(heap, tables[j]!, h, p) !== inter) return true;
      hashes.push(h);
      refs.push(r);
      return limit === 0 || refs.length < limit;
    });
  }
  return { hashes, refs };
}

/** The members of a tableSetOp result, as Buffers (a reply). */
export function tableMembersBufs(ks: Keyspace, m: TableMembers): Buffer[] {
  return m.refs.map((r) => memberBuf(ks.heap, Heap.deref(r)));
}

/**
 * Store a tableSetOp result as the set at key (the *STORE commands): when it is a
 * hashtable for sure, a fresh table of member chunks copied heap to heap; a result small
 * enough for an intset or the small form goes through storeSet, which picks as Redis.
 * Returns the member count.
 */
export function storeTableMembers(ks: Keyspace, db: number, key: Uint8Array, m: TableMembers): number {
  const heap = ks.heap;
  const { hashes, refs } = m;
  const n = refs.length;
  if (n <= SMALL_MAX_COUNT || n <= maxIntsetEntries(ks)) {
    // (Redis might encode it otherwise: newSetEntry decides)
    return storeSet(ks, db, key, tableMembersBufs(ks, m));
  }
  const old = ks.lookupWrite(db, key);
  const t = Dash.create(heap);
  // (made in this operation, nothing older points into it: a rollback frees it whole)
  const d = new Dash(heap, t, true);
  // the new member chunks side by side, a run of COPY_RUN at a time
  const sizes: number[] = [];
  const chunks: number[] = [];
  for (let at = 0; at < n; at += COPY_RUN) {
    const to = Math.min(n, at + COPY_RUN);
    sizes.length = 0;
    chunks.length = 0;
    for (let i = at; i < to; i++) sizes.push(4 + heap.dv.getUint32(Heap.deref(refs[i]!), true));
    heap.allocRun(sizes, 0, to - at, chunks);
    for (let i = at; i < to; i++) {
      const q = chunks[i - at]!;
      heap.mem.copy(q, Heap.deref(refs[i]!), sizes[i - at]!);
      d.insert(hashes[i]!, Heap.ref(q));
    }
  }
  const e = ks.newEntry(OBJ_SET, ENC_HT, key, 0, key.length, 0);
  heap.dv.setUint32(e + O_VLEN, n, true);
  heap.dv.setUint32(e + O_VREF, Heap.ref(t), true);
  if (old !== 0) ks.replaceEntry(db, old, e, REASON.overwritten);
  else ks.addEntry(db, e, REASON.added);
  return n;
}

// ---------------------------------------------------------------- the type's registration

function rdbLenBytes(n: number): number {
  return n < 64 ? 1 : n < 16384 ? 2 : n <= 0xffffffff ? 5 : 9;
}

function rdbStringLen(m: Buffer): number {
  if (m.length <= 11) {
    const v = asInt(m);
    if (typeof v === 'number') {
      if (v >= -128 && v <= 127) return 2;
      if (v >= -32768 && v <= 32767) return 3;
      if (v >= -2147483648 && v <= 2147483647) return 5;
    }
  }
  return rdbLenBytes(m.length) + m.length;
}

export const setType: ValueType = {
  type: OBJ_SET,
  name: 'set',
  inlineBytes() {
    return 0;
  },
  free(ks, e) {
    const heap = ks.heap;
    if (heap.dv.getUint32(e + O_VREF, true) === 0) return;
    if (setEncoding(ks, e) !== ENC_HT) {
      heap.free(ks.valueRef(e));
      return;
    }
    const d = dashOf(ks, e);
    d.forEach((r) => heap.free(Heap.deref(r)));
    d.destroy();
  },
  lazyHandle(ks, e) {
    // a big Dash set is freed a slice at a time (Redis's LAZYFREE_THRESHOLD is 64 elements;
    // here the Dash form starts past 128 anyway): its table is the handle
    if (setEncoding(ks, e) !== ENC_HT || setSize(ks, e) < LAZY_MIN_MEMBERS) return 0;
    return ks.heap.dv.getUint32(e + O_VREF, true);
  },
  freeStep(ks, handle, budget) {
    return new Dash(ks.heap, Heap.deref(handle)).freeSome(budget) ? 0 : handle;
  },
  lazyChunks(ks, handle, mark, errors) {
    const heap = ks.heap;
    const d = new Dash(heap, Heap.deref(handle));
    const what = 'set queued for lazy freeing';
    mark(d.table, `${what}: table`);
    d.forEachChunk((p) => mark(p, `${what}: table`));
    d.forEach((r) => mark(Heap.deref(r), `${what}: member`));
    d.check(errors);
  },
  copy(ks, from, to) {
    const heap = ks.heap;
    let ref: number;
    const enc = setEncoding(ks, from);
    if (enc === ENC_INTSET) ref = Heap.ref(isCopy(heap, ks.valueRef(from)));
    else if (enc === ENC_HT_SMALL) {
      const p = ks.valueRef(from);
      const q = heap.alloc(lpUsed(heap, p));
      heap.mem.copy(q, p, lpUsed(heap, p));
      ref = Heap.ref(q);
    } else {
      const t = Dash.create(heap);
      const nd = new Dash(heap, t, true);
      dashOf(ks, from).forEach((r, h) => {
        const p = Heap.deref(r);
        const q = heap.alloc(4 + heap.dv.getUint32(p, true));
        heap.mem.copy(q, p, 4 + heap.dv.getUint32(p, true));
        nd.insert(h, Heap.ref(q));
      });
      ref = Heap.ref(t);
    }
    heap.dv.setUint32(to + O_VREF, ref, true);
  },
  encoding(ks, e) {
    return setEncoding(ks, e) === ENC_INTSET ? 'intset' : 'hashtable';
  },
  chunks(ks, e, mark, errors) {
    const heap = ks.heap;
    const n = setSize(ks, e);
    if (setEncoding(ks, e) === ENC_INTSET) {
      const p = ks.valueRef(e);
      mark(p, 'set intset');
      isCheck(heap, p, errors);
      if (isCount(heap, p) !== n) errors.push(`set ${e}: count ${n}, intset holds ${isCount(heap, p)}`);
      return;
    }
    if (setEncoding(ks, e) === ENC_HT_SMALL) {
      const p = ks.valueRef(e);
      mark(p, 'set listpack');
      const held = lpCheck(heap, p, errors, `set ${e} listpack`);
      if (held !== n) errors.push(`set ${e}: count ${n}, listpack holds ${held}`);
      if (new Set(lpItems(heap, p).map((m) => m.toString('latin1'))).size !== held) errors.push(`set ${e}: listpack holds a member twice`);
      return;
    }
    const d = dashOf(ks, e);
    mark(d.table, 'set table');
    d.forEachChunk((p) => mark(p, 'set table'));
    d.forEach((r, h) => {
      const p = Heap.deref(r);
      mark(p, 'set member');
      const m = memberBuf(heap, p);
      if (hashBytes(m, 0, m.length) !== h) errors.push(`set ${e}: member ${p} under the wrong hash`);
    });
    const held = d.check(errors);
    if (held !== n) errors.push(`set ${e}: count ${n}, table holds ${held}`);
  },
  outsideBytes(ks, e) {
    const heap = ks.heap;
    if (setEncoding(ks, e) !== ENC_HT) return heap.usable(ks.valueRef(e)) + 8;
    const d = dashOf(ks, e);
    let bytes = heap.usable(d.table) + 8;
    d.forEachChunk((p) => (bytes += heap.usable(p) + 8));
    // members: a sample, as Redis's MEMORY USAGE samples 5 elements by default
    let sampled = 0;
    let sbytes = 0;
    d.forEachUntil((r) => {
      sbytes += heap.usable(Heap.deref(r)) + 8;
      return ++sampled < 5;
    });
    if (sampled > 0) bytes += Math.round((sbytes / sampled) * setSize(ks, e));
    return bytes;
  },
  digest(ks, e, d) {
    // Redis's xorObjectDigest: each member's SHA1 xored in (order-free)
    setForEachUntil(ks, e, (m) => {
      d.xor(m);
      return true;
    });
  },
  toRdb: setToRdb,
  rdbStream: setRdbStream,
  fromRdb: setFromRdb,
  fromRdbElements: setMemberBuilder,
  serializedLength(ks, e) {
    if (setEncoding(ks, e) === ENC_INTSET) {
      const b = isBlobLen(ks.heap, ks.valueRef(e));
      return rdbLenBytes(b) + b;
    }
    let n = rdbLenBytes(setSize(ks, e));
    setForEachUntil(ks, e, (m) => {
      n += rdbStringLen(m);
      return true;
    });
    return n;
  },
};

registerValueType(setType);
