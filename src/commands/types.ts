/**
 * The command model. Every family file (`src/commands/*_family.ts`) ends with a declarative
 * table `export const commands: CommandDef[] = [...]`; `src/commands/index.ts` collects the
 * tables and `registry.ts` builds the lookup table, derives ACL categories / key specs and
 * answers COMMAND, COMMAND INFO/DOCS/LIST/COUNT/GETKEYS(ANDFLAGS) in Redis 7.0's shapes.
 *
 * A handler:
 *
 *   { name: 'get', arity: 2, flags: ['readonly', 'fast'], firstKey: 1, lastKey: 1, keyStep: 1,
 *     group: 'string', summary: 'Get the value of a key', since: '1.0.0', complexity: 'O(1)',
 *     args: [{ name: 'key', type: 'key', keySpecIndex: 0 }],
 *     handler: (ctx, argv) => {
 *       const e = ks(ctx).lookupRead(ctx.client.db, argv[1]);   // ctx.store
 *       if (e === 0) ctx.reply.nullBulk(); else ctx.reply.bulk(...);
 *     } }
 *
 * Rules for handlers (the server relies on them):
 * - `argv[0]` is the command name as sent; the arity is already checked (and for a
 *   subcommand `argv[1]` is the subcommand name). argv Buffers may be views of the socket's
 *   read buffer: copy what you keep beyond the call (the store copies keys/values anyway).
 * - Reply through `ctx.reply` (the client's ReplyWriter: RESP2/RESP3 aware). Write exactly
 *   one reply (CLIENT REPLY OFF/SKIP is handled by the server, not by handlers).
 * - Commands whose flags contain 'write' or 'readonly' run inside `store.exec()` (one
 *   undo-logged operation; the batch already holds the write lock), unless `exec: false`.
 *   Others run outside (set `exec: true` to force it).
 * - To fail, either write `ctx.reply.error('ERR ...')` and return, or throw: an Error whose
 *   message starts with an upper-case error code ("ERR ...", "WRONGTYPE ...") becomes that
 *   error reply, after the command's partial reply (if any) is discarded and, inside exec,
 *   the operation rolled back. Any other thrown Error becomes "ERR <message>" and is logged.
 * - Bump statistics through `ctx.server.stats` (see ServerStats below). The store's own
 *   counters (Keyspace.stats: keyspaceHits/keyspaceMisses/expiredKeys bumped by its
 *   lookupRead()/find()) are added to the server's in INFO: count each event once.
 */

import type { Store } from '../store/api.js';
import type { Client, ClientReply } from '../server/client.js';
import type { Server } from '../server/server.js';

export type { Client } from '../server/client.js';
export type { Server } from '../server/server.js';

export interface CommandContext {
  store: Store;
  client: Client;
  /**
   * The client's reply writer (same object as client.reply): a ReplyWriter (RESP2/RESP3
   * aware) that also counts error replies; `errorBytes(buf)` writes an error whose text
   * holds raw bytes (e.g. a user's argument quoted in the message).
   */
  reply: ClientReply;
  server: Server;
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
  /** Absent for container commands that only have subcommands. */
  handler?: Handler;
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
 * Server-wide counters, `ctx.server.stats`. Data families bump the ones marked (families);
 * the server maintains the rest.
 */
export interface ServerStats {
  /** (families) a read command found its key; add only if the store does not count it. */
  keyspaceHits: number;
  /** (families) a read command missed its key. */
  keyspaceMisses: number;
  /** (families / store) keys deleted because their TTL passed. */
  expiredKeys: number;
  /** (families) keys evicted for maxmemory. */
  evictedKeys: number;
  /** (families) keys found expired but kept (writable replicas; always 0 here). */
  expiredStaleKeys: number;
  /** server: accepted connections */
  totalConnectionsReceived: number;
  /** server: refused for maxclients / protected mode */
  rejectedConnections: number;
  /** server: commands executed (incl. failed ones, excl. rejected) */
  totalCommandsProcessed: number;
  totalNetInputBytes: number;
  totalNetOutputBytes: number;
  /** server: all error replies */
  totalErrorReplies: number;
  /** server: errors per prefix ("ERR", "WRONGTYPE", ...) */
  errorStats: Map<string, number>;
  /** server: protocol errors that closed a connection */
  protocolErrors: number;
  /** server: write commands executed without error since start (rdb_changes_since_last_save) */
  dirty: number;
  /** server: read events / socket writes */
  totalReads: number;
  totalWrites: number;
  /** server: ms timestamp of the last RESETSTAT / start */
  since: number;
}

export function newServerStats(): ServerStats {
  return {
    keyspaceHits: 0,
    keyspaceMisses: 0,
    expiredKeys: 0,
    evictedKeys: 0,
    expiredStaleKeys: 0,
    totalConnectionsReceived: 0,
    rejectedConnections: 0,
    totalCommandsProcessed: 0,
    totalNetInputBytes: 0,
    totalNetOutputBytes: 0,
    totalErrorReplies: 0,
    errorStats: new Map(),
    protocolErrors: 0,
    dirty: 0,
    totalReads: 0,
    totalWrites: 0,
    since: Date.now(),
  };
}
