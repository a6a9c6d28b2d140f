import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import {
  HEADER_SIZE,
  createPosixSegment,
  futexWaitAsync,
  futexWait,
  futexWake,
  listSegments,
  posixPath,
  removeSegment,
} from '../../src/shm/index.js';
import { cleanupSegments, uniqueName } from './helpers.js';

after(cleanupSegments);

describe('listSegments / removeSegment', () => {
  it('lists our segments with their attachments, and foreign files as foreign', () => {
    const name = uniqueName();
    const s = createPosixSegment(name, { exclusive: true, mode: 0o640 });
    const junk = uniqueName();
    writeFileSync(posixPath(junk), 'not a segment at all');
    const gone = uniqueName();
    createPosixSegment(gone, { exclusive: true }).detach();
    try {
      const all = listSegments();
      const mine = all.find((x) => x.name === name);
      assert.ok(mine);
      assert.equal(mine.kind, 'posix');
      assert.equal(mine.state, 'ok');
      assert.equal(mine.mode, 0o640);
      assert.equal(mine.size, s.committed());
      assert.equal(mine.id, s.id);
      assert.deepEqual(mine.attached.map((a) => a.pid), [process.pid]);
      const foreign = all.find((x) => x.name === junk);
      assert.ok(foreign);
      assert.equal(foreign.state, 'foreign');
      assert.match(foreign.problem ?? '', /truncated/);
      const idle = all.find((x) => x.name === gone);
      assert.ok(idle);
      assert.equal(idle.attached.length, 0, 'a detached segment has no attachments');
      assert.equal(idle.state, 'ok');
    } finally {
      s.detach();
    }
  });

  it('removeSegment: EBUSY while we are attached, force works, foreign needs force, missing is ENOENT', () => {
    const name = uniqueName();
    const s = createPosixSegment(name, { exclusive: true });
    assert.throws(() => removeSegment(name), (e: { code?: string }) => e.code === 'EBUSY');
    const r = removeSegment(name, { force: true });
    assert.equal(r.forced, true);
    assert.deepEqual(r.attached, [process.pid]);
    assert.equal(s.state(), 'removed');
    s.detach();

    const junk = uniqueName();
    writeFileSync(posixPath(junk), Buffer.alloc(8192, 7));
    assert.throws(() => removeSegment(junk), (e: { code?: string }) => e.code === 'EBADSEG');
    assert.equal(removeSegment(junk, { force: true }).forced, true);

    assert.throws(() => removeSegment(uniqueName()), (e: { code?: string; message?: string }) => e.code === 'ENOENT' && /nothing to remove/.test(e.message ?? ''));
  });
});

describe('futex helpers', () => {
  it('futexWait returns not-equal / timed-out', () => {
    const s = createPosixSegment(uniqueName(), { exclusive: true });
    try {
      const i32 = new Int32Array(s.sab, HEADER_SIZE, 16);
      assert.equal(futexWait(i32, 0, 1, 0), 'not-equal');
      assert.equal(futexWait(i32, 0, 0, 5), 'timed-out');
      assert.equal(futexWake(i32, 0, 10), 0);
    } finally {
      s.detach();
    }
  });

  it('futexWaitAsync waits on a worker thread while the event loop runs', async () => {
    const s = createPosixSegment(uniqueName(), { exclusive: true });
    try {
      const i32 = new Int32Array(s.sab, HEADER_SIZE, 16);
      const p = futexWaitAsync(i32, 3, 0, 5000);
      let woke = 0;
      // Wake until the waiter (on its own thread) has gone to sleep and been woken.
      for (let i = 0; i < 200 && woke === 0; i++) {
        await new Promise((r) => setTimeout(r, 10));
        woke = futexWake(i32, 3, 1);
      }
      assert.equal(woke, 1);
      assert.equal(await p, 'ok');
      Atomics.store(i32, 3, 9);
      assert.equal(await futexWaitAsync(i32, 3, 0, 1000), 'not-equal');
    } finally {
      s.detach();
    }
  });
});
