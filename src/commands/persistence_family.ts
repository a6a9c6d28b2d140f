/**
 * SAVE, BGSAVE, LASTSAVE (Redis's rdb.c commands). The work is the process's persistence
 * (src/persistence/persistence.ts, reached as ctx.env.persistence): a fork-free snapshot
 * written by this process, a slice per event-loop turn for BGSAVE.
 */
import type { CommandContext, CommandDef } from './types.js';
import { ERR_SYNTAX, eqi } from './args.js';

function save(ctx: CommandContext): void {
  ctx.env.persistence.save();
  ctx.reply.ok();
}

function bgsave(ctx: CommandContext, argv: Buffer[]): void {
  let schedule = false;
  if (argv.length > 1) {
    if (argv.length === 2 && eqi(argv[1]!, 'schedule')) schedule = true;
    else {
      ctx.reply.error(ERR_SYNTAX);
      return;
    }
  }
  ctx.reply.simple(ctx.env.persistence.bgsave(schedule));
}

function lastsave(ctx: CommandContext): void {
  ctx.reply.integer(ctx.env.persistence.lastSave);
}

export const commands: CommandDef[] = [
  {
    name: 'save',
    handler: save,
    arity: 1,
    flags: ['admin', 'noscript', 'no_async_loading', 'no_multi'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'server',
    summary: 'Synchronously save the dataset to disk',
    since: '1.0.0',
    complexity: 'O(N) where N is the total number of keys in all databases',
  },
  {
    name: 'bgsave',
    handler: bgsave,
    arity: -1,
    flags: ['admin', 'noscript', 'no_async_loading'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'server',
    summary: 'Asynchronously save the dataset to disk',
    since: '1.0.0',
    complexity: 'O(1)',
    history: [['3.2.2', 'Added the `SCHEDULE` option.']],
    args: [{ name: 'schedule', type: 'pure-token', token: 'SCHEDULE', since: '3.2.2', flags: ['optional'] }],
  },
  {
    name: 'lastsave',
    handler: lastsave,
    arity: 1,
    flags: ['loading', 'stale', 'fast'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'server',
    summary: 'Get the UNIX time stamp of the last successful save to disk',
    since: '1.0.0',
    complexity: 'O(1)',
    acl: ['@admin', '@dangerous'],
    tips: ['nondeterministic_output'],
  },
];
