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
 * whose combined effect after transaction n is known exactly (see mixedExpected).
 */
export function mixedTransaction(n: number): (string | number)[][] {
  const cmds: (string | number)[][] = [['SELECT', 0], ['INCR', 'seq'], ['SELECT', 1]];
  if (n % FLUSH_EVERY === 0) cmds.push(['FLUSHDB']);
  cmds.push(['SET', 's', n], ['APPEND', 'log', `${n},`], ['INCRBY', 'total', n], ['INCR', 'count']);
  cmds.push(['DEL', `tmp:${n - 1}`], ['SET', `tmp:${n}`, n, 'EX', 1000], ['EXPIRE', `tmp:${n}`, 100000]);
  cmds.push(['SET', 'rsrc', `r${n}`], ['RENAME', 'rsrc', 'r']);
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
  for (let j = 0; j < MIXED_PAD; j++) m.set(`pad:${j}`, `${n}-${'x'.repeat(j * 7)}`);
  return m;
}

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
