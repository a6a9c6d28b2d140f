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
