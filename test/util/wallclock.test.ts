import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { wallMs, wallUs } from '../../src/util/wallclock.js';

/**
 * 2,000 reads of the wall clock, each between two of Date.now(): never ahead of the system
 * clock, behind it by a millisecond (two on a machine that keeps descheduling the
 * measurement).
 */
function assertFollowsDateNow(): void {
  for (let i = 0; i < 2000; i++) {
    const before = Date.now();
    const w = Math.floor(wallMs());
    const after = Date.now();
    assert.ok(w >= before - 2 && w <= after, `wall ${w} outside [${before - 2}, ${after}]`);
  }
}

// The system clock moved against the monotonic one (an NTP step, or the slow drift that put
// TIME milliseconds ahead of expiry in a long-running server): within the re-check interval
// the wall clock follows, so that its millisecond is Date.now()'s again.
for (const shift of [7.3, -7.3, 250]) {
  test(`wall clock: follows a system clock moved by ${shift} ms and stays within Date.now()'s last 2 ms, never ahead`, async () => {
    const realNow = Date.now.bind(Date);
    mock.method(Date, 'now', () => Math.floor(realNow() + shift));
    try {
      await sleep(110);
      wallMs();
      assertFollowsDateNow();
    } finally {
      mock.restoreAll();
    }
    await sleep(110);
    assertFollowsDateNow();
  });
}

// The process descheduled between its reads of the two clocks (a loaded CI machine): the
// measurement is taken again rather than trusted, and the clock is not put ahead of
// Date.now() by the time lost (reading Date.now() 3 ms late put it 3 ms ahead before).
test('wall clock: a measurement interrupted between its clock reads does not put the clock ahead', async () => {
  const realNow = Date.now.bind(Date);
  let calls = 0;
  mock.method(Date, 'now', () => {
    if (calls++ === 0) {
      const until = performance.now() + 3;
      while (performance.now() < until);
    }
    return realNow();
  });
  try {
    await sleep(110);
    wallMs();
    assert.ok(calls >= 2, 'the slow measurement was taken again');
    assertFollowsDateNow();
  } finally {
    mock.restoreAll();
  }
});

test('wall clock: never moves back while the system clock does not, microseconds as TIME gives them', async () => {
  let last = wallUs();
  const end = performance.now() + 300;
  while (performance.now() < end) {
    const u = wallUs();
    assert.ok(u >= last, `${u} < ${last}`);
    last = u;
    if ((u & 1023) === 0) await sleep(1);
  }
  assert.ok(Number.isInteger(last) && last > 1.7e15);
});

// Redis's "PEXPIREAT can set sub-second expires", in a library process whose system clock is
// 5 ms behind the monotonic clock's origin: TIME and expiry read the same clock, so a key set
// to expire at TIME + 200 ms is there at once and gone 201 ms later.
test('TIME and expiry agree: PEXPIREAT at TIME + 200 ms is gone 201 ms later', async () => {
  const { open } = await import('../../src/kv/index.js');
  const { unlinkPosix } = await import('../../src/shm/posix.js');
  const segment = `test-wallclock-${process.pid}`;
  const realNow = Date.now.bind(Date);
  mock.method(Date, 'now', () => Math.floor(realNow() - 5));
  const kv = open({ segment });
  try {
    await sleep(110);
    for (let round = 0; round < 3; round++) {
      kv.set('x', 'somevalue');
      const [sec, usec] = kv.call('TIME') as string[];
      const at = Number(sec) * 1000 + Math.floor(Number(usec) / 1000) + 200;
      kv.call('PEXPIREAT', 'x', String(at));
      assert.equal(kv.get('x'), 'somevalue');
      await sleep(201);
      assert.equal(kv.get('x'), null, `round ${round}: still there at ${Date.now()} (expires at ${at})`);
    }
  } finally {
    mock.restoreAll();
    kv.close();
    unlinkPosix(segment);
  }
});
