/**
 * LATENCY (DOCTOR, GRAPH, HISTORY, LATEST, RESET, HISTOGRAM, HELP) as in Redis 7.0: the
 * latency monitor's events (src/engine/latency.ts, fed by the engine when a command takes
 * latency-monitor-threshold ms or more, and by the server's cycles) and the per-command
 * histograms of latency-tracking. HISTOGRAM needs the registry, so the engine builds this
 * family bound to its own, like COMMAND's.
 */
import fs from 'node:fs';
import { replyHelp } from '../commands/reply.js';
import type { CommandContext, CommandDef } from '../commands/types.js';
import type { Command, Registry } from './registry.js';
import type { LatencyHistogram, LatencyMonitor } from './latency.js';

const LATENCY_HELP = [
  'LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR',
  '    Return a human readable latency analysis report.',
  'GRAPH <event>',
  '    Return an ASCII latency graph for the <event> class.',
  'HISTORY <event>',
  '    Return time-latency samples for the <event> class.',
  'LATEST',
  '    Return the latest latency samples for all events.',
  'RESET [<event> ...]',
  '    Reset latency data of one or more <event> classes.',
  '    (default: reset all data for all event classes)',
  'HISTOGRAM [COMMAND ...]',
  '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
  '    If no commands are specified then all histograms are replied.',
  'HELP',
  '    Prints this help.',
];

/** Bytes of transparent huge pages this process uses (Redis's THPGetAnonHugePagesSize, for DOCTOR). */
function anonHugePages(): number {
  try {
    const m = /^AnonHugePages:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/smaps_rollup', 'latin1'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function replyCdf(ctx: CommandContext, rows: [string, LatencyHistogram][]): void {
  const w = ctx.reply;
  w.map(rows.length);
  for (const [name, h] of rows) {
    w.bulk(name);
    w.map(2);
    w.bulk('calls');
    w.integer(h.calls());
    w.bulk('histogram_usec');
    const cdf = h.cdf();
    w.map(cdf.length);
    for (const [usec, count] of cdf) {
      w.integer(usec);
      w.integer(count);
    }
  }
}

/** A command's histogram as a row, if it has one. */
function rowOf(c: Command): [string, LatencyHistogram] | null {
  const h = c.stats.latency as LatencyHistogram | null;
  return h !== null && h.calls() > 0 ? [c.fullName, h] : null;
}

function histogram(reg: Registry, ctx: CommandContext, argv: Buffer[]): void {
  const rows: [string, LatencyHistogram][] = [];
  const add = (c: Command): void => {
    const r = rowOf(c);
    if (r !== null) rows.push(r);
  };
  if (argv.length === 2) {
    for (const c of reg.all()) add(c);
  } else {
    // each name asked for (unknown ones skipped, repeats repeated): the command, then its subcommands
    for (const a of argv.slice(2)) {
      const c = reg.byName(a.toString('latin1'));
      if (c === null) continue;
      add(c);
      for (const s of c.subcommands) add(s);
    }
  }
  replyCdf(ctx, rows);
}

export function latencyFamily(registry: () => Registry, monitor: LatencyMonitor): CommandDef[] {
  const common = { firstKey: 0, lastKey: 0, keyStep: 0, group: 'server', since: '2.8.13' } as const;
  const admin = ['admin', 'noscript', 'loading', 'stale'];
  return [
    {
      ...common,
      name: 'latency',
      arity: -2,
      flags: [],
      summary: 'A container for latency diagnostics commands',
      complexity: 'Depends on subcommand.',
      subcommands: [
        {
          ...common,
          name: 'reset',
          arity: -2,
          flags: admin,
          summary: 'Reset latency data for one or more events.',
          complexity: 'O(1)',
          tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'],
          args: [{ name: 'event', type: 'string', flags: ['optional', 'multiple'] }],
          handler: (ctx, argv) => {
            if (argv.length === 2) ctx.reply.integer(monitor.reset(null));
            else ctx.reply.integer(argv.slice(2).reduce((n, a) => n + monitor.reset(a.toString('latin1')), 0));
          },
        },
        {
          ...common,
          name: 'doctor',
          arity: 2,
          flags: admin,
          summary: 'Return a human readable latency analysis report.',
          complexity: 'O(1)',
          tips: ['nondeterministic_output', 'request_policy:all_nodes', 'response_policy:special'],
          handler: (ctx) => {
            const cfg = ctx.env.config;
            const text = monitor.report({
              threshold: cfg.num('latency-monitor-threshold'),
              slowlogSlowerThan: cfg.num('slowlog-log-slower-than'),
              hz: cfg.num('hz'),
              anonHugePages: anonHugePages(),
            });
            ctx.reply.verbatim(text, 'txt');
          },
        },
        {
          ...common,
          name: 'help',
          arity: 2,
          flags: ['loading', 'stale'],
          summary: 'Show helpful text about the different subcommands.',
          complexity: 'O(1)',
          handler: (ctx) => replyHelp(ctx.reply, LATENCY_HELP),
        },
        {
          ...common,
          name: 'latest',
          arity: 2,
          flags: admin,
          summary: 'Return the latest latency samples for all events.',
          complexity: 'O(1)',
          tips: ['nondeterministic_output', 'request_policy:all_nodes', 'response_policy:special'],
          handler: (ctx) => {
            const rows = monitor.latest();
            ctx.reply.array(rows.length);
            for (const [name, t, ms, max] of rows) {
              ctx.reply.array(4);
              ctx.reply.bulk(name);
              ctx.reply.integer(t);
              ctx.reply.integer(ms);
              ctx.reply.integer(max);
            }
          },
        },
        {
          ...common,
          name: 'history',
          arity: 3,
          flags: admin,
          summary: 'Return timestamp-latency samples for the event.',
          complexity: 'O(1)',
          tips: ['nondeterministic_output', 'request_policy:all_nodes', 'response_policy:special'],
          args: [{ name: 'event', type: 'string' }],
          handler: (ctx, argv) => {
            const rows = monitor.samples(argv[2]!.toString('latin1')) ?? [];
            ctx.reply.array(rows.length);
            for (const [t, ms] of rows) {
              ctx.reply.array(2);
              ctx.reply.integer(t);
              ctx.reply.integer(ms);
            }
          },
        },
        {
          ...common,
          name: 'graph',
          arity: 3,
          flags: admin,
          summary: 'Return a latency graph for the event.',
          complexity: 'O(1)',
          tips: ['nondeterministic_output', 'request_policy:all_nodes', 'response_policy:special'],
          args: [{ name: 'event', type: 'string' }],
          handler: (ctx, argv) => {
            const g = monitor.graph(argv[2]!.toString('latin1'));
            if (g === null) ctx.reply.errorBytes(Buffer.concat([Buffer.from("ERR No samples available for event '"), argv[2]!, Buffer.from("'")]));
            else ctx.reply.verbatim(g, 'txt');
          },
        },
        {
          ...common,
          name: 'histogram',
          arity: -2,
          flags: admin,
          summary: 'Return the cumulative distribution of latencies of a subset of commands or all.',
          since: '7.0.0',
          complexity: 'O(N) where N is the number of commands with latency information being retrieved.',
          tips: ['nondeterministic_output', 'request_policy:all_nodes', 'response_policy:special'],
          args: [{ name: 'command', type: 'string', flags: ['optional', 'multiple'] }],
          handler: (ctx, argv) => histogram(registry(), ctx, argv),
        },
      ],
    },
  ];
}
