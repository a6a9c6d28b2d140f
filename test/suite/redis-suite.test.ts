/**
 * Redis's own Tcl test suite (7.0.15, ../shared/redis-suite) against a shmkv server, for
 * the units below. The test fails when a test listed in test/suite/must-pass.tsv (lines
 * "unit<TAB>test name", regenerated with scripts/suite-list.mjs from several runs) did not
 * pass, naming each; it reports per unit how many tests passed / failed / aborted and how
 * many of those Redis itself passes we pass.
 *
 * Needs tclsh (Debian: tcl) and redis-cli (redis-tools). Bounded by UNIT_TIMEOUT (s per
 * unit) and STALL_TIMEOUT (s without progress), which can be set in the environment.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startShmkvServer } from '../helpers/shmkv-server.js';

const UNITS = [
  'unit/type/string',
  'unit/type/incr',
  'unit/type/list',
  'unit/type/list-3',
  'unit/type/hash',
  'unit/type/set',
  'unit/type/zset',
  'unit/sort',
  'unit/expire',
  'unit/keyspace',
  'unit/scan',
  'unit/multi',
  'unit/info-command',
  'unit/protocol',
  'unit/quit',
  'unit/bitops',
  'unit/bitfield',
  'unit/hyperloglog',
  'unit/geo',
  'unit/introspection',
  'unit/introspection-2',
  'unit/slowlog',
  'unit/pause',
  'unit/latency-monitor',
  'unit/lazyfree',
  'unit/other',
  'unit/pubsub',
  'unit/tracking',
  'unit/dump',
];

/** the repository (dist/test/suite/ → ../../..) */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SUITE = process.env.SHMKV_REDIS_SUITE ?? path.resolve(ROOT, '../shared/redis-suite');
const MUST_PASS = path.join(ROOT, 'test/suite/must-pass.tsv');

function have(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
}

/** "unit<TAB>name" lines of a TSV file, counted (a unit may use one name for several tests). */
function readList(file: string): Map<string, number> {
  const m = new Map<string, number>();
  if (!fs.existsSync(file)) return m;
  for (const l of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!l.includes('\t')) continue;
    const [unit, name] = l.split('\t');
    const key = `${unit}\t${name}`;
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

function countIn(list: Map<string, number>, unit: string, other?: Map<string, number>): number {
  let n = 0;
  for (const [k, c] of list) if (k.startsWith(unit + '\t')) n += other ? Math.min(c, other.get(k) ?? 0) : c;
  return n;
}

function run(cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test("Redis's test suite: every test of test/suite/must-pass.tsv passes", async (t) => {
  assert.ok(have('tclsh'), 'tclsh is not installed: install tcl to run the Redis test suite (Debian: apt-get install tcl; .ci/run does)');
  assert.ok(have('redis-cli'), 'redis-cli is not installed (Debian: apt-get install redis-tools)');
  const runSh = path.join(SUITE, 'run.sh');
  assert.ok(fs.existsSync(runSh), `the Redis test suite is not at ${SUITE} (set SHMKV_REDIS_SUITE to its directory)`);
  assert.ok(fs.existsSync(MUST_PASS), `${MUST_PASS} is missing (make it with scripts/suite-list.mjs)`);

  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkv-redis-suite-'));
  // as Redis's own reference run: no save points (DEBUG RELOAD and SAVE still write dump.rdb in the server's own directory)
  const server = await startShmkvServer({ args: ['--enable-debug-command', 'yes', '--save', ''] });
  let result: Awaited<ReturnType<typeof run>>;
  try {
    result = await run('bash', [runSh, String(server.port), ...UNITS], {
      LOG_DIR: logDir,
      UNIT_TIMEOUT: process.env.UNIT_TIMEOUT ?? '240',
      // > 100 s: unit/pause leaves the server under a 100-second CLIENT PAUSE WRITE when a
      // test fails on a command that does not exist yet (PUBLISH, EVAL), and the next
      // test's SET waits it out
      STALL_TIMEOUT: process.env.STALL_TIMEOUT ?? '120',
      // the Tcl helper's own listening port comes from --baseport: a random one, so that
      // runs on one machine (other worktrees, other CI jobs) do not collide
      SUITE_ARGS: `--baseport ${22000 + Math.floor(Math.random() * 8000)}`,
    });
  } finally {
    await server.stop(); // by its pid, and its segment removed
  }
  assert.equal(result.code, 0, `run.sh failed (exit ${result.code}):\n${result.stderr}\n${result.stdout}`);

  const passed = readList(path.join(logDir, 'ok-tests.tsv'));
  const required = readList(MUST_PASS);
  const redisPassing = readList(path.join(SUITE, 'passing-redis-7.0.15.tsv'));
  const summary = fs
    .readFileSync(path.join(logDir, 'summary.tsv'), 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l.includes('\t'))
    .map((l) => l.split('\t'));
  const report: string[] = [];
  let tot = { ok: 0, err: 0, exc: 0, ofRedis: 0, redis: 0 };
  for (const [unit, ok, err, exc, , status, , secs] of summary) {
    const ofRedis = countIn(redisPassing, unit!, passed);
    const redis = countIn(redisPassing, unit!);
    tot = { ok: tot.ok + Number(ok), err: tot.err + Number(err), exc: tot.exc + Number(exc), ofRedis: tot.ofRedis + ofRedis, redis: tot.redis + redis };
    report.push(`${unit!.padEnd(22)} ok=${ok} err=${err} exception=${exc}  of Redis's ${redis}: ${ofRedis}  (${status}, ${secs} s)`);
  }
  report.push(`${'TOTAL'.padEnd(22)} ok=${tot.ok} err=${tot.err} exception=${tot.exc}  of Redis's ${tot.redis}: ${tot.ofRedis}`);
  for (const l of report) t.diagnostic(l);
  console.log(report.join('\n'));

  const missing: string[] = [];
  const ran = new Set(UNITS);
  for (const [k, n] of required) {
    // (the list may hold tests of units CI does not run: scripts/suite-list.mjs takes whole runs)
    if (!ran.has(k.slice(0, k.indexOf('\t')))) continue;
    const got = passed.get(k) ?? 0;
    for (let i = got; i < n; i++) missing.push(k.replace('\t', ': '));
  }
  assert.deepEqual(missing, [], `${missing.length} test(s) of test/suite/must-pass.tsv did not pass (logs in ${logDir}):\n  ${missing.join('\n  ')}`);
  // a passing run leaves nothing behind (a failing one keeps its logs, named above)
  fs.rmSync(logDir, { recursive: true, force: true });
});
