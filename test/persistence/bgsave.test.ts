/**
 * BGSAVE without fork(), through a real server:
 *  - consistency: while the server's clients and a library process (another OS process)
 *    write, the file holds exactly the keyspace of the instant BGSAVE began (compared key
 *    by key, value digests and expiries, with a model taken then);
 *  - crash: `kill -9` of the server in the middle of a BGSAVE leaves the previous RDB file
 *    intact and the segment clean; what the snapshot had preserved is reclaimed when the
 *    keyspace is next opened, and a later BGSAVE works;
 *  - start-up: a new segment is filled from dir/dbfilename; a corrupt file stops the start
 *    with a message saying what is wrong, and nothing is served.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fork, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { open } from '../../src/kv/index.js';
import { openKeyspace } from '../../src/keyspace/open.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import { loadRdb } from '../../src/persistence/rdb_load.js';
import { removeSegment, startShmkvServer } from '../helpers/shmkv-server.js';
import { fill, model, randomWrite, rng } from '../helpers/keyspace-model.js';
import { sleep } from '../helpers/ports.js';
import '../../src/types/index.js';

const WORKER = fileURLToPath(new URL('../fixtures/kv-worker.js', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

async function waitBgsave(r: Redis): Promise<string> {
  for (;;) {
    const info = await r.info('persistence');
    if (/rdb_bgsave_in_progress:0/.test(info)) return /rdb_last_bgsave_status:(\w+)/.exec(info)![1]!;
    await sleep(20);
  }
}

/** The model of an RDB file: loaded into a scratch segment. */
function modelOfFile(file: string): Map<string, string> {
  const seg = `test-bgsave-load-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
  removeSegment(seg);
  const ks = openKeyspace({ segment: seg });
  try {
    loadRdb(ks, file, { skipExpired: false });
    assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
    return model(ks);
  } finally {
    ks.close();
    removeSegment(seg);
  }
}

test('BGSAVE: the file is the keyspace of the instant it began, while the server and a library process write', async () => {
  const server = await startShmkvServer({ args: ['--save', ''] });
  const r = new Redis({ port: server.port, lazyConnect: true, maxRetriesPerRequest: 0 });
  await r.connect();
  const kv = open({ segment: server.segment, create: false });
  const ks = openKeyspace({ segment: server.segment, create: false });
  let worker: ReturnType<typeof fork> | null = null;
  try {
    const rand = rng(4242);
    fill(kv, rand, 400);
    const expected = model(ks);
    // slow enough that the writers below overlap most of the walk
    await r.config('SET', 'rdb-key-save-delay', '300');
    assert.equal(await r.bgsave(), 'Background saving started');
    assert.match(await r.info('persistence'), /rdb_bgsave_in_progress:1/);
    // a library process writing collections for the whole save
    worker = fork(WORKER, ['collections', server.segment, 'zsets'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    // the server's own clients and this process's library handle write too
    let writes = 0;
    for (;;) {
      for (let i = 0; i < 20; i++) randomWrite(kv, rand, 400);
      await r.set(`srv:${writes}`, 'x');
      await r.incr('srv:counter');
      await r.del(`k${writes % 40}:${writes}`);
      writes++;
      if (/rdb_bgsave_in_progress:0/.test(await r.info('persistence'))) break;
      await sleep(5);
    }
    assert.equal(await waitBgsave(r), 'ok');
    // (how many rounds fit in the save depends on the machine's load; the COW size below shows they overlapped it)
    assert.ok(writes >= 2, `writes overlapped the save (${writes} rounds)`);
    const info = await r.info('persistence');
    assert.match(info, /rdb_saves:1/);
    assert.match(info, /rdb_last_cow_size:[1-9]/, 'writes preserved keys for the snapshot');
    const got = modelOfFile(path.join(server.cwd, 'dump.rdb'));
    const missing = [...expected.keys()].filter((k) => !got.has(k));
    const extra = [...got.keys()].filter((k) => !expected.has(k));
    assert.deepEqual(missing, []);
    assert.deepEqual(extra, []);
    for (const [k, v] of expected) assert.equal(got.get(k), v, `value of ${k}`);
    worker.kill('SIGKILL');
    worker = null;
    // nothing is left of the snapshot
    assert.equal(ks.snapshots.running, false);
    assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
  } finally {
    worker?.kill('SIGKILL');
    kv.close();
    ks.close();
    r.disconnect();
    await server.stop();
  }
});

test('BGSAVE: kill -9 mid-save keeps the previous file, the segment clean, and the next BGSAVE works', async () => {
  const server = await startShmkvServer({ args: ['--save', ''] });
  let r = new Redis({ port: server.port, lazyConnect: true, maxRetriesPerRequest: 0 });
  await r.connect();
  const kv = open({ segment: server.segment, create: false });
  try {
    fill(kv, rng(7), 200);
    assert.equal(await r.save(), 'OK');
    const file = path.join(server.cwd, 'dump.rdb');
    const before = fs.readFileSync(file);
    await r.config('SET', 'rdb-key-save-delay', '2000');
    await r.bgsave();
    for (let i = 0; i < 30; i++) {
      randomWrite(kv, rng(100 + i), 200);
      await sleep(5);
    }
    server.kill('SIGKILL');
    await server.exited();
    r.disconnect();
    assert.deepEqual(fs.readFileSync(file), before, 'the previous RDB file is untouched');
    // the dead server's snapshot is still in the segment; the checker accounts for it
    const chk = spawnSync(process.execPath, [CLI, 'check', server.segment], { encoding: 'utf8' });
    assert.equal(chk.status, 0, chk.stdout + chk.stderr);
    // the next process to open the keyspace drops it and reclaims what it preserved
    const ks = openKeyspace({ segment: server.segment, create: false });
    try {
      assert.equal(ks.snapshots.running, false);
      ks.lazyFreeAll();
      assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
    } finally {
      ks.close();
    }
    await server.restart();
    r = new Redis({ port: server.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    await r.connect();
    const expected = model(openKeyspace({ segment: server.segment, create: false }));
    assert.equal(await r.bgsave(), 'Background saving started');
    assert.equal(await waitBgsave(r), 'ok');
    const got = modelOfFile(file);
    assert.deepEqual([...got.entries()].sort(), [...expected.entries()].sort());
  } finally {
    kv.close();
    r.disconnect();
    await server.stop();
  }
});

test('start-up: a new segment is filled from dir/dbfilename; a corrupt file is refused and nothing is served', async () => {
  const server = await startShmkvServer({ args: ['--save', ''] });
  const r = new Redis({ port: server.port, lazyConnect: true, maxRetriesPerRequest: 0 });
  await r.connect();
  const dir = server.cwd;
  try {
    const kv = open({ segment: server.segment, create: false });
    fill(kv, rng(3), 120);
    kv.close();
    const ks = openKeyspace({ segment: server.segment, create: false });
    const expected = model(ks);
    ks.close();
    await r.save();
    r.disconnect();
    const file = path.join(dir, 'dump.rdb');
    // a new segment in the same directory: loaded at start
    const fresh = await startShmkvServer({ args: ['--save', ''], cwd: dir });
    try {
      const ks2 = openKeyspace({ segment: fresh.segment, create: false });
      assert.deepEqual([...model(ks2).entries()].sort(), [...expected.entries()].sort());
      ks2.close();
      assert.match(fresh.output(), /DB loaded from disk/);
    } finally {
      await fresh.stop();
    }
    // a corrupt copy: the server says what is wrong and does not start
    const bad = Buffer.from(fs.readFileSync(file));
    bad[Math.floor(bad.length / 2)]! ^= 0xff;
    const badDir = fs.mkdtempSync(path.join(dir, 'bad-'));
    fs.writeFileSync(path.join(badDir, 'dump.rdb'), bad);
    const seg = `test-badload-${process.pid}`;
    removeSegment(seg);
    const res = spawnSync(process.execPath, [fileURLToPath(new URL('../../src/server/launch.cjs', import.meta.url)), '--port', '0', '--segment', seg, '--save', ''], {
      cwd: badDir,
      encoding: 'utf8',
      timeout: 20000,
    });
    removeSegment(seg);
    assert.notEqual(res.status, 0);
    assert.match(res.stdout + res.stderr, /Can't load the RDB file .*dump\.rdb: .*(byte|checksum|CRC)/i);
  } finally {
    r.disconnect();
    await server.stop();
  }
});

test('BGSAVE writes huge values a slice at a time; writes to them meanwhile are preserved first, and the file is still the instant', async () => {
  const server = await startShmkvServer({ args: ['--save', ''] });
  const r = new Redis({ port: server.port, lazyConnect: true, maxRetriesPerRequest: 0 });
  await r.connect();
  const ks = openKeyspace({ segment: server.segment, create: false });
  try {
    for (let b = 0; b < 50_000; b += 5000) {
      await r.hset('big:hash', Object.fromEntries(Array.from({ length: 5000 }, (_, j) => [`f${b + j}`, `v${b + j}`])));
      await r.rpush('big:list', ...Array.from({ length: 5000 }, (_, j) => `e${b + j}`));
      await r.zadd('big:zset', ...Array.from({ length: 5000 }, (_, j) => [String(b + j), `z${b + j}`]).flat());
      await r.sadd('big:set', ...Array.from({ length: 5000 }, (_, j) => `m${b + j}`));
    }
    await r.set('big:string', Buffer.alloc(5 << 20, 'q'));
    for (let i = 0; i < 500; i++) await r.set(`small:${i}`, i);
    const expected = model(ks);
    assert.equal(await r.bgsave(), 'Background saving started');
    // write every big key (and delete one) while the save runs
    let rounds = 0;
    while (/rdb_bgsave_in_progress:1/.test(await r.info('persistence'))) {
      await r.hset('big:hash', `new${rounds}`, 'x');
      await r.lpush('big:list', `new${rounds}`);
      await r.zadd('big:zset', -rounds, `new${rounds}`);
      await r.append('big:string', 'tail');
      if (rounds === 3) await r.del('big:set');
      rounds++;
    }
    assert.equal(await waitBgsave(r), 'ok', server.output());
    const got = modelOfFile(path.join(server.cwd, 'dump.rdb'));
    assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort());
    for (const [k, v] of expected) assert.equal(got.get(k), v, `value of ${k}`);
    assert.equal(ks.snapshots.running, false);
    ks.lazyFreeAll();
    assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
  } finally {
    ks.close();
    r.disconnect();
    await server.stop();
  }
});
