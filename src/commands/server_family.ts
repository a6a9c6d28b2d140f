/**
 * Server commands: TIME, DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, SHUTDOWN, CONFIG
 * (GET/SET/RESETSTAT/REWRITE/HELP), INFO, LASTSAVE, MONITOR, SLOWLOG. They run for any
 * caller; SHUTDOWN and MONITOR need a server (ctx.server). The metadata of the table below is
 * Redis 7.0.15's (generated with test/helpers/gen-command-defs.ts from COMMAND INFO/DOCS).
 */

import { str2ll } from '../protocol/numbers.js';
import { ConfigError, lookupConfig, parseConfigValue, rewriteConfigFile, type ConfigDef, type ConfigValue } from '../config/config.js';
import { replyHelp } from './reply.js';
import { wallUs } from '../util/wallclock.js';
import { requireServer, type CommandContext, type CommandDef } from './types.js';

const ERR_SYNTAX = 'ERR syntax error';

/** Redis's allowProtectedAction for enable-protected-configs: 'yes', or 'local' and a local caller. */
function protectedAllowed(ctx: CommandContext): boolean {
  const v = ctx.env.config.str('enable-protected-configs');
  return v === 'yes' || (v === 'local' && ctx.session.local);
}

function lower(b: Buffer): string {
  return b.toString('latin1').toLowerCase();
}

function int(b: Buffer): number | null {
  const v = str2ll(b, 0, b.length);
  return v === null ? null : Number(v);
}

// ------------------------------------------------------------------------------ simple ones

function time(ctx: CommandContext): void {
  // the clock expiry compares with, so that PEXPIREAT TIME+200 ms is gone 201 ms later
  const us = wallUs();
  const sec = Math.floor(us / 1e6);
  ctx.reply.array(2);
  ctx.reply.bulk(String(sec));
  ctx.reply.bulk(String(us - sec * 1e6));
}

function dbsize(ctx: CommandContext): void {
  ctx.reply.integer(ctx.ks.dbsize(ctx.session.db));
}

/** FLUSHDB / FLUSHALL [ASYNC|SYNC]: false after replying a syntax error. */
/** 'sync' / 'async' (no argument: lazyfree-lazy-user-flush decides, as in Redis), or null after a syntax error reply. */
function flushMode(ctx: CommandContext, argv: Buffer[]): 'sync' | 'async' | null {
  if (argv.length > 2) {
    ctx.reply.error(ERR_SYNTAX);
    return null;
  }
  if (argv.length === 2) {
    const m = lower(argv[1]);
    if (m !== 'sync' && m !== 'async') {
      ctx.reply.error(ERR_SYNTAX);
      return null;
    }
    return m;
  }
  return ctx.env.config.bool('lazyfree-lazy-user-flush') ? 'async' : 'sync';
}

/**
 * The tables are swapped for empty ones inside the command's operation (so a flush in a
 * transaction is atomic with the rest of it); their keys are then freed a slice per
 * operation: right after the operation commits, before the reply leaves, for SYNC (the
 * memory is free when it returns), by the cron (or the next library call) for ASYNC.
 */
function flushGeneric(ctx: CommandContext, argv: Buffer[], all: boolean): void {
  const mode = flushMode(ctx, argv);
  if (mode === null) return;
  if (all) {
    ctx.ks.flushall(mode === 'sync');
    // a running BGSAVE is dropped and, with save points, the empty dataset saved (Redis 7.0)
    const p = ctx.env.persistence;
    ctx.ks.afterCommit(() => p.afterFlushall());
  }
  else ctx.ks.flushdb(ctx.session.db, mode === 'sync');
  ctx.reply.ok();
}

function flushdb(ctx: CommandContext, argv: Buffer[]): void {
  flushGeneric(ctx, argv, false);
}

function flushall(ctx: CommandContext, argv: Buffer[]): void {
  flushGeneric(ctx, argv, true);
}

function swapdb(ctx: CommandContext, argv: Buffer[]): void {
  const a = int(argv[1]);
  if (a === null || a < -2147483648 || a > 2147483647) {
    ctx.reply.error('ERR invalid first DB index');
    return;
  }
  const b = int(argv[2]);
  if (b === null || b < -2147483648 || b > 2147483647) {
    ctx.reply.error('ERR invalid second DB index');
    return;
  }
  const n = ctx.ks.databases;
  if (a < 0 || a >= n || b < 0 || b >= n) {
    ctx.reply.error('ERR DB index is out of range');
    return;
  }
  if (a !== b) ctx.ks.swapdb(a, b);
  ctx.reply.ok();
}

function shutdown(ctx: CommandContext, argv: Buffer[]): void {
  let nosave = false;
  let save = false;
  let now = false;
  let force = false;
  let abort = false;
  for (let i = 1; i < argv.length; i++) {
    const o = lower(argv[i]);
    if (o === 'nosave') nosave = true;
    else if (o === 'save') save = true;
    else if (o === 'now') now = true;
    else if (o === 'force') force = true;
    else if (o === 'abort') abort = true;
    else {
      ctx.reply.error(ERR_SYNTAX);
      return;
    }
  }
  if ((abort && (nosave || save || now || force)) || (nosave && save)) {
    ctx.reply.error(ERR_SYNTAX);
    return;
  }
  if (abort) {
    // shutdown is immediate here: never "in progress"
    ctx.reply.error('ERR No shutdown in progress.');
    return;
  }
  const server = requireServer(ctx, 'SHUTDOWN');
  // the segment survives the process, but not a reboot: save as Redis would
  if (!ctx.env.persistence.shutdownSave(nosave ? false : save ? true : undefined) && !force) {
    ctx.reply.error('ERR Errors trying to SHUTDOWN. Check logs.');
    return;
  }
  // no reply: the connection closes with the server, as in Redis
  server.shutdown('User requested shutdown...');
}

// ------------------------------------------------------------------------------ INFO

function info(ctx: CommandContext, argv: Buffer[]): void {
  const text = ctx.env.info(argv.slice(1).map((b) => b.toString('latin1')));
  ctx.reply.verbatim(Buffer.from(text, 'utf8'), 'txt');
}

// ------------------------------------------------------------------------------ CONFIG

function configGet(ctx: CommandContext, argv: Buffer[]): void {
  const pairs = ctx.env.config.getMatching(argv.slice(2).map((b) => b.toString('utf8')));
  ctx.reply.map(pairs.length);
  for (const [k, v] of pairs) {
    ctx.reply.bulk(k);
    ctx.reply.bulk(v);
  }
}

function configSet(ctx: CommandContext, argv: Buffer[]): void {
  const w = ctx.reply;
  if (argv.length % 2 !== 0) {
    w.error(ERR_SYNTAX);
    return;
  }
  const cfg = ctx.env.config;
  const items: { def: ConfigDef; arg: string; raw: string; value?: ConfigValue }[] = [];
  const seen = new Set<string>();
  for (let i = 2; i < argv.length; i += 2) {
    const arg = argv[i].toString('utf8');
    const def = lookupConfig(arg);
    if (!def) {
      w.errorBytes(Buffer.concat([Buffer.from("ERR Unknown option or number of arguments for CONFIG SET - '"), argv[i], Buffer.from("'")]));
      return;
    }
    const fail = (msg: string): void => w.error(`ERR CONFIG SET failed (possibly related to argument '${arg.toLowerCase()}') - ${msg}`);
    if (def.immutable) return fail("can't set immutable config");
    if (def.protected && !protectedAllowed(ctx)) return fail("can't set protected config");
    if (seen.has(def.name)) return fail('duplicate parameter');
    seen.add(def.name);
    if (def.sensitive) ctx.session.redactArg(i + 1);
    items.push({ def, arg, raw: argv[i + 1].toString('utf8') });
  }
  for (const it of items) {
    try {
      it.value = parseConfigValue(it.def, [it.raw]);
    } catch (e) {
      if (e instanceof ConfigError) {
        w.error(`ERR CONFIG SET failed (possibly related to argument '${it.arg.toLowerCase()}') - ${e.message}`);
        return;
      }
      throw e;
    }
  }
  const old = items.map((it) => cfg.get(it.def.name));
  for (const it of items) cfg.set(it.def.name, it.value!);
  // what the engine and the server act on (log level, hz, listeners, slowlog...)
  const failed = ctx.env.configChanged(items.map((it, i) => [it.def.name, old[i]!]));
  if (failed !== null) {
    // as Redis: every value goes back, and is applied again
    const now = items.map((it) => cfg.get(it.def.name));
    items.forEach((it, i) => cfg.set(it.def.name, old[i]!));
    ctx.env.configChanged(items.map((it, i) => [it.def.name, now[i]!]));
    const arg = items.find((it) => it.def.name === failed[0])?.arg ?? failed[0];
    w.error(`ERR CONFIG SET failed (possibly related to argument '${arg.toLowerCase()}') - ${failed[1]}`);
    return;
  }
  w.ok();
}

// ---------------------------------------------------------------- MONITOR

function monitor(ctx: CommandContext): void {
  const server = requireServer(ctx, 'MONITOR');
  const c = ctx.session;
  // a client already monitoring gets no reply at all (Redis: "ignore MONITOR if already slave or in monitor mode")
  if (c.monitor) return;
  c.monitor = true;
  server.addMonitor(c);
  ctx.reply.ok();
}

// ---------------------------------------------------------------- SLOWLOG

const SLOWLOG_HELP = [
  'SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET [<count>]',
  '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
  '    Entries are made of:',
  '    id, timestamp, time in microseconds, arguments array, client IP and port,',
  '    client name',
  'LEN',
  '    Return the length of the slowlog.',
  'RESET',
  '    Reset the slowlog.',
  'HELP',
  '    Prints this help.',
];

function slowlogGet(ctx: CommandContext, argv: Buffer[]): void {
  const w = ctx.reply;
  let count = 10;
  if (argv.length > 3) {
    // Redis's addReplySubcommandSyntaxError
    w.error(`ERR unknown subcommand or wrong number of arguments for '${argv[1]!.toString('latin1')}'. Try SLOWLOG HELP.`);
    return;
  }
  if (argv.length === 3) {
    const n = str2ll(argv[2]!, 0, argv[2]!.length);
    if (n === null || n < -1) {
      w.error('ERR count should be greater than or equal to -1');
      return;
    }
    count = Number(n);
  }
  const entries = ctx.env.slowlogGet(count);
  w.array(entries.length);
  for (const e of entries) {
    w.array(6);
    w.integer(e.id);
    w.integer(e.time);
    w.integer(e.duration);
    w.array(e.args.length);
    for (const a of e.args) w.bulk(a);
    w.bulk(e.peer);
    w.bulk(e.name);
  }
}

function configResetstat(ctx: CommandContext): void {
  ctx.env.resetStats();
  ctx.reply.ok();
}

function configRewrite(ctx: CommandContext): void {
  const cfg = ctx.env.config;
  if (!cfg.file) {
    ctx.reply.error('ERR The server is running without a config file');
    return;
  }
  try {
    rewriteConfigFile(cfg);
  } catch (e) {
    ctx.env.log.warning(`CONFIG REWRITE failed: ${(e as Error).message}`);
    ctx.reply.error(`ERR Rewriting config file: ${(e as Error).message}`);
    return;
  }
  ctx.env.log.notice('CONFIG REWRITE executed with success.');
  ctx.reply.ok();
}

const CONFIG_HELP = [
  'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET <pattern>',
  '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>',
  '    Set the configuration <directive> to <value>.',
  'RESETSTAT',
  '    Reset statistics reported by the INFO command.',
  'REWRITE',
  '    Rewrite the configuration file.',
  'HELP',
  '    Prints this help.',
];

function configHelp(ctx: CommandContext): void {
  replyHelp(ctx.reply, CONFIG_HELP);
}

// ------------------------------------------------------------------------------ the table

export const commands: CommandDef[] = [
  {
    name: 'time',
    handler: time,
    arity: 1,
    flags: ['loading', 'stale', 'fast'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'server',
    summary: 'Return the current server time',
    since: '2.6.0',
    complexity: 'O(1)',
    tips: ['nondeterministic_output'],
  },
  {
    name: 'dbsize',
    handler: dbsize,
    arity: 1,
    flags: ['readonly', 'fast'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'server',
    summary: 'Return the number of keys in the selected database',
    since: '1.0.0',
    complexity: 'O(1)',
    acl: ['@keyspace'],
    tips: ['request_policy:all_shards', 'response_policy:agg_sum'],
  },
  {
    name: 'flushdb',
    handler: flushdb,
    arity: -1,
    flags: ['write'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'server',
    summary: 'Remove all keys from the current database',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of keys in the selected database',
    acl: ['@keyspace', '@dangerous'],
    tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
    history: [
      ['4.0.0', 'Added the `ASYNC` flushing mode modifier.'],
      ['6.2.0', 'Added the `SYNC` flushing mode modifier.'],
    ],
    args: [
      {
        name: 'async',
        type: 'oneof',
        flags: ['optional'],
        args: [
          { name: 'async', type: 'pure-token', token: 'ASYNC', since: '4.0.0' },
          { name: 'sync', type: 'pure-token', token: 'SYNC', since: '6.2.0' },
        ],
      },
    ],
  },
  {
    name: 'flushall',
    handler: flushall,
    arity: -1,
    flags: ['write'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'server',
    summary: 'Remove all keys from all databases',
    since: '1.0.0',
    complexity: 'O(N) where N is the total number of keys in all databases',
    acl: ['@keyspace', '@dangerous'],
    tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
    history: [
      ['4.0.0', 'Added the `ASYNC` flushing mode modifier.'],
      ['6.2.0', 'Added the `SYNC` flushing mode modifier.'],
    ],
    args: [
      {
        name: 'async',
        type: 'oneof',
        flags: ['optional'],
        args: [
          { name: 'async', type: 'pure-token', token: 'ASYNC', since: '4.0.0' },
          { name: 'sync', type: 'pure-token', token: 'SYNC', since: '6.2.0' },
        ],
      },
    ],
  },
  {
    name: 'swapdb',
    handler: swapdb,
    arity: 3,
    flags: ['write', 'fast'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'server',
    summary: 'Swaps two Redis databases',
    since: '4.0.0',
    complexity: 'O(N) where N is the count of clients watching or blocking on keys from both databases.',
    acl: ['@keyspace', '@dangerous'],
    args: [{ name: 'index1', type: 'integer' }, { name: 'index2', type: 'integer' }],
  },
  {
    name: 'shutdown',
    handler: shutdown,
    arity: -1,
    flags: ['admin', 'noscript', 'loading', 'stale', 'no_multi', 'allow_busy'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'server',
    summary: 'Synchronously save the dataset to disk and then shut down the server',
    since: '1.0.0',
    complexity: 'O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)',
    history: [['7.0.0', 'Added the `NOW`, `FORCE` and `ABORT` modifiers.']],
    args: [
      {
        name: 'nosave_save',
        type: 'oneof',
        flags: ['optional'],
        args: [
          { name: 'nosave', type: 'pure-token', token: 'NOSAVE' },
          { name: 'save', type: 'pure-token', token: 'SAVE' },
        ],
      },
      { name: 'now', type: 'pure-token', token: 'NOW', since: '7.0.0', flags: ['optional'] },
      { name: 'force', type: 'pure-token', token: 'FORCE', since: '7.0.0', flags: ['optional'] },
      { name: 'abort', type: 'pure-token', token: 'ABORT', since: '7.0.0', flags: ['optional'] },
    ],
  },
  {
    name: 'monitor',
    handler: monitor,
    arity: 1,
    flags: ['admin', 'noscript', 'loading', 'stale'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'server',
    summary: 'Listen for all requests received by the server in real time',
    since: '1.0.0',
    complexity: '',
  },
  {
    name: 'slowlog',
    arity: -2,
    flags: [],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'server',
    summary: 'A container for slow log commands',
    since: '2.2.12',
    complexity: 'Depends on subcommand.',
    subcommands: [
      {
        name: 'len',
        handler: (ctx) => ctx.reply.integer(ctx.env.slowlogLen()),
        arity: 2,
        flags: ['admin', 'loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'server',
        summary: "Get the slow log's length",
        since: '2.2.12',
        complexity: 'O(1)',
        tips: ['request_policy:all_nodes', 'response_policy:agg_sum', 'nondeterministic_output'],
      },
      {
        name: 'get',
        handler: slowlogGet,
        arity: -2,
        flags: ['admin', 'loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'server',
        summary: "Get the slow log's entries",
        since: '2.2.12',
        complexity: 'O(N) where N is the number of entries returned',
        tips: ['request_policy:all_nodes', 'nondeterministic_output'],
        history: [['4.0.0', 'Added client IP address, port and name to the reply.']],
        args: [{ name: 'count', type: 'integer', flags: ['optional'] }],
      },
      {
        name: 'reset',
        handler: (ctx) => {
          ctx.env.slowlogReset();
          ctx.reply.ok();
        },
        arity: 2,
        flags: ['admin', 'loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'server',
        summary: 'Clear all entries from the slow log',
        since: '2.2.12',
        complexity: 'O(N) where N is the number of entries in the slowlog',
        tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'],
      },
      {
        name: 'help',
        handler: (ctx) => replyHelp(ctx.reply, SLOWLOG_HELP),
        arity: 2,
        flags: ['loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'server',
        summary: 'Show helpful text about the different subcommands',
        since: '6.2.0',
        complexity: 'O(1)',
      },
    ],
  },
  {
    name: 'config',
    arity: -2,
    flags: [],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'server',
    summary: 'A container for server configuration commands',
    since: '2.0.0',
    complexity: 'Depends on subcommand.',
    subcommands: [
      {
        name: 'resetstat',
        handler: configResetstat,
        arity: 2,
        flags: ['admin', 'noscript', 'loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'server',
        summary: 'Reset the stats returned by INFO',
        since: '2.0.0',
        complexity: 'O(1)',
      },
      {
        name: 'get',
        handler: configGet,
        arity: -3,
        flags: ['admin', 'noscript', 'loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'server',
        summary: 'Get the values of configuration parameters',
        since: '2.0.0',
        complexity: 'O(N) when N is the number of configuration parameters provided',
        history: [['7.0.0', 'Added the ability to pass multiple pattern parameters in one call']],
        args: [
          {
            name: 'parameter',
            type: 'block',
            flags: ['multiple'],
            args: [{ name: 'parameter', type: 'string' }],
          },
        ],
      },
      {
        name: 'rewrite',
        handler: configRewrite,
        arity: 2,
        flags: ['admin', 'noscript', 'loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'server',
        summary: 'Rewrite the configuration file with the in memory configuration',
        since: '2.8.0',
        complexity: 'O(1)',
      },
      {
        name: 'set',
        handler: configSet,
        arity: -4,
        flags: ['admin', 'noscript', 'loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'server',
        summary: 'Set configuration parameters to the given values',
        since: '2.0.0',
        complexity: 'O(N) when N is the number of configuration parameters provided',
        tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'],
        history: [['7.0.0', 'Added the ability to set multiple parameters in one call.']],
        args: [
          {
            name: 'parameter_value',
            type: 'block',
            flags: ['multiple'],
            args: [{ name: 'parameter', type: 'string' }, { name: 'value', type: 'string' }],
          },
        ],
      },
      {
        name: 'help',
        handler: configHelp,
        arity: 2,
        flags: ['loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'server',
        summary: 'Show helpful text about the different subcommands',
        since: '5.0.0',
        complexity: 'O(1)',
      },
    ],
  },
  {
    name: 'info',
    handler: info,
    arity: -1,
    flags: ['loading', 'stale'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'server',
    summary: 'Get information and statistics about the server',
    since: '1.0.0',
    complexity: 'O(1)',
    acl: ['@dangerous'],
    tips: ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'],
    history: [['7.0.0', 'Added support for taking multiple section arguments.']],
    args: [{ name: 'section', type: 'string', flags: ['optional', 'multiple'] }],
  },
];
