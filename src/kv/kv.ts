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

export { ReplyError, type Reply } from '../engine/value-sink.js';

/** An argument: a string (sent as utf8), bytes, or a number (sent as its decimal text). */
export type Arg = string | Buffer | Uint8Array | number;

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
}

/** Options of `set` (SET's EX PX EXAT PXAT NX XX KEEPTTL GET). */
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
  /** Return the old value (string or null) instead of 'OK'. */
  get?: boolean;
}

export interface ScanOptions {
  /** Glob-style pattern (MATCH). */
  match?: string;
  /** Keys examined per step (COUNT). Default 100. */
  count?: number;
  /** Only keys of this type (TYPE). */
  type?: string;
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

/** A transaction being built: commands are queued here and run by exec() as MULTI … EXEC. */
export class Transaction {
  private readonly queue: Arg[][] = [];

  constructor(private readonly kv: KV) {}

  /** Queue any command. */
  call(command: string, ...args: Arg[]): this {
    this.queue.push([command, ...args]);
    return this;
  }

  set(key: Arg, value: Arg, opts?: SetOptions): this {
    return this.call('SET', key, value, ...setArgs(opts));
  }
  get(key: Arg): this {
    return this.call('GET', key);
  }
  del(...keys: Arg[]): this {
    return this.call('DEL', ...keys);
  }
  incr(key: Arg): this {
    return this.call('INCR', key);
  }
  incrby(key: Arg, n: number): this {
    return this.call('INCRBY', key, n);
  }
  expire(key: Arg, seconds: number): this {
    return this.call('EXPIRE', key, seconds);
  }

  /**
   * Run the queued commands as one transaction (atomic for every process, and under
   * kill -9). Returns ioredis's shape — one [error, result] pair per command, a command's
   * runtime error not undoing the others — or null when a watched key changed. A command
   * refused while queueing (unknown, wrong arity) aborts the whole: exec() throws EXECABORT.
   */
  exec(): [ReplyError | null, Reply][] | null {
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

export class KV {
  private readonly ks: SegmentKeyspace;
  private readonly engine: Engine;
  private readonly session: Session;
  private readonly sink: ValueSink;
  private readonly scratch = new ArgScratch();
  /** The commands of the typed calls, looked up once. */
  private readonly cmds: { get: Command; set: Command; incr: Command };
  private readonly argv2: Buffer[] = [EMPTY, EMPTY];
  private readonly argv3: Buffer[] = [EMPTY, EMPTY, EMPTY];
  private closed = false;

  constructor(opts: OpenOptions = {}) {
    const segment = opts.segment ?? 'default';
    this.ks = openKeyspace({ segment, create: opts.create ?? true, reserve: opts.size, mode: opts.mode, dir: opts.dir, databases: opts.databases });
    try {
      const config = new Config();
      if (opts.password !== undefined) config.set('requirepass', opts.password);
      // the segment's shared settings (maxmemory, its policy...) are kept as they are
      config.attachShared(this.ks.settings, false);
      this.engine = new Engine({ ks: this.ks, config, expireOnLock: true });
      const reg = this.engine.registry;
      const byName = (n: string): Command => reg.byName(n)!;
      this.cmds = { get: byName('get'), set: byName('set'), incr: byName('incr') };
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

  private run(argv: Buffer[]): Reply {
    if (this.closed) throw new Error('shmkv: this keyspace handle is closed');
    this.engine.executeAlone(this.session, argv);
    const r = this.sink.take1();
    if (r instanceof ReplyError) throw r;
    return r;
  }

  /** run() of a command looked up at open() with an argv built from the scratch (see ArgScratch). */
  private runScratch(cmd: Command, argv: Buffer[]): Reply {
    if (this.closed) throw new Error('shmkv: this keyspace handle is closed');
    try {
      this.engine.executeResolvedAlone(this.session, cmd, argv);
    } finally {
      this.ks.forgetProbe();
    }
    const r = this.sink.take1();
    if (r instanceof ReplyError) throw r;
    return r;
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

  // ---------------------------------------------------------------- strings

  get(key: Arg): string | null {
    const argv = this.argv2;
    argv[0] = CMD.get;
    argv[1] = this.scratch.arg(key, 1);
    return this.runScratch(this.cmds.get, argv) as string | null;
  }

  getBuffer(key: Arg): Buffer | null {
    return this.callBuffer('GET', key) as Buffer | null;
  }

  /** SET: 'OK', or null when NX/XX prevented it; with `get`, the old value. */
  set(key: Arg, value: Arg, opts?: SetOptions): string | null {
    if (opts === undefined) {
      const argv = this.argv3;
      argv[0] = CMD.set;
      argv[1] = this.scratch.arg(key, 1);
      argv[2] = this.scratch.arg(value, 2);
      return this.runScratch(this.cmds.set, argv) as string | null;
    }
    return this.call('SET', key, value, ...setArgs(opts)) as string | null;
  }

  mget(...keys: Arg[]): (string | null)[] {
    return this.call('MGET', ...keys) as (string | null)[];
  }

  /** MSET from an object or from key/value pairs. */
  mset(pairs: Record<string, Arg> | [Arg, Arg][]): 'OK' {
    const args: Arg[] = [];
    const list = Array.isArray(pairs) ? pairs : Object.entries(pairs);
    for (const [k, v] of list) args.push(k, v);
    return this.call('MSET', ...args) as 'OK';
  }

  incr(key: Arg): number {
    const argv = this.argv2;
    argv[0] = CMD.incr;
    argv[1] = this.scratch.arg(key, 1);
    return this.runScratch(this.cmds.incr, argv) as number;
  }

  incrby(key: Arg, n: number): number {
    return this.call('INCRBY', key, n) as number;
  }

  decr(key: Arg): number {
    return this.call('DECR', key) as number;
  }

  decrby(key: Arg, n: number): number {
    return this.call('DECRBY', key, n) as number;
  }

  incrbyfloat(key: Arg, n: number | string): string {
    return this.call('INCRBYFLOAT', key, n) as string;
  }

  append(key: Arg, value: Arg): number {
    return this.call('APPEND', key, value) as number;
  }

  strlen(key: Arg): number {
    return this.call('STRLEN', key) as number;
  }

  getdel(key: Arg): string | null {
    return this.call('GETDEL', key) as string | null;
  }

  // ---------------------------------------------------------------- keys

  del(...keys: Arg[]): number {
    return this.call('DEL', ...keys) as number;
  }

  exists(...keys: Arg[]): number {
    return this.call('EXISTS', ...keys) as number;
  }

  type(key: Arg): string {
    return this.call('TYPE', key) as string;
  }

  /** EXPIRE: 1 when the timeout was set, 0 otherwise. `mode`: NX, XX, GT or LT. */
  expire(key: Arg, seconds: number, mode?: 'NX' | 'XX' | 'GT' | 'LT'): number {
    return (mode ? this.call('EXPIRE', key, seconds, mode) : this.call('EXPIRE', key, seconds)) as number;
  }

  pexpire(key: Arg, ms: number, mode?: 'NX' | 'XX' | 'GT' | 'LT'): number {
    return (mode ? this.call('PEXPIRE', key, ms, mode) : this.call('PEXPIRE', key, ms)) as number;
  }

  /** Seconds to live: -1 without expiry, -2 when the key does not exist. */
  ttl(key: Arg): number {
    return this.call('TTL', key) as number;
  }

  pttl(key: Arg): number {
    return this.call('PTTL', key) as number;
  }

  persist(key: Arg): number {
    return this.call('PERSIST', key) as number;
  }

  rename(key: Arg, newKey: Arg): 'OK' {
    return this.call('RENAME', key, newKey) as 'OK';
  }

  keys(pattern: Arg): string[] {
    return this.call('KEYS', pattern) as string[];
  }

  dbsize(): number {
    return this.call('DBSIZE') as number;
  }

  select(db: number): 'OK' {
    return this.call('SELECT', db) as 'OK';
  }

  flushdb(): 'OK' {
    return this.call('FLUSHDB') as 'OK';
  }

  flushall(): 'OK' {
    return this.call('FLUSHALL') as 'OK';
  }

  /**
   * Every key (matching the options), by SCAN: a key present for the whole iteration is
   * returned exactly once, however the keyspace changes meanwhile.
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
  watch(...keys: Arg[]): 'OK' {
    return this.call('WATCH', ...keys) as 'OK';
  }

  unwatch(): 'OK' {
    return this.call('UNWATCH') as 'OK';
  }

  /** A transaction: queue commands, then exec(). */
  multi(): Transaction {
    return new Transaction(this);
  }

  /** @internal Transaction.exec: MULTI, the queue, EXEC, in one batch through the engine. */
  runTransaction(queue: Arg[][]): [ReplyError | null, Reply][] | null {
    if (this.closed) throw new Error('shmkv: this keyspace handle is closed');
    const engine = this.engine;
    const s = this.session;
    engine.beginBatch();
    let replies: Reply[];
    try {
      engine.execute(s, [CMD.multi]);
      for (const q of queue) {
        const argv = q.map((a, i) => (i === 0 ? Buffer.from(String(a), 'latin1') : toBuffer(a)));
        engine.execute(s, argv);
      }
      engine.execute(s, [CMD.exec]);
    } finally {
      engine.endBatch();
      replies = this.sink.takeAll();
    }
    const result = replies[replies.length - 1];
    if (result instanceof ReplyError) throw result;
    if (result === null || result === undefined) return null;
    return (result as Reply[]).map((r) => (r instanceof ReplyError ? [r, null] : [null, r]));
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

  /** Detach from the segment (the data stays for the other processes and the next open). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ks.close();
  }
}

/** Command names as Buffers, made once. */
const CMD = {
  get: Buffer.from('GET'),
  set: Buffer.from('SET'),
  incr: Buffer.from('INCR'),
  multi: Buffer.from('MULTI'),
  exec: Buffer.from('EXEC'),
};

/** Open (or create) a keyspace in shared memory. */
export function open(opts: OpenOptions = {}): KV {
  return new KV(opts);
}
