/**
 * One connection: its socket, request parser, reply writer and session state
 * (db, name, protocol, authentication, CLIENT REPLY mode...).
 */

import type net from 'node:net';
import { RequestParser } from '../protocol/parser.js';
import { ReplyWriter } from '../protocol/reply.js';
import type { Command } from '../commands/registry.js';
import type { CommandContext, ServerStats } from '../commands/types.js';
import type { Server } from './server.js';

/**
 * The client's ReplyWriter: counts the error replies it writes (total_error_replies,
 * errorstats, failed_calls), as Redis's afterErrorReply does.
 */
export class ClientReply extends ReplyWriter {
  /** error replies written so far (compared before/after a command) */
  errors = 0;
  constructor(private readonly stats: ServerStats) {
    super(2);
  }

  override error(text: string): void {
    super.error(text);
    this.noteError(text);
  }

  /** An error reply given as raw bytes (text without '-' and CRLF; CR/LF become spaces). */
  errorBytes(text: Buffer): void {
    const b = Buffer.allocUnsafe(text.length + 3);
    b[0] = 45;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      b[i + 1] = c === 13 || c === 10 ? 32 : c;
    }
    b[text.length + 1] = 13;
    b[text.length + 2] = 10;
    this.raw(b);
    this.noteError(text.toString('latin1', 0, Math.min(text.length, 32)));
  }

  noteError(text: string): void {
    this.errors++;
    const stats = this.stats;
    stats.totalErrorReplies++;
    const sp = text.indexOf(' ');
    const code = sp > 0 && sp < 32 ? text.slice(0, sp) : 'ERR';
    stats.errorStats.set(code, (stats.errorStats.get(code) ?? 0) + 1);
  }
}

export type ClientKind = 'tcp' | 'unix';

export class Client {
  readonly id: number;
  readonly socket: net.Socket;
  readonly kind: ClientKind;
  readonly parser: RequestParser;
  readonly reply: ClientReply;
  readonly ctx: CommandContext;
  /** "ip:port" of the peer ("/path/to/sock:0" for unix sockets) */
  readonly addr: string;
  readonly laddr: string;
  readonly fd: number;
  readonly createdAt = Date.now();
  lastInteraction = Date.now();

  db = 0;
  name = '';
  /** Authenticated (always true when no requirepass). */
  authenticated: boolean;
  user = 'default';
  /** CLIENT REPLY OFF */
  replyOff = false;
  /** CLIENT REPLY SKIP: skip the reply of the next command */
  replySkipNext = false;
  noEvict = false;
  /** Close once the pending replies are written (QUIT, protocol error, CLIENT KILL of self). */
  closeAfterReply = false;
  closed = false;
  /** reading paused because the socket's output backlog is large */
  outputPaused = false;
  /** in the server's queue of replies to write at the end of this event-loop turn */
  flushQueued = false;
  /** MONITOR: receives every command the server runs */
  monitor = false;
  /** The command running (for the exec runner) and the last one run (CLIENT LIST cmd=). */
  cmd: Command | null = null;
  argv: Buffer[] = [];
  lastCmdName = 'NULL';
  /** argv indices of the running command that SLOWLOG must not show (AUTH passwords...) */
  redacted: number[] | null = null;
  /** Runs the current command inside store.exec(): one closure per client, not per command. */
  readonly runner: () => void;

  constructor(server: Server, id: number, socket: net.Socket, kind: ClientKind) {
    this.id = id;
    this.socket = socket;
    this.kind = kind;
    this.parser = new RequestParser({ maxBulkLen: server.config.num('proto-max-bulk-len') });
    this.reply = new ClientReply(server.stats);
    this.authenticated = server.config.str('requirepass') === '';
    this.parser.authRequired = !this.authenticated;
    this.ctx = { store: server.store, client: this, reply: this.reply, server };
    if (kind === 'unix') {
      const p = server.config.str('unixsocket');
      this.addr = `${p}:0`;
      this.laddr = `${p}:0`;
    } else {
      this.addr = formatAddr(socket.remoteAddress, socket.remotePort);
      this.laddr = formatAddr(socket.localAddress, socket.localPort);
    }
    const h = (socket as unknown as { _handle?: { fd?: number } })._handle;
    this.fd = typeof h?.fd === 'number' ? h.fd : -1;
    this.runner = () => {
      this.cmd!.handler!(this.ctx, this.argv);
    };
  }

  get resp(): 2 | 3 {
    return this.reply.resp;
  }
  set resp(v: 2 | 3) {
    this.reply.resp = v;
  }

  /** Keep argument i of the running command out of SLOWLOG (Redis's redactClientCommandArgument). */
  redactArg(i: number): void {
    (this.redacted ??= []).push(i);
  }

  /** The `flags=` letters of CLIENT LIST. */
  flagString(): string {
    let f = '';
    if (this.monitor) f += 'O';
    if (this.closeAfterReply) f += 'c';
    if (this.noEvict) f += 'e';
    if (this.kind === 'unix') f += 'U';
    return f === '' ? 'N' : f;
  }

  /** A CLIENT LIST / CLIENT INFO line (without the trailing newline), Redis 7.0 fields. */
  infoLine(now: number): string {
    const qbuf = this.parser.bufferedBytes();
    const obl = 0;
    const omem = this.socket.writableLength;
    const argvMem = this.argv.reduce((n, a) => n + a.length, 0);
    const events = this.outputPaused ? 'w' : this.socket.writableLength > 0 ? 'rw' : 'r';
    return (
      `id=${this.id} addr=${this.addr} laddr=${this.laddr} fd=${this.fd} name=${this.name}` +
      ` age=${Math.floor((now - this.createdAt) / 1000)} idle=${Math.floor((now - this.lastInteraction) / 1000)}` +
      ` flags=${this.flagString()} db=${this.db} sub=0 psub=0 ssub=0 multi=-1 qbuf=${qbuf} qbuf-free=${Math.max(0, 16384 - qbuf)}` +
      ` argv-mem=${argvMem} multi-mem=0 rbs=16384 rbp=16384 obl=${obl} oll=0 omem=${omem}` +
      ` tot-mem=${16384 + qbuf + omem + argvMem} events=${events} cmd=${this.lastCmdName} user=${this.user} redir=-1 resp=${this.resp}`
    );
  }
}

export function formatAddr(ip: string | undefined, port: number | undefined): string {
  let a = ip ?? '?';
  if (a.startsWith('::ffff:') && a.includes('.')) a = a.slice(7);
  return a.includes(':') ? `[${a}]:${port ?? 0}` : `${a}:${port ?? 0}`;
}
