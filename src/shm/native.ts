/**
 * Loads the native addon (build/Release/shmkv.node) and gives it a type.
 *
 * The addon holds system calls (and a few C library calls: sin/cos/asin, memmove) only;
 * all policy lives in the TypeScript above it.
 * The package root is found by walking up from this file to the package.json named
 * "shmkv", so the same code works from src/shm (ts runners) and from dist/src/shm.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ShmError, errMessage } from './errors.js';

export interface NativeStat {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  size: number;
  blocks: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
}

export interface NativeShmidDs {
  key: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  /** Permission bits (low 9 bits). */
  mode: number;
  /** SHM_DEST: marked for removal, destroyed when nattch drops to 0. */
  dest: boolean;
  locked: boolean;
  size: number;
  atimeMs: number;
  dtimeMs: number;
  ctimeMs: number;
  cpid: number;
  lpid: number;
  nattch: number;
}

export interface NativeConstants {
  O_CREAT: number;
  O_EXCL: number;
  O_RDWR: number;
  O_RDONLY: number;
  O_TRUNC: number;
  FALLOC_FL_KEEP_SIZE: number;
  FALLOC_FL_PUNCH_HOLE: number;
  MADV_DONTNEED: number;
  MADV_WILLNEED: number;
  MADV_REMOVE: number;
  MS_SYNC: number;
  MS_ASYNC: number;
  MS_INVALIDATE: number;
  IPC_CREAT: number;
  IPC_EXCL: number;
  IPC_PRIVATE: number;
  EOWNERDEAD: number;
  ETIMEDOUT: number;
  EBUSY: number;
  ENOTRECOVERABLE: number;
  EDEADLK: number;
  EPERM: number;
  /** sizeof(pthread_mutex_t) on this machine (must be <= 64). */
  MUTEX_SIZE: number;
}

/** Lock types of ofdLock / ofdTest. */
export const LOCK_UN = 0;
export const LOCK_RD = 1;
export const LOCK_WR = 2;

/**
 * The addon. Every failing call throws an Error with `.code` (errno name), `.errno`
 * and `.syscall`; the message reads "shm_open /shmkv.foo: EEXIST (File exists)".
 */
export interface Native {
  constants: NativeConstants;
  pageSize: number;

  shmOpen(name: string, oflag: number, mode: number): number;
  /** open(2) with O_CLOEXEC|O_NOFOLLOW added (segments outside /dev/shm, lock files). */
  openFile(path: string, oflag: number, mode: number): number;
  shmUnlink(name: string): void;
  close(fd: number): void;
  ftruncate(fd: number, size: number): void;
  fallocate(fd: number, mode: number, offset: number, len: number): void;
  fstat(fd: number): NativeStat;
  fchmod(fd: number, mode: number): void;
  fchown(fd: number, uid: number, gid: number): void;

  /** MAP_SHARED|MAP_NORESERVE mapping; munmapped by V8 when the buffer is collected. */
  mmap(fd: number, length: number, writable: boolean): SharedArrayBuffer;
  /**
   * Replace a mapping made by mmap() with anonymous zero pages at the same address
   * (stale accesses read zeros, never crash). False if already released.
   */
  munmap(sab: SharedArrayBuffer): boolean;
  msync(sab: SharedArrayBuffer, off: number, len: number, flags: number): void;
  madvise(sab: SharedArrayBuffer, off: number, len: number, advice: number): void;

  ftok(path: string, projId: number): number;
  shmget(key: number, size: number, flags: number): number;
  shmat(shmid: number, readonly: boolean): SharedArrayBuffer;
  /** Detach (the shm pages are replaced by anonymous zero pages). False if already detached. */
  shmdt(sab: SharedArrayBuffer): boolean;
  shmctl(shmid: number, cmd: 'IPC_STAT'): NativeShmidDs;
  shmctl(shmid: number, cmd: 'IPC_SET', opts: { uid?: number; gid?: number; mode?: number }): void;
  shmctl(shmid: number, cmd: 'IPC_RMID'): void;

  futexWait(sab: SharedArrayBuffer, byteOffset: number, expected: number, timeoutMs: number): 'ok' | 'not-equal' | 'timed-out';
  futexWake(sab: SharedArrayBuffer, byteOffset: number, count: number): number;

  mutexInit(sab: SharedArrayBuffer, off: number): void;
  /** 0 or EOWNERDEAD; throws on anything else (EDEADLK when this thread holds it). */
  mutexLock(sab: SharedArrayBuffer, off: number): number;
  /** 0, EOWNERDEAD or ETIMEDOUT. */
  mutexTimedLock(sab: SharedArrayBuffer, off: number, timeoutMs: number): number;
  /** 0, EBUSY or EOWNERDEAD. */
  mutexTryLock(sab: SharedArrayBuffer, off: number): number;
  mutexUnlock(sab: SharedArrayBuffer, off: number): void;
  mutexConsistent(sab: SharedArrayBuffer, off: number): void;

  /** kill(pid, 0): true if the pid exists (EPERM counts as alive). */
  processAlive(pid: number): boolean;
  /** F_OFD_SETLK(W); false when it would block (wait = false). */
  ofdLock(fd: number, start: number, len: number, type: number, wait: boolean): boolean;
  /** F_OFD_GETLK: true if another open file description holds a conflicting lock. */
  ofdTest(fd: number, start: number, len: number, type: number): boolean;
  /**
   * A listening non-blocking TCP socket bound to a numeric address (SO_REUSEADDR, IPv6-only
   * for IPv6; SO_REUSEPORT set after the bind, so a standby can join it); -1 if the address
   * is not numeric. `takeover`: SO_REUSEPORT before the bind (a dying server's listener
   * may still hold the port) and new connections steered to this socket.
   */
  listenTcp(address: string, port: number, backlog: number, takeover?: boolean): number;
  /** The C library's sin, cos and asin (GEO must match Redis's bits; V8's differ in the last ones). */
  sin(x: number): number;
  cos(x: number): number;
  asin(x: number): number;
  /**
   * The C library's memmove inside, into and out of a SharedArrayBuffer (V8 copies shared
   * memory a byte at a time unless both ends are equally aligned). Ranges are checked:
   * a TypeError (code EINVAL) when one is outside its buffer.
   */
  memmove(sab: SharedArrayBuffer, dst: number, src: number, len: number): void;
  /** view[start, start+len) to sab[dst, dst+len). */
  copyIn(sab: SharedArrayBuffer, dst: number, view: ArrayBufferView, start: number, len: number): void;
  /** sab[src, src+len) to view[start, start+len). */
  copyOut(sab: SharedArrayBuffer, src: number, view: ArrayBufferView, start: number, len: number): void;
  /**
   * One non-blocking send(2) of view[start, start+len) on a socket fd (MSG_NOSIGNAL, EINTR
   * retried): the bytes sent (> 0), or -errno (-EAGAIN when the send buffer is full).
   */
  sendSome(fd: number, view: ArrayBufferView, start: number, len: number): number;
}

/** The package root: the nearest ancestor directory whose package.json is named shmkv. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: unknown }).name === 'shmkv') return dir;
      } catch {
        // unreadable package.json: keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  // Fall back to the layout of the compiled tree: dist/src/shm -> package root.
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

/** Absolute path of the addon (worker threads load it too). */
export const ADDON_PATH: string = join(packageRoot(), 'build', 'Release', 'shmkv.node');

function load(): Native {
  const path = ADDON_PATH;
  try {
    return createRequire(import.meta.url)(path) as Native;
  } catch (e) {
    throw new ShmError(
      'ENOADDON',
      `cannot load the shmkv native addon at ${path} (${errMessage(e)}): run \`npm install\`, or \`npm_config_nodedir=/usr npx node-gyp rebuild\` in the package`,
      e,
    );
  }
}

export const native: Native = load();
export const C: NativeConstants = native.constants;
export const PAGE_SIZE: number = native.pageSize;
