/**
 * The RESP server: TCP / Unix listeners, the client table, and the cron (active expiry,
 * client timeouts, instantaneous metrics). Commands run through the engine
 * (src/engine/engine.ts), as they do for any caller; the server adds what only a server
 * has: sockets, CLIENT LIST/KILL/PAUSE, MONITOR, SHUTDOWN.
 *
 * Data path (what made a Node RESP server fast, FACTS-native.md): per `data` event the
 * parser yields ALL complete commands; they run as one engine batch, so the segment's
 * lock is taken once (lazily, by the first command that needs the keyspace), each command
 * runs in its own undo-logged operation, and all replies of the batch go out in ONE write
 * at the end of the event-loop turn (a send(2) straight from the reply buffer when Node has
 * nothing queued for the socket, else `socket.write`). No closure is allocated per command.
 */

import type { DeferredReply } from '../commands/types.js';
import fs from 'node:fs';
import net from 'node:net';
import { native } from '../shm/native.js';
import type { ConfigValue, Config } from '../config/config.js';
import type { Command } from '../engine/registry.js';
import { Engine } from '../engine/engine.js';
import type { ServerInfoSource } from '../engine/info.js';
import type { CommandDef, ServerOps } from '../commands/types.js';
import { BlockedClients } from './blocking.js';
import type { Session } from '../commands/session.js';
import type { Keyspace } from '../keyspace/keyspace.js';
import { Client, isLoopback, type ClientKind } from './client.js';
import { Logger, type LogLevel } from '../util/log.js';
import { wallMs } from '../util/wallclock.js';
import { reprBytes } from '../protocol/repr.js';
import { hubOf, type PubsubHub } from '../pubsub/hub.js';
import { pubsubUnsubscribeAll } from '../commands/pubsub_family.js';
import { trackingSessionGone } from '../commands/tracking.js';
import { obufLimits, type ObufLimit } from '../config/config.js';

/** The global `performance` is a lazy getter: read it once, not per command. */
const perf = globalThis.performance;

/** Read clients' input with `onread` into one shared buffer (SHMKV_READ=data: 'data' events). */
const USE_ONREAD = process.env.SHMKV_READ !== 'data';
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
/**
 * Send replies with the addon's send(2) when Node has nothing queued (SHMKV_SEND=node:
 * always socket.write). An addon built before it had sendSome (`npm run build` does not
 * rebuild the addon) falls back to socket.write.
 */
const USE_SEND = process.env.SHMKV_SEND !== 'node' && typeof (native as Partial<typeof native>).sendSome === 'function';
/** Pause reading from a client whose socket holds more than this much unsent output. */
const OUTPUT_HIGH_WATER = 4 * 1024 * 1024;

const DENIED =
  "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

export interface ServerOptions {
  config: Config;
  ks: Keyspace;
  /** Command tables (default: every family). */
  commands?: CommandDef[];
  log?: Logger;
  /** Called once the server has shut down (main.ts exits the process). */
  onExit?: (code: number) => void;
  /** Called during shutdown just before the keyspace is closed (release the server role...). */
  beforeStoreClose?: () => void;
}

/** Server-wide counters of connections and traffic (INFO stats). */
export interface ServerStats {
  totalConnectionsReceived: number;
  /** refused for maxclients / protected mode */
  rejectedConnections: number;
  totalNetInputBytes: number;
  totalNetOutputBytes: number;
  /** protocol errors that closed a connection */
  protocolErrors: number;
  /** read events / socket writes */
  totalReads: number;
  totalWrites: number;
}

function newServerStats(): ServerStats {
  return { totalConnectionsReceived: 0, rejectedConnections: 0, totalNetInputBytes: 0, totalNetOutputBytes: 0, protocolErrors: 0, totalReads: 0, totalWrites: 0 };
}

export class Server implements ServerOps, ServerInfoSource {
  readonly config: Config;
  readonly ks: Keyspace;
  readonly engine: Engine;
  readonly stats: ServerStats = newServerStats();
  readonly log: Logger;
  readonly clients = new Map<number, Client>();
  readonly startTime = Date.now();
  /** ms the keyspace took to attach (logged and shown in INFO) */
  attachMs = 0;
  shuttingDown = false;
  /** ports actually bound (port 0 → ephemeral) */
  readonly boundPorts: number[] = [];
  /** the port and bind values the TCP listeners were made for */
  private listenPort = -1;
  private listenBind = '';

  private nextClientId = 1;
  private tcpListeners: net.Server[] = [];
  private unixListener: net.Server | null = null;
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
  /** Clients waiting for keys (BLPOP…). */
  readonly blocked: BlockedClients;
  /** Clients with replies to write at the end of this event-loop turn. */
  private readonly flushQueue: Client[] = [];
  /** This process's pub/sub side (src/pubsub/hub.ts): subscribers here, the shared ring. */
  readonly pubsub: PubsubHub;
  /** client-output-buffer-limit's pubsub class */
  private pubsubLimit: ObufLimit = { hard: 0, soft: 0, softSeconds: 0 };

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
    this.ks = opts.ks;
    this.log = opts.log ?? new Logger(this.config.str('loglevel') as LogLevel, this.config.str('logfile'));
    this.onExit = opts.onExit ?? (() => {});
    this.beforeStoreClose = opts.beforeStoreClose ?? (() => {});
    this.engine = new Engine({ ks: opts.ks, config: opts.config, log: this.log, server: this, serverInfo: this, commands: opts.commands });
    this.engine.onConfigChanged = (changes) => this.configChanged(changes);
    this.engine.onResetStats = () => Object.assign(this.stats, newServerStats());
    this.blocked = new BlockedClients({
      engine: this.engine,
      ks: this.ks,
      heldArgv: (c) => this.pendingArgv.get(c),
      resume: (c) => this.resumeBlocked(c),
    });
    this.pubsub = hubOf(this.ks);
    // messages reach our clients' buffers at once (a PUBLISH by one of our clients: before its reply)
    this.pubsub.syncDelivery = true;
    this.pubsubLimit = obufLimits(this.config.str('client-output-buffer-limit')).get('pubsub')!;
  }

  // ---------------------------------------------------------------- listeners

  /**
   * Bind the TCP addresses of `bind` (a '-' prefix: optional) and the unix socket.
   * `takeover`: a standby taking the place of a server that just died, whose listeners may
   * still exist for a while (the kernel closes a killed process's files after unmapping its
   * memory): numeric addresses join the dead listener's SO_REUSEPORT group and take every
   * new connection (see the addon's listenTcp); anything else is retried until the port is
   * free. A unix socket path is unlinked and bound again, as at every start.
   */
  async listen(takeover = false): Promise<void> {
    const port = this.config.num('port');
    if (port !== 0 || process.env.SHMKV_ALLOW_PORT0) {
      this.tcpListeners = await this.bindTcp(port, this.config.str('bind'), takeover);
    }
    this.listenPort = port;
    this.listenBind = this.config.str('bind');
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

  /**
   * A standby's rehearsal, before the death it waits for, of what its take-over then runs
   * for the first time: Node compiles its listen, accept and socket paths lazily, which
   * cost a cold take-over ~3 ms. A throwaway listener on an ephemeral loopback port, one
   * connection and a PING through the real accept and engine path warm them; the counters
   * they moved are put back, so INFO and CLIENT LIST start from zero at the take-over.
   * (PING only: anything that reads the keyspace would move the shared hit/miss counters.)
   */
  async rehearse(): Promise<void> {
    let fd: number;
    try {
      fd = native.listenTcp('127.0.0.1', 0, 16);
    } catch {
      return;
    }
    if (fd < 0) return;
    const srv = net.createServer({ noDelay: true, pauseOnConnect: true }, (s) => this.accept(s, 'tcp'));
    try {
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen({ fd, backlog: 16 }, () => resolve());
      });
      const port = (srv.address() as net.AddressInfo).port;
      await new Promise<void>((resolve) => {
        const c = net.connect({ port, host: '127.0.0.1' }, () => c.write('*1\r\n$4\r\nPING\r\n'));
        c.setNoDelay(true);
        c.once('data', () => c.end());
        c.once('close', () => resolve());
        c.once('error', () => resolve());
      });
      // (the server side of the connection closes in a later turn)
      for (let i = 0; i < 100 && this.clients.size > 0; i++) await new Promise((r) => setTimeout(r, 1));
    } catch {
      // a rehearsal only
    } finally {
      srv.close();
      Object.assign(this.stats, newServerStats());
      this.engine.resetProcessStats();
      this.nextClientId = 1;
    }
  }

  /**
   * For a standby, at its start: do its listeners match the server it stands by for? The
   * first required numeric `bind` address must be in use on `port` (the server's listener:
   * the exclusive bind fails with EADDRINUSE; if it succeeds nobody listens there, and the
   * socket is closed at once), and a `unixsocket`'s directory must be writable. A one-line
   * problem, or null. Host names and optional ('-') addresses are not checked.
   */
  standbyListenProblem(serverPid: number): string | null {
    const port = this.config.num('port');
    if (port !== 0) {
      for (const spec of this.config.str('bind').split(' ').filter(Boolean)) {
        if (spec.startsWith('-')) continue;
        let host = spec;
        if (host === '*') host = '0.0.0.0';
        if (host === '::*') host = '::';
        let fd: number;
        try {
          fd = native.listenTcp(host, port, 1);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') break;
          return `cannot bind ${host}:${port} (${(e as Error).message})`;
        }
        if (fd < 0) continue;
        fs.closeSync(fd);
        return `nothing listens on ${host}:${port}: give the standby the port and bind of the server it stands by for (pid ${serverPid})`;
      }
    }
    const path = this.config.str('unixsocket');
    if (path) {
      const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) || '/' : '.';
      try {
        fs.accessSync(dir, fs.constants.W_OK);
      } catch (e) {
        return `unixsocket ${path}: its directory cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
      }
    }
    return null;
  }

  private async bindTcp(port: number, bind: string, takeover = false): Promise<net.Server[]> {
    const out: net.Server[] = [];
    // (a takeover waits at most this long for a port the dead server's listener holds)
    const until = takeover ? Date.now() + 10_000 : 0;
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
        for (;;) {
          try {
            // A numeric address is bound by the addon (no dns.lookup: ~6 ms less to start);
            // a host name goes through Node's resolver.
            const fd = native.listenTcp(host, p, backlog, takeover);
            await new Promise<void>((resolve, reject) => {
              srv.once('error', reject);
              const done = () => {
                srv.off('error', reject);
                resolve();
              };
              if (fd >= 0) srv.listen({ fd, backlog }, done);
              else srv.listen({ host, port: p, ipv6Only: host.includes(':'), backlog }, done);
            });
            break;
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || Date.now() >= until) throw e;
            await new Promise((r) => setTimeout(r, 1));
          }
        }
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
    this.replaceListeners(fresh, port, bind);
  }

  private replaceListeners(fresh: net.Server[], port: number, bind: string): void {
    const old = this.tcpListeners;
    this.tcpListeners = fresh;
    this.listenPort = port;
    this.listenBind = bind;
    this.boundPorts.length = 0;
    for (const s of fresh) {
      const a = s.address() as net.AddressInfo | null;
      const p = a?.port ?? port;
      if (!this.boundPorts.includes(p)) this.boundPorts.push(p);
    }
    for (const s of old) if (!fresh.includes(s)) s.close();
  }

  /**
   * Bind numeric addresses at once (Redis binds in CONFIG SET and answers an error when it
   * cannot): listening sockets made by the addon, handed to Node. Throws on the first
   * address that cannot be bound (optional '-' ones may be unavailable), after closing
   * what it opened; null when an address is a host name (only Node's resolver can bind it).
   */
  private bindTcpSync(port: number, bind: string): net.Server[] | null {
    const backlog = this.config.num('tcp-backlog');
    const fds: number[] = [];
    try {
      for (const spec of bind.split(' ').filter(Boolean)) {
        const optional = spec.startsWith('-');
        let host = optional ? spec.slice(1) : spec;
        if (host === '*') host = '0.0.0.0';
        if (host === '::*') host = '::';
        let fd: number;
        try {
          fd = native.listenTcp(host, port, backlog);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (optional && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT' || code === 'EPROTONOSUPPORT')) continue;
          throw e;
        }
        if (fd < 0) {
          for (const f of fds) fs.closeSync(f);
          return null;
        }
        fds.push(fd);
      }
    } catch (e) {
      for (const f of fds) fs.closeSync(f);
      throw e;
    }
    if (fds.length === 0 && bind.trim() !== '') throw new Error(`Failed listening on port ${port} (tcp)`);
    return fds.map((fd) => {
      const srv = net.createServer({ noDelay: true, pauseOnConnect: true }, (s) => this.accept(s, 'tcp'));
      srv.on('error', (e) => this.log.warning(`Listener error on port ${port}: ${e.message}`));
      srv.listen({ fd, backlog });
      return srv;
    });
  }

  /**
   * CONFIG SET port / bind (Redis's updatePort / updateBind): listen on the new addresses
   * before replying; an error text when they cannot be bound (the old listeners stay).
   */
  private applyListen(port: number, bind: string): string | null {
    if (port === this.listenPort && bind === this.listenBind) return null;
    const portChanged = port !== this.listenPort;
    if (port === 0) {
      this.replaceListeners([], port, bind);
      return null;
    }
    // the same port on other addresses: the old sockets must go first (they hold it)
    const reuse = !portChanged;
    const old = this.tcpListeners;
    if (reuse) for (const s of old) s.close();
    let fresh: net.Server[] | null;
    try {
      fresh = this.bindTcpSync(port, bind);
    } catch (e) {
      this.log.warning(`Failed to listen on ${bind} port ${port}: ${(e as Error).message}`);
      if (reuse) {
        // put the old listeners back (Redis's changeBindAddr restores its old binding)
        try {
          this.tcpListeners = this.bindTcpSync(this.listenPort, this.listenBind) ?? [];
        } catch (e2) {
          this.log.warning(`Failed to restore the listeners: ${(e2 as Error).message}`);
          this.tcpListeners = [];
        }
      }
      return portChanged ? 'Unable to listen on this port. Check server logs.' : 'Failed to bind to specified addresses.';
    }
    if (fresh === null) {
      // host names: bound asynchronously (a failure is logged and the old values come back)
      if (reuse) this.tcpListeners = [];
      const prevPort = this.listenPort;
      const prevBind = this.listenBind;
      this.rebind(port, bind).catch((e: Error) => {
        this.log.warning(`CONFIG SET port/bind failed, keeping the old values: ${e.message}`);
        this.config.set('port', prevPort);
        this.config.set('bind', prevBind);
        void this.rebind(prevPort, prevBind).catch(() => {});
      });
      return null;
    }
    this.replaceListeners(fresh, port, bind);
    return null;
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
    c = new Client(this.nextClientId++, socket, kind, {
      maxBulkLen: this.config.num('proto-max-bulk-len'),
      authRequired: this.config.str('requirepass') !== '',
      unixsocket: this.config.str('unixsocket'),
    });
    this.clients.set(c.id, c);
    c.onPush = () => this.pushed(c);
    c.onPubsubLost = () => {
      this.log.warning(`Client ${c.infoLine(Date.now())} closed: this server fell behind the pub/sub ring and lost messages for it.`);
      this.freeClient(c);
    };
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
    this.blocked.remove(c);
    this.pendingArgv.delete(c);
    this.removeMonitor(c);
    if (c.pubsub !== null) pubsubUnsubscribeAll(c);
    trackingSessionGone(this.ks, c);
    this.log.verbose(`Client closed connection id=${c.id} addr=${c.addr}`);
  }

  /**
   * A pub/sub message was written to a client's buffer: send it at the end of this turn,
   * and close a subscriber that does not read fast enough (client-output-buffer-limit
   * pubsub: over the hard limit, or over the soft limit for its seconds), as Redis does.
   */
  private pushed(c: Client): void {
    if (c.closed) return;
    this.deferFlush(c);
    const lim = this.pubsubLimit;
    if (lim.hard === 0 && lim.soft === 0) return;
    const used = c.reply.length + c.socket.writableLength;
    let over = lim.hard > 0 && used >= lim.hard;
    if (!over && lim.soft > 0 && used >= lim.soft) {
      const now = Date.now();
      if (c.softLimitSince === 0) c.softLimitSince = now;
      else if (now - c.softLimitSince >= lim.softSeconds * 1000) over = true;
    } else if (!over) c.softLimitSince = 0;
    if (over) {
      this.log.warning(`Client ${c.infoLine(Date.now())} scheduled to be closed ASAP for overcoming of output buffer limits.`);
      this.freeClient(c);
    }
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
    let argv = first ?? parser.next();
    if (argv !== null) {
      const engine = this.engine;
      engine.beginBatch();
      c.processing = true;
      try {
        while (argv !== null) {
          c.currentArgv = argv;
          engine.execute(c, argv);
          c.currentArgv = null;
          if (c.postponed) {
            // CLIENT PAUSE: this command and the rest of the input wait for the unpause
            c.postponed = false;
            this.pendingArgv.set(c, argv);
            this.paused.add(c);
            c.heldByPause = true;
            return;
          }
          if (c.deferred !== null) {
            // a reply that comes later (an incremental DUMP): the rest of the input waits
            const job = c.deferred;
            c.deferred = null;
            this.pendingArgv.set(c, []);
            this.runDeferred(c, job);
            return;
          }
          if (c.blockRequest !== null) {
            // a blocking command waits for its keys: it and the rest of the input are held
            this.pendingArgv.set(c, argv);
            c.blockedForKeys = true;
            this.blocked.block(c);
            return;
          }
          // a change this command made may serve clients waiting for keys
          if (this.blocked.size > 0) this.blocked.serveReady();
          // keyspace events this command wrote reach this server's subscribers now
          if (this.pubsub.subscriptions > 0 && this.pubsub.pending()) this.pubsub.drain();
          if (c.closeAfterReply || c.closed) return;
          argv = parser.next();
        }
      } finally {
        c.processing = false;
        engine.endBatch();
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
    if (c.reply.hasParts) this.writeParts(c);
    else if (c.reply.length > 0) this.writeReply(c);
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

  /**
   * The client's replies, in one write. When Node holds nothing for the socket (no write
   * queued or in flight, not ending or destroyed: its fd is still this connection's), they
   * are sent at once from the reply writer's own buffer by one non-blocking send(2): the
   * system call libuv's try-write would make, without Node's stream machinery around it
   * (Writable state, a WriteWrap, the after-write tick: about a quarter of a write's cost
   * at `redis-benchmark -P 16`, the kernel's share being the rest) and without copying the
   * bytes into a Buffer of their own. What the kernel did not take (a full send buffer, an
   * error) goes to socket.write, which queues it or reports the error as it always did.
   */
  private writeReply(c: Client): void {
    const w = c.reply;
    const n = w.length;
    const socket = c.socket;
    this.stats.totalNetOutputBytes += n;
    this.stats.totalWrites++;
    let sent = 0;
    if (USE_SEND && c.fd >= 0 && socket.writableLength === 0 && socket.writable) {
      const r = native.sendSome(c.fd, w.buffer, 0, n);
      if (r > 0) sent = r;
    }
    const rest = w.takeRest(sent);
    if (rest !== null) socket.write(rest);
  }

  /** A reply with pieces not copied into the buffer (a big DUMP): one writev of them all. */
  private writeParts(c: Client): void {
    const parts = c.reply.takeParts();
    if (parts === null) return;
    c.socket.cork();
    for (const p of parts) {
      this.stats.totalNetOutputBytes += p.length;
      c.socket.write(p);
    }
    this.stats.totalWrites++;
    c.socket.uncork();
  }

  /** A client waits for keys no more (served, timed out, unblocked): reply, then its held input. */
  private resumeBlocked(c: Client): void {
    c.blockedForKeys = false;
    this.resumeHeld(c);
  }

  /** A held connection goes on: its reply out, then the input it received meanwhile. */
  private resumeHeld(c: Client): void {
    this.pendingArgv.delete(c);
    if (c.closed) return;
    this.deferFlush(c);
    setImmediate(() => {
      if (c.closed || this.pendingArgv.has(c)) return;
      this.processInput(c, null);
      this.deferFlush(c);
    });
  }

  /**
   * A command's deferred reply: a slice of its work per event-loop turn (about 2 ms, the
   * other clients in between), then the reply and the connection's held input.
   */
  private runDeferred(c: Client, job: DeferredReply): void {
    const turn = (): void => {
      if (c.closed || this.shuttingDown) {
        job.abort();
        return;
      }
      let done: boolean;
      try {
        done = job.step(perf.now() + 2);
      } catch (e) {
        this.log.warning(`deferred reply failed: ${(e as Error).message}`);
        job.abort();
        c.reply.error('ERR the command failed while it ran in the background (see the server log)');
        done = true;
      }
      if (!done) {
        setImmediate(turn);
        return;
      }
      if (!c.closed) job.finish(c.reply);
      this.resumeHeld(c);
    };
    setImmediate(turn);
  }

  /** CLIENT UNBLOCK */
  unblockClient(id: number, error: boolean): boolean {
    const c = this.clients.get(id);
    return c !== undefined && this.blocked.unblock(c, error);
  }

  // ---------------------------------------------------------------- MONITOR

  readonly monitors = new Set<Client>();

  addMonitor(s: Session): void {
    const c = this.clients.get(s.id);
    if (c === undefined || c !== s) return;
    this.monitors.add(c);
    this.engine.onCall = this.feedMonitors;
  }

  removeMonitor(s: Session): void {
    this.monitors.delete(s as Client);
    // no hook at all while nobody monitors: nothing to pay per command
    if (this.monitors.size === 0) this.engine.onCall = null;
  }

  /** Redis's replicationFeedMonitors: one line per command run, after it ran. */
  private readonly feedMonitors = (c: Session, _cmd: Command, argv: Buffer[]): void => {
    const ms = wallMs();
    const sec = Math.floor(ms / 1000);
    const usec = Math.floor((ms - sec * 1000) * 1000);
    const who = c.kind === 'unix' ? `unix:${this.config.str('unixsocket')}` : c.kind === 'library' ? 'lua' : c.addr;
    let line = `${sec}.${String(usec).padStart(6, '0')} [${c.db} ${who}]`;
    for (let i = 0; i < argv.length; i++) line += ' ' + (c.redacted?.includes(i) ? '"(redacted)"' : reprBytes(argv[i]!));
    for (const m of this.monitors) {
      if (m.closed) continue;
      m.reply.simple(line);
      this.deferFlush(m);
    }
  };

  // ---------------------------------------------------------------- CLIENT PAUSE

  /**
   * The engine's pause check (set while paused): Redis's processCommand postpones every
   * command of a PAUSE ALL, and under PAUSE WRITE the ones that write or may replicate,
   * EXEC included when it would run one.
   */
  private readonly isPausedFor = (_s: Session, cmd: Command): boolean => {
    if (Date.now() >= this.pauseUntil) {
      this.unpause();
      return false;
    }
    if (!this.pauseWrite) return true;
    if (cmd.isWrite || cmd.flags.has('may_replicate')) return true;
    const multi = _s.multi;
    if (cmd.fullName === 'exec' && multi !== null) {
      for (const q of multi.commands) {
        const qc = q.cmd as Command;
        if (qc.isWrite || qc.flags.has('may_replicate')) return true;
      }
    }
    return false;
  };

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
    this.engine.pauseCheck = this.isPausedFor;
    this.engine.expiryPaused = true;
  }

  unpause(): void {
    this.pauseUntil = 0;
    this.pauseWrite = false;
    this.engine.pauseCheck = null;
    this.engine.expiryPaused = false;
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
        c.heldByPause = false;
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
    if (this.engine.cronPaused) return;
    this.cronTicks++;
    const now = Date.now();
    // instantaneous metrics every ~100 ms
    if (now - this.lastSampleTime >= 100) {
      const dt = (now - this.lastSampleTime) / 1000;
      const i = this.opsSampleIdx;
      this.opsSamples[i] = (this.engine.stats.totalCommandsProcessed - this.lastSampleOps) / dt;
      this.inSamples[i] = (this.stats.totalNetInputBytes - this.lastSampleIn) / dt;
      this.outSamples[i] = (this.stats.totalNetOutputBytes - this.lastSampleOut) / dt;
      this.opsSampleIdx = (i + 1) % 16;
      this.lastSampleOps = this.engine.stats.totalCommandsProcessed;
      this.lastSampleIn = this.stats.totalNetInputBytes;
      this.lastSampleOut = this.stats.totalNetOutputBytes;
      this.lastSampleTime = now;
    }
    // active expiry: 25% of a cron period, like Redis's slow cycle; not while clients are
    // paused (the dataset stays as it is, Redis's PAUSE_ACTION_EXPIRE), and off after DEBUG
    // SET-ACTIVE-EXPIRE 0 (the cycle then only frees flushed databases and trims)
    if (this.pauseUntil !== 0 && now >= this.pauseUntil) this.unpause();
    if (this.pauseUntil === 0) {
      try {
        const t0 = perf.now();
        this.ks.activeExpireCycle(Math.max(1, 250 / hz), this.engine.activeExpire);
        this.engine.latencySample('expire-cycle', perf.now() - t0);
      } catch (e) {
        this.log.warning(`active expire cycle failed: ${(e as Error).message}`);
      }
    }
    // over maxmemory with no command coming (CONFIG SET maxmemory below the usage, or a
    // library process that wrote past it): evict here
    this.ks.refreshSettings();
    if (this.ks.overMaxmemory()) {
      this.engine.beginBatch();
      try {
        this.engine.performEvictions();
      } finally {
        this.engine.endBatch();
      }
    }
    // save points, a scheduled BGSAVE
    this.engine.persistence.cron();
    // tracking-table-max-keys when no command comes (Redis's serverCron)
    if (this.engine.tracker.sessions.size > 0) this.engine.tracker.limitUsedSlots();
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

  /** INFO's Clients section. */
  clientLines(): string[] {
    let maxIn = 0;
    let maxOut = 0;
    for (const c of this.clients.values()) {
      maxIn = Math.max(maxIn, c.parser.bufferedBytes());
      maxOut = Math.max(maxOut, c.socket.writableLength);
    }
    return [
      `connected_clients:${this.clients.size}`,
      'cluster_connections:0',
      `maxclients:${this.config.num('maxclients')}`,
      `client_recent_max_input_buffer:${maxIn}`,
      `client_recent_max_output_buffer:${maxOut}`,
      // (clients held by CLIENT PAUSE count, as Redis's BLOCKED_POSTPONE clients do)
      `blocked_clients:${this.paused.size + this.blocked.size}`,
      `tracking_clients:${this.engine.tracker.sessions.size}`,
      `clients_in_timeout_table:${this.blocked.withTimeout()}`,
    ];
  }

  get totalConnectionsReceived(): number {
    return this.stats.totalConnectionsReceived;
  }
  get rejectedConnections(): number {
    return this.stats.rejectedConnections;
  }
  get totalNetInputBytes(): number {
    return this.stats.totalNetInputBytes;
  }
  get totalNetOutputBytes(): number {
    return this.stats.totalNetOutputBytes;
  }
  get totalReads(): number {
    return this.stats.totalReads;
  }
  get totalWrites(): number {
    return this.stats.totalWrites;
  }

  // ---------------------------------------------------------------- CONFIG SET

  /** CONFIG SET of parameters the server acts on (the engine applied its own already). */
  private configChanged(changes: [string, ConfigValue][]): [string, string] | null {
    let listen: string | null = null;
    for (const [name] of changes) {
      switch (name) {
        case 'loglevel':
          this.log.setLevel(this.config.str('loglevel') as LogLevel);
          break;
        case 'hz':
          this.startCron();
          break;
        case 'client-output-buffer-limit':
          this.pubsubLimit = obufLimits(this.config.str('client-output-buffer-limit')).get('pubsub')!;
          break;
        case 'proto-max-bulk-len':
          for (const c of this.clients.values()) c.parser.maxBulkLen = this.config.num('proto-max-bulk-len');
          break;
        case 'port':
        case 'bind':
          listen ??= name;
          break;
      }
    }
    if (listen !== null) {
      const err = this.applyListen(this.config.num('port'), this.config.str('bind'));
      if (err !== null) return [err.startsWith('Unable') ? 'port' : 'bind', err];
    }
    return null;
  }

  // ---------------------------------------------------------------- shutdown

  /** SHUTDOWN: after the reply (there is none: the connection closes with the server). */
  shutdown(reason: string): void {
    setImmediate(() => void this.stop(reason));
  }

  /** Close listeners and clients, detach the keyspace, call onExit. */
  async stop(reason: string, code = 0): Promise<void> {
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
      if (c.reply.hasParts) this.writeParts(c);
      else {
        const out = c.reply.take();
        if (out) c.socket.write(out);
      }
      closing.push(new Promise<void>((resolve) => c.socket.once('close', () => resolve())));
      c.socket.destroySoon();
    }
    await Promise.race([Promise.all(closing), new Promise<void>((r) => setTimeout(r, 500).unref())]);
    for (const c of [...this.clients.values()]) c.socket.destroy();
    this.pubsub.close();
    try {
      this.beforeStoreClose();
    } catch (e) {
      this.log.warning(`Error before closing the keyspace: ${(e as Error).message}`);
    }
    try {
      this.ks.close();
    } catch (e) {
      this.log.warning(`Error closing the keyspace: ${(e as Error).message}`);
    }
    this.log.warning('shmkv is now ready to exit, bye bye...');
    this.log.close();
    this.onExit(code);
  }
}
