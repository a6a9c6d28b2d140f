/**
 * Pub/sub commands, as Redis 7.0's pubsub.c: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE
 * SSUBSCRIBE SUNSUBSCRIBE PUBLISH SPUBLISH and the PUBSUB container. Subscriptions are the
 * session's (SessionPubsub below) and its process's hub's (src/pubsub/hub.ts), which
 * registers them in the segment so that a PUBLISH by any process counts them and reaches
 * them through the shared ring. Nothing here knows sockets: a message is written to the
 * session's reply sink and the session's `onPush` (set by the server) sends it.
 *
 * A library session cannot subscribe through a command (it has no connection to push to:
 * Redis's "DENY BLOCKING" client); the library has kv.subscribe() instead.
 */
import type { Keyspace } from '../keyspace/keyspace.js';
import { stringMatch } from '../util/glob.js';
import { hubOf, existingHub, K_CHANNEL, K_PATTERN, K_SHARD, type PubsubReceiver, type SubKind } from '../pubsub/hub.js';
import { replyHelp } from './reply.js';
import type { Session } from './session.js';
import type { CommandContext, CommandDef } from './types.js';

/** A session's subscriptions; it receives its messages as pushes (RESP3) or arrays (RESP2). */
export class SessionPubsub implements PubsubReceiver {
  readonly channels = new Map<string, Buffer>();
  readonly patterns = new Map<string, Buffer>();
  readonly shard = new Map<string, Buffer>();

  constructor(
    private readonly s: Session,
    readonly ks: Keyspace,
  ) {}

  /** Channels + patterns (what SUBSCRIBE / UNSUBSCRIBE replies count). */
  get count(): number {
    return this.channels.size + this.patterns.size;
  }

  get total(): number {
    return this.channels.size + this.patterns.size + this.shard.size;
  }

  mapOf(kind: SubKind): Map<string, Buffer> {
    return kind === K_CHANNEL ? this.channels : kind === K_PATTERN ? this.patterns : this.shard;
  }

  message(type: 'message' | 'pmessage' | 'smessage', pattern: Buffer | null, channel: Buffer, message: Buffer): void {
    const w = this.s.reply;
    const n = pattern === null ? 3 : 4;
    if (w.resp === 3) w.push(n);
    else w.array(n);
    w.bulk(type);
    if (pattern !== null) w.bulk(pattern);
    w.bulk(channel);
    w.bulk(message);
    this.s.onPush?.();
  }

  lost(): void {
    this.s.onPubsubLost?.();
  }
}

function stateOf(ctx: CommandContext): SessionPubsub {
  const s = ctx.session;
  let st = s.pubsub as SessionPubsub | null;
  if (st === null || st.ks !== ctx.ks) s.pubsub = st = new SessionPubsub(s, ctx.ks);
  return st;
}

/** The subscribe / unsubscribe confirmation: [kind, name or nil, count]. */
function confirm(ctx: CommandContext, what: string, name: Buffer | null, count: number): void {
  const w = ctx.reply;
  ctx.session.pushedReply = true;
  if (w.resp === 3) w.push(3);
  else w.array(3);
  w.bulk(what);
  if (name === null) w.nullBulk();
  else w.bulk(name);
  w.integer(count);
}

function updateMode(s: Session, st: SessionPubsub): void {
  s.subscribed = st.total > 0;
}

function subscribeTo(ctx: CommandContext, kind: SubKind, argv: Buffer[], what: string): void {
  const st = stateOf(ctx);
  const hub = hubOf(ctx.ks);
  const map = st.mapOf(kind);
  for (let i = 1; i < argv.length; i++) {
    const name = Buffer.from(argv[i]!);
    const key = name.toString('latin1');
    if (!map.has(key)) {
      hub.add(st, kind, name);
      map.set(key, name);
    }
    ctx.session.subscribed = true;
    confirm(ctx, what, name, kind === K_SHARD ? st.shard.size : st.count);
  }
}

function unsubscribeFrom(ctx: CommandContext, kind: SubKind, argv: Buffer[], what: string): void {
  const st = stateOf(ctx);
  const hub = hubOf(ctx.ks);
  const map = st.mapOf(kind);
  const count = (): number => (kind === K_SHARD ? st.shard.size : st.count);
  const names = argv.length > 1 ? argv.slice(1) : [...map.values()];
  if (names.length === 0) {
    confirm(ctx, what, null, count());
    updateMode(ctx.session, st);
    return;
  }
  for (const n of names) {
    const key = n.toString('latin1');
    if (map.has(key)) {
      map.delete(key);
      hub.remove(st, kind, n);
    }
    confirm(ctx, what, n, count());
  }
  updateMode(ctx.session, st);
}

/** Leave every subscription without replying (RESET, a closed connection). */
export function pubsubUnsubscribeAll(s: Session): void {
  const st = s.pubsub as SessionPubsub | null;
  if (st === null) return;
  const hub = existingHub(st.ks);
  if (hub !== undefined) {
    for (const [kind, map] of [
      [K_CHANNEL, st.channels],
      [K_PATTERN, st.patterns],
      [K_SHARD, st.shard],
    ] as const) {
      for (const name of map.values()) hub.remove(st, kind, name);
    }
  }
  st.channels.clear();
  st.patterns.clear();
  st.shard.clear();
  s.subscribed = false;
}

/** Subscriptions of a session for CLIENT LIST: [sub, psub, ssub]. */
export function pubsubCounts(s: Session): [number, number, number] {
  const st = s.pubsub as SessionPubsub | null;
  return st === null ? [0, 0, 0] : [st.channels.size, st.patterns.size, st.shard.size];
}

/** Redis's CLIENT_DENY_BLOCKING: a caller that expects one reply per command. */
function denied(ctx: CommandContext, name: string, multiOk: boolean): boolean {
  const s = ctx.session;
  const deny = !s.canBlock || (!multiOk && s.nestedCalls > 0);
  if (!deny) return false;
  ctx.reply.error(`ERR ${name} isn't allowed for a DENY BLOCKING client`);
  return true;
}

function subscribe(ctx: CommandContext, argv: Buffer[]): void {
  if (denied(ctx, 'SUBSCRIBE', true)) return;
  subscribeTo(ctx, K_CHANNEL, argv, 'subscribe');
}

function psubscribe(ctx: CommandContext, argv: Buffer[]): void {
  if (denied(ctx, 'PSUBSCRIBE', true)) return;
  subscribeTo(ctx, K_PATTERN, argv, 'psubscribe');
}

function ssubscribe(ctx: CommandContext, argv: Buffer[]): void {
  if (denied(ctx, 'SSUBSCRIBE', false)) return;
  subscribeTo(ctx, K_SHARD, argv, 'ssubscribe');
}

function unsubscribe(ctx: CommandContext, argv: Buffer[]): void {
  unsubscribeFrom(ctx, K_CHANNEL, argv, 'unsubscribe');
}

function punsubscribe(ctx: CommandContext, argv: Buffer[]): void {
  unsubscribeFrom(ctx, K_PATTERN, argv, 'punsubscribe');
}

function sunsubscribe(ctx: CommandContext, argv: Buffer[]): void {
  unsubscribeFrom(ctx, K_SHARD, argv, 'sunsubscribe');
}

function publish(ctx: CommandContext, argv: Buffer[]): void {
  ctx.reply.integer(hubOf(ctx.ks).publish(false, argv[1]!, argv[2]!));
}

function spublish(ctx: CommandContext, argv: Buffer[]): void {
  ctx.reply.integer(hubOf(ctx.ks).publish(true, argv[1]!, argv[2]!));
}

function channelsOf(ctx: CommandContext, kind: SubKind, argv: Buffer[]): void {
  if (argv.length > 3) {
    // (Redis's addReplySubcommandSyntaxError: the subcommand as typed)
    ctx.reply.errorBytes(Buffer.concat([Buffer.from("ERR unknown subcommand or wrong number of arguments for '"), argv[1]!.subarray(0, 128), Buffer.from("'. Try PUBSUB HELP.")]));
    return;
  }
  const pat = argv.length > 2 ? argv[2]! : null;
  const names = hubOf(ctx.ks)
    .names(kind)
    .filter((n) => pat === null || stringMatch(pat, n));
  ctx.reply.array(names.length);
  for (const n of names) ctx.reply.bulk(n);
}

function numsubOf(ctx: CommandContext, kind: SubKind, argv: Buffer[]): void {
  const hub = hubOf(ctx.ks);
  const w = ctx.reply;
  w.array((argv.length - 2) * 2);
  for (let i = 2; i < argv.length; i++) {
    w.bulk(argv[i]!);
    w.integer(hub.numsub(kind, argv[i]!));
  }
}

const PUBSUB_HELP = [
  'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANNELS [<pattern>]',
  '    Return the currently active channels matching a <pattern> (default: \'*\').',
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  '    Return the currently active shard level channels matching a <pattern> (default: \'*\').',
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
  'HELP',
  '    Prints this help.',
];

function sub(name: string, arity: number, handler: (ctx: CommandContext, argv: Buffer[]) => void, summary: string, extra: Partial<CommandDef> = {}): CommandDef {
  return {
    name,
    arity,
    flags: ['pubsub', 'loading', 'stale'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'pubsub',
    summary,
    since: '2.8.0',
    complexity: 'O(N)',
    handler,
    ...extra,
  };
}

const CHANNEL_SPEC = [{ flags: ['not_key'], beginSearch: { type: 'index' as const, index: 1 }, findKeys: { type: 'range' as const, lastKey: 0, keyStep: 1, limit: 0 } }];
const CHANNELS_SPEC = [{ flags: ['not_key'], beginSearch: { type: 'index' as const, index: 1 }, findKeys: { type: 'range' as const, lastKey: -1, keyStep: 1, limit: 0 } }];

export const commands: CommandDef[] = [
  {
    name: 'subscribe',
    handler: subscribe,
    arity: -2,
    flags: ['pubsub', 'noscript', 'loading', 'stale'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'pubsub',
    summary: 'Listen for messages published to the given channels',
    since: '2.0.0',
    complexity: 'O(N) where N is the number of channels to subscribe to.',
    args: [{ name: 'channel', type: 'string', flags: ['multiple'] }],
  },
  {
    name: 'unsubscribe',
    handler: unsubscribe,
    arity: -1,
    flags: ['pubsub', 'noscript', 'loading', 'stale'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'pubsub',
    summary: 'Stop listening for messages posted to the given channels',
    since: '2.0.0',
    complexity: 'O(N) where N is the number of clients already subscribed to a channel.',
    args: [{ name: 'channel', type: 'string', flags: ['optional', 'multiple'] }],
  },
  {
    name: 'psubscribe',
    handler: psubscribe,
    arity: -2,
    flags: ['pubsub', 'noscript', 'loading', 'stale'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'pubsub',
    summary: 'Listen for messages published to channels matching the given patterns',
    since: '2.0.0',
    complexity: 'O(N) where N is the number of patterns the client is already subscribed to.',
    args: [{ name: 'pattern', type: 'block', flags: ['multiple'], args: [{ name: 'pattern', type: 'pattern' }] }],
  },
  {
    name: 'punsubscribe',
    handler: punsubscribe,
    arity: -1,
    flags: ['pubsub', 'noscript', 'loading', 'stale'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'pubsub',
    summary: 'Stop listening for messages posted to channels matching the given patterns',
    since: '2.0.0',
    complexity: 'O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).',
    args: [{ name: 'pattern', type: 'pattern', flags: ['optional', 'multiple'] }],
  },
  {
    name: 'ssubscribe',
    handler: ssubscribe,
    arity: -2,
    flags: ['pubsub', 'noscript', 'loading', 'stale'],
    firstKey: 1,
    lastKey: -1,
    keyStep: 1,
    keySpecs: CHANNELS_SPEC,
    group: 'pubsub',
    summary: 'Listen for messages published to the given shard channels',
    since: '7.0.0',
    complexity: 'O(N) where N is the number of shard channels to subscribe to.',
    args: [{ name: 'shardchannel', type: 'string', flags: ['multiple'] }],
  },
  {
    name: 'sunsubscribe',
    handler: sunsubscribe,
    arity: -1,
    flags: ['pubsub', 'noscript', 'loading', 'stale'],
    firstKey: 1,
    lastKey: -1,
    keyStep: 1,
    keySpecs: CHANNELS_SPEC,
    group: 'pubsub',
    summary: 'Stop listening for messages posted to the given shard channels',
    since: '7.0.0',
    complexity: 'O(N) where N is the number of clients already subscribed to a shard channel.',
    args: [{ name: 'shardchannel', type: 'string', flags: ['optional', 'multiple'] }],
  },
  {
    name: 'publish',
    handler: publish,
    arity: 3,
    flags: ['pubsub', 'loading', 'stale', 'fast', 'may_replicate'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'pubsub',
    summary: 'Post a message to a channel',
    since: '2.0.0',
    complexity: 'O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).',
    args: [
      { name: 'channel', type: 'string' },
      { name: 'message', type: 'string' },
    ],
  },
  {
    name: 'spublish',
    handler: spublish,
    arity: 3,
    flags: ['pubsub', 'loading', 'stale', 'fast', 'may_replicate'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    keySpecs: CHANNEL_SPEC,
    group: 'pubsub',
    summary: 'Post a message to a shard channel',
    since: '7.0.0',
    complexity: 'O(N) where N is the number of clients subscribed to the receiving shard channel.',
    args: [
      { name: 'shardchannel', type: 'string' },
      { name: 'message', type: 'string' },
    ],
  },
  {
    name: 'pubsub',
    arity: -2,
    flags: [],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'pubsub',
    summary: 'A container for Pub/Sub commands',
    since: '2.8.0',
    complexity: 'Depends on subcommand.',
    subcommands: [
      sub('channels', -2, (ctx, argv) => channelsOf(ctx, K_CHANNEL, argv), 'List active channels', {
        complexity: 'O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)',
        args: [{ name: 'pattern', type: 'pattern', flags: ['optional'] }],
      }),
      sub('numpat', 2, (ctx) => ctx.reply.integer(hubOf(ctx.ks).names(K_PATTERN).length), 'Get the count of unique patterns pattern subscriptions', { complexity: 'O(1)' }),
      sub('numsub', -2, (ctx, argv) => numsubOf(ctx, K_CHANNEL, argv), 'Get the count of subscribers for channels', {
        complexity: 'O(N) for the NUMSUB subcommand, where N is the number of requested channels',
        args: [{ name: 'channel', type: 'string', flags: ['optional', 'multiple'] }],
      }),
      sub('shardchannels', -2, (ctx, argv) => channelsOf(ctx, K_SHARD, argv), 'List active shard channels', {
        since: '7.0.0',
        complexity: 'O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).',
        args: [{ name: 'pattern', type: 'pattern', flags: ['optional'] }],
      }),
      sub('shardnumsub', -2, (ctx, argv) => numsubOf(ctx, K_SHARD, argv), 'Get the count of subscribers for shard channels', {
        since: '7.0.0',
        complexity: 'O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels',
        args: [{ name: 'shardchannel', type: 'string', flags: ['optional', 'multiple'] }],
      }),
      sub('help', 2, (ctx) => replyHelp(ctx.reply, PUBSUB_HELP), 'Show helpful text about the different subcommands', { since: '6.2.0', complexity: 'O(1)', flags: ['loading', 'stale'], acl: ['-@pubsub'] }),
    ],
  },
];
