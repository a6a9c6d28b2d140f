/**
 * SORT and SORT_RO (Redis 7.0's sort.c): sort the elements of a list, set or sorted set —
 * numerically or ALPHA, by their own value or BY the string (or hash field) a pattern
 * names — then LIMIT, GET other keys' values per element, and reply or STORE a list.
 *
 * The element types plug in here, so that this file knows no type's storage:
 * - `registerSortSource(OBJ_X, { elements, range? })` from the type's family file: its
 *   elements in iteration order; types with an order of their own (lists, sorted sets) also
 *   give `range(ks, e, start, end, desc)`, used when nothing is sorted (BY without '*') so
 *   that they keep their order (from the tail with DESC) and LIMIT reads only the range.
 *   Sets give no range: unsorted, they come in iteration order (and with STORE they are
 *   sorted ALPHA, as Redis does for a deterministic result).
 * - `registerSortStore(fn)` from the list type: STORE writes a list (replacing the key).
 *   Until one is registered, a STORE with a non-empty result is an error.
 * - `registerSortHashField(fn)` from the hash type: the `key->field` patterns.
 * The element count is the entry's O_VLEN (every collection keeps its count there).
 */
import type { Keyspace } from '../keyspace/keyspace.js';
import { ReplyError, WrongTypeError } from '../keyspace/keyspace.js';
import { REASON } from '../keyspace/changes.js';
import { OBJ_HASH, OBJ_STRING } from '../keyspace/object.js';
import { parseRedisDouble } from '../protocol/float.js';
import { readString } from '../types/string/storage.js';
import { ERR_SYNTAX, argInt64, eqi } from './args.js';
import type { CommandContext, CommandDef } from './types.js';

export interface SortSource {
  /** Every element, in the type's iteration order. */
  elements(ks: Keyspace, e: number): Buffer[];
  /** Elements [start, end] (0-based, start <= end, both in range) from the head, or from the tail when desc. */
  range?(ks: Keyspace, e: number, start: number, end: number, desc: boolean): Buffer[];
}

/** STORE: replace `key` by a list of `items` (non-empty), as Redis's setKey does (TTL dropped). */
export type SortStore = (ks: Keyspace, db: number, key: Buffer, items: Buffer[]) => void;
/** The value of `field` in the hash of entry e, or null. */
export type SortHashField = (ks: Keyspace, e: number, field: Buffer) => Buffer | null;

const sources = new Map<number, SortSource>();
let store: SortStore | null = null;
let hashField: SortHashField | null = null;

export function registerSortSource(type: number, s: SortSource): void {
  sources.set(type, s);
}

export function registerSortStore(fn: SortStore): void {
  store = fn;
}

export function registerSortHashField(fn: SortHashField): void {
  hashField = fn;
}

/**
 * The value a GET/BY pattern names for an element (lookupKeyByPattern): "#" is the element
 * itself; the first '*' is replaced by it; "->field" after the '*' reads a hash field.
 * Null when the pattern has no '*', the key is missing or of another type.
 */
function lookupByPattern(ks: Keyspace, db: number, pattern: Buffer, subst: Buffer): Buffer | null {
  if (pattern.length === 1 && pattern[0] === 35) return subst;
  const p = pattern.indexOf(42);
  if (p < 0) return null;
  const f = pattern.indexOf('->', p + 1, 'latin1');
  const field = f >= 0 && f + 2 < pattern.length ? pattern.subarray(f + 2) : null;
  const postfix = pattern.length - (p + 1) - (field !== null ? field.length + 2 : 0);
  const key = Buffer.concat([pattern.subarray(0, p), subst, pattern.subarray(p + 1, p + 1 + postfix)]);
  const e = ks.lookupRead(db, key);
  if (e === 0) return null;
  if (field !== null) {
    if (ks.type(e) !== OBJ_HASH || hashField === null) return null;
    return hashField(ks, e, field);
  }
  return ks.type(e) === OBJ_STRING ? readString(ks, e) : null;
}

/** C strtod over the whole value (SORT's scores): leading blanks allowed, "" is 0; null when not a number. */
function sortScore(v: Buffer): number | null {
  let i = 0;
  while (i < v.length && (v[i] === 32 || (v[i]! >= 9 && v[i]! <= 13))) i++;
  if (v.length === 0) return 0;
  if (i === v.length) return null;
  return parseRedisDouble(i === 0 ? v : v.subarray(i));
}

function sortGeneric(ctx: CommandContext, argv: Buffer[], readonly: boolean): void {
  let desc = false;
  let alpha = false;
  let dontsort = false;
  let limitStart = 0;
  let limitCount = -1;
  let storekey: Buffer | null = null;
  let sortby: Buffer | null = null;
  const gets: Buffer[] = [];
  for (let j = 2; j < argv.length; j++) {
    const a = argv[j]!;
    const left = argv.length - j - 1;
    if (eqi(a, 'asc')) desc = false;
    else if (eqi(a, 'desc')) desc = true;
    else if (eqi(a, 'alpha')) alpha = true;
    else if (eqi(a, 'limit') && left >= 2) {
      limitStart = Number(argInt64(argv[j + 1]!));
      limitCount = Number(argInt64(argv[j + 2]!));
      j += 2;
    } else if (!readonly && eqi(a, 'store') && left >= 1) {
      storekey = argv[++j]!;
    } else if (eqi(a, 'by') && left >= 1) {
      sortby = argv[++j]!;
      // a BY pattern without '*' means: do not sort
      if (!sortby.includes(42)) dontsort = true;
    } else if (eqi(a, 'get') && left >= 1) {
      gets.push(argv[++j]!);
    } else throw new ReplyError(ERR_SYNTAX);
  }

  const ks = ctx.ks;
  const db = ctx.session.db;
  const e = ks.lookupRead(db, argv[1]!);
  const src = e !== 0 ? sources.get(ks.type(e)) : undefined;
  if (e !== 0 && src === undefined) throw new WrongTypeError();
  // an unsorted set is in hash order: STORE sorts it (ALPHA) to be deterministic
  if (dontsort && src !== undefined && src.range === undefined && storekey !== null) {
    dontsort = false;
    alpha = true;
    sortby = null;
  }
  const vectorlen = e !== 0 ? ks.valueLength(e) : 0;
  let start = limitStart < 0 ? 0 : limitStart;
  let end = limitCount < 0 ? vectorlen - 1 : start + limitCount - 1;
  if (start >= vectorlen) {
    start = vectorlen - 1;
    end = vectorlen - 2;
  }
  if (end >= vectorlen) end = vectorlen - 1;

  let items: Buffer[];
  if (src === undefined) items = [];
  else if (dontsort && src.range !== undefined) {
    // in the type's own order: read just the range
    items = end >= start ? src.range(ks, e, start, end, desc) : [];
    end -= start;
    start = 0;
  } else items = src.elements(ks, e);

  const n = items.length;
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let convError = false;
  if (!dontsort) {
    const scores = new Float64Array(n);
    const by: (Buffer | null)[] = new Array<Buffer | null>(n).fill(null);
    for (let i = 0; i < n; i++) {
      let v: Buffer | null = items[i]!;
      if (sortby !== null) {
        v = lookupByPattern(ks, db, sortby, items[i]!);
        if (v === null) continue;
      }
      if (alpha) {
        if (sortby !== null) by[i] = v;
      } else {
        const s = sortScore(v);
        if (s === null) convError = true;
        else scores[i] = s;
      }
    }
    if (!convError) {
      // (ties keep their order: the index decides, as a stable sort would)
      const cmp = (x: number, y: number): number => {
        let c: number;
        if (!alpha) c = scores[x]! > scores[y]! ? 1 : scores[x]! < scores[y]! ? -1 : Buffer.compare(items[x]!, items[y]!);
        else if (sortby !== null) {
          const bx = by[x]!;
          const byy = by[y]!;
          c = bx === null || byy === null ? (bx === byy ? 0 : bx === null ? -1 : 1) : Buffer.compare(bx, byy);
        } else c = Buffer.compare(items[x]!, items[y]!);
        return (desc ? -c : c) || x - y;
      };
      // LIMIT: only the first end + 1 need their places (Redis's pqsort)
      if (end + 1 < n / 4) sortPrefix(order, cmp, Math.max(0, end + 1));
      else order.sort(cmp);
    }
  }

  const span = Math.max(0, end - start + 1);
  const outputlen = gets.length > 0 ? gets.length * span : span;
  if (convError) throw new ReplyError("ERR One or more scores can't be converted into double");
  if (storekey === null) {
    ctx.reply.array(outputlen);
    for (let j = start; j <= end; j++) {
      const el = items[order[j]!]!;
      if (gets.length === 0) ctx.reply.bulk(el);
      for (const g of gets) {
        const v = lookupByPattern(ks, db, g, el);
        if (v === null) ctx.reply.nullBulk();
        else ctx.reply.bulk(v);
      }
    }
    return;
  }
  const out: Buffer[] = [];
  for (let j = start; j <= end; j++) {
    const el = items[order[j]!]!;
    if (gets.length === 0) out.push(el);
    for (const g of gets) out.push(lookupByPattern(ks, db, g, el) ?? Buffer.alloc(0));
  }
  if (outputlen > 0) {
    if (store === null) throw new ReplyError('ERR SORT STORE writes a list, and this build has no list type yet');
    store(ks, db, storekey, out);
  } else {
    const d = ks.lookupWrite(db, storekey);
    if (d !== 0) ks.removeEntry(db, d, REASON.deleted);
  }
  ctx.reply.integer(outputlen);
}

/**
 * Put the k first of `order` (by cmp, a total order) sorted in order[0..k); the rest is left
 * in no particular order. A bounded max-heap: n log k comparisons, where sorting all of a
 * 1M-element list for `LIMIT 0 10` took n log n.
 */
function sortPrefix(order: number[], cmp: (x: number, y: number) => number, k: number): void {
  if (k === 0) return;
  const h = order.slice(0, k);
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      if (l >= k) return;
      const r = l + 1;
      const big = r < k && cmp(h[r]!, h[l]!) > 0 ? r : l;
      if (cmp(h[big]!, h[i]!) <= 0) return;
      const t = h[i]!;
      h[i] = h[big]!;
      h[big] = t;
      i = big;
    }
  };
  for (let i = (k >> 1) - 1; i >= 0; i--) down(i);
  for (let i = k; i < order.length; i++) {
    if (cmp(order[i]!, h[0]!) < 0) {
      h[0] = order[i]!;
      down(0);
    }
  }
  h.sort(cmp);
  for (let i = 0; i < k; i++) order[i] = h[i]!;
}

function sort(ctx: CommandContext, argv: Buffer[]): void {
  sortGeneric(ctx, argv, false);
}

function sort_ro(ctx: CommandContext, argv: Buffer[]): void {
  sortGeneric(ctx, argv, true);
}

/** Redis's sortGetKeys: the sorted key, and the last STORE's destination. */
function sortGetKeys(argv: Buffer[]): { pos: number; flags: string[] }[] {
  const keys = [{ pos: 1, flags: ['RO', 'access'] }];
  let storePos = 0;
  const skips: [string, number][] = [
    ['limit', 2],
    ['get', 1],
    ['by', 1],
  ];
  for (let i = 2; i < argv.length; i++) {
    for (const [name, skip] of skips) {
      if (eqi(argv[i]!, name)) {
        i += skip;
        break;
      } else if (eqi(argv[i]!, 'store') && i + 1 < argv.length) {
        storePos = i + 1;
        break;
      }
    }
  }
  if (storePos > 0) keys.push({ pos: storePos, flags: ['OW', 'update'] });
  return keys;
}

function sortRoGetKeys(): { pos: number; flags: string[] }[] {
  return [{ pos: 1, flags: ['RO', 'access'] }];
}

export const commands: CommandDef[] = [
  {
    name: 'sort',
    handler: sort,
    getKeys: sortGetKeys,
    arity: -2,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'generic',
    summary: 'Sort the elements in a list, set or sorted set',
    since: '1.0.0',
    complexity: 'O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).',
    acl: ['-@keyspace', '@set', '@sortedset', '@list', '@dangerous'],
    keySpecs: [
      {
        flags: ['RO', 'access'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        notes: 'For the optional BY/GET keyword. It is marked \'unknown\' because the key names derive from the content of the key we sort',
        flags: ['RO', 'access'],
        beginSearch: { type: 'unknown' },
        findKeys: { type: 'unknown' },
      },
      {
        notes: 'For the optional STORE keyword. It is marked \'unknown\' because the keyword can appear anywhere in the argument array',
        flags: ['OW', 'update'],
        beginSearch: { type: 'unknown' },
        findKeys: { type: 'unknown' },
      },
    ],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'pattern', type: 'pattern', keySpecIndex: 1, token: 'BY', flags: ['optional'] },
      {
        name: 'offset_count',
        type: 'block',
        token: 'LIMIT',
        flags: ['optional'],
        args: [{ name: 'offset', type: 'integer' }, { name: 'count', type: 'integer' }],
      },
      {
        name: 'pattern',
        type: 'pattern',
        keySpecIndex: 1,
        token: 'GET',
        flags: ['optional', 'multiple', 'multiple_token'],
      },
      {
        name: 'order',
        type: 'oneof',
        flags: ['optional'],
        args: [
          { name: 'asc', type: 'pure-token', token: 'ASC' },
          { name: 'desc', type: 'pure-token', token: 'DESC' },
        ],
      },
      { name: 'sorting', type: 'pure-token', token: 'ALPHA', flags: ['optional'] },
      { name: 'destination', type: 'key', keySpecIndex: 2, token: 'STORE', flags: ['optional'] },
    ],
  },
  {
    name: 'sort_ro',
    handler: sort_ro,
    getKeys: sortRoGetKeys,
    arity: -2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'generic',
    summary: 'Sort the elements in a list, set or sorted set. Read-only variant of SORT.',
    since: '7.0.0',
    complexity: 'O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).',
    acl: ['-@keyspace', '@set', '@sortedset', '@list', '@dangerous'],
    keySpecs: [
      {
        flags: ['RO', 'access'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        notes: 'For the optional BY/GET keyword. It is marked \'unknown\' because the key names derive from the content of the key we sort',
        flags: ['RO', 'access'],
        beginSearch: { type: 'unknown' },
        findKeys: { type: 'unknown' },
      },
    ],
    args: [
      { name: 'key', type: 'key', keySpecIndex: 0 },
      { name: 'pattern', type: 'pattern', keySpecIndex: 1, token: 'BY', flags: ['optional'] },
      {
        name: 'offset_count',
        type: 'block',
        token: 'LIMIT',
        flags: ['optional'],
        args: [{ name: 'offset', type: 'integer' }, { name: 'count', type: 'integer' }],
      },
      {
        name: 'pattern',
        type: 'pattern',
        keySpecIndex: 1,
        token: 'GET',
        flags: ['optional', 'multiple', 'multiple_token'],
      },
      {
        name: 'order',
        type: 'oneof',
        flags: ['optional'],
        args: [
          { name: 'asc', type: 'pure-token', token: 'ASC' },
          { name: 'desc', type: 'pure-token', token: 'DESC' },
        ],
      },
      { name: 'sorting', type: 'pure-token', token: 'ALPHA', flags: ['optional'] },
    ],
  },
];
