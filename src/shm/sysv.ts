/**
 * System V segments: shmget/shmat/shmctl. Fixed size (they cannot grow), a key
 * derived from the name, attach counts kept by the kernel (shm_nattch), removal that
 * waits for the last detach (IPC_RMID marks it 'dest').
 *
 * The same header and Segment interface as POSIX segments. The attach registry's
 * advisory locks need an fd, and a System V segment has none, so each segment has a
 * small lock file /dev/shm/shmkv-sysv.<id>.lock (id = the header's random identity);
 * the last process to detach a removed segment deletes it, listSegments() prunes
 * orphans.
 */
import { randomBytes } from '../util/random.js';
import { unlinkSync } from 'node:fs';
import { ShmError, errCode, errMessage } from './errors.js';
import { HEADER_SIZE, KIND_SYSV, OFF_MUTEX, decodeHeader, idHex, publishMagic, writeHeader } from './header.js';
import { C, LOCK_RD, LOCK_WR, PAGE_SIZE, native } from './native.js';
import {
  Mapping,
  Segment,
  initRoleMutex,
  checkHeader,
  euid,
  registry,
  roundUp,
  sleepMs,
  validateName,
  type CommonOptions,
  type KindStat,
  type SegmentState,
} from './segment.js';

/**
 * Project byte of our keys. ftok(path, proj) packs (proj & 0xff) << 24 |
 * (st_dev & 0xff) << 16 | (st_ino & 0xffff); a shmkv name has no file, so sysvKey()
 * keeps ftok's top byte (our project byte 'S' = 0x53, which also keeps keys positive
 * and never IPC_PRIVATE) and fills the low 24 bits with a hash of the name.
 */
export const SYSV_PROJ = 0x53;
export const DEFAULT_SYSV_SIZE = 2 ** 20;
const LOCK_DIR = '/dev/shm';
export const SYSV_LOCK_PREFIX = 'shmkv-sysv.';

/**
 * The System V key of segment `name`: 0x53 << 24 | (FNV-1a-32 of the UTF-8 name,
 * xor-folded to 24 bits). Stable across processes, machines and versions. Two names
 * can collide (1 in 16M per pair): the header stores the name and opening checks it.
 */
export function sysvKey(name: string): number {
  validateName(name);
  let h = 0x811c9dc5;
  for (const b of Buffer.from(name, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const low = ((h >>> 24) ^ h) & 0xffffff;
  return ((SYSV_PROJ << 24) | low) | 0;
}

export function keyHex(key: number): string {
  return '0x' + (key >>> 0).toString(16).padStart(8, '0');
}

/** The lock file of the System V segment whose header id is `id`. */
export function sysvLockPath(id: string): string {
  return `${LOCK_DIR}/${SYSV_LOCK_PREFIX}${id}.lock`;
}

export interface SysvOptions extends CommonOptions {
  /** Bytes (page-rounded, header included); fixed for the segment's life. Default 1 MiB. */
  size?: number;
  /** Permission bits. Default 0o600. */
  mode?: number;
  /** Fail with EEXIST if a segment with that key exists (otherwise open it). */
  exclusive?: boolean;
}

export interface SysvOpenOptions extends SysvOptions {
  create?: boolean;
}

/** A name, or an explicit key (its name is then the key in hex, e.g. '0x53001234'). */
export function resolveNameKey(nameOrKey: string | number): { name: string; key: number } {
  if (typeof nameOrKey === 'number') {
    if (!Number.isInteger(nameOrKey) || nameOrKey === 0 || nameOrKey < -(2 ** 31) || nameOrKey > 2 ** 32 - 1) {
      throw new ShmError('EINVAL', `invalid System V key ${nameOrKey}: use a non-zero 32-bit integer (IPC_PRIVATE is not supported)`);
    }
    const key = nameOrKey | 0;
    return { name: keyHex(key), key };
  }
  return { name: validateName(nameOrKey), key: sysvKey(nameOrKey) };
}

class SysvMapping extends Mapping {
  readonly kind = 'sysv' as const;

  constructor(
    key: string,
    name: string,
    sab: SharedArrayBuffer,
    reserved: number,
    lockFd: number,
    lockType: number,
    readonly shmid: number,
    readonly sysvKey: number,
    readonly lockPath: string,
  ) {
    super(key, name, sab, reserved, lockFd, lockType);
  }

  describe(): string {
    return `System V segment '${this.name}' (key ${keyHex(this.sysvKey)}, shmid ${this.shmid})`;
  }

  grow(newCommitted: number): void {
    const n = roundUp(newCommitted, PAGE_SIZE);
    if (!Number.isSafeInteger(n) || n > this.reserved) {
      throw new ShmError(
        'EFBIG',
        `grow(${newCommitted}) on ${this.describe()}: System V segments have a fixed size (${this.reserved} bytes); use a POSIX segment, or create a larger one`,
      );
    }
    // The kernel backs System V pages on first touch (no SIGBUS): publishing is enough.
    this.publishAtLeast(n);
  }

  extend(newSize: number): void {
    this.grow(newSize);
  }

  shrink(newCommitted: number): void {
    const cur = this.committed();
    if (!Number.isSafeInteger(newCommitted) || newCommitted % PAGE_SIZE !== 0 || newCommitted < HEADER_SIZE || newCommitted > cur) {
      throw new ShmError(
        'EINVAL',
        `shrink(${newCommitted}) on ${this.describe()}: the new size must be page aligned (${PAGE_SIZE}), at least ${HEADER_SIZE} and at most the committed ${cur}`,
      );
    }
    if (newCommitted === cur) return;
    this.publishExactly(newCommitted);
    this.removePages(newCommitted, cur - newCommitted);
  }

  punch(off: number, len: number): void {
    this.checkRange('punch', off, len);
    this.removePages(off, len);
  }

  reserve(off: number, len: number): void {
    // Nothing to do: System V memory is allocated on touch and never SIGBUSes.
    this.checkRange('reserve', off, len);
  }

  /**
   * Free pages and make them read as zeros. MADV_REMOVE frees the shmem pages
   * (MADV_DONTNEED would not: on a shared mapping it only drops our page tables and
   * the old data comes back); partial pages at the edges are zeroed by hand.
   */
  private removePages(off: number, len: number): void {
    if (len <= 0) return;
    const a = roundUp(off, PAGE_SIZE);
    const b = Math.floor((off + len) / PAGE_SIZE) * PAGE_SIZE;
    if (b > a) {
      try {
        native.madvise(this.sab, a, b - a, C.MADV_REMOVE);
      } catch {
        new Uint8Array(this.sab, a, b - a).fill(0);
      }
      if (a > off) new Uint8Array(this.sab, off, a - off).fill(0);
      if (off + len > b) new Uint8Array(this.sab, b, off + len - b).fill(0);
    } else {
      new Uint8Array(this.sab, off, len).fill(0);
    }
  }

  state(): SegmentState {
    let dest: boolean;
    try {
      dest = native.shmctl(this.shmid, 'IPC_STAT').dest;
    } catch {
      return 'removed';
    }
    if (!dest) return 'ok';
    try {
      return native.shmget(this.sysvKey, 0, 0) !== this.shmid ? 'replaced' : 'removed';
    } catch {
      return 'removed';
    }
  }

  statBase(): KindStat {
    const ds = native.shmctl(this.shmid, 'IPC_STAT');
    return { kind: 'sysv', key: this.sysvKey, shmid: this.shmid, uid: ds.uid, gid: ds.gid, mode: ds.mode, nattch: ds.nattch };
  }

  protected releaseResources(): void {
    native.shmdt(this.sab);
    // The last process to leave a removed segment deletes its lock file.
    let gone = false;
    try {
      const ds = native.shmctl(this.shmid, 'IPC_STAT');
      gone = ds.dest && ds.nattch === 0;
    } catch {
      gone = true;
    }
    if (gone) {
      try {
        unlinkSync(this.lockPath);
      } catch {
        // someone else did
      }
    }
    native.close(this.lockFd);
  }
}

function checkMode(mode: number): number {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) {
    throw new ShmError('EINVAL', `invalid mode ${mode}: use permission bits such as 0o600 or 0o660`);
  }
  return mode;
}

/** Open (or create) the lock file; read-only when we may not write it. */
function openLockFile(path: string, mode: number): { fd: number; type: number } {
  try {
    return { fd: native.openFile(path, C.O_CREAT | C.O_RDWR, mode), type: LOCK_WR };
  } catch (e) {
    if (errCode(e) !== 'EACCES') throw e;
  }
  return { fd: native.openFile(path, C.O_RDONLY, 0), type: LOCK_RD };
}

function getError(e: unknown, name: string, key: number, size?: number): Error {
  switch (errCode(e)) {
    case 'ENOENT':
      return new ShmError('ENOENT', `System V segment '${name}' (key ${keyHex(key)}) does not exist: create it first (create: true)`, e);
    case 'EACCES':
      return new ShmError('EACCES', `permission denied for System V segment '${name}' (key ${keyHex(key)}): ask its owner or run as that user`, e);
    case 'EINVAL':
      return new ShmError(
        'EINVAL',
        `cannot create System V segment '${name}'${size === undefined ? '' : ` of ${size} bytes`}: the size is outside the kernel's limits (/proc/sys/kernel/shmmax), or an existing segment with that key is smaller`,
        e,
      );
    case 'ENOSPC':
    case 'ENOMEM':
      return new ShmError(
        'ENOSPC',
        `cannot create System V segment '${name}': the kernel's limits are reached (kernel.shmall / shmmni) or memory is short; remove unused segments (ipcs -m) or raise the limits`,
        e,
      );
    default:
      return new ShmError(errCode(e) ?? 'EIO', `System V segment '${name}': ${errMessage(e)}`, e);
  }
}

/**
 * Create System V segment `nameOrKey` (or open it when it exists and `exclusive` is
 * not set; it must then belong to us or to root).
 */
export function createSysvSegment(nameOrKey: string | number, opts: SysvOptions = {}): Segment {
  const { name, key } = resolveNameKey(nameOrKey);
  const mode = checkMode(opts.mode ?? 0o600);
  const size = roundUp(Math.max(opts.size ?? DEFAULT_SYSV_SIZE, HEADER_SIZE), PAGE_SIZE);
  let shmid: number;
  try {
    shmid = native.shmget(key, size, C.IPC_CREAT | C.IPC_EXCL | mode);
  } catch (e) {
    if (errCode(e) === 'EEXIST') {
      if (opts.exclusive) {
        throw new ShmError('EEXIST', `System V segment '${name}' (key ${keyHex(key)}) already exists: open it instead, or remove it first`, e);
      }
      return openByKey(name, key, opts, true, typeof nameOrKey === 'string');
    }
    throw getError(e, name, key, size);
  }

  let sab: SharedArrayBuffer | undefined;
  let lock: { fd: number; type: number } | undefined;
  let lockPath = '';
  try {
    sab = native.shmat(shmid, false);
    const id = randomBytes(8);
    const idLo = id.readUInt32LE(0);
    const idHi = id.readUInt32LE(4);
    const ds = native.shmctl(shmid, 'IPC_STAT');
    writeHeader(sab, {
      kind: KIND_SYSV,
      pageSize: PAGE_SIZE,
      idLo,
      idHi,
      createdAt: Date.now(),
      ownerUid: ds.uid,
      sysvKey: key,
      reserved: size,
      committed: size,
      name,
    });
    native.mutexInit(sab, OFF_MUTEX);
    initRoleMutex(sab);
    lockPath = sysvLockPath(idHex(idLo, idHi));
    lock = { fd: native.openFile(lockPath, C.O_CREAT | C.O_RDWR, mode), type: LOCK_WR };
    native.fchmod(lock.fd, mode);
    const m = new SysvMapping(`sysv:${shmid}`, name, sab, size, lock.fd, lock.type, shmid, key, lockPath);
    m.attach();
    publishMagic(sab);
    registry.set(m.key, m);
    return m.newHandle();
  } catch (e) {
    try {
      native.shmctl(shmid, 'IPC_RMID');
    } catch {
      // best effort
    }
    if (sab !== undefined) native.shmdt(sab);
    if (lock !== undefined) {
      native.close(lock.fd);
      try {
        unlinkSync(lockPath);
      } catch {
        // best effort
      }
    }
    throw e;
  }
}

/** Open System V segment `nameOrKey`; with `create: true`, as createSysvSegment. */
export function openSysvSegment(nameOrKey: string | number, opts: SysvOpenOptions = {}): Segment {
  if (opts.create) return createSysvSegment(nameOrKey, opts);
  const { name, key } = resolveNameKey(nameOrKey);
  return openByKey(name, key, opts, false, typeof nameOrKey === 'string');
}

function openByKey(name: string, key: number, opts: CommonOptions, requireOwner: boolean, checkName: boolean): Segment {
  let shmid: number;
  try {
    shmid = native.shmget(key, 0, 0);
  } catch (e) {
    throw getError(e, name, key);
  }
  return openSysvById(shmid, name, opts, requireOwner, checkName ? name : null);
}

/** Open a System V segment by shmid (listSegments and tools use this). */
export function openSysvById(shmid: number, name: string, opts: CommonOptions = {}, requireOwner = false, expectName: string | null = null): Segment {
  const existing = registry.get(`sysv:${shmid}`);
  if (existing !== undefined) return existing.newHandle();
  let ds;
  try {
    ds = native.shmctl(shmid, 'IPC_STAT');
  } catch (e) {
    throw new ShmError(errCode(e) ?? 'EIO', `System V segment '${name}' (shmid ${shmid}) cannot be read: ${errMessage(e)}`, e);
  }
  const where = `System V key ${keyHex(ds.key)}, shmid ${shmid}`;
  const me = euid();
  if (requireOwner && me >= 0 && ds.uid !== me && ds.uid !== 0) {
    throw new ShmError(
      'EPERM',
      `System V segment '${name}' (${where}) exists but belongs to uid ${ds.uid}, not to you (uid ${me}): use another name, or open it without create if you mean to share it`,
    );
  }
  if (ds.size < HEADER_SIZE) {
    throw new ShmError('EBADSEG', `${where} is ${ds.size} bytes, too small to be a shmkv segment: use another name`);
  }
  let sab: SharedArrayBuffer;
  try {
    sab = native.shmat(shmid, false);
  } catch (e) {
    throw getError(e, name, ds.key);
  }
  let lock: { fd: number; type: number } | undefined;
  try {
    const w0 = new Int32Array(sab, 0, 2);
    const deadline = Date.now() + (opts.initWaitMs ?? 500);
    while (Atomics.load(w0, 0) === 0 && Date.now() < deadline) sleepMs(5);
    const h = decodeHeader(new Uint8Array(sab, 0, HEADER_SIZE).slice());
    checkHeader(h, { name, where, fileSize: ds.size, kind: KIND_SYSV, rm: `shmkv rm ${name} --sysv` });
    if (expectName !== null && h.name !== expectName) {
      throw new ShmError(
        'EEXIST',
        `System V key ${keyHex(ds.key)} is taken by segment '${h.name}', not '${expectName}' (two names hash to one key): pick another name or pass an explicit key`,
      );
    }
    const lockPath = sysvLockPath(h.id);
    lock = openLockFile(lockPath, ds.mode);
    const m = new SysvMapping(`sysv:${shmid}`, h.name || name, sab, h.reserved, lock.fd, lock.type, shmid, h.sysvKey, lockPath);
    m.attach();
    registry.set(m.key, m);
    return m.newHandle();
  } catch (e) {
    native.shmdt(sab);
    if (lock !== undefined) native.close(lock.fd);
    throw e;
  }
}
