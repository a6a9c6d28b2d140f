/**
 * Configuration: redis.conf parsing (quotes, comments, include, repeated save lines,
 * command-line overrides), validation messages identical to redis-server's, CONFIG
 * GET/SET/REWRITE through a running server.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Config, loadConfig, memtoll, parseCommandLine, type ConfigLoadError } from '../../src/config/config.js';
import { RawClient, decodeReply, toJS } from '../helpers/raw-client.js';
import { redisVersion } from '../helpers/redis-oracle.js';
import { SERVER_MAIN, startShmkvServer } from '../helpers/shmkv-server.js';

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'shmkv-conf-'));
}

test('command line: options become config lines, like redis-server', () => {
  assert.deepEqual(parseCommandLine(['--port', '7000']), { file: null, options: 'port "7000" ' });
  const r = parseCommandLine(['my.conf', '--save', '--appendonly', 'yes', '--save', '900', '1', '300', '10']);
  assert.equal(r.file, 'my.conf');
  assert.equal(r.options, 'save ""\nappendonly "yes" \nsave "900" "1" "300" "10" ');
});

test('memtoll units', () => {
  assert.equal(memtoll('100'), 100);
  assert.equal(memtoll('1k'), 1000);
  assert.equal(memtoll('1kb'), 1024);
  assert.equal(memtoll('2MB'), 2 * 1024 * 1024);
  assert.equal(memtoll('1g'), 1e9);
  assert.equal(memtoll('1.5gb'), null);
  assert.equal(memtoll('1x'), null);
});

test('config file: comments, quotes, include, save lines, overrides', () => {
  const dir = tmpdir();
  try {
    fs.writeFileSync(path.join(dir, 'inc.conf'), 'maxclients 77\n');
    const file = path.join(dir, 'a.conf');
    fs.writeFileSync(
      file,
      [
        '# a comment',
        '   ',
        'port 7001',
        'requirepass "pa ss\\x41"',
        "segment 'it''s'".replace("''", "\\'"),
        'save 900 1',
        'save 300 10',
        `include ${path.join(dir, 'inc.conf')}`,
        'maxmemory 2mb',
        'maxmemory-policy ALLKEYS-LRU',
        'protected-mode no',
        'bind 127.0.0.1 ::1',
        '',
      ].join('\n'),
    );
    const cfg = loadConfig([file, '--port', '7002', '--timeout', '5']);
    assert.equal(cfg.file, file);
    assert.equal(cfg.num('port'), 7002);
    assert.equal(cfg.num('timeout'), 5);
    assert.equal(cfg.str('requirepass'), 'pa ssA');
    assert.equal(cfg.str('segment'), "it's");
    assert.equal(cfg.str('save'), '900 1 300 10');
    assert.equal(cfg.num('maxclients'), 77);
    assert.equal(cfg.num('maxmemory'), 2 * 1024 * 1024);
    assert.equal(cfg.str('maxmemory-policy'), 'allkeys-lru');
    assert.equal(cfg.bool('protected-mode'), false);
    assert.equal(cfg.str('bind'), '127.0.0.1 ::1');
    assert.deepEqual(cfg.getMatching(['maxmemory*']), [
      ['maxmemory', '2097152'],
      ['maxmemory-policy', 'allkeys-lru'],
      ['maxmemory-samples', '5'],
      ['maxmemory-eviction-tenacity', '10'],
      ['maxmemory-clients', '0'],
    ]);
    // exact names keep the spelling asked for; aliases work
    assert.deepEqual(cfg.getMatching(['MAXCLIENTS', 'slave-read-only']), [
      ['MAXCLIENTS', '77'],
      ['slave-read-only', 'yes'],
    ]);
    assert.equal(loadConfig(['--save', '']).str('save'), '');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('defaults', () => {
  const c = new Config();
  assert.equal(c.num('port'), 6379);
  assert.equal(c.str('bind'), '127.0.0.1 -::1');
  assert.equal(c.num('databases'), 16);
  assert.equal(c.str('segment'), 'default');
  assert.equal(c.num('hz'), 10);
  assert.equal(c.str('dir'), process.cwd());
});

function loadError(args: string[]): ConfigLoadError {
  try {
    loadConfig(args);
  } catch (e) {
    return e as ConfigLoadError;
  }
  assert.fail(`no error for ${JSON.stringify(args)}`);
}

test('bad configs: the same line and message as redis-server 7.0', (t) => {
  const dir = tmpdir();
  try {
    const cases: string[] = [
      'port 6379\nfoo bar\n',
      'port abc\n',
      'port\n',
      'port 70000\n',
      'timeout -1\n',
      'loglevel loud\n',
      'protected-mode maybe\n',
      'maxmemory 1x\n',
      'maxmemory-policy lru\n',
      'port "7000\n',
      'save 900\n',
      'maxclients 0\n',
      'proto-max-bulk-len 10\n',
      'appendonly perhaps\n',
    ];
    const haveRedis = redisVersion() !== null;
    if (!haveRedis) t.diagnostic('redis-server missing: comparing with the recorded expectations only');
    for (const [i, text] of cases.entries()) {
      const file = path.join(dir, `bad${i}.conf`);
      fs.writeFileSync(file, text);
      const mine = loadError([file]);
      assert.ok(mine.line !== null, text);
      const ours = spawnSync(process.execPath, [SERVER_MAIN, file], { encoding: 'utf8', timeout: 10000 });
      assert.equal(ours.status, 1, text);
      const oursLines = ours.stderr.split('\n').filter(Boolean);
      assert.match(oursLines[0], /\*\*\* FATAL CONFIG FILE ERROR/);
      if (!haveRedis) continue;
      const theirs = spawnSync('redis-server', [file], { encoding: 'utf8', timeout: 5000 });
      assert.equal(theirs.status, 1, `redis-server accepted ${JSON.stringify(text)}?`);
      const theirsLines = theirs.stderr.split('\n').filter(Boolean);
      // same "at line N", same ">>> 'line'", same message
      assert.deepEqual(oursLines.slice(1), theirsLines.slice(1), text);
    }
    // command-line values are quoted like redis-server does
    const e = loadError(['--port', 'abc']);
    assert.deepEqual([e.line, e.text, e.message], [2, 'port "abc"', "argument couldn't be parsed into an integer"]);
    const u = loadError(['--port', '1', '--nosuch', 'x']);
    assert.deepEqual([u.line, u.text, u.message], [3, 'nosuch "x"', 'Bad directive or wrong number of arguments']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('daemonize yes is refused; a missing config file is fatal', () => {
  const r = spawnSync(process.execPath, [SERVER_MAIN, '--daemonize', 'yes'], { encoding: 'utf8', timeout: 10000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /does not daemonize/);
  const m = spawnSync(process.execPath, [SERVER_MAIN, '/nonexistent/x.conf'], { encoding: 'utf8', timeout: 10000 });
  assert.equal(m.status, 1);
  assert.match(m.stderr, /can't open config file '\/nonexistent\/x.conf'/);
});

async function configGet(c: RawClient, name: string): Promise<string> {
  const v = toJS(decodeReply(await c.call('CONFIG', 'GET', name))) as string[];
  return v[1];
}

test('CONFIG SET takes effect; CONFIG REWRITE writes a file that restarts the same', async () => {
  const dir = tmpdir();
  const file = path.join(dir, 's.conf');
  fs.writeFileSync(file, '# my server\nmaxclients 1000\ntimeout 0\nloglevel notice\n');
  const s = await startShmkvServer({ args: [file] });
  try {
    const c = await RawClient.connect(s.port);
    assert.equal((await c.call('CONFIG', 'SET', 'maxmemory', '3mb', 'timeout', '60', 'maxmemory-policy', 'allkeys-lru')).toString(), '+OK\r\n');
    assert.equal(await configGet(c, 'maxmemory'), String(3 * 1024 * 1024));
    // an invalid pair leaves all of them unchanged
    assert.match((await c.call('CONFIG', 'SET', 'timeout', '1', 'hz', 'x')).toString(), /^-ERR CONFIG SET failed \(possibly related to argument 'hz'\)/);
    assert.equal(await configGet(c, 'timeout'), '60');
    // proto-max-bulk-len applies to the connected clients at once
    assert.equal((await c.call('CONFIG', 'SET', 'proto-max-bulk-len', '1mb')).toString(), '+OK\r\n');
    c.sendRaw(`*2\r\n$4\r\nECHO\r\n$${2 * 1024 * 1024}\r\n`);
    assert.equal((await c.read()).toString(), '-ERR Protocol error: invalid bulk length\r\n');
    c.close();
    const c2 = await RawClient.connect(s.port);
    assert.equal((await c2.call('CONFIG', 'REWRITE')).toString(), '+OK\r\n');
    c2.close();
    const text = fs.readFileSync(file, 'utf8');
    assert.match(text, /^# my server$/m);
    assert.match(text, /^timeout 60$/m);
    assert.match(text, /^maxmemory 3145728$/m);
    assert.match(text, /^maxmemory-policy allkeys-lru$/m);
    await s.restart();
    const c3 = await RawClient.connect(s.port);
    assert.equal(await configGet(c3, 'maxmemory-policy'), 'allkeys-lru');
    assert.equal(await configGet(c3, 'timeout'), '60');
    assert.equal(await configGet(c3, 'maxclients'), '1000');
    c3.close();
  } finally {
    await s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
