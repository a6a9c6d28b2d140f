/**
 * Where the server's CPU goes under one redis-benchmark test: a fresh shmkv server (pinned to
 * CPU 0, redis-benchmark to CPU 1, as in redis-benchmark.ts), run with Node's
 * `--perf-basic-prof-only-functions` so that JIT-compiled functions have names, warmed up with
 * the test, emptied with FLUSHALL, then sampled by `perf record` during a second run of it.
 * Prints the flat profile (self time per function: `[k]` kernel, `[.]` user) and the shares of
 * the kernel, JavaScript, V8's builtins and the garbage collector. Functions of the server are
 * named `JS:*name file:line:col` (`*`: optimized by TurboFan; the file is dist/server.bundle.cjs,
 * or a module of dist/src when tsc ran after the last `npm run build`); an anonymous one (a
 * handler of a family's table, a hook) is shown with the start of its source.
 *
 *   node dist/bench/profile.js [--test lpush] [--pipeline 16] [--requests 2000000] [--keys 100000] [--top 40]
 *
 * Needs `perf` (Debian: linux-perf) and `redis-benchmark`. Asserts nothing; the README's
 * profiles of LPUSH and SET at `-P 16` come from it.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unlinkPosix } from '../src/shm/posix.js';
import { RawClient } from '../test/helpers/raw-client.js';
import { haveTaskset, startServer, stopServer } from './servers.js';

function opt(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
}
const TEST = opt('test', 'lpush');
const PIPE = opt('pipeline', '16');
const REQUESTS = opt('requests', '2000000');
const KEYS = opt('keys', '100000');
const TOP = Number(opt('top', '40'));

const here = path.dirname(fileURLToPath(import.meta.url));
const LAUNCH = path.join(here, '..', 'src', 'server', 'launch.cjs');

for (const [tool, args] of [['perf', ['--version']], ['redis-benchmark', ['--version']]] as const) {
  if (spawnSync(tool, args).status !== 0) {
    console.error(`profile: ${tool} is needed (Debian: ${tool === 'perf' ? 'linux-perf' : 'redis-tools'})`);
    process.exit(2);
  }
}

function benchmark(port: number, n: string): void {
  const args = ['-p', String(port), '-n', n, '-c', '50', '-r', KEYS, '-P', PIPE, '-t', TEST, '-q'];
  const r = haveTaskset ? spawnSync('taskset', ['-c', '1', 'redis-benchmark', ...args], { encoding: 'utf8' }) : spawnSync('redis-benchmark', args, { encoding: 'utf8' });
  const last = (r.stdout ?? '').split(/[\r\n]/).filter((l) => l.includes('requests per second')).pop();
  if (last !== undefined) console.log(last.trim());
}

async function flushall(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  await c.call('FLUSHALL');
  c.close();
}

/** The start of a function's source from its perf name (`JS:* file:///…/x.js:L:C`, or the bundle's `L:C`): for an anonymous one. */
const sources = new Map<string, string[] | null>();
function sourceAt(where: string): string {
  const m = /(\S+):(\d+):(\d+)$/.exec(where);
  if (m === null) return '';
  const file = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
  if (!sources.has(file)) {
    try {
      sources.set(file, fs.readFileSync(file, 'utf8').split('\n'));
    } catch {
      sources.set(file, null);
    }
  }
  const line = sources.get(file)?.[Number(m[2]) - 1] ?? '';
  return line.slice(Number(m[3]) - 1, Number(m[3]) + 79).replace(/\s+/g, ' ');
}

const segment = `bench-profile-${process.pid}`;
const data = `/tmp/shmkv-profile-${process.pid}.data`;
const srv = await startServer('shmkv', process.execPath, ['--perf-basic-prof-only-functions', LAUNCH, '--segment', segment, '--save', '']);
const pid = srv.child.pid!;
try {
  console.log(`redis-benchmark -t ${TEST} -P ${PIPE} -c 50 -r ${KEYS}: a warm-up run, FLUSHALL, then ${REQUESTS} requests under perf record`);
  benchmark(srv.port, '300000');
  await flushall(srv.port);
  const perf = spawn('perf', ['record', '-F', '4999', '-p', String(pid), '-o', data], { stdio: 'ignore' });
  const perfDone = new Promise<void>((r) => perf.once('exit', () => r()));
  await new Promise((r) => setTimeout(r, 500));
  benchmark(srv.port, REQUESTS);
  perf.kill('SIGINT');
  await perfDone;
} finally {
  await stopServer(srv);
  unlinkPosix(segment);
}

const report = spawnSync('perf', ['report', '-i', data, '--no-children', '--sort', 'symbol', '-g', 'none', '--stdio'], { encoding: 'utf8', maxBuffer: 256 << 20 });
fs.rmSync(data, { force: true });
fs.rmSync(`/tmp/perf-${pid}.map`, { force: true });
const rows: { pct: number; kind: string; sym: string }[] = [];
for (const line of (report.stdout ?? '').split('\n')) {
  const m = /^\s*([\d.]+)%\s+\[(.)\]\s+(.*?)\s*$/.exec(line);
  if (m) rows.push({ pct: Number(m[1]), kind: m[2]!, sym: m[3]!.replace(/\s+-\s+-\s*$/, '') });
}
if (rows.length === 0) {
  console.error(`profile: perf report gave nothing (${(report.stderr ?? '').trim().split('\n').pop()})`);
  process.exit(1);
}
const share = (f: (r: (typeof rows)[number]) => boolean): string => rows.filter(f).reduce((s, r) => s + r.pct, 0).toFixed(1) + '%';
console.log(
  `kernel ${share((r) => r.kind === 'k')}, JavaScript ${share((r) => r.sym.startsWith('JS:'))}, V8 builtins ${share((r) => r.sym.startsWith('Builtins_'))}, ` +
    `garbage collection ${share((r) => /Scaveng|MarkCompact|Sweeper|Heap::|GCTracer|Marking/.test(r.sym))}`,
);
for (const r of rows.slice(0, TOP)) {
  const anon = /^JS:[*~^]?\s/.test(r.sym) ? `  ${sourceAt(r.sym)}` : '';
  console.log(`${r.pct.toFixed(2).padStart(6)}%  [${r.kind}] ${r.sym.replace(/^(JS:\S*\s*)\S*\/dist\//, '$1dist/')}${anon}`);
}
