/**
 * The library: a keyspace in shared memory opened in this process, with Redis's commands
 * run synchronously through the same engine as the server's (src/engine/engine.ts) —
 * same handlers, same checks, same atomicity — and replies shaped as ioredis returns them.
 *
 *   import { open } from 'shmkv';
 *   const kv = open({ segment: 'cache' });
 *   kv.set('k', 'v', { ex: 60 });
 *   kv.get('k');                       // 'v'
 *   kv.call('HSET', 'h', 'f', 'v');    // any command the engine knows
 *   kv.close();
 *
 * Every call is one atomic operation under the segment's cross-process lock, so a server
 * and any number of processes can use one keyspace at once.
 */
import { Config, type ConfigValue } from '../config/config.js';
import { Session } from '../commands/session.js';
import { Engine } from '../engine/engine.js';
import type { Command } from '../engine/registry.js';
import { ReplyError, ValueSink, type Reply } from '../engine/value-sink.js';
import { openKeyspace, type SegmentKeyspace } from '../keyspace/open.js';
import { waitAsync, waitSync } from './blocking.js';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { existingHub, hubOf, K_CHANNEL, K_PATTERN, K_SHARD, type PubsubReceiver, type SubKind } from '../pubsub/hub.js';
import { setTrackingDeliver, trackingSessionGone } from '../commands/tracking.js';
import { NearCache, type NearCacheOptions } from './near_cache.js';

export { ReplyError, type Reply } from '../engine/value-sink.js';

/**
 * An argument: a string (sent as utf8), bytes (a Buffer or any Uint8Array, used in place:
 * not copied), or a number (sent as its decimal text).
 */
export type Arg = string | Buffer | Uint8Array | number;

/** EXPIRE's condition: NX (no TTL yet), XX (has one), GT / LT (new one greater / less). */
export type ExpireMode = 'NX' | 'XX' | 'GT' | 'LT';

/** MSET's pairs: an object, a Map, or [key, value] pairs. */
export type Pairs = Record<string, Arg> | Map<Arg, Arg> | readonly (readonly [Arg, Arg])[];

export interface OpenOptions {
  /** Segment name: /dev/shm/shmkv.<segment>. Default 'default' (the server's default). */
  segment?: string;
  /** Create the segment (and an empty keyspace) when it does not exist. Default true. */
  create?: boolean;
  /** Most bytes the segment may grow to (virtual; memory is used as data grows). Default 64 GiB. */
  size?: number;
  /** Permission bits of a new segment. Default 0o600. */
  mode?: number;
  /** Directory of the segment file (a tmpfs). Default /dev/shm. */
  dir?: string;
  /** Databases of a new keyspace. Default 16. */
  databases?: number;
  /** Database selected at first. Default 0. */
  db?: number;
  /** Password, when the keyspace's users must authenticate (requirepass of this process). */
  password?: string;
  /**
   * DEBUG for this handle (enable-debug-command). Default 'no', as Redis; a library
   * process counts as a local caller, so 'local' allows it too.
   */
  enableDebugCommand?: 'no' | 'yes' | 'local';
  /** Where this handle's SAVE/BGSAVE write (Redis's `dir`). Default: the working directory. */
  rdbDir?: string;
  /** The RDB file's name (Redis's `dbfilename`). Default dump.rdb. */
  dbfilename?: string;
  /**
   * A near cache for `get` and `mget` (string keys): values read are kept in this process and handed
   * out again, without touching the segment, while no process changed their key (every
   * change by any process is seen: src/kv/near_cache.ts). `true` for the defaults (100,000
   * keys, values up to 65,536 characters). Off by default. Cached reads do not refresh the
   * key's LRU/LFU stamp (while maxmemory may evict by them, the cache stands aside).
   */
  cache?: boolean | NearCacheOptions;
}

/**
 * Options of `set` (SET's EX PX EXAT PXAT NX XX KEEPTTL GET). At most one of ex, px, exat,
 * pxat, keepTtl; not both nx and xx (Redis refuses the combinations: a ReplyError).
 */
export interface SetOptions {
  /** Expire after this many seconds. */
  ex?: number;
  /** Expire after this many milliseconds. */
  px?: number;
  /** Expire at this unix time (seconds). */
  exat?: number;
  /** Expire at this unix time (milliseconds). */
  pxat?: number;
  /** Only set if the key does not exist. */
  nx?: boolean;
  /** Only set if the key exists. */
  xx?: boolean;
  /** Keep the key's time to live. */
  keepTtl?: boolean;
  /** Return the old value (string or null) instead of 'OK' (SET … GET). */
  get?: boolean;
}

/**
 * What Transaction.exec() returns, as ioredis's exec(): per command [null, result], or
 * [error] when that command failed (the others still ran); null when a watched key changed.
 */
export type ExecResult = ([null, Reply] | [ReplyError])[] | null;

/** `set` options with `get: true`: the reply is the old value. */
/** ZADD's options (kv.zaddWith). */
export interface ZAddOptions {
  nx?: boolean;
  xx?: boolean;
  gt?: boolean;
  lt?: boolean;
  ch?: boolean;
  incr?: boolean;
}

/** ZRANGE's options (kv.zrange). */
export interface ZRangeOptions {
  by?: 'SCORE' | 'LEX';
  rev?: boolean;
  limit?: { offset: number; count: number };
  withScores?: boolean;
}

export type SetGetOptions = SetOptions & { get: true };

/** Options of `scan`. */
export interface ScanOptions {
  /** Glob-style pattern (MATCH). */
  match?: string;
  /** Keys examined per step (COUNT). Default 100. */
  count?: number;
  /** Only keys of this type (TYPE). */
  type?: string;
}

/**
 * A pub/sub message handler: the message and its channel as strings (utf8), and the pattern
 * that matched for a psubscribe. `raw` has the same as Buffers.
 */
export type MessageHandler = (message: string, channel: string, pattern: string | undefined, raw: { message: Buffer; channel: Buffer; pattern: Buffer | undefined }) => void;

/**
 * Client-side caching: the keys this handle read that changed since (in any process), or
 * null when every key may have changed (a FLUSHALL / FLUSHDB, or this process fell behind
 * the shared ring).
 */
export type InvalidationHandler = (keys: string[] | null) => void;

export interface TrackOptions {
  /** BCAST: be told about every changed key that starts with one of `prefixes` (default: every key), read or not. */
  bcast?: boolean;
  prefixes?: string[];
  /** NOLOOP: not about the changes this handle makes itself. */
  noloop?: boolean;
}

/** Raised (as an 'error' event of the KV) when this process fell behind the pub/sub ring and lost messages. */
export class PubsubLostError extends Error {
  constructor() {
    super('shmkv: this process fell behind the shared pub/sub ring: messages published meanwhile were lost');
    this.name = 'PubsubLostError';
  }
}

/**
 * The subscriptions of one KV handle: it is one subscriber (as one connection is) per
 * channel / pattern, whatever the number of handlers on it.
 */
class LibrarySubscriptions implements PubsubReceiver {
  readonly maps: Record<SubKind, Map<string, { name: Buffer; handlers: Set<MessageHandler> }>> = {
    [K_CHANNEL]: new Map(),
    [K_PATTERN]: new Map(),
    [K_SHARD]: new Map(),
  };

  constructor(private readonly fail: (e: Error) => void) {}

  message(type: 'message' | 'pmessage' | 'smessage', pattern: Buffer | null, channel: Buffer, message: Buffer): void {
    const kind = type === 'message' ? K_CHANNEL : type === 'pmessage' ? K_PATTERN : K_SHARD;
    const sub = this.maps[kind].get((pattern ?? channel).toString('latin1'));
    if (sub === undefined) return;
    const m = message.toString('utf8');
    const c = channel.toString('utf8');
    const p = pattern === null ? undefined : pattern.toString('utf8');
    const raw = { message, channel, pattern: pattern ?? undefined };
    for (const h of [...sub.handlers]) {
      try {
        h(m, c, p, raw);
      } catch (e) {
        this.fail(e instanceof Error ? e : new Error(String(e)));
      }
    }
  }

  lost(): void {
    this.fail(new PubsubLostError());
  }
}

let nextSessionId = 1;
const EMPTY = Buffer.alloc(0);

function toBuffer(a: Arg): Buffer {
  if (typeof a === 'string') return Buffer.from(a, 'utf8');
  if (typeof a === 'number') return Buffer.from(String(a), 'latin1');
  if (Buffer.isBuffer(a)) return a;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Longest string (in UTF-16 units) the scratch encoder takes; longer ones get a Buffer of their own. */
const SCRATCH_CHARS = 64;
/** Argument positions with scratch space (further arguments get Buffers of their own). */
const SCRATCH_ARGS = 8;

/**
 * Arguments of the typed calls encoded into reusable memory instead of a new Buffer per
 * string (Buffer.from costs more than a hash lookup in the keyspace): a short ASCII string
 * is copied byte by byte into its position's scratch region, and the argument is a cached
 * Buffer of exactly that length over it. The engine and the handlers use argv only during
 * the call (what outlives it is copied: MULTI's queue, SLOWLOG, WATCH) — the server's argv
 * are views of a read buffer that the next read overwrites, the same contract. The one
 * reference that survives is the keyspace's lookup probe, which compares by identity:
 * the caller forgets it after each call (Keyspace.forgetProbe).
 */
class ArgScratch {
  private readonly back = Buffer.alloc(SCRATCH_ARGS * SCRATCH_CHARS);
  /** views[pos * (SCRATCH_CHARS + 1) + len]: the Buffer of `len` bytes at position pos */
  private readonly views: (Buffer | undefined)[] = new Array((SCRATCH_CHARS + 1) * SCRATCH_ARGS);

  private view(pos: number, len: number): Buffer {
    const i = pos * (SCRATCH_CHARS + 1) + len;
    let v = this.views[i];
    if (v === undefined) {
      const at = pos * SCRATCH_CHARS;
      v = this.views[i] = this.back.subarray(at, at + len);
    }
    return v;
  }

  /** Argument `a` as bytes, for argv position `pos` (valid until the next call). */
  arg(a: Arg, pos: number): Buffer {
    if (typeof a === 'string') {
      const n = a.length;
      if (n > SCRATCH_CHARS || pos >= SCRATCH_ARGS) return Buffer.from(a, 'utf8');
      const b = this.view(pos, n);
      for (let i = 0; i < n; i++) {
        const c = a.charCodeAt(i);
        if (c >= 0x80) return Buffer.from(a, 'utf8');
        b[i] = c;
      }
      return b;
    }
    if (typeof a === 'number') return this.arg(String(a), pos);
    if (Buffer.isBuffer(a)) return a;
    return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  }
}

/**
 * A transaction being built (`kv.multi()`): commands are queued here, in this process,
 * and run by exec() as MULTI … EXEC — one atomic operation for every process.
 */
/** GEO distance units. */
export type GeoUnit = 'm' | 'km' | 'ft' | 'mi';

export interface GeoAddOptions {
  nx?: boolean;
  xx?: boolean;
  ch?: boolean;
}

/** A GEOSEARCH query: a centre (`member` or `lonlat`), a shape (`radius` or `box` [width, height]) in `unit`. */
export interface GeoSearchQuery {
  member?: Arg;
  lonlat?: readonly [number, number];
  radius?: number;
  box?: readonly [number, number];
  unit?: GeoUnit;
  sort?: 'ASC' | 'DESC';
  count?: number;
  /** with `count`: stop at the first `count` found rather than the nearest */
  any?: boolean;
  withCoord?: boolean;
  withDist?: boolean;
  withHash?: boolean;
}

export interface GeoSearchHit {
  member: string;
  /** in the query's unit */
  dist?: number;
  /** the 52-bit geohash (the sorted-set score) */
  hash?: number;
  /** [longitude, latitude] */
  coord?: [number, number];
}

function geoSearchArgs(q: GeoSearchQuery): Arg[] {
  const args: Arg[] = [];
  if (q.member !== undefined) args.push('FROMMEMBER', q.member);
  if (q.lonlat !== undefined) args.push('FROMLONLAT', q.lonlat[0], q.lonlat[1]);
  const unit = q.unit ?? 'm';
  if (q.radius !== undefined) args.push('BYRADIUS', q.radius, unit);
  if (q.box !== undefined) args.push('BYBOX', q.box[0], q.box[1], unit);
  if (q.sort !== undefined) args.push(q.sort);
  if (q.count !== undefined) {
    args.push('COUNT', q.count);
    if (q.any) args.push('ANY');
  }
  return args;
}

export class Transaction {
  private readonly queue: Arg[][] = [];

  constructor(private readonly kv: KV) {}

  /** Queue any command. */
  call(command: string, ...args: Arg[]): this {
    this.queue.push([command, ...args]);
    return this;
  }

  /** Queue SET (see KV.set). */
  set(key: Arg, value: Arg, opts?: SetOptions): this {
    return this.call('SET', key, value, ...setArgs(opts));
  }
  /** Queue GET. */
  get(key: Arg): this {
    return this.call('GET', key);
  }
  /** Queue MGET. */
  mget(...keys: (Arg | readonly Arg[])[]): this {
    return this.call('MGET', ...flat(keys));
  }
  /** Queue MSET. */
  mset(pairs: Pairs): this {
    return this.call('MSET', ...pairArgs(pairs));
  }
  /** Queue DEL. */
  del(...keys: (Arg | readonly Arg[])[]): this {
    return this.call('DEL', ...flat(keys));
  }
  /** Queue EXISTS. */
  exists(...keys: (Arg | readonly Arg[])[]): this {
    return this.call('EXISTS', ...flat(keys));
  }
  /** Queue INCR. */
  incr(key: Arg): this {
    return this.call('INCR', key);
  }
  /** Queue INCRBY. */
  incrby(key: Arg, n: number): this {
    return this.call('INCRBY', key, n);
  }
  /** Queue DECR. */
  decr(key: Arg): this {
    return this.call('DECR', key);
  }
  /** Queue DECRBY. */
  decrby(key: Arg, n: number): this {
    return this.call('DECRBY', key, n);
  }
  /** Queue EXPIRE. */
  expire(key: Arg, seconds: number, mode?: ExpireMode): this {
    return mode ? this.call('EXPIRE', key, seconds, mode) : this.call('EXPIRE', key, seconds);
  }
  /** Queue TTL. */
  ttl(key: Arg): this {
    return this.call('TTL', key);
  }

  /**
   * Run the queued commands as one transaction (atomic for every process, and under
   * kill -9). Returns ioredis's shape — one [error, result] pair per command, a command's
   * runtime error not undoing the others — or null when a watched key changed. A command
   * refused while queueing (unknown, wrong arity) aborts the whole: exec() throws EXECABORT.
   */
  exec(): ExecResult {
    return this.kv.runTransaction(this.queue);
  }
}

function setArgs(o: SetOptions | undefined): Arg[] {
  if (o === undefined) return [];
  const a: Arg[] = [];
  if (o.ex !== undefined) a.push('EX', o.ex);
  if (o.px !== undefined) a.push('PX', o.px);
  if (o.exat !== undefined) a.push('EXAT', o.exat);
  if (o.pxat !== undefined) a.push('PXAT', o.pxat);
  if (o.nx) a.push('NX');
  if (o.xx) a.push('XX');
  if (o.keepTtl) a.push('KEEPTTL');
  if (o.get) a.push('GET');
  return a;
}

/**
 * An integer reply of a typed call as a number, as ioredis returns it (the sink gives
 * integers beyond 2^53 as their exact text: call() keeps that; the typed calls round, like ioredis).
 */
function int(r: Reply): number {
  return typeof r === 'number' ? r : Number(r);
}

/** Keys given as arguments, arrays of them, or both (as ioredis takes them). */
function flat(keys: readonly (Arg | readonly Arg[])[]): Arg[] {
  if (keys.length === 1 && Array.isArray(keys[0])) return keys[0] as Arg[];
  const out: Arg[] = [];
  for (const k of keys) {
    if (Array.isArray(k)) out.push(...(k as Arg[]));
    else out.push(k as Arg);
  }
  return out;
}

function pairArgs(pairs: Pairs): Arg[] {
  const out: Arg[] = [];
  if (pairs instanceof Map) for (const [k, v] of pairs) out.push(k, v);
  else if (Array.isArray(pairs)) for (const [k, v] of pairs as readonly (readonly [Arg, Arg])[]) out.push(k, v);
  else for (const k of Object.keys(pairs)) out.push(k, (pairs as Record<string, Arg>)[k]!);
  return out;
}

/** Command names and option tokens as Buffers, made once. */
const B = (s: string) => Buffer.from(s, 'latin1');
const CMD = {
  get: B('GET'),
  set: B('SET'),
  incr: B('INCR'),
  multi: B('MULTI'),
  exec: B('EXEC'),
  publish: B('PUBLISH'),
  spublish: B('SPUBLISH'),
};
const TOK = { ex: B('EX'), px: B('PX'), exat: B('EXAT'), pxat: B('PXAT'), nx: B('NX'), xx: B('XX'), keepttl: B('KEEPTTL'), get: B('GET') };

/** A command of the typed calls: looked up once per handle, its name as argv[0]. */
interface Typed {
  cmd: Command;
  name: Buffer;
}

/** The commands with typed calls that take the scratch path (their handlers keep no argv). */
const TYPED = [
  'get', 'set', 'incr', 'incrby', 'decr', 'decrby', 'del', 'exists', 'expire', 'pexpire', 'ttl', 'pttl', 'persist', 'mget', 'mset', 'strlen', 'getdel', 'append',
  'lpush', 'rpush', 'lpop', 'rpop', 'llen', 'lrange', 'lindex',
] as const;
type TypedName = (typeof TYPED)[number];

/**
 * A keyspace opened in this process (`open()`). Every method is one command run
 * synchronously through the engine — the server's path: lookup, arity, authentication,
 * maxmemory, one atomic operation under the segment's lock, statistics — with its reply
 * shaped as ioredis returns it (bulk strings as strings, integers as numbers, nil as null).
 * An error reply is thrown as a ReplyError whose message is Redis's.
 */
export class KV extends EventEmitter {
  private readonly ks: SegmentKeyspace;
  private readonly subs = new LibrarySubscriptions((e) => {
    // an 'error' event (a listener decides); without one, a process warning rather than a crash
    if (this.listenerCount('error') > 0) this.emit('error', e);
    else process.emitWarning(e);
  });
  private readonly engine: Engine;
  private readonly session: Session;
  private readonly sink: ValueSink;
  private readonly scratch = new ArgScratch();
  /** The commands of the typed calls, looked up once. */
  private readonly cmds: Record<TypedName, Typed>;
  private readonly argv2: Buffer[] = [EMPTY, EMPTY];
  private readonly argv3: Buffer[] = [EMPTY, EMPTY, EMPTY];
  private closed = false;
  /** kv.track's handler, and the invalidations waiting for the running call to return */
  private onInvalidate: InvalidationHandler | null = null;
  private invQueue: (string[] | null)[] = [];
  private depth = 0;
  /** open({ cache }): get's near cache, or null */
  private readonly near: NearCache | null;

  constructor(opts: OpenOptions = {}) {
    super();
    const segment = opts.segment ?? 'default';
    this.ks = openKeyspace({ segment, create: opts.create ?? true, reserve: opts.size, mode: opts.mode, dir: opts.dir, databases: opts.databases });
    try {
      const config = new Config();
      if (opts.password !== undefined) config.set('requirepass', opts.password);
      if (opts.enableDebugCommand !== undefined) config.set('enable-debug-command', opts.enableDebugCommand);
      // no save points in a library process: saving on its own is the server's business
      // (a FLUSHALL here must not write a file into the application's directory)
      config.set('save', '');
      if (opts.rdbDir !== undefined) config.set('dir', path.resolve(opts.rdbDir));
      if (opts.dbfilename !== undefined) config.set('dbfilename', opts.dbfilename);
      // the segment's shared settings (maxmemory, its policy...) are kept as they are
      config.attachShared(this.ks.settings, false);
      this.engine = new Engine({ ks: this.ks, config, expireOnLock: true, derivedWallClock: true });
      this.near = opts.cache === undefined || opts.cache === false ? null : new NearCache(this.ks, opts.cache === true ? {} : opts.cache);
      const reg = this.engine.registry;
      const cmds = {} as Record<TypedName, Typed>;
      for (const n of TYPED) cmds[n] = { cmd: reg.byName(n)!, name: B(n.toUpperCase()) };
      this.cmds = cmds;
      this.sink = new ValueSink();
      this.session = new Session(nextSessionId++, 'library', this.sink);
      this.session.addr = `library:${process.pid}`;
      if (opts.password !== undefined) this.call('AUTH', opts.password);
      if (opts.db !== undefined && opts.db !== 0) this.call('SELECT', opts.db);
    } catch (e) {
      this.ks.close();
      throw e;
    }
  }

  /** Segment name. */
  get segment(): string {
    return this.ks.name;
  }

  /** The selected database. */
  get db(): number {
    return this.session.db;
  }

  /** Whether close() was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  private run(argv: Buffer[]): Reply {
    if (this.closed) throw new Error('shmkv: this keyspace handle is closed');
    this.depth++;
    try {
      this.engine.executeAlone(this.session, argv);
    } finally {
      this.depth--;
    }
    const r = this.sink.take1();
    if (this.invQueue.length > 0 && this.depth === 0) this.flushInvalidations();
    if (r instanceof ReplyError) throw r;
    return r;
  }

  /** run() of a command looked up at open() with an argv built from the scratch (see ArgScratch). */
  private runScratch(cmd: Command, argv: Buffer[]): Reply {
    if (this.closed) throw new Error('shmkv: this keyspace handle is closed');
    this.depth++;
    try {
      // a read answered without the lock takes the short way when it can (Engine.executeReadFast)
      if (cmd.readFast === null || !this.engine.executeReadFast(this.session, cmd, argv)) this.engine.executeResolvedAlone(this.session, cmd, argv);
    } finally {
      this.depth--;
      this.ks.forgetProbe();
    }
    const r = this.sink.take1();
    if (this.invQueue.length > 0 && this.depth === 0) this.flushInvalidations();
    if (r instanceof ReplyError) throw r;
    return r;
  }

  /** A typed command with its arguments (scratch-encoded) and option tokens after them. */
  private runTyped(t: Typed, args: readonly Arg[], tail?: readonly Buffer[]): Reply {
    const n = args.length;
    const argv = new Array<Buffer>(1 + n + (tail === undefined ? 0 : tail.length));
    argv[0] = t.name;
    for (let i = 0; i < n; i++) argv[i + 1] = this.scratch.arg(args[i]!, i + 1);
    if (tail !== undefined) for (let j = 0; j < tail.length; j++) argv[1 + n + j] = tail[j]!;
    return this.runScratch(t.cmd, argv);
  }

  /** A typed command of one key. */
  private run1(t: Typed, key: Arg): Reply {
    const argv = this.argv2;
    argv[0] = t.name;
    argv[1] = this.scratch.arg(key, 1);
    return this.runScratch(t.cmd, argv);
  }

  /** A typed command of a key and one more argument. */
  private run2(t: Typed, key: Arg, a: Arg): Reply {
    const argv = this.argv3;
    argv[0] = t.name;
    argv[1] = this.scratch.arg(key, 1);
    argv[2] = this.scratch.arg(a, 2);
    return this.runScratch(t.cmd, argv);
  }

  /** Run any command; bulk replies as strings. Throws a ReplyError for an error reply. */
  call(command: string, ...args: Arg[]): Reply {
    const argv = new Array<Buffer>(args.length + 1);
    argv[0] = Buffer.from(command, 'latin1');
    for (let i = 0; i < args.length; i++) argv[i + 1] = toBuffer(args[i]!);
    return this.run(argv);
  }

  /** Run any command; bulk replies as Buffers. */
  callBuffer(command: string, ...args: Arg[]): Reply {
    this.sink.buffers = true;
    try {
      return this.call(command, ...args);
    } finally {
      this.sink.buffers = false;
    }
  }

  // ---------------------------------------------------------------- blocking commands

  /**
   * Run a blocking command (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP…) and wait for it as
   * a server client would: this thread sleeps until a push by any process (the server, or
   * another library process) serves it, or its timeout passes (then null). The segment's
   * lock is not held while waiting. Use callBlockingAsync to keep the event loop running.
   */
  callBlocking(command: string, ...args: Arg[]): Reply {
    const argv = this.argvOf(command, args);
    return waitSync(this.ks, argv, () => this.run(argv));
  }

  /** callBlocking without blocking the thread: the wait runs on a worker; resolves with the reply (null on timeout). */
  callBlockingAsync(command: string, ...args: Arg[]): Promise<Reply> {
    const argv = this.argvOf(command, args);
    return waitAsync(this.ks, argv, () => this.run(argv));
  }

  /** BLPOP: [key, element] of the first non-empty list, waiting up to `timeout` seconds (0: forever); null on timeout. */
  blpop(keys: Arg | readonly Arg[], timeout: number): [string, string] | null {
    return this.callBlocking('BLPOP', ...(Array.isArray(keys) ? keys : [keys as Arg]), timeout) as [string, string] | null;
  }

  /** BRPOP, as blpop from the tail. */
  brpop(keys: Arg | readonly Arg[], timeout: number): [string, string] | null {
    return this.callBlocking('BRPOP', ...(Array.isArray(keys) ? keys : [keys as Arg]), timeout) as [string, string] | null;
  }

  /** BLMOVE: the element moved, or null on timeout. */
  blmove(source: Arg, destination: Arg, from: 'LEFT' | 'RIGHT', to: 'LEFT' | 'RIGHT', timeout: number): string | null {
    return this.callBlocking('BLMOVE', source, destination, from, to, timeout) as string | null;
  }

  /** blpop without blocking the thread. */
  blpopAsync(keys: Arg | readonly Arg[], timeout: number): Promise<[string, string] | null> {
    return this.callBlockingAsync('BLPOP', ...(Array.isArray(keys) ? keys : [keys as Arg]), timeout) as Promise<[string, string] | null>;
  }

  /** brpop without blocking the thread. */
  brpopAsync(keys: Arg | readonly Arg[], timeout: number): Promise<[string, string] | null> {
    return this.callBlockingAsync('BRPOP', ...(Array.isArray(keys) ? keys : [keys as Arg]), timeout) as Promise<[string, string] | null>;
  }

  private argvOf(command: string, args: readonly Arg[]): Buffer[] {
    const argv = new Array<Buffer>(args.length + 1);
    argv[0] = Buffer.from(command, 'latin1');
    for (let i = 0; i < args.length; i++) argv[i + 1] = toBuffer(args[i]!);
    return argv;
  }

  // ---------------------------------------------------------------- strings

  /** GET: the value as a string (utf8), or null when the key does not exist. */
  get(key: Arg): string | null {
    const near = this.near;
    if (near !== null && typeof key === 'string' && this.nearUsable(near)) {
      const db = this.session.db;
      const v = near.get(db, key);
      if (v !== undefined) {
        this.engine.countCachedRead(this.session, this.cmds.get.cmd, 1);
        return v;
      }
      const peek = this.ks.peek;
      const answered = peek.answered;
      const r = this.run1(this.cmds.get, key) as string | null;
      if (r !== null) {
        // answered without the lock: that read's lookup has the key's hash and expiry
        const fast = peek.answered === answered + 1;
        near.fill(db, key, r, peek.lastHash, fast ? peek.lastExpireAt : -1, this.argv2[1]!);
      }
      return r;
    }
    return this.run1(this.cmds.get, key) as string | null;
  }

  /** Whether this call may use the near cache: what a read without the engine would skip is not wanted. */
  private nearUsable(near: NearCache): boolean {
    const s = this.session;
    if (this.closed || !s.authenticated || s.multi !== null || s.tracking !== null) return false;
    return near.usable();
  }

  /** The near cache's figures (open({ cache })), or null without one. */
  cacheStats(): { size: number; hits: number; fills: number; dropped: number } | null {
    const n = this.near;
    return n === null ? null : { size: n.size, hits: n.hits, fills: n.fills, dropped: n.dropped };
  }

  /** GET: the value's bytes (a copy), or null. */
  getBuffer(key: Arg): Buffer | null {
    this.sink.buffers = true;
    try {
      return this.run1(this.cmds.get, key) as Buffer | null;
    } finally {
      this.sink.buffers = false;
    }
  }

  /**
   * SET key to value: 'OK', or null when `nx` / `xx` prevented it; with `get: true`, the
   * old value (null if there was none) whether or not it was set.
   *
   *   kv.set('session:1', token, { ex: 3600 });
   *   kv.set('lock', owner, { nx: true, px: 30_000 });   // 'OK' or null
   */
  set(key: Arg, value: Arg, opts: SetGetOptions): string | null;
  set(key: Arg, value: Arg, opts?: SetOptions): 'OK' | null;
  set(key: Arg, value: Arg, opts?: SetOptions): string | null {
    if (opts === undefined) return this.run2(this.cmds.set, key, value) as 'OK' | null;
    const s = this.scratch;
    const argv: Buffer[] = [CMD.set, s.arg(key, 1), s.arg(value, 2)];
    const num = (tok: Buffer, v: number) => {
      argv.push(tok);
      argv.push(s.arg(v, argv.length));
    };
    if (opts.ex !== undefined) num(TOK.ex, opts.ex);
    if (opts.px !== undefined) num(TOK.px, opts.px);
    if (opts.exat !== undefined) num(TOK.exat, opts.exat);
    if (opts.pxat !== undefined) num(TOK.pxat, opts.pxat);
    if (opts.nx) argv.push(TOK.nx);
    if (opts.xx) argv.push(TOK.xx);
    if (opts.keepTtl) argv.push(TOK.keepttl);
    if (opts.get) argv.push(TOK.get);
    return this.runScratch(this.cmds.set.cmd, argv) as string | null;
  }

  /** MGET: a value (or null) per key; keys as arguments or an array. */
  mget(...keys: (Arg | readonly Arg[])[]): (string | null)[] {
    const args = flat(keys);
    const near = this.near;
    if (near === null || args.length === 0 || !this.nearUsable(near)) return this.runTyped(this.cmds.mget, args) as (string | null)[];
    // every key in the near cache: answered here (one GET each, as the engine would count
    // MGET's lookups); else one MGET, whose values fill it
    const db = this.session.db;
    const out = new Array<string | null>(args.length);
    let i = 0;
    for (; i < args.length; i++) {
      const k = args[i]!;
      const v = typeof k === 'string' ? near.get(db, k) : undefined;
      if (v === undefined) break;
      out[i] = v;
    }
    if (i === args.length) {
      this.engine.countCachedRead(this.session, this.cmds.mget.cmd, args.length);
      return out;
    }
    near.hits -= i;
    const r = this.runTyped(this.cmds.mget, args) as (string | null)[];
    for (let j = 0; j < args.length; j++) {
      const k = args[j]!;
      const v = r[j]!;
      if (v !== null && typeof k === 'string') near.fill(db, k, v, 0, -1, Buffer.from(k, 'utf8'));
    }
    return r;
  }

  /** MSET from an object, a Map or [key, value] pairs: 'OK'. */
  mset(pairs: Pairs): 'OK' {
    return this.runTyped(this.cmds.mset, pairArgs(pairs)) as 'OK';
  }

  /**
   * INCR: the new value. Throws when the value is not an integer (or would overflow).
   * Beyond ±2^53 the number is rounded, as ioredis returns it (call('INCR', key) gives the exact text).
   */
  incr(key: Arg): number {
    return int(this.run1(this.cmds.incr, key));
  }

  /** INCRBY: the new value. */
  incrby(key: Arg, n: number): number {
    return int(this.run2(this.cmds.incrby, key, n));
  }

  /** DECR: the new value. */
  decr(key: Arg): number {
    return int(this.run1(this.cmds.decr, key));
  }

  /** DECRBY: the new value. */
  decrby(key: Arg, n: number): number {
    return int(this.run2(this.cmds.decrby, key, n));
  }

  /** INCRBYFLOAT: the new value as Redis prints it (a string, as ioredis returns it). */
  incrbyfloat(key: Arg, n: number | string): string {
    return this.call('INCRBYFLOAT', key, n) as string;
  }

  /** APPEND: the new length. */
  append(key: Arg, value: Arg): number {
    return this.run2(this.cmds.append, key, value) as number;
  }

  /** STRLEN: the value's length in bytes (0 when absent). */
  strlen(key: Arg): number {
    return this.run1(this.cmds.strlen, key) as number;
  }

  /** GETDEL: the value (or null), and the key is deleted. */
  getdel(key: Arg): string | null {
    return this.run1(this.cmds.getdel, key) as string | null;
  }

  // ---------------------------------------------------------------- sets

  /** SADD: how many of the members were new; members as arguments or an array. */
  sadd(key: Arg, ...members: (Arg | readonly Arg[])[]): number {
    return this.call('SADD', key, ...flat(members)) as number;
  }

  /** SREM: how many of the members were there (and were removed). */
  srem(key: Arg, ...members: (Arg | readonly Arg[])[]): number {
    return this.call('SREM', key, ...flat(members)) as number;
  }

  /** SMEMBERS: every member (utf8 strings, in no particular order); [] when the key does not exist. */
  smembers(key: Arg): string[] {
    return this.call('SMEMBERS', key) as string[];
  }

  /** SISMEMBER: 1 when member is in the set, else 0. */
  sismember(key: Arg, member: Arg): number {
    return this.call('SISMEMBER', key, member) as number;
  }

  /** SCARD: the number of members (0 when the key does not exist). */
  scard(key: Arg): number {
    return this.call('SCARD', key) as number;
  }

  // ---------------------------------------------------------------- sorted sets

  /** ZADD key score member [score member ...] (scores and members as arguments or arrays): how many members were new. */
  zadd(key: Arg, ...scoreMembers: (Arg | readonly Arg[])[]): number {
    return this.call('ZADD', key, ...flat(scoreMembers)) as number;
  }

  /**
   * ZADD with options: NX/XX, GT/LT, CH (count changed members, not only new ones). With
   * `incr`, ZADD INCR: the member's new score as a string, or null when NX/XX/GT/LT refused it.
   */
  zaddWith(key: Arg, opts: ZAddOptions, ...scoreMembers: (Arg | readonly Arg[])[]): number | string | null {
    const tokens: Arg[] = [];
    if (opts.nx) tokens.push('NX');
    if (opts.xx) tokens.push('XX');
    if (opts.gt) tokens.push('GT');
    if (opts.lt) tokens.push('LT');
    if (opts.ch) tokens.push('CH');
    if (opts.incr) tokens.push('INCR');
    return this.call('ZADD', key, ...tokens, ...flat(scoreMembers)) as number | string | null;
  }

  /** ZINCRBY: the member's new score (as Redis prints it: "%.17g", "inf"). */
  zincrby(key: Arg, increment: Arg, member: Arg): string {
    return this.call('ZINCRBY', key, increment, member) as string;
  }

  /** ZSCORE: the member's score as a string, or null. */
  zscore(key: Arg, member: Arg): string | null {
    return this.call('ZSCORE', key, member) as string | null;
  }

  /** ZMSCORE: each member's score (null for a missing one). */
  zmscore(key: Arg, ...members: (Arg | readonly Arg[])[]): (string | null)[] {
    return this.call('ZMSCORE', key, ...flat(members)) as (string | null)[];
  }

  /** ZREM: how many of the members were there (and were removed). */
  zrem(key: Arg, ...members: (Arg | readonly Arg[])[]): number {
    return this.call('ZREM', key, ...flat(members)) as number;
  }

  /** ZCARD: the number of members (0 when the key does not exist). */
  zcard(key: Arg): number {
    return this.call('ZCARD', key) as number;
  }

  /** ZRANK: the member's 0-based rank by ascending score, or null. */
  zrank(key: Arg, member: Arg): number | null {
    return this.call('ZRANK', key, member) as number | null;
  }

  /** ZREVRANK: the member's rank by descending score, or null. */
  zrevrank(key: Arg, member: Arg): number | null {
    return this.call('ZREVRANK', key, member) as number | null;
  }

  /** ZCOUNT: members with min <= score <= max ("(" before a bound excludes it; "-inf", "+inf"). */
  zcount(key: Arg, min: Arg, max: Arg): number {
    return this.call('ZCOUNT', key, min, max) as number;
  }

  /**
   * ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]: members
   * (with withScores, flat [member, score, member, score, …] as ioredis gives them).
   */
  zrange(key: Arg, start: Arg, stop: Arg, opts: ZRangeOptions = {}): string[] {
    const tokens: Arg[] = [];
    if (opts.by === 'SCORE') tokens.push('BYSCORE');
    else if (opts.by === 'LEX') tokens.push('BYLEX');
    if (opts.rev) tokens.push('REV');
    if (opts.limit) tokens.push('LIMIT', opts.limit.offset, opts.limit.count);
    if (opts.withScores) tokens.push('WITHSCORES');
    return this.call('ZRANGE', key, start, stop, ...tokens) as string[];
  }

  /** ZRANGEBYSCORE key min max [WITHSCORES]: members by ascending score within the bounds. */
  zrangebyscore(key: Arg, min: Arg, max: Arg, opts: { withScores?: boolean; limit?: { offset: number; count: number } } = {}): string[] {
    return this.zrange(key, min, max, { ...opts, by: 'SCORE' });
  }

  /** ZPOPMIN: the lowest members and their scores, flat [member, score, …] (one pair without a count). */
  zpopmin(key: Arg, count?: number): string[] {
    return (count === undefined ? this.call('ZPOPMIN', key) : this.call('ZPOPMIN', key, count)) as string[];
  }

  /** ZPOPMAX: the highest members and their scores, highest first. */
  zpopmax(key: Arg, count?: number): string[] {
    return (count === undefined ? this.call('ZPOPMAX', key) : this.call('ZPOPMAX', key, count)) as string[];
  }

  /** BZPOPMIN: [key, member, score] of the first non-empty sorted set, waiting up to `timeout` seconds (0: forever); null on timeout. */
  bzpopmin(keys: Arg | readonly Arg[], timeout: number): [string, string, string] | null {
    return this.callBlocking('BZPOPMIN', ...(Array.isArray(keys) ? keys : [keys as Arg]), timeout) as [string, string, string] | null;
  }

  /** BZPOPMAX, as bzpopmin from the high end. */
  bzpopmax(keys: Arg | readonly Arg[], timeout: number): [string, string, string] | null {
    return this.callBlocking('BZPOPMAX', ...(Array.isArray(keys) ? keys : [keys as Arg]), timeout) as [string, string, string] | null;
  }

  /** bzpopmin without blocking the thread. */
  bzpopminAsync(keys: Arg | readonly Arg[], timeout: number): Promise<[string, string, string] | null> {
    return this.callBlockingAsync('BZPOPMIN', ...(Array.isArray(keys) ? keys : [keys as Arg]), timeout) as Promise<[string, string, string] | null>;
  }

  // ---------------------------------------------------------------- lists

  /** LPUSH: the list's new length; each element (arguments or an array) goes to the head in turn. */
  lpush(key: Arg, ...elements: (Arg | readonly Arg[])[]): number {
    return this.runTyped(this.cmds.lpush, [key, ...flat(elements)]) as number;
  }

  /** RPUSH: the list's new length; the elements are appended in order. */
  rpush(key: Arg, ...elements: (Arg | readonly Arg[])[]): number {
    return this.runTyped(this.cmds.rpush, [key, ...flat(elements)]) as number;
  }

  /** LPOP: the first element (null when the key does not exist); with a count, up to count of them (null when the key does not exist). */
  lpop(key: Arg): string | null;
  lpop(key: Arg, count: number): string[] | null;
  lpop(key: Arg, count?: number): string | string[] | null {
    return (count === undefined ? this.run1(this.cmds.lpop, key) : this.run2(this.cmds.lpop, key, count)) as string | string[] | null;
  }

  /** RPOP: the last element (null when the key does not exist); with a count, up to count of them, last first. */
  rpop(key: Arg): string | null;
  rpop(key: Arg, count: number): string[] | null;
  rpop(key: Arg, count?: number): string | string[] | null {
    return (count === undefined ? this.run1(this.cmds.rpop, key) : this.run2(this.cmds.rpop, key, count)) as string | string[] | null;
  }

  /** LLEN: the list's length (0 when the key does not exist). */
  llen(key: Arg): number {
    return this.run1(this.cmds.llen, key) as number;
  }

  /** LRANGE: the elements from start to stop, both included (negative: from the end). */
  lrange(key: Arg, start: number, stop: number): string[] {
    return this.runTyped(this.cmds.lrange, [key, start, stop]) as string[];
  }

  /** LINDEX: the element at index (negative: from the end), or null. */
  lindex(key: Arg, index: number): string | null {
    return this.run2(this.cmds.lindex, key, index) as string | null;
  }

  // ---------------------------------------------------------------- hashes

  /** HSET key field value, or HSET key {field: value, ...} (an object, a Map or pairs): how many fields were added. */
  hset(key: Arg, field: Arg | Pairs, value?: Arg): number {
    if (value !== undefined) return this.call('HSET', key, field as Arg, value) as number;
    return this.call('HSET', key, ...pairArgs(field as Pairs)) as number;
  }

  /** HGET: the field's value, or null. */
  hget(key: Arg, field: Arg): string | null {
    return this.call('HGET', key, field) as string | null;
  }

  /** HGETALL as an object (empty when the key does not exist), as ioredis returns it. */
  hgetall(key: Arg): Record<string, string> {
    const r = this.call('HGETALL', key) as string[];
    const out: Record<string, string> = {};
    for (let i = 0; i < r.length; i += 2) Object.defineProperty(out, r[i]!, { value: r[i + 1]!, enumerable: true, writable: true, configurable: true });
    return out;
  }

  /** HDEL: how many of the fields existed (and were deleted). */
  hdel(key: Arg, ...fields: (Arg | readonly Arg[])[]): number {
    return this.call('HDEL', key, ...flat(fields)) as number;
  }

  /** HLEN: the number of fields (0 when absent). */
  hlen(key: Arg): number {
    return this.call('HLEN', key) as number;
  }

  /** HINCRBY: the field's new value. */
  hincrby(key: Arg, field: Arg, n: number): number {
    return int(this.call('HINCRBY', key, field, n));
  }

  // ---------------------------------------------------------------- bitmaps and HyperLogLog

  /** SETBIT: the bit's previous value (the string grows, zero-filled, to reach `offset`). */
  setbit(key: Arg, offset: number, value: 0 | 1): number {
    return this.call('SETBIT', key, offset, value) as number;
  }

  /** GETBIT: the bit at `offset` (0 past the end or for a missing key). */
  getbit(key: Arg, offset: number): number {
    return this.call('GETBIT', key, offset) as number;
  }

  /** BITCOUNT: set bits, in the whole string or in [start, end] (bytes, or bits with unit 'BIT'). */
  bitcount(key: Arg, start?: number, end?: number, unit?: 'BYTE' | 'BIT'): number {
    if (start === undefined || end === undefined) return this.call('BITCOUNT', key) as number;
    return (unit ? this.call('BITCOUNT', key, start, end, unit) : this.call('BITCOUNT', key, start, end)) as number;
  }

  /** PFADD: 1 when the HyperLogLog changed (or was created), else 0. */
  pfadd(key: Arg, ...elements: (Arg | readonly Arg[])[]): number {
    return this.call('PFADD', key, ...flat(elements)) as number;
  }

  /** PFCOUNT: the estimated cardinality of one HyperLogLog, or of the union of several. */
  pfcount(...keys: (Arg | readonly Arg[])[]): number {
    return this.call('PFCOUNT', ...flat(keys)) as number;
  }

  // ---------------------------------------------------------------- geo

  /**
   * GEOADD key [NX|XX] [CH] with one [longitude, latitude, member] or several: how many
   * members were added (with `ch`, added or moved).
   */
  geoadd(key: Arg, items: readonly (readonly [number, number, Arg])[], opts: GeoAddOptions = {}): number {
    const args: Arg[] = [key];
    if (opts.nx) args.push('NX');
    if (opts.xx) args.push('XX');
    if (opts.ch) args.push('CH');
    for (const [lon, lat, m] of items) args.push(lon, lat, m);
    return this.call('GEOADD', ...args) as number;
  }

  /** GEODIST: the distance between two members in `unit` (meters by default), null when one is missing. */
  geodist(key: Arg, member1: Arg, member2: Arg, unit: GeoUnit = 'm'): number | null {
    const r = this.call('GEODIST', key, member1, member2, unit) as string | null;
    return r === null ? null : Number(r);
  }

  /** GEOPOS: [longitude, latitude] of each member (the centre of its 52-bit cell), null when missing. */
  geopos(key: Arg, ...members: (Arg | readonly Arg[])[]): ([number, number] | null)[] {
    const r = this.call('GEOPOS', key, ...flat(members)) as ([string, string] | null)[];
    return r.map((p) => (p === null ? null : [Number(p[0]), Number(p[1])]));
  }

  /**
   * GEOSEARCH: the members inside a circle or a box around a member or a position. Without
   * `withCoord`/`withDist`/`withHash` the names; with them, one entry per member:
   * { member, dist?, hash?, coord? }.
   */
  geosearch(key: Arg, q: GeoSearchQuery): string[] | GeoSearchHit[] {
    const args = geoSearchArgs(q);
    const withAny = q.withCoord || q.withDist || q.withHash;
    if (q.withCoord) args.push('WITHCOORD');
    if (q.withDist) args.push('WITHDIST');
    if (q.withHash) args.push('WITHHASH');
    const r = this.call('GEOSEARCH', key, ...args) as Reply[];
    if (!withAny) return r as string[];
    // Redis's order within an entry: member, distance, hash, coordinates
    return r.map((e) => {
      const f = e as Reply[];
      const hit: GeoSearchHit = { member: f[0] as string };
      let i = 1;
      if (q.withDist) hit.dist = Number(f[i++]);
      if (q.withHash) hit.hash = Number(f[i++]);
      if (q.withCoord) {
        const c = f[i++] as string[];
        hit.coord = [Number(c[0]), Number(c[1])];
      }
      return hit;
    });
  }

  /** GEOSEARCHSTORE: stores the hits as a sorted set at `destination` (their distances with `storeDist`); how many. */
  geosearchstore(destination: Arg, key: Arg, q: GeoSearchQuery & { storeDist?: boolean }): number {
    const args = geoSearchArgs(q);
    if (q.storeDist) args.push('STOREDIST');
    return this.call('GEOSEARCHSTORE', destination, key, ...args) as number;
  }

  // ---------------------------------------------------------------- keys

  /** DEL: how many of the keys existed (and were deleted); keys as arguments or an array. */
  del(...keys: (Arg | readonly Arg[])[]): number {
    return this.runTyped(this.cmds.del, flat(keys)) as number;
  }

  /** EXISTS: how many of the keys exist (a key given twice counts twice). */
  exists(...keys: (Arg | readonly Arg[])[]): number {
    return this.runTyped(this.cmds.exists, flat(keys)) as number;
  }

  /** TYPE: 'string', 'none'... */
  type(key: Arg): string {
    return this.call('TYPE', key) as string;
  }

  /** EXPIRE: 1 when the timeout was set, 0 otherwise (no such key, or `mode` said no). */
  expire(key: Arg, seconds: number, mode?: ExpireMode): number {
    if (mode === undefined) return this.run2(this.cmds.expire, key, seconds) as number;
    return this.runTyped(this.cmds.expire, [key, seconds, mode]) as number;
  }

  /** PEXPIRE: as expire, in milliseconds. */
  pexpire(key: Arg, ms: number, mode?: ExpireMode): number {
    if (mode === undefined) return this.run2(this.cmds.pexpire, key, ms) as number;
    return this.runTyped(this.cmds.pexpire, [key, ms, mode]) as number;
  }

  /** TTL: seconds to live; -1 without expiry, -2 when the key does not exist. */
  ttl(key: Arg): number {
    return this.run1(this.cmds.ttl, key) as number;
  }

  /** PTTL: milliseconds to live; -1 without expiry, -2 when the key does not exist. */
  pttl(key: Arg): number {
    return this.run1(this.cmds.pttl, key) as number;
  }

  /** PERSIST: 1 when a timeout was removed. */
  persist(key: Arg): number {
    return this.run1(this.cmds.persist, key) as number;
  }

  /** RENAME: 'OK'; throws when the key does not exist. */
  rename(key: Arg, newKey: Arg): 'OK' {
    return this.call('RENAME', key, newKey) as 'OK';
  }

  /** KEYS: every key matching the pattern (prefer scan() on a large keyspace). */
  keys(pattern: Arg): string[] {
    return this.call('KEYS', pattern) as string[];
  }

  /** DBSIZE: keys in the selected database. */
  dbsize(): number {
    return this.call('DBSIZE') as number;
  }

  /** SELECT a database for this handle's next calls. */
  select(db: number): 'OK' {
    return this.call('SELECT', db) as 'OK';
  }

  /** FLUSHDB: delete every key of the selected database. */
  flushdb(): 'OK' {
    return this.call('FLUSHDB') as 'OK';
  }

  /** FLUSHALL: delete every key of every database. */
  flushall(): 'OK' {
    return this.call('FLUSHALL') as 'OK';
  }

  /**
   * Every key (matching the options), by SCAN, as an iterator: a key present for the whole
   * iteration is returned exactly once, however the keyspace changes meanwhile (one SCAN
   * step per `count` keys; the lock is not held between steps).
   *
   *   for (const key of kv.scan({ match: 'session:*' })) kv.del(key);
   */
  *scan(opts: ScanOptions = {}): IterableIterator<string> {
    let cursor = '0';
    const extra: Arg[] = ['COUNT', opts.count ?? 100];
    if (opts.match !== undefined) extra.push('MATCH', opts.match);
    if (opts.type !== undefined) extra.push('TYPE', opts.type);
    do {
      const [next, keys] = this.call('SCAN', cursor, ...extra) as [string, string[]];
      cursor = next;
      yield* keys;
    } while (cursor !== '0');
  }

  // ---------------------------------------------------------------- transactions

  /** Watch keys: the next transaction's exec() returns null if any of them changed (in any process). */
  watch(...keys: (Arg | readonly Arg[])[]): 'OK' {
    return this.call('WATCH', ...flat(keys)) as 'OK';
  }

  /** Forget the watched keys. */
  unwatch(): 'OK' {
    return this.call('UNWATCH') as 'OK';
  }

  /**
   * A transaction: queue commands, then exec().
   *
   *   const [[, n], [, v]] = kv.multi().incr('hits').get('last').exec()!;
   */
  multi(): Transaction {
    return new Transaction(this);
  }

  /** @internal Transaction.exec: MULTI, the queue, EXEC, in one batch through the engine. */
  runTransaction(queue: Arg[][]): ExecResult {
    if (this.closed) throw new Error('shmkv: this keyspace handle is closed');
    const engine = this.engine;
    const s = this.session;
    engine.beginBatch();
    let replies: Reply[];
    this.depth++;
    try {
      engine.execute(s, [CMD.multi]);
      for (const q of queue) {
        const argv = q.map((a, i) => (i === 0 ? Buffer.from(String(a), 'latin1') : toBuffer(a)));
        engine.execute(s, argv);
      }
      engine.execute(s, [CMD.exec]);
    } finally {
      this.depth--;
      engine.endBatch();
      replies = this.sink.takeAll();
    }
    if (this.invQueue.length > 0 && this.depth === 0) this.flushInvalidations();
    const result = replies[replies.length - 1];
    if (result instanceof ReplyError) throw result;
    if (result === null || result === undefined) return null;
    return (result as Reply[]).map((r) => (r instanceof ReplyError ? [r] : [null, r]));
  }

  // ---------------------------------------------------------------- persistence (RDB)

  /**
   * SAVE: the keyspace to `dir/dbfilename` (this process's configuration: the working
   * directory and dump.rdb unless set), by the same fork-free snapshot a server's BGSAVE
   * takes: other processes keep writing meanwhile.
   */
  save(): void {
    this.call('SAVE');
  }

  /** BGSAVE: the snapshot walked a slice per event-loop turn of this process. */
  bgsave(opts: { schedule?: boolean } = {}): string {
    return (opts.schedule ? this.call('BGSAVE', 'SCHEDULE') : this.call('BGSAVE')) as string;
  }

  /** LASTSAVE: unix seconds of this process's last successful save. */
  lastsave(): number {
    return this.call('LASTSAVE') as number;
  }

  /** DUMP: the value in Redis's serialisation (RESTORE takes it here or in any Redis), null when absent. */
  dump(key: Arg): Buffer | null {
    return this.callBuffer('DUMP', key) as Buffer | null;
  }

  /** RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f]: ttl in ms (0: none). */
  restore(key: Arg, ttlMs: number, payload: Uint8Array, opts: { replace?: boolean; absttl?: boolean; idleTime?: number; freq?: number } = {}): 'OK' {
    const args: Arg[] = [key, ttlMs, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)];
    if (opts.replace) args.push('REPLACE');
    if (opts.absttl) args.push('ABSTTL');
    if (opts.idleTime !== undefined) args.push('IDLETIME', opts.idleTime);
    if (opts.freq !== undefined) args.push('FREQ', opts.freq);
    return this.call('RESTORE', ...args) as 'OK';
  }

  // ---------------------------------------------------------------- configuration

  /** CONFIG GET of one parameter. */
  configGet(name: string): string | null {
    const r = this.call('CONFIG', 'GET', name) as string[];
    return r.length >= 2 ? r[1]! : null;
  }

  /** CONFIG SET: shared parameters (maxmemory, its policy...) change for every process at once. */
  configSet(name: string, value: ConfigValue): 'OK' {
    return this.call('CONFIG', 'SET', name, typeof value === 'boolean' ? (value ? 'yes' : 'no') : value) as 'OK';
  }

  // ---------------------------------------------------------------- pub/sub

  /**
   * Receive the messages published to `channel` by any process on the segment (the server's
   * clients included), in publication order, on this event loop (the wait for them runs on
   * a worker thread: nothing blocks, and a subscription keeps the process alive until
   * unsubscribed or closed). Returns this handle's number of channel + pattern subscriptions.
   */
  subscribe(channel: Arg, handler: MessageHandler): number {
    return this.addSub(K_CHANNEL, channel, handler);
  }

  /** subscribe() to every channel matching a glob-style pattern. */
  psubscribe(pattern: Arg, handler: MessageHandler): number {
    return this.addSub(K_PATTERN, pattern, handler);
  }

  /** subscribe() to a shard channel (SPUBLISH). Returns this handle's shard subscriptions. */
  ssubscribe(channel: Arg, handler: MessageHandler): number {
    return this.addSub(K_SHARD, channel, handler);
  }

  /** Remove `handler` (or every handler) from `channel`; no arguments: from every channel. */
  unsubscribe(channel?: Arg, handler?: MessageHandler): number {
    return this.removeSub(K_CHANNEL, channel, handler);
  }

  punsubscribe(pattern?: Arg, handler?: MessageHandler): number {
    return this.removeSub(K_PATTERN, pattern, handler);
  }

  sunsubscribe(channel?: Arg, handler?: MessageHandler): number {
    return this.removeSub(K_SHARD, channel, handler);
  }

  /** PUBLISH: returns the number of subscribers that receive it, in every process. */
  publish(channel: Arg, message: Arg): number {
    return this.run([CMD.publish, toBuffer(channel), toBuffer(message)]) as number;
  }

  /** SPUBLISH */
  spublish(channel: Arg, message: Arg): number {
    return this.run([CMD.spublish, toBuffer(channel), toBuffer(message)]) as number;
  }

  private subCount(kind: SubKind): number {
    const m = this.subs.maps;
    return kind === K_SHARD ? m[K_SHARD].size : m[K_CHANNEL].size + m[K_PATTERN].size;
  }

  private addSub(kind: SubKind, name: Arg, handler: MessageHandler): number {
    if (this.closed) throw new Error('shmkv: this keyspace handle is closed');
    if (typeof handler !== 'function') throw new TypeError('shmkv: a message handler function is required');
    const b = Buffer.from(toBuffer(name));
    const key = b.toString('latin1');
    const map = this.subs.maps[kind];
    let sub = map.get(key);
    if (sub === undefined) {
      hubOf(this.ks).add(this.subs, kind, b);
      map.set(key, (sub = { name: b, handlers: new Set() }));
    }
    sub.handlers.add(handler);
    return this.subCount(kind);
  }

  private removeSub(kind: SubKind, name: Arg | undefined, handler: MessageHandler | undefined): number {
    if (this.closed) return 0;
    const map = this.subs.maps[kind];
    const keys = name === undefined ? [...map.keys()] : [toBuffer(name).toString('latin1')];
    for (const key of keys) {
      const sub = map.get(key);
      if (sub === undefined) continue;
      if (handler !== undefined && name !== undefined) sub.handlers.delete(handler);
      else sub.handlers.clear();
      if (sub.handlers.size === 0) {
        map.delete(key);
        hubOf(this.ks).remove(this.subs, kind, sub.name);
      }
    }
    return this.subCount(kind);
  }

  // ---------------------------------------------------------------- client-side caching

  /**
   * Keep an in-process cache coherent (Redis's CLIENT TRACKING for this handle): from now
   * on, every key this handle reads (get, hget, mget… any read command) is remembered, and
   * `onInvalidate` is called with the keys when they change — written, deleted, expired or
   * evicted by ANY process: this one (right after the writing call returns, unless
   * `noloop`), the server's clients, other library processes (on this event loop, as soon
   * as the change is published). null means every key (FLUSHALL / FLUSHDB, or this process
   * fell behind the shared ring). A key is reported once per read: read it again to hear
   * about it again. With `bcast`, every changed key with one of `prefixes` is reported,
   * read or not. Calling track() again replaces the handler and options.
   */
  track(onInvalidate: InvalidationHandler, opts: TrackOptions = {}): void {
    if (typeof onInvalidate !== 'function') throw new TypeError('shmkv: an invalidation handler function is required');
    const args: Arg[] = ['TRACKING', 'ON'];
    if (opts.bcast) {
      args.push('BCAST');
      for (const p of opts.prefixes ?? []) args.push('PREFIX', p);
    }
    if (opts.noloop) args.push('NOLOOP');
    // (turned off first: switching BCAST on/off needs it, as in Redis)
    if (this.onInvalidate !== null) this.call('CLIENT', 'TRACKING', 'OFF');
    this.call('CLIENT', ...args);
    this.onInvalidate = onInvalidate;
    setTrackingDeliver(this.session, (keys) => {
      this.invQueue.push(keys === null ? null : keys.map((k) => k.toString('utf8')));
      if (this.depth === 0) this.flushInvalidations();
    });
  }

  /** Stop tracking (track's handler is not called any more). */
  untrack(): void {
    if (this.closed || this.onInvalidate === null) return;
    this.onInvalidate = null;
    this.invQueue = [];
    this.call('CLIENT', 'TRACKING', 'OFF');
  }

  private flushInvalidations(): void {
    const q = this.invQueue;
    this.invQueue = [];
    const h = this.onInvalidate;
    if (h === null) return;
    for (const keys of q) {
      try {
        h(keys);
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        if (this.listenerCount('error') > 0) this.emit('error', err);
        else process.emitWarning(err);
      }
    }
  }

  /** Detach from the segment (the data stays for the other processes and the next open). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onInvalidate = null;
    trackingSessionGone(this.ks, this.session);
    existingHub(this.ks)?.close();
    for (const m of Object.values(this.subs.maps)) m.clear();
    this.ks.close();
  }
}

/** Open (or create) a keyspace in shared memory. */
export function open(opts: OpenOptions = {}): KV {
  return new KV(opts);
}
