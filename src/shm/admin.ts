/**
 * Tools in the spirit of ipcs / ipcrm for shmkv segments: list every segment with its
 * live attachments, and remove one (refusing while live processes are attached).
 * They read headers without attaching where they can (pread for POSIX files, a
 * read-only attach that is dropped at once for System V), and never throw for a
 * single unreadable or foreign entry: it is listed with that state instead.
 */
import { readFileSync, readSync, readdirSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { join, resolve } from 'node:path';
import { ShmError, errCode, errMessage } from './errors.js';
import { HEADER_SIZE, LAYOUT_VERSION, decodeHeader, type HeaderInfo } from './header.js';
import { C, LOCK_WR, native } from './native.js';
import { DEFAULT_DIR, POSIX_PREFIX, posixPath, unlinkPosix } from './posix.js';
import { liveServer, liveSlots, registry, validateName, type SegmentKind, type SegmentStat } from './segment.js';
import { SYSV_LOCK_PREFIX, SYSV_PROJ, keyHex, resolveNameKey, sysvLockPath } from './sysv.js';

export interface ListOptions {
  /** Directory of POSIX segments. Default '/dev/shm'. */
  dir?: string;
  /** Which kinds to list. Default both. */
  kind?: SegmentKind;
}

/** Read the header of an open file without mapping it. */
function preadHeader(fd: number): Uint8Array {
  const b = Buffer.alloc(HEADER_SIZE);
  readSync(fd, b, 0, HEADER_SIZE, 0);
  return b;
}

function blank(name: string, kind: SegmentKind, state: SegmentStat['state'], problem: string): SegmentStat {
  return { name, kind, id: '', uid: -1, gid: -1, mode: 0, size: 0, reserved: 0, attached: [], nattch: 0, createdAt: 0, state, server: null, problem };
}

function posixFromStats(name: string, path: string, st: Stats, state: SegmentStat['state'], problem: string): SegmentStat {
  return { ...blank(name, 'posix', state, problem), path, uid: st.uid, gid: st.gid, mode: st.mode & 0o777, size: st.size, createdAt: st.birthtimeMs || st.ctimeMs };
}

/** Stat of one POSIX segment file, never throwing for a bad one. */
function statPosixFile(name: string, dir: string): SegmentStat | null {
  const path = posixPath(name, dir);
  const st = statSync(path, { throwIfNoEntry: false });
  if (st === undefined) return null;
  const m = registry.get(`posix:${st.dev}:${st.ino}`);
  if (m !== undefined) return m.stat();
  if (!st.isFile()) return posixFromStats(name, path, st, 'foreign', 'not a regular file');
  let fd: number;
  try {
    fd = native.openFile(path, C.O_RDONLY, 0);
  } catch (e) {
    return posixFromStats(name, path, st, 'unreadable', errMessage(e));
  }
  try {
    const fst = native.fstat(fd);
    if (fst.size < HEADER_SIZE) return posixFromStats(name, path, st, 'foreign', `truncated: ${fst.size} bytes`);
    const h = decodeHeader(preadHeader(fd));
    if (!h.magicOk) {
      const why = h.magic === '\0'.repeat(8) ? 'not initialised (being created, or its creator died)' : `not a shmkv segment (starts with ${JSON.stringify(h.magic)})`;
      return posixFromStats(name, path, st, 'foreign', why);
    }
    if (h.version !== LAYOUT_VERSION) return posixFromStats(name, path, st, 'foreign', `layout version ${h.version}, this build reads ${LAYOUT_VERSION}`);
    const attached = liveSlots(h, fd);
    return {
      name,
      kind: 'posix',
      id: h.id,
      path,
      uid: fst.uid,
      gid: fst.gid,
      mode: fst.mode & 0o777,
      size: h.committed,
      reserved: h.reserved,
      attached,
      nattch: attached.length,
      createdAt: h.createdAt,
      state: 'ok',
      server: liveServer(h, fd),
    };
  } catch (e) {
    return posixFromStats(name, path, st, 'unreadable', errMessage(e));
  } finally {
    native.close(fd);
  }
}

interface ProcShm {
  key: number;
  shmid: number;
  mode: number;
  size: number;
  nattch: number;
  uid: number;
  gid: number;
}

/** /proc/sysvipc/shm: "key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime rss swap". */
function procSysvShm(): ProcShm[] {
  let text: string;
  try {
    text = readFileSync('/proc/sysvipc/shm', 'utf8');
  } catch {
    return [];
  }
  const out: ProcShm[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 9) continue;
    out.push({
      key: Number(f[0]) | 0,
      shmid: Number(f[1]),
      mode: parseInt(f[2] ?? '0', 8) & 0o777,
      size: Number(f[3]),
      nattch: Number(f[6]),
      uid: Number(f[7]),
      gid: Number(f[8]),
    });
  }
  return out;
}

/** Peek at a System V segment's header (read-only attach, detached at once). */
function peekSysv(shmid: number): HeaderInfo {
  const sab = native.shmat(shmid, true);
  try {
    return decodeHeader(new Uint8Array(sab, 0, HEADER_SIZE).slice());
  } finally {
    native.shmdt(sab);
  }
}

/** Live attachments of a System V header, through its lock file when it has one. */
function sysvLive(h: HeaderInfo): { attached: SegmentStat['attached']; server: SegmentStat['server'] } {
  let fd = -1;
  try {
    fd = native.openFile(sysvLockPath(h.id), C.O_RDONLY, 0);
  } catch {
    // no lock file: fall back to kill(pid, 0)
  }
  try {
    return { attached: liveSlots(h, fd), server: liveServer(h, fd) };
  } finally {
    if (fd >= 0) native.close(fd);
  }
}

function sysvState(shmid: number, key: number, dest: boolean): SegmentStat['state'] {
  if (!dest) return 'ok';
  try {
    return native.shmget(key, 0, 0) !== shmid ? 'replaced' : 'removed';
  } catch {
    return 'removed';
  }
}

function statSysv(p: ProcShm): SegmentStat | null {
  const m = registry.get(`sysv:${p.shmid}`);
  if (m !== undefined) return m.stat();
  if (p.size < HEADER_SIZE) return null;
  let h: HeaderInfo;
  try {
    h = peekSysv(p.shmid);
  } catch (e) {
    // Ours only if the key says so; other programs' segments are none of our business.
    if ((p.key >>> 24) === SYSV_PROJ && (errCode(e) === 'EACCES' || errCode(e) === 'EPERM')) {
      return { ...blank(keyHex(p.key), 'sysv', 'unreadable', errMessage(e)), key: p.key, shmid: p.shmid, uid: p.uid, gid: p.gid, mode: p.mode, size: p.size, nattch: p.nattch };
    }
    return null;
  }
  if (!h.magicOk) return null;
  const name = h.name || keyHex(p.key);
  let ds;
  try {
    ds = native.shmctl(p.shmid, 'IPC_STAT');
  } catch {
    return null; // gone meanwhile
  }
  if (h.version !== LAYOUT_VERSION) {
    return { ...blank(name, 'sysv', 'foreign', `layout version ${h.version}, this build reads ${LAYOUT_VERSION}`), key: h.sysvKey, shmid: p.shmid, uid: ds.uid, gid: ds.gid, mode: ds.mode, size: ds.size, nattch: ds.nattch };
  }
  const live = sysvLive(h);
  return {
    name,
    kind: 'sysv',
    id: h.id,
    key: h.sysvKey,
    shmid: p.shmid,
    uid: ds.uid,
    gid: ds.gid,
    mode: ds.mode,
    size: h.committed,
    reserved: h.reserved,
    attached: live.attached,
    nattch: ds.nattch,
    createdAt: h.createdAt,
    state: sysvState(p.shmid, h.sysvKey, ds.dest),
    server: live.server,
  };
}

/** Delete lock files of System V segments that no longer exist (older than a minute, unlocked). */
function pruneSysvLockFiles(liveIds: Set<string>): void {
  let names: string[];
  try {
    names = readdirSync(DEFAULT_DIR);
  } catch {
    return;
  }
  for (const f of names) {
    if (!f.startsWith(SYSV_LOCK_PREFIX) || !f.endsWith('.lock')) continue;
    const id = f.slice(SYSV_LOCK_PREFIX.length, -'.lock'.length);
    if (liveIds.has(id)) continue;
    const path = join(DEFAULT_DIR, f);
    try {
      const st = statSync(path);
      // A creator makes its lock file just before publishing the segment: leave young ones.
      if (Date.now() - st.mtimeMs < 60_000) continue;
      const fd = native.openFile(path, C.O_RDONLY, 0);
      try {
        if (native.ofdTest(fd, 0, 0, LOCK_WR)) continue;
      } finally {
        native.close(fd);
      }
      unlinkSync(path);
    } catch {
      // not ours to delete, or gone
    }
  }
}

/**
 * Stat of every shmkv segment: POSIX files <dir>/shmkv.*, System V segments from
 * /proc/sysvipc/shm whose first 8 bytes read "SHMKVSEG". Foreign or unreadable
 * entries are listed with state 'foreign' / 'unreadable' and a `problem`.
 */
export function listSegments(opts: ListOptions = {}): SegmentStat[] {
  const out: SegmentStat[] = [];
  if (opts.kind !== 'sysv') {
    const dir = resolve(opts.dir ?? DEFAULT_DIR);
    let files: string[] = [];
    try {
      files = readdirSync(dir);
    } catch {
      // no such directory: nothing to list
    }
    for (const f of files.sort()) {
      if (!f.startsWith(POSIX_PREFIX)) continue;
      const name = f.slice(POSIX_PREFIX.length);
      try {
        const s = statPosixFile(name, dir);
        if (s !== null) out.push(s);
      } catch (e) {
        out.push({ ...blank(name, 'posix', 'unreadable', errMessage(e)), path: join(dir, f) });
      }
    }
  }
  if (opts.kind !== 'posix') {
    const ids = new Set<string>();
    for (const p of procSysvShm()) {
      try {
        const s = statSysv(p);
        if (s !== null) {
          out.push(s);
          if (s.id !== '') ids.add(s.id);
        }
      } catch (e) {
        if ((p.key >>> 24) === SYSV_PROJ) out.push({ ...blank(keyHex(p.key), 'sysv', 'unreadable', errMessage(e)), key: p.key, shmid: p.shmid });
      }
    }
    pruneSysvLockFiles(ids);
  }
  return out;
}

export interface RemoveOptions {
  /** Remove even while live processes are attached (they keep their mapping: state 'removed'). */
  force?: boolean;
  /** Which kind; default: POSIX if such a file exists, else System V. */
  kind?: SegmentKind;
  /** Directory of POSIX segments. Default '/dev/shm'. */
  dir?: string;
}

export interface RemoveResult {
  name: string;
  kind: SegmentKind;
  path?: string;
  key?: number;
  shmid?: number;
  /** Live attached pids found (System V: plus `nattch` for attachments without a slot). */
  attached: number[];
  nattch: number;
  /** True when `force` was needed (live attachments, or not a valid shmkv segment). */
  forced: boolean;
  /** System V: marked for removal, destroyed when the last process detaches. */
  pending: boolean;
}

function busy(name: string, pids: number[], nattch: number): ShmError {
  const who = pids.length > 0 ? `pids ${pids.join(', ')}` : `${nattch} process${nattch === 1 ? '' : 'es'}`;
  return new ShmError('EBUSY', `segment '${name}' is attached by ${who}; use --force (force: true) to remove it anyway`);
}

function removePosix(name: string, dir: string, force: boolean): RemoveResult | null {
  const path = posixPath(name, dir);
  let fd: number;
  try {
    fd = native.openFile(path, C.O_RDONLY, 0);
  } catch (e) {
    if (errCode(e) === 'ENOENT') return null;
    if (!force) throw new ShmError(errCode(e) ?? 'EIO', `cannot read segment '${name}' (${path}) to check who is attached (${errMessage(e)}): use --force to remove it anyway`, e);
    unlinkPosix(name, dir);
    return { name, kind: 'posix', path, attached: [], nattch: 0, forced: true, pending: false };
  }
  let forced = false;
  let pids: number[] = [];
  try {
    const st = native.fstat(fd);
    const h = st.size >= HEADER_SIZE ? decodeHeader(preadHeader(fd)) : null;
    if (h === null || !h.magicOk) {
      if (!force) {
        throw new ShmError('EBADSEG', `${path} is not a valid shmkv segment (${h === null ? 'truncated' : 'bad magic'}): use --force to remove it anyway`);
      }
      forced = true;
    } else if (h.version === LAYOUT_VERSION) {
      // (Another layout version: its registry may differ, we cannot check it; remove.)
      pids = liveSlots(h, fd).map((a) => a.pid);
      if (pids.length > 0) {
        if (!force) throw busy(name, pids, pids.length);
        forced = true;
      }
    }
  } finally {
    native.close(fd);
  }
  try {
    unlinkPosix(name, dir);
  } catch (e) {
    if (errCode(e) === 'ENOENT') return null;
    throw new ShmError(errCode(e) ?? 'EIO', `cannot remove segment '${name}' (${path}): ${errMessage(e)}; only its owner (or root) can`, e);
  }
  return { name, kind: 'posix', path, attached: pids, nattch: pids.length, forced, pending: false };
}

function removeSysv(name: string, key: number, force: boolean): RemoveResult | null {
  let shmid: number;
  try {
    shmid = native.shmget(key, 0, 0);
  } catch (e) {
    if (errCode(e) === 'ENOENT') return null;
    throw new ShmError(errCode(e) ?? 'EIO', `cannot look up System V segment '${name}' (key ${keyHex(key)}): ${errMessage(e)}`, e);
  }
  let forced = false;
  let h: HeaderInfo | null = null;
  try {
    h = peekSysv(shmid);
  } catch (e) {
    if (!force) throw new ShmError(errCode(e) ?? 'EIO', `cannot read System V segment '${name}' (key ${keyHex(key)}) to check who is attached (${errMessage(e)}): use --force to remove it anyway`, e);
    forced = true;
  }
  if (h !== null && !h.magicOk) {
    if (!force) throw new ShmError('EBADSEG', `System V key ${keyHex(key)} (shmid ${shmid}) is not a shmkv segment: use --force to remove it anyway`);
    forced = true;
  }
  const ds = native.shmctl(shmid, 'IPC_STAT');
  const pids = h !== null && h.magicOk ? sysvLive(h).attached.map((a) => a.pid) : [];
  if (pids.length > 0 || ds.nattch > 0) {
    if (!force) throw busy(name, pids, ds.nattch);
    forced = true;
  }
  try {
    native.shmctl(shmid, 'IPC_RMID');
  } catch (e) {
    throw new ShmError(errCode(e) ?? 'EIO', `cannot remove System V segment '${name}' (shmid ${shmid}): ${errMessage(e)}; only its owner (or root) can`, e);
  }
  if (ds.nattch === 0 && h !== null && h.magicOk) {
    try {
      unlinkSync(sysvLockPath(h.id));
    } catch {
      // none
    }
  }
  return { name, kind: 'sysv', key, shmid, attached: pids, nattch: ds.nattch, forced, pending: ds.nattch > 0 };
}

/**
 * Remove a segment: POSIX shm_unlink / System V IPC_RMID. Refuses with EBUSY
 * ("segment 'x' is attached by pids 123, 456; use --force") while live processes are
 * attached, unless `force`. Attached processes keep working on their mapping (their
 * state() says 'removed'); the memory is freed when the last one lets go.
 * `nameOrKey` may be a System V key number.
 */
export function removeSegment(nameOrKey: string | number, opts: RemoveOptions = {}): RemoveResult {
  const force = opts.force === true;
  if (typeof nameOrKey === 'number' || opts.kind === 'sysv') {
    const { name, key } = resolveNameKey(nameOrKey);
    const r = removeSysv(name, key, force);
    if (r === null) throw new ShmError('ENOENT', `no System V segment '${name}' (key ${keyHex(key)}): nothing to remove (list them with \`shmkv ls\`)`);
    return r;
  }
  const name = validateName(nameOrKey);
  const dir = resolve(opts.dir ?? DEFAULT_DIR);
  const r = removePosix(name, dir, force) ?? (opts.kind === 'posix' ? null : removeSysv(name, resolveNameKey(name).key, force));
  if (r === null) throw new ShmError('ENOENT', `no segment named '${name}': nothing to remove (list them with \`shmkv ls\`)`);
  return r;
}
