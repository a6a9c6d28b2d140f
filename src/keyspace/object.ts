/**
 * A key's object: one heap chunk holding the key, the value's metadata and (when it is
 * short) the value itself. Layout, written down once:
 *
 *   0   u8   type (OBJ_*)
 *   1   u8   encoding: the type's own code (strings: ENC_* in src/types/string/storage.ts)
 *   2   u16  flags: FLAG_SHARED_INT
 *   4   u32  access: under an LRU (or no) policy the LRU clock (seconds, low 32 bits);
 *             under an LFU policy (minutes & 0xffff) << 8 | 8-bit log counter, as Redis
 *             (see access.ts). Touches are not undo-logged: it is a hint
 *   8   u64  expire-at, ms since the epoch (low u32, high u32); 0 = no expiry
 *   16  u32  key length
 *   20  u32  value length (strings) or element count (collections): the type's
 *   24  u32  value ref: what the type keeps outside the entry (0 = nothing)
 *   28  u32  creation time, seconds since the epoch
 *   32  key bytes, then the bytes the type keeps inline (src/keyspace/valuetypes.ts)
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

/** Bytes of an entry before its key. */
export const ENTRY_HEADER = O_KEY;
