/**
 * String values in the keyspace (Redis's t_string.c data side, Dragonfly's OpSet/OpGet):
 * how a string is stored in its entry, and the operations the string commands (and the
 * bitmap and HyperLogLog ones, later) build on. Every change goes to the keyspace's write
 * seam with its reason.
 *
 * Storage: strings of up to INLINE_MAX bytes live in the entry chunk after the key; longer
 * ones in a chunk of their own (the entry's value ref), with slack so APPEND grows them in
 * place most of the time instead of copying. The entry's length field is the string's
 * length; its encoding byte is what OBJECT ENCODING reports (ENC_*).
 */
import { Heap } from '../../heap/heap.js';
import { REASON } from '../../keyspace/changes.js';
import { WrongTypeError, type Expiry, type Keyspace } from '../../keyspace/keyspace.js';
import { FLAG_SHARED_INT, OBJ_STRING, O_ENC, O_FLAGS, O_KEY, O_LRU, O_VLEN, O_VREF } from '../../keyspace/object.js';
import { freshStamp } from '../../keyspace/access.js';
import { registerValueType, type ValueType } from '../../keyspace/valuetypes.js';
import { stringFromRdb, stringToRdb } from './rdb.js';
import { stringRdbStream } from './stream.js';

export const ENC_RAW = 0;
export const ENC_INT = 1;
export const ENC_EMBSTR = 8;

/**
 * Strings up to this length are kept inline in their entry: one chunk per key instead of
 * two. An overwrite then rewrites the bytes in place (logging the old ones: a copy of up to
 * 2 KiB) where a value chunk of its own is allocated anew and the old one freed, and each
 * allocation and free logs the free lists' lines (measured, SET of 1 KiB values at
 * `-P 1`: 128 inline bytes, 106 ticks of server user time per 200k SETs into an empty
 * keyspace and 90 for overwrites; 2048: 77 and 49–61).
 */
export const INLINE_MAX = 2048;
/** Redis reports embstr for strings up to this length that were never modified in place. */
export const EMBSTR_MAX = 44;

/** Redis's string2ll acceptance: the canonical decimal form of a signed 64-bit integer. */
export function isIntegerString(buf: Uint8Array, start: number, len: number): boolean {
  if (len === 0 || len > 20) return false;
  let i = start;
  const end = start + len;
  if (buf[i] === 45 /* - */) {
    i++;
    if (i === end) return false;
  }
  if (buf[i] === 48 /* 0 */) return i + 1 === end && buf[start] !== 45;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c < 48 || c > 57) return false;
  }
  if (len >= 19) {
    const n = BigInt(Buffer.from(buf.subarray(start, end)).toString('latin1'));
    return n >= -(2n ** 63n) && n < 2n ** 63n;
  }
  return true;
}

/** The encoding Redis would report for a freshly set string value. */
export function stringEncoding(buf: Uint8Array, start: number, len: number): number {
  if (len <= 20 && isIntegerString(buf, start, len)) return ENC_INT;
  return len <= EMBSTR_MAX ? ENC_EMBSTR : ENC_RAW;
}

const ENCODING_NAMES: Record<number, string> = { [ENC_INT]: 'int', [ENC_EMBSTR]: 'embstr', [ENC_RAW]: 'raw' };

// ---------------------------------------------------------------- reading

/** Offset of a string's bytes. */
export function stringOffset(ks: Keyspace, e: number): number {
  const vref = ks.heap.dv.getUint32(e + O_VREF, true);
  return vref !== 0 ? Heap.deref(vref) : ks.keyOffset(e) + ks.keyLength(e);
}

export function stringLength(ks: Keyspace, e: number): number {
  return ks.heap.dv.getUint32(e + O_VLEN, true);
}

/** A copy of a string value. */
export function readString(ks: Keyspace, e: number): Buffer {
  const len = stringLength(ks, e);
  const out = Buffer.allocUnsafe(len);
  ks.heap.mem.read(stringOffset(ks, e), len, out);
  return out;
}

/** The entry of a string key, 0 when absent; WRONGTYPE for another type. */
export function findString(ks: Keyspace, db: number, key: Uint8Array, read = false): number {
  const e = read ? ks.lookupRead(db, key) : ks.lookupWrite(db, key);
  if (e !== 0 && ks.type(e) !== OBJ_STRING) throw new WrongTypeError();
  return e;
}

// ---------------------------------------------------------------- writing

/**
 * Set key to a string value (Redis's setKey): `expireAt` absolute ms, 0 for none, -1 to
 * keep the current TTL; `enc` the encoding (-1: as SET would); `known` the caller's lookup
 * of this very key (its entry, or 0 for absent), -1 when it did not look. Returns the entry.
 */
export function setString(ks: Keyspace, db: number, key: Uint8Array, val: Uint8Array, expireAt: Expiry, enc = -1, known = -1): number {
  return setStringRange(ks, db, key, val, 0, val.length, expireAt, enc, known);
}

/** setString of the value bytes val[vstart, vstart+vlen) (no view to allocate). */
export function setStringRange(ks: Keyspace, db: number, key: Uint8Array, val: Uint8Array, vstart: number, vlen: number, expireAt: Expiry, enc = -1, known = -1): number {
  // The caller's find() of this very key (known >= 0) left its hash in the probe.
  let old = known;
  if (old < 0) {
    old = ks.findRaw(db, key);
    // an expired key is as good as absent: it is replaced, its TTL not kept
    if (old !== 0) ks.touchEntry(old);
  }
  const h = ks.hashOf(key);
  const heap = ks.heap;
  const dv = heap.dv;
  let keep: Expiry = 0;
  if (old !== 0 && !ks.isExpired(old)) keep = ks.expireAt(old);
  const at = expireAt === -1 ? keep : expireAt;
  const e = enc === -1 ? stringEncoding(val, vstart, vlen) : enc;
  const access = ks.access;
  const shared = sharedFlag(ks, e, val, vstart, vlen);
  // Overwrite in place when the old entry is an inline string with room (and a field for
  // the expiry when there is one to set): no alloc, no free.
  if (old !== 0 && ks.type(old) === OBJ_STRING && dv.getUint32(old + O_VREF, true) === 0 && vlen <= INLINE_MAX && (at === 0 || ks.hasExpireField(old))) {
    const voff = ks.keyOffset(old) + key.length;
    if (voff + vlen <= old + heap.usable(old)) {
      ks.willModify(db, old, h);
      // One undo record for header, key and the value bytes we overwrite.
      heap.log(old, voff - old + vlen);
      heap.mem.u8[old + O_ENC] = e;
      heap.mem.u8[old + O_FLAGS] = shared;
      dv.setUint32(old + O_VLEN, vlen, true);
      // a new value: a fresh LRU stamp, but the key's LFU count carries over (dbOverwrite)
      if (!access.lfu) dv.setUint32(old + O_LRU, freshStamp(access, ks.now), true);
      heap.mem.write(voff, val, vstart, vlen);
      old = ks.setExpireAt(db, old, at, h, false);
      ks.modified(db, old, REASON.overwritten, h);
      return old;
    }
  }
  const ne = newString(ks, key, 0, key.length, val, vstart, vlen, e, vlen, at);
  heap.mem.u8[ne + O_FLAGS] = shared;
  if (old !== 0 && access.lfu) dv.setUint32(ne + O_LRU, dv.getUint32(old + O_LRU, true), true);
  if (old !== 0) ks.replaceEntry(db, old, ne, REASON.overwritten, h);
  else ks.addEntry(db, ne, REASON.added, h);
  return ne;
}

/**
 * FLAG_SHARED_INT when Redis would keep this value as one of its shared integers 0..9999
 * (tryObjectEncoding: only while maxmemory does not evict by LRU/LFU), else 0.
 */
function sharedFlag(ks: Keyspace, enc: number, val: Uint8Array, vstart: number, vlen: number): number {
  return ks.access.sharedIntegers && enc === ENC_INT && vlen <= 4 && val[vstart] !== 45 ? FLAG_SHARED_INT : 0;
}

/**
 * A new, unlinked string entry holding `val`, encoded as Redis encodes a string it loads
 * (rdbLoadObject's tryObjectEncoding, the same as a SET): int, embstr or raw, a small
 * integer shared when sharing is allowed. The caller links it through the seam.
 */
export function newStringEntry(ks: Keyspace, key: Uint8Array, val: Uint8Array): number {
  const enc = stringEncoding(val, 0, val.length);
  const e = newString(ks, key, 0, key.length, val, 0, val.length, enc, val.length);
  ks.heap.mem.u8[e + O_FLAGS] = sharedFlag(ks, enc, val, 0, val.length);
  return e;
}

/**
 * A new, unlinked string entry with room for `capacity` bytes (inline when that fits, else
 * a chunk of its own), expiring at `expire` (0: never).
 */
function newString(ks: Keyspace, key: Uint8Array, kstart: number, klen: number, val: Uint8Array | null, vstart: number, vlen: number, enc: number, capacity: number, expire: Expiry = 0): number {
  const heap = ks.heap;
  const inline = capacity <= INLINE_MAX;
  const e = ks.newEntry(OBJ_STRING, enc, key, kstart, klen, inline ? capacity : 0, expire);
  heap.dv.setUint32(e + O_VLEN, vlen, true);
  let voff = ks.keyOffset(e) + klen;
  if (!inline) {
    const v = heap.alloc(capacity);
    heap.dv.setUint32(e + O_VREF, Heap.ref(v), true);
    voff = v;
  }
  if (val !== null) heap.mem.write(voff, val, vstart, vlen);
  return e;
}

/**
 * Make room for a string of `newLen` bytes keeping the first `keep` bytes: in place
 * when the value's chunk has room, else grown with slack (so repeated APPENDs do not
 * copy the whole value each time). Returns the entry (it may move) and marks it raw.
 * Bytes in [keep, writeEnd) (default newLen) that existed before are logged; the caller then writes them.
 */
export function resizeString(ks: Keyspace, db: number, e: number, newLen: number, keep: number, writeEnd = newLen): number {
  const heap = ks.heap;
  const dv = heap.dv;
  const u8 = heap.mem.u8;
  const klen = ks.keyLength(e);
  const vref = dv.getUint32(e + O_VREF, true);
  const oldLen = stringLength(ks, e);
  // (the header: encoding, flags, lengths, ref)
  heap.log(e, O_KEY);
  if (vref !== 0) {
    const v = Heap.deref(vref);
    const cap = heap.usable(v);
    if (newLen > cap) {
      const want = newLen < 1 << 20 ? newLen * 2 : newLen + (1 << 20);
      const nv = heap.realloc(v, want, Math.min(keep, oldLen));
      if (nv !== v) dv.setUint32(e + O_VREF, Heap.ref(nv), true);
      if (nv === v) heap.log(v + keep, Math.max(0, Math.min(cap, writeEnd) - keep));
    } else heap.log(v + keep, Math.max(0, Math.min(oldLen, writeEnd) - keep));
    dv.setUint32(e + O_VLEN, newLen, true);
    u8[e + O_ENC] = ENC_RAW;
    u8[e + O_FLAGS] = 0;
    ks.modified(db, e);
    return e;
  }
  const voff = ks.keyOffset(e) + klen;
  if (voff - e + newLen <= heap.usable(e)) {
    heap.log(voff + keep, Math.max(0, Math.min(heap.usable(e) - (voff - e), writeEnd) - keep));
    dv.setUint32(e + O_VLEN, newLen, true);
    u8[e + O_ENC] = ENC_RAW;
    u8[e + O_FLAGS] = 0;
    ks.modified(db, e);
    return e;
  }
  // Move the value out (or to a bigger inline entry): a new entry replaces the old one.
  // (slack either way, so that repeated APPENDs do not copy the whole string each time)
  const want = newLen <= INLINE_MAX ? Math.min(INLINE_MAX, newLen * 2) : newLen < 1 << 20 ? newLen * 2 : newLen + (1 << 20);
  const ne = newString(ks, u8, ks.keyOffset(e), klen, null, 0, newLen, ENC_RAW, want, ks.expiry(e));
  heap.mem.copy(stringOffset(ks, ne), voff, Math.min(keep, oldLen));
  heap.mem.copy(ne + O_LRU, e + O_LRU, 4);
  // the old entry's value was inline: it goes with the old entry
  ks.replaceEntry(db, e, ne, REASON.modified);
  return ne;
}

/**
 * A new raw string of `len` zero bytes under `key` (absent from db): Redis's
 * createObject(OBJ_STRING, sdsnewlen(NULL, len)) + dbAdd, as SETBIT / BITFIELD / PFADD make
 * them. Returns the entry.
 */
export function newZeroString(ks: Keyspace, db: number, key: Uint8Array, len: number): number {
  const e = newString(ks, key, 0, key.length, null, 0, len, ENC_RAW, len);
  ks.heap.mem.fill(stringOffset(ks, e), len, 0);
  ks.addEntry(db, e, REASON.added);
  return e;
}

/**
 * Redis's dbUnshareStringValue: a value about to be written in place becomes raw (an int or
 * embstr one is re-encoded; the bytes stay). Logs the header bytes it changes.
 */
export function unshareString(ks: Keyspace, e: number): void {
  const heap = ks.heap;
  if (heap.mem.u8[e + O_ENC] === ENC_RAW && heap.mem.u8[e + O_FLAGS] === 0) return;
  heap.log(e + O_ENC, 2);
  heap.mem.u8[e + O_ENC] = ENC_RAW;
  heap.mem.u8[e + O_FLAGS] = 0;
}

/**
 * Write `val` at `offset` into a copy of the string (copy-on-write), for overwrites
 * too large to undo-log: the old value stays untouched until the operation commits.
 */
export function spliceStringCopy(ks: Keyspace, db: number, e: number, offset: number, val: Uint8Array): number {
  const heap = ks.heap;
  const oldLen = stringLength(ks, e);
  const newLen = Math.max(oldLen, offset + val.length);
  const klen = ks.keyLength(e);
  const ne = newString(ks, heap.mem.u8, ks.keyOffset(e), klen, null, 0, newLen, ENC_RAW, newLen, ks.expiry(e));
  const src = stringOffset(ks, e);
  const dst = stringOffset(ks, ne);
  heap.mem.copy(dst, src, Math.min(offset, oldLen));
  if (offset > oldLen) heap.mem.fill(dst + oldLen, offset - oldLen, 0);
  heap.mem.write(dst + offset, val);
  if (offset + val.length < oldLen) heap.mem.copy(dst + offset + val.length, src + offset + val.length, oldLen - offset - val.length);
  heap.mem.copy(ne + O_LRU, e + O_LRU, 4);
  ks.replaceEntry(db, e, ne, REASON.modified);
  return ne;
}

// ---------------------------------------------------------------- the type's registration

export const stringType: ValueType = {
  type: OBJ_STRING,
  name: 'string',
  inlineBytes(ks, e) {
    return ks.heap.dv.getUint32(e + O_VREF, true) === 0 ? stringLength(ks, e) : 0;
  },
  free(ks, e) {
    const vref = ks.heap.dv.getUint32(e + O_VREF, true);
    if (vref !== 0) ks.heap.free(Heap.deref(vref));
  },
  copy(ks, from, to) {
    const heap = ks.heap;
    const vref = heap.dv.getUint32(from + O_VREF, true);
    if (vref === 0) return;
    const len = stringLength(ks, from);
    const v = heap.alloc(Math.max(len, 1));
    heap.mem.copy(v, Heap.deref(vref), len);
    heap.dv.setUint32(to + O_VREF, Heap.ref(v), true);
  },
  encoding(ks, e) {
    return ENCODING_NAMES[ks.heap.mem.u8[e + O_ENC]!] ?? 'raw';
  },
  chunks(ks, e, mark) {
    const vref = ks.heap.dv.getUint32(e + O_VREF, true);
    if (vref !== 0) mark(Heap.deref(vref), 'string value');
  },
  outsideBytes(ks, e) {
    const vref = ks.heap.dv.getUint32(e + O_VREF, true);
    return vref === 0 ? 0 : ks.heap.usable(Heap.deref(vref)) + 8;
  },
  digest(ks, e, d) {
    // the string's bytes (an int-encoded one as its decimal text, as Redis's getDecodedObject)
    d.mix(readString(ks, e));
  },
  serializedLength(ks, e) {
    return rdbStringLength(ks.heap.mem.u8, stringOffset(ks, e), stringLength(ks, e));
  },
  toRdb: stringToRdb,
  rdbStream: stringRdbStream,
  fromRdb: stringFromRdb,
};

/** Bytes of RDB's length prefix for n (rdbSaveLen). */
function rdbLenBytes(n: number): number {
  return n < 64 ? 1 : n < 16384 ? 2 : n <= 0xffffffff ? 5 : 9;
}

/**
 * Bytes of a string in an RDB file (rdbSaveRawString without LZF compression): an integer
 * of up to 11 characters that fits 32 bits is saved as an 8/16/32-bit integer (2, 3 or 5
 * bytes), anything else as a length prefix and the bytes. (Redis compresses strings of more
 * than 20 bytes with LZF when that is shorter; we count them uncompressed.)
 */
function rdbStringLength(u8: Uint8Array, off: number, len: number): number {
  if (len <= 11 && isIntegerString(u8, off, len)) {
    const v = Number(Buffer.from(u8.subarray(off, off + len)).toString('latin1'));
    if (v >= -128 && v <= 127) return 2;
    if (v >= -32768 && v <= 32767) return 3;
    if (v >= -2147483648 && v <= 2147483647) return 5;
  }
  return rdbLenBytes(len) + len;
}

registerValueType(stringType);

