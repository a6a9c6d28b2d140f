/**
 * Connection commands, like Redis's networking.c / server.c: PING, ECHO, QUIT, RESET,
 * SELECT, HELLO, AUTH and the CLIENT container. They act on the caller's session; the
 * CLIENT subcommands about other connections (LIST, KILL, PAUSE...) need a server. The metadata of the table below is
 * Redis 7.0.15's (generated with test/helpers/gen-command-defs.ts from COMMAND INFO/DOCS).
 */

import { REDIS_VERSION } from '../config/config.js';
import { str2ll } from '../protocol/numbers.js';
import { replyHelp } from './reply.js';
import { requireServer, type CommandContext, type CommandDef, type ConnectedClient } from './types.js';
import { resetTransaction } from './transaction_family.js';
import { pubsubUnsubscribeAll } from './pubsub_family.js';
import { clientCaching, clientGetredir, clientTracking, clientTrackinginfo, trackingSessionGone } from './tracking.js';

const ERR_SYNTAX = 'ERR syntax error';

function lower(b: Buffer): string {
  return b.toString('latin1').toLowerCase();
}

/** A signed integer argument as Redis's string2ll, or null. */
function int(b: Buffer): number | null {
  const v = str2ll(b, 0, b.length);
  return v === null ? null : Number(v);
}

// ------------------------------------------------------------------------------ PING ECHO QUIT

function ping(ctx: CommandContext, argv: Buffer[]): void {
  if (argv.length > 2) {
    ctx.reply.error("ERR wrong number of arguments for 'ping' command");
    return;
  }
  if (ctx.session.subscribed && ctx.reply.resp === 2) {
    // subscribed mode (RESP2): a multi-bulk, as a message would be
    ctx.reply.array(2);
    ctx.reply.bulk('pong');
    ctx.reply.bulk(argv.length === 1 ? '' : argv[1]!);
    return;
  }
  if (argv.length === 1) ctx.reply.pong();
  else ctx.reply.bulk(argv[1]);
}

function echo(ctx: CommandContext, argv: Buffer[]): void {
  ctx.reply.bulk(argv[1]);
}

function quit(ctx: CommandContext): void {
  ctx.reply.ok();
  ctx.session.closeAfterReply = true;
}

/** Back to a fresh connection's state (RESET). */
export function resetClient(ctx: CommandContext): void {
  const c = ctx.session;
  resetTransaction(c);
  pubsubUnsubscribeAll(c);
  trackingSessionGone(ctx.ks, c);
  c.db = 0;
  c.resp = 2;
  c.name = '';
  c.replyOff = false;
  c.replySkipNext = false;
  c.noEvict = false;
  if (c.monitor) {
    c.monitor = false;
    ctx.server?.removeMonitor(c);
  }
  c.setAuthenticated(ctx.env.config.str('requirepass') === '');
}

function reset(ctx: CommandContext): void {
  resetClient(ctx);
  ctx.reply.simple('RESET');
}

// ------------------------------------------------------------------------------ SELECT

function select(ctx: CommandContext, argv: Buffer[]): void {
  const id = int(argv[1]);
  if (id === null) {
    ctx.reply.error('ERR value is not an integer or out of range');
    return;
  }
  if (id < -2147483648 || id > 2147483647) {
    ctx.reply.error('ERR value is out of range, value must between -2147483648 and 2147483647');
    return;
  }
  if (id < 0 || id >= ctx.ks.databases) {
    ctx.reply.error('ERR DB index is out of range');
    return;
  }
  ctx.session.db = id;
  ctx.reply.ok();
}

// ------------------------------------------------------------------------------ AUTH HELLO

/** Check a user/password pair against the default user (requirepass). */
function authenticate(ctx: CommandContext, user: Buffer, pass: Buffer): boolean {
  const required = ctx.env.config.str('requirepass');
  if (user.toString('utf8') !== 'default') return false;
  if (required !== '' && !pass.equals(Buffer.from(required, 'utf8'))) return false;
  ctx.session.setAuthenticated(true, 'default');
  return true;
}

function auth(ctx: CommandContext, argv: Buffer[]): void {
  if (argv.length > 3) {
    ctx.reply.error(ERR_SYNTAX);
    return;
  }
  // the arguments are secrets: never in SLOWLOG
  for (let i = 1; i < argv.length; i++) ctx.session.redactArg(i);
  let user: Buffer;
  let pass: Buffer;
  if (argv.length === 2) {
    if (ctx.env.config.str('requirepass') === '') {
      ctx.reply.error(
        'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
      );
      return;
    }
    user = Buffer.from('default');
    pass = argv[1];
  } else {
    user = argv[1];
    pass = argv[2];
  }
  if (authenticate(ctx, user, pass)) ctx.reply.ok();
  else ctx.reply.error('WRONGPASS invalid username-password pair or user is disabled.');
}

const NAME_ERROR = 'ERR Client names cannot contain spaces, newlines or special characters.';

function validName(b: Buffer): boolean {
  for (const c of b) if (c < 33 || c > 126) return false;
  return true;
}

function hello(ctx: CommandContext, argv: Buffer[]): void {
  const w = ctx.reply;
  const c = ctx.session;
  let ver = 0;
  let next = 1;
  if (argv.length >= 2) {
    const v = int(argv[next++]);
    if (v === null) {
      w.error('ERR Protocol version is not an integer or out of range');
      return;
    }
    if (v < 2 || v > 3) {
      w.error('NOPROTO unsupported protocol version');
      return;
    }
    ver = v;
  }
  let user: Buffer | null = null;
  let pass: Buffer | null = null;
  let name: Buffer | null = null;
  for (let j = next; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const opt = lower(argv[j]);
    if (opt === 'auth' && more >= 2) {
      c.redactArg(j + 1);
      c.redactArg(j + 2);
      user = argv[j + 1];
      pass = argv[j + 2];
      j += 2;
    } else if (opt === 'setname' && more >= 1) {
      name = argv[j + 1];
      if (!validName(name)) {
        w.error(NAME_ERROR);
        return;
      }
      j++;
    } else {
      w.errorBytes(Buffer.concat([Buffer.from("ERR Syntax error in HELLO option '"), cstr(argv[j]), Buffer.from("'")]));
      return;
    }
  }
  if (user !== null && pass !== null && !authenticate(ctx, user, pass)) {
    w.error('WRONGPASS invalid username-password pair or user is disabled.');
    return;
  }
  if (!c.authenticated) {
    w.error(
      'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    );
    return;
  }
  if (name !== null) c.name = name.toString('latin1');
  if (ver) c.resp = ver as 2 | 3;
  w.map(7);
  w.bulk('server');
  w.bulk('redis');
  w.bulk('version');
  w.bulk(REDIS_VERSION);
  w.bulk('proto');
  w.integer(c.resp);
  w.bulk('id');
  w.integer(c.id);
  w.bulk('mode');
  w.bulk('standalone');
  w.bulk('role');
  w.bulk('master');
  w.bulk('modules');
  w.array(0);
}

function cstr(b: Buffer): Buffer {
  const n = b.indexOf(0);
  return n < 0 ? b : b.subarray(0, n);
}

// ------------------------------------------------------------------------------ CLIENT

type ClientType = 'normal' | 'master' | 'replica' | 'pubsub';

function clientType(name: string): ClientType | null {
  switch (name.toLowerCase()) {
    case 'normal':
      return 'normal';
    case 'slave':
    case 'replica':
      return 'replica';
    case 'master':
      return 'master';
    case 'pubsub':
      return 'pubsub';
    default:
      return null;
  }
}

/** Type of a client for CLIENT LIST/KILL TYPE (no replication here: normal or pubsub). */
function typeOf(c: ConnectedClient): ClientType {
  return c.subscribed ? 'pubsub' : 'normal';
}

function clientId(ctx: CommandContext): void {
  ctx.reply.integer(ctx.session.id);
}

function clientSetname(ctx: CommandContext, argv: Buffer[]): void {
  if (!validName(argv[2])) {
    ctx.reply.error(NAME_ERROR);
    return;
  }
  ctx.session.name = argv[2].toString('latin1');
  ctx.reply.ok();
}

function clientGetname(ctx: CommandContext): void {
  if (ctx.session.name === '') ctx.reply.nullBulk();
  else ctx.reply.bulk(Buffer.from(ctx.session.name, 'latin1'));
}

function clientList(ctx: CommandContext, argv: Buffer[]): void {
  const clients = requireServer(ctx, 'CLIENT LIST').clients;
  const now = Date.now();
  let text = '';
  if (argv.length === 4 && lower(argv[2]) === 'type') {
    const t = clientType(argv[3].toString('latin1'));
    if (t === null) {
      ctx.reply.errorBytes(Buffer.concat([Buffer.from("ERR Unknown client type '"), cstr(argv[3]), Buffer.from("'")]));
      return;
    }
    for (const c of clients.values()) if (typeOf(c) === t) text += c.infoLine(now) + '\n';
  } else if (argv.length > 3 && lower(argv[2]) === 'id') {
    for (let j = 3; j < argv.length; j++) {
      const id = int(argv[j]);
      if (id === null) {
        ctx.reply.error('ERR Invalid client ID');
        return;
      }
      const c = clients.get(id);
      if (c) text += c.infoLine(now) + '\n';
    }
  } else if (argv.length !== 2) {
    ctx.reply.error(ERR_SYNTAX);
    return;
  } else {
    for (const c of clients.values()) text += c.infoLine(now) + '\n';
  }
  ctx.reply.verbatim(Buffer.from(text, 'latin1'), 'txt');
}

function clientInfo(ctx: CommandContext): void {
  const me = requireServer(ctx, 'CLIENT INFO').clients.get(ctx.session.id);
  ctx.reply.verbatim(Buffer.from((me?.infoLine(Date.now()) ?? '') + '\n', 'latin1'), 'txt');
}

function clientKill(ctx: CommandContext, argv: Buffer[]): void {
  const w = ctx.reply;
  let addr: string | null = null;
  let laddr: string | null = null;
  let type: ClientType | null = null;
  let id = 0;
  let user: string | null = null;
  let skipme = true;
  if (argv.length === 3) {
    addr = argv[2].toString('latin1');
    skipme = false;
  } else if (argv.length > 3) {
    for (let i = 2; i < argv.length; i += 2) {
      const more = argv.length > i + 1;
      const opt = lower(argv[i]);
      if (opt === 'id' && more) {
        const v = int(argv[i + 1]);
        if (v === null || v < 1) {
          w.error('ERR client-id should be greater than 0');
          return;
        }
        id = v;
      } else if (opt === 'type' && more) {
        type = clientType(argv[i + 1].toString('latin1'));
        if (type === null) {
          w.errorBytes(Buffer.concat([Buffer.from("ERR Unknown client type '"), cstr(argv[i + 1]), Buffer.from("'")]));
          return;
        }
      } else if (opt === 'addr' && more) {
        addr = argv[i + 1].toString('latin1');
      } else if (opt === 'laddr' && more) {
        laddr = argv[i + 1].toString('latin1');
      } else if (opt === 'user' && more) {
        user = argv[i + 1].toString('utf8');
        if (user !== 'default') {
          w.errorBytes(Buffer.concat([Buffer.from("ERR No such user '"), cstr(argv[i + 1]), Buffer.from("'")]));
          return;
        }
      } else if (opt === 'skipme' && more) {
        const v = lower(argv[i + 1]);
        if (v === 'yes') skipme = true;
        else if (v === 'no') skipme = false;
        else {
          w.error(ERR_SYNTAX);
          return;
        }
      } else {
        w.error(ERR_SYNTAX);
        return;
      }
    }
  } else {
    w.error(ERR_SYNTAX);
    return;
  }
  const server = requireServer(ctx, 'CLIENT KILL');
  const me = ctx.session;
  let killed = 0;
  let closeMe = false;
  for (const c of [...server.clients.values()]) {
    if (addr !== null && c.addr !== addr) continue;
    if (laddr !== null && c.laddr !== laddr) continue;
    if (type !== null && typeOf(c) !== type) continue;
    if (id !== 0 && c.id !== id) continue;
    if (user !== null && c.user !== user) continue;
    if (c === me && skipme) continue;
    if (c === me) closeMe = true;
    else server.freeClient(c);
    killed++;
  }
  if (argv.length === 3) {
    if (killed === 0) w.error('ERR No such client');
    else w.ok();
  } else {
    w.integer(killed);
  }
  if (closeMe) me.closeAfterReply = true;
}

function clientReply(ctx: CommandContext, argv: Buffer[]): void {
  const c = ctx.session;
  const v = lower(argv[2]);
  if (v === 'on') {
    c.replyOff = false;
    c.replySkipNext = false;
    c.replySkip = false;
    ctx.reply.ok();
  } else if (v === 'off') {
    c.replyOff = true;
  } else if (v === 'skip') {
    if (!c.replyOff) c.replySkipNext = true;
  } else {
    ctx.reply.error(ERR_SYNTAX);
  }
}

function clientNoEvict(ctx: CommandContext, argv: Buffer[]): void {
  const v = lower(argv[2]);
  if (v === 'on') ctx.session.noEvict = true;
  else if (v === 'off') ctx.session.noEvict = false;
  else {
    ctx.reply.error(ERR_SYNTAX);
    return;
  }
  ctx.reply.ok();
}

function clientPause(ctx: CommandContext, argv: Buffer[]): void {
  const ms = int(argv[2]);
  if (ms === null) {
    ctx.reply.error('ERR timeout is not an integer or out of range');
    return;
  }
  if (ms < 0) {
    ctx.reply.error('ERR timeout is negative');
    return;
  }
  let writeOnly = false;
  if (argv.length === 4) {
    const m = lower(argv[3]);
    if (m === 'write') writeOnly = true;
    else if (m !== 'all') {
      ctx.reply.error('ERR CLIENT PAUSE mode must be WRITE or ALL');
      return;
    }
  } else if (argv.length > 4) {
    ctx.reply.error(ERR_SYNTAX);
    return;
  }
  requireServer(ctx, 'CLIENT PAUSE').pause(ms, writeOnly);
  ctx.reply.ok();
}

function clientUnpause(ctx: CommandContext): void {
  requireServer(ctx, 'CLIENT UNPAUSE').unpause();
  ctx.reply.ok();
}

function clientUnblock(ctx: CommandContext, argv: Buffer[]): void {
  const id = int(argv[2]);
  if (id === null) {
    ctx.reply.error('ERR value is not an integer or out of range');
    return;
  }
  let error = false;
  if (argv.length === 4) {
    const m = lower(argv[3]);
    if (m !== 'timeout' && m !== 'error') {
      ctx.reply.error('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
      return;
    }
    error = m === 'error';
  }
  // (a library process has no blocked clients: nothing to unblock)
  ctx.reply.integer(ctx.server !== null && ctx.server.unblockClient(id, error) ? 1 : 0);
}

const CLIENT_HELP = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CACHING (YES|NO)',
  '    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.',
  'GETREDIR',
  '    Return the client ID we are redirecting to when tracking is enabled.',
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'KILL <ip:port>',
  '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]',
  '    Kill connections. Options are:',
  '    * ADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made from the specified address',
  '    * LADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made to specified local address',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Kill connections by type.',
  '    * USER <username>',
  '      Kill connections authenticated by <username>.',
  '    * SKIPME (YES|NO)',
  '      Skip killing current connection (default: yes).',
  'LIST [options ...]',
  '    Return information about client connections. Options:',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Return clients of specified type.',
  'UNPAUSE',
  '    Stop the current client pause, resuming traffic.',
  'PAUSE <timeout> [WRITE|ALL]',
  '    Suspend all, or just write, clients for <timeout> milliseconds.',
  'REPLY (ON|OFF|SKIP)',
  '    Control the replies sent to the current connection.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]',
  '    Unblock the specified blocked client.',
  'TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]',
  '         [OPTIN] [OPTOUT] [NOLOOP]',
  '    Control server assisted client side caching.',
  'TRACKINGINFO',
  '    Report tracking status for the current connection.',
  'NO-EVICT (ON|OFF)',
  '    Protect current client connection from eviction.',
  'HELP',
  '    Prints this help.',
];

function clientHelp(ctx: CommandContext): void {
  replyHelp(ctx.reply, CLIENT_HELP);
}

// ------------------------------------------------------------------------------ the table

export const commands: CommandDef[] = [
  {
    name: 'ping',
    handler: ping,
    arity: -1,
    flags: ['fast'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'connection',
    summary: 'Ping the server',
    since: '1.0.0',
    complexity: 'O(1)',
    tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
    args: [{ name: 'message', type: 'string', flags: ['optional'] }],
  },
  {
    name: 'echo',
    handler: echo,
    arity: 2,
    flags: ['loading', 'stale', 'fast'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'connection',
    summary: 'Echo the given string',
    since: '1.0.0',
    complexity: 'O(1)',
    args: [{ name: 'message', type: 'string' }],
  },
  {
    name: 'quit',
    handler: quit,
    arity: -1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'connection',
    summary: 'Close the connection',
    since: '1.0.0',
    complexity: 'O(1)',
  },
  {
    name: 'reset',
    handler: reset,
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'connection',
    summary: 'Reset the connection',
    since: '6.2.0',
    complexity: 'O(1)',
  },
  {
    name: 'select',
    handler: select,
    arity: 2,
    flags: ['loading', 'stale', 'fast'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'connection',
    summary: 'Change the selected database for the current connection',
    since: '1.0.0',
    complexity: 'O(1)',
    args: [{ name: 'index', type: 'integer' }],
  },
  {
    name: 'hello',
    handler: hello,
    arity: -1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'connection',
    summary: 'Handshake with Redis',
    since: '6.0.0',
    complexity: 'O(1)',
    history: [
      [
        '6.2.0',
        '`protover` made optional; when called without arguments the command reports the current connection\'s context.',
      ],
    ],
    args: [
      {
        name: 'arguments',
        type: 'block',
        flags: ['optional'],
        args: [
          { name: 'protover', type: 'integer' },
          {
            name: 'username_password',
            type: 'block',
            token: 'AUTH',
            flags: ['optional'],
            args: [{ name: 'username', type: 'string' }, { name: 'password', type: 'string' }],
          },
          { name: 'clientname', type: 'string', token: 'SETNAME', flags: ['optional'] },
        ],
      },
    ],
  },
  {
    name: 'auth',
    handler: auth,
    arity: -2,
    flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'connection',
    summary: 'Authenticate to the server',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of passwords defined for the user',
    history: [['6.0.0', 'Added ACL style (username and password).']],
    args: [
      { name: 'username', type: 'string', since: '6.0.0', flags: ['optional'] },
      { name: 'password', type: 'string' },
    ],
  },
  {
    name: 'client',
    arity: -2,
    flags: [],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'connection',
    summary: 'A container for client connection commands',
    since: '2.4.0',
    complexity: 'Depends on subcommand.',
    subcommands: [
      {
        name: 'pause',
        handler: clientPause,
        arity: -3,
        flags: ['admin', 'noscript', 'loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'connection',
        summary: 'Stop processing commands from clients for some time',
        since: '2.9.50',
        complexity: 'O(1)',
        history: [['6.2.0', '`CLIENT PAUSE WRITE` mode added along with the `mode` option.']],
        args: [
          { name: 'timeout', type: 'integer' },
          {
            name: 'mode',
            type: 'oneof',
            since: '6.2.0',
            flags: ['optional'],
            args: [
              { name: 'write', type: 'pure-token', token: 'WRITE' },
              { name: 'all', type: 'pure-token', token: 'ALL' },
            ],
          },
        ],
      },
      {
        name: 'no-evict',
        handler: clientNoEvict,
        arity: 3,
        flags: ['admin', 'noscript', 'loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'connection',
        summary: 'Set client eviction mode for the current connection',
        since: '7.0.0',
        complexity: 'O(1)',
        args: [
          {
            name: 'enabled',
            type: 'oneof',
            args: [
              { name: 'on', type: 'pure-token', token: 'ON' },
              { name: 'off', type: 'pure-token', token: 'OFF' },
            ],
          },
        ],
      },
      {
        name: 'id',
        handler: clientId,
        arity: 2,
        flags: ['noscript', 'loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'connection',
        summary: 'Returns the client ID for the current connection',
        since: '5.0.0',
        complexity: 'O(1)',
      },
      {
        name: 'unpause',
        handler: clientUnpause,
        arity: 2,
        flags: ['admin', 'noscript', 'loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'connection',
        summary: 'Resume processing of clients that were paused',
        since: '6.2.0',
        complexity: 'O(N) Where N is the number of paused clients',
      },
      {
        name: 'tracking',
        handler: clientTracking,
        arity: -3,
        flags: ['noscript', 'loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'connection',
        summary: 'Enable or disable server assisted client side caching support',
        since: '6.0.0',
        complexity: 'O(1). Some options may introduce additional complexity.',
        args: [
          {
            name: 'status',
            type: 'oneof',
            args: [
              { name: 'on', type: 'pure-token', token: 'ON' },
              { name: 'off', type: 'pure-token', token: 'OFF' },
            ],
          },
          { name: 'client-id', type: 'integer', token: 'REDIRECT', flags: ['optional'] },
          { name: 'prefix', type: 'string', token: 'PREFIX', flags: ['optional', 'multiple', 'multiple_token'] },
          { name: 'bcast', type: 'pure-token', token: 'BCAST', flags: ['optional'] },
          { name: 'optin', type: 'pure-token', token: 'OPTIN', flags: ['optional'] },
          { name: 'optout', type: 'pure-token', token: 'OPTOUT', flags: ['optional'] },
          { name: 'noloop', type: 'pure-token', token: 'NOLOOP', flags: ['optional'] },
        ],
      },
      {
        name: 'caching',
        handler: clientCaching,
        arity: 3,
        flags: ['noscript', 'loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'connection',
        summary: 'Instruct the server about tracking or not keys in the next request',
        since: '6.0.0',
        complexity: 'O(1)',
        args: [
          {
            name: 'mode',
            type: 'oneof',
            args: [
              { name: 'yes', type: 'pure-token', token: 'YES' },
              { name: 'no', type: 'pure-token', token: 'NO' },
            ],
          },
        ],
      },
      {
        name: 'getredir',
        handler: clientGetredir,
        arity: 2,
        flags: ['noscript', 'loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'connection',
        summary: 'Get tracking notifications redirection client ID if any',
        since: '6.0.0',
        complexity: 'O(1)',
      },
      {
        name: 'reply',
        handler: clientReply,
        arity: 3,
        flags: ['noscript', 'loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'connection',
        summary: 'Instruct the server whether to reply to commands',
        since: '3.2.0',
        complexity: 'O(1)',
        args: [
          {
            name: 'on_off_skip',
            type: 'oneof',
            args: [
              { name: 'on', type: 'pure-token', token: 'ON' },
              { name: 'off', type: 'pure-token', token: 'OFF' },
              { name: 'skip', type: 'pure-token', token: 'SKIP' },
            ],
          },
        ],
      },
      {
        name: 'getname',
        handler: clientGetname,
        arity: 2,
        flags: ['noscript', 'loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'connection',
        summary: 'Get the current connection name',
        since: '2.6.9',
        complexity: 'O(1)',
      },
      {
        name: 'help',
        handler: clientHelp,
        arity: 2,
        flags: ['loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'connection',
        summary: 'Show helpful text about the different subcommands',
        since: '5.0.0',
        complexity: 'O(1)',
      },
      {
        name: 'list',
        handler: clientList,
        arity: -2,
        flags: ['admin', 'noscript', 'loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'connection',
        summary: 'Get the list of client connections',
        since: '2.4.0',
        complexity: 'O(N) where N is the number of client connections',
        tips: ['nondeterministic_output'],
        history: [
          ['2.8.12', 'Added unique client `id` field.'],
          ['5.0.0', 'Added optional `TYPE` filter.'],
          ['6.0.0', 'Added `user` field.'],
          ['6.2.0', 'Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter.'],
          ['7.0.0', 'Added `resp`, `multi-mem`, `rbs` and `rbp` fields.'],
          ['7.0.3', 'Added `ssub` field.'],
        ],
        args: [
          {
            name: 'normal_master_replica_pubsub',
            type: 'oneof',
            token: 'TYPE',
            since: '5.0.0',
            flags: ['optional'],
            args: [
              { name: 'normal', type: 'pure-token', token: 'NORMAL' },
              { name: 'master', type: 'pure-token', token: 'MASTER' },
              { name: 'replica', type: 'pure-token', token: 'REPLICA' },
              { name: 'pubsub', type: 'pure-token', token: 'PUBSUB' },
            ],
          },
          {
            name: 'id',
            type: 'block',
            token: 'ID',
            since: '6.2.0',
            flags: ['optional'],
            args: [{ name: 'client-id', type: 'integer', flags: ['multiple'] }],
          },
        ],
      },
      {
        name: 'trackinginfo',
        handler: clientTrackinginfo,
        arity: 2,
        flags: ['noscript', 'loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'connection',
        summary: 'Return information about server assisted client side caching for the current connection',
        since: '6.2.0',
        complexity: 'O(1)',
      },
      {
        name: 'setname',
        handler: clientSetname,
        arity: 3,
        flags: ['noscript', 'loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'connection',
        summary: 'Set the current connection name',
        since: '2.6.9',
        complexity: 'O(1)',
        args: [{ name: 'connection-name', type: 'string' }],
      },
      {
        name: 'unblock',
        handler: clientUnblock,
        arity: -3,
        flags: ['admin', 'noscript', 'loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'connection',
        summary: 'Unblock a client blocked in a blocking command from a different connection',
        since: '5.0.0',
        complexity: 'O(log N) where N is the number of client connections',
        args: [
          { name: 'client-id', type: 'integer' },
          {
            name: 'timeout_error',
            type: 'oneof',
            flags: ['optional'],
            args: [
              { name: 'timeout', type: 'pure-token', token: 'TIMEOUT' },
              { name: 'error', type: 'pure-token', token: 'ERROR' },
            ],
          },
        ],
      },
      {
        name: 'info',
        handler: clientInfo,
        arity: 2,
        flags: ['noscript', 'loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'connection',
        summary: 'Returns information about the current client connection.',
        since: '6.2.0',
        complexity: 'O(1)',
        tips: ['nondeterministic_output'],
      },
      {
        name: 'kill',
        handler: clientKill,
        arity: -3,
        flags: ['admin', 'noscript', 'loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        keyStep: 0,
        group: 'connection',
        summary: 'Kill the connection of a client',
        since: '2.4.0',
        complexity: 'O(N) where N is the number of client connections',
        history: [
          ['2.8.12', 'Added new filter format.'],
          ['2.8.12', '`ID` option.'],
          ['3.2.0', 'Added `master` type in for `TYPE` option.'],
          [
            '5.0.0',
            'Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility.',
          ],
          ['6.2.0', '`LADDR` option.'],
        ],
        args: [
          {
            name: 'filter',
            type: 'oneof',
            args: [
              { name: 'ip:port', type: 'string', deprecatedSince: '2.8.12' },
              {
                name: 'new-format',
                type: 'oneof',
                flags: ['multiple'],
                args: [
                  { name: 'client-id', type: 'integer', token: 'ID', since: '2.8.12', flags: ['optional'] },
                  {
                    name: 'normal_master_slave_pubsub',
                    type: 'oneof',
                    token: 'TYPE',
                    since: '2.8.12',
                    flags: ['optional'],
                    args: [
                      { name: 'normal', type: 'pure-token', token: 'NORMAL' },
                      { name: 'master', type: 'pure-token', token: 'MASTER', since: '3.2.0' },
                      { name: 'slave', type: 'pure-token', token: 'SLAVE' },
                      { name: 'replica', type: 'pure-token', token: 'REPLICA', since: '5.0.0' },
                      { name: 'pubsub', type: 'pure-token', token: 'PUBSUB' },
                    ],
                  },
                  { name: 'username', type: 'string', token: 'USER', flags: ['optional'] },
                  { name: 'ip:port', type: 'string', token: 'ADDR', flags: ['optional'] },
                  { name: 'ip:port', type: 'string', token: 'LADDR', since: '6.2.0', flags: ['optional'] },
                  { name: 'yes/no', type: 'string', token: 'SKIPME', flags: ['optional'] },
                ],
              },
            ],
          },
        ],
      },
    ],
  },
];
