/**
 * MEMORY (DOCTOR, HELP, MALLOC-STATS, PURGE, STATS, USAGE) as in Redis 7.0, over the
 * segment's heap (shmkv's allocator): USAGE is a key's entry chunk and what its value owns
 * outside it; STATS and DOCTOR read the same figures INFO memory shows (the heap's used,
 * committed and peak bytes; no replication, AOF or script buffers exist).
 */
import type { CommandContext, CommandDef } from './types.js';
import { replyHelp } from './reply.js';
import { str2ll } from '../protocol/numbers.js';

const ERR_SYNTAX = 'ERR syntax error';

const MEMORY_HELP = [
  'MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR',
  '    Return memory problems reports.',
  'MALLOC-STATS',
  '    Return internal statistics report from the memory allocator.',
  'PURGE',
  '    Attempt to purge dirty pages for reclamation by the allocator.',
  'STATS',
  '    Return information about the memory usage of the server.',
  'USAGE <key> [SAMPLES <count>]',
  '    Return memory in bytes used by <key> and its value. Nested values are',
  '    sampled up to <count> times (default: 5, 0 means sample all).',
  'HELP',
  '    Prints this help.',
];

/** INFO's mem_allocator (DOCTOR names it). */
const ALLOCATOR = 'shmkv-heap';

/** The figures of Redis's getMemoryOverheadData that exist here. */
function overhead(ctx: CommandContext) {
  const ks = ctx.ks;
  const m = ks.memoryStats();
  const used = m.usedMemory;
  const peak = Math.max(m.peak, used);
  const dbs: [number, number][] = [];
  let keys = 0;
  const n = ctx.env.config.num('databases');
  for (let db = 0; db < n; db++) {
    const c = ks.dbsize(db);
    if (c === 0 && ks.expiresCount(db) === 0) continue;
    dbs.push([db, c]);
    keys += c;
  }
  // (the hash tables live in the heap with the data: no overhead is told apart from the dataset, as INFO's used_memory_overhead:0)
  const dataset = used;
  return {
    peak,
    used,
    committed: m.committed,
    dbs,
    keys,
    dataset,
    frag: used > 0 ? m.committed / used : 1,
    fragBytes: m.committed - used,
  };
}

/** A C float printed as a double (Redis's MEMORY STATS ratios are floats). */
function float(ctx: CommandContext, x: number): void {
  ctx.reply.double(Math.fround(x));
}

function stats(ctx: CommandContext): void {
  const w = ctx.reply;
  const o = overhead(ctx);
  w.map(27 + o.dbs.length);
  const int = (k: string, v: number): void => {
    w.bulk(k);
    w.integer(v);
  };
  const flt = (k: string, v: number): void => {
    w.bulk(k);
    float(ctx, v);
  };
  int('peak.allocated', o.peak);
  int('total.allocated', o.used);
  int('startup.allocated', 0);
  int('replication.backlog', 0);
  int('clients.slaves', 0);
  int('clients.normal', 0);
  int('cluster.links', 0);
  int('aof.buffer', 0);
  int('lua.caches', 0);
  int('functions.caches', 0);
  for (const [db] of o.dbs) {
    w.bulk(`db.${db}`);
    w.map(3);
    int('overhead.hashtable.main', 0);
    int('overhead.hashtable.expires', 0);
    int('overhead.hashtable.slot-to-keys', 0);
  }
  int('overhead.total', 0);
  int('keys.count', o.keys);
  int('keys.bytes-per-key', o.keys ? Math.floor(o.dataset / o.keys) : 0);
  int('dataset.bytes', o.dataset);
  flt('dataset.percentage', (o.dataset * 100) / Math.max(1, o.used));
  flt('peak.percentage', o.peak > 0 ? (o.used * 100) / o.peak : 0);
  int('allocator.allocated', o.used);
  int('allocator.active', o.committed);
  int('allocator.resident', o.committed);
  flt('allocator-fragmentation.ratio', o.frag);
  int('allocator-fragmentation.bytes', o.fragBytes);
  flt('allocator-rss.ratio', 1);
  int('allocator-rss.bytes', 0);
  flt('rss-overhead.ratio', 1);
  int('rss-overhead.bytes', 0);
  flt('fragmentation', o.frag);
  int('fragmentation.bytes', o.fragBytes);
}

/** Redis's getMemoryDoctorReport, for the conditions that can occur here. */
function doctor(ctx: CommandContext): void {
  const o = overhead(ctx);
  let text: string;
  if (o.used < 5 * 1024 * 1024) {
    text =
      "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. " +
      'Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n';
  } else {
    const bigPeak = Math.fround(o.peak / o.used) > 1.5;
    // the heap is both the allocator and the process's share of the segment: one ratio for all
    const highFrag = Math.fround(o.frag) > 1.4 && o.fragBytes > 10 << 20;
    const highAllocFrag = Math.fround(o.frag) > 1.1 && o.fragBytes > 10 << 20;
    if (!bigPeak && !highFrag && !highAllocFrag) {
      text = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
    } else {
      text = 'Sam, I detected a few issues in this Redis instance memory implants:\n\n';
      if (bigPeak) {
        text +=
          ' * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, ' +
          'so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) ' +
          'is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try ' +
          'to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n';
      }
      if (highFrag) {
        text +=
          ' * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger ' +
          'than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the ' +
          'report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make ' +
          `sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is "${ALLOCATOR}".\n\n`;
      }
      if (highAllocFrag) {
        text +=
          ' * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory ' +
          '(check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling ' +
          "'activedefrag' config option.\n\n";
      }
      text += "I'm here to keep you safe, Sam. I want to help you.\n";
    }
  }
  ctx.reply.verbatim(text, 'txt');
}

function help(ctx: CommandContext): void {
  replyHelp(ctx.reply, MEMORY_HELP);
}

function mallocStats(ctx: CommandContext): void {
  // (what Redis answers when it is not built with jemalloc)
  ctx.reply.bulk('Stats not supported for the current allocator');
}

function purge(ctx: CommandContext): void {
  // the heap keeps its free chunks for reuse in the segment: nothing to hand back
  ctx.reply.ok();
}

function usage(ctx: CommandContext, argv: Buffer[]): void {
  for (let j = 3; j < argv.length; j++) {
    if (argv[j]!.toString('latin1').toLowerCase() === 'samples' && j + 1 < argv.length) {
      const n = str2ll(argv[j + 1]!, 0, argv[j + 1]!.length);
      if (n === null) {
        ctx.reply.error('ERR value is not an integer or out of range');
        return;
      }
      if (n < 0) {
        ctx.reply.error(ERR_SYNTAX);
        return;
      }
      // (every element is counted: the heap knows each chunk's size, no sampling needed)
      j++;
    } else {
      ctx.reply.error(ERR_SYNTAX);
      return;
    }
  }
  // as stored, expired or not (Redis's dictFind): no lookup side effects
  const e = ctx.ks.findRaw(ctx.session.db, argv[2]!);
  if (e === 0) ctx.reply.nullBulk();
  else ctx.reply.integer(ctx.ks.memoryUsage(e));
}

export const commands: CommandDef[] = [
  {
    name: 'memory',
    arity: -2,
    flags: [],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'server',
    summary: 'A container for memory diagnostics commands',
    since: '4.0.0',
    complexity: 'Depends on subcommand.',
    subcommands: [
      {
        name: 'doctor',
        handler: doctor,
        // (reads the tables: under the segment's lock)
        exec: true,
        arity: 2,
        flags: [],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'server',
        summary: 'Outputs memory problems report',
        since: '4.0.0',
        complexity: 'O(1)',
        tips: ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'],
      },
      {
        name: 'help',
        handler: help,
        arity: 2,
        flags: ['loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'server',
        summary: 'Show helpful text about the different subcommands',
        since: '4.0.0',
        complexity: 'O(1)',
      },
      {
        name: 'stats',
        handler: stats,
        exec: true,
        arity: 2,
        flags: [],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'server',
        summary: 'Show memory usage details',
        since: '4.0.0',
        complexity: 'O(1)',
        tips: ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'],
      },
      {
        name: 'malloc-stats',
        handler: mallocStats,
        arity: 2,
        flags: [],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'server',
        summary: 'Show allocator internal stats',
        since: '4.0.0',
        complexity: 'Depends on how much memory is allocated, could be slow',
        tips: ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'],
      },
      {
        name: 'usage',
        handler: usage,
        arity: -3,
        flags: ['readonly'],
        firstKey: 2,
        lastKey: 2,
        keyStep: 1,
        group: 'server',
        summary: 'Estimate the memory usage of a key',
        since: '4.0.0',
        complexity: 'O(N) where N is the number of samples.',
        keySpecs: [
          {
            flags: ['RO'],
            beginSearch: { type: 'index', index: 2 },
            findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
          },
        ],
        args: [
          { name: 'key', type: 'key', keySpecIndex: 0 },
          { name: 'count', type: 'integer', token: 'SAMPLES', flags: ['optional'] },
        ],
      },
      {
        name: 'purge',
        handler: purge,
        arity: 2,
        flags: [],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'server',
        summary: 'Ask the allocator to release memory',
        since: '4.0.0',
        complexity: 'Depends on how much memory is allocated, could be slow',
        tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
      },
    ],
  }
];
