#!/usr/bin/env node
/**
 * shmkv — tools for shmkv segments, in the spirit of ipcs / ipcrm:
 *   shmkv ls                  every shmkv segment (POSIX and System V): SIZE is the file's size
 *                             (sparse: it counts the undo log's reserve), RESIDENT what tmpfs holds
 *   shmkv rm NAME [--force]   remove a segment (refuses while attached)
 *   shmkv check NAME          integrity check: exit 0 clean, 1 damaged, 2 not found/unusable
 *   shmkv info NAME           header, allocator statistics, fragmentation, keyspace
 *   shmkv save NAME FILE      the keyspace to an RDB file (src/cli/rdb.ts)
 *   shmkv load NAME FILE      an RDB file into the keyspace
 */
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Heap } from '../heap/heap.js';
import { checkHeap } from '../heap/check.js';
import { listSegments, removeSegment } from '../shm/admin.js';
import { openPosixSegment } from '../shm/posix.js';
import { openSysvSegment } from '../shm/sysv.js';
import type { Segment, SegmentStat } from '../shm/segment.js';
import { Keyspace, ROOT_KEYSPACE } from '../keyspace/keyspace.js';
import { checkKeyspace } from '../keyspace/check.js';
import { CliError, loadCommand, saveCommand } from './rdb.js';
// the checker asks each value's type what it owns
import '../types/index.js';

const USAGE = `usage: shmkv <command> [options]
  ls [--json] [--dir DIR]               list shmkv segments (POSIX and System V)
  rm NAME [--force] [--sysv] [--dir DIR] remove a segment (refuses while attached)
  check NAME [--sysv] [--dir DIR]       check a segment's integrity (exit 0 clean, 1 damaged, 2 unusable)
  info NAME [--json] [--sysv] [--dir DIR] header, allocator statistics, keyspace
  save NAME FILE [--no-compress] [--dir DIR]  write the keyspace to an RDB file (a server may run)
  load NAME FILE [--flush|--merge] [--keep-expired] [--dir DIR]
                                        load an RDB file into a segment (made if absent)`;

class Exit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function human(n: number): string {
  const u = ['B', 'K', 'M', 'G', 'T'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n}B` : `${n.toFixed(n < 10 ? 2 : 1)}${u[i]}`;
}

function openSegment(name: string, opts: { sysv?: boolean; dir?: string }): Segment {
  try {
    return opts.sysv ? openSysvSegment(name) : openPosixSegment(name, { dir: opts.dir });
  } catch (e) {
    const err = e as { code?: string; message?: string };
    throw new Exit(2, `shmkv: ${err.message ?? String(e)}`);
  }
}

/** Heap statistics of a segment without taking part in its writes (read of the header only). */
function usedBytes(s: SegmentStat, dir?: string): number | null {
  if (s.state !== 'ok' && s.state !== 'removed') return null;
  let seg: Segment | null = null;
  try {
    seg = s.kind === 'sysv' ? openSysvSegment(s.name) : openPosixSegment(s.name, { dir });
    if (!Heap.isFormatted(seg)) return 0;
    return Heap.open(seg).stats().usedBytes;
  } catch {
    return null;
  } finally {
    seg?.detach();
  }
}

/** Bytes a POSIX segment really occupies in tmpfs (its size counts sparse holes too). */
function residentBytes(s: SegmentStat): number | null {
  if (s.kind !== 'posix' || !s.path) return s.kind === 'sysv' ? s.size : null;
  try {
    return statSync(s.path).blocks * 512;
  } catch {
    return null;
  }
}

function ls(args: string[]): void {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' }, dir: { type: 'string' } } });
  const segs = listSegments({ dir: values.dir });
  const rows = segs.map((s) => ({ ...s, used: usedBytes(s, values.dir), resident: residentBytes(s) }));
  if (values.json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  const table = [['NAME', 'KIND', 'KEY/ID', 'OWNER', 'MODE', 'SIZE', 'RESIDENT', 'USED', 'ATTACHED', 'SERVER', 'STATE']];
  for (const r of rows) {
    table.push([
      r.name,
      r.kind,
      r.kind === 'sysv' ? `0x${(r.key ?? 0).toString(16).padStart(8, '0')}/${r.shmid}` : r.id || '-',
      String(r.uid),
      (r.mode & 0o777).toString(8).padStart(4, '0'),
      human(r.size),
      r.resident === null ? '-' : human(r.resident),
      r.used === null ? '-' : human(r.used),
      r.kind === 'sysv' ? `${r.nattch}` : r.attached.map((a) => a.pid).join(',') || '0',
      serverCell(r.server?.pid ?? 0, r.attached.filter((a) => a.standby).map((a) => a.pid)),
      r.problem ? `${r.state} (${r.problem})` : r.state,
    ]);
  }
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  for (const row of table) console.log(row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
  if (rows.length === 0) console.log('(no shmkv segments)');
}

/** The SERVER column: its pid, and the standbys waiting to take over from it ("-": none). */
function serverCell(pid: number, standbys: number[]): string {
  const s = pid !== 0 ? String(pid) : '-';
  return standbys.length ? `${s} (standby ${standbys.join(',')})` : s;
}

function rm(args: string[]): void {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { force: { type: 'boolean' }, sysv: { type: 'boolean' }, dir: { type: 'string' } } });
  if (positionals.length !== 1) throw new Exit(2, 'shmkv rm: give one segment name');
  const name = positionals[0]!;
  try {
    const r = removeSegment(name, { force: values.force, kind: values.sysv ? 'sysv' : undefined, dir: values.dir });
    const who = r.attached.length ? ` (still attached by pid ${r.attached.join(', ')}: they keep their mapping until they detach)` : '';
    console.log(`removed ${r.kind} segment '${r.name}'${r.forced ? ' with --force' : ''}${who}`);
  } catch (e) {
    const err = e as { code?: string; message?: string };
    throw new Exit(err.code === 'ENOENT' ? 2 : 1, `shmkv rm: ${err.message ?? String(e)}`);
  }
}

function check(args: string[]): void {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { sysv: { type: 'boolean' }, dir: { type: 'string' } } });
  if (positionals.length !== 1) throw new Exit(2, 'shmkv check: give one segment name');
  const seg = openSegment(positionals[0]!, values);
  try {
    if (!Heap.isFormatted(seg)) throw new Exit(2, `shmkv check: segment '${positionals[0]}' holds no heap yet (never used by a server or the library)`);
    let heap: Heap;
    try {
      heap = Heap.open(seg);
    } catch (e) {
      throw new Exit(2, `shmkv check: ${(e as Error).message}`);
    }
    let errors: string[];
    let summary: string;
    let recovered = 0;
    if (heap.getRoot(ROOT_KEYSPACE) !== 0) {
      const ks = Keyspace.open(seg, { name: positionals[0] });
      const r = ks.exec(() => checkKeyspace(ks));
      recovered = ks.heap.recovered;
      errors = r.errors;
      summary = `${r.keys} keys`;
    } else {
      heap.lock();
      try {
        const r = checkHeap(heap);
        errors = r.errors;
        summary = `${r.inUse} chunks in use`;
      } finally {
        recovered = heap.recovered;
        heap.unlock();
      }
    }
    if (recovered > 0) console.log('rolled back an operation left unfinished by a writer that died');
    const s = heap.stats();
    if (errors.length === 0) {
      console.log(`ok: segment '${positionals[0]}' is consistent (${summary}, ${human(s.usedBytes)} used in ${s.liveChunks} chunks)`);
      return;
    }
    for (const e of errors) console.log(`damaged: ${e}`);
    throw new Exit(1, `shmkv check: segment '${positionals[0]}' is damaged (${errors.length} problem${errors.length > 1 ? 's' : ''})`);
  } finally {
    seg.detach();
  }
}

function info(args: string[]): void {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, sysv: { type: 'boolean' }, dir: { type: 'string' } } });
  if (positionals.length !== 1) throw new Exit(2, 'shmkv info: give one segment name');
  const seg = openSegment(positionals[0]!, values);
  try {
    const stat = seg.stat();
    const out: Record<string, unknown> = { segment: { ...stat, attached: stat.attached.filter((a) => a.pid !== process.pid) } };
    if (Heap.isFormatted(seg)) {
      const heap = Heap.open(seg);
      out.heap = heap.stats();
      if (heap.getRoot(ROOT_KEYSPACE) !== 0) {
        const ks = Keyspace.open(seg, { name: positionals[0] });
        const dbs: Record<string, { keys: number; expires: number }> = {};
        for (let db = 0; db < ks.databases; db++) {
          if (ks.dbsize(db) > 0) dbs[`db${db}`] = { keys: ks.dbsize(db), expires: ks.expiresCount(db) };
        }
        out.keyspace = { databases: ks.databases, ...dbs, pendingFlushes: ks.pendingFrees() };
      }
    }
    if (values.json) {
      console.log(JSON.stringify(out, null, 2));
      return;
    }
    const print = (section: string, o: unknown) => {
      console.log(`# ${section}`);
      for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
        const shown = typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
        console.log(`${k}:${shown}`);
      }
      console.log('');
    };
    for (const [k, v] of Object.entries(out)) print(k, v);
  } finally {
    seg.detach();
  }
}

function main(argv: string[]): number {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'ls':
        ls(rest);
        return 0;
      case 'rm':
        rm(rest);
        return 0;
      case 'check':
        check(rest);
        return 0;
      case 'info':
        info(rest);
        return 0;
      case 'save':
        saveCommand(rest);
        return 0;
      case 'load':
        loadCommand(rest);
        return 0;
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        console.log(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        console.error(`shmkv: unknown command '${cmd}'\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof Exit || e instanceof CliError) {
      console.error(e.message);
      return e.code;
    }
    const err = e as { code?: string; message?: string };
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      console.error(`shmkv: ${err.message}\n${USAGE}`);
      return 2;
    }
    console.error(`shmkv: ${err.message ?? String(e)}`);
    return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
