/**
 * The part of a segment common to POSIX and System V: the per-process mapping
 * (mapped once per process, shared by every handle that opens it), the attach
 * registry, the write lock, the server role, and the `Segment` handle the rest of
 * shmkv uses (it implements the heap's `Backing`).
 *
 * Kind-specific work (growing, punching, telling whether the segment was removed)
 * lives in posix.ts and sysv.ts, in subclasses of `Mapping`.
 */
import type { Backing } from '../heap/backing.js';
import { ShmError, errCode } from './errors.js';
import {
  ATTACH_SLOTS,
  COMMIT_UNIT,
  HEADER_SIZE,
  I32_COMMITTED_4K,
  I32_ROLE_STATE,
  I32_SERVER_PID,
  I32_SIZE_SEQ,
  LAYOUT_VERSION as LAYOUT_VERSION_EXPECTED,
  OFF_CREATED_AT,
  OFF_ID_HI,
  OFF_ID_LO,
  OFF_MUTEX,
  OFF_ROLE_MUTEX,
  OFF_SERVER_SINCE,
  ROLE_STATE_INIT,
  ROLE_STATE_READY,
  SLOT_SINCE,
  SLOT_STATE_ATTACHED,
  SLOT_STATE_STANDBY,
  i32SlotPid,
  i32SlotState,
  idHex,
  lockSlot,
  LOCK_SERVER,
  slotOffset,
  type HeaderInfo,
} from './header.js';
import { C, LOCK_RD, LOCK_UN, LOCK_WR, PAGE_SIZE, native } from './native.js';

export type SegmentKind = 'posix' | 'sysv';
/** 'removed': unlinked / IPC_RMID'd but still mapped here; 'replaced': the name now names another segment. */
export type SegmentState = 'ok' | 'removed' | 'replaced';
/** States listSegments() can report besides a segment's own. */
export type ListedState = SegmentState | 'foreign' | 'unreadable';

export interface Attachment {
  pid: number;
  /** ms since the epoch. */
  since: number;
  /** Attach-registry slot. */
  slot: number;
  /** A standby waiting for the server role (shmkv-server --standby). */
  standby?: true;
}

export interface SegmentStat {
  name: string;
  kind: SegmentKind;
  /** Random 64-bit identity in hex ('' when the header could not be read). */
  id: string;
  /** POSIX: the file. */
  path?: string;
  /** System V: the key and id. */
  key?: number;
  shmid?: number;
  uid: number;
  gid: number;
  /** Permission bits, e.g. 0o600. */
  mode: number;
  /** Committed bytes (the segment's size from offset 0). */
  size: number;
  /** Bytes every process maps. */
  reserved: number;
  /** Live attachments from the attach registry (dead ones are dropped). */
  attached: Attachment[];
  /** POSIX: live attachments; System V: the kernel's shm_nattch. */
  nattch: number;
  createdAt: number;
  state: ListedState;
  server: { pid: number; since: number } | null;
  /** Why state is 'foreign' or 'unreadable'. */
  problem?: string;
}

/** The kind-specific part of a SegmentStat. */
export interface KindStat {
  kind: SegmentKind;
  path?: string;
  key?: number;
  shmid?: number;
  uid: number;
  gid: number;
  mode: number;
  nattch: number;
}

/** Options every open/create accepts. */
export interface CommonOptions {
  /**
   * How long an opener waits for a segment another process is still creating
   * (header not yet published) before calling it broken. Default 500 ms.
   */
  initWaitMs?: number;
}

/** Process-wide registry: one mapping per segment per process (see FACTS-native.md). */
export const registry = new Map<string, Mapping>();

export function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** Block the thread for `ms` (used only while waiting for a creator to finish). */
export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function euid(): number {
  return typeof process.geteuid === 'function' ? process.geteuid() : -1;
}

const NAME_RE = /^[A-Za-z0-9._-]{1,200}$/;

/** Segment names: [A-Za-z0-9._-], 1..200 characters (they become file names). */
export function validateName(name: unknown): string {
  if (typeof name !== 'string' || !NAME_RE.test(name) || name === '.' || name === '..') {
    throw new ShmError(
      'EINVAL',
      `invalid segment name ${JSON.stringify(name)}: use 1 to 200 characters from A-Z a-z 0-9 . _ -`,
    );
  }
  return name;
}

/** Initialise the server-role mutex of a new segment (before its magic is published). */
export function initRoleMutex(sab: SharedArrayBuffer): void {
  native.mutexInit(sab, OFF_ROLE_MUTEX);
  Atomics.store(new Int32Array(sab, 0, HEADER_SIZE / 4), I32_ROLE_STATE, ROLE_STATE_READY);
}

/** What a standby's wait for the server role ended with (Segment.roleWait). */
export type RoleWait = 'died' | 'released' | 'timed-out';

/** Live attachments of a decoded header, seen through `lockFd` (-1: fall back to kill(pid, 0)). */
export function liveSlots(h: HeaderInfo, lockFd: number): Attachment[] {
  const out: Attachment[] = [];
  for (const s of h.slots) {
    const alive = lockFd >= 0 ? native.ofdTest(lockFd, lockSlot(s.index), 1, LOCK_WR) : native.processAlive(s.pid);
    if (alive) out.push(s.state === SLOT_STATE_STANDBY ? { pid: s.pid, since: s.since, slot: s.index, standby: true } : { pid: s.pid, since: s.since, slot: s.index });
  }
  return out;
}

/** Server of a decoded header, seen through `lockFd`. */
export function liveServer(h: HeaderInfo, lockFd: number): { pid: number; since: number } | null {
  if (h.serverPid === 0) return null;
  const alive = lockFd >= 0 ? native.ofdTest(lockFd, LOCK_SERVER, 1, LOCK_WR) : native.processAlive(h.serverPid);
  return alive ? { pid: h.serverPid, since: h.serverSince } : null;
}

/**
 * One mapped segment in this process. Internal: users hold `Segment` handles.
 * Subclasses implement the size operations and state().
 */
export abstract class Mapping {
  abstract readonly kind: SegmentKind;
  readonly i32: Int32Array;
  readonly dv: DataView;
  readonly id: string;
  readonly createdAt: number;
  refs = 0;
  /** Our attach-registry slot, -1 when none. */
  slot = -1;
  /** The handle that claimed the server role, if any. */
  serverOwner: Segment | null = null;
  /** This process's main thread holds the role mutex (header ROLE_MUTEX). */
  private roleHeld = false;
  /** This process holds the server lock byte (LOCK_SERVER). */
  private serverByteHeld = false;
  private serverByteTimer: NodeJS.Timeout | null = null;
  released = false;
  /**
   * This thread holds the write lock. Detaching then is refused: unmapping a locked
   * robust mutex would break the kernel's robust list, and the lock would never be
   * released, not even when this process dies.
   */
  held = false;

  constructor(
    readonly key: string,
    readonly name: string,
    readonly sab: SharedArrayBuffer,
    readonly reserved: number,
    /** fd the advisory OFD locks are taken on (segment file or System V lock file). */
    readonly lockFd: number,
    /** Lock type this process can take on lockFd (write if it was opened read-write). */
    readonly lockType: number,
  ) {
    this.i32 = new Int32Array(sab, 0, HEADER_SIZE / 4);
    this.dv = new DataView(sab, 0, HEADER_SIZE);
    this.id = idHex(this.dv.getUint32(OFF_ID_LO, true), this.dv.getUint32(OFF_ID_HI, true));
    this.createdAt = this.dv.getFloat64(OFF_CREATED_AT, true);
  }

  committed(): number {
    return (Atomics.load(this.i32, I32_COMMITTED_4K) >>> 0) * COMMIT_UNIT;
  }

  /** Publish a larger committed size (never lowers it: concurrent growers agree on the max). */
  publishAtLeast(bytes: number): void {
    const units = bytes / COMMIT_UNIT;
    for (;;) {
      const cur = Atomics.load(this.i32, I32_COMMITTED_4K);
      if (cur >>> 0 >= units) return;
      if (Atomics.compareExchange(this.i32, I32_COMMITTED_4K, cur, units | 0) === cur) {
        Atomics.add(this.i32, I32_SIZE_SEQ, 1);
        return;
      }
    }
  }

  /** Publish a smaller committed size (shrink: done under the write lock). */
  publishExactly(bytes: number): void {
    Atomics.store(this.i32, I32_COMMITTED_4K, (bytes / COMMIT_UNIT) | 0);
    Atomics.add(this.i32, I32_SIZE_SEQ, 1);
  }

  abstract grow(newCommitted: number): void;
  abstract extend(newSize: number): void;
  abstract shrink(newCommitted: number): void;
  abstract punch(off: number, len: number): void;
  abstract reserve(off: number, len: number): void;
  abstract state(): SegmentState;
  /** Kind-specific parts of stat(). */
  abstract statBase(): KindStat;
  /** Unmap and close: called once, when the last handle detaches. */
  protected abstract releaseResources(): void;
  /** Describes the segment in messages: "segment 'foo'" or "System V segment 'foo'". */
  abstract describe(): string;

  checkRange(what: string, off: number, len: number): void {
    if (!Number.isSafeInteger(off) || !Number.isSafeInteger(len) || len < 0 || off < HEADER_SIZE || off + len > this.committed()) {
      throw new ShmError(
        'EINVAL',
        `${what}(${off}, ${len}) on ${this.describe()}: the range must lie in [${HEADER_SIZE}, ${this.committed()}) (the heap's committed part)`,
      );
    }
  }

  /** Page-rounds a new size and checks it against the reservation. */
  checkNewSize(what: string, n: number): number {
    if (!Number.isSafeInteger(n) || n < 0) throw new ShmError('EINVAL', `${what}(${n}) on ${this.describe()}: the size must be a non-negative integer`);
    const r = roundUp(n, PAGE_SIZE);
    if (r > this.reserved) {
      throw new ShmError(
        'EFBIG',
        `${what}(${n}) on ${this.describe()}: past its reserved ${this.reserved} bytes; create the segment with a larger reserve`,
      );
    }
    return r;
  }

  /** Is slot `i` held by a live process? (Our own slot: always; our own locks never conflict with us.) */
  slotAlive(i: number): boolean {
    if (i === this.slot) return true;
    return native.ofdTest(this.lockFd, lockSlot(i), 1, LOCK_WR);
  }

  /** The pid attached through slot `i` if its process is alive, else 0. */
  slotHolder(i: number): number {
    const pid = Atomics.load(this.i32, i32SlotPid(i));
    return pid !== 0 && this.slotAlive(i) ? pid : 0;
  }

  /** Live attachments; dead slots are freed on the way (CAS pid → 0, so a racing claimer is never undone). */
  attachments(): Attachment[] {
    const out: Attachment[] = [];
    for (let i = 0; i < ATTACH_SLOTS; i++) {
      const pid = Atomics.load(this.i32, i32SlotPid(i));
      if (pid === 0) continue;
      if (this.slotAlive(i)) {
        const a: Attachment = { pid, since: this.dv.getFloat64(slotOffset(i) + SLOT_SINCE, true), slot: i };
        if (Atomics.load(this.i32, i32SlotState(i)) === SLOT_STATE_STANDBY) a.standby = true;
        out.push(a);
      } else {
        Atomics.compareExchange(this.i32, i32SlotPid(i), pid, 0);
      }
    }
    return out;
  }

  /**
   * Register this process in a free slot. Order matters: take the slot's lock byte
   * FIRST, then claim the pid field with CAS, so that a cleaner never sees a claimed
   * slot without its lock (it would free it as dead).
   */
  attach(): void {
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < ATTACH_SLOTS; i++) {
        if (Atomics.load(this.i32, i32SlotPid(i)) !== 0) continue;
        if (!native.ofdLock(this.lockFd, lockSlot(i), 1, this.lockType, false)) continue;
        if (Atomics.compareExchange(this.i32, i32SlotPid(i), 0, process.pid) === 0) {
          this.dv.setFloat64(slotOffset(i) + SLOT_SINCE, Date.now(), true);
          Atomics.store(this.i32, i32SlotState(i), SLOT_STATE_ATTACHED);
          this.slot = i;
          return;
        }
        native.ofdLock(this.lockFd, lockSlot(i), 1, LOCK_UN, false);
      }
      this.attachments(); // frees dead slots, then try once more
    }
    throw new ShmError(
      'EUSERS',
      `${this.describe()} already has ${ATTACH_SLOTS} live attachments (the limit): detach some processes first`,
    );
  }

  /** Leave the attach registry (the lock byte is released with the fd anyway). */
  unregister(): void {
    const i = this.slot;
    if (i < 0) return;
    this.slot = -1;
    Atomics.store(this.i32, i32SlotState(i), 0);
    Atomics.compareExchange(this.i32, i32SlotPid(i), process.pid, 0);
    try {
      native.ofdLock(this.lockFd, lockSlot(i), 1, LOCK_UN, false);
    } catch {
      // the fd is closed right after: the kernel drops the lock then anyway
    }
  }

  server(): { pid: number; since: number } | null {
    const pid = Atomics.load(this.i32, I32_SERVER_PID) >>> 0;
    if (this.serverOwner !== null) return { pid, since: this.dv.getFloat64(OFF_SERVER_SINCE, true) };
    if (pid === 0 || !native.ofdTest(this.lockFd, LOCK_SERVER, 1, LOCK_WR)) return null;
    return { pid, since: this.dv.getFloat64(OFF_SERVER_SINCE, true) };
  }

  /**
   * The role mutex, initialised: a segment made by an older build has zeros there, and the
   * first process that needs it initialises it (CAS 0 → INIT, init, READY). One that died
   * while initialising (a few µs) is replaced after a second.
   */
  private roleMutex(): void {
    for (let waited = 0; ; waited++) {
      const st = Atomics.load(this.i32, I32_ROLE_STATE);
      if (st === ROLE_STATE_READY) return;
      if ((st === 0 && Atomics.compareExchange(this.i32, I32_ROLE_STATE, 0, ROLE_STATE_INIT) === 0) || waited >= 1000) {
        native.mutexInit(this.sab, OFF_ROLE_MUTEX);
        Atomics.store(this.i32, I32_ROLE_STATE, ROLE_STATE_READY);
        return;
      }
      sleepMs(1);
    }
  }

  private busy(): ShmError {
    const pid = Atomics.load(this.i32, I32_SERVER_PID) >>> 0;
    return new ShmError(
      'EBUSY',
      `${this.describe()} is already served by pid ${pid === 0 ? '(unknown)' : pid}: stop that server first or use another segment`,
    );
  }

  /**
   * The server role is two things: the role mutex (ROLE_MUTEX, held by the main thread for
   * as long as it serves: what makes the role exclusive and what a standby waits on) and
   * the lock byte LOCK_SERVER (what other processes test to see a live server: `shmkv ls`,
   * INFO, a second server's refusal — and what older builds use alone).
   */
  serverClaim(owner: Segment): void {
    if (this.serverOwner !== null) {
      throw new ShmError('EBUSY', `${this.describe()} is already served by pid ${process.pid} (this process): release it first`);
    }
    if (this.lockType !== LOCK_WR) {
      throw new ShmError('EACCES', `cannot serve ${this.describe()}: this process may not write its lock file; run as the segment's owner`);
    }
    this.roleMutex();
    const rc = native.mutexTryLock(this.sab, OFF_ROLE_MUTEX);
    if (rc === C.EBUSY) throw this.busy();
    // (EOWNERDEAD: the last server died serving; nobody took over)
    if (rc === C.EOWNERDEAD) native.mutexConsistent(this.sab, OFF_ROLE_MUTEX);
    if (!native.ofdLock(this.lockFd, LOCK_SERVER, 1, LOCK_WR, false)) {
      // a server of an older build (no role mutex), or one dying this instant
      native.mutexUnlock(this.sab, OFF_ROLE_MUTEX);
      throw this.busy();
    }
    this.roleHeld = true;
    this.serverByteHeld = true;
    this.dv.setFloat64(OFF_SERVER_SINCE, Date.now(), true);
    Atomics.store(this.i32, I32_SERVER_PID, process.pid);
    this.serverOwner = owner;
  }

  serverRelease(owner: Segment): void {
    if (this.serverOwner !== owner) return;
    this.serverOwner = null;
    // the pid goes first: a standby woken by the unlock below tells a stop from a death by it
    Atomics.compareExchange(this.i32, I32_SERVER_PID, process.pid, 0);
    if (this.serverByteTimer !== null) clearInterval(this.serverByteTimer);
    this.serverByteTimer = null;
    if (this.serverByteHeld) native.ofdLock(this.lockFd, LOCK_SERVER, 1, LOCK_UN, false);
    this.serverByteHeld = false;
    if (this.roleHeld) {
      this.roleHeld = false;
      native.mutexUnlock(this.sab, OFF_ROLE_MUTEX);
    }
  }

  /**
   * A standby may wait here: a live server holds the role mutex. Throws a one-line error
   * otherwise (no server; or a server of an older build, which does not hold it).
   */
  standbyCheck(): { pid: number } {
    if (this.serverOwner !== null) throw new ShmError('EBUSY', `this process serves ${this.describe()} already`);
    if (this.lockType !== LOCK_WR) {
      throw new ShmError('EACCES', `cannot serve ${this.describe()}: this process may not write its lock file; run as the segment's owner`);
    }
    this.roleMutex();
    const rc = native.mutexTryLock(this.sab, OFF_ROLE_MUTEX);
    if (rc === C.EBUSY) {
      // (shown by `shmkv ls` and stat() until it takes over or stops)
      this.setSlotState(SLOT_STATE_STANDBY);
      return { pid: Atomics.load(this.i32, I32_SERVER_PID) >>> 0 };
    }
    if (rc === C.EOWNERDEAD) native.mutexConsistent(this.sab, OFF_ROLE_MUTEX);
    native.mutexUnlock(this.sab, OFF_ROLE_MUTEX);
    const srv = this.server();
    if (srv !== null) {
      throw new ShmError(
        'EPROTO',
        `${this.describe()} is served by pid ${srv.pid}, a shmkv build without standby support (it does not hold the server role mutex): restart it with this build first`,
      );
    }
    throw new ShmError('ESRCH', `no server serves ${this.describe()}: start the server first (a standby waits for a running server to die)`);
  }

  /**
   * Wait up to `timeoutMs` for the server role. 'died': the server died (even `kill -9`),
   * this thread now holds the role mutex: call serverTakeOver() at once. 'released': the
   * server let the role go (SHUTDOWN, SIGTERM: a stop, not a failure); nothing is held.
   * 'timed-out': still serving. The kernel wakes this wait while it is still tearing the
   * dead process down (see header.ts, ROLE_MUTEX).
   */
  roleWait(timeoutMs: number): RoleWait {
    const rc = native.mutexTimedLock(this.sab, OFF_ROLE_MUTEX, timeoutMs);
    if (rc === C.ETIMEDOUT) return 'timed-out';
    if (rc === C.EOWNERDEAD) {
      native.mutexConsistent(this.sab, OFF_ROLE_MUTEX);
      // a clean release zeroes the pid first; 0 here is a process that died holding the
      // mutex without serving (another standby in the instant it looked at a stop)
      if (Atomics.load(this.i32, I32_SERVER_PID) !== 0) {
        this.roleHeld = true;
        return 'died';
      }
    }
    native.mutexUnlock(this.sab, OFF_ROLE_MUTEX);
    this.setSlotState(SLOT_STATE_ATTACHED);
    return 'released';
  }

  private setSlotState(state: number): void {
    if (this.slot >= 0) Atomics.store(this.i32, i32SlotState(this.slot), state);
  }

  /**
   * After roleWait() said 'died': this process is the server. Returns the dead server's
   * pid. Its lock byte LOCK_SERVER is still held by the dying process until the kernel
   * closes its files (after unmapping its memory); it is taken as soon as it is free.
   */
  serverTakeOver(owner: Segment): number {
    if (!this.roleHeld || this.serverOwner !== null) throw new ShmError('EINVAL', `serverTakeOver() of ${this.describe()} without roleWait() === 'died'`);
    const dead = Atomics.load(this.i32, I32_SERVER_PID) >>> 0;
    this.setSlotState(SLOT_STATE_ATTACHED);
    this.dv.setFloat64(OFF_SERVER_SINCE, Date.now(), true);
    Atomics.store(this.i32, I32_SERVER_PID, process.pid);
    this.serverOwner = owner;
    if (native.ofdLock(this.lockFd, LOCK_SERVER, 1, LOCK_WR, false)) this.serverByteHeld = true;
    else {
      const t = setInterval(() => {
        if (this.serverOwner !== owner || this.released) {
          clearInterval(t);
          return;
        }
        if (native.ofdLock(this.lockFd, LOCK_SERVER, 1, LOCK_WR, false)) {
          this.serverByteHeld = true;
          clearInterval(t);
          this.serverByteTimer = null;
        }
      }, 2);
      t.unref();
      this.serverByteTimer = t;
    }
    return dead;
  }

  stat(): SegmentStat {
    const base = this.statBase();
    const attached = this.attachments();
    return {
      name: this.name,
      id: this.id,
      ...base,
      size: this.committed(),
      reserved: this.reserved,
      attached,
      nattch: this.kind === 'posix' ? attached.length : base.nattch,
      createdAt: this.createdAt,
      state: this.state(),
      server: this.server(),
    };
  }

  /** A new handle on this mapping. */
  newHandle(): Segment {
    this.refs++;
    return new Segment(this);
  }

  /** Drop one handle; the last one unregisters, unmaps and closes. */
  drop(handle: Segment): void {
    if (this.refs === 1 && this.held) {
      throw new ShmError('EBUSY', `cannot detach ${this.describe()} while this process holds its write lock: unlock() first`);
    }
    this.serverRelease(handle);
    if (--this.refs > 0) return;
    registry.delete(this.key);
    this.unregister();
    this.released = true;
    this.releaseResources();
  }
}

function detachedError(name: string): ShmError {
  return new ShmError('EDETACHED', `segment '${name}' was detached from this handle: open it again to use it`);
}

/**
 * A handle on a mapped segment (POSIX or System V). Several handles may share one
 * mapping (same `sab`) when a process opens a segment more than once; each must be
 * detached. Implements the heap's `Backing`.
 *
 * Size operations (grow/extend/shrink/punch/reserve) are meant to be called while
 * holding lock(): the segment layer does not serialise them against each other.
 */
export class Segment implements Backing {
  readonly sab: SharedArrayBuffer;
  readonly base = HEADER_SIZE;
  readonly reserved: number;
  readonly name: string;
  readonly kind: SegmentKind;
  /** Random 64-bit identity (hex), the same in every process. */
  readonly id: string;
  #m: Mapping | null;

  constructor(m: Mapping) {
    this.#m = m;
    this.sab = m.sab;
    this.reserved = m.reserved;
    this.name = m.name;
    this.kind = m.kind;
    this.id = m.id;
  }

  #live(): Mapping {
    const m = this.#m;
    if (m === null) throw detachedError(this.name);
    return m;
  }

  /** The fd the advisory locks are taken on: the segment file (POSIX) or its lock file (System V). */
  get fd(): number {
    return this.#live().lockFd;
  }

  get detached(): boolean {
    return this.#m === null;
  }

  /** This process's attach-registry slot (0..63), -1 when it has none. */
  get slot(): number {
    return this.#live().slot;
  }

  /** Is attach slot `i` held by a live process (its lock byte held)? Ours always is. */
  slotAlive(i: number): boolean {
    return this.#live().slotAlive(i);
  }

  /** The pid attached through slot `i` if its process is alive, else 0. */
  slotHolder(i: number): number {
    return this.#live().slotHolder(i);
  }

  committed(): number {
    return this.#live().committed();
  }

  grow(newCommitted: number): void {
    this.#live().grow(newCommitted);
  }

  extend(newSize: number): void {
    this.#live().extend(newSize);
  }

  shrink(newCommitted: number): void {
    this.#live().shrink(newCommitted);
  }

  punch(off: number, len: number): void {
    this.#live().punch(off, len);
  }

  reserve(off: number, len: number): void {
    this.#live().reserve(off, len);
  }

  /**
   * Take the cross-process write lock (a robust pthread mutex in the header).
   * Returns true when the previous holder died holding it. The mutex has already
   * been marked consistent (so it can never become ENOTRECOVERABLE), but the DATA it
   * guards has not been repaired: the caller must repair (roll back) before unlock().
   * If the caller dies while repairing, the next locker gets `true` again.
   * Not re-entrant: locking twice from one thread throws EDEADLK.
   */
  lock(): boolean {
    const m = this.#m;
    if (m === null) throw detachedError(this.name);
    let rc: number;
    try {
      rc = native.mutexLock(m.sab, OFF_MUTEX);
    } catch (e) {
      throw lockError(this.name, e);
    }
    m.held = true;
    if (rc === 0) return false;
    native.mutexConsistent(m.sab, OFF_MUTEX);
    return true;
  }

  /** lock() with a timeout: 'locked', 'owner-died' (repair first, as for lock() === true) or 'timed-out'. */
  lockTimeout(timeoutMs: number): 'locked' | 'owner-died' | 'timed-out' {
    const m = this.#live();
    let rc: number;
    try {
      rc = native.mutexTimedLock(m.sab, OFF_MUTEX, timeoutMs);
    } catch (e) {
      throw lockError(this.name, e);
    }
    if (rc === C.ETIMEDOUT) return 'timed-out';
    m.held = true;
    if (rc === 0) return 'locked';
    native.mutexConsistent(m.sab, OFF_MUTEX);
    return 'owner-died';
  }

  /** Non-blocking lock(): 'locked', 'owner-died' (repair first) or 'busy'. */
  tryLock(): 'locked' | 'owner-died' | 'busy' {
    const m = this.#live();
    let rc: number;
    try {
      rc = native.mutexTryLock(m.sab, OFF_MUTEX);
    } catch (e) {
      throw lockError(this.name, e);
    }
    if (rc === C.EBUSY) return 'busy';
    m.held = true;
    if (rc === 0) return 'locked';
    native.mutexConsistent(m.sab, OFF_MUTEX);
    return 'owner-died';
  }

  unlock(): void {
    const m = this.#m;
    if (m === null) throw detachedError(this.name);
    try {
      native.mutexUnlock(m.sab, OFF_MUTEX);
    } catch (e) {
      throw lockError(this.name, e);
    }
    m.held = false;
  }

  /** 'ok', 'removed' (unlinked / IPC_RMID'd, still mapped here) or 'replaced' (the name is another segment now). */
  state(): SegmentState {
    return this.#live().state();
  }

  stat(): SegmentStat {
    return this.#live().stat();
  }

  /**
   * Claim the server role: one serving process per segment, held with an OFD write
   * lock (dropped by the kernel if the server dies). Throws EBUSY
   * "segment 'x' is already served by pid N" when a live process holds it.
   */
  serverClaim(): void {
    this.#live().serverClaim(this);
  }

  serverRelease(): void {
    this.#live().serverRelease(this);
  }

  /** For a standby: the pid of the live server it would wait for; throws when there is none to wait for. */
  standbyCheck(): { pid: number } {
    return this.#live().standbyCheck();
  }

  /**
   * For a standby: wait up to `timeoutMs` for the server role ('died': call
   * serverTakeOver() now; 'released': the server stopped on purpose; 'timed-out').
   * Blocks the thread: call it with short timeouts between event-loop turns.
   */
  roleWait(timeoutMs: number): RoleWait {
    return this.#live().roleWait(timeoutMs);
  }

  /** After roleWait() === 'died': take the server role. Returns the dead server's pid. */
  serverTakeOver(): number {
    return this.#live().serverTakeOver(this);
  }

  /**
   * Detach this handle. The last handle of the process leaves the attach registry,
   * releases its locks, replaces the mapping with zero pages (a stale access reads
   * zeros instead of crashing) and closes the fd. Further use of the handle throws
   * EDETACHED. Idempotent. Refused (EBUSY) while this process holds the write lock.
   */
  detach(): void {
    const m = this.#m;
    if (m === null) return;
    m.drop(this);
    this.#m = null;
  }
}

function lockError(name: string, e: unknown): Error {
  switch (errCode(e)) {
    case 'EDEADLK':
      return new ShmError('EDEADLK', `the write lock of segment '${name}' is already held by this thread: unlock() before locking again`, e);
    case 'EPERM':
      return new ShmError('EPERM', `unlock() of segment '${name}' by a thread that does not hold its write lock: lock() first`, e);
    case 'ENOTRECOVERABLE':
      return new ShmError(
        'ENOTRECOVERABLE',
        `the write lock of segment '${name}' is unrecoverable (a dead holder's lock was released without being marked consistent): the data may be damaged; restore it from a snapshot into a new segment`,
        e,
      );
    default:
      return e instanceof Error ? e : new Error(String(e));
  }
}

/** Lock types, re-exported for the kind modules. */
export { LOCK_RD, LOCK_WR };

/**
 * Largest reservation accepted: 8 TiB (COMMITTED_4K is a u32 of 4 KiB units, so the
 * header can describe up to 16 TiB; the x86-64 user address space is 128 TiB).
 */
export const MAX_RESERVE = 2 ** 43;

/**
 * Validate a decoded header before mapping it. `where` names the segment for messages
 * (a path or "System V key 0x…"); `fileSize` is what actually exists (touching past it
 * would SIGBUS, so a header that claims more is refused).
 */
export function checkHeader(h: HeaderInfo, o: { name: string; where: string; fileSize: number; kind: number; rm: string }): void {
  if (!h.magicOk) {
    if (h.magic === '\0\0\0\0\0\0\0\0') {
      throw new ShmError(
        'EBADSEG',
        `segment '${o.name}' (${o.where}) was never initialised (its creator died while creating it?): remove it with \`${o.rm} --force\``,
      );
    }
    throw new ShmError(
      'EBADSEG',
      `${o.where} is not a shmkv segment (it starts with ${JSON.stringify(h.magic)}, not "SHMKVSEG"): use another name, or remove it with \`${o.rm} --force\` if it is garbage`,
    );
  }
  if (h.version !== LAYOUT_VERSION_EXPECTED) {
    throw new ShmError(
      'EVERSION',
      `segment '${o.name}' was made by shmkv layout version ${h.version}; this build reads version ${LAYOUT_VERSION_EXPECTED}: remove it with \`${o.rm}\` or use another name`,
    );
  }
  const damaged = (why: string) =>
    new ShmError('EBADSEG', `segment '${o.name}' (${o.where}) has a damaged header (${why}): remove it with \`${o.rm} --force\``);
  if (h.headerBytes !== HEADER_SIZE) throw damaged(`header size ${h.headerBytes}, expected ${HEADER_SIZE}`);
  if (h.kind !== o.kind) throw damaged(`kind ${h.kind}, expected ${o.kind}`);
  if (!(h.reserved >= HEADER_SIZE && h.reserved <= MAX_RESERVE && h.reserved % COMMIT_UNIT === 0)) throw damaged(`reserved size ${h.reserved}`);
  if (h.committed < HEADER_SIZE || h.committed > h.reserved) throw damaged(`committed size ${h.committed}, reserved ${h.reserved}`);
  if (h.committed > o.fileSize) {
    throw new ShmError(
      'EBADSEG',
      `segment '${o.name}' (${o.where}) is truncated: its header says ${h.committed} bytes, only ${o.fileSize} exist; remove it with \`${o.rm} --force\``,
    );
  }
}

/** Wrap a failed mmap/shmat of a segment in a message that says what to do. */
export function mapError(e: unknown, what: string, bytes: number): Error {
  const code = errCode(e) ?? 'EIO';
  if (code === 'ENOMEM' || code === 'EINVAL' || code === 'EOVERFLOW') {
    return new ShmError(
      'ENOMEM',
      `cannot map ${bytes} bytes of ${what} (${code}): the address space or vm.max_map_count is exhausted; detach unused segments or use a smaller reserve`,
      e,
    );
  }
  return new ShmError(code, `cannot map ${what}: ${e instanceof Error ? e.message : String(e)}`, e);
}
