/**
 * The COMMAND family (COMMAND, COUNT, LIST, INFO, DOCS, GETKEYS, GETKEYSANDFLAGS, HELP):
 * answered from the registry's table in Redis 7.0's shapes. It lives beside the registry
 * it describes; the engine builds it bound to its own registry.
 */
import { stringMatch } from '../util/glob.js';
import { replyHelp } from '../commands/reply.js';
import type { CommandContext, CommandDef } from '../commands/types.js';
import { KEY_FLAG_ORDER, orderBy, type Command, type Registry } from './registry.js';

// ------------------------------------------------------------------------------ COMMAND family

function lower(b: Buffer): string {
  return b.toString('latin1').toLowerCase();
}

const COMMAND_HELP = [
  'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  '(no subcommand)',
  '    Return details about all Redis commands.',
  'COUNT',
  '    Return the total number of commands in this Redis server.',
  'LIST',
  '    Return a list of all commands in this Redis server.',
  'INFO [<command-name> ...]',
  '    Return details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'DOCS [<command-name> ...]',
  '    Return documentation details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'GETKEYS <full-command>',
  '    Return the keys from a full Redis command.',
  'GETKEYSANDFLAGS <full-command>',
  '    Return the keys and the access flags from a full Redis command.',
  'HELP',
  '    Prints this help.',
];

function getKeysCommand(reg: Registry, ctx: CommandContext, argv: Buffer[], withFlags: boolean): void {
  const w = ctx.reply;
  const args = argv.slice(2);
  const cmd = reg.lookupArgv(args);
  if (cmd === null) {
    w.error('ERR Invalid command specified');
    return;
  }
  if (!cmd.def.getKeys && cmd.keySpecs.length === 0) {
    w.error('ERR The command has no key arguments');
    return;
  }
  if ((cmd.arity > 0 && cmd.arity !== args.length) || args.length < -cmd.arity) {
    w.error('ERR Invalid number of arguments specified for command');
    return;
  }
  const keys = reg.getKeys(cmd, args);
  if (keys === null || keys.length === 0) {
    if (cmd.flags.has('no_mandatory_keys')) w.array(0);
    else w.error('ERR Invalid arguments specified for command');
    return;
  }
  w.array(keys.length);
  for (const k of keys) {
    if (withFlags) {
      w.array(2);
      w.bulk(args[k.pos]);
      const fl = orderBy(k.flags, KEY_FLAG_ORDER);
      w.set(fl.length);
      for (const f of fl) w.simple(f);
    } else {
      w.bulk(args[k.pos]);
    }
  }
}

const SUB_DOC: { group: string; acl: string[] } = { group: 'server', acl: ['@connection'] };

/** The COMMAND container and its subcommands (Redis group 'server', ACL @connection). */
export function commandFamily(registry: () => Registry): CommandDef[] {
  return [
  {
    name: 'command',
    arity: -1,
    flags: ['loading', 'stale'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    ...SUB_DOC,
    summary: 'Get array of Redis command details',
    since: '2.8.13',
    complexity: 'O(N) where N is the total number of Redis commands',
    tips: ['nondeterministic_output_order'],
    handler: (ctx) => {
      const reg = registry();
      ctx.reply.array(reg.commands.length);
      for (const c of reg.commands) reg.replyInfo(ctx.reply, c);
    },
    subcommands: [
      {
        name: 'count',
        arity: 2,
        flags: ['loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        ...SUB_DOC,
        summary: 'Get total number of Redis commands',
        since: '2.8.13',
        complexity: 'O(1)',
        handler: (ctx) => ctx.reply.integer(registry().commands.length),
      },
      {
        name: 'docs',
        arity: -2,
        flags: ['loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        ...SUB_DOC,
        summary: 'Get array of specific Redis command documentation',
        since: '7.0.0',
        complexity: 'O(N) where N is the number of commands to look up',
        tips: ['nondeterministic_output_order'],
        args: [{ name: 'command-name', type: 'string', flags: ['optional', 'multiple'] }],
        handler: (ctx, argv) => {
          const reg = registry();
          const w = ctx.reply;
          const list: Command[] = [];
          if (argv.length === 2) list.push(...reg.commands);
          else
            for (let i = 2; i < argv.length; i++) {
              const c = reg.byName(argv[i].toString('latin1'));
              if (c !== null) list.push(c);
            }
          w.map(list.length);
          for (const c of list) {
            w.bulk(c.fullName);
            reg.replyDocs(w, c);
          }
        },
      },
      {
        name: 'getkeys',
        arity: -4,
        flags: ['loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        ...SUB_DOC,
        summary: 'Extract keys given a full Redis command',
        since: '2.8.13',
        complexity: 'O(N) where N is the number of arguments to the command',
        handler: (ctx, argv) => getKeysCommand(registry(), ctx, argv, false),
      },
      {
        name: 'getkeysandflags',
        arity: -4,
        flags: ['loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        ...SUB_DOC,
        summary: 'Extract keys and access flags given a full Redis command',
        since: '7.0.0',
        complexity: 'O(N) where N is the number of arguments to the command',
        handler: (ctx, argv) => getKeysCommand(registry(), ctx, argv, true),
      },
      {
        name: 'help',
        arity: 2,
        flags: ['loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        ...SUB_DOC,
        summary: 'Show helpful text about the different subcommands',
        since: '5.0.0',
        complexity: 'O(1)',
        handler: (ctx) => replyHelp(ctx.reply, COMMAND_HELP),
      },
      {
        name: 'info',
        arity: -2,
        flags: ['loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        ...SUB_DOC,
        summary: 'Get array of specific Redis command details, or all when no argument is given.',
        since: '2.8.13',
        complexity: 'O(N) where N is the number of commands to look up',
        history: [['7.0.0', 'Allowed to be called with no argument to get info on all commands.']],
        tips: ['nondeterministic_output_order'],
        args: [{ name: 'command-name', type: 'string', flags: ['optional', 'multiple'] }],
        handler: (ctx, argv) => {
          const reg = registry();
          const w = ctx.reply;
          if (argv.length === 2) {
            w.array(reg.commands.length);
            for (const c of reg.commands) reg.replyInfo(w, c);
            return;
          }
          w.array(argv.length - 2);
          for (let i = 2; i < argv.length; i++) reg.replyInfo(w, reg.byName(argv[i].toString('latin1')));
        },
      },
      {
        name: 'list',
        arity: -2,
        flags: ['loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        ...SUB_DOC,
        summary: 'Get an array of Redis command names',
        since: '7.0.0',
        complexity: 'O(N) where N is the total number of Redis commands',
        tips: ['nondeterministic_output_order'],
        args: [
          {
            name: 'filterby',
            type: 'oneof',
            token: 'FILTERBY',
            flags: ['optional'],
            args: [
              { name: 'module-name', type: 'string', token: 'MODULE' },
              { name: 'category', type: 'string', token: 'ACLCAT' },
              { name: 'pattern', type: 'pattern', token: 'PATTERN' },
            ],
          },
        ],
        handler: (ctx, argv) => {
          const reg = registry();
          const w = ctx.reply;
          let filter: ((c: Command) => boolean) | null = null;
          for (let i = 2; i < argv.length; i++) {
            const more = argv.length - 1 - i;
            if (lower(argv[i]) === 'filterby' && more === 2) {
              const type = lower(argv[i + 1]);
              const arg = argv[i + 2];
              if (type === 'module') filter = () => false;
              else if (type === 'aclcat') {
                const cat = arg.toString('latin1').toLowerCase();
                filter = (c) => c.hasAclCategory(cat);
              } else if (type === 'pattern') filter = (c) => stringMatch(arg, c.fullName, true);
              else {
                w.error('ERR syntax error');
                return;
              }
              i += 2;
            } else {
              w.error('ERR syntax error');
              return;
            }
          }
          const names: string[] = [];
          for (const c of reg.all()) if (filter === null || filter(c)) names.push(c.fullName);
          w.array(names.length);
          for (const n of names) w.bulk(n);
        },
      },
    ],
  },
];
}
