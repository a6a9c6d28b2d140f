/**
 * The numbers of Redis's RDB format (rdb.h): versions, value types, opcodes, the length
 * and string encodings. Names follow rdb.h without the RDB_ prefix where that reads well.
 */

/** The RDB version shmkv writes (Redis 7.0's), in files and in DUMP payloads. */
export const RDB_VERSION = 10;
/** The newest RDB version shmkv reads (Redis 7.2's: adds SET_LISTPACK and the third stream form). */
export const RDB_MAX_READ_VERSION = 11;
/** Files of version 5 and later end with a CRC-64 of everything before it. */
export const RDB_FIRST_VERSION_WITH_CHECKSUM = 5;

/** Value types: the byte before a key (in a file) or first in a DUMP payload. */
export const RDB_TYPE = {
  STRING: 0,
  LIST: 1,
  SET: 2,
  ZSET: 3,
  HASH: 4,
  ZSET_2: 5,
  MODULE: 6,
  MODULE_2: 7,
  HASH_ZIPMAP: 9,
  LIST_ZIPLIST: 10,
  SET_INTSET: 11,
  ZSET_ZIPLIST: 12,
  HASH_ZIPLIST: 13,
  LIST_QUICKLIST: 14,
  STREAM_LISTPACKS: 15,
  HASH_LISTPACK: 16,
  ZSET_LISTPACK: 17,
  LIST_QUICKLIST_2: 18,
  STREAM_LISTPACKS_2: 19,
  SET_LISTPACK: 20,
  STREAM_LISTPACKS_3: 21,
} as const;

/** Whether `t` is a value type some Redis version writes (rdbIsObjectType, 7.2's range). */
export function isRdbValueType(t: number): boolean {
  return (t >= 0 && t <= 7) || (t >= 9 && t <= 21);
}

/** A value type's name for messages ("hash-listpack"), or "type N" for an unknown one. */
export function rdbTypeName(t: number): string {
  switch (t) {
    case RDB_TYPE.STRING: return 'string';
    case RDB_TYPE.LIST: return 'list';
    case RDB_TYPE.SET: return 'set';
    case RDB_TYPE.ZSET: return 'zset';
    case RDB_TYPE.HASH: return 'hash';
    case RDB_TYPE.ZSET_2: return 'zset-2';
    case RDB_TYPE.MODULE: return 'module';
    case RDB_TYPE.MODULE_2: return 'module-2';
    case RDB_TYPE.HASH_ZIPMAP: return 'hash-zipmap';
    case RDB_TYPE.LIST_ZIPLIST: return 'list-ziplist';
    case RDB_TYPE.SET_INTSET: return 'set-intset';
    case RDB_TYPE.ZSET_ZIPLIST: return 'zset-ziplist';
    case RDB_TYPE.HASH_ZIPLIST: return 'hash-ziplist';
    case RDB_TYPE.LIST_QUICKLIST: return 'list-quicklist';
    case RDB_TYPE.STREAM_LISTPACKS: return 'stream';
    case RDB_TYPE.HASH_LISTPACK: return 'hash-listpack';
    case RDB_TYPE.ZSET_LISTPACK: return 'zset-listpack';
    case RDB_TYPE.LIST_QUICKLIST_2: return 'list-quicklist-2';
    case RDB_TYPE.STREAM_LISTPACKS_2: return 'stream-2';
    case RDB_TYPE.SET_LISTPACK: return 'set-listpack';
    case RDB_TYPE.STREAM_LISTPACKS_3: return 'stream-3';
    default: return `type ${t}`;
  }
}

/** Opcodes: bytes in a file's key position that are not value types. */
export const RDB_OPCODE = {
  FUNCTION2: 245,
  FUNCTION: 246,
  MODULE_AUX: 247,
  IDLE: 248,
  FREQ: 249,
  AUX: 250,
  RESIZEDB: 251,
  EXPIRETIME_MS: 252,
  EXPIRETIME: 253,
  SELECTDB: 254,
  EOF: 255,
} as const;

/**
 * Length encodings: the top two bits of a length's first byte.
 *   00  6-bit length in the byte                 (LEN_6BIT)
 *   01  14-bit length, this byte's 6 bits then the next byte   (LEN_14BIT)
 *   10  0x80: 32-bit big-endian length follows; 0x81: 64-bit big-endian   (LEN_32BIT, LEN_64BIT)
 *   11  a special string encoding in the low 6 bits (ENC_*)   (ENCVAL)
 */
export const RDB_LEN_6BIT = 0;
export const RDB_LEN_14BIT = 1;
export const RDB_LEN_32BIT = 0x80;
export const RDB_LEN_64BIT = 0x81;
export const RDB_ENCVAL = 3;

/** Special string encodings (after an ENCVAL length byte). */
export const RDB_ENC_INT8 = 0;
export const RDB_ENC_INT16 = 1;
export const RDB_ENC_INT32 = 2;
export const RDB_ENC_LZF = 3;

/** Quicklist node containers in RDB_TYPE_LIST_QUICKLIST_2. */
export const QUICKLIST_NODE_CONTAINER_PLAIN = 1;
export const QUICKLIST_NODE_CONTAINER_PACKED = 2;

/** rdbSaveDoubleValue's special lengths (RDB_TYPE_ZSET's text scores). */
export const RDB_DOUBLE_NAN = 253;
export const RDB_DOUBLE_POS_INF = 254;
export const RDB_DOUBLE_NEG_INF = 255;

/** The characters of a module type's 9-character name, 6 bits each (moduleTypeNameByID). */
const MODULE_NAME_CHARSET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A module type id's name: the top 54 bits as 9 characters; the low 10 bits are its encoding version. */
export function moduleTypeName(id: bigint): string {
  let name = '';
  let bits = id >> 10n;
  const chars: string[] = [];
  for (let j = 0; j < 9; j++) {
    chars.push(MODULE_NAME_CHARSET[Number(bits & 63n)]);
    bits >>= 6n;
  }
  for (let j = 8; j >= 0; j--) name += chars[j];
  return name;
}
