#!/usr/bin/env node
// Regenerate test/suite/must-pass.tsv — the Redis-suite tests CI requires shmkv to pass —
// from one or more LOG_DIRs of ../shared/redis-suite/run.sh (each holding ok-tests.tsv,
// lines "unit<TAB>test name"). A test is listed only if it passed in EVERY given run, so a
// flaky one stays out: run the suite three times or more and give all the logs.
//
//   node scripts/suite-list.mjs LOG_DIR1 LOG_DIR2 LOG_DIR3 > test/suite/must-pass.tsv
//   node scripts/suite-list.mjs -o test/suite/must-pass.tsv LOG_DIR1 LOG_DIR2 LOG_DIR3
//
// A name that a unit uses for several tests counts once per pass: it is listed as many
// times as it passed in the run where it passed least. Order: the first run's.
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
let out = null;
const dirs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '-o') out = args[++i];
  else if (args[i] === '-h' || args[i] === '--help') {
    console.log('usage: suite-list.mjs [-o FILE] LOG_DIR...');
    process.exit(0);
  } else dirs.push(args[i]);
}
if (dirs.length === 0 || (out !== null && out === undefined)) {
  console.error('usage: suite-list.mjs [-o FILE] LOG_DIR...   (each LOG_DIR holds ok-tests.tsv of a run.sh run)');
  process.exit(2);
}

/** Lines of a run's ok-tests.tsv, in order, and how many times each passed. */
function readRun(dir) {
  const file = path.join(dir, 'ok-tests.tsv');
  if (!fs.existsSync(file)) {
    console.error(`suite-list: ${file} not found`);
    process.exit(2);
  }
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.includes('\t'));
  const counts = new Map();
  for (const l of lines) counts.set(l, (counts.get(l) ?? 0) + 1);
  return { lines, counts };
}

const runs = dirs.map(readRun);
const emitted = new Map();
const result = [];
for (const line of runs[0].lines) {
  const times = Math.min(...runs.map((r) => r.counts.get(line) ?? 0));
  const done = emitted.get(line) ?? 0;
  if (done < times) {
    emitted.set(line, done + 1);
    result.push(line);
  }
}
const text = result.map((l) => l + '\n').join('');
if (out) fs.writeFileSync(out, text);
else process.stdout.write(text);
const perUnit = new Map();
for (const l of result) {
  const u = l.split('\t')[0];
  perUnit.set(u, (perUnit.get(u) ?? 0) + 1);
}
console.error(`suite-list: ${result.length} tests passed in all ${runs.length} run(s) (${[...perUnit].map(([u, n]) => `${u} ${n}`).join(', ')})`);
