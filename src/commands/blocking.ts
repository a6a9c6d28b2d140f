/**
 * Blocking commands (Redis's blocked.c, the handler's side). A blocking command (BLPOP,
 * BLMOVE, BZPOPMIN…) that finds nothing to serve asks to wait for its keys with
 * blockForKeys(); the caller decides what waiting means:
 * - a server connection (session.canBlock) is parked, its later input held, and the
 *   command is run again — with session.rerun set — when one of its keys is added or
 *   changed by any process (src/server/blocking.ts), keeping its place among the clients
 *   waiting for that key; the timeout answers a null array, as Redis's;
 * - anywhere else (inside EXEC, a library call) nothing waits: the command answers at once
 *   as if it had timed out (Redis's CLIENT_DENY_BLOCKING). The library's typed blocking
 *   methods wait themselves, on the segment's key-ready futex (src/kv).
 * A rerun treats a key of another type as absent (Redis 7.0 keeps such a client blocked);
 * the first run answers WRONGTYPE.
 */
import { ReplyError } from '../keyspace/keyspace.js';
import type { CommandContext } from './types.js';

export interface BlockRequest {
  db: number;
  /** the keys waited for (copies) */
  keys: Buffer[];
  /** the value type that serves the command (OBJ_LIST, OBJ_ZSET…) */
  type: number;
  /** absolute ms since the epoch; 0 = wait forever */
  timeoutAt: number;
}

/** What strtold accepts, whole (Redis's getLongDoubleFromObject: no spaces, no nan). */
const DEC_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX_RE = /^([+-]?)0[xX]([0-9a-fA-F]+)$/;
const INF_RE = /^[+-]?inf(?:inity)?$/i;

function strtold(s: string): number {
  if (DEC_RE.test(s)) return Number(s);
  const h = HEX_RE.exec(s);
  if (h !== null) return (h[1] === '-' ? -1 : 1) * parseInt(h[2]!, 16);
  if (INF_RE.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  return NaN;
}

/**
 * A blocking command's timeout in seconds (Redis's getTimeoutFromObjectOrReply with
 * UNIT_SECONDS): fractional seconds, 0 = forever. Returns an absolute time in ms, or 0.
 * As in Redis, a value whose milliseconds do not fit a long long (inf, 1e300) wraps to a
 * negative number: "timeout is negative".
 */
export function parseTimeout(arg: Buffer, now = Date.now()): number {
  const secs = strtold(arg.toString('latin1'));
  if (Number.isNaN(secs)) throw new ReplyError('ERR timeout is not a float or out of range');
  // (long long)(seconds * 1000.0): truncated toward zero
  const ms = Math.trunc(secs * 1000);
  if (ms < 0 || !(ms < 2 ** 63)) throw new ReplyError('ERR timeout is negative');
  return ms === 0 ? 0 : ms + now;
}

/** Whether the running command may wait (a server connection, not inside EXEC). */
export function canBlock(ctx: CommandContext): boolean {
  const s = ctx.session;
  return s.canBlock && s.nestedCalls === 0;
}

/**
 * Nothing to serve now: wait for `keys` (no reply yet), or, where nothing can wait, answer
 * what a timeout answers (a null array).
 */
export function blockForKeys(ctx: CommandContext, req: BlockRequest): void {
  if (canBlock(ctx)) ctx.session.blockRequest = req;
  else ctx.reply.nullArray();
}
