/**
 * `shmkv save SEGMENT FILE` and `shmkv load SEGMENT FILE`: RDB files from and into a
 * segment, with or without a server running on it (a save is the same fork-free snapshot
 * a BGSAVE takes: writers go on meanwhile; a load builds keys a batch per operation).
 * Progress: a bar on a terminal, plain lines otherwise.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openKeyspace, type SegmentKeyspace } from '../keyspace/open.js';
import { RdbSave, rdbAuxFields } from '../persistence/rdb_save.js';
import { loadRdb } from '../persistence/rdb_load.js';
import { RdbError } from '../rdb/value.js';

export class CliError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** A progress reporter: a redrawn bar on a TTY, a line every 2 s otherwise. */
function progress(label: string): { update(done: number, total: number, unit: string): void; end(text: string): void } {
  const tty = process.stderr.isTTY === true;
  let lastLine = 0;
  return {
    update(done, total, unit) {
      const pct = total > 0 ? Math.min(100, (100 * done) / total) : 0;
      if (tty) {
        const width = 30;
        const fill = Math.round((pct / 100) * width);
        process.stderr.write(`\r${label} [${'#'.repeat(fill)}${' '.repeat(width - fill)}] ${pct.toFixed(0).padStart(3)}% ${done}/${total} ${unit}`);
      } else if (Date.now() - lastLine >= 2000) {
        lastLine = Date.now();
        process.stderr.write(`${label}: ${pct.toFixed(0)}% (${done}/${total} ${unit})\n`);
      }
    },
    end(text) {
      if (tty) process.stderr.write('\r\x1b[K');
      process.stderr.write(`${text}\n`);
    },
  };
}

function open(name: string, dir: string | undefined, create: boolean): SegmentKeyspace {
  try {
    return openKeyspace({ segment: name, dir, create });
  } catch (e) {
    throw new CliError(2, `shmkv: ${(e as Error).message}`);
  }
}

export function saveCommand(args: string[]): void {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { dir: { type: 'string' }, 'no-compress': { type: 'boolean' }, 'no-checksum': { type: 'boolean' }, 'key-save-delay': { type: 'string' } } });
  if (positionals.length !== 2) throw new CliError(2, 'shmkv save: give a segment name and a file (shmkv save SEGMENT FILE)');
  const [name, file] = positionals as [string, string];
  const ks = open(name, values.dir, false);
  const t0 = Date.now();
  const bar = progress(`saving ${name}`);
  try {
    const target = path.resolve(file);
    const save = new RdbSave(ks, target, {
      compress: !values['no-compress'],
      checksum: !values['no-checksum'],
      ownerSlot: ks.segment.slot,
      // (µs per key, as Redis's rdb-key-save-delay: for tests that need a save in progress)
      keyDelayUs: Number(values['key-save-delay'] ?? 0),
      aux: rdbAuxFields(ks),
    });
    try {
      save.begin();
    } catch (e) {
      throw new CliError(1, `shmkv save: ${(e as Error).message}`);
    }
    const total = ks.snapshots.totalKeys();
    try {
      while (!save.step()) bar.update(save.progress.keys, total, 'keys');
      save.finish();
    } catch (e) {
      save.abort();
      throw new CliError(1, `shmkv save: ${(e as Error).message}`);
    }
    bar.end(`saved ${save.progress.keys} keys (${save.progress.bytes} bytes) of segment '${name}' to ${target} in ${((Date.now() - t0) / 1000).toFixed(2)} s`);
  } finally {
    ks.close();
  }
}

export function loadCommand(args: string[]): void {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { dir: { type: 'string' }, flush: { type: 'boolean' }, merge: { type: 'boolean' }, 'keep-expired': { type: 'boolean' } },
  });
  if (positionals.length !== 2) throw new CliError(2, 'shmkv load: give a segment name and a file (shmkv load SEGMENT FILE)');
  const [name, file] = positionals as [string, string];
  if (!fs.existsSync(file)) throw new CliError(2, `shmkv load: ${file}: no such file`);
  const ks = open(name, values.dir, true);
  const t0 = Date.now();
  const bar = progress(`loading ${file}`);
  try {
    let keys = 0;
    for (let db = 0; db < ks.databases; db++) keys += ks.dbsize(db);
    if (keys > 0 && !values.flush && !values.merge) {
      throw new CliError(1, `shmkv load: segment '${name}' holds ${keys} keys; use --flush to empty it first, or --merge to add the file's keys (replacing those of the same name)`);
    }
    let r;
    try {
      r = loadRdb(ks, file, {
        replace: values.merge === true,
        skipExpired: !values['keep-expired'],
        setAccess: (k, e, meta) => k.setRestoredAccess(e, meta.idle, meta.freq),
        onProgress: (read, size, phase) => bar.update(read, size, phase === 'check' ? 'bytes checked' : 'bytes loaded'),
        beforeBuild: values.flush
          ? () => {
              ks.exec(() => ks.flushall(true));
              ks.lazyFreeAll();
            }
          : undefined,
      });
    } catch (e) {
      if (e instanceof RdbError) throw new CliError(1, `shmkv load: ${file} is not a valid RDB file: ${e.message} (nothing was loaded)`);
      throw new CliError(1, `shmkv load: ${(e as Error).message}`);
    }
    bar.end(`loaded ${r.keys} keys (${r.expired} already expired, skipped) from ${file} into segment '${name}' in ${((Date.now() - t0) / 1000).toFixed(2)} s`);
  } finally {
    ks.close();
  }
}
