/**
 * Replies as ioredis returns them, so that what a real server answers over a socket can be
 * compared with what the `kv` library returns for the same command:
 *
 *   bulk → string (utf8), integer → number, nil → null, array → array, status → string,
 *   error → ReplyError (its message is the error's text; here `{ error: message }`, which
 *   compares with deepEqual), RESP3 map → object, double → number, boolean → boolean.
 *
 * One documented difference: an integer beyond 2^53 comes back from `kv` as its exact
 * decimal text (ioredis's `stringNumbers`), where ioredis would give an imprecise number.
 *
 *   const want = ioredisShape(await redisClient.call('GET', 'k'));
 *   const got = kvReply(() => kv.call('GET', 'k'));
 *   assert.deepEqual(got, want);
 */
import { decodeReply, type RespValue } from './raw-client.js';

/** An error reply, comparable with deepEqual. */
export interface ErrorReply {
  error: string;
}

export type Shaped = string | number | boolean | bigint | null | ErrorReply | Shaped[] | { [k: string]: Shaped };

export function shapeOf(v: RespValue): Shaped {
  switch (v.type) {
    case 'simple':
      return v.value;
    case 'error':
      return { error: v.value };
    case 'blobError':
      return { error: v.value.toString('utf8') };
    case 'integer':
      return Number.isSafeInteger(Number(v.value)) ? Number(v.value) : v.value.toString();
    case 'bulk':
    case 'verbatim':
      return v.value.toString('utf8');
    case 'null':
      return null;
    case 'array':
    case 'set':
    case 'push':
      return v.value.map(shapeOf);
    case 'map':
    case 'attribute': {
      const o: { [k: string]: Shaped } = {};
      for (const [k, x] of v.value) o[String(shapeOf(k))] = shapeOf(x);
      return o;
    }
    case 'double':
      return Number(v.value);
    case 'bool':
      return v.value;
    case 'bignum':
      return BigInt(v.value);
  }
}

/** A raw RESP reply (as RawClient reads it) in ioredis's shape. */
export function ioredisShape(raw: Buffer): Shaped {
  return shapeOf(decodeReply(raw));
}

/** A value the library returned (ReplyError objects anywhere in it become `{ error }`). */
export function shapeValue(v: unknown): Shaped {
  if (v instanceof Error) return { error: v.message };
  if (Array.isArray(v)) return v.map(shapeValue);
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v !== null && typeof v === 'object') {
    const o: { [k: string]: Shaped } = {};
    for (const [k, x] of Object.entries(v)) o[k] = shapeValue(x);
    return o;
  }
  return v as Shaped;
}

/** Run a library call; a thrown ReplyError becomes `{ error }` like any error reply. */
export function kvReply(f: () => unknown): Shaped {
  try {
    return shapeValue(f());
  } catch (e) {
    if (e instanceof Error && e.name === 'ReplyError') return { error: e.message };
    throw e;
  }
}
