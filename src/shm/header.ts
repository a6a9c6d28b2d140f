/**
 * The segment header: page 0, bytes [0, 4096), of every shmkv segment, POSIX and
 * System V alike. This file is the ONE place its layout is written down; every
 * other module reads and writes it through these constants.
 *
 * Byte layout (little-endian, as the machine is; all offsets are from byte 0):
 *
 *   off   size  field
 *   0     8     MAGIC            "SHMKVSEG" (written LAST at creation: an opener that
 *                                sees it knows every other field is initialised)
 *   8     4     VERSION          u32 layout version = 1
 *   12    4     HEADER_BYTES     u32 = 4096 (the heap owns everything from here on)
 *   16    4     KIND             u32 1 = POSIX file, 2 = System V segment
 *   20    4     PAGE_SIZE        u32 page size of the creating machine
 *   24    8     ID               2 × u32 (lo, hi): random 64-bit segment identity
 *   32    8     CREATED_AT       f64 ms since the epoch
 *   40    4     OWNER_UID        u32 euid of the creator
 *   44    4     SYSV_KEY         i32 System V key (0 for POSIX)
 *   48    8     RESERVED         f64 bytes every process maps (virtual size)
 *   56    4     COMMITTED_4K     u32 (Atomics) committed size in 4 KiB units: bytes from
 *                                offset 0 that exist in the file (up to 16 TiB)
 *   60    4     SIZE_SEQ         u32 (Atomics) bumped on every change of COMMITTED_4K
 *   64    64    MUTEX            robust process-shared pthread mutex (40 bytes used),
 *                                the write lock; 64-aligned, own cache line
 *   128   4     SERVER_PID       u32 (Atomics) pid of the serving process, 0 = none
 *   132   4     (pad)
 *   136   8     SERVER_SINCE     f64 ms since the epoch when it claimed the role
 *   144   4     NAME_LEN         u32 bytes of NAME used
 *   148   44    (reserved, zero)
 *   192   1024  ATTACH           64 slots × 16 bytes:
 *                                  +0 pid i32 (Atomics; 0 = free; claimed by CAS 0 → pid)
 *                                  +4 state u32 (1 = attached, 2 = a standby waiting for the server role)
 *                                  +8 attachedAt f64 ms since the epoch
 *   1216  256   NAME             UTF-8 user name of the segment (≤ 200 bytes)
 *   1472  64    (reserved, zero)
 *   1536  64    ROLE_MUTEX       robust process-shared pthread mutex: the server role.
 *                                The serving process's main thread holds it for as long as
 *                                it serves; a standby (src/server/standby.ts) waits on it.
 *                                The kernel hands it on with EOWNERDEAD when the holder
 *                                dies, BEFORE it unmaps the dead process's memory (which
 *                                takes ~40 ms per GB touched): the fastest death notice
 *                                there is (its files, sockets and OFD locks are closed only
 *                                after that unmapping).
 *   1600  4     ROLE_STATE       u32 (Atomics) 0 = ROLE_MUTEX never initialised (a segment
 *                                of an older build), 2 = being initialised, 1 = ready
 *   1604  2492  (reserved, zero)
 *
 * Advisory lock bytes (fcntl OFD locks, which never touch memory) live at the same
 * offsets as the fields they guard, on the segment's fd (POSIX) or on its lock file
 * /dev/shm/shmkv-sysv.<id>.lock (System V):
 *   SERVER_PID's first byte (128)   held (write) by the serving process;
 *   slot i's first byte (192+16i)   held by the process attached through slot i.
 * A slot whose byte nobody holds belongs to a dead process (pid reuse cannot fool it:
 * the kernel drops the lock when the holder dies), LMDB-style.
 */

export const HEADER_SIZE = 4096;
export const LAYOUT_VERSION = 1;
export const MAGIC = 'SHMKVSEG';

export const OFF_MAGIC = 0;
export const OFF_VERSION = 8;
export const OFF_HEADER_BYTES = 12;
export const OFF_KIND = 16;
export const OFF_PAGE_SIZE = 20;
export const OFF_ID_LO = 24;
export const OFF_ID_HI = 28;
export const OFF_CREATED_AT = 32;
export const OFF_OWNER_UID = 40;
export const OFF_SYSV_KEY = 44;
export const OFF_RESERVED = 48;
export const OFF_COMMITTED_4K = 56;
export const OFF_SIZE_SEQ = 60;
export const OFF_MUTEX = 64;
export const MUTEX_BYTES = 64;
export const OFF_SERVER_PID = 128;
export const OFF_SERVER_SINCE = 136;
export const OFF_NAME_LEN = 144;
export const OFF_ATTACH = 192;
export const ATTACH_SLOTS = 64;
export const ATTACH_SLOT_BYTES = 16;
export const SLOT_PID = 0;
export const SLOT_STATE = 4;
export const SLOT_SINCE = 8;
export const OFF_NAME = 1216;
export const NAME_BYTES = 256;
export const OFF_ROLE_MUTEX = 1536;
export const OFF_ROLE_STATE = 1600;
export const ROLE_STATE_READY = 1;
export const ROLE_STATE_INIT = 2;

/** Unit of COMMITTED_4K. */
export const COMMIT_UNIT = 4096;

export const KIND_POSIX = 1;
export const KIND_SYSV = 2;

export const SLOT_STATE_ATTACHED = 1;
/** A standby (shmkv-server --standby) waiting for the server role. */
export const SLOT_STATE_STANDBY = 2;

/** Advisory lock byte of the server role. */
export const LOCK_SERVER = OFF_SERVER_PID;
/** Advisory lock byte of attach slot `i`. */
export function lockSlot(i: number): number {
  return OFF_ATTACH + i * ATTACH_SLOT_BYTES;
}
/** Byte offset of attach slot `i`. */
export function slotOffset(i: number): number {
  return OFF_ATTACH + i * ATTACH_SLOT_BYTES;
}

// Int32Array indexes of the Atomics fields (offsets / 4).
export const I32_MAGIC0 = OFF_MAGIC / 4;
export const I32_COMMITTED_4K = OFF_COMMITTED_4K / 4;
export const I32_SIZE_SEQ = OFF_SIZE_SEQ / 4;
export const I32_SERVER_PID = OFF_SERVER_PID / 4;
export const I32_ROLE_STATE = OFF_ROLE_STATE / 4;
export function i32SlotPid(i: number): number {
  return (slotOffset(i) + SLOT_PID) / 4;
}
export function i32SlotState(i: number): number {
  return (slotOffset(i) + SLOT_STATE) / 4;
}

// The layout is little-endian and Atomics use the machine's order: refuse big-endian.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('shmkv segments need a little-endian machine');
}

// Compile-time-ish sanity: these hold by construction; checked once at load so a
// careless edit fails loudly instead of corrupting segments.
if (
  OFF_MUTEX % 64 !== 0 ||
  OFF_ATTACH + ATTACH_SLOTS * ATTACH_SLOT_BYTES > OFF_NAME ||
  OFF_NAME + NAME_BYTES > OFF_ROLE_MUTEX ||
  OFF_ROLE_MUTEX % 64 !== 0 ||
  OFF_ROLE_MUTEX + MUTEX_BYTES > OFF_ROLE_STATE ||
  OFF_ROLE_STATE + 4 > HEADER_SIZE
) {
  throw new Error('src/shm/header.ts: inconsistent header layout');
}

/** A decoded header (a copy; the live fields are read with Atomics by the segment). */
export interface HeaderInfo {
  magicOk: boolean;
  /** The first 8 bytes as latin1 (for messages about foreign files). */
  magic: string;
  version: number;
  headerBytes: number;
  kind: number;
  pageSize: number;
  id: string;
  createdAt: number;
  ownerUid: number;
  sysvKey: number;
  reserved: number;
  committed: number;
  serverPid: number;
  serverSince: number;
  name: string;
  slots: Array<{ index: number; pid: number; state: number; since: number }>;
}

/** Hex form of the 64-bit id, as shown by stat() and used in lock-file names. */
export function idHex(lo: number, hi: number): string {
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}

/** True if all of the first 8 bytes are zero (a segment still being created). */
export function magicIsZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < 8; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** Decode a header from a copy of (at least) its first HEADER_SIZE bytes. */
export function decodeHeader(bytes: Uint8Array): HeaderInfo {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, HEADER_SIZE));
  const magic = Buffer.from(bytes.buffer, bytes.byteOffset, 8).toString('latin1');
  const nameLen = Math.min(dv.getUint32(OFF_NAME_LEN, true), NAME_BYTES);
  const slots: HeaderInfo['slots'] = [];
  for (let i = 0; i < ATTACH_SLOTS; i++) {
    const o = slotOffset(i);
    const pid = dv.getInt32(o + SLOT_PID, true);
    if (pid !== 0) slots.push({ index: i, pid, state: dv.getUint32(o + SLOT_STATE, true), since: dv.getFloat64(o + SLOT_SINCE, true) });
  }
  return {
    magicOk: magic === MAGIC,
    magic,
    version: dv.getUint32(OFF_VERSION, true),
    headerBytes: dv.getUint32(OFF_HEADER_BYTES, true),
    kind: dv.getUint32(OFF_KIND, true),
    pageSize: dv.getUint32(OFF_PAGE_SIZE, true),
    id: idHex(dv.getUint32(OFF_ID_LO, true), dv.getUint32(OFF_ID_HI, true)),
    createdAt: dv.getFloat64(OFF_CREATED_AT, true),
    ownerUid: dv.getUint32(OFF_OWNER_UID, true),
    sysvKey: dv.getInt32(OFF_SYSV_KEY, true),
    reserved: dv.getFloat64(OFF_RESERVED, true),
    committed: dv.getUint32(OFF_COMMITTED_4K, true) * COMMIT_UNIT,
    serverPid: dv.getUint32(OFF_SERVER_PID, true),
    serverSince: dv.getFloat64(OFF_SERVER_SINCE, true),
    name: Buffer.from(bytes.buffer, bytes.byteOffset + OFF_NAME, nameLen).toString('utf8'),
    slots,
  };
}

/** Fields written once by the creator (before the magic). */
export interface NewHeader {
  kind: number;
  pageSize: number;
  idLo: number;
  idHi: number;
  createdAt: number;
  ownerUid: number;
  sysvKey: number;
  reserved: number;
  committed: number;
  name: string;
}

/**
 * Write a fresh header into a zeroed page 0, everything but the magic and the mutex
 * (the caller initialises the mutex natively, then calls publishMagic()).
 */
export function writeHeader(sab: SharedArrayBuffer, h: NewHeader): void {
  const dv = new DataView(sab, 0, HEADER_SIZE);
  new Uint8Array(sab, 0, HEADER_SIZE).fill(0);
  dv.setUint32(OFF_VERSION, LAYOUT_VERSION, true);
  dv.setUint32(OFF_HEADER_BYTES, HEADER_SIZE, true);
  dv.setUint32(OFF_KIND, h.kind, true);
  dv.setUint32(OFF_PAGE_SIZE, h.pageSize, true);
  dv.setUint32(OFF_ID_LO, h.idLo >>> 0, true);
  dv.setUint32(OFF_ID_HI, h.idHi >>> 0, true);
  dv.setFloat64(OFF_CREATED_AT, h.createdAt, true);
  dv.setUint32(OFF_OWNER_UID, h.ownerUid >>> 0, true);
  dv.setInt32(OFF_SYSV_KEY, h.sysvKey | 0, true);
  dv.setFloat64(OFF_RESERVED, h.reserved, true);
  dv.setUint32(OFF_COMMITTED_4K, h.committed / COMMIT_UNIT, true);
  const name = Buffer.from(h.name, 'utf8');
  if (name.length > NAME_BYTES) throw new Error('name too long for the header');
  new Uint8Array(sab, OFF_NAME, NAME_BYTES).set(name);
  dv.setUint32(OFF_NAME_LEN, name.length, true);
}

/**
 * Write the magic last. The second word is a plain store, the first an Atomics.store
 * (sequentially consistent): a reader that Atomics.loads word 0 and sees the magic
 * sees every field written before it.
 */
export function publishMagic(sab: SharedArrayBuffer): void {
  const m = Buffer.from(MAGIC, 'latin1');
  const dv = new DataView(sab, 0, 8);
  dv.setUint32(4, m.readUInt32LE(4), true);
  Atomics.store(new Int32Array(sab, 0, 2), 0, m.readInt32LE(0));
}

