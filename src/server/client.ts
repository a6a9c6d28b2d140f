/**
 * One connection: a session (src/commands/session.ts) with its socket, request parser and
 * RESP reply writer.
 */

import type net from 'node:net';
import { RequestParser } from '../protocol/parser.js';
import { ReplyWriter } from '../protocol/reply.js';
import type { ReplySink } from '../commands/reply.js';
import { Session } from '../commands/session.js';
import type { ConnectedClient } from '../commands/types.js';
import { pubsubCounts } from '../commands/pubsub_family.js';
import { trackingFlags, trackingRedir } from '../commands/tracking.js';

/**
 * The connection's reply sink: RESP bytes collected for one write per event-loop turn
 * (src/protocol/reply.ts), counting the error replies it writes (total_error_replies,
 * errorstats, failed_calls), as Redis's afterErrorReply does.
 */
export class ClientReply extends ReplyWriter implements ReplySink {
  errors = 0;
  onError: ((text: string) => void) | null = null;

  constructor() {
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
      b[i + 1] = c === 13 || c === 10 ? 32 : c!;
    }
    b[text.length + 1] = 13;
    b[text.length + 2] = 10;
    this.raw(b);
    this.noteError(text.toString('latin1', 0, Math.min(text.length, 32)));
  }

  private noteError(text: string): void {
    this.errors++;
    this.onError?.(text);
  }
}

export type ClientKind = 'tcp' | 'unix';

export class Client extends Session implements ConnectedClient {
  readonly socket: net.Socket;
  readonly parser: RequestParser;
  declare readonly reply: ClientReply;
  readonly laddr: string;
  readonly fd: number;
  readonly createdAt = Date.now();
  lastInteraction = Date.now();
  /** reading paused because the socket's output backlog is large */
  outputPaused = false;
  /** in the server's queue of replies to write at the end of this event-loop turn */
  flushQueued = false;
  closed = false;
  /** running the commands of a read (CLIENT LIST qbuf= then counts them, as Redis's does) */
  processing = false;
  /** a command of it waits for CLIENT PAUSE to end (Redis's blocked client: flags=b) */
  heldByPause = false;
  /** a blocking command of it waits for keys (src/server/blocking.ts) */
  blockedForKeys = false;
  /** since when (ms) its output has been over the soft output buffer limit, 0 = not over */
  softLimitSince = 0;
  /** the command running (CLIENT LIST argv-mem=) */
  currentArgv: Buffer[] | null = null;

  constructor(id: number, socket: net.Socket, kind: ClientKind, opts: { maxBulkLen: number; authRequired: boolean; unixsocket: string }) {
    super(id, kind, new ClientReply());
    this.canBlock = true;
    this.socket = socket;
    this.parser = new RequestParser({ maxBulkLen: opts.maxBulkLen });
    this.setAuthenticated(!opts.authRequired);
    if (kind === 'unix') {
      this.addr = `${opts.unixsocket}:0`;
      this.laddr = `${opts.unixsocket}:0`;
    } else {
      this.addr = formatAddr(socket.remoteAddress, socket.remotePort);
      this.laddr = formatAddr(socket.localAddress, socket.localPort);
      this.local = isLoopback(socket.remoteAddress);
    }
    const h = (socket as unknown as { _handle?: { fd?: number } })._handle;
    this.fd = typeof h?.fd === 'number' ? h.fd : -1;
  }

  /** The parser refuses big requests from a client that has not authenticated yet. */
  override setAuthenticated(yes: boolean, user = 'default'): void {
    super.setAuthenticated(yes, user);
    this.parser.authRequired = !yes;
  }

  /** The `flags=` letters of CLIENT LIST. */
  flagString(): string {
    let f = '';
    if (this.monitor) f += 'O';
    if (this.subscribed) f += 'P';
    if (this.multi !== null) f += 'x';
    if (this.heldByPause || this.blockedForKeys) f += 'b';
    if (this.tracking !== null) f += trackingFlags(this);
    if (this.closeAfterReply) f += 'c';
    if (this.kind === 'unix') f += 'U';
    if (this.noEvict) f += 'e';
    return f === '' ? 'N' : f;
  }

  /** A CLIENT LIST / CLIENT INFO line (without the trailing newline), Redis 7.0 fields. */
  infoLine(now: number): string {
    const qbuf = this.processing ? this.parser.queryBufferBytes() : this.parser.bufferedBytes();
    const obl = 0;
    let argvMem = 0;
    if (this.currentArgv !== null) for (const a of this.currentArgv) argvMem += a.length;
    const omem = this.socket.writableLength;
    const events = this.outputPaused ? 'w' : this.socket.writableLength > 0 ? 'rw' : 'r';
    const multi = this.multi === null ? -1 : this.multi.commands.length;
    const [sub, psub, ssub] = pubsubCounts(this);
    const multiMem = this.multi === null ? 0 : this.multi.commands.reduce((n, q) => n + q.argv.reduce((m, a) => m + a.length, 0), 0);
    return (
      `id=${this.id} addr=${this.addr} laddr=${this.laddr} fd=${this.fd} name=${this.name}` +
      ` age=${Math.floor((now - this.createdAt) / 1000)} idle=${Math.floor((now - this.lastInteraction) / 1000)}` +
      ` flags=${this.flagString()} db=${this.db} sub=${sub} psub=${psub} ssub=${ssub} multi=${multi} qbuf=${qbuf} qbuf-free=${Math.max(0, 16384 - qbuf)}` +
      ` argv-mem=${argvMem} multi-mem=${multiMem} rbs=16384 rbp=16384 obl=${obl} oll=0 omem=${omem}` +
      ` tot-mem=${16384 + qbuf + omem + multiMem} events=${events} cmd=${this.lastCmdName} user=${this.user} redir=${trackingRedir(this)} resp=${this.resp}`
    );
  }
}

/** A loopback peer address (IPv4 127/8, IPv6 ::1, IPv4-mapped 127/8). */
export function isLoopback(ip: string | undefined): boolean {
  if (!ip) return false;
  return ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');
}

export function formatAddr(ip: string | undefined, port: number | undefined): string {
  let a = ip ?? '?';
  if (a.startsWith('::ffff:') && a.includes('.')) a = a.slice(7);
  return a.includes(':') ? `[${a}]:${port ?? 0}` : `${a}:${port ?? 0}`;
}
