import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chownSync, closeSync, openSync, statSync, truncateSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import {
  HEADER_SIZE,
  PAGE_SIZE,
  createPosixSegment,
  openPosixSegment,
  posixPath,
  removeSegment,
  type Segment,
} from '../../src/shm/index.js';
import { native } from '../../src/shm/native.js';
import { cleanupSegments, uniqueName } from './helpers.js';

after(cleanupSegments);

/** assert.throws matching an error code (and optionally a message fragment). */
function throwsCode(fn: () => unknown, code: string, msg?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    const err = e as { code?: string; message?: string };
    assert.equal(err.code, code, `expected code ${code}, got ${err.code}: ${err.message}`);
    if (msg) assert.match(err.message ?? '', msg);
    return true;
  });
}

describe('POSIX segments: create and open', () => {
  it('creates, then opens by name; exclusive create of an existing name is EEXIST', () => {
    const name = uniqueName();
    const a = createPosixSegment(name, { exclusive: true });
    try {
      assert.equal(a.kind, 'posix');
      assert.equal(a.base, HEADER_SIZE);
      assert.equal(a.committed(), 2 ** 20);
      assert.equal(a.reserved, 64 * 2 ** 30);
      assert.match(a.id, /^[0-9a-f]{16}$/);
      throwsCode(() => createPosixSegment(name, { exclusive: true }), 'EEXIST', /already exists/);
      const b = createPosixSegment(name); // not exclusive: opens it
      assert.equal(b.sab, a.sab);
      b.detach();
    } finally {
      a.detach();
    }
  });

  it('opening a missing segment is ENOENT with a hint', () => {
    throwsCode(() => openPosixSegment(uniqueName()), 'ENOENT', /does not exist.*create/);
  });

  it('rejects bad names', () => {
    throwsCode(() => createPosixSegment('a/b'), 'EINVAL');
    throwsCode(() => createPosixSegment(''), 'EINVAL');
    throwsCode(() => createPosixSegment('x'.repeat(201)), 'EINVAL');
  });

  it('applies the mode exactly (umask does not apply)', () => {
    const n1 = uniqueName();
    const a = createPosixSegment(n1, { exclusive: true });
    const n2 = uniqueName();
    const b = createPosixSegment(n2, { exclusive: true, mode: 0o666 });
    try {
      assert.equal(statSync(posixPath(n1)).mode & 0o777, 0o600);
      assert.equal(a.stat().mode, 0o600);
      assert.equal(statSync(posixPath(n2)).mode & 0o777, 0o666);
    } finally {
      a.detach();
      b.detach();
    }
  });

  it('maps a segment once per process: a second open shares the mapping', () => {
    const name = uniqueName();
    const a = createPosixSegment(name, { exclusive: true });
    const b = openPosixSegment(name);
    assert.equal(a.sab, b.sab);
    assert.equal(a.stat().attached.length, 1, 'one registry slot per process');
    new Int32Array(a.sab, HEADER_SIZE, 1)[0] = 1234;
    a.detach();
    assert.equal(new Int32Array(b.sab, HEADER_SIZE, 1)[0], 1234, 'the other handle still works');
    throwsCode(() => a.committed(), 'EDETACHED');
    const old = b.sab;
    b.detach();
    // The last detach replaced the pages with zeros: a stale access reads 0, never crashes.
    assert.equal(new Int32Array(old, HEADER_SIZE, 1)[0], 0);
    const c = openPosixSegment(name);
    try {
      assert.notEqual(c.sab, old);
      assert.equal(new Int32Array(c.sab, HEADER_SIZE, 1)[0], 1234, 'data survives in the segment');
    } finally {
      c.detach();
    }
  });

  it('a foreign file named shmkv.x is EBADSEG', () => {
    const name = uniqueName();
    writeFileSync(posixPath(name), Buffer.alloc(8192, 'garbage!'));
    throwsCode(() => openPosixSegment(name), 'EBADSEG', /not a shmkv segment/);
    throwsCode(() => createPosixSegment(name), 'EBADSEG', /not a shmkv segment/);
  });

  it('a segment of another layout version is EVERSION with a clear message', () => {
    const name = uniqueName();
    createPosixSegment(name, { exclusive: true }).detach();
    const fd = openSync(posixPath(name), 'r+');
    const v = Buffer.alloc(4);
    v.writeUInt32LE(2);
    writeSync(fd, v, 0, 4, 8);
    closeSync(fd);
    throwsCode(() => openPosixSegment(name), 'EVERSION', /layout version 2; this build reads version 1: remove it with `shmkv rm/);
  });

  it('a truncated file is refused', () => {
    const name = uniqueName();
    writeFileSync(posixPath(name), Buffer.alloc(100, 1));
    throwsCode(() => openPosixSegment(name, { initWaitMs: 20 }), 'EBADSEG', /truncated/);
    const n2 = uniqueName();
    createPosixSegment(n2, { exclusive: true }).detach();
    truncateSync(posixPath(n2), HEADER_SIZE); // header says 1 MiB: touching past EOF would SIGBUS
    throwsCode(() => openPosixSegment(n2), 'EBADSEG', /truncated/);
  });

  it('an empty file (a creator that died before writing) is refused after a short wait', () => {
    const name = uniqueName();
    writeFileSync(posixPath(name), Buffer.alloc(8192));
    throwsCode(() => openPosixSegment(name, { initWaitMs: 20 }), 'EBADSEG', /never initialised/);
  });

  it('create() refuses a name pre-created by another user', { skip: process.getuid?.() !== 0 && 'needs root to chown' }, () => {
    const name = uniqueName();
    writeFileSync(posixPath(name), Buffer.alloc(8192));
    chownSync(posixPath(name), 65534, 65534);
    throwsCode(() => createPosixSegment(name), 'EPERM', /belongs to uid 65534/);
  });
});

describe('POSIX segments: size operations', () => {
  it('grow, punch, reserve, shrink, extend; EFBIG past the reservation', () => {
    const name = uniqueName();
    const s: Segment = createPosixSegment(name, { exclusive: true, reserve: 16 * 2 ** 20 });
    try {
      s.grow(3 * 2 ** 20 + 1);
      assert.equal(s.committed(), 3 * 2 ** 20 + PAGE_SIZE, 'rounded up to a page');
      assert.equal(statSync(posixPath(name)).size, s.committed());
      const off = 2.5 * 2 ** 20;
      const v = new Int32Array(s.sab, off, 1);
      v[0] = 77;
      s.punch(off, PAGE_SIZE);
      assert.equal(v[0], 0, 'punched pages read as zeros');
      s.reserve(off, PAGE_SIZE);
      v[0] = 78;
      assert.equal(v[0], 78);
      native.msync(s.sab, 0, PAGE_SIZE, native.constants.MS_SYNC);
      native.madvise(s.sab, off, PAGE_SIZE, native.constants.MADV_WILLNEED);
      assert.equal(native.fstat(s.fd).size, s.committed());
      s.shrink(2 ** 20);
      assert.equal(s.committed(), 2 ** 20);
      // the tail is punched, not truncated: a reader without the lock that still follows an
      // offset past the new end reads a hole, never SIGBUS (src/keyspace/peek.ts)
      const shrunk = statSync(posixPath(name));
      assert.equal(shrunk.size, 3 * 2 ** 20 + PAGE_SIZE, 'the file keeps its size');
      assert.ok(shrunk.blocks * 512 <= 2 ** 20 + PAGE_SIZE, `the tail's memory is given back (${shrunk.blocks * 512} bytes used)`);
      assert.equal(new Int32Array(s.sab, off, 1)[0], 0, 'past the committed size reads zeros');
      s.extend(8 * 2 ** 20);
      assert.equal(s.committed(), 8 * 2 ** 20);
      const st = statSync(posixPath(name));
      assert.equal(st.size, 8 * 2 ** 20);
      assert.ok(st.blocks * 512 <= 2 * 2 ** 20, `extend() makes a sparse hole (${st.blocks * 512} bytes used)`);
      throwsCode(() => s.grow(17 * 2 ** 20), 'EFBIG');
      throwsCode(() => s.punch(0, PAGE_SIZE), 'EINVAL', /\[4096/);
      throwsCode(() => s.shrink(100), 'EINVAL');
    } finally {
      s.detach();
    }
  });
});

describe('POSIX segments: lock', () => {
  it('lock/unlock, not re-entrant, tryLock and lockTimeout', () => {
    const s = createPosixSegment(uniqueName(), { exclusive: true });
    try {
      assert.equal(s.lock(), false);
      throwsCode(() => s.lock(), 'EDEADLK');
      s.unlock();
      throwsCode(() => s.unlock(), 'EPERM');
      assert.equal(s.tryLock(), 'locked');
      s.unlock();
      assert.equal(s.lockTimeout(10), 'locked');
      s.unlock();
      // Detaching while holding the lock would strand it for ever (robust list in unmapped memory).
      s.lock();
      throwsCode(() => s.detach(), 'EBUSY', /unlock\(\) first/);
      assert.equal(s.detached, false);
      s.unlock();
    } finally {
      s.detach();
    }
  });
});

describe('POSIX segments: unlink and re-create while attached', () => {
  it("unlinked → 'removed'; re-created under the same name → 'replaced'", () => {
    const name = uniqueName();
    const a = createPosixSegment(name, { exclusive: true });
    try {
      assert.equal(a.state(), 'ok');
      unlinkSync(posixPath(name));
      assert.equal(a.state(), 'removed');
      a.grow(2 * 2 ** 20); // still usable
      const b = createPosixSegment(name, { exclusive: true });
      try {
        assert.notEqual(b.sab, a.sab);
        assert.equal(a.state(), 'replaced');
        assert.equal(b.state(), 'ok');
      } finally {
        b.detach();
      }
    } finally {
      a.detach();
    }
  });

  it('removeSegment of a segment nobody is attached to', () => {
    const name = uniqueName();
    createPosixSegment(name, { exclusive: true }).detach();
    const r = removeSegment(name);
    assert.equal(r.kind, 'posix');
    assert.equal(r.forced, false);
    assert.throws(() => statSync(posixPath(name)));
  });
});
