/**
 * FUNCTION, as far as it goes before scripting exists: with no function library ever
 * loaded, FLUSH has nothing to delete (Redis's reply: OK) and LIST nothing to list. The
 * other subcommands (LOAD, DELETE, DUMP, RESTORE, STATS, KILL) come with scripting.
 */
import { replyHelp } from './reply.js';
import type { CommandContext, CommandDef } from './types.js';

const FUNCTION_HELP = [
  'FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
  '    Return general information on all the libraries (none: scripting is not available yet).',
  'FLUSH [ASYNC|SYNC]',
  '    Delete all the libraries.',
  'HELP',
  '    Prints this help.',
];

function functionFlush(ctx: CommandContext, argv: Buffer[]): void {
  if (argv.length > 3) {
    ctx.reply.error(`ERR unknown subcommand or wrong number of arguments for '${argv[1]!.toString('latin1')}'. Try FUNCTION HELP.`);
    return;
  }
  if (argv.length === 3) {
    const m = argv[2]!.toString('latin1').toLowerCase();
    if (m !== 'sync' && m !== 'async') {
      ctx.reply.error('ERR FUNCTION FLUSH only supports SYNC|ASYNC option');
      return;
    }
  }
  ctx.reply.ok();
}

function functionList(ctx: CommandContext, argv: Buffer[]): void {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i]!.toString('latin1').toLowerCase();
    if (a === 'withcode') continue;
    if (a === 'libraryname' && i + 1 < argv.length) {
      i++;
      continue;
    }
    ctx.reply.error(`ERR Unknown argument ${argv[i]!.toString('latin1')}`);
    return;
  }
  ctx.reply.array(0);
}

export const commands: CommandDef[] = [
  {
    name: 'function',
    arity: -2,
    flags: [],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'scripting',
    summary: 'A container for function commands',
    since: '7.0.0',
    complexity: 'Depends on subcommand.',
    subcommands: [
      {
        name: 'flush',
        handler: functionFlush,
        // no keyspace data is touched (functions are not stored yet)
        exec: false,
        arity: -2,
        flags: ['write', 'noscript'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'scripting',
        summary: 'Deleting all functions',
        since: '7.0.0',
        complexity: 'O(N) where N is the number of functions deleted',
        tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
        args: [
          {
            name: 'async',
            type: 'oneof',
            flags: ['optional'],
            args: [
              { name: 'async', type: 'pure-token', token: 'ASYNC' },
              { name: 'sync', type: 'pure-token', token: 'SYNC' },
            ],
          },
        ],
      },
      {
        name: 'list',
        handler: functionList,
        arity: -2,
        flags: ['noscript'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'scripting',
        summary: 'List information about all the functions',
        since: '7.0.0',
        complexity: 'O(N) where N is the number of functions',
        tips: ['nondeterministic_output_order'],
        args: [
          { name: 'library-name-pattern', type: 'string', token: 'LIBRARYNAME', flags: ['optional'] },
          { name: 'withcode', type: 'pure-token', token: 'WITHCODE', flags: ['optional'] },
        ],
      },
      {
        name: 'help',
        handler: (ctx: CommandContext) => replyHelp(ctx.reply, FUNCTION_HELP),
        arity: 2,
        flags: ['loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'scripting',
        summary: 'Show helpful text about the different subcommands',
        since: '7.0.0',
        complexity: 'O(1)',
      },
    ],
  },
];
