/**
 * A key's object: one heap chunk holding the key, the value's metadata and (when it is
 * short) the value itself. Layout, written down once (KEYSPACE_VERSION 4):
 *
 *   0   u8   type (OBJ_*)
 *   1   u8   encoding: the type's own code (strings: ENC_* in src/types/string/storage.ts)
 *   2   u8   flags: FLAG_SHARED_INT
 *   3   u8   layout: 0 = no expiry field, LAYOUT_EXPIRE = the 8-byte expiry field at 20
 *   4   u32  access: under an LRU (or no) policy the LRU clock (seconds, low 32 bits);
 *             under an LFU policy (minutes & 0xffff) << 8 | 8-bit log counter, as Redis
 *             (see access.ts). Touches are not undo-logged: it is a hint
 *   8   u32  key length
 *   12  u32  value length (strings) or element count (collections): the type's
 *   16  u32  value ref: what the type keeps outside the entry (0 = nothing)
 *   20  key bytes, then the bytes the type keeps inline (src/keyspace/valuetypes.ts)
 *   — or, with LAYOUT_EXPIRE:
 *   20  u64  expire-at, ms since the epoch (low u32, high u32); 0 = no expiry
 *   28  key bytes, then the inline bytes
 *
 * Why two layouts: most keys never get a TTL, and 8 bytes fewer is what lets a 16-byte
 * key with a 16-byte value fit a 64-byte chunk (entries are 16-byte granules with an
 * 8-byte chunk header). A key that gets a TTL moves once to the longer layout (the
 * keyspace's setExpireAt / withExpire) and keeps it, as Redis's extra `expires` dict
 * entry costs a key with a TTL more than one without.
 *
 * The generic keyspace reads the header and the key; everything about the value is its
 * type's business (src/types/<type>/).
 */
export const OBJ_STRING = 0;
export const OBJ_LIST = 1;
export const OBJ_SET = 2;
export const OBJ_ZSET = 3;
export const OBJ_HASH = 4;
export const OBJ_STREAM = 6;

export const O_TYPE = 0;
export const O_ENC = 1;
export const O_FLAGS = 2;
export const O_LAYOUT = 3;
/** Layout byte: the header holds the 8-byte expiry field (at O_EXPIRE) and the key starts at O_KEY_EXPIRE. */
export const LAYOUT_EXPIRE = 1;
/**
 * The value is an integer 0..9999 that Redis would have stored as one of its shared
 * integer objects (OBJECT REFCOUNT says 2147483647): set when it was written while
 * sharing was allowed (no maxmemory, or a policy that needs no per-key LRU/LFU data).
 */
export const FLAG_SHARED_INT = 1;
export const O_LRU = 4;
export const O_KLEN = 8;
export const O_VLEN = 12;
export const O_VREF = 16;
/** The key, in the layout without an expiry field. */
export const O_KEY = 20;
/** The expiry field, in LAYOUT_EXPIRE only. */
export const O_EXPIRE = 20;
/** The key, in LAYOUT_EXPIRE. */
export const O_KEY_EXPIRE = 28;

/** Where entry e's key starts (from its layout byte; u8 is the heap's byte view). */
export function keyAt(u8: Uint8Array, e: number): number {
  return e + (u8[e + O_LAYOUT] === LAYOUT_EXPIRE ? O_KEY_EXPIRE : O_KEY);
}
