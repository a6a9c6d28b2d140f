/**
 * Transactions, like Redis's multi.c: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
 *
 * Queueing is the engine's (src/engine/engine.ts: inside MULTI every command but EXEC,
 * DISCARD, MULTI, WATCH, QUIT and RESET is checked, copied and answered QUEUED; a refused
 * one makes EXEC answer EXECABORT). EXEC runs the queue as ONE keyspace operation, each
 * command after a savepoint: a command that fails is undone alone and the others stand
 * (Redis's rule), and the whole transaction is atomic for every process and under
 * `kill -9` — after a crash either every queued command is in the segment or none is.
 *
 * WATCH works across processes: a watched key remembers the sequence of the segment's
 * change ring (src/keyspace/changes.ts) when it was watched, and EXEC reads what changed
 * since — by this process or any other, including expiry, eviction, FLUSHDB and SWAPDB —
 * with Redis 7.0's rules for keys that were already expired when watched. One deliberate
 * difference: Redis 7.0 leaves a watcher clean when a key that was expired at WATCH time
 * gets a new value (touchWatchedKey's `break`); here that EXEC fails, since the key went
 * from absent to present.
 */
import { CH_FLUSHDB, CH_KEY, CH_SWAPDB, REASON, isRemoval } from '../keyspace/changes.js';
import type { Keyspace } from '../keyspace/keyspace.js';
import type { Session, WatchedKey } from './session.js';
import type { CommandContext, CommandDef } from './types.js';

/** Leave MULTI and forget the watched keys (EXEC, DISCARD, RESET). */
export function resetTransaction(s: Session): void {
  s.multi = null;
  s.watched = [];
}

function multi(ctx: CommandContext): void {
  const s = ctx.session;
  if (s.multi !== null) {
    ctx.reply.error('ERR MULTI calls can not be nested');
    return;
  }
  s.multi = { commands: [], aborted: false, denyOom: false, write: false };
  ctx.reply.ok();
}

function discard(ctx: CommandContext): void {
  const s = ctx.session;
  if (s.multi === null) {
    ctx.reply.error('ERR DISCARD without MULTI');
    return;
  }
  resetTransaction(s);
  ctx.reply.ok();
}

function watch(ctx: CommandContext, argv: Buffer[]): void {
  const s = ctx.session;
  if (s.multi !== null) {
    ctx.reply.error('ERR WATCH inside MULTI is not allowed');
    return;
  }
  const ks = ctx.ks;
  const seq = ks.changes.seq();
  for (let i = 1; i < argv.length; i++) {
    const key = argv[i]!;
    const db = s.db;
    if (s.watched.some((w) => w.db === db && w.key.equals(key))) continue;
    // as stored, expired or not (Redis's keyIsExpired: no lazy deletion here)
    const e = ks.findRaw(db, key);
    s.watched.push({ db, key: Buffer.from(key), hash: ks.hashOf(key), seq, stored: e !== 0, expired: e !== 0 && ks.isExpired(e) });
  }
  ctx.reply.ok();
}

function unwatch(ctx: CommandContext): void {
  ctx.session.watched = [];
  ctx.reply.ok();
}

/**
 * The watched key as a SWAPDB at sequence `swapSeq` (time `time`) left it in its database:
 * whether it was stored, and whether it was already expired then. Found backwards: the
 * content that came into w.db is followed through later SWAPDBs to where it is now; the
 * first later change of the key in it tells what it was before that change, and with no
 * such change it is what is stored there now. A change that does not tell (FLUSHDB, a
 * RENAME/COPY/MOVE destination…) counts as a live key — the answer that fails EXEC
 * (a false positive, never a missed change).
 */
function replacementAt(ks: Keyspace, swapSeq: number, w: WatchedKey, time: number): { other: boolean; otherExpired: boolean } {
  const live = { other: true, otherExpired: false };
  let cur = w.db;
  let found: { other: boolean; otherExpired: boolean } | null = null;
  const complete = ks.changes.readFrom(swapSeq + 1, (_seq, kind, db, hash, reason, at) => {
    if (found !== null) return;
    if (kind === CH_SWAPDB) {
      if (db === cur) cur = hash;
      else if (hash === cur) cur = db;
      return;
    }
    if (db !== cur) return;
    if (kind === CH_FLUSHDB) {
      found = live;
      return;
    }
    if (kind !== CH_KEY || hash !== w.hash) return;
    if (reason === REASON.added) found = { other: false, otherExpired: false };
    // an expiry deletion records the key's expiry time (changes.ts)
    else if (reason === REASON.expired) found = { other: true, otherExpired: at <= time };
    // any other change (a command's DEL, an overwrite, INCR, EXPIRE…) found the key live
    // — an expired one would have been deleted by expiry first — or does not say
    else found = live;
  });
  if (!complete) return live;
  if (found !== null) return found;
  const e = ks.findRaw(cur, w.key);
  if (e === 0) return { other: false, otherExpired: false };
  const exp = ks.expireAt(e);
  return { other: true, otherExpired: exp !== 0 && exp <= time };
}

/**
 * Whether a watched key changed since it was watched (EXEC must fail): what the change
 * ring recorded, read with Redis 7.0's touchWatchedKey / touchAllWatchedKeysInDb rules,
 * then isWatchedKeyExpired (a key that expired since, deleted yet or not). Under the lock.
 */
export function watchedKeysChanged(ks: Keyspace, watched: WatchedKey[]): boolean {
  if (watched.length === 0) return false;
  let from = Infinity;
  for (const w of watched) from = Math.min(from, w.seq);
  const expired = watched.map((w) => w.expired);
  // per watched key: stored (expired or not) at the point of the replay — every change of
  // the key itself is in the ring, so this follows exactly from its state at WATCH time
  const atWatch = watched.map((w) => w.stored);
  let dirty = false;
  const complete = ks.changes.readFrom(from, (seq, kind, db, hash, reason, time) => {
    if (dirty) return;
    for (let i = 0; i < watched.length; i++) {
      const w = watched[i]!;
      if (seq < w.seq) continue;
      if (kind === CH_KEY) {
        if (w.db !== db || w.hash !== hash) continue;
        if (expired[i] && isRemoval(reason)) {
          // an already expired key deleted: logically no change
          expired[i] = false;
          atWatch[i] = false;
          continue;
        }
        dirty = true;
        return;
      }
      if (kind === CH_FLUSHDB) {
        if (w.db !== db) continue;
        if (!atWatch[i]) continue;
        atWatch[i] = false;
        if (expired[i]) {
          expired[i] = false;
          continue;
        }
        dirty = true;
        return;
      }
      if (kind === CH_SWAPDB) {
        const a = db;
        const b = hash;
        if (w.db !== a && w.db !== b) continue;
        // what replaced the key, as it was at the SWAPDB (not as it is now: it may have
        // been deleted by expiry since, which must not look like "replaced by nothing")
        const { other, otherExpired } = replacementAt(ks, seq, w, time);
        const here = atWatch[i]!;
        atWatch[i] = other;
        if (!here && !other) continue;
        if (expired[i]) {
          if (!other) {
            expired[i] = false;
            continue;
          }
          if (otherExpired) continue;
        } else if (!here && otherExpired) {
          expired[i] = true;
          continue;
        }
        dirty = true;
        return;
      }
    }
  });
  // entries lost to the ring's wrap-around: assume the worst
  if (!complete || dirty) return true;
  for (let i = 0; i < watched.length; i++) {
    if (expired[i]) continue;
    const e = ks.findRaw(watched[i]!.db, watched[i]!.key);
    if (e !== 0 && ks.isExpired(e)) return true;
  }
  return false;
}

function exec(ctx: CommandContext): void {
  const s = ctx.session;
  const m = s.multi;
  if (m === null) {
    ctx.reply.error('ERR EXEC without MULTI');
    return;
  }
  if (m.aborted) {
    resetTransaction(s);
    ctx.reply.error('EXECABORT Transaction discarded because of previous errors.');
    return;
  }
  if (watchedKeysChanged(ctx.ks, s.watched)) {
    resetTransaction(s);
    ctx.reply.nullArray();
    return;
  }
  // out of MULTI (and unwatched) before running, as Redis: the commands run as a client's would
  resetTransaction(s);
  ctx.reply.array(m.commands.length);
  // inside EXEC's own operation: each command gets a savepoint (ks.exec nests)
  for (const q of m.commands) ctx.env.call(ctx, q.cmd, q.argv);
}

// ------------------------------------------------------------------------------ the table

export const commands: CommandDef[] = [
  {
    name: 'multi',
    handler: multi,
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'transactions',
    summary: 'Mark the start of a transaction block',
    since: '1.2.0',
    complexity: 'O(1)',
  },
  {
    name: 'exec',
    handler: exec,
    // one operation for the whole transaction, under the lock (the WATCH check included)
    exec: true,
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'skip_slowlog'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'transactions',
    summary: 'Execute all commands issued after MULTI',
    since: '1.2.0',
    complexity: 'Depends on commands in the transaction',
  },
  {
    name: 'discard',
    handler: discard,
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'transactions',
    summary: 'Discard all commands issued after MULTI',
    since: '2.0.0',
    complexity: 'O(N), when N is the number of queued commands',
  },
  {
    name: 'watch',
    handler: watch,
    // the ring's sequence and the keys' state are read under the lock
    exec: true,
    arity: -2,
    flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    firstKey: 1,
    lastKey: -1,
    keyStep: 1,
    group: 'transactions',
    summary: 'Watch the given keys to determine execution of the MULTI/EXEC block',
    since: '2.2.0',
    complexity: 'O(1) for every key.',
    keySpecs: [
      {
        flags: ['RO'],
        beginSearch: { type: 'index', index: 1 },
        findKeys: { type: 'range', lastKey: -1, keyStep: 1, limit: 0 },
      },
    ],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0, flags: ['multiple'] }],
  },
  {
    name: 'unwatch',
    handler: unwatch,
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'transactions',
    summary: 'Forget about all watched keys',
    since: '2.2.0',
    complexity: 'O(1)',
  },
];
