/**
 * A key's object: one heap chunk holding the key, the value's metadata and (when it is
 * short) the value itself. Layout, written down once:
 *
 *   0   u8   type (OBJ_*)
 *   1   u8   encoding hint (ENC_*) — what OBJECT ENCODING reports
 *   2   u16  flags: FLAG_SHARED_INT
 *   4   u32  access: under an LRU (or no) policy the LRU clock (seconds, low 32 bits);
 *             under an LFU policy (minutes & 0xffff) << 8 | 8-bit log counter, as Redis
 *             (see access.ts). Touches are not undo-logged: it is a hint
 *   8   u64  expire-at, ms since the epoch (low u32, high u32); 0 = no expiry
 *   16  u32  key length
 *   20  u32  value length (strings) or element count (collections)
 *   24  u32  value ref: 0 = value inline after the key, else a separate chunk
 *   28  u32  creation time, seconds since the epoch
 *   32  key bytes, then the inline value
 *
 * Strings longer than INLINE_MAX live in their own chunk, with slack so APPEND grows
 * them in place most of the time instead of copying.
 */
export const OBJ_STRING = 0;
export const OBJ_LIST = 1;
export const OBJ_SET = 2;
export const OBJ_ZSET = 3;
export const OBJ_HASH = 4;
export const OBJ_STREAM = 6;

export const ENC_RAW = 0;
export const ENC_INT = 1;
export const ENC_EMBSTR = 8;

export const O_TYPE = 0;
export const O_ENC = 1;
export const O_FLAGS = 2;
/**
 * The value is an integer 0..9999 that Redis would have stored as one of its shared
 * integer objects (OBJECT REFCOUNT says 2147483647): set when it was written while
 * sharing was allowed (no maxmemory, or a policy that needs no per-key LRU/LFU data).
 */
export const FLAG_SHARED_INT = 1;
export const O_LRU = 4;
export const O_EXPIRE = 8;
export const O_KLEN = 16;
export const O_VLEN = 20;
export const O_VREF = 24;
export const O_CTIME = 28;
export const O_KEY = 32;

export const INLINE_MAX = 128;
/** Redis reports embstr for strings up to this length that were never modified in place. */
export const EMBSTR_MAX = 44;

export const TYPE_NAMES: Record<number, string> = {
  [OBJ_STRING]: 'string',
  [OBJ_LIST]: 'list',
  [OBJ_SET]: 'set',
  [OBJ_ZSET]: 'zset',
  [OBJ_HASH]: 'hash',
  [OBJ_STREAM]: 'stream',
};

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
