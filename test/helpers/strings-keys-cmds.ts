/**
 * The command generators of the strings-and-keys differential tests, shared by every test
 * that runs these sequences (through a socket against redis-server, through the `kv`
 * library, ...), with the normalisation of the replies that depend on each server's clock
 * or hash order.
 */
import fc from 'fast-check';

export type Cmd = readonly (string | number)[];

/** 2100-01-01: deterministic EXPIREAT / EXPIRETIME. */
export const farSeconds = 4102444800;

/** Whether an (P)EXPIRETIME reply is one of the deterministic absolute expiries the generators set. */
function fixedExpiry(name: string, v: number): boolean {
  const at = name === 'expiretime' ? v * 1000 : v;
  return at === farSeconds * 1000 || at === (farSeconds + 5) * 1000 || at === farSeconds * 1000 + 7;
}

/**
 * The TTL of a key expiring at one of the far absolute times above (EXPIREAT farSeconds…):
 * ten digits, the only integers of that length these commands reply. Rounded to seconds, it
 * steps down at every half second, so two servers asked a moment apart may differ by one:
 * it is compared as a class (its exact deadline is compared through EXPIRETIME).
 */
const FAR_TTL_RAW = /:\d{10}\r\n/g;

/** Far TTLs in a raw reply (also inside an EXEC's array) as a class. */
export function maskFarTtls(raw: string): string {
  return raw.replace(FAR_TTL_RAW, ':<far ttl>\r\n');
}

/** Far TTLs in a reply shaped as ioredis returns it (also inside arrays) as a class. */
export function maskFarTtlValues(v: unknown): unknown {
  if (typeof v === 'number' && v >= 1e9 && v < 1e10 && Number.isInteger(v)) return '<far ttl>';
  if (Array.isArray(v)) return v.map(maskFarTtlValues);
  return v;
}

/**
 * A raw reply made comparable: KEYS as a sorted set, an absolute expiry set from a relative
 * TTL as its class (each server's clock differs; TTL comparisons check nearness).
 */
export function normaliseRaw(cmd: Cmd, reply: Buffer): string {
  const name = String(cmd[0]).toLowerCase();
  const s = reply.toString('latin1');
  if (name === 'ttl') return maskFarTtls(s);
  if ((name === 'expiretime' || name === 'pexpiretime') && /^:[1-9]/.test(s)) {
    return fixedExpiry(name, Number(s.slice(1, -2))) ? s : ':future-expiry';
  }
  if (name === 'keys' && s.startsWith('*')) {
    const lines = s.split('\r\n');
    const items: string[] = [];
    for (let i = 1; i < lines.length - 1; i += 2) items.push(lines[i + 1]!);
    return `keys:${items.sort().join(',')}`;
  }
  return s;
}

/** The same for a reply decoded as ioredis returns it (see ioredis-shape.ts). */
export function normaliseValue(cmd: Cmd, v: unknown): unknown {
  const name = String(cmd[0]).toLowerCase();
  if (name === 'ttl') return maskFarTtlValues(v);
  // (an integer past 2^53 comes as its decimal text)
  if ((name === 'expiretime' || name === 'pexpiretime') && (typeof v === 'number' || (typeof v === 'string' && /^[0-9]+$/.test(v))) && Number(v) > 0) {
    return fixedExpiry(name, Number(v)) ? v : 'future-expiry';
  }
  if (name === 'keys' && Array.isArray(v)) return [...v].sort();
  return v;
}

export const key = fc.constantFrom('k1', 'k2', 'k3', 'k4', '{k}5');
export const smallInt = fc.oneof(fc.integer({ min: -5, max: 30 }), fc.constantFrom('9223372036854775807', '-9223372036854775808', '9223372036854775808', '1.5', 'abc', '', ' 1', '+1', '01', '-0'));
export const value = fc.oneof(
  fc.constantFrom('', 'v', 'hello', '0', '10', '-3', '3.5', '1e3', 'abc', ' 7', '9223372036854775806', '-9223372036854775807', 'x'.repeat(50), 'y'.repeat(300)),
  fc.string({ maxLength: 20 }),
  fc.integer({ min: -1000, max: 1000 }).map(String),
);
export const ttlArg = fc.oneof(fc.constant(100000), fc.constantFrom(0, -1, 'abc', '9223372036854775807', '92233720368547758'));

/** One command of the strings-and-keys sequences (valid and invalid forms). */
export const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  fc.tuple(key, value).map(([k, v]) => ['set', k, v]),
  fc.tuple(key, value, fc.constantFrom('nx', 'XX', 'get', 'keepttl', 'NX GET', 'xx get', 'nx xx')).map(([k, v, o]) => ['set', k, v, ...o.split(' ')]),
  fc.tuple(key, value, fc.constantFrom('ex', 'px', 'EXAT', 'pxat'), ttlArg).map(([k, v, o, t]) => ['set', k, v, o, o.toLowerCase().endsWith('at') && t === 100000 ? (o.toLowerCase() === 'exat' ? farSeconds : farSeconds * 1000) : t]),
  fc.tuple(key, value).map(([k, v]) => ['set', k, v, 'ex', 100, 'px', 100]),
  fc.tuple(key, value).map(([k, v]) => ['set', k, v, 'keepttl', 'ex', 100]),
  fc.tuple(key, value).map(([k, v]) => ['set', k, v, 'bogus']),
  key.map((k) => ['get', k]),
  key.map((k) => ['getdel', k]),
  fc.tuple(key, fc.constantFrom(['persist'], ['ex', 1000], ['exat', farSeconds], ['px', 0], ['persist', 'ex', 10], ['bogus'])).map(([k, o]) => ['getex', k, ...o]),
  fc.tuple(key, value).map(([k, v]) => ['getset', k, v]),
  fc.tuple(key, value).map(([k, v]) => ['setnx', k, v]),
  fc.tuple(key, ttlArg, value).map(([k, t, v]) => ['setex', k, t, v]),
  fc.tuple(key, ttlArg, value).map(([k, t, v]) => ['psetex', k, t, v]),
  fc.array(key, { minLength: 1, maxLength: 4 }).map((ks) => ['mget', ...ks]),
  fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 3 }).map((kv) => ['mset', ...kv.flat()]),
  fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 3 }).map((kv) => ['msetnx', ...kv.flat()]),
  fc.constant(['mset', 'k1']),
  fc.tuple(key, value).map(([k, v]) => ['append', k, v]),
  key.map((k) => ['strlen', k]),
  fc.tuple(key, smallInt, smallInt).map(([k, s, e]) => ['getrange', k, s, e]),
  fc.tuple(key, smallInt, smallInt).map(([k, s, e]) => ['substr', k, s, e]),
  fc.tuple(key, fc.oneof(fc.integer({ min: -2, max: 40 }), fc.constantFrom('x', '536870912')), value).map(([k, o, v]) => ['setrange', k, o, v]),
  key.map((k) => ['incr', k]),
  key.map((k) => ['decr', k]),
  fc.tuple(key, smallInt).map(([k, n]) => ['incrby', k, n]),
  fc.tuple(key, smallInt).map(([k, n]) => ['decrby', k, n]),
  fc.tuple(key, fc.constantFrom('1', '0.1', '-2.5', '1e3', 'abc', 'inf', '5.0e3', '3', '-0')).map(([k, n]) => ['incrbyfloat', k, n]),
  fc.tuple(key, key, fc.constantFrom([], ['len'], ['idx'], ['idx', 'withmatchlen'], ['idx', 'minmatchlen', 2], ['len', 'idx'], ['bogus'])).map(([k1, k2, o]) => ['lcs', k1, k2, ...o]),
  fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ['del', ...ks]),
  fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ['unlink', ...ks]),
  fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ['exists', ...ks]),
  fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ['touch', ...ks]),
  key.map((k) => ['type', k]),
  fc.tuple(key, key).map(([x, y]) => ['rename', x, y]),
  fc.tuple(key, key).map(([x, y]) => ['renamenx', x, y]),
  fc.tuple(key, ttlArg, fc.constantFrom([], ['nx'], ['xx'], ['gt'], ['lt'], ['nx', 'xx'], ['gt', 'lt'], ['bogus'])).map(([k, t, o]) => ['expire', k, t, ...o]),
  fc.tuple(key, fc.constantFrom(100000000, -5)).map(([k, t]) => ['pexpire', k, t]),
  fc.tuple(key, fc.constantFrom(farSeconds, farSeconds + 5, 1000)).map(([k, t]) => ['expireat', k, t]),
  fc.tuple(key, fc.constantFrom(farSeconds * 1000 + 7, 5)).map(([k, t]) => ['pexpireat', k, t]),
  key.map((k) => ['ttl', k]),
  key.map((k) => ['expiretime', k]),
  key.map((k) => ['pexpiretime', k]),
  key.map((k) => ['persist', k]),
  fc.tuple(key, key, fc.constantFrom([], ['replace'], ['db', 1], ['db', 99], ['db', 'x'], ['bogus'])).map(([x, y, o]) => ['copy', x, y, ...o]),
  fc.tuple(key, fc.constantFrom(0, 1, 2, 99, -1, 'x')).map(([k, d]) => ['move', k, d]),
  fc.constantFrom(['select', 0], ['select', 1], ['dbsize'], ['keys', '*'], ['keys', 'k[12]'], ['keys', '{*'], ['flushdb']),
  key.map((k) => ['object', 'encoding', k]),
  fc.tuple(key, value).map(([k, v]) => ['append', k, v]),
  key.map((k) => ['object', 'refcount', k]),
  fc.constantFrom(['get'], ['set', 'k1'], ['incr'], ['getrange', 'k1', 0], ['expire', 'k1'], ['object', 'bogus', 'k1'], ['object']),
);
