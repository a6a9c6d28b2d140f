/**
 * The command model. Every family file ends with a declarative table
 * `export const commands: CommandDef[] = [...]` (src/commands/*_family.ts for the generic
 * families, src/types/<type>/<type>_family.ts for each data type); src/engine/families.ts
 * collects the tables and the engine's registry builds the lookup table, derives ACL
 * categories / key specs and answers COMMAND in Redis 7.0's shapes.
 *
 * A handler:
 *
 *   { name: 'get', arity: 2, flags: ['readonly', 'fast'], firstKey: 1, lastKey: 1, keyStep: 1,
 *     group: 'string', summary: 'Get the value of a key', since: '1.0.0', complexity: 'O(1)',
 *     args: [{ name: 'key', type: 'key', keySpecIndex: 0 }],
 *     handler: (ctx, argv) => {
 *       const e = findString(ctx.ks, ctx.session.db, argv[1], true);
 *       if (e === 0) ctx.reply.nullBulk(); else replyString(ctx, e);
 *     } }
 *
 * Rules for handlers (the engine relies on them):
 * - `argv[0]` is the command name as sent; the arity is already checked (and for a
 *   subcommand `argv[1]` is the subcommand name). argv Buffers may be views of a socket's
 *   read buffer: copy what you keep beyond the call (the keyspace copies keys/values anyway).
 * - Reply through `ctx.reply` (a ReplySink: RESP bytes for a socket, JS values for the
 *   library). Write exactly one reply (CLIENT REPLY OFF/SKIP is the engine's business).
 * - Commands whose flags contain 'write' or 'readonly' run inside `ks.exec()` (one
 *   undo-logged operation under the segment's lock), unless `exec: false`; others run
 *   outside (set `exec: true` to force it). Change keys only through the keyspace's seam.
 * - To fail, either write `ctx.reply.error('ERR ...')` and return, or throw: an Error whose
 *   message starts with an upper-case error code ("ERR ...", "WRONGTYPE ...") becomes that
 *   error reply, after the command's partial reply (if any) is discarded and, inside exec,
 *   its changes rolled back. Any other thrown Error becomes "ERR <message>" and is logged.
 * - Nothing here knows about sockets: what only a server can do (CLIENT LIST, MONITOR,
 *   SHUTDOWN...) is asked of `ctx.server`, null when the caller is a library process
 *   (`requireServer` answers a clear error then).
 */

import type { Config, ConfigValue } from '../config/config.js';
import type { Keyspace } from '../keyspace/keyspace.js';
import type { Persistence } from '../persistence/persistence.js';
import { ReplyError } from '../keyspace/keyspace.js';
import type { ReplySink } from './reply.js';
import type { Session } from './session.js';

export type { ReplySink } from './reply.js';
export type { Session } from './session.js';

/** Where the engine's warnings go (the server's log; the library's is quiet). */
export interface LogSink {
  warning(msg: string): void;
  notice(msg: string): void;
  verbose(msg: string): void;
}

/** One SLOWLOG entry (src/engine/slowlog.ts keeps them). */
export interface SlowlogEntryView {
  id: number;
  /** unix seconds */
  time: number;
  /** µs */
  duration: number;
  args: Buffer[];
  peer: string;
  name: string;
}

/**
 * What the engine offers every handler: configuration, statistics, the slow log, INFO.
 * Implemented by the engine (src/engine/engine.ts); nothing here needs a socket.
 */
export interface Env {
  readonly config: Config;
  readonly log: LogSink;
  /** This process's command statistics. */
  readonly stats: EngineStats;
  /** SLOWLOG GET/LEN/RESET */
  slowlogGet(count: number): SlowlogEntryView[];
  slowlogLen(): number;
  slowlogReset(): void;
  /** CONFIG RESETSTAT */
  resetStats(): void;
  /**
   * CONFIG SET changed these parameters (name, old value): apply them (the engine's own,
   * then the server's). Returns null, or the parameter whose change could not be applied
   * and why (Redis's apply functions: a port that cannot be bound); the caller then puts
   * the old values back and applies them again.
   */
  configChanged(changes: [string, ConfigValue][]): [string, string] | null;
  /** INFO's text for the sections asked for. */
  info(sections: string[]): string;
  /** Run another command for this session inside the current one (EXEC's queued commands). */
  call(ctx: CommandContext, cmd: unknown, argv: Buffer[]): void;
  /** unix time (s) of the last save (LASTSAVE) */
  lastSave(): number;
  /** SAVE, BGSAVE, save points, loading (src/persistence/persistence.ts). */
  readonly persistence: Persistence;
  /**
   * Background expiry of this process (DEBUG SET-ACTIVE-EXPIRE): the server's cron and a
   * library process's cycle when it takes the lock both skip deleting expired keys while
   * it is false (lookups still expire lazily).
   */
  activeExpire: boolean;
  /** DEBUG PAUSE-CRON: the server's cron does nothing while it is true. */
  cronPaused: boolean;
  /** DEBUG CHANGE-REPL-ID: a new master_replid (INFO replication). */
  changeReplicationId(): void;
}

/** A server's connection as CLIENT LIST / KILL see it. */
export interface ConnectedClient extends Session {
  readonly addr: string;
  readonly laddr: string;
  /** A CLIENT LIST / CLIENT INFO line (no newline). */
  infoLine(now: number): string;
}

/** What only a server can do; `ctx.server` is null for a library caller. */
export interface ServerOps {
  readonly clients: ReadonlyMap<number, ConnectedClient>;
  /** Close a connection at once (CLIENT KILL). */
  freeClient(c: ConnectedClient): void;
  pause(ms: number, writeOnly: boolean): void;
  unpause(): void;
  /** MONITOR */
  addMonitor(s: Session): void;
  removeMonitor(s: Session): void;
  /** SHUTDOWN (after the reply). */
  shutdown(reason: string): void;
  /**
   * CLIENT UNBLOCK: end a client's wait for keys, answering what its timeout would (or,
   * with `error`, -UNBLOCKED). False when that client does not wait for keys.
   */
  unblockClient(id: number, error: boolean): boolean;
}

/**
 * A reply a command gives later, after work done a slice at a time between other clients'
 * commands (an incremental DUMP): a handler in a session that can wait (`canBlock`) sets
 * `session.deferred`; the server holds the connection's later input, calls step() once per
 * event-loop turn until it says true, then finish() writes the reply.
 */
export interface DeferredReply {
  /** One slice (taking the segment's lock itself) until about `deadline` (performance.now() ms): true when done. */
  step(deadline: number): boolean;
  /** Write the reply (after step() said true). */
  finish(reply: ReplySink): void;
  /** The client is gone: give up, releasing what the job holds. */
  abort(): void;
}

export interface CommandContext {
  /** The keyspace: lookups and the write seam. */
  readonly ks: Keyspace;
  /** The caller's session (db, protocol, transaction...). */
  readonly session: Session;
  /** The session's reply sink. */
  readonly reply: ReplySink;
  readonly env: Env;
  /** The server, when the caller is one of its connections; null for a library caller. */
  readonly server: ServerOps | null;
}

/** ctx.server, or an error reply saying this command needs a server. */
export function requireServer(ctx: CommandContext, what: string): ServerOps {
  if (ctx.server === null) throw new ReplyError(`ERR ${what} is only available in a server connection (this keyspace is open in a library process)`);
  return ctx.server;
}

export type Handler = (ctx: CommandContext, argv: Buffer[]) => void;

/** Argument documentation, as in Redis's JSON command files (COMMAND DOCS). */
export interface ArgDoc {
  name: string;
  type: 'string' | 'integer' | 'double' | 'key' | 'pattern' | 'unix-time' | 'pure-token' | 'oneof' | 'block';
  /** For type 'key': index into the command's key specs. */
  keySpecIndex?: number;
  token?: string;
  summary?: string;
  since?: string;
  deprecatedSince?: string;
  flags?: ('optional' | 'multiple' | 'multiple_token')[];
  /** Sub-arguments of 'oneof' / 'block'. */
  args?: ArgDoc[];
}

/** Redis 7 key specification (COMMAND INFO's 9th element). */
export interface KeySpec {
  notes?: string;
  /** 'RO'|'RW'|'OW'|'RM' + 'access'|'update'|'insert'|'delete' + 'channel'|'incomplete'|'variable_flags' */
  flags: string[];
  beginSearch: { type: 'index'; index: number } | { type: 'keyword'; keyword: string; startFrom: number } | { type: 'unknown' };
  findKeys:
    | { type: 'range'; lastKey: number; keyStep: number; limit: number }
    | { type: 'keynum'; keyNumIdx: number; firstKey: number; keyStep: number }
    | { type: 'unknown' };
}

export interface CommandDef {
  /** Lower case; a subcommand's is just its own part ('get' under 'config'). */
  name: string;
  /** Redis convention: -N = at least N arguments, counting the name (and subcommand). */
  arity: number;
  /** Redis 7 command flags: 'write','readonly','denyoom','admin','pubsub','noscript','blocking',
   * 'loading','stale','skip_monitor','skip_slowlog','asking','fast','no_auth','may_replicate',
   * 'no_mandatory_keys','no_async_loading','no_multi','movablekeys','allow_busy'. */
  flags: string[];
  /** Legacy key range of COMMAND INFO (0 0 0 for none). */
  firstKey: number;
  lastKey: number;
  keyStep: number;
  /** Redis docs group: 'generic','string','list','set','sorted-set','hash','pubsub','transactions',
   * 'connection','server','scripting','hyperloglog','cluster','sentinel','geo','stream','bitmap'. */
  group: string;
  summary: string;
  since: string;
  complexity: string;
  /**
   * ACL categories beyond the derived ones ('@keyspace' style or bare names). The derived
   * ones: @write/@read/@admin+@dangerous/@pubsub/@fast/@blocking from flags, @slow when
   * not fast, and one from the group (string→@string, generic→@keyspace, connection→
   * @connection, sorted-set→@sortedset, transactions→@transaction, ...; server→none).
   * A '-@name' entry removes a derived category (e.g. SORT: ['-@keyspace', ...]).
   */
  acl?: string[];
  /** Arguments for COMMAND DOCS. */
  args?: ArgDoc[];
  /** Command tips ('nondeterministic_output', 'request_policy:all_shards', ...). */
  tips?: string[];
  /** Key specs; default: one index/range spec derived from firstKey/lastKey/keyStep with
   * flags RO+access (readonly) or RW+update (write). */
  keySpecs?: KeySpec[];
  /** COMMAND DOCS history: [since, change]. */
  history?: [string, string][];
  /** COMMAND DOCS doc_flags: 'deprecated' | 'syscmd'. */
  docFlags?: string[];
  deprecatedSince?: string;
  replacedBy?: string;
  /** Subcommands (CONFIG GET...): their names are the bare subcommand ('get'). */
  subcommands?: CommandDef[];
  /**
   * Key positions for movable-key commands when key specs cannot express them, with flags
   * (COMMAND GETKEYSANDFLAGS). Return null for "Invalid arguments".
   */
  getKeys?: (argv: Buffer[]) => { pos: number; flags: string[] }[] | null;
  /** Run inside store.exec() (default: flags include 'write' or 'readonly'). */
  exec?: boolean;
  /**
   * A protected command (Redis's CMD_PROTECTED): the configuration parameter that allows it
   * ('no' | 'yes' | 'local'). The engine refuses it, before authentication, as Redis's
   * processCommand does, unless the parameter is 'yes', or 'local' and the caller is local.
   */
  protectedBy?: string;
  /** Absent for container commands that only have subcommands. */
  handler?: Handler;
  /**
   * The command answered without the lock (src/keyspace/peek.ts), tried first by the engine
   * when no lock is held: it replies and returns true, or leaves the reply untouched and
   * returns false, and the handler then runs as usual. Only for read-only commands whose
   * reply it gives exactly as the handler would.
   */
  readFast?: (ctx: CommandContext, argv: Buffer[]) => boolean;
}

/** Thrown by handlers to reply with an error (message = the full reply text without '-'). */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

/** Per-command statistics (INFO commandstats). */
export interface CommandStats {
  calls: number;
  usec: number;
  rejectedCalls: number;
  failedCalls: number;
  /** latency-tracking's histogram (made by the server at the first call), or null */
  latency: LatencyRecorder | null;
}

/** What INFO latencystats needs of a histogram (src/server/latency.ts). */
export interface LatencyRecorder {
  recordUsec(usec: number): void;
  /** ns at percentile (0..100) */
  valueAt(percentile: number): number;
}

/**
 * Command statistics of one engine (one process): INFO stats' command and error
 * counters. The keyspace's own counters (hits, misses, expired, evicted, changes) are
 * shared by every process and live in the segment (src/keyspace/counters.ts).
 */
export interface EngineStats {
  /** commands executed (incl. failed ones, excl. rejected) */
  totalCommandsProcessed: number;
  /** all error replies */
  totalErrorReplies: number;
  /** errors per prefix ("ERR", "WRONGTYPE", ...) */
  errorStats: Map<string, number>;
  /** ms timestamp of the last RESETSTAT (or the start) */
  since: number;
}

export function newEngineStats(): EngineStats {
  return { totalCommandsProcessed: 0, totalErrorReplies: 0, errorStats: new Map(), since: Date.now() };
}
