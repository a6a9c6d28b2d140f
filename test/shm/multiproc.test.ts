import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HEADER_SIZE, createPosixSegment, futexWake, listSegments, openPosixSegment, removeSegment } from '../../src/shm/index.js';
import { Child, cleanupSegments, killAll, uniqueName } from './helpers.js';

const children: Child[] = [];
after(async () => {
  await killAll(children);
  cleanupSegments();
});

function child(body: string): Child {
  const c = new Child(body);
  children.push(c);
  return c;
}

/** Child that opens `name` and serves simple commands. */
function opener(name: string): Child {
  return child(`
const s = shm.openPosixSegment(${JSON.stringify(name)});
const i32 = new Int32Array(s.sab, 0, 2 ** 26);
out('ready ' + s.committed());
for (;;) {
  const cmd = (await next()).split(' ');
  if (cmd[0] === 'load') out('value ' + Atomics.load(i32, Number(cmd[1]) / 4));
  else if (cmd[0] === 'store') { Atomics.store(i32, Number(cmd[1]) / 4, Number(cmd[2])); out('stored'); }
  else if (cmd[0] === 'committed') out('committed ' + s.committed());
  else if (cmd[0] === 'lock') { out('lock ' + s.lock()); }
  else if (cmd[0] === 'unlock') { s.unlock(); out('unlocked'); }
  else if (cmd[0] === 'detach') { s.detach(); out('detached'); }
  else if (cmd[0] === 'exit') process.exit(0);
}
`);
}

describe('POSIX segments across processes', () => {
  it('opening a segment while another process grows and shrinks it never reports it truncated', async () => {
    const name = uniqueName();
    const s = createPosixSegment(name, { exclusive: true, reserve: 2 ** 30 });
    try {
      // the child resizes between 1 MiB and 9 MiB as fast as it can, until told to stop
      const c = child(`
const s = shm.openPosixSegment(${JSON.stringify(name)});
let stop = false;
next().then(() => { stop = true; });
out('ready');
let i = 0;
for (; !stop; i++) {
  s.grow(2 ** 20 + ((i % 8) + 1) * 2 ** 20);
  s.shrink(2 ** 20);
  if ((i & 63) === 63) await new Promise((r) => setImmediate(r));
}
out('stopped ' + i);
`);
      await c.expect('ready');
      s.detach(); // this process maps it afresh on every open below
      const until = Date.now() + 1000;
      let opens = 0;
      while (Date.now() < until) {
        openPosixSegment(name).detach();
        opens++;
      }
      c.send('stop');
      const resizes = Number((await c.expect('stopped')).split(' ')[1]);
      assert.ok(opens > 100 && resizes > 100, `${opens} opens during ${resizes} resizes`);
    } finally {
      removeSegment(name, { force: true });
    }
  });

  it('writes through Atomics are seen both ways; the registry lists both pids until the child is SIGKILLed', async () => {
    const name = uniqueName();
    const s = createPosixSegment(name, { exclusive: true });
    try {
      const i32 = new Int32Array(s.sab, 0, 2 ** 26);
      const off = HEADER_SIZE + 64;
      Atomics.store(i32, off / 4, 4242);
      const c = opener(name);
      await c.expect('ready');
      c.send(`load ${off}`);
      assert.equal(await c.line(), 'value 4242');
      c.send(`store ${off + 4} 777`);
      await c.expect('stored');
      assert.equal(Atomics.load(i32, (off + 4) / 4), 777);

      const pids = s.stat().attached.map((a) => a.pid).sort();
      assert.deepEqual(pids, [process.pid, c.pid].sort());
      const listed = listSegments({ kind: 'posix' }).find((x) => x.name === name);
      assert.ok(listed, 'listSegments shows it');
      assert.equal(listed.attached.length, 2);

      await c.kill('SIGKILL');
      assert.deepEqual(s.stat().attached.map((a) => a.pid), [process.pid], 'the dead child is no longer listed');
    } finally {
      s.detach();
    }
  });

  it('a child sees pages the parent grows, without remapping', async () => {
    const name = uniqueName();
    const s = createPosixSegment(name, { exclusive: true, initialSize: 2 ** 20 });
    try {
      const c = opener(name);
      assert.equal(await c.line(), `ready ${2 ** 20}`);
      s.grow(64 * 2 ** 20);
      const off = 60 * 2 ** 20;
      Atomics.store(new Int32Array(s.sab, 0, 2 ** 26), off / 4, 99);
      c.send('committed');
      assert.equal(await c.line(), `committed ${64 * 2 ** 20}`);
      c.send(`load ${off}`);
      assert.equal(await c.line(), 'value 99');
      c.send(`store ${off + 8} 5`);
      await c.expect('stored');
      assert.equal(Atomics.load(new Int32Array(s.sab, 0, 2 ** 26), (off + 8) / 4), 5);
      c.send('exit');
      await c.exited;
    } finally {
      s.detach();
    }
  });

  it('the lock of a SIGKILLed holder is recovered: lock() returns true within 1 s', async () => {
    const name = uniqueName();
    const s = createPosixSegment(name, { exclusive: true });
    try {
      const c = opener(name);
      await c.expect('ready');
      c.send('lock');
      assert.equal(await c.line(), 'lock false');
      assert.equal(s.tryLock(), 'busy');
      await c.kill('SIGKILL');
      const t0 = Date.now();
      const r = s.lockTimeout(1000);
      assert.equal(r, 'owner-died', 'the caller is told to repair');
      assert.ok(Date.now() - t0 < 1000);
      s.unlock();
      assert.equal(s.lock(), false, 'consistent again: the next lock is normal');
      s.unlock();
    } finally {
      s.detach();
    }
  });

  it('lock() itself reports the dead owner (true), then the lock works normally', async () => {
    const name = uniqueName();
    const s = createPosixSegment(name, { exclusive: true });
    try {
      const c = opener(name);
      await c.expect('ready');
      c.send('lock');
      await c.expect('lock false');
      await c.kill('SIGKILL');
      assert.equal(s.lock(), true);
      s.unlock();
      assert.equal(s.lock(), false);
      s.unlock();
    } finally {
      s.detach();
    }
  });

  it('two processes incrementing a plain counter under the lock lose nothing', async () => {
    const name = uniqueName();
    const s = createPosixSegment(name, { exclusive: true });
    const N = 100_000;
    const off = HEADER_SIZE + 128;
    try {
      const c = child(`
const s = shm.openPosixSegment(${JSON.stringify(name)});
const dv = new DataView(s.sab);
out('ready');
await next();
for (let i = 0; i < ${N}; i++) { s.lock(); dv.setUint32(${off}, dv.getUint32(${off}, true) + 1, true); s.unlock(); }
out('done');
`);
      await c.expect('ready');
      const dv = new DataView(s.sab);
      c.send('go');
      for (let i = 0; i < N; i++) {
        s.lock();
        dv.setUint32(off, dv.getUint32(off, true) + 1, true);
        s.unlock();
      }
      await c.expect('done', 30_000);
      assert.equal(dv.getUint32(off, true), 2 * N);
    } finally {
      s.detach();
    }
  });

  it('removeSegment refuses while a live child is attached, and not once it died', async () => {
    const name = uniqueName();
    createPosixSegment(name, { exclusive: true }).detach();
    const c = opener(name);
    await c.expect('ready');
    assert.throws(
      () => removeSegment(name),
      (e: { code?: string; message?: string }) => e.code === 'EBUSY' && new RegExp(`attached by pids ${c.pid}; use --force`).test(e.message ?? ''),
    );
    await c.kill('SIGKILL');
    const r = removeSegment(name);
    assert.equal(r.forced, false);
  });

  it('the server role: one live server per segment, freed when it dies', async () => {
    const name = uniqueName();
    const s = createPosixSegment(name, { exclusive: true });
    try {
      const c = child(`
const s = shm.openPosixSegment(${JSON.stringify(name)});
s.serverClaim();
out('serving');
await next();
`);
      await c.expect('serving');
      assert.throws(
        () => s.serverClaim(),
        (e: { code?: string; message?: string }) => e.code === 'EBUSY' && e.message === `segment '${name}' is already served by pid ${c.pid}: stop that server first or use another segment`,
      );
      assert.equal(s.stat().server?.pid, c.pid);
      await c.kill('SIGKILL');
      assert.equal(s.stat().server, null);
      s.serverClaim();
      assert.equal(s.stat().server?.pid, process.pid);
      s.serverRelease();
      assert.equal(s.stat().server, null);
    } finally {
      s.detach();
    }
  });

  it('futex: a child blocked in futexWait is woken by the parent', async () => {
    const name = uniqueName();
    const s = createPosixSegment(name, { exclusive: true });
    const off = HEADER_SIZE + 256;
    try {
      const c = child(`
const s = shm.openPosixSegment(${JSON.stringify(name)});
const i32 = new Int32Array(s.sab, 0, 2 ** 26);
out('waiting');
out('result ' + shm.futexWait(i32, ${off / 4}, 0, 5000) + ' ' + Atomics.load(i32, ${off / 4}));
`);
      await c.expect('waiting');
      await new Promise((r) => setTimeout(r, 50));
      const i32 = new Int32Array(s.sab, 0, 2 ** 26);
      Atomics.store(i32, off / 4, 1);
      futexWake(i32, off / 4, 1);
      const l = await c.line();
      assert.ok(l === 'result ok 1' || l === 'result not-equal 1', l);
    } finally {
      s.detach();
    }
  });
});
