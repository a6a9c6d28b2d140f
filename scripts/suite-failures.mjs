#!/usr/bin/env node
// Regenerate test/suite/KNOWN-FAILURES.md — every Redis-suite test that passes on Redis
// 7.0.15 and not on shmkv, per unit, with its reason — from LOG_DIRs of
// ../shared/redis-suite/run.sh (the same runs given to scripts/suite-list.mjs).
//
//   node scripts/suite-failures.mjs -o test/suite/KNOWN-FAILURES.md LOG_DIR1 LOG_DIR2
//
// A reason is guessed from the test's first error line (a missing command names its
// feature and issue); where that says nothing, the reason written by hand in the current
// file for the same test is kept, else the error line is left, marked "(check)" for a
// human to explain. A test counts as failing when it did not pass in every run.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SUITE = process.env.SHMKV_REDIS_SUITE ?? path.resolve(ROOT, '../shared/redis-suite');
const args = process.argv.slice(2);
let out = null;
const dirs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '-o') out = args[++i];
  else dirs.push(args[i]);
}
if (dirs.length === 0) {
  console.error('usage: suite-failures.mjs [-o FILE] LOG_DIR...');
  process.exit(2);
}
const current = out ?? path.join(ROOT, 'test/suite/KNOWN-FAILURES.md');

/** "unit\tname" → count, from a TSV. */
function counts(file) {
  const m = new Map();
  if (!fs.existsSync(file)) return m;
  for (const l of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!l.includes('\t')) continue;
    const [u, n] = l.split('\t');
    const k = `${u}\t${n}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

// reasons written by hand in the current file: "| test | reason |" rows
const kept = new Map();
if (fs.existsSync(current)) {
  for (const l of fs.readFileSync(current, 'utf8').split('\n')) {
    const m = /^\| (.+?) \| (.+) \|$/.exec(l);
    if (m && m[1] !== 'test' && !m[1].startsWith('---')) kept.set(m[1], m[2]);
  }
}

/** What a missing command means: the feature and the issue that brings it. */
const MISSING = [
  [/^(sync|psync|replicaof|slaveof|wait)$/, 'replication (no `SYNC`/replicas yet)'],
  [/^(bgrewriteaof)$/, 'AOF (`BGREWRITEAOF`): no append-only file'],
  [/^(eval|evalsha|eval_ro|evalsha_ro|script|function|fcall|fcall_ro)$/, 'scripting (`EVAL`/`FUNCTION`)'],
  [/^(subscribe|psubscribe|ssubscribe|publish|spublish|pubsub)$/, 'pub/sub (issue 10)'],
  [/^x/, 'streams (`XADD`…) missing'],
  [/^z|^bz/, 'sorted sets missing'],
  [/^geo/, 'geo missing'],
  [/^acl$/, '`ACL` subcommands missing'],
];

function guess(err) {
  const cmd = /unknown command '([^']+)'/.exec(err);
  if (cmd) {
    const c = cmd[1].toLowerCase();
    for (const [re, why] of MISSING) if (re.test(c)) return `${why} (\`${c.toUpperCase()}\`)`;
    return `\`${c.toUpperCase()}\` missing`;
  }
  if (/LOADAOF/.test(err)) return 'AOF (`DEBUG LOADAOF`): no append-only file';
  if (/SYNC|replication_stream/.test(err)) return 'replication (the test attaches to the replication stream with `SYNC`)';
  if (/CLIENT TRACKING|tracking/i.test(err)) return 'client tracking (issue 10)';
  return `(check) ${err.replace(/\|/g, '\\|').slice(0, 160)}`;
}

const redis = counts(path.join(SUITE, 'passing-redis-7.0.15.tsv'));
const runs = dirs.map((d) => counts(path.join(d, 'ok-tests.tsv')));
const units = fs
  .readFileSync(path.join(dirs[0], 'summary.tsv'), 'utf8')
  .split('\n')
  .slice(1)
  .filter((l) => l.includes('\t'))
  .map((l) => l.split('\t')[0]);

const sections = [];
let total = 0;
let passing = 0;
const whole = [];
for (const unit of units) {
  const logFile = path.join(dirs[0], unit.replace(/\//g, '_') + '.log');
  const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n') : [];
  let ofRedis = 0;
  let passed = 0;
  const rows = [];
  for (const [k, n] of redis) {
    if (!k.startsWith(unit + '\t')) continue;
    const name = k.slice(unit.length + 1);
    const got = Math.min(...runs.map((r) => r.get(k) ?? 0), n);
    ofRedis += n;
    passed += got;
    if (got >= n) continue;
    // the error of this run first (a reason written for an older failure goes stale when
    // the missing command arrives), the hand-written reason where the error says nothing
    const i = log.findIndex((l) => l.startsWith(`[err]: ${name} in `) || l.startsWith(`[exception]: ${name}`));
    let reason = i >= 0 ? guess(log.slice(i + 1, i + 3).join(' ').trim()) : 'did not pass in every run (flaky here: check)';
    if (reason.startsWith('(check)') || reason.startsWith('did not pass')) reason = kept.get(name) ?? reason;
    rows.push(`| ${name} | ${reason} |`);
  }
  total += ofRedis;
  passing += passed;
  if (rows.length === 0) {
    whole.push(`\`${unit.replace('unit/', '')}\` (${passed} of ${ofRedis})`);
    continue;
  }
  sections.push(`## ${unit} (${passed} of Redis's ${ofRedis} pass)\n\n| test | reason |\n|---|---|\n${rows.join('\n')}\n`);
}

const text = `# Redis-suite tests that pass on Redis 7.0.15 and not on shmkv, with the reason

For the ${units.length} units \`test/suite/redis-suite.test.ts\` runs (default profile): ${passing} of the ${total}
tests Redis passes pass here in every one of ${runs.length} runs, and are listed in \`test/suite/must-pass.tsv\`
(CI fails if one of them fails). A reason is one of: a command or type that does not exist
yet (it passes once it does), replication (no \`SYNC\`/replica support yet), AOF (shmkv has
RDB snapshots, \`DUMP\`/\`RESTORE\`/\`MIGRATE\` and \`DEBUG RELOAD\`, but no append-only file: the
segment itself keeps every acknowledged write across restarts), scripting, \`ACL\`, or a Redis
internal we do not copy. Units that pass whole: ${whole.join(', ') || 'none'}.
Made by \`node scripts/suite-failures.mjs -o test/suite/KNOWN-FAILURES.md LOG_DIR…\` (reasons kept by test name).

${sections.join('\n')}`;
if (out) fs.writeFileSync(out, text);
else process.stdout.write(text);
