/**
 * Workloads that library processes run (test/fixtures/kv-worker.ts) and that the tests
 * check afterwards: what a transaction writes, and what the keyspace must hold after it.
 */

/** Keys of the padding in a mixed transaction (several keys per transaction, so a partial one shows). */
export const MIXED_PAD = 40;
/** Every FLUSH_EVERY-th mixed transaction starts with FLUSHDB of database 1. */
export const FLUSH_EVERY = 25;

/**
 * Mixed transaction n (n = 1, 2, ...): in database 0, INCR seq (n after it); in database 1,
 * FLUSHDB when n is a multiple of FLUSH_EVERY, then SET/APPEND/INCRBY/DEL/EXPIRE/RENAME
 * whose combined effect after transaction n is known exactly (see mixedExpected). `mv` is
 * made without a TTL and then given one: its entry moves to the layout with an expiry field.
 */
export function mixedTransaction(n: number): (string | number)[][] {
  const cmds: (string | number)[][] = [['SELECT', 0], ['INCR', 'seq'], ['SELECT', 1]];
  if (n % FLUSH_EVERY === 0) cmds.push(['FLUSHDB']);
  cmds.push(['SET', 's', n], ['APPEND', 'log', `${n},`], ['INCRBY', 'total', n], ['INCR', 'count']);
  cmds.push(['DEL', `tmp:${n - 1}`], ['SET', `tmp:${n}`, n, 'EX', 1000], ['EXPIRE', `tmp:${n}`, 100000]);
  cmds.push(['SET', 'rsrc', `r${n}`], ['RENAME', 'rsrc', 'r']);
  cmds.push(['DEL', 'mv'], ['SET', 'mv', `m${n}`], ['PEXPIRE', 'mv', 100000000]);
  for (let j = 0; j < MIXED_PAD; j++) cmds.push(['SET', `pad:${j}`, `${n}-${'x'.repeat(j * 7)}`]);
  cmds.push(['SELECT', 0]);
  return cmds;
}

/** What database 1 must hold after mixed transaction n committed (and nothing after it). */
export function mixedExpected(n: number): Map<string, string> {
  const m = new Map<string, string>();
  if (n === 0) return m;
  const from = Math.floor(n / FLUSH_EVERY) * FLUSH_EVERY || 1;
  let log = '';
  let total = 0;
  for (let i = from; i <= n; i++) {
    log += `${i},`;
    total += i;
  }
  m.set('s', String(n));
  m.set('log', log);
  m.set('total', String(total));
  m.set('count', String(n - from + 1));
  m.set(`tmp:${n}`, String(n));
  m.set('r', `r${n}`);
  m.set('mv', `m${n}`);
  for (let j = 0; j < MIXED_PAD; j++) m.set(`pad:${j}`, `${n}-${'x'.repeat(j * 7)}`);
  return m;
}

/**
 * Set transaction n (n = 1, 2, ...), in database 0: INCR sseq (n after it), then set
 * commands whose combined effect after transaction n is known exactly (setsExpected):
 * `grow` gains 20 members per transaction (small hashtable, then a Dash that splits),
 * `ints` 10 integers (an intset, a Dash past 512), `cyc` goes through every form and is
 * deleted every 10th transaction, SMOVE moves one member of `grow` to `moved`, and
 * SUNIONSTORE / SDIFFSTORE rewrite `u` / `d` whole.
 */
export function setsTransaction(n: number): (string | number)[][] {
  const cmds: (string | number)[][] = [['INCR', 'sseq']];
  const g: string[] = [];
  for (let j = 0; j < 20; j++) g.push(`g:${n}:${j}`);
  cmds.push(['SADD', 'grow', ...g]);
  const ints: number[] = [];
  for (let j = 0; j < 10; j++) ints.push(n * 10 + j);
  cmds.push(['SADD', 'ints', ...ints]);
  if (n % 10 === 0) cmds.push(['DEL', 'cyc']);
  else {
    cmds.push(['SADD', 'cyc', ...ints]);
    if (n % 10 >= 5) cmds.push(['SADD', 'cyc', `s:${n}`]);
    cmds.push(['SREM', 'cyc', n * 10 - 10]);
  }
  cmds.push(['SMOVE', 'grow', 'moved', `g:${n}:0`]);
  cmds.push(['SUNIONSTORE', 'u', 'cyc', 'moved']);
  cmds.push(['SDIFFSTORE', 'd', 'ints', 'cyc']);
  return cmds;
}

/** What database 0 must hold after set transaction n committed: key → sorted members (sseq aside). */
export function setsExpected(n: number): Map<string, string[]> {
  const sets = new Map<string, Set<string>>();
  const get = (k: string) => {
    let s = sets.get(k);
    if (s === undefined) sets.set(k, (s = new Set()));
    return s;
  };
  for (let i = 1; i <= n; i++) {
    for (let j = 0; j < 20; j++) get('grow').add(`g:${i}:${j}`);
    for (let j = 0; j < 10; j++) get('ints').add(String(i * 10 + j));
    if (i % 10 === 0) sets.delete('cyc');
    else {
      for (let j = 0; j < 10; j++) get('cyc').add(String(i * 10 + j));
      if (i % 10 >= 5) get('cyc').add(`s:${i}`);
      get('cyc').delete(String(i * 10 - 10));
    }
    get('grow').delete(`g:${i}:0`);
    get('moved').add(`g:${i}:0`);
    sets.set('u', new Set([...(sets.get('cyc') ?? []), ...get('moved')]));
    const cyc = sets.get('cyc') ?? new Set<string>();
    sets.set('d', new Set([...get('ints')].filter((m) => !cyc.has(m))));
    for (const [k, s] of [...sets]) if (s.size === 0) sets.delete(k);
  }
  const out = new Map<string, string[]>();
  for (const [k, s] of sets) out.set(k, [...s].sort());
  return out;
}

// ---------------------------------------------------------------- collections

/**
 * Collections transaction n (n = 1, 2, ...): in database 0, INCR cseq; in database 2,
 * pushes, pops, inserts, sets and trims of lists (elements of 60-100 bytes, so nodes fill
 * and split), fields of hashes (growing past 128 fields, and a value past 64 bytes: both
 * conversions to hashtable), members of sets (integers past 512: intset → hashtable;
 * strings), and with `zsets` members of sorted sets (past 128: listpack → skiplist), plus
 * DELs that drop whole collections now and then. Some commands fail at run time (LSET out
 * of range, a pivot that is gone): inside EXEC that changes nothing else, as in Redis.
 */
export function collectionsTransaction(n: number, zsets = false): (string | number)[][] {
  const el = (i: number): string => `${i}:${'v'.repeat(60 + (i % 40))}`;
  const cmds: (string | number)[][] = [['SELECT', 0], ['INCR', 'cseq'], ['SELECT', 2]];
  cmds.push(['RPUSH', 'L', el(n)]);
  if (n % 3 === 0) cmds.push(['LPOP', 'L']);
  if (n % 4 === 0) cmds.push(['LPUSH', 'L', el(n + 100000)]);
  if (n % 5 === 0) cmds.push(['LINSERT', 'L', 'BEFORE', el(n - 5), el(n + 200000)]);
  if (n % 7 === 0) cmds.push(['LSET', 'L', (n * 31) % 97, el(n + 300000)]);
  if (n % 11 === 0) cmds.push(['LREM', 'L', 1, el(n - 11)]);
  cmds.push(['RPUSH', 'L2', n, n + 1, n + 2], ['LTRIM', 'L2', -300, -1]);
  cmds.push(['HSET', 'H', `f${n % 150}`, n]);
  if (n % 2 === 0) cmds.push(['HDEL', 'H', `f${(n * 7) % 150}`]);
  cmds.push(['HINCRBY', 'H', 'ctr', 1]);
  cmds.push(['HSET', 'H2', 'a', n]);
  if (n % 50 === 0) cmds.push(['HSET', 'H2', 'long', 'x'.repeat(100)]);
  if (n % 75 === 0) cmds.push(['DEL', 'H2']);
  cmds.push(['SADD', 'S', n % 700]);
  if (n % 3 === 0) cmds.push(['SREM', 'S', (n * 13) % 700]);
  cmds.push(['SADD', 'S2', `m${n % 50}`]);
  if (n % 9 === 0) cmds.push(['SREM', 'S2', `m${(n * 5) % 50}`]);
  if (zsets) {
    cmds.push(['ZADD', 'Z', (n * 37) % 1000, `z${n % 400}`]);
    if (n % 4 === 0) cmds.push(['ZREM', 'Z', `z${(n * 11) % 400}`]);
    cmds.push(['ZINCRBY', 'Z', 1, 'hot']);
  }
  if (n % 200 === 0) cmds.push(['DEL', 'L']);
  cmds.push(['SELECT', 0]);
  return cmds;
}

export interface CollectionsModel {
  lists: Map<string, string[]>;
  hashes: Map<string, Map<string, string>>;
  sets: Map<string, Set<string>>;
  zsets: Map<string, Map<string, number>>;
}

/** What database 2 holds after collections transactions 1..n (the commands' Redis semantics, modelled). */
export function collectionsExpected(n: number, zsets = false): CollectionsModel {
  const m: CollectionsModel = { lists: new Map(), hashes: new Map(), sets: new Map(), zsets: new Map() };
  const drop = (k: string): void => {
    m.lists.delete(k);
    m.hashes.delete(k);
    m.sets.delete(k);
    m.zsets.delete(k);
  };
  const list = (k: string): string[] => m.lists.get(k) ?? (m.lists.set(k, []), m.lists.get(k)!);
  const settle = (k: string): void => {
    if (m.lists.get(k)?.length === 0) m.lists.delete(k);
    if (m.hashes.get(k)?.size === 0) m.hashes.delete(k);
    if (m.sets.get(k)?.size === 0) m.sets.delete(k);
    if (m.zsets.get(k)?.size === 0) m.zsets.delete(k);
  };
  for (let i = 1; i <= n; i++) {
    let db = 0;
    for (const c of collectionsTransaction(i, zsets)) {
      const [name, ...a] = c.map(String);
      if (name === 'SELECT') {
        db = Number(a[0]);
        continue;
      }
      if (db !== 2) continue;
      const k = a[0]!;
      switch (name) {
        case 'RPUSH':
          list(k).push(...a.slice(1));
          break;
        case 'LPUSH':
          for (const x of a.slice(1)) list(k).unshift(x);
          break;
        case 'LPOP':
          m.lists.get(k)?.shift();
          break;
        case 'LINSERT': {
          const l = m.lists.get(k);
          const at = l ? l.indexOf(a[2]!) : -1;
          if (at >= 0) l!.splice(at, 0, a[3]!);
          break;
        }
        case 'LSET': {
          const l = m.lists.get(k);
          let idx = Number(a[1]);
          if (l && idx < 0) idx += l.length;
          if (l && idx >= 0 && idx < l.length) l[idx] = a[2]!;
          break;
        }
        case 'LREM': {
          const l = m.lists.get(k);
          const at = l ? l.indexOf(a[2]!) : -1;
          if (at >= 0) l!.splice(at, 1);
          break;
        }
        case 'LTRIM': {
          const l = m.lists.get(k);
          if (l && l.length > 300) l.splice(0, l.length - 300);
          break;
        }
        case 'HSET': {
          const h = m.hashes.get(k) ?? (m.hashes.set(k, new Map()), m.hashes.get(k)!);
          h.set(a[1]!, a[2]!);
          break;
        }
        case 'HDEL':
          m.hashes.get(k)?.delete(a[1]!);
          break;
        case 'HINCRBY': {
          const h = m.hashes.get(k) ?? (m.hashes.set(k, new Map()), m.hashes.get(k)!);
          h.set(a[1]!, String(Number(h.get(a[1]!) ?? 0) + Number(a[2])));
          break;
        }
        case 'SADD': {
          const s = m.sets.get(k) ?? (m.sets.set(k, new Set()), m.sets.get(k)!);
          s.add(a[1]!);
          break;
        }
        case 'SREM':
          m.sets.get(k)?.delete(a[1]!);
          break;
        case 'ZADD': {
          const z = m.zsets.get(k) ?? (m.zsets.set(k, new Map()), m.zsets.get(k)!);
          z.set(a[2]!, Number(a[1]));
          break;
        }
        case 'ZINCRBY': {
          const z = m.zsets.get(k) ?? (m.zsets.set(k, new Map()), m.zsets.get(k)!);
          z.set(a[2]!, (z.get(a[2]!) ?? 0) + Number(a[1]));
          break;
        }
        case 'ZREM':
          m.zsets.get(k)?.delete(a[1]!);
          break;
        case 'DEL':
          drop(k);
          break;
        default:
          throw new Error(`collectionsExpected: ${name} is not modelled`);
      }
      settle(k);
    }
  }
  return m;
}

// ---------------------------------------------------------------- hashes

/** Fields of the large hash of the hash workload (it becomes hashtable-encoded and splits segments). */
export const HASH_BIG_FIELDS = 3000;

/**
 * Hash transaction n (n = 1, 2, ...): in database 0, INCR hseq; in database 2, HSET/HINCRBY
 * on a large hash, a small (listpack) one, one converted to a hashtable every other
 * transaction and deleted again the next, and an HINCRBYFLOAT; see hashExpected.
 */
export function hashTransaction(n: number): (string | number)[][] {
  const cmds: (string | number)[][] = [['SELECT', 0], ['INCR', 'hseq'], ['SELECT', 2]];
  cmds.push(['HSET', 'big', `f:${n % HASH_BIG_FIELDS}`, n, `g:${(n * 7) % HASH_BIG_FIELDS}`, `${n}-${'v'.repeat(n % 50)}`, `h:${(n * 13) % HASH_BIG_FIELDS}`, n, `i:${(n * 17) % HASH_BIG_FIELDS}`, n]);
  cmds.push(['HINCRBY', 'big', 'counter', 1], ['HSET', 'small', 'a', n, 'b', n], ['HDEL', 'small', 'c'], ['HSET', 'small', 'c', n]);
  cmds.push(['DEL', 'conv'], ['HSET', 'conv', 'k', n]);
  if (n % 2 === 0) cmds.push(['HSET', 'conv', 'long', 'y'.repeat(100)]);
  cmds.push(['HINCRBYFLOAT', 'fl', 'x', '0.5'], ['SELECT', 0]);
  return cmds;
}

/** What database 2 must hold after hash transaction n committed: key → field → value. */
export function hashExpected(n: number): Map<string, Map<string, string>> {
  const m = new Map<string, Map<string, string>>();
  if (n === 0) return m;
  const big = new Map<string, string>();
  for (let i = 1; i <= n; i++) {
    big.set(`f:${i % HASH_BIG_FIELDS}`, String(i));
    big.set(`g:${(i * 7) % HASH_BIG_FIELDS}`, `${i}-${'v'.repeat(i % 50)}`);
    big.set(`h:${(i * 13) % HASH_BIG_FIELDS}`, String(i));
    big.set(`i:${(i * 17) % HASH_BIG_FIELDS}`, String(i));
  }
  big.set('counter', String(n));
  m.set('big', big);
  m.set('small', new Map([['a', String(n)], ['b', String(n)], ['c', String(n)]]));
  const conv = new Map([['k', String(n)]]);
  if (n % 2 === 0) conv.set('long', 'y'.repeat(100));
  m.set('conv', conv);
  m.set('fl', new Map([['x', String(n / 2)]]));
  return m;
}

// ---------------------------------------------------------------- sorted sets

/**
 * Sorted-set transaction n (n = 1, 2, ...): INCR zseq, then commands that make a large
 * sorted set's tree split (40 ZADDs a transaction, up to 3000 members), merge and lose
 * height (ZREMRANGEBYSCORE of wide ranges, ZPOPMIN, a DEL now and then), move items
 * (ZINCRBY), plus a small listpack set and a ZUNIONSTORE of both (a big store result).
 */
export function zsetsTransaction(n: number): (string | number)[][] {
  const cmds: (string | number)[][] = [['INCR', 'zseq']];
  const add: (string | number)[] = ['ZADD', 'big'];
  for (let j = 0; j < 40; j++) add.push((n * 7 + j * 13) % 500, `b:${(n * 40 + j * 31) % 3000}`);
  cmds.push(add);
  if (n % 5 === 0) cmds.push(['ZREMRANGEBYSCORE', 'big', (n * 3) % 500, ((n * 3) % 500) + 60]);
  cmds.push(['ZINCRBY', 'big', 1.5, `b:${n % 3000}`]);
  cmds.push(['ZPOPMIN', 'big', 3]);
  cmds.push(['ZADD', 'small', n % 50, `s:${n % 30}`]);
  if (n % 3 === 0) cmds.push(['ZUNIONSTORE', 'u', 2, 'big', 'small', 'WEIGHTS', 1, 2]);
  if (n % 61 === 0) cmds.push(['DEL', 'big']);
  return cmds;
}

function zsorted(z: Map<string, number>): [string, number][] {
  return [...z.entries()].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** What database 0 must hold after sorted-set transaction n committed: key → [member, score] in order (zseq aside). */
export function zsetsExpected(n: number): Map<string, [string, number][]> {
  const z = new Map<string, Map<string, number>>();
  const get = (k: string) => {
    let s = z.get(k);
    if (s === undefined) z.set(k, (s = new Map()));
    return s;
  };
  for (let i = 1; i <= n; i++) {
    const big = get('big');
    for (let j = 0; j < 40; j++) big.set(`b:${(i * 40 + j * 31) % 3000}`, (i * 7 + j * 13) % 500);
    if (i % 5 === 0) {
      const lo = (i * 3) % 500;
      for (const [m, s] of [...big]) if (s >= lo && s <= lo + 60) big.delete(m);
    }
    const hot = `b:${i % 3000}`;
    big.set(hot, (big.get(hot) ?? 0) + 1.5);
    for (const [m] of zsorted(big).slice(0, 3)) big.delete(m);
    get('small').set(`s:${i % 30}`, i % 50);
    if (i % 3 === 0) {
      const u = new Map<string, number>();
      for (const [m, s] of get('big')) u.set(m, s);
      for (const [m, s] of get('small')) u.set(m, (u.get(m) ?? 0) + 2 * s);
      z.set('u', u);
    }
    if (i % 61 === 0) z.delete('big');
    for (const [k, s] of [...z]) if (s.size === 0) z.delete(k);
  }
  const out = new Map<string, [string, number][]>();
  for (const [k, s] of z) out.set(k, zsorted(s));
  return out;
}
