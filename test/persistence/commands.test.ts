/**
 * The persistence commands around the snapshot, through a server: BGSAVE's replies and
 * INFO fields, BGSAVE SCHEDULE, save points firing from the cron, a failed BGSAVE turning
 * writes (and PING) into -MISCONF until a save succeeds, SHUTDOWN SAVE / NOSAVE, FLUSHALL
 * with save points; and `shmkv save` / `shmkv load` on segments.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { open } from '../../src/kv/index.js';
import { openKeyspace } from '../../src/keyspace/open.js';
import { removeSegment, startShmkvServer } from '../helpers/shmkv-server.js';
import { fill, model, rng } from '../helpers/keyspace-model.js';
import { sleep } from '../helpers/ports.js';
import '../../src/types/index.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

async function field(r: Redis, name: string): Promise<string> {
  return new RegExp(`${name}:(\\S+)`).exec(await r.info('persistence'))![1]!;
}

async function untilIdle(r: Redis): Promise<void> {
  while ((await field(r, 'rdb_bgsave_in_progress')) !== '0') await sleep(10);
}

test('BGSAVE, BGSAVE SCHEDULE, LASTSAVE and the INFO persistence fields', async () => {
  const server = await startShmkvServer({ args: ['--save', ''] });
  const r = new Redis({ port: server.port, lazyConnect: true, maxRetriesPerRequest: 0 });
  await r.connect();
  try {
    for (let i = 0; i < 500; i++) await r.set(`k${i}`, i);
    assert.equal(await field(r, 'rdb_changes_since_last_save'), '500');
    await r.config('SET', 'rdb-key-save-delay', '1000');
    assert.equal(await r.bgsave(), 'Background saving started');
    await assert.rejects(r.bgsave(), /ERR Background save already in progress/);
    assert.equal(await r.call('BGSAVE', 'SCHEDULE'), 'Background saving scheduled');
    await assert.rejects(r.call('BGSAVE', 'NOW'), /ERR syntax error/);
    await assert.rejects(r.save(), /ERR Background save already in progress/);
    assert.equal(await field(r, 'rdb_bgsave_in_progress'), '1');
    await r.config('SET', 'rdb-key-save-delay', '0');
    await untilIdle(r);
    // the scheduled one runs from the cron once the first is done
    for (let i = 0; i < 200 && (await field(r, 'rdb_saves')) !== '2'; i++) await sleep(20);
    await untilIdle(r);
    assert.equal(await field(r, 'rdb_saves'), '2');
    assert.equal(await field(r, 'rdb_last_bgsave_status'), 'ok');
    assert.equal(await field(r, 'rdb_changes_since_last_save'), '0');
    assert.ok(Math.abs(Number(await r.lastsave()) - Date.now() / 1000) < 5);
    assert.ok(fs.existsSync(path.join(server.cwd, 'dump.rdb')));
  } finally {
    r.disconnect();
    await server.stop();
  }
});

test('save points fire a BGSAVE; a failing BGSAVE makes writes and PING answer -MISCONF until a save works', async () => {
  const server = await startShmkvServer({ args: ['--save', '', '--enable-protected-configs', 'yes'] });
  const r = new Redis({ port: server.port, lazyConnect: true, maxRetriesPerRequest: 0 });
  await r.connect();
  try {
    await r.config('SET', 'save', '1 1');
    await r.set('a', 1);
    for (let i = 0; i < 300 && (await field(r, 'rdb_saves')) === '0'; i++) await sleep(20);
    await untilIdle(r);
    assert.equal(await field(r, 'rdb_saves'), '1', 'the save point fired');
    // a directory that is gone by the time BGSAVE writes (fails for root too)
    const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkv-gone-'));
    assert.equal(await r.config('SET', 'dir', bad), 'OK');
    fs.rmSync(bad, { recursive: true, force: true });
    await assert.rejects(r.bgsave(), /ERR Can't save in background/);
    assert.equal(await field(r, 'rdb_last_bgsave_status'), 'err');
    await assert.rejects(r.set('b', 2), /MISCONF /);
    await assert.rejects(r.ping(), /MISCONF /);
    assert.equal(await r.get('a'), '1', 'reads still work');
    // stop-writes-on-bgsave-error no lets writes through
    await r.config('SET', 'stop-writes-on-bgsave-error', 'no');
    assert.equal(await r.set('b', 2), 'OK');
    await r.config('SET', 'stop-writes-on-bgsave-error', 'yes');
    await r.config('SET', 'dir', server.cwd);
    assert.equal(await r.bgsave(), 'Background saving started');
    await untilIdle(r);
    assert.equal(await field(r, 'rdb_last_bgsave_status'), 'ok');
    assert.equal(await r.set('c', 3), 'OK');
  } finally {
    r.disconnect();
    await server.stop();
  }
});

test('SHUTDOWN SAVE writes the file, NOSAVE does not; FLUSHALL with save points saves the empty dataset', async () => {
  const server = await startShmkvServer({ args: ['--save', ''] });
  let r = new Redis({ port: server.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  await r.connect();
  const file = path.join(server.cwd, 'dump.rdb');
  try {
    await r.set('x', 'y');
    await r.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
    await server.exited();
    assert.equal(fs.existsSync(file), false);
    await server.restart();
    r = new Redis({ port: server.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await r.connect();
    assert.equal(await r.get('x'), 'y', 'the segment kept it');
    await r.call('SHUTDOWN', 'SAVE').catch(() => undefined);
    await server.exited();
    assert.ok(fs.statSync(file).size > 0);
    await server.restart();
    r = new Redis({ port: server.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await r.connect();
    await r.config('SET', 'save', '3600 1');
    fs.rmSync(file);
    await r.flushall();
    assert.ok(fs.existsSync(file), 'FLUSHALL with save points saved');
    assert.equal(await field(r, 'rdb_changes_since_last_save'), '1');
  } finally {
    r.disconnect();
    await server.stop();
  }
});

test('shmkv save / shmkv load: a segment to a file and back, refusals and a corrupt file', () => {
  const src = `test-cli-save-${process.pid}`;
  const dst = `test-cli-load-${process.pid}`;
  removeSegment(src);
  removeSegment(dst);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkv-cli-rdb-'));
  const file = path.join(dir, 'x.rdb');
  const kv = open({ segment: src, create: true });
  try {
    fill(kv, rng(11), 100);
    const ks = openKeyspace({ segment: src, create: false });
    const want = model(ks);
    ks.close();
    const s = spawnSync(process.execPath, [CLI, 'save', src, file], { encoding: 'utf8' });
    assert.equal(s.status, 0, s.stderr);
    assert.match(s.stderr, /saved \d+ keys/);
    const l = spawnSync(process.execPath, [CLI, 'load', dst, file], { encoding: 'utf8' });
    assert.equal(l.status, 0, l.stderr);
    const ks2 = openKeyspace({ segment: dst, create: false });
    assert.deepEqual([...model(ks2).entries()].sort(), [...want.entries()].sort());
    ks2.close();
    // a second load into a non-empty segment is refused, unless told what to do
    const again = spawnSync(process.execPath, [CLI, 'load', dst, file], { encoding: 'utf8' });
    assert.equal(again.status, 1);
    assert.match(again.stderr, /--flush/);
    assert.equal(spawnSync(process.execPath, [CLI, 'load', dst, file, '--flush'], { encoding: 'utf8' }).status, 0);
    // a truncated file: refused, nothing loaded
    const cut = path.join(dir, 'cut.rdb');
    fs.writeFileSync(cut, fs.readFileSync(file).subarray(0, 1000));
    const third = `test-cli-load3-${process.pid}`;
    removeSegment(third);
    const bad = spawnSync(process.execPath, [CLI, 'load', third, cut], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /not a valid RDB file: .*byte/);
    const ks3 = openKeyspace({ segment: third, create: false });
    assert.equal(model(ks3).size, 0, 'nothing was loaded');
    ks3.close();
    removeSegment(third);
  } finally {
    kv.close();
    removeSegment(src);
    removeSegment(dst);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
