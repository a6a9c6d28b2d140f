/**
 * A caller's session: what Redis keeps in its `client` struct apart from the socket —
 * the selected database, protocol, name, authentication, CLIENT REPLY mode, the open
 * transaction and the watched keys. The engine runs commands for a session, whoever the
 * caller is: a connection of the server (src/server/client.ts extends it with its socket)
 * or a library handle (src/kv).
 */
import type { ReplySink } from './reply.js';
import type { BlockRequest } from './blocking.js';
import type { DeferredReply } from './types.js';

/** A command queued by MULTI (its arguments copied: the originals may be views of a read buffer). */
export interface QueuedCommand {
  /** the resolved command (the engine's; opaque here) */
  cmd: unknown;
  argv: Buffer[];
}

export interface MultiState {
  commands: QueuedCommand[];
  /** a command was refused while queueing: EXEC answers EXECABORT (Redis's CLIENT_DIRTY_EXEC) */
  aborted: boolean;
  /** a queued command may add data (EXEC is refused while over maxmemory) */
  denyOom: boolean;
  /** a queued command is a write (EXEC is refused without enough good replicas: min-replicas-to-write) */
  write: boolean;
}

/**
 * A key under WATCH. Changes are found in the segment's change ring from `seq` on, so a
 * write by any process counts (src/commands/transaction_family.ts).
 */
export interface WatchedKey {
  db: number;
  key: Buffer;
  hash: number;
  /** the change ring's sequence when the key was watched */
  seq: number;
  /** the key was stored (expired or not) when watched */
  stored: boolean;
  /** the key was stored but logically expired when watched (Redis's watchedKey.expired) */
  expired: boolean;
}

export type SessionKind = 'tcp' | 'unix' | 'library';

export class Session {
  readonly id: number;
  readonly kind: SessionKind;
  /** Where replies go. Its `resp` is the session's protocol (HELLO changes it). */
  readonly reply: ReplySink;
  db = 0;
  name = '';
  user = 'default';
  /** Authenticated (always true when no password is required). */
  authenticated = true;
  /** CLIENT REPLY OFF */
  replyOff = false;
  /** CLIENT REPLY SKIP: skip the reply of the next command */
  replySkipNext = false;
  /** The running command's reply is skipped (SKIP given just before it; CLIENT REPLY ON clears it) */
  replySkip = false;
  /** CLIENT NO-EVICT */
  noEvict = false;
  /** Close once the pending replies are written (QUIT, CLIENT KILL of itself): the server acts on it. */
  closeAfterReply = false;
  /** The engine did not run the command: CLIENT PAUSE holds it (the server runs it again after the pause) */
  postponed = false;
  /**
   * The caller can wait for keys (a server connection): blocking commands (BLPOP…) then ask
   * to wait (blockRequest) instead of answering null at once. False for a library session
   * (its typed blocking methods wait themselves) and inside EXEC (nestedCalls > 0).
   */
  canBlock = false;
  /** Commands run inside the current one (EXEC's queue): blocking commands must not block there. */
  nestedCalls = 0;
  /** A reply the running command gives later (src/commands/types.ts DeferredReply): the server runs it. */
  deferred: DeferredReply | null = null;
  /** Set by a blocking command that found nothing: what to wait for (src/commands/blocking.ts). */
  blockRequest: BlockRequest | null = null;
  /** The server runs a blocked command again because one of its keys changed. */
  rerun = false;
  /** MONITOR: the server feeds it every command */
  monitor = false;
  /** Open transaction (MULTI), or null. */
  multi: MultiState | null = null;
  /** Keys under WATCH. */
  watched: WatchedKey[] = [];
  /**
   * A local caller (Redis's islocalClient): a Unix socket, a loopback TCP peer, or a library
   * process (it maps the segment itself). Protected commands set to 'local' allow it.
   */
  local: boolean;
  /** Peer address as SLOWLOG shows it ("ip:port" for a connection). */
  addr = '';
  /** Name of the command running or last run (CLIENT LIST cmd=). */
  lastCmdName = 'NULL';
  /** argv indices of the running command that SLOWLOG and MONITOR must not show (AUTH passwords...) */
  redacted: number[] | null = null;
  /**
   * Pub/sub subscriptions (src/commands/pubsub_family.ts), made at the first SUBSCRIBE;
   * opaque here. `subscribed` is Redis's CLIENT_PUBSUB: some subscription of any kind, so
   * a RESP2 session may only run the subscribed-mode commands.
   */
  pubsub: unknown = null;
  subscribed = false;
  /** Client-side caching (CLIENT TRACKING, src/commands/tracking.ts): opaque here, null until first enabled. */
  tracking: unknown = null;
  /** The running command's reply is pub/sub confirmations: CLIENT REPLY OFF/SKIP does not drop it. */
  pushedReply = false;
  /**
   * Output was written to the reply sink outside any command of this session (a pub/sub
   * message): the server sets it to flush (and to check the output buffer limit).
   */
  onPush: (() => void) | null = null;
  /** This process lost pub/sub messages meant for the session (it fell behind the ring): the server closes it. */
  onPubsubLost: (() => void) | null = null;
  /** The engine's per-session state (its handler context...): opaque here, kept here so finding it costs nothing. */
  engineState: unknown = null;

  constructor(id: number, kind: SessionKind, reply: ReplySink) {
    this.id = id;
    this.kind = kind;
    this.reply = reply;
    this.local = kind !== 'tcp';
  }

  get resp(): 2 | 3 {
    return this.reply.resp;
  }
  set resp(v: 2 | 3) {
    this.reply.resp = v;
  }

  /** Keep argument i of the running command out of SLOWLOG and MONITOR (Redis's redactClientCommandArgument). */
  redactArg(i: number): void {
    (this.redacted ??= []).push(i);
  }

  /** AUTH / HELLO AUTH / RESET change who the session is. */
  setAuthenticated(yes: boolean, user = 'default'): void {
    this.authenticated = yes;
    this.user = user;
  }
}
