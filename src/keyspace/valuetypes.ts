/**
 * What the generic keyspace needs to know about each type of value, registered once per
 * type (by its folder under src/types/), so that adding a type is a folder and a
 * registration — nothing in the generic keyspace code switches on the type.
 *
 * A key's entry (src/keyspace/object.ts) is generic: header, key, then whatever bytes the
 * type keeps inline; the value ref (O_VREF) points to what the type keeps outside.
 * Moving a value to another entry (RENAME, a string growing out of its entry) keeps the
 * value ref as it is; copying it (COPY) asks the type for copies of its outside chunks.
 */
import type { Keyspace } from './keyspace.js';
import type { HeapView } from '../heap/view.js';
import type { ValueStream } from '../rdb/stream.js';
import type { Digest } from './digest.js';
import type { RdbValue } from '../rdb/value.js';
import { O_VLEN } from './object.js';

export interface ValueType {
  /** OBJ_* code stored in the entry. */
  readonly type: number;
  /** TYPE's reply, SCAN's TYPE filter. */
  readonly name: string;
  /** Bytes of the value kept in the entry chunk after the key. */
  inlineBytes(ks: Keyspace, e: number): number;
  /** Free the chunks the value owns outside its entry (inside an operation). */
  free(ks: Keyspace, e: number): void;
  /**
   * Give entry `to` — a copy of `from`'s header, key and inline bytes — copies of the
   * value's outside chunks (COPY).
   */
  copy(ks: Keyspace, from: number, to: number): void;
  /** OBJECT ENCODING's reply. */
  encoding(ks: Keyspace, e: number): string;
  /** Report every chunk the value owns outside its entry (the integrity checker). */
  chunks(ks: Keyspace, e: number, mark: (p: number, what: string) => void, errors: string[]): void;
  /** MEMORY USAGE: heap bytes of the value outside the entry chunk. */
  outsideBytes(ks: Keyspace, e: number): number;
  /**
   * DEBUG DIGEST / DIGEST-VALUE: feed the value to `d` as Redis's xorObjectDigest does for
   * the type (strings: mix the bytes; ordered elements: mix each; unordered ones: xor each
   * element's own digest, made with `new Digest()`). A type without it makes DEBUG DIGEST
   * answer an error for its keys.
   */
  digest?(ks: Keyspace, e: number, d: Digest): void;
  /**
   * Lazy freeing of big values: a non-zero handle when the value of entry e is big enough
   * to be freed a slice at a time (the type then owns what it freed no more: the keyspace
   * frees the entry, queues the handle and calls freeStep until it answers 0). 0: free()
   * it now. Types without it always free at once.
   */
  lazyHandle?(ks: Keyspace, e: number): number;
  /** Free about `budget` elements of a queued value (inside an operation); the handle to go on with, 0 when all is freed. */
  freeStep?(ks: Keyspace, handle: number, budget: number): number;
  /** The integrity checker: every chunk a queued value still owns. */
  lazyChunks?(ks: Keyspace, handle: number, mark: (p: number, what: string) => void, errors: string[]): void;
  /**
   * The value of entry e serialised a slice at a time through `view` (the heap as it was
   * when the dump began: every read of the value's bytes goes through it, never the live
   * mapping), for encodings too big to serialise at once; undefined for small ones.
   */
  rdbStream?(ks: Keyspace, view: HeapView, e: number): ValueStream | undefined;
  /** DEBUG OBJECT's serializedlength: bytes of the value in an RDB file (Redis's rdbSavedObjectLen). */
  serializedLength?(ks: Keyspace, e: number): number;
  /** DEBUG OBJECT's type-specific fields after lru_seconds_idle (lists: " ql_nodes:… …"). */
  debugFields?(ks: Keyspace, e: number): string;
  /**
   * The value of entry e as the RDB codec sees it (DUMP, MIGRATE, saving), its `encoding`
   * what Redis 7.0 would write for the value's current encoding. Elements may be views
   * into the heap: valid until the heap changes (an allocation may move nothing, but a
   * write or a free may reuse the bytes), so encode them before anything else runs.
   */
  toRdb?(ks: Keyspace, e: number): RdbValue;
  /**
   * A NEW entry for `key` holding `v` (RESTORE, loading), encoded as Redis 7.0's
   * rdbLoadObject would encode that RDB value under the current thresholds. Built inside
   * the caller's operation with newEntry and fresh chunks (nothing undo-logged) and not
   * linked: the caller adds it through the seam (addEntry / replaceEntry) and sets its
   * expiry. Throws RdbError for a value Redis refuses to load (a member given twice, a NaN
   * score, no elements), after freeing what it built.
   */
  fromRdb?(ks: Keyspace, key: Uint8Array, v: RdbValue): number;
  /**
   * fromRdb for a value of `count` elements taken one at a time (a big hash or set
   * streamed from a file: src/rdb/file.ts RdbVisitor.elements), when the type can tell
   * from the count alone how it encodes it; null otherwise (the value is then read whole).
   */
  fromRdbElements?(ks: Keyspace, count: number): RdbElementBuilder | null;
}

/**
 * What ValueType.fromRdbElements gives: elements in — (field, value) or (member, null),
 * views used during the call only — then the entry out.
 */
export interface RdbElementBuilder {
  element(a: Uint8Array, b: Uint8Array | null): void;
  /** The new entry for `key` (not linked), as fromRdb would have made it. */
  finish(key: Uint8Array): number;
}

const registry: (ValueType | undefined)[] = [];

export function registerValueType(t: ValueType): void {
  const cur = registry[t.type];
  if (cur !== undefined && cur !== t) throw new Error(`value type ${t.type} (${t.name}) registered twice`);
  registry[t.type] = t;
}

/** The type of an entry's value; an entry of a type this build does not know is an error. */
export function valueType(type: number): ValueType {
  const t = registry[type];
  if (t === undefined) throw new Error(`no value type is registered for type code ${type} (a segment written by a newer shmkv?)`);
  return t;
}

/** TYPE's name of a type code, or undefined when unknown. */
export function typeName(type: number): string | undefined {
  return registry[type]?.name;
}

/** Every registered type (SCAN's TYPE filter accepts their names). */
export function valueTypes(): ValueType[] {
  return registry.filter((t): t is ValueType => t !== undefined);
}

/**
 * A value big enough to be serialised over several slices (BGSAVE's walk, an incremental
 * DUMP) and read by a snapshot through the copy-on-write epoch rather than copied whole
 * before a change: 32768+ elements, or a string of 4+ MB.
 */
export function isBigValue(ks: Keyspace, e: number): boolean {
  const n = ks.heap.dv.getUint32(e + O_VLEN, true);
  return n >= (ks.type(e) === 0 ? bigString : bigElements);
}

// (SHMKV_DEBUG_BIG_VALUE=n: n elements make a value big, in this process; crash tests set it
// in the processes they kill, so that small keyspaces go through the paths of huge values)
let bigElements = Number(process.env.SHMKV_DEBUG_BIG_VALUE) > 0 ? Number(process.env.SHMKV_DEBUG_BIG_VALUE) : 32768;
let bigString = 4 << 20;

/**
 * Move the bar of isBigValue (this process only). For tests: a small keyspace then goes
 * through the paths of huge values (pins, slices). Returns the previous bar.
 */
export function setBigValueBar(elements: number, stringBytes: number): [number, number] {
  const prev: [number, number] = [bigElements, bigString];
  bigElements = elements;
  bigString = stringBytes;
  return prev;
}
