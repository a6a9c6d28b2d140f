/**
 * The RESP server: TCP / Unix listeners, the client table, command dispatch and the cron
 * (active expiry, client timeouts, instantaneous metrics).
 *
 * Data path (what made a Node RESP server fast, FACTS-native.md): per `data` event the
 * parser yields ALL complete commands; the store's write lock is taken once for the batch
 * (lazily, by the first command that needs the store), each command runs in its own
 * `store.exec()` (undo log committed per command), and all replies of the batch go out in
 * ONE `socket.write`. No closure is allocated per command.
 */

import fs from 'node:fs';
import net from 'node:net';
import { Registry, type Command } from '../commands/registry.js';
import { native } from '../shm/native.js';
import { newServerStats, type CommandDef, type ServerStats } from '../commands/types.js';
import type { Store } from '../store/api.js';
import { OOM_ERROR, evictionBudgetMs, type EvictResult, type MaxmemoryPolicy } from '../store/evict.js';
import { Client, type ClientKind } from './client.js';
import type { Config } from './config.js';
import { Logger, type LogLevel } from './log.js';
import { Slowlog } from './slowlog.js';
import { LatencyHistogram } from './latency.js';
import { reprBytes } from '../protocol/repr.js';

/** The global `performance` is a lazy getter: read it once, not per command. */
const perf = globalThis.performance;

const EMPTY_ARGV: Buffer[] = [];
/** Read clients' input with `onread` into one shared buffer (SHMKV_READ=data: 'data' events). */
const USE_ONREAD = process.env.SHMKV_READ !== 'data';
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
/** Pause reading from a client whose socket holds more than this much unsent output. */
const OUTPUT_HIGH_WATER = 4 * 1024 * 1024;

const DENIED =
  "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

export interface ServerOptions {
  config: Config;
  store: Store;
  commands: CommandDef[];
  log?: Logger;
  /** Called once the server has shut down (main.ts exits the process). */
  onExit?: (code: number) => void;
  /** Called during shutdown just before store.close() (release the server role...). */
  beforeStoreClose?: () => void;
}

function isLoopback(ip: string | undefined): boolean {
  if (!ip) return false;
  return ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');
}

/** C-string view (stops at a NUL) truncated to max bytes, as printf's %.Ns. */
function cstr(b: Buffer, max: number): Buffer {
  let n = b.indexOf(0);
  if (n < 0) n = b.length;
  return b.subarray(0, Math.min(n, Math.max(0, max)));
}

export class Server {
  readonly config: Config;
  readonly store: Store;
  readonly registry: Registry;
  readonly stats: ServerStats = newServerStats();
  readonly log: Logger;
  readonly clients = new Map<number, Client>();
  readonly startTime = Date.now();
  /** unix time (s) of the last save: the keyspace lives in shared memory, so "now" at start */
  lastSave = Math.floor(Date.now() / 1000);
  /** ms the store took to attach (logged and shown in INFO) */
  attachMs = 0;
  shuttingDown = false;
  /** ports actually bound (port 0 → ephemeral) */
  readonly boundPorts: number[] = [];

  private nextClientId = 1;
  private tcpListeners: net.Server[] = [];
  private unixListener: net.Server | null = null;
  private batchLocked = false;
  /** performance.now() at the end of the last command (commandstats usec) */
  private clock = 0;
  private cron: NodeJS.Timeout | null = null;
  private cronTicks = 0;
  private readonly onExit: (code: number) => void;
  private readonly beforeStoreClose: () => void;

  // CLIENT PAUSE
  pauseUntil = 0;
  pauseWrite = false;
  private pauseTimer: NodeJS.Timeout | null = null;
  private readonly paused = new Set<Client>();
  private readonly pendingArgv = new Map<Client, Buffer[]>();
  /** Clients with replies to write at the end of this event-loop turn. */
  private readonly flushQueue: Client[] = [];

  // instantaneous ops/s (Redis samples every 100 ms, 16 samples)
  private readonly opsSamples: number[] = new Array(16).fill(0);
  private opsSampleIdx = 0;
  private lastSampleTime = Date.now();
  private lastSampleOps = 0;
  private readonly inSamples: number[] = new Array(16).fill(0);
  private readonly outSamples: number[] = new Array(16).fill(0);
  private lastSampleIn = 0;
  private lastSampleOut = 0;

  constructor(opts: ServerOptions) {
    this.config = opts.config;
    this.store = opts.store;
    this.registry = new Registry(opts.commands);
    this.log = opts.log ?? new Logger(this.config.str('loglevel') as LogLevel, this.config.str('logfile'));
    this.onExit = opts.onExit ?? (() => {});
    this.applyMemoryConfig();
    this.applySlowlogConfig();
    this.beforeStoreClose = opts.beforeStoreClose ?? (() => {});
  }

  // ---------------------------------------------------------------- listeners

  /** Bind the TCP addresses of `bind` (a '-' prefix: optional) and the unix socket. */
  async listen(): Promise<void> {
    const port = this.config.num('port');
    if (port !== 0 || process.env.SHMKV_ALLOW_PORT0) {
      this.tcpListeners = await this.bindTcp(port, this.config.str('bind'));
    }
    const path = this.config.str('unixsocket');
    if (path) {
      try {
        fs.unlinkSync(path);
      } catch {
        // not there
      }
      const srv = net.createServer({ noDelay: true, pauseOnConnect: true }, (s) => this.accept(s, 'unix'));
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(path, () => {
          srv.off('error', reject);
          resolve();
        });
      });
      const perm = this.config.num('unixsocketperm');
      if (perm) fs.chmodSync(path, perm);
      this.unixListener = srv;
    }
  }

  private async bindTcp(port: number, bind: string): Promise<net.Server[]> {
    const out: net.Server[] = [];
    const addrs = bind.split(' ').filter(Boolean);
    for (const spec of addrs) {
      const optional = spec.startsWith('-');
      let host = optional ? spec.slice(1) : spec;
      if (host === '*') host = '0.0.0.0';
      if (host === '::*') host = '::';
      const srv = net.createServer({ noDelay: true, pauseOnConnect: true }, (s) => this.accept(s, 'tcp'));
      srv.on('error', (e) => this.log.warning(`Listener error on ${host}:${port}: ${e.message}`));
      const p = port === 0 ? (out[0]?.address() as net.AddressInfo | undefined)?.port ?? 0 : port;
      const backlog = this.config.num('tcp-backlog');
      try {
        // A numeric address is bound by the addon (no dns.lookup: ~6 ms less to start);
        // a host name goes through Node's resolver.
        const fd = native.listenTcp(host, p, backlog);
        await new Promise<void>((resolve, reject) => {
          srv.once('error', reject);
          const done = () => {
            srv.off('error', reject);
            resolve();
          };
          if (fd >= 0) srv.listen({ fd, backlog }, done);
          else srv.listen({ host, port: p, ipv6Only: host.includes(':'), backlog }, done);
        });
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (optional && (err.code === 'EADDRNOTAVAIL' || err.code === 'EAFNOSUPPORT' || err.code === 'EPROTONOSUPPORT')) {
          this.log.warning(`Could not create server TCP listening socket ${host}:${port}: ${err.code}`);
          continue;
        }
        for (const s of out) s.close();
        throw new Error(`Could not create server TCP listening socket ${host}:${port}: ${err.message}`);
      }
      const a = srv.address() as net.AddressInfo;
      if (!this.boundPorts.includes(a.port)) this.boundPorts.push(a.port);
      out.push(srv);
    }
    if (out.length === 0 && addrs.length > 0) throw new Error(`Failed listening on port ${port} (tcp), aborting.`);
    return out;
  }

  /** CONFIG SET port / bind: bind the new addresses, then close the old listeners. */
  async rebind(port: number, bind: string): Promise<void> {
    const fresh = port === 0 ? [] : await this.bindTcp(port, bind);
    const old = this.tcpListeners;
    this.tcpListeners = fresh;
    this.boundPorts.length = 0;
    for (const s of fresh) {
      const p = (s.address() as net.AddressInfo).port;
      if (!this.boundPorts.includes(p)) this.boundPorts.push(p);
    }
    for (const s of old) s.close();
  }

  /** The TCP port clients can use (the first bound one). */
  get port(): number {
    return this.boundPorts[0] ?? 0;
  }

  // ---------------------------------------------------------------- connections

  private accept(socket: net.Socket, kind: ClientKind): void {
    socket.on('error', () => {});
    this.stats.totalConnectionsReceived++;
    if (this.shuttingDown) {
      socket.destroy();
      return;
    }
    if (this.clients.size >= this.config.num('maxclients')) {
      this.stats.rejectedConnections++;
      socket.end('-ERR max number of clients reached\r\n');
      socket.destroySoon();
      return;
    }
    if (kind === 'tcp' && this.config.bool('protected-mode') && this.config.str('requirepass') === '' && !isLoopback(socket.remoteAddress)) {
      socket.end(DENIED);
      socket.destroySoon();
      return;
    }
    // Read into one shared buffer (`onread`) instead of a fresh Buffer per read: Node's
    // server sockets cannot be given `onread`, so the accepted (paused) handle is moved
    // into a new Socket that has it. Commands are executed synchronously in the read
    // callback, so the shared bytes are never needed after it returns (a paused client's
    // pending input is copied, see retainInput).
    let c: Client;
    const handle = (socket as unknown as { _handle: { useUserBuffer?: unknown } | null })._handle;
    if (USE_ONREAD && handle && typeof handle.useUserBuffer === 'function') {
      (socket as unknown as { _handle: null })._handle = null;
      socket.destroy();
      socket = new net.Socket({
        handle,
        readable: true,
        writable: true,
        onread: {
          buffer: READ_BUFFER,
          callback: (n: number, buf: Uint8Array) => {
            this.onData(c, (buf as Buffer).subarray(0, n), true);
          },
        },
      } as unknown as net.SocketConstructorOpts);
    } else {
      socket.on('data', (chunk: Buffer) => this.onData(c, chunk, false));
      socket.resume();
    }
    socket.setNoDelay(true);
    const ka = this.config.num('tcp-keepalive');
    if (kind === 'tcp' && ka > 0) socket.setKeepAlive(true, ka * 1000);
    c = new Client(this, this.nextClientId++, socket, kind);
    this.clients.set(c.id, c);
    this.log.verbose(`Accepted ${c.addr}`);
    socket.on('error', () => {});
    socket.on('close', () => this.onClose(c));
    socket.on('drain', () => {
      if (c.outputPaused) {
        c.outputPaused = false;
        socket.resume();
      }
    });
  }

  private onClose(c: Client): void {
    if (c.closed) return;
    c.closed = true;
    this.clients.delete(c.id);
    this.paused.delete(c);
    this.pendingArgv.delete(c);
    this.monitors.delete(c);
    this.log.verbose(`Client closed connection id=${c.id} addr=${c.addr}`);
  }

  /** Close a client at once (CLIENT KILL, timeout, query buffer limit). */
  freeClient(c: Client): void {
    if (c.closed) return;
    c.socket.destroy();
    this.onClose(c);
  }

  /** Input from a client; `shared`: chunk is the shared read buffer (valid during this call). */
  private onData(c: Client, chunk: Buffer, shared: boolean): void {
    if (c.closed || c.closeAfterReply || this.shuttingDown) return;
    this.stats.totalNetInputBytes += chunk.length;
    this.stats.totalReads++;
    c.lastInteraction = Date.now();
    const parser = c.parser;
    parser.feed(chunk);
    if (this.pendingArgv.has(c)) {
      // paused (CLIENT PAUSE): keep the input for later, unless it grows past the limit
      if (shared) parser.retain();
      if (parser.bufferedBytes() > this.config.num('client-query-buffer-limit')) this.queryBufferOverflow(c);
      return;
    }
    this.processInput(c, null);
    if (shared && this.pendingArgv.has(c)) this.retainInput(c);
    // (client-query-buffer-limit is at least 1 MB: skip the lookup below that)
    const q = parser.bufferedBytes();
    if (q > 1048576 && !c.closed && q > this.config.num('client-query-buffer-limit')) {
      this.queryBufferOverflow(c);
      return;
    }
    this.deferFlush(c);
  }

  /**
   * Queue a client's replies for the end of this event-loop turn (setImmediate runs after
   * libuv has handled every socket that was ready), like Redis's
   * handleClientsWithPendingWrites: a peer woken by our first write is usually still
   * running when the next writes arrive, and waking a sleeping peer is the expensive part
   * of a write (it was 15% of the server's time at `redis-benchmark -P 16`).
   */
  private deferFlush(c: Client): void {
    if (c.flushQueued) return;
    c.flushQueued = true;
    this.flushQueue.push(c);
    if (this.flushQueue.length === 1) setImmediate(this.flushQueued);
  }

  private readonly flushQueued = (): void => {
    const q = this.flushQueue;
    // (a flush may not add to the queue: only onData does)
    for (let i = 0; i < q.length; i++) {
      const c = q[i]!;
      c.flushQueued = false;
      this.flush(c);
    }
    q.length = 0;
  };

  /** A client paused in the middle of shared input: copy what it still needs. */
  private retainInput(c: Client): void {
    c.parser.retain();
    const argv = this.pendingArgv.get(c);
    if (argv) this.pendingArgv.set(c, argv.map((a) => Buffer.from(a)));
  }

  private queryBufferOverflow(c: Client): void {
    this.log.warning(`Closing client that reached max query buffer length: ${c.infoLine(Date.now())} (qbuf initial bytes: ...)`);
    this.freeClient(c);
  }

  /** Run every complete command buffered for a client (starting with `first` if given). */
  private processInput(c: Client, first: Buffer[] | null): void {
    const parser = c.parser;
    this.clock = perf.now();
    let argv = first ?? parser.next();
    if (argv !== null) {
      try {
        while (argv !== null) {
          if (this.pauseUntil !== 0 && this.isPausedFor(c, argv)) {
            this.pendingArgv.set(c, argv);
            this.paused.add(c);
            return;
          }
          this.execute(c, argv);
          if (c.closeAfterReply || c.closed) return;
          argv = parser.next();
        }
      } finally {
        if (this.batchLocked) {
          this.batchLocked = false;
          this.store.unlockBatch();
        }
      }
    }
    if (parser.error !== null) {
      this.stats.protocolErrors++;
      const bytes = parser.errorReply()!;
      c.reply.errorBytes(bytes.subarray(1, bytes.length - 2));
      c.closeAfterReply = true;
      this.log.verbose(`Protocol error (${parser.error}) from client: id=${c.id} addr=${c.addr}. Closing.`);
    }
  }

  /** Send what the client's writer holds (one write), close if asked, apply backpressure. */
  flush(c: Client): void {
    if (c.closed) return;
    const out = c.reply.take();
    if (out !== null) {
      this.stats.totalNetOutputBytes += out.length;
      this.stats.totalWrites++;
      c.socket.write(out);
    }
    if (c.closeAfterReply) {
      // like Redis closing the fd once the reply is written (not waiting for the peer's FIN)
      c.socket.destroySoon();
      return;
    }
    if (!c.outputPaused && c.socket.writableLength > OUTPUT_HIGH_WATER) {
      c.outputPaused = true;
      c.socket.pause();
    }
  }

  // ---------------------------------------------------------------- dispatch

  /** Look up, check and run one command (Redis's processCommand + call). */
  execute(c: Client, argv: Buffer[]): void {
    const reply = c.reply;
    const mark = reply.length;
    // CLIENT REPLY SKIP applies to the next command, whatever it is (even a rejected one)
    const skip = c.replySkipNext;
    c.replySkipNext = false;
    this.dispatch(c, argv);
    if (c.replyOff || skip) reply.truncate(mark);
  }

  private dispatch(c: Client, argv: Buffer[]): void {
    const reply = c.reply;
    let cmd = this.registry.lookup(argv[0]);
    if (cmd === null) {
      this.rejectUnknown(c, argv);
      return;
    }
    if (cmd.subTable !== null && argv.length >= 2) {
      const sub = cmd.subTable.get(argv[1]);
      if (sub === null) {
        reply.errorBytes(
          Buffer.concat([Buffer.from("ERR unknown subcommand '"), cstr(argv[1], 128), Buffer.from(`'. Try ${cmd.upperName} HELP.`)]),
        );
        return;
      }
      cmd = sub;
    }
    const a = cmd.arity;
    if ((a > 0 && argv.length !== a) || argv.length < -a || cmd.handler === null) {
      cmd.stats.rejectedCalls++;
      reply.error(`ERR wrong number of arguments for '${cmd.fullName}' command`);
      return;
    }
    if (!c.authenticated && !cmd.noAuth) {
      cmd.stats.rejectedCalls++;
      reply.error('NOAUTH Authentication required.');
      return;
    }
    if (c.monitor && (cmd.isWrite || cmd.isReadonly || cmd.flags.has('may_replicate'))) {
      // Redis treats a monitor like a replica here
      cmd.stats.rejectedCalls++;
      reply.error("ERR Replica can't interact with the keyspace");
      return;
    }
    // maxmemory: evict before any command; refuse the ones that may add data if that failed
    if (this.maxmemory > 0 && this.store.usedMemory() > this.maxmemory && this.performEvictions() === 'fail' && cmd.denyOom) {
      cmd.stats.rejectedCalls++;
      reply.error(OOM_ERROR);
      return;
    }
    this.call(c, cmd, argv);
  }

  private rejectUnknown(c: Client, argv: Buffer[]): void {
    const parts: Buffer[] = [Buffer.from("ERR unknown command '"), cstr(argv[0], 128), Buffer.from("', with args beginning with: ")];
    let len = 0;
    for (let i = 1; i < argv.length && len < 128; i++) {
      const piece = Buffer.concat([Buffer.from("'"), cstr(argv[i], 128 - len), Buffer.from("' ")]);
      parts.push(piece);
      len += piece.length;
    }
    c.reply.errorBytes(Buffer.concat(parts));
  }

  /** Run a resolved command: exec wrapping, error replies, stats. */
  call(c: Client, cmd: Command, argv: Buffer[]): void {
    const reply = c.reply;
    const mark = reply.length;
    const errs = reply.errors;
    c.cmd = cmd;
    c.argv = argv;
    c.lastCmdName = cmd.fullName;
    try {
      if (cmd.useExec) {
        if (!this.batchLocked) {
          this.store.lockBatch();
          this.batchLocked = true;
        }
        this.store.exec(c.runner);
      } else {
        cmd.handler!(c.ctx, argv);
      }
    } catch (e) {
      reply.truncate(mark);
      reply.error(this.errorText(cmd, e));
    }
    const st = cmd.stats;
    st.calls++;
    // one clock read per command: a command's time runs from the end of the previous one
    // (or the start of the batch), so it includes its parsing and lookup
    const t1 = perf.now();
    const usec = (t1 - this.clock) * 1000;
    st.usec += usec;
    this.clock = t1;
    if (this.latencyTracking) (st.latency ??= new LatencyHistogram()).recordUsec(usec);
    if (usec >= this.slowlogSlowerThan && this.slowlogSlowerThan >= 0 && !cmd.skipSlowlog) this.logSlow(c, argv, usec);
    if (this.monitors.size > 0 && cmd.monitored) this.feedMonitors(c, argv);
    c.redacted = null;
    if (reply.errors !== errs) st.failedCalls++;
    else if (cmd.isWrite) this.stats.dirty++;
    this.stats.totalCommandsProcessed++;
    c.argv = EMPTY_ARGV;
  }

  // ---------------------------------------------------------------- maxmemory

  private maxmemory = 0;
  private maxmemoryPolicy: MaxmemoryPolicy = 'noeviction';
  private maxmemorySamples = 5;
  private evictionBudgetMs = evictionBudgetMs(10);

  /** Take maxmemory, maxmemory-policy, maxmemory-samples and lfu-* from the configuration (CONFIG SET warns, as Redis, when maxmemory is set below the usage). */
  applyMemoryConfig(maxmemoryChanged = false): void {
    const cfg = this.config;
    this.maxmemory = cfg.num('maxmemory');
    this.maxmemoryPolicy = cfg.str('maxmemory-policy') as MaxmemoryPolicy;
    this.maxmemorySamples = cfg.num('maxmemory-samples');
    this.evictionBudgetMs = evictionBudgetMs(cfg.num('maxmemory-eviction-tenacity'));
    this.store.setAccessPolicy({
      lfu: this.maxmemoryPolicy.endsWith('-lfu'),
      logFactor: cfg.num('lfu-log-factor'),
      decayMinutes: cfg.num('lfu-decay-time'),
      sharedIntegers: this.maxmemory === 0 || !/-(lru|lfu)$/.test(this.maxmemoryPolicy),
    });
    if (maxmemoryChanged && this.maxmemory > 0 && this.store.usedMemory() > this.maxmemory) {
      this.log.warning(
        `WARNING: the new maxmemory value (${this.maxmemory}) is smaller than the current memory usage (${this.store.usedMemory()}). ` +
          'This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.',
      );
    }
  }

  /** Evict for maxmemory (under the batch lock, which it takes if needed). */
  private performEvictions(): EvictResult {
    if (!this.batchLocked) {
      this.store.lockBatch();
      this.batchLocked = true;
    }
    try {
      const r = this.store.evict(this.maxmemory, this.maxmemoryPolicy, this.maxmemorySamples, this.evictionBudgetMs);
      this.stats.evictedKeys += r.evicted;
      return r.result;
    } catch (e) {
      // (each eviction is its own operation: a failed one was rolled back)
      this.log.warning(`eviction failed: ${(e as Error).message}`);
      return 'fail';
    }
  }

  // ---------------------------------------------------------------- MONITOR

  readonly monitors = new Set<Client>();

  /** Redis's replicationFeedMonitors: one line per command run, after it ran. */
  private feedMonitors(c: Client, argv: Buffer[]): void {
    const ms = performance.timeOrigin + perf.now();
    const sec = Math.floor(ms / 1000);
    const usec = Math.floor((ms - sec * 1000) * 1000);
    const who = c.kind === 'unix' ? `unix:${this.config.str('unixsocket')}` : c.addr;
    let line = `${sec}.${String(usec).padStart(6, '0')} [${c.db} ${who}]`;
    for (let i = 0; i < argv.length; i++) line += ' ' + (c.redacted?.includes(i) ? '"(redacted)"' : reprBytes(argv[i]!));
    for (const m of this.monitors) {
      if (m.closed) continue;
      m.reply.simple(line);
      this.deferFlush(m);
    }
  }

  // ---------------------------------------------------------------- SLOWLOG

  readonly slowlog = new Slowlog();
  private slowlogSlowerThan = 10000;

  /** latency-tracking: per-command histograms for INFO latencystats */
  latencyTracking = true;

  /** Take slowlog-log-slower-than, slowlog-max-len and latency-tracking from the configuration. */
  applySlowlogConfig(): void {
    this.latencyTracking = this.config.bool('latency-tracking');
    this.slowlogSlowerThan = this.config.num('slowlog-log-slower-than');
    this.slowlog.trim(this.config.num('slowlog-max-len'));
  }

  private logSlow(c: Client, argv: Buffer[], usec: number): void {
    const maxLen = this.config.num('slowlog-max-len');
    if (maxLen > 0) this.slowlog.push(argv, c.redacted, usec, c.addr, c.name, maxLen);
  }

  private errorText(cmd: Command, e: unknown): string {
    const msg = e instanceof Error ? e.message : String(e);
    if (/^[A-Z][A-Z0-9_-]* /.test(msg) || /^[A-Z][A-Z0-9_-]*$/.test(msg)) return msg;
    this.log.warning(`Command '${cmd.fullName}' failed: ${e instanceof Error ? (e.stack ?? msg) : msg}`);
    return `ERR ${msg}`;
  }

  // ---------------------------------------------------------------- CLIENT PAUSE

  private isPausedFor(c: Client, argv: Buffer[]): boolean {
    if (Date.now() >= this.pauseUntil) {
      this.unpause();
      return false;
    }
    if (!this.pauseWrite) return true;
    const r = this.registry.resolve(argv);
    const cmd = r.cmd;
    if (cmd === null) return false;
    return cmd.isWrite || cmd.flags.has('may_replicate');
  }

  pause(ms: number, writeOnly: boolean): void {
    const until = Date.now() + ms;
    // a new pause can only extend the old one, or relax ALL → WRITE when it is later
    if (until > this.pauseUntil || this.pauseUntil === 0) {
      this.pauseUntil = until;
      this.pauseWrite = writeOnly;
    } else if (!writeOnly) {
      this.pauseWrite = false;
    }
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    this.pauseTimer = setTimeout(() => this.unpause(), Math.max(0, this.pauseUntil - Date.now()));
  }

  unpause(): void {
    this.pauseUntil = 0;
    this.pauseWrite = false;
    if (this.pauseTimer) {
      clearTimeout(this.pauseTimer);
      this.pauseTimer = null;
    }
    const waiting = [...this.paused];
    this.paused.clear();
    setImmediate(() => {
      for (const c of waiting) {
        const argv = this.pendingArgv.get(c);
        this.pendingArgv.delete(c);
        if (argv === undefined || c.closed) continue;
        this.processInput(c, argv);
        this.flush(c);
      }
    });
  }

  // ---------------------------------------------------------------- cron

  startCron(): void {
    const hz = this.config.num('hz');
    if (this.cron) clearInterval(this.cron);
    this.cron = setInterval(() => this.serverCron(), Math.max(2, Math.floor(1000 / hz)));
    this.cron.unref();
  }

  private serverCron(): void {
    const hz = this.config.num('hz');
    this.cronTicks++;
    const now = Date.now();
    // instantaneous metrics every ~100 ms
    if (now - this.lastSampleTime >= 100) {
      const dt = (now - this.lastSampleTime) / 1000;
      const i = this.opsSampleIdx;
      this.opsSamples[i] = (this.stats.totalCommandsProcessed - this.lastSampleOps) / dt;
      this.inSamples[i] = (this.stats.totalNetInputBytes - this.lastSampleIn) / dt;
      this.outSamples[i] = (this.stats.totalNetOutputBytes - this.lastSampleOut) / dt;
      this.opsSampleIdx = (i + 1) % 16;
      this.lastSampleOps = this.stats.totalCommandsProcessed;
      this.lastSampleIn = this.stats.totalNetInputBytes;
      this.lastSampleOut = this.stats.totalNetOutputBytes;
      this.lastSampleTime = now;
    }
    // active expiry: 25% of a cron period, like Redis's slow cycle
    try {
      this.store.activeExpireCycle(Math.max(1, 250 / hz));
    } catch (e) {
      this.log.warning(`active expire cycle failed: ${(e as Error).message}`);
    }
    // over maxmemory with no command coming (CONFIG SET maxmemory below the usage): evict here
    if (this.maxmemory > 0 && this.store.usedMemory() > this.maxmemory) {
      try {
        this.performEvictions();
      } finally {
        if (this.batchLocked) {
          this.batchLocked = false;
          this.store.unlockBatch();
        }
      }
    }
    // client timeouts, once per second
    if (this.cronTicks % Math.max(1, hz) === 0) {
      const timeout = this.config.num('timeout');
      if (timeout > 0) {
        for (const c of this.clients.values()) {
          if (this.pendingArgv.has(c)) continue;
          if (now - c.lastInteraction > timeout * 1000) {
            this.log.verbose(`Closing idle client id=${c.id} addr=${c.addr}`);
            this.freeClient(c);
          }
        }
      }
    }
  }

  instantaneousOps(): number {
    return Math.round(this.opsSamples.reduce((a, b) => a + b, 0) / 16);
  }
  instantaneousKbps(dir: 'in' | 'out'): number {
    const s = dir === 'in' ? this.inSamples : this.outSamples;
    return s.reduce((a, b) => a + b, 0) / 16 / 1024;
  }

  resetStats(): void {
    const s = this.stats;
    const fresh = newServerStats();
    Object.assign(s, fresh);
    for (const c of this.registry.all()) {
      c.stats.calls = c.stats.usec = c.stats.rejectedCalls = c.stats.failedCalls = 0;
      c.stats.latency = null;
    }
    const st = (this.store as unknown as { stats?: Record<string, number> }).stats;
    if (st) for (const k of Object.keys(st)) if (typeof st[k] === 'number') st[k] = 0;
  }

  // ---------------------------------------------------------------- shutdown

  /** Close listeners and clients, detach the store, call onExit. */
  async shutdown(reason: string, code = 0): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.log.warning(reason);
    if (this.cron) clearInterval(this.cron);
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    for (const s of this.tcpListeners) s.close();
    if (this.unixListener) {
      this.unixListener.close();
      try {
        fs.unlinkSync(this.config.str('unixsocket'));
        this.log.notice('Removing the unix socket file.');
      } catch {
        // gone already
      }
    }
    // flush what is pending, then close; wait (a little) for the writes to finish
    const closing: Promise<void>[] = [];
    for (const c of [...this.clients.values()]) {
      if (c.closed) continue;
      const out = c.reply.take();
      if (out) c.socket.write(out);
      closing.push(new Promise<void>((resolve) => c.socket.once('close', () => resolve())));
      c.socket.destroySoon();
    }
    await Promise.race([Promise.all(closing), new Promise<void>((r) => setTimeout(r, 500).unref())]);
    for (const c of [...this.clients.values()]) c.socket.destroy();
    if (this.batchLocked) {
      this.batchLocked = false;
      this.store.unlockBatch();
    }
    try {
      this.beforeStoreClose();
    } catch (e) {
      this.log.warning(`Error before closing the keyspace: ${(e as Error).message}`);
    }
    try {
      this.store.close();
    } catch (e) {
      this.log.warning(`Error closing the keyspace: ${(e as Error).message}`);
    }
    this.log.warning('shmkv is now ready to exit, bye bye...');
    this.log.close();
    this.onExit(code);
  }
}
