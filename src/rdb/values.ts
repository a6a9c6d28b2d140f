/**
 * Values: an RdbValue to its RDB type byte and body (as rdbSaveObjectType + rdbSaveObject
 * write them in Redis 7.0), and any value type of RDB versions 1 to 11 back to an RdbValue
 * (rdbLoadObject), validated as Redis's deep sanitisation does (sanitize-dump-payload yes)
 * whatever the source: the values go into shared memory, where a malformed one would
 * outlive this process.
 *
 * What Redis 7.0 writes, and so what we write:
 *   string                 STRING (integer or LZF encodings as rdbSaveRawString picks)
 *   list                   LIST_QUICKLIST_2: node count, then per node its container
 *                          (PACKED 2: a listpack blob; PLAIN 1: the element itself)
 *   set (intset)           SET_INTSET: the intset blob
 *   set (otherwise)        SET: count, members
 *   hash (listpack)        HASH_LISTPACK: the listpack blob (field, value, ...)
 *   hash (hashtable)       HASH: count, field, value, ...
 *   zset (listpack)        ZSET_LISTPACK: the listpack blob (member, score as d2string, ...)
 *   zset (skiplist)        ZSET_2: count, then member + binary double, from the greatest
 *                          to the smallest (Redis walks its skiplist from the tail)
 *
 * What reading gives (the encoding is the file's; converting to the configured thresholds
 * is the data types' business):
 *   LIST, LIST_ZIPLIST     elements cut into nodes of at most 8 KiB (list-max-listpack-size -2)
 *   LIST_QUICKLIST(_2)     the file's nodes (empty packed nodes dropped, as Redis); PLAIN
 *                          nodes flagged in `plain`
 *   SET / SET_INTSET / SET_LISTPACK     'hashtable' / 'intset' (ascending) / 'listpack'
 *   HASH / HASH_ZIPMAP, HASH_ZIPLIST, HASH_LISTPACK     'hashtable' / 'listpack'
 *   ZSET, ZSET_2           'skiplist', in the file's order reversed (ascending for a file
 *                          Redis wrote); ZSET_ZIPLIST, ZSET_LISTPACK: 'listpack', which
 *                          must be in score-then-member order (checked: the data types
 *                          rely on it)
 *
 * Empty collections: Redis never writes one, and on load treats one as an "empty key"
 * (RDB_LOAD_ERR_EMPTY_KEY): a file's loader skips it, RESTORE refuses it. readValue
 * returns null for it, after reading the whole value, so a caller can do either.
 */

import { RdbDecoder } from './decode.js';
import { RdbEncoder } from './encode.js';
import { asciiBytes, d2string, parseScoreText } from './bytes.js';
import { QUICKLIST_NODE_CONTAINER_PACKED, QUICKLIST_NODE_CONTAINER_PLAIN, RDB_TYPE, moduleTypeName, rdbTypeName } from './format.js';
import { intsetDecode, intsetEncode } from './intset.js';
import { lpDecode, lpEncode, lpEntryBytes } from './listpack.js';
import { ziplistDecode } from './ziplist.js';
import { zipmapDecode } from './zipmap.js';
import { OBJ_HASH, OBJ_LIST, OBJ_SET, OBJ_STRING, OBJ_ZSET, RdbError, type RdbHash, type RdbList, type RdbSet, type RdbValue, type RdbZset } from './value.js';

/**
 * A value this version of shmkv cannot hold (streams, module values, ...). `what` names it
 * ("a stream"); callers put it in a sentence that says where it was.
 */
export class RdbUnsupportedError extends RdbError {
  constructor(
    readonly what: string,
    message = `${what}, which this version of shmkv does not support`,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------
// Writing

/**
 * A value ready to write: its type byte and how to write its body. (Checking and
 * planning come first, so a value that cannot be written fails before any byte is.)
 */
export interface PreparedValue {
  type: number;
  body(enc: RdbEncoder): void;
}

/** Plan the writing of `v`: the type byte it gets and its body's writer. */
export function prepareValue(v: RdbValue): PreparedValue {
  switch (v.type) {
    case OBJ_STRING:
      return { type: RDB_TYPE.STRING, body: (enc) => enc.string(v.value) };
    case OBJ_LIST:
      if (!v.nodes.some((n) => n.length > 0)) throw new RdbError('cannot write an empty list');
      return { type: RDB_TYPE.LIST_QUICKLIST_2, body: (enc) => writeList(enc, v) };
    case OBJ_SET: {
      if (v.members.length === 0) throw new RdbError('cannot write an empty set');
      if (v.encoding === 'intset') {
        const blob = intsetEncode(v.members);
        // not all integers: it cannot be an intset; written as the hash table Redis would have
        if (blob !== null) return { type: RDB_TYPE.SET_INTSET, body: (enc) => enc.string(blob) };
      }
      return {
        type: RDB_TYPE.SET,
        body: (enc) => {
          enc.len(v.members.length);
          for (const m of v.members) enc.string(m);
        },
      };
    }
    case OBJ_HASH: {
      if (v.fields.length === 0) throw new RdbError('cannot write an empty hash');
      if (v.fields.length !== v.values.length) throw new RdbError('hash: fields and values differ in number');
      if (v.encoding === 'listpack') {
        return {
          type: RDB_TYPE.HASH_LISTPACK,
          body: (enc) => {
            const els: Uint8Array[] = new Array(v.fields.length * 2);
            for (let i = 0; i < v.fields.length; i++) {
              els[2 * i] = v.fields[i];
              els[2 * i + 1] = v.values[i];
            }
            enc.string(lpEncode(els));
          },
        };
      }
      return {
        type: RDB_TYPE.HASH,
        body: (enc) => {
          enc.len(v.fields.length);
          for (let i = 0; i < v.fields.length; i++) {
            enc.string(v.fields[i]);
            enc.string(v.values[i]);
          }
        },
      };
    }
    case OBJ_ZSET: {
      if (v.members.length === 0) throw new RdbError('cannot write an empty sorted set');
      if (v.members.length !== v.scores.length) throw new RdbError('sorted set: members and scores differ in number');
      if (v.encoding === 'listpack') {
        return {
          type: RDB_TYPE.ZSET_LISTPACK,
          body: (enc) => {
            const els: Uint8Array[] = new Array(v.members.length * 2);
            for (let i = 0; i < v.members.length; i++) {
              els[2 * i] = v.members[i];
              els[2 * i + 1] = asciiBytes(d2string(v.scores[i]));
            }
            enc.string(lpEncode(els));
          },
        };
      }
      return {
        type: RDB_TYPE.ZSET_2,
        body: (enc) => {
          enc.len(v.members.length);
          for (let i = v.members.length - 1; i >= 0; i--) {
            enc.string(v.members[i]);
            enc.binaryDouble(v.scores[i]);
          }
        },
      };
    }
  }
}

function writeList(enc: RdbEncoder, v: RdbList): void {
  let nodes = 0;
  for (const n of v.nodes) if (n.length > 0) nodes++;
  enc.len(nodes);
  for (let i = 0; i < v.nodes.length; i++) {
    const n = v.nodes[i];
    if (n.length === 0) continue;
    if (v.plain?.[i] && n.length === 1) {
      enc.len(QUICKLIST_NODE_CONTAINER_PLAIN);
      enc.string(n[0]);
    } else {
      enc.len(QUICKLIST_NODE_CONTAINER_PACKED);
      enc.string(lpEncode(n));
    }
  }
}

/** The RDB type byte `v` is written with. */
export function rdbValueType(v: RdbValue): number {
  if (v.type === OBJ_SET && v.encoding === 'intset') return prepareValue(v).type;
  switch (v.type) {
    case OBJ_STRING: return RDB_TYPE.STRING;
    case OBJ_LIST: return RDB_TYPE.LIST_QUICKLIST_2;
    case OBJ_SET: return RDB_TYPE.SET;
    case OBJ_HASH: return v.encoding === 'listpack' ? RDB_TYPE.HASH_LISTPACK : RDB_TYPE.HASH;
    case OBJ_ZSET: return v.encoding === 'listpack' ? RDB_TYPE.ZSET_LISTPACK : RDB_TYPE.ZSET_2;
  }
}

/**
 * Write the type byte then the body of `v` (what follows a key in a file; a DUMP
 * payload's start). Returns the type byte. Compression is the encoder's (`compress`).
 */
export function writeTypedValue(enc: RdbEncoder, v: RdbValue): number {
  const p = prepareValue(v);
  enc.byte(p.type);
  p.body(enc);
  return p.type;
}

/**
 * Write only the body of `v`; returns the type byte that must precede it (which the
 * caller has then already written: see `rdbValueType`, or use `writeTypedValue`).
 */
export function writeValue(enc: RdbEncoder, v: RdbValue): number {
  const p = prepareValue(v);
  p.body(enc);
  return p.type;
}

// ---------------------------------------------------------------------------------------
// Reading

/** Redis's default list-max-listpack-size (-2: 8 KiB per node), used to cut lists read element by element into nodes. */
const NODE_BYTES = 8192;
const LP_OVERHEAD = 7;

/** Elements of a list read one by one (LIST, LIST_ZIPLIST) as quicklist nodes of at most 8 KiB. */
function toNodes(els: Uint8Array[]): Uint8Array[][] {
  const nodes: Uint8Array[][] = [];
  let cur: Uint8Array[] = [];
  let bytes = LP_OVERHEAD;
  for (const e of els) {
    const b = lpEntryBytes(e);
    if (cur.length > 0 && (bytes + b > NODE_BYTES || cur.length >= 65535)) {
      nodes.push(cur);
      cur = [];
      bytes = LP_OVERHEAD;
    }
    cur.push(e);
    bytes += b;
  }
  if (cur.length > 0) nodes.push(cur);
  return nodes;
}

/**
 * Duplicate detection over the elements of one value (members, fields): an open-addressing
 * table of element indices keyed by a 32-bit FNV-1a hash, the bytes compared on a hash
 * match. No string per element: a 1M-field hash is checked without 1M allocations.
 */
class Dups {
  private slots = new Int32Array(64);
  private readonly items: Uint8Array[] = [];
  private readonly hashes: number[] = [];
  constructor(private readonly what: string) {}
  add(b: Uint8Array): void {
    const h = fnv1a(b);
    let mask = this.slots.length - 1;
    let i = h & mask;
    for (;;) {
      const j = this.slots[i]! - 1;
      if (j < 0) break;
      if (this.hashes[j] === h && equalBytes(this.items[j]!, b)) throw new RdbError(`duplicate ${this.what}`);
      i = (i + 1) & mask;
    }
    this.slots[i] = this.items.length + 1;
    this.items.push(b);
    this.hashes.push(h);
    if (this.items.length * 2 > this.slots.length) {
      this.slots = new Int32Array(this.slots.length * 4);
      mask = this.slots.length - 1;
      for (let j = 0; j < this.items.length; j++) {
        let k = this.hashes[j]! & mask;
        while (this.slots[k] !== 0) k = (k + 1) & mask;
        this.slots[k] = j + 1;
      }
    }
  }
}

function fnv1a(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** Alternating member/score elements of a listpack or ziplist sorted set. */
function zsetFromPairs(els: Uint8Array[]): RdbZset | null {
  if (els.length % 2 !== 0) throw new RdbError('a sorted set with an odd number of elements');
  if (els.length === 0) return null;
  const dups = new Dups('sorted set member');
  const members: Uint8Array[] = [];
  const scores: number[] = [];
  for (let i = 0; i < els.length; i += 2) {
    const m = els[i];
    dups.add(m);
    const s = parseScoreText(els[i + 1]);
    if (s === null) throw new RdbError(`sorted set member ${members.length} has an unreadable score`);
    const j = members.length;
    if (j > 0) {
      const ps = scores[j - 1];
      if (s < ps || (s === ps && compareBytes(members[j - 1], m) > 0)) {
        throw new RdbError(`sorted set member ${j} is out of order`);
      }
    }
    members.push(m);
    scores.push(s);
  }
  return { type: OBJ_ZSET, encoding: 'listpack', members, scores };
}

/** Alternating field/value elements of a listpack or ziplist hash. */
function hashFromPairs(els: Uint8Array[]): RdbHash | null {
  if (els.length % 2 !== 0) throw new RdbError('a hash with an odd number of elements');
  if (els.length === 0) return null;
  const dups = new Dups('hash field');
  const fields: Uint8Array[] = [];
  const values: Uint8Array[] = [];
  for (let i = 0; i < els.length; i += 2) {
    dups.add(els[i]);
    fields.push(els[i]);
    values.push(els[i + 1]);
  }
  return { type: OBJ_HASH, encoding: 'listpack', fields, values };
}

function setFromMembers(els: Uint8Array[], encoding: RdbSet['encoding']): RdbSet | null {
  if (els.length === 0) return null;
  const dups = new Dups('set member');
  for (const m of els) dups.add(m);
  return { type: OBJ_SET, encoding, members: els };
}

/** A blob-carrying type's blob (a string: maybe LZF-compressed), decoded by `decode`. */
function blob<T>(dec: RdbDecoder, decode: (b: Uint8Array) => T): T {
  return decode(dec.string());
}

/**
 * Read the body of a value of RDB type `rdbType`. Returns null for an empty collection
 * (Redis's "empty key": the whole value has been read). Throws RdbError on malformed
 * input and RdbUnsupportedError for what shmkv cannot hold (streams, module values).
 */
export function readValue(dec: RdbDecoder, rdbType: number): RdbValue | null {
  try {
    return readValueInner(dec, rdbType);
  } catch (e) {
    throw inValue(e, rdbType);
  }
}

/** The `n` members of an RDB_TYPE_SET value (its count read already); null when there are none. */
export function readSetMembers(dec: RdbDecoder, n: number): RdbValue | null {
  const els: Uint8Array[] = [];
  for (let i = 0; i < n; i++) els.push(dec.string());
  return setFromMembers(els, 'hashtable');
}

/** The `n` pairs of an RDB_TYPE_HASH value (its count read already); null when there are none. */
export function readHashPairs(dec: RdbDecoder, n: number): RdbValue | null {
  const dups = new Dups('hash field');
  const fields: Uint8Array[] = [];
  const values: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const f = dec.string();
    const v = dec.string();
    dups.add(f);
    fields.push(f);
    values.push(v);
  }
  return fields.length === 0 ? null : { type: OBJ_HASH, encoding: 'hashtable', fields, values };
}

/** An RdbError raised inside a value of RDB type `rdbType`, saying so (readValue's wording). */
export function inValue(e: unknown, rdbType: number): unknown {
  if (e instanceof RdbError && !(e instanceof RdbUnsupportedError)) {
    return new RdbError(`${e.message} (in a ${rdbTypeName(rdbType)} value)`, { cause: e });
  }
  return e;
}

function readValueInner(dec: RdbDecoder, rdbType: number): RdbValue | null {
  switch (rdbType) {
    case RDB_TYPE.STRING:
      return { type: OBJ_STRING, value: dec.string() };

    case RDB_TYPE.LIST: {
      const n = dec.len();
      const els: Uint8Array[] = [];
      for (let i = 0; i < n; i++) els.push(dec.string());
      return els.length === 0 ? null : { type: OBJ_LIST, nodes: toNodes(els) };
    }

    case RDB_TYPE.SET:
      return readSetMembers(dec, dec.len());

    case RDB_TYPE.ZSET:
    case RDB_TYPE.ZSET_2: {
      const n = dec.len();
      const dups = new Dups('sorted set member');
      const members: Uint8Array[] = [];
      const scores: number[] = [];
      for (let i = 0; i < n; i++) {
        const m = dec.string();
        const s = rdbType === RDB_TYPE.ZSET_2 ? dec.binaryDouble() : dec.textDouble();
        if (s !== s) throw new RdbError(`sorted set member ${i} has a NaN score`);
        dups.add(m);
        members.push(m);
        scores.push(s);
      }
      if (members.length === 0) return null;
      // Redis writes a skiplist from the greatest to the smallest: reversed, a file Redis
      // wrote reads back ascending (another writer's order is kept, reversed)
      members.reverse();
      scores.reverse();
      return { type: OBJ_ZSET, encoding: 'skiplist', members, scores };
    }

    case RDB_TYPE.HASH:
      return readHashPairs(dec, dec.len());

    case RDB_TYPE.HASH_ZIPMAP: {
      const { fields, values } = blob(dec, zipmapDecode);
      const dups = new Dups('hash field');
      for (const f of fields) dups.add(f);
      return { type: OBJ_HASH, encoding: 'listpack', fields, values };
    }

    case RDB_TYPE.LIST_ZIPLIST: {
      const els = blob(dec, ziplistDecode);
      return els.length === 0 ? null : { type: OBJ_LIST, nodes: toNodes(els) };
    }

    case RDB_TYPE.SET_INTSET:
      return { type: OBJ_SET, encoding: 'intset', members: blob(dec, intsetDecode) };

    case RDB_TYPE.SET_LISTPACK:
      return setFromMembers(blob(dec, lpDecode), 'listpack');

    case RDB_TYPE.ZSET_ZIPLIST:
      return zsetFromPairs(blob(dec, ziplistDecode));

    case RDB_TYPE.ZSET_LISTPACK:
      return zsetFromPairs(blob(dec, lpDecode));

    case RDB_TYPE.HASH_ZIPLIST:
      return hashFromPairs(blob(dec, ziplistDecode));

    case RDB_TYPE.HASH_LISTPACK:
      return hashFromPairs(blob(dec, lpDecode));

    case RDB_TYPE.LIST_QUICKLIST:
    case RDB_TYPE.LIST_QUICKLIST_2: {
      const n = dec.len();
      const nodes: Uint8Array[][] = [];
      const plain: boolean[] = [];
      let anyPlain = false;
      for (let i = 0; i < n; i++) {
        let container = QUICKLIST_NODE_CONTAINER_PACKED;
        if (rdbType === RDB_TYPE.LIST_QUICKLIST_2) {
          const at = dec.pos;
          container = dec.len();
          if (container !== QUICKLIST_NODE_CONTAINER_PACKED && container !== QUICKLIST_NODE_CONTAINER_PLAIN) {
            throw new RdbError(`quicklist node ${i} has the unknown container ${container} (byte ${at})`);
          }
        }
        const data = dec.string();
        if (data.length === 0) throw new RdbError(`quicklist node ${i} is empty`);
        if (container === QUICKLIST_NODE_CONTAINER_PLAIN) {
          nodes.push([data]);
          plain.push(true);
          anyPlain = true;
          continue;
        }
        const els = rdbType === RDB_TYPE.LIST_QUICKLIST_2 ? lpDecode(data) : ziplistDecode(data);
        // Redis skips empty nodes silently; only a list left with nothing is an empty key
        if (els.length === 0) continue;
        nodes.push(els);
        plain.push(false);
      }
      if (nodes.length === 0) return null;
      return anyPlain ? { type: OBJ_LIST, nodes, plain } : { type: OBJ_LIST, nodes };
    }

    case RDB_TYPE.MODULE:
    case RDB_TYPE.MODULE_2: {
      const id = dec.len64();
      throw new RdbUnsupportedError(`a value of the module type '${moduleTypeName(id)}'`);
    }

    case RDB_TYPE.STREAM_LISTPACKS:
    case RDB_TYPE.STREAM_LISTPACKS_2:
    case RDB_TYPE.STREAM_LISTPACKS_3:
      throw new RdbUnsupportedError('a stream');

    default:
      throw new RdbError(`unknown value type ${rdbType}`);
  }
}
