/**
 * POSIX segments: a file on tmpfs (/dev/shm/shmkv.<name>), opened with shm_open,
 * sized with fallocate (never a bare ftruncate for memory we will touch: a page tmpfs
 * cannot back kills the process with SIGBUS on first touch, fallocate reports ENOSPC
 * instead), and mapped once per process with a large MAP_NORESERVE reservation so it
 * can grow without remapping: other processes see the new pages at once.
 *
 * The `dir` option opens <dir>/shmkv.<name> with plain open(2) instead (any tmpfs or
 * file system); with the default '/dev/shm' shm_open(3) is used.
 */
import { randomBytes } from '../util/random.js';
import { readSync, statSync, statfsSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ShmError, errCode, errMessage } from './errors.js';
import { HEADER_SIZE, KIND_POSIX, OFF_MUTEX, decodeHeader, magicIsZero, publishMagic, writeHeader } from './header.js';
import { C, LOCK_WR, PAGE_SIZE, native } from './native.js';
import {
  MAX_RESERVE,
  initRoleMutex,
  Mapping,
  Segment,
  checkHeader,
  mapError,
  euid,
  registry,
  roundUp,
  sleepMs,
  validateName,
  type CommonOptions,
  type KindStat,
  type SegmentState,
} from './segment.js';

export const DEFAULT_DIR = '/dev/shm';
/** File-name prefix of every POSIX segment: user name `foo` is shm name `/shmkv.foo`. */
export const POSIX_PREFIX = 'shmkv.';
export const DEFAULT_RESERVE = 64 * 2 ** 30;
export const DEFAULT_INITIAL_SIZE = 2 ** 20;
export const DEFAULT_MODE = 0o600;

export interface PosixOptions extends CommonOptions {
  /** Virtual bytes every process maps (the most the segment can grow to). Default 64 GiB. At creation only: openers map what the header says. */
  reserve?: number;
  /** Bytes committed at creation (page-rounded, at least the header). Default 1 MiB. At creation only. */
  initialSize?: number;
  /** Permission bits, applied exactly (umask does not apply). Default 0o600. */
  mode?: number;
  /** Fail with EEXIST if the segment exists (otherwise open it). */
  exclusive?: boolean;
  /** Directory of the segment file. Default '/dev/shm' (through shm_open). */
  dir?: string;
}

export interface PosixOpenOptions extends PosixOptions {
  /** Create the segment if it does not exist (then `exclusive` applies too). */
  create?: boolean;
}

/** The file of POSIX segment `name`. */
export function posixPath(name: string, dir: string = DEFAULT_DIR): string {
  return join(resolve(dir), POSIX_PREFIX + name);
}

function isShmDir(dir: string): boolean {
  return resolve(dir) === DEFAULT_DIR;
}

function openFd(name: string, dir: string, flags: number, mode: number): number {
  return isShmDir(dir) ? native.shmOpen('/' + POSIX_PREFIX + name, flags, mode) : native.openFile(posixPath(name, dir), flags, mode);
}

/** Remove the name (not the memory: mappings stay valid until unmapped). */
export function unlinkPosix(name: string, dir: string = DEFAULT_DIR): void {
  if (isShmDir(dir)) native.shmUnlink('/' + POSIX_PREFIX + name);
  else unlinkSync(posixPath(name, dir));
}

function fmtBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}

function noSpace(e: unknown, what: string, dir: string): ShmError {
  let free = '';
  try {
    const s = statfsSync(dir);
    free = ` (${fmtBytes(s.bavail * s.bsize)} free of ${fmtBytes(s.blocks * s.bsize)})`;
  } catch {
    // best effort
  }
  return new ShmError(
    'ENOSPC',
    `no room in ${dir}${free} to ${what}: free memory or enlarge the tmpfs (docker --shm-size, a larger Kubernetes emptyDir); the segment is unchanged and usable`,
    e,
  );
}

function openError(e: unknown, name: string, path: string): Error {
  switch (errCode(e)) {
    case 'ENOENT':
      return new ShmError('ENOENT', `segment '${name}' does not exist (no ${path}): start shmkv-server --segment ${name}, or open it with create: true`, e);
    case 'EACCES':
    case 'EPERM':
      return new ShmError(
        'EACCES',
        `permission denied opening segment '${name}' (${path}): it belongs to another user or its mode forbids you; ask its owner or run as that user`,
        e,
      );
    case 'ELOOP':
      return new ShmError('EBADSEG', `${path} is a symbolic link, not a shmkv segment: remove it`, e);
    default:
      return new ShmError(errCode(e) ?? 'EIO', `cannot open segment '${name}' (${path}): ${errMessage(e)}`, e);
  }
}

class PosixMapping extends Mapping {
  readonly kind = 'posix' as const;

  constructor(
    key: string,
    name: string,
    sab: SharedArrayBuffer,
    reserved: number,
    readonly fd: number,
    readonly path: string,
    readonly dir: string,
    readonly dev: number,
    readonly ino: number,
  ) {
    super(key, name, sab, reserved, fd, LOCK_WR);
  }

  describe(): string {
    return `segment '${this.name}'`;
  }

  grow(newCommitted: number): void {
    const n = this.checkNewSize('grow', newCommitted);
    const cur = this.committed();
    if (n <= cur) return;
    try {
      // Back the pages BEFORE publishing them: nobody may touch an unbacked page.
      native.fallocate(this.fd, 0, cur, n - cur);
    } catch (e) {
      if (errCode(e) === 'ENOSPC') throw noSpace(e, `grow ${this.describe()} from ${fmtBytes(cur)} to ${fmtBytes(n)}`, this.dir);
      throw e;
    }
    this.publishAtLeast(n);
  }

  extend(newSize: number): void {
    const n = this.checkNewSize('extend', newSize);
    if (n <= this.committed()) return;
    // A sparse tail: ftruncate up allocates nothing. Never truncate down here (a
    // concurrent grower may have made the file longer than our committed()).
    if (native.fstat(this.fd).size < n) native.ftruncate(this.fd, n);
    this.publishAtLeast(n);
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
    // Unpublish first, then free: a reader that checks committed() never goes past it.
    // The pages are punched out, the file keeps its size: a process reading without the
    // lock (an optimistic read, src/keyspace/peek.ts) may still follow an offset it checked
    // against the old size, and past the end of the file that read would be SIGBUS; in a
    // hole it reads zeros, which its check of the write version then throws away.
    this.publishExactly(newCommitted);
    native.fallocate(this.fd, C.FALLOC_FL_PUNCH_HOLE | C.FALLOC_FL_KEEP_SIZE, newCommitted, cur - newCommitted);
  }

  punch(off: number, len: number): void {
    this.checkRange('punch', off, len);
    if (len === 0) return;
    native.fallocate(this.fd, C.FALLOC_FL_PUNCH_HOLE | C.FALLOC_FL_KEEP_SIZE, off, len);
  }

  reserve(off: number, len: number): void {
    this.checkRange('reserve', off, len);
    if (len === 0) return;
    try {
      native.fallocate(this.fd, 0, off, len);
    } catch (e) {
      if (errCode(e) === 'ENOSPC') throw noSpace(e, `back ${fmtBytes(len)} at offset ${off} of ${this.describe()}`, this.dir);
      throw e;
    }
  }

  state(): SegmentState {
    // Name first: after unlink + re-create our inode is gone (nlink 0) AND the name
    // is another inode; 'replaced' says more than 'removed'.
    const cur = statSync(this.path, { throwIfNoEntry: false });
    if (cur !== undefined && (cur.ino !== this.ino || cur.dev !== this.dev)) return 'replaced';
    if (cur === undefined || native.fstat(this.fd).nlink === 0) return 'removed';
    return 'ok';
  }

  statBase(): KindStat {
    const st = native.fstat(this.fd);
    return { kind: 'posix', path: this.path, uid: st.uid, gid: st.gid, mode: st.mode & 0o777, nattch: 0 };
  }

  protected releaseResources(): void {
    native.munmap(this.sab);
    native.close(this.fd);
  }
}

function checkMode(mode: number): number {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) {
    throw new ShmError('EINVAL', `invalid mode ${mode}: use permission bits such as 0o600 or 0o660`);
  }
  return mode;
}

/**
 * Create POSIX segment `name` (or open it when it exists and `exclusive` is not set).
 * Creation: shm_open(O_CREAT|O_EXCL) with the mode, fchmod to the exact mode (umask),
 * fstat to check we own it, fallocate the initial size, write the header, magic last.
 * Opening an existing one through create: the file must belong to us (or root):
 * /dev/shm is world-writable, anyone could have pre-created the name.
 */
export function createPosixSegment(name: string, opts: PosixOptions = {}): Segment {
  validateName(name);
  const dir = resolve(opts.dir ?? DEFAULT_DIR);
  const path = posixPath(name, dir);
  const mode = checkMode(opts.mode ?? DEFAULT_MODE);
  const initial = roundUp(Math.max(opts.initialSize ?? DEFAULT_INITIAL_SIZE, HEADER_SIZE), PAGE_SIZE);
  const reserve = roundUp(opts.reserve ?? DEFAULT_RESERVE, PAGE_SIZE);
  if (!Number.isSafeInteger(initial) || !Number.isSafeInteger(reserve) || reserve < initial || reserve > MAX_RESERVE) {
    throw new ShmError(
      'EINVAL',
      `segment '${name}': reserve (${opts.reserve ?? DEFAULT_RESERVE}) must be at least initialSize (${initial}) and at most ${MAX_RESERVE}`,
    );
  }

  let fd: number;
  try {
    fd = openFd(name, dir, C.O_CREAT | C.O_EXCL | C.O_RDWR, mode);
  } catch (e) {
    if (errCode(e) === 'EEXIST') {
      if (opts.exclusive) {
        throw new ShmError('EEXIST', `segment '${name}' already exists (${path}): open it instead, or remove it first with \`shmkv rm ${name}\``, e);
      }
      return openExisting(name, dir, opts, true);
    }
    throw openError(e, name, path);
  }

  let sab: SharedArrayBuffer | undefined;
  let ino = -1;
  try {
    native.fchmod(fd, mode);
    const st = native.fstat(fd);
    ino = st.ino;
    const me = euid();
    if (me >= 0 && st.uid !== me) {
      throw new ShmError('EPERM', `segment '${name}' (${path}) was created but belongs to uid ${st.uid}, not to you (uid ${me}): check the file system's ownership rules`);
    }
    try {
      native.fallocate(fd, 0, 0, initial);
    } catch (e) {
      if (errCode(e) === 'ENOSPC') throw noSpace(e, `create ${fmtBytes(initial)} segment '${name}'`, dir);
      throw e;
    }
    try {
      sab = native.mmap(fd, reserve, true);
    } catch (e) {
      throw mapError(e, `segment '${name}'`, reserve);
    }
    const id = randomBytes(8);
    writeHeader(sab, {
      kind: KIND_POSIX,
      pageSize: PAGE_SIZE,
      idLo: id.readUInt32LE(0),
      idHi: id.readUInt32LE(4),
      createdAt: Date.now(),
      ownerUid: st.uid,
      sysvKey: 0,
      reserved: reserve,
      committed: initial,
      name,
    });
    native.mutexInit(sab, OFF_MUTEX);
    initRoleMutex(sab);
    const m = new PosixMapping(`posix:${st.dev}:${st.ino}`, name, sab, reserve, fd, path, dir, st.dev, st.ino);
    m.attach();
    publishMagic(sab);
    registry.set(m.key, m);
    return m.newHandle();
  } catch (e) {
    // Undo the creation, but only unlink the name if it is still our file.
    try {
      if (statSync(path, { throwIfNoEntry: false })?.ino === ino) unlinkPosix(name, dir);
    } catch {
      // best effort
    }
    if (sab !== undefined) native.munmap(sab);
    native.close(fd);
    throw e;
  }
}

/** Open POSIX segment `name`; with `create: true`, as createPosixSegment. */
export function openPosixSegment(name: string, opts: PosixOpenOptions = {}): Segment {
  validateName(name);
  if (opts.create) return createPosixSegment(name, opts);
  return openExisting(name, resolve(opts.dir ?? DEFAULT_DIR), opts, false);
}

function openExisting(name: string, dir: string, opts: PosixOptions, requireOwner: boolean): Segment {
  const path = posixPath(name, dir);
  let fd: number;
  try {
    fd = openFd(name, dir, C.O_RDWR, 0);
  } catch (e) {
    throw openError(e, name, path);
  }
  try {
    let st = native.fstat(fd);
    const key = `posix:${st.dev}:${st.ino}`;
    const existing = registry.get(key);
    if (existing !== undefined) {
      // Mapped once per process: two buffers over one segment have crashed V8.
      native.close(fd);
      return existing.newHandle();
    }
    if ((st.mode & 0o170000) !== 0o100000) throw new ShmError('EBADSEG', `${path} is not a regular file, not a shmkv segment: remove it`);
    const me = euid();
    if (requireOwner && me >= 0 && st.uid !== me && st.uid !== 0) {
      throw new ShmError(
        'EPERM',
        `segment '${name}' (${path}) exists but belongs to uid ${st.uid}, not to you (uid ${me}): someone else created that name; use another name, or open it without create if you mean to share it`,
      );
    }
    // Wait (briefly) for a creator that has not published the header yet.
    const bytes = Buffer.alloc(HEADER_SIZE);
    const deadline = Date.now() + (opts.initWaitMs ?? 500);
    for (;;) {
      st = native.fstat(fd);
      if (st.size >= HEADER_SIZE) {
        readSync(fd, bytes, 0, HEADER_SIZE, 0);
        if (!magicIsZero(bytes) || Date.now() >= deadline) break;
      } else if (Date.now() >= deadline) {
        throw new ShmError(
          'EBADSEG',
          `segment '${name}' (${path}) is truncated: ${st.size} bytes, less than its ${HEADER_SIZE}-byte header; remove it with \`shmkv rm ${name} --force\``,
        );
      }
      sleepMs(5);
    }
    let h = decodeHeader(bytes);
    // Another process may resize the segment between that fstat and the header read (it
    // extends the file before publishing a larger size and publishes a smaller one before
    // truncating): read again, header first, before calling the segment truncated.
    for (let i = 0; i < 50 && h.magicOk && h.committed > st.size; i++) {
      if (i > 0) sleepMs(1);
      readSync(fd, bytes, 0, HEADER_SIZE, 0);
      h = decodeHeader(bytes);
      st = native.fstat(fd);
    }
    checkHeader(h, { name, where: path, fileSize: st.size, kind: KIND_POSIX, rm: `shmkv rm ${name}` });
    let sab: SharedArrayBuffer;
    try {
      sab = native.mmap(fd, h.reserved, true);
    } catch (e) {
      throw mapError(e, `segment '${name}'`, h.reserved);
    }
    const m = new PosixMapping(key, name, sab, h.reserved, fd, path, dir, st.dev, st.ino);
    try {
      m.attach();
    } catch (e) {
      native.munmap(sab);
      throw e;
    }
    registry.set(key, m);
    return m.newHandle();
  } catch (e) {
    native.close(fd);
    throw e;
  }
}
