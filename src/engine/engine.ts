/**
 * The engine: ONE path that runs a command for any caller (Redis's processCommand +
 * call(), Dragonfly's CommandRegistry + OpArgs). The server runs its connections'
 * commands through it; the library (`kv`) runs its calls through it; EXEC runs its queued
 * commands through it. It does, in order:
 *
 *   lookup (command, subcommand) → arity → authentication → MULTI queueing rules →
 *   maxmemory (evict, or refuse with -OOM) → the handler, inside one undo-logged keyspace
 *   operation for data commands (rolled back if it fails) → error replies →
 *   statistics (commandstats, errorstats, latency histograms, SLOWLOG) → the server's hook
 *   (MONITOR).
 *
 * Handlers get a CommandContext with no socket in it (src/commands/types.ts): the keyspace,
 * the session, its reply sink, this engine as their environment, and the server's
 * capabilities when there is a server.
 */
import { Persistence } from '../persistence/persistence.js';
import { CommandError, newEngineStats, type CommandContext, type CommandDef, type Env, type EngineStats, type LogSink, type ServerOps, type SlowlogEntryView } from '../commands/types.js';
import { errorCode } from '../commands/reply.js';
import type { Session } from '../commands/session.js';
import { resetTransaction } from '../commands/transaction_family.js';
import type { Config, ConfigValue } from '../config/config.js';
import { OOM_ERROR, type EvictResult } from '../keyspace/evict.js';
import type { Keyspace } from '../keyspace/keyspace.js';
import { C_EVICTED, C_EXPIRED, C_HITS, C_MISSES } from '../keyspace/counters.js';
import { Registry, type Command } from './registry.js';
import { commandFamily } from './command_family.js';
import { allCommands } from './families.js';
import { changeReplicationId, genInfo, type ServerInfoSource } from './info.js';
import { LatencyHistogram, LatencyMonitor } from './latency.js';
import { latencyFamily } from './latency_family.js';
import { Slowlog } from './slowlog.js';
import { wallMs } from '../util/wallclock.js';
import { installKeyspaceEvents } from '../pubsub/notify.js';
import { trackerOf, type Tracker, type TrackingState } from '../commands/tracking.js';

/** The global `performance` is a lazy getter: read it once, not per command. */
const perf = globalThis.performance;

const EMPTY_ARGV: Buffer[] = [];

/** C-string view (stops at a NUL) truncated to max bytes, as printf's %.Ns. */
function cstr(b: Buffer, max: number): Buffer {
  let n = b.indexOf(0);
  if (n < 0) n = b.length;
  return b.subarray(0, Math.min(n, Math.max(0, max)));
}

const QUIET_LOG: LogSink = { warning() {}, notice() {}, verbose() {} };

export interface EngineOptions {
  ks: Keyspace;
  config: Config;
  log?: LogSink;
  /** The server's capabilities (null or absent for a library process). */
  server?: ServerOps | null;
  /** What INFO reports about the server (null for a library process). */
  serverInfo?: ServerInfoSource | null;
  /** Command tables (default: every family). */
  commands?: CommandDef[];
  /**
   * Run an active-expiry step when no process did for a while, whenever this engine takes
   * the lock (a library process: with no server running, keys still expire). The server
   * has its cron instead.
   */
  expireOnLock?: boolean;
  /**
   * Take the keyspace's wall clock (ks.now, what expiry compares with) from the monotonic
   * clock the engine reads anyway at the start of a batch (src/util/wallclock.ts: the same
   * clock as TIME's, re-checked against Date.now() every 100 ms): one clock read less per
   * batch. For a library process, whose every call is a batch of its own.
   */
  derivedWallClock?: boolean;
}

/** One fast read in this many is timed (Engine.executeReadFast). */
const FAST_TIMING_SAMPLE = 16;

/** Per-session state of the engine: the handler context and the command running. */
interface Running {
  engine: Engine;
  ctx: CommandContext;
  cmd: Command | null;
  argv: Buffer[];
  /** Runs the current command inside ks.exec(): one closure per session, not per command. */
  runner: () => void;
}

export class Engine implements Env {
  readonly ks: Keyspace;
  readonly config: Config;
  readonly log: LogSink;
  readonly registry: Registry;
  readonly stats: EngineStats = newEngineStats();
  readonly server: ServerOps | null;
  readonly serverInfo: ServerInfoSource | null;
  readonly startTime = Date.now();
  /**
   * Set while clients are paused (CLIENT PAUSE): whether a command, checked like any
   * other (arity, authentication...), must wait; the engine then runs nothing and marks
   * the session `postponed`, and the caller runs the command again after the pause.
   */
  pauseCheck: ((s: Session, cmd: Command) => boolean) | null = null;
  /** CLIENT PAUSE holds expiry too: read commands see expired keys as gone, but do not delete them (Redis's PAUSE_ACTION_EXPIRE). */
  expiryPaused = false;
  /** Called after every command run (the server feeds MONITOR from it). */
  onCall: ((s: Session, cmd: Command, argv: Buffer[]) => void) | null = null;
  latencyTracking = true;
  /** min-replicas-to-write / min-replicas-max-lag (writes are refused when both are above 0: no replicas here) */
  private minReplicasToWrite = 0;
  private minReplicasMaxLag = 10;
  /** DEBUG SET-ACTIVE-EXPIRE: background expiry of this process (the server's cron, the library's lock-time cycle). */
  activeExpire = true;
  /** DEBUG PAUSE-CRON (the server's cron looks at it) */
  cronPaused = false;
  private slowlogSlowerThan = 10000;
  private slowlogMaxLen = 128;
  private readonly slowlog = new Slowlog();
  /** LATENCY's events (latency-monitor-threshold) */
  readonly latencyMonitor = new LatencyMonitor();
  private latencyThreshold = 0;
  private readonly expireOnLock: boolean;
  private readonly derivedWallClock: boolean;
  /** performance.now() at the end of the last command (commandstats usec) */
  private clock = 0;
  /** commands running inside another (EXEC) */
  private nesting = 0;
  /** SAVE, BGSAVE, save points, loading, INFO persistence (src/persistence/). */
  readonly persistence: Persistence;
  private readonly pingCmd: Command | null;
  /** Commands that run at once inside MULTI instead of being queued. */
  private readonly multiImmediate: Set<Command>;
  private readonly execCmd: Command | null;
  /** What a RESP2 session in subscribed mode may run (Redis's processCommand pub/sub check). */
  private readonly subscribedAllowed: Set<Command>;
  /** Client-side caching of this process (src/commands/tracking.ts): its write-seam hooks are installed with it. */
  readonly tracker: Tracker;

  constructor(opts: EngineOptions) {
    this.ks = opts.ks;
    this.config = opts.config;
    this.log = opts.log ?? QUIET_LOG;
    this.server = opts.server ?? null;
    this.serverInfo = opts.serverInfo ?? null;
    this.expireOnLock = opts.expireOnLock ?? false;
    this.derivedWallClock = opts.derivedWallClock ?? false;
    this.registry = new Registry([...(opts.commands ?? allCommands), ...commandFamily(() => this.registry), ...latencyFamily(() => this.registry, this.latencyMonitor)]);
    this.multiImmediate = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset'].map((n) => this.registry.byName(n)).filter((c): c is Command => c !== null));
    this.execCmd = this.registry.byName('exec');
    this.subscribedAllowed = new Set(
      ['ping', 'subscribe', 'ssubscribe', 'unsubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe', 'quit', 'reset'].map((n) => this.registry.byName(n)).filter((c): c is Command => c !== null),
    );
    this.persistence = new Persistence(this.ks, this.config, this.log);
    this.pingCmd = this.registry.byName('ping');
    installKeyspaceEvents(this.ks);
    this.tracker = trackerOf(this.ks);
    const srv = this.server;
    // (a connection closing after its reply — QUIT — is gone for REDIRECT, as Redis frees it before the next command runs)
    if (srv !== null)
      this.tracker.lookup = (id) => {
        const c = srv.clients.get(id);
        return c === undefined || c.closeAfterReply ? undefined : c;
      };
    this.applyConfig();
  }

  // ---------------------------------------------------------------- sessions

  private state(s: Session): Running {
    let r = s.engineState as Running | null;
    if (r === null || r.engine !== this) {
      const ctx: CommandContext = { ks: this.ks, session: s, reply: s.reply, env: this, server: this.server };
      const st: Running = {
        engine: this,
        ctx,
        cmd: null,
        argv: EMPTY_ARGV,
        runner: () => {
          st.cmd!.handler!(ctx, st.argv);
        },
      };
      r = st;
      s.engineState = st;
      const stats = this.stats;
      s.reply.onError = (text: string) => {
        stats.totalErrorReplies++;
        const code = errorCode(text);
        stats.errorStats.set(code, (stats.errorStats.get(code) ?? 0) + 1);
      };
    }
    return r;
  }

  /** The context handlers of this session get (the engine makes one per session). */
  contextOf(s: Session): CommandContext {
    return this.state(s).ctx;
  }

  // ---------------------------------------------------------------- batches and the lock

  /**
   * Start a batch of commands (the server: all commands of one read event). The segment's
   * lock is taken by the first command that needs it and held until endBatch(), so a
   * pipeline pays for one lock.
   */
  beginBatch(): void {
    // derivedWallClock: the first command reads the clock once it holds the lock (or, if it
    // needs none, when it runs): NaN until then
    this.clock = this.derivedWallClock ? NaN : perf.now();
    this.batchWall = NaN;
    // settings another process changed (maxmemory...): one read per batch
    this.ks.refreshSettings();
  }

  endBatch(): void {
    if (this.ks.batchLocked) this.ks.unlockBatch();
  }

  /** Take the segment's lock for the rest of the batch (if no command has yet). */
  lockForBatch(): void {
    this.ensureLocked();
  }

  /** The wall clock of this batch's reads without the lock (NaN until the first). */
  private batchWall = NaN;

  private ensureLocked(): void {
    if (this.ks.batchLocked) return;
    const ks = this.ks;
    if (this.derivedWallClock) {
      ks.lockBatch(0);
      // one clock read for the batch's start and for the keyspace's time, taken under the lock
      const t = perf.now();
      if (this.clock !== this.clock) this.clock = t;
      ks.now = this.wallAt(t);
    } else ks.lockBatch();
    // a library process keeps keys expiring when no server runs (whoever holds the lock does it)
    if (this.expireOnLock && ks.cycleDue(ks.now)) {
      try {
        ks.activeExpireCycle(1, this.activeExpire);
      } catch (e) {
        this.log.warning(`active expire cycle failed: ${(e as Error).message}`);
      }
    }
  }

  /** The wall clock (ms since the epoch, an integer like Date.now()) at monotonic time t. */
  private wallAt(t: number): number {
    return Math.floor(wallMs(t));
  }

  // ---------------------------------------------------------------- running a command

  /**
   * Look up, check and run one command for a session (Redis's processCommand + call),
   * inside a batch (beginBatch/endBatch). Its reply goes to the session's sink.
   */
  execute(s: Session, argv: Buffer[]): void {
    const reply = s.reply;
    const mark = reply.length;
    // CLIENT REPLY SKIP applies to the next command, whatever it is (even a rejected one)
    // (Redis turns SKIP_NEXT into SKIP before the command: CLIENT REPLY ON clears it, and
    // its own OK is then sent)
    s.replySkip = s.replySkipNext;
    s.replySkipNext = false;
    const tr = this.tracker;
    const outer = tr.current;
    tr.current = s;
    try {
      this.dispatch(s, argv);
    } finally {
      tr.current = outer;
    }
    if (s.postponed) {
      // not run: the skip still applies to it when it runs
      s.replySkipNext = s.replySkip;
      s.replySkip = false;
      return;
    }
    // (pub/sub confirmations are pushes: they go out whatever CLIENT REPLY says, as Redis's CLIENT_PUSHING)
    if ((s.replyOff || s.replySkip) && !s.pushedReply) reply.truncate(mark);
    s.replySkip = false;
    s.pushedReply = false;
    // client-side caching: invalidations of this session's own command go after its reply
    if (s.tracking !== null) tr.afterCommand(s, s.tracking as TrackingState);
  }

  /** One command outside any batch (a library call): its own lock, taken only if needed. */
  executeAlone(s: Session, argv: Buffer[]): void {
    this.beginBatch();
    try {
      this.execute(s, argv);
    } finally {
      this.endBatch();
    }
  }

  /**
   * execute() of a command the caller looked up once for all (the library's typed calls:
   * `registry.byName('get')`): everything after the lookup is the same path — arity,
   * authentication, MULTI rules, maxmemory, the operation, error replies, statistics.
   * `cmd` must be what lookup (and subcommand lookup) would give for argv.
   */
  executeResolved(s: Session, cmd: Command, argv: Buffer[]): void {
    const reply = s.reply;
    const mark = reply.length;
    const skip = s.replySkipNext;
    s.replySkipNext = false;
    const tr = this.tracker;
    const outer = tr.current;
    tr.current = s;
    try {
      this.dispatchCommand(s, cmd, argv);
    } finally {
      tr.current = outer;
    }
    if (s.replyOff || skip) reply.truncate(mark);
    if (s.tracking !== null) tr.afterCommand(s, s.tracking as TrackingState);
  }

  /** executeResolved() outside any batch, as executeAlone(). */
  executeResolvedAlone(s: Session, cmd: Command, argv: Buffer[]): void {
    this.beginBatch();
    try {
      this.executeResolved(s, cmd, argv);
    } finally {
      this.endBatch();
    }
  }

  /**
   * Refuse a command (Redis's rejectCommand): inside MULTI, EXEC will then abort. A refused
   * EXEC itself (wrong arity, -OOM, -NOAUTH...) discards the transaction and unwatches, in
   * MULTI or not, and says why in an EXECABORT (Redis's execCommandAbort: the reason without
   * the ERR that a formatted rejection never had).
   */
  private reject(s: Session, cmd: Command | null, text: string | Buffer): void {
    if (cmd !== null) cmd.stats.rejectedCalls++;
    if (cmd !== null && cmd === this.execCmd) {
      resetTransaction(s);
      const why = typeof text === 'string' ? text : text.toString('latin1');
      s.reply.error(`EXECABORT Transaction discarded because of: ${why.startsWith('ERR ') ? why.slice(4) : why}`);
      return;
    }
    if (typeof text === 'string') s.reply.error(text);
    else s.reply.errorBytes(text);
    if (s.multi !== null) s.multi.aborted = true;
  }

  private dispatch(s: Session, argv: Buffer[]): void {
    let cmd = this.registry.lookup(argv[0]!);
    if (cmd === null) {
      // CLIENT LIST's cmd= is the last command looked up, run or not (Redis's c->lastcmd)
      s.lastCmdName = 'NULL';
      this.rejectUnknown(s, argv);
      return;
    }
    if (cmd.subTable !== null && argv.length >= 2) {
      const sub = cmd.subTable.get(argv[1]!);
      if (sub === null) {
        s.lastCmdName = 'NULL';
        this.reject(s, null, Buffer.concat([Buffer.from("ERR unknown subcommand '"), cstr(argv[1]!, 128), Buffer.from(`'. Try ${cmd.upperName} HELP.`)]));
        return;
      }
      cmd = sub;
    }
    this.dispatchCommand(s, cmd, argv);
  }

  /** What dispatch() does once the command is known. */
  private dispatchCommand(s: Session, cmd: Command, argv: Buffer[]): void {
    // (Redis's c->lastcmd: set at lookup, so a rejected or held command shows too; not by EXEC's commands)
    s.lastCmdName = cmd.fullName;
    // tracking-table-max-keys, before every command (Redis's processCommand)
    if (this.tracker.sessions.size > 0) this.tracker.limitUsedSlots();
    const a = cmd.arity;
    if ((a > 0 && argv.length !== a) || argv.length < -a || cmd.handler === null) {
      this.reject(s, cmd, `ERR wrong number of arguments for '${cmd.fullName}' command`);
      return;
    }
    // protected commands (DEBUG) are refused before authentication, as in Redis
    const prot = cmd.protectedBy;
    if (prot !== null && !this.allowProtected(s, prot)) {
      const name = (cmd.parent ?? cmd).fullName.toUpperCase();
      this.reject(
        s,
        cmd,
        `ERR ${name} command not allowed. If the ${prot} option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`,
      );
      return;
    }
    if (!s.authenticated && !cmd.noAuth) {
      this.reject(s, cmd, 'NOAUTH Authentication required.');
      return;
    }
    if (s.monitor && (cmd.isWrite || cmd.isReadonly || cmd.flags.has('may_replicate'))) {
      // Redis treats a monitor like a replica here
      this.reject(s, cmd, "ERR Replica can't interact with the keyspace");
      return;
    }
    const multi = s.multi;
    if (multi !== null && cmd.flags.has('no_multi')) {
      this.reject(s, cmd, 'ERR Command not allowed inside a transaction');
      return;
    }
    // maxmemory: evict before any command; refuse the ones that may add data if that failed
    // (inside MULTI, queueing itself may grow without bound: refused too, as in Redis)
    const ks = this.ks;
    if (ks.limits.maxmemory > 0 && ks.overMaxmemory()) {
      const queueing = multi !== null && !this.multiImmediate.has(cmd);
      const denyOom = cmd.denyOom || queueing || (cmd === this.execCmd && multi !== null && multi.denyOom);
      if (this.performEvictions() === 'fail' && denyOom) {
        this.reject(s, cmd, OOM_ERROR);
        return;
      }
    }
    // min-replicas-to-write: we are a primary without replicas, so there are never enough
    // good ones (Redis's checkGoodReplicasStatus); EXEC counts as a write if it holds one
    if (this.minReplicasToWrite > 0 && this.minReplicasMaxLag > 0 && (cmd.isWrite || (cmd === this.execCmd && multi !== null && multi.write))) {
      this.reject(s, cmd, 'NOREPLICAS Not enough good replicas to write.');
      return;
    }
    // the last BGSAVE failed and stop-writes-on-bgsave-error: writes (and PING) are refused
    if (!this.persistence.lastBgsaveOk && (cmd.isWrite || cmd === this.pingCmd || (cmd === this.execCmd && multi !== null && multi.write))) {
      const denied = this.persistence.writeDenied();
      if (denied !== null) {
        this.reject(s, cmd, denied);
        return;
      }
    }
    // RESP2 subscribed mode: only the pub/sub commands, PING, QUIT and RESET
    if (s.subscribed && s.resp === 2 && !this.subscribedAllowed.has(cmd)) {
      this.reject(s, cmd, `ERR Can't execute '${cmd.fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);
      return;
    }
    // CLIENT PAUSE: after the checks (their errors come at once), as Redis's blockPostponeClient
    if (this.pauseCheck !== null && this.pauseCheck(s, cmd)) {
      s.postponed = true;
      return;
    }
    if (multi !== null && !this.multiImmediate.has(cmd)) {
      // copied: argv may be views of a read buffer that the next read overwrites
      multi.commands.push({ cmd, argv: argv.map((x) => Buffer.from(x)) });
      if (cmd.denyOom) multi.denyOom = true;
      if (cmd.isWrite) multi.write = true;
      s.reply.queued();
      return;
    }
    this.run(this.state(s), cmd, argv);
  }

  /** Redis's allowProtectedAction: the parameter is 'yes', or 'local' and the caller is local. */
  private allowProtected(s: Session, param: string): boolean {
    const v = this.config.str(param);
    return v === 'yes' || (v === 'local' && s.local);
  }

  private rejectUnknown(s: Session, argv: Buffer[]): void {
    const parts: Buffer[] = [Buffer.from("ERR unknown command '"), cstr(argv[0]!, 128), Buffer.from("', with args beginning with: ")];
    let len = 0;
    for (let i = 1; i < argv.length && len < 128; i++) {
      const piece = Buffer.concat([Buffer.from("'"), cstr(argv[i]!, 128 - len), Buffer.from("' ")]);
      parts.push(piece);
      len += piece.length;
    }
    this.reject(s, null, Buffer.concat(parts));
  }

  /** Run a queued command inside the current one (EXEC). */
  call(ctx: CommandContext, cmd: unknown, argv: Buffer[]): void {
    const st = this.state(ctx.session);
    const saved = st.cmd;
    const savedArgv = st.argv;
    this.nesting++;
    ctx.session.nestedCalls++;
    try {
      this.run(st, cmd as Command, argv);
    } finally {
      this.nesting--;
      ctx.session.nestedCalls--;
      st.cmd = saved;
      st.argv = savedArgv;
    }
  }

  /**
   * A read-only command's answer without the lock (its readFast), when nothing stands in its
   * way: not inside EXEC (which holds the lock anyway), not for a tracking session (whose
   * read keys are remembered under the lock), not while CLIENT PAUSE keeps expired keys.
   * Twice at most: a read that raced a writer tries once more, then waits for the lock.
   */
  private tryReadFast(st: Running, cmd: Command, s: Session, argv: Buffer[]): boolean {
    if (this.nesting > 0 || this.expiryPaused || this.ks.keepExpired) return false;
    const ts = s.tracking as TrackingState | null;
    if (ts !== null && ts.on) return false;
    // the command's time, as the lock would have set it (the batch's clock when it has one)
    if (this.derivedWallClock) {
      if (this.clock !== this.clock) this.clock = perf.now();
      this.ks.now = this.wallAt(this.clock);
    } else {
      // (one wall-clock read per batch, as lockBatch's)
      if (this.batchWall !== this.batchWall) this.batchWall = Date.now();
      this.ks.now = this.batchWall;
    }
    const fast = cmd.readFast!;
    return fast(st.ctx, argv) || fast(st.ctx, argv);
  }

  /** Run a resolved command: the operation around it, error replies, statistics. */
  private run(st: Running, cmd: Command, argv: Buffer[]): void {
    const s = st.ctx.session;
    const reply = s.reply;
    const mark = reply.length;
    const errs = reply.errors;
    let t0 = this.nesting > 0 ? perf.now() : this.clock;
    st.cmd = cmd;
    st.argv = argv;
    const ks = this.ks;
    // while paused, expired keys stay; a write (EXEC's, after a PAUSE inside it) still removes them first
    const paused = this.expiryPaused;
    const keepExpired = ks.keepExpired;
    if (paused) ks.keepExpired = !cmd.isWrite;
    // (keyspace notifications name their events after the command: src/pubsub/notify.ts)
    const outerName = ks.cmdName;
    const outerArgv = ks.cmdArgv;
    ks.cmdName = cmd.fullName;
    ks.cmdArgv = argv;
    ks.cmdSerial++;
    const tr = this.tracker;
    const top = this.nesting === 0;
    if (top) tr.executing = true;
    try {
      if (cmd.readFast !== null && !ks.batchLocked && this.tryReadFast(st, cmd, s, argv)) {
        // answered without the lock (src/keyspace/peek.ts)
        if (t0 !== t0) t0 = this.clock;
      } else if (cmd.useExec) {
        this.ensureLocked();
        // (NaN: the batch's clock is read with the lock, derivedWallClock)
        if (t0 !== t0) t0 = this.clock;
        ks.exec(st.runner);
      } else {
        if (t0 !== t0) t0 = this.clock = perf.now();
        cmd.handler!(st.ctx, argv);
      }
    } catch (e) {
      s.blockRequest = null;
      reply.truncate(mark);
      reply.error(this.errorText(cmd, e));
    }
    if (top) tr.executing = false;
    // client-side caching: a tracking session (default mode) remembers the keys it read
    const ts = s.tracking as TrackingState | null;
    if (ts !== null && ts.on && !ts.bcast && cmd.isReadonly && !cmd.flags.has('pubsub')) tr.rememberKeys(s, ts, this.registry.getKeys(cmd, argv), argv);
    if (paused) ks.keepExpired = keepExpired;
    ks.cmdName = outerName;
    ks.cmdArgv = outerArgv;
    // a blocking command that waits is counted when it is served or times out (its rerun)
    if (s.blockRequest !== null) {
      st.argv = EMPTY_ARGV;
      return;
    }
    const cs = cmd.stats;
    cs.calls++;
    // one clock read per command: a command's time runs from the end of the previous one
    // (or the start of the batch), so it includes its parsing and lookup
    const t1 = perf.now();
    const usec = (t1 - t0) * 1000;
    if (this.nesting === 0) this.clock = t1;
    this.timed(s, cmd, argv, usec);
    if (this.onCall !== null && cmd.monitored) this.onCall(s, cmd, argv);
    s.redacted = null;
    if (reply.errors !== errs) cs.failedCalls++;
    this.stats.totalCommandsProcessed++;
    st.argv = EMPTY_ARGV;
  }

  /**
   * A command's time: commandstats usec, latency-tracking, and when it was measured (not
   * an untimed fast read's estimate, see executeReadFast) SLOWLOG and the latency monitor.
   */
  private timed(s: Session, cmd: Command, argv: Buffer[], usec: number, measured = true): void {
    const cs = cmd.stats;
    cs.usec += usec;
    if (this.latencyTracking) (cs.latency ??= new LatencyHistogram()).recordUsec(usec);
    if (!measured) return;
    if (usec >= this.slowlogSlowerThan && this.slowlogSlowerThan >= 0 && !cmd.skipSlowlog && this.slowlogMaxLen > 0) {
      this.slowlog.push(argv, s.redacted, usec, s.addr, s.name, this.slowlogMaxLen);
    }
    // the latency monitor: whole milliseconds, as Redis's duration/1000
    if (this.latencyThreshold > 0 && usec >= this.latencyThreshold * 1000) {
      this.latencyMonitor.add(cmd.flags.has('fast') ? 'fast-command' : 'command', Math.floor(usec / 1000));
    }
  }

  /** Fast reads (executeReadFast) until the next timed one. */
  private fastReads = 0;

  /**
   * Count a read the library answered from its near cache (src/kv/near_cache.ts) as the
   * command it stands for: commandstats calls, its keys' keyspace hits, the session's last
   * command. Not timed (a clock read would be a third of such a read).
   */
  countCachedRead(s: Session, cmd: Command, hits: number): void {
    s.lastCmdName = cmd.fullName;
    cmd.stats.calls++;
    this.stats.totalCommandsProcessed++;
    this.ks.counters.add(C_HITS, hits);
  }

  /**
   * A library's typed read (kv.get, kv.mget…) answered without the lock by the command's
   * readFast and without the rest of the command path, when nothing on that path could
   * change the answer or must see the call: not inside a batch or another command, no
   * MULTI, MONITOR feed, client tracking, CLIENT REPLY, CLIENT PAUSE, pending
   * authentication or protected command, and not over maxmemory (whose eviction comes
   * before any command). Returns false, having run and counted nothing, when it does not
   * apply or the read raced a writer: the caller then runs executeResolvedAlone.
   *
   * Counted as any call (commandstats calls, keyspace hits and misses, latencystats, the
   * last command of the session), but timed on one call in FAST_TIMING_SAMPLE: the others
   * count that command's last measured time in commandstats usec and latencystats, and only
   * a measured call can reach SLOWLOG or the latency monitor. A clock read costs 60-100 ns
   * here, and the two of a timed call were a fifth of a cached kv.get. The keyspace's time
   * (expiry) is read on every call.
   */
  executeReadFast(s: Session, cmd: Command, argv: Buffer[]): boolean {
    const fast = cmd.readFast;
    const ks = this.ks;
    if (fast === null || this.nesting > 0 || ks.batchLocked || this.expiryPaused || ks.keepExpired || this.pauseCheck !== null) return false;
    if (!s.authenticated || s.multi !== null || s.monitor || s.tracking !== null || s.replyOff || s.replySkipNext || s.subscribed) return false;
    if (cmd.protectedBy !== null || (this.onCall !== null && cmd.monitored) || this.tracker.sessions.size > 0) return false;
    ks.refreshSettings();
    if (ks.limits.maxmemory > 0 && ks.overMaxmemory()) return false;
    const t0 = perf.now();
    ks.now = this.derivedWallClock ? this.wallAt(t0) : Date.now();
    if (!fast(this.state(s).ctx, argv)) return false;
    s.lastCmdName = cmd.fullName;
    ks.cmdSerial++;
    cmd.stats.calls++;
    this.stats.totalCommandsProcessed++;
    // (a countdown: the first call is timed, then every FAST_TIMING_SAMPLE-th)
    if (this.fastReads === 0) {
      this.fastReads = FAST_TIMING_SAMPLE - 1;
      const usec = (perf.now() - t0) * 1000;
      cmd.fastUsec = usec;
      this.timed(s, cmd, argv, usec);
    } else {
      this.fastReads--;
      this.timed(s, cmd, argv, cmd.fastUsec, false);
    }
    return true;
  }

  private errorText(cmd: Command, e: unknown): string {
    const msg = e instanceof Error ? e.message : String(e);
    if (e instanceof CommandError || /^[A-Z][A-Z0-9_-]*( |$)/.test(msg)) return msg;
    this.log.warning(`Command '${cmd.fullName}' failed: ${e instanceof Error ? (e.stack ?? msg) : msg}`);
    return `ERR ${msg}`;
  }

  // ---------------------------------------------------------------- maxmemory

  /**
   * Evict for maxmemory (the shared settings' policy) under the batch lock, which it
   * takes if needed. Each eviction is an operation of its own.
   */
  performEvictions(): EvictResult {
    this.ensureLocked();
    try {
      const t0 = perf.now();
      const r = this.ks.evict().result;
      this.latencySample('eviction-cycle', perf.now() - t0);
      return r;
    } catch (e) {
      // (each eviction is its own operation: a failed one was rolled back)
      this.log.warning(`eviction failed: ${(e as Error).message}`);
      return 'fail';
    }
  }

  /** A latency monitor sample of `ms` for `event` if it reaches latency-monitor-threshold (Redis's latencyAddSampleIfNeeded). */
  latencySample(event: string, ms: number): void {
    const t = this.latencyThreshold;
    if (t > 0 && ms >= t) this.latencyMonitor.add(event, Math.floor(ms));
  }

  // ---------------------------------------------------------------- Env

  /** Take the engine's parameters from the configuration. */
  applyConfig(): void {
    const cfg = this.config;
    this.latencyTracking = cfg.bool('latency-tracking');
    this.minReplicasToWrite = cfg.num('min-replicas-to-write');
    this.minReplicasMaxLag = cfg.num('min-replicas-max-lag');
    this.slowlogSlowerThan = cfg.num('slowlog-log-slower-than');
    this.slowlogMaxLen = cfg.num('slowlog-max-len');
    this.latencyThreshold = cfg.num('latency-monitor-threshold');
    this.tracker.maxKeys = cfg.num('tracking-table-max-keys');
    this.slowlog.trim(this.slowlogMaxLen);
  }

  /** Server hook for CONFIG RESETSTAT (its connection counters). */
  onResetStats: (() => void) | null = null;

  /** Server hook for CONFIG SET of the parameters only a server acts on. */
  onConfigChanged: ((changes: [string, ConfigValue][]) => [string, string] | null) | null = null;

  configChanged(changes: [string, ConfigValue][]): [string, string] | null {
    this.applyConfig();
    if (changes.some(([n]) => n === 'maxmemory')) {
      const ks = this.ks;
      ks.refreshSettings();
      const max = ks.limits.maxmemory;
      if (max > 0 && ks.evictableMemory() > max) {
        this.log.warning(
          `WARNING: the new maxmemory value (${max}) is smaller than the current memory usage (${ks.evictableMemory()}). ` +
            'This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.',
        );
      }
    }
    return this.onConfigChanged?.(changes) ?? null;
  }

  slowlogGet(count: number): SlowlogEntryView[] {
    return this.slowlog.get(count);
  }

  slowlogLen(): number {
    return this.slowlog.length;
  }

  slowlogReset(): void {
    this.slowlog.reset();
  }

  resetStats(): void {
    this.resetProcessStats();
    // the keyspace's counters are every process's: RESETSTAT resets them for all, as INFO shows them
    this.ks.exec(() => this.ks.counters.reset([C_HITS, C_MISSES, C_EXPIRED, C_EVICTED]));
    this.onResetStats?.();
  }

  /** This process's statistics (not the keyspace's shared counters): commands, errors, per-command stats. */
  resetProcessStats(): void {
    Object.assign(this.stats, newEngineStats());
    for (const c of this.registry.all()) {
      c.stats.calls = c.stats.usec = c.stats.rejectedCalls = c.stats.failedCalls = 0;
      c.stats.latency = null;
    }
  }

  info(sections: string[]): string {
    return genInfo(
      {
        config: this.config,
        ks: this.ks,
        registry: this.registry,
        stats: this.stats,
        startTime: this.startTime,
        latencyTracking: this.latencyTracking,
        persistence: this.persistence,
        server: this.serverInfo,
      },
      sections,
    );
  }

  lastSave(): number {
    return this.persistence.lastSave;
  }

  changeReplicationId(): void {
    changeReplicationId();
  }
}
