/**
 * The server role's mutex (header ROLE_MUTEX): what a standby waits on. A death hands it
 * over ('died', and serverTakeOver names the dead pid), a release does not ('released'),
 * a live server keeps it ('timed-out'); a segment of an older build (the mutex never
 * initialised) gets it initialised by the first process that needs it.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPosixSegment } from '../../src/shm/index.js';
import { Child, cleanupSegments, killAll, uniqueName } from './helpers.js';

const children: Child[] = [];
after(async () => {
  await killAll(children);
  cleanupSegments();
});

/** A child that opens `name` and claims the server role, then waits for a command line. */
function serverChild(name: string): Child {
  const c = new Child(`
    const seg = shm.openPosixSegment(${JSON.stringify(name)});
    seg.serverClaim();
    out('claimed');
    const cmd = await next();
    if (cmd === 'release') { seg.serverRelease(); out('released'); }
    await next();
  `);
  children.push(c);
  return c;
}

test('a standby sees a live server, its death (with its pid) and a clean release apart', async () => {
  const name = uniqueName();
  const seg = openPosixSegment(name, { create: true });
  try {
    // no server: one line saying so
    assert.throws(() => seg.standbyCheck(), /no server serves segment '.+': start the server first/);

    // a server that dies: the waiter takes over and names it
    const s1 = serverChild(name);
    await s1.expect('claimed');
    assert.deepEqual(seg.standbyCheck(), { pid: s1.pid });
    assert.equal(seg.roleWait(20), 'timed-out');
    assert.throws(() => seg.serverClaim(), new RegExp(`already served by pid ${s1.pid}`));
    await s1.kill('SIGKILL');
    assert.equal(seg.roleWait(5000), 'died');
    assert.equal(seg.serverTakeOver(), s1.pid);
    assert.equal(seg.stat().server?.pid, process.pid);
    seg.serverRelease();

    // a server that lets the role go: 'released', nothing held
    const s2 = serverChild(name);
    await s2.expect('claimed');
    assert.equal(seg.roleWait(20), 'timed-out');
    s2.send('release');
    await s2.expect('released');
    assert.equal(seg.roleWait(5000), 'released');
    assert.throws(() => seg.serverTakeOver(), /without roleWait\(\) === 'died'/);
    // and the role is free for a server again
    seg.serverClaim();
    seg.serverRelease();
    await s2.kill();
  } finally {
    seg.detach();
  }
});

test('a segment of an older build (no role mutex yet) gets one from its first claimer', async () => {
  const name = uniqueName();
  const seg = openPosixSegment(name, { create: true });
  try {
    // what an older build left there: zeros
    new Uint8Array(seg.sab, 1536, 68).fill(0);
    const s = serverChild(name);
    await s.expect('claimed');
    assert.equal(new Int32Array(seg.sab, 1600, 1)[0], 1);
    assert.deepEqual(seg.standbyCheck(), { pid: s.pid });
    await s.kill('SIGKILL');
    assert.equal(seg.roleWait(5000), 'died');
    assert.equal(seg.serverTakeOver(), s.pid);
    seg.serverRelease();
  } finally {
    seg.detach();
  }
});
