import { str2ll } from '../protocol/numbers.js';
import { ReplyError } from '../keyspace/keyspace.js';
import { compileGlob } from '../util/glob.js';

export const ERR_NOT_INT = 'ERR value is not an integer or out of range';
export const ERR_SYNTAX = 'ERR syntax error';

/** Case-insensitive compare of an argument with a lower-case ASCII word, without allocating. */
export function eqi(arg: Uint8Array, word: string): boolean {
  if (arg.length !== word.length) return false;
  for (let i = 0; i < arg.length; i++) {
    const c = arg[i]!;
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== word.charCodeAt(i)) return false;
  }
  return true;
}

/** A signed 64-bit integer argument (Redis string2ll rules), as a number or, past 2^53, a bigint. */
export function argInt64(arg: Uint8Array, err = ERR_NOT_INT): number | bigint {
  const v = str2ll(arg, 0, arg.length);
  if (v === null) throw new ReplyError(err);
  return v;
}

export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;

/** A SCAN-family cursor (parseScanCursorOrReply): below 2^32, or -1 for a larger one (past our end). */
export function parseCursor(arg: Uint8Array): number {
  let i = 0;
  let neg = false;
  if (arg.length > 0 && (arg[0] === 32 || (arg[0]! >= 9 && arg[0]! <= 13))) throw new ReplyError('ERR invalid cursor');
  if (arg[i] === 43 || arg[i] === 45) {
    neg = arg[i] === 45;
    i++;
  }
  if (i === arg.length) {
    if (arg.length === 0) return 0;
    throw new ReplyError('ERR invalid cursor');
  }
  let v = 0n;
  for (; i < arg.length; i++) {
    const c = arg[i]!;
    if (c < 48 || c > 57) throw new ReplyError('ERR invalid cursor');
    v = v * 10n + BigInt(c - 48);
    if (v > 0xffffffffffffffffn) throw new ReplyError('ERR invalid cursor');
  }
  if (neg && v !== 0n) v = 2n ** 64n - v;
  // Our cursors are hash positions below 2^32: anything past is the end.
  return v >= 2n ** 32n ? -1 : Number(v);
}

/**
 * The most elements a reply of random picks with repetitions (HRANDFIELD, SRANDMEMBER,
 * ZRANDMEMBER with a negative count) may hold. Redis builds whatever is asked and runs out
 * of memory (or works for hours) on counts like -2^62; shmkv answers an error instead.
 */
export const MAX_RANDOM_REPLY = 1 << 27;
export const ERR_RANDOM_COUNT = `ERR count is out of range: more than ${MAX_RANDOM_REPLY} random picks would not fit in memory`;

/**
 * The MATCH and COUNT options of SSCAN, HSCAN and ZSCAN from argv[3] on (Redis's
 * scanGenericCommand): COUNT below 1 or anything else is a syntax error; MATCH * matches
 * everything, so it filters nothing (null).
 */
export function parseScanOptions(argv: Buffer[]): { count: number; match: ((s: Uint8Array) => boolean) | null } {
  let count = 10;
  let match: ((s: Uint8Array) => boolean) | null = null;
  for (let i = 3; i < argv.length; i++) {
    const more = argv.length - i - 1;
    if (eqi(argv[i]!, 'count') && more >= 1) {
      const v = argInt64(argv[i + 1]!);
      if (v < 1) throw new ReplyError(ERR_SYNTAX);
      count = Number(v);
      i++;
    } else if (eqi(argv[i]!, 'match') && more >= 1) {
      const p = argv[i + 1]!;
      match = p.length === 1 && p[0] === 42 ? null : compileGlob(p);
      i++;
    } else throw new ReplyError(ERR_SYNTAX);
  }
  return { count, match };
}
