/**
 * DUMP, RESTORE (and RESTORE-ASKING) and MIGRATE, as Redis 7.0's cluster.c: a value
 * serialised in RDB's format with the RDB version and a CRC64 (src/rdb/dump.ts), turned
 * back into a key, or moved to another server. The value's own conversion is its type's
 * (toRdb / fromRdb in src/types/<type>/rdb.ts, through valuetypes.ts); keys change only
 * through the keyspace's seam. MIGRATE's socket work is src/commands/migrate.ts.
 */
import { IncrementalDump } from '../persistence/dump_job.js';
import { canBlock } from './blocking.js';
import { REASON } from '../keyspace/changes.js';
import { ReplyError, type Expiry } from '../keyspace/keyspace.js';
import { O_LRU } from '../keyspace/object.js';
import { freshStamp, lruClock } from '../keyspace/access.js';
import { valueType } from '../keyspace/valuetypes.js';
import { RdbError, type RdbValue } from '../rdb/value.js';
import { createDumpPayload, parseDumpPayload } from '../rdb/dump.js';
import { ERR_SYNTAX, argInt64, eqi } from './args.js';
import { migrateSync } from './migrate.js';
import type { CommandContext, CommandDef } from './types.js';

const ERR_BUSYKEY = 'BUSYKEY Target key name already exists.';
const ERR_BAD_FORMAT = 'ERR Bad data format';
const INT64_MASK = 64;

/** The DUMP payload of entry e (serialised before anything else touches the heap: the value's elements are views into it). */
function payloadOf(ctx: CommandContext, e: number): Uint8Array {
  const ks = ctx.ks;
  const v = valueType(ks.type(e)).toRdb!(ks, e);
  return createDumpPayload(v, { compress: ctx.env.config.get('rdbcompression') === true });
}

// ---------------------------------------------------------------- DUMP

function dump(ctx: CommandContext, argv: Buffer[]): void {
  const e = ctx.ks.lookupRead(ctx.session.db, argv[1]!);
  if (e === 0) return ctx.reply.nullBulk();
  // a huge value, for a server connection that can wait: serialised a slice per event-loop
  // turn under a copy-on-write epoch (other clients are served meanwhile), replied when done
  if (canBlock(ctx)) {
    const slot = (ctx.ks as { segment?: { slot: number } }).segment?.slot ?? -1;
    const job = IncrementalDump.start(ctx.ks, ctx.session.db, argv[1]!, e, ctx.env.config.bool('rdbcompression'), slot);
    if (job !== null) {
      job.silent = ctx.session.replyOff || ctx.session.replySkip;
      ctx.session.deferred = job;
      return;
    }
  }
  ctx.reply.bulk(payloadOf(ctx, e));
}

// ---------------------------------------------------------------- RESTORE

/** The value a payload holds, or Redis's error for it (version / checksum, Bad data format). */
function parsePayload(p: Uint8Array): RdbValue {
  try {
    return parseDumpPayload(p);
  } catch (err) {
    if (err instanceof RdbError) throw new ReplyError(`ERR ${err.message}`);
    throw err;
  }
}

/**
 * RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
 * (restoreCommand): options first, then BUSYKEY, the TTL, the payload; the value is built
 * before the old one goes; a TTL already past deletes the key (with REPLACE) and answers OK.
 */
function restore(ctx: CommandContext, argv: Buffer[]): void {
  const ks = ctx.ks;
  const db = ctx.session.db;
  let replace = false;
  let absttl = false;
  let lfuFreq = -1;
  let lruIdle: number | bigint = -1;
  for (let j = 4; j < argv.length; j++) {
    const additional = argv.length - j - 1;
    const a = argv[j]!;
    if (eqi(a, 'replace')) replace = true;
    else if (eqi(a, 'absttl')) absttl = true;
    else if (eqi(a, 'idletime') && additional >= 1 && lfuFreq === -1) {
      lruIdle = argInt64(argv[j + 1]!);
      if (lruIdle < 0) throw new ReplyError('ERR Invalid IDLETIME value, must be >= 0');
      j++;
    } else if (eqi(a, 'freq') && additional >= 1 && lruIdle === -1) {
      const f = argInt64(argv[j + 1]!);
      if (f < 0 || f > 255) throw new ReplyError('ERR Invalid FREQ value, must be >= 0 and <= 255');
      lfuFreq = Number(f);
      j++;
    } else throw new ReplyError(ERR_SYNTAX);
  }
  const key = argv[1]!;
  if (!replace && ks.lookupWrite(db, key) !== 0) throw new ReplyError(ERR_BUSYKEY);
  const ttl = argInt64(argv[2]!);
  if (ttl < 0) throw new ReplyError('ERR Invalid TTL value, must be >= 0');
  const v = parsePayload(argv[3]!);
  const t = valueType(v.type);
  let ne: number;
  try {
    ne = t.fromRdb!(ks, key, v);
  } catch (err) {
    if (err instanceof RdbError) throw new ReplyError(ERR_BAD_FORMAT);
    throw err;
  }
  const old = replace ? ks.lookupWrite(db, key) : 0;
  // a relative TTL is added to the time in int64 arithmetic: an overflow wraps into the past, as in Redis
  let at: Expiry = ttl;
  if (ttl !== 0 && !absttl) at = BigInt.asIntN(INT64_MASK, BigInt(ttl) + BigInt(ks.now));
  if (at !== 0 && at !== 0n && at <= ks.now) {
    // (checkAlreadyExpired) the key is not created; with REPLACE the old one is deleted
    t.free(ks, ne);
    ks.heap.free(ne);
    if (old !== 0) ks.removeEntry(db, old, REASON.deleted);
    return ctx.reply.ok();
  }
  if (typeof at === 'bigint' && at <= BigInt(Number.MAX_SAFE_INTEGER)) at = Number(at);
  if (at !== 0) ne = ks.withExpire(ne, at);
  setAccess(ctx, ne, lfuFreq, lruIdle);
  if (old !== 0) ks.replaceEntry(db, old, ne, REASON.overwritten);
  else ks.addEntry(db, ne, REASON.added);
  ctx.reply.ok();
}

/**
 * objectSetLRUOrLFU: under an LFU policy FREQ sets the counter; otherwise IDLETIME puts the
 * last access that many seconds back (never before the clock's zero). The other option is
 * ignored, as in Redis.
 */
function setAccess(ctx: CommandContext, e: number, lfuFreq: number, lruIdle: number | bigint): void {
  const ks = ctx.ks;
  const access = ks.access;
  let stamp: number;
  if (access.lfu) {
    if (lfuFreq < 0) return;
    stamp = ((freshStamp(access, ks.now) & ~0xff) | lfuFreq) >>> 0;
  } else {
    if (lruIdle === -1) return;
    const idle = lruIdle > 0xffffffff ? 0xffffffff : Number(lruIdle);
    stamp = Math.max(0, lruClock(ks.now) - idle);
  }
  // a fresh entry: nothing to log
  ks.heap.dv.setUint32(e + O_LRU, stamp, true);
}

// ---------------------------------------------------------------- MIGRATE

/** C's atoi: optional blanks and sign, then digits up to the first non-digit (0 when none). */
function atoi(b: Buffer): number {
  const s = b.toString('latin1');
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (m === null) return 0;
  const n = Number(m[1]);
  return Number.isFinite(n) ? Math.trunc(n) : 0;
}

/** getLongFromObjectOrReply */
function argLong(b: Buffer): number {
  const v = argInt64(b);
  return typeof v === 'bigint' ? Number(v) : v;
}

function respCommand(parts: (Buffer | string)[]): Buffer {
  const out: Buffer[] = [Buffer.from(`*${parts.length}\r\n`)];
  for (const p of parts) {
    const b = typeof p === 'string' ? Buffer.from(p, 'latin1') : p;
    out.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(out);
}

/**
 * MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password]
 * [AUTH2 username password] [KEYS key...] (migrateCommand): the keys found are sent as
 * RESTORE commands (REPLACE when asked) after AUTH and SELECT; each key the target
 * acknowledged is deleted here unless COPY. The exchange blocks the caller (and holds the
 * keyspace's lock) for at most the timeout per step, as Redis blocks its server.
 */
function migrate(ctx: CommandContext, argv: Buffer[]): void {
  const ks = ctx.ks;
  const db = ctx.session.db;
  let copy = false;
  let replace = false;
  let username: Buffer | null = null;
  let password: Buffer | null = null;
  let firstKey = 3;
  let numKeys = 1;
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const a = argv[j]!;
    if (eqi(a, 'copy')) copy = true;
    else if (eqi(a, 'replace')) replace = true;
    else if (eqi(a, 'auth')) {
      if (more === 0) throw new ReplyError(ERR_SYNTAX);
      j++;
      password = argv[j]!;
      ctx.session.redactArg(j);
    } else if (eqi(a, 'auth2')) {
      if (more < 2) throw new ReplyError(ERR_SYNTAX);
      username = argv[++j]!;
      ctx.session.redactArg(j);
      password = argv[++j]!;
      ctx.session.redactArg(j);
    } else if (eqi(a, 'keys')) {
      if (argv[3]!.length !== 0) throw new ReplyError('ERR When using MIGRATE KEYS option, the key argument must be set to the empty string');
      firstKey = j + 1;
      numKeys = argv.length - j - 1;
      break;
    } else throw new ReplyError(ERR_SYNTAX);
  }
  let timeout = argLong(argv[5]!);
  const dbid = argLong(argv[4]!);
  if (timeout <= 0) timeout = 1000;
  // (a timer cannot wait longer than 2^31-1 ms)
  timeout = Math.min(timeout, 0x7fffffff);

  const keys: Buffer[] = [];
  const entries: number[] = [];
  for (let j = 0; j < numKeys; j++) {
    const k = argv[firstKey + j]!;
    const e = ks.lookupRead(db, k);
    if (e !== 0) {
      keys.push(k);
      entries.push(e);
    }
  }
  if (keys.length === 0) return ctx.reply.simple('NOKEY');

  const restores: Buffer[] = [];
  const sent: Buffer[] = [];
  for (let j = 0; j < keys.length; j++) {
    const e = entries[j]!;
    let ttl = 0;
    const exp = ks.expireAt(e);
    if (exp !== 0) {
      ttl = exp - ks.now;
      if (ttl < 0) continue;
      if (ttl < 1) ttl = 1;
    }
    const parts: (Buffer | string)[] = ['RESTORE', keys[j]!, String(ttl), Buffer.from(payloadOf(ctx, e))];
    if (replace) parts.push('REPLACE');
    restores.push(respCommand(parts));
    sent.push(keys[j]!);
  }
  const auth = password === null ? null : respCommand(username === null ? ['AUTH', password] : ['AUTH', username, password]);
  const r = migrateSync({ host: argv[1]!.toString('latin1'), port: atoi(argv[2]!), timeout, dbid, auth, restores: Buffer.concat(restores), keys: sent.length }, argv[2]!.toString('latin1'));
  if (r.connectError) throw new ReplyError('IOERR error or timeout connecting to the client');

  let targetError = false;
  for (let j = 0; j < r.restores.length; j++) {
    const line = r.restores[j]!;
    const authErr = r.auth !== null && r.auth.startsWith('-');
    const selectErr = r.select !== null && r.select.startsWith('-');
    if (authErr || selectErr || line.startsWith('-')) {
      if (!targetError) {
        targetError = true;
        const errbuf = authErr ? r.auth! : selectErr ? r.select! : line;
        ctx.reply.error(`ERR Target instance replied with error: ${errbuf.slice(1)}`);
      }
    } else if (!copy) {
      // (looked up again: a key named twice in KEYS is deleted once)
      const e = ks.find(db, sent[j]!);
      if (e !== 0) ks.removeEntry(db, e, REASON.deleted);
    }
  }
  if (targetError) return;
  if (r.ioerr !== null) return ctx.reply.error(`IOERR error or timeout ${r.ioerr} to target instance`);
  ctx.reply.ok();
}

/** migrateGetKeys: the key argument, or the keys after KEYS (AUTH / AUTH2 arguments skipped). */
function migrateGetKeys(argv: Buffer[]): { pos: number; flags: string[] }[] | null {
  let first = 3;
  let num = 1;
  const flags = ['RW', 'access', 'delete'];
  for (let i = 6; i < argv.length; i++) {
    const a = argv[i]!;
    if (eqi(a, 'keys')) {
      if (argv[3]!.length > 0) return [];
      first = i + 1;
      num = argv.length - first;
      break;
    }
    if (eqi(a, 'auth')) i += 1;
    else if (eqi(a, 'auth2')) i += 2;
  }
  const out: { pos: number; flags: string[] }[] = [];
  for (let i = 0; i < num; i++) out.push({ pos: first + i, flags });
  return out;
}

// ---------------------------------------------------------------- the table

const RESTORE_COMPLEXITY =
  'O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).';

const RESTORE_HISTORY: [string, string][] = [
  ['3.0.0', 'Added the `REPLACE` modifier.'],
  ['5.0.0', 'Added the `ABSTTL` modifier.'],
  ['5.0.0', 'Added the `IDLETIME` and `FREQ` options.'],
];

const RESTORE_ARGS: CommandDef['args'] = [
  { name: 'key', type: 'key', keySpecIndex: 0 },
  { name: 'ttl', type: 'integer' },
  { name: 'serialized-value', type: 'string' },
  { name: 'replace', type: 'pure-token', token: 'REPLACE', since: '3.0.0', flags: ['optional'] },
  { name: 'absttl', type: 'pure-token', token: 'ABSTTL', since: '5.0.0', flags: ['optional'] },
  { name: 'seconds', type: 'integer', token: 'IDLETIME', since: '5.0.0', flags: ['optional'] },
  { name: 'frequency', type: 'integer', token: 'FREQ', since: '5.0.0', flags: ['optional'] },
];

const RESTORE_KEY_SPECS: CommandDef['keySpecs'] = [
  {
    flags: ['OW', 'update'],
    beginSearch: { type: 'index', index: 1 },
    findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
  },
];

export const commands: CommandDef[] = [
  {
    name: 'dump',
    handler: dump,
    arity: 2,
    flags: ['readonly'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'generic',
    summary: 'Return a serialized version of the value stored at the specified key.',
    since: '2.6.0',
    complexity:
      'O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).',
    tips: ['nondeterministic_output'],
    args: [{ name: 'key', type: 'key', keySpecIndex: 0 }],
  },
  {
    name: 'restore',
    handler: restore,
    arity: -4,
    flags: ['write', 'denyoom'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'generic',
    summary: 'Create a key using the provided serialized value, previously obtained using DUMP.',
    since: '2.6.0',
    complexity: RESTORE_COMPLEXITY,
    acl: ['@dangerous'],
    keySpecs: RESTORE_KEY_SPECS,
    history: RESTORE_HISTORY,
    args: RESTORE_ARGS,
  },
  {
    name: 'restore-asking',
    handler: restore,
    arity: -4,
    flags: ['write', 'denyoom', 'asking'],
    firstKey: 1,
    lastKey: 1,
    keyStep: 1,
    group: 'server',
    summary: 'An internal command for migrating keys in a cluster',
    since: '3.0.0',
    complexity: RESTORE_COMPLEXITY,
    acl: ['@keyspace', '@dangerous'],
    keySpecs: RESTORE_KEY_SPECS,
    history: RESTORE_HISTORY,
    docFlags: ['syscmd'],
    args: RESTORE_ARGS,
  },
  {
    name: 'migrate',
    handler: migrate,
    arity: -6,
    flags: ['write'],
    firstKey: 3,
    lastKey: 3,
    keyStep: 1,
    group: 'generic',
    summary: 'Atomically transfer a key from a Redis instance to another one.',
    since: '2.6.0',
    complexity:
      'This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.',
    acl: ['@dangerous'],
    tips: ['nondeterministic_output'],
    keySpecs: [
      {
        flags: ['RW', 'access', 'delete'],
        beginSearch: { type: 'index', index: 3 },
        findKeys: { type: 'range', lastKey: 0, keyStep: 1, limit: 0 },
      },
      {
        flags: ['RW', 'access', 'delete', 'incomplete'],
        beginSearch: { type: 'keyword', keyword: 'KEYS', startFrom: -2 },
        findKeys: { type: 'range', lastKey: -1, keyStep: 1, limit: 0 },
      },
    ],
    getKeys: migrateGetKeys,
    history: [
      ['3.0.0', 'Added the `COPY` and `REPLACE` options.'],
      ['3.0.6', 'Added the `KEYS` option.'],
      ['4.0.7', 'Added the `AUTH` option.'],
      ['6.0.0', 'Added the `AUTH2` option.'],
    ],
    args: [
      { name: 'host', type: 'string' },
      { name: 'port', type: 'integer' },
      {
        name: 'key_or_empty_string',
        type: 'oneof',
        args: [
          { name: 'key', type: 'key', keySpecIndex: 0 },
          { name: 'empty_string', type: 'pure-token', token: '' },
        ],
      },
      { name: 'destination-db', type: 'integer' },
      { name: 'timeout', type: 'integer' },
      { name: 'copy', type: 'pure-token', token: 'COPY', since: '3.0.0', flags: ['optional'] },
      { name: 'replace', type: 'pure-token', token: 'REPLACE', since: '3.0.0', flags: ['optional'] },
      {
        name: 'authentication',
        type: 'oneof',
        flags: ['optional'],
        args: [
          { name: 'password', type: 'string', token: 'AUTH', since: '4.0.7', flags: ['optional'] },
          {
            name: 'username_password',
            type: 'block',
            token: 'AUTH2',
            since: '6.0.0',
            flags: ['optional'],
            args: [
              { name: 'username', type: 'string' },
              { name: 'password', type: 'string' },
            ],
          },
        ],
      },
      { name: 'key', type: 'key', keySpecIndex: 1, token: 'KEYS', since: '3.0.6', flags: ['optional', 'multiple'] },
    ],
  },
];
