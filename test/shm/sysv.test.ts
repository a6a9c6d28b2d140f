import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import {
  HEADER_SIZE,
  PAGE_SIZE,
  createSysvSegment,
  listSegments,
  openSysvSegment,
  removeSegment,
  sysvKey,
} from '../../src/shm/index.js';
import { native } from '../../src/shm/native.js';
import { sysvLockPath } from '../../src/shm/sysv.js';
import { Child, cleanupSegments, killAll, uniqueName } from './helpers.js';

const children: Child[] = [];
after(async () => {
  await killAll(children);
  cleanupSegments();
});

function shmidExists(shmid: number): boolean {
  return readFileSync('/proc/sysvipc/shm', 'utf8')
    .split('\n')
    .slice(1)
    .some((l) => Number(l.trim().split(/\s+/)[1]) === shmid);
}

function codeIs(code: string, msg?: RegExp) {
  return (e: { code?: string; message?: string }) => {
    assert.equal(e.code, code, e.message);
    if (msg) assert.match(e.message ?? '', msg);
    return true;
  };
}

describe('System V segments', () => {
  it('the addon ftok() packs the project id into the top byte', () => {
    assert.equal(native.ftok('/dev/shm', 0x53) >>> 24, 0x53);
    assert.throws(() => native.ftok('/nonexistent-shmkv', 1), codeIs('ENOENT', /ftok \/nonexistent-shmkv: ENOENT/));
  });

  it('key derivation is stable, ftok-shaped and name-dependent', () => {
    assert.equal(sysvKey('abc'), sysvKey('abc'));
    assert.equal(sysvKey('abc') >>> 24, 0x53, 'project byte in the top 8 bits, like ftok');
    assert.notEqual(sysvKey('abc'), sysvKey('abd'));
    // Pinned values: the key must never change between versions.
    assert.equal(sysvKey('abc'), 0x5347e911 | 0);
    assert.equal(sysvKey('default'), 0x533b5b4d | 0);
  });

  it('create / exclusive / open, fixed size, stat with kernel nattch', async () => {
    const name = uniqueName('sysv');
    const s = createSysvSegment(name, { size: 256 * 1024, exclusive: true });
    try {
      assert.equal(s.kind, 'sysv');
      assert.equal(s.reserved, 256 * 1024);
      assert.equal(s.committed(), 256 * 1024);
      assert.throws(() => createSysvSegment(name, { exclusive: true }), codeIs('EEXIST'));
      const again = openSysvSegment(name);
      assert.equal(again.sab, s.sab);
      again.detach();
      const st = s.stat();
      assert.equal(st.key, sysvKey(name));
      assert.equal(st.mode, 0o600);
      assert.equal(st.nattch, 1);
      assert.equal(st.state, 'ok');

      const c = new Child(`
const s = shm.openSysvSegment(${JSON.stringify(name)});
const i32 = new Int32Array(s.sab, 0, s.reserved / 4);
out('ready ' + Atomics.load(i32, ${HEADER_SIZE / 4}));
Atomics.store(i32, ${HEADER_SIZE / 4 + 1}, 31);
out('stored');
await next();
`);
      children.push(c);
      const i32 = new Int32Array(s.sab, 0, s.reserved / 4);
      Atomics.store(i32, HEADER_SIZE / 4, 17);
      assert.equal(await c.line(), 'ready 17');
      await c.expect('stored');
      assert.equal(Atomics.load(i32, HEADER_SIZE / 4 + 1), 31);
      const st2 = s.stat();
      assert.equal(st2.nattch, 2);
      assert.deepEqual(st2.attached.map((a) => a.pid).sort(), [process.pid, c.pid].sort());
      await c.kill('SIGKILL');
      assert.equal(s.stat().nattch, 1);
      assert.deepEqual(s.stat().attached.map((a) => a.pid), [process.pid]);

      assert.throws(() => s.grow(s.reserved + PAGE_SIZE), codeIs('EFBIG', /fixed size/));
      // punch frees pages: they read as zeros (MADV_REMOVE, not DONTNEED).
      Atomics.store(i32, (HEADER_SIZE + PAGE_SIZE) / 4, 5);
      s.punch(HEADER_SIZE + PAGE_SIZE, PAGE_SIZE);
      assert.equal(Atomics.load(i32, (HEADER_SIZE + PAGE_SIZE) / 4), 0);
      assert.equal(s.lock(), false);
      s.unlock();
      // IPC_SET changes the permission bits.
      native.shmctl(s.stat().shmid!, 'IPC_SET', { mode: 0o640 });
      assert.equal(s.stat().mode, 0o640);
    } finally {
      s.detach();
    }
  });

  it("remove while attached: refused without force, 'removed' (dest) with it, gone after the last detach", () => {
    const name = uniqueName('sysv');
    const s = createSysvSegment(name, { exclusive: true });
    const shmid = s.stat().shmid!;
    const lockPath = sysvLockPath(s.id);
    assert.ok(existsSync(lockPath));
    assert.throws(() => removeSegment(name, { kind: 'sysv' }), codeIs('EBUSY', new RegExp(`attached by pids ${process.pid}; use --force`)));
    const r = removeSegment(name, { kind: 'sysv', force: true });
    assert.equal(r.pending, true);
    assert.equal(native.shmctl(shmid, 'IPC_STAT').dest, true);
    assert.equal(s.state(), 'removed');
    assert.equal(listSegments({ kind: 'sysv' }).find((x) => x.shmid === shmid)?.state, 'removed');
    s.detach();
    assert.equal(shmidExists(shmid), false, 'destroyed at nattch 0');
    assert.equal(existsSync(lockPath), false, 'lock file removed by the last detach');
  });

  it("removed and re-created under the same key → the old opener sees 'replaced'", () => {
    const name = uniqueName('sysv');
    const a = createSysvSegment(name, { exclusive: true });
    try {
      removeSegment(name, { kind: 'sysv', force: true });
      const b = createSysvSegment(name, { exclusive: true });
      try {
        assert.equal(a.state(), 'replaced');
        assert.equal(b.state(), 'ok');
      } finally {
        b.detach();
      }
    } finally {
      a.detach();
    }
  });

  it('explicit numeric keys; listSegments finds them by their header', () => {
    const key = (0x53000000 | (process.pid & 0xffff) << 4 | 7) | 0;
    try {
      removeSegment(key, { force: true });
    } catch {
      // not there
    }
    const s = createSysvSegment(key, { exclusive: true, mode: 0o640 });
    try {
      assert.equal(s.name, '0x' + (key >>> 0).toString(16).padStart(8, '0'));
      const listed = listSegments({ kind: 'sysv' }).find((x) => x.key === key);
      assert.ok(listed);
      assert.equal(listed.mode, 0o640);
      assert.equal(listed.attached.length, 1);
    } finally {
      s.detach();
      removeSegment(key, { force: true });
    }
  });

  it('a System V segment that is not ours is left out of listSegments', () => {
    const key = (0x12000000 | (process.pid & 0xffff)) | 0;
    const id = native.shmget(key, 8192, native.constants.IPC_CREAT | 0o600);
    try {
      assert.equal(listSegments({ kind: 'sysv' }).some((x) => x.shmid === id), false);
      assert.throws(() => openSysvSegment(key, { initWaitMs: 20 }), codeIs('EBADSEG'));
    } finally {
      native.shmctl(id, 'IPC_RMID');
    }
  });
});
