/**
 * DEBUG, as Redis 7.0's debug.c: one command whose handler parses its subcommands (Redis
 * declares none, so COMMAND shows none either). Each subcommand checks its own argument
 * count, and anything else gets Redis's "unknown subcommand or wrong number of arguments".
 *
 * The engine refuses DEBUG unless `enable-debug-command` allows the caller (`protectedBy`:
 * 'yes', or 'local' for Unix sockets, loopback peers and library processes), before
 * authentication, as Redis's processCommand does for protected commands.
 *
 * What we implement: HELP, LOG, SLEEP, SET-ACTIVE-EXPIRE, OBJECT, DIGEST, DIGEST-VALUE,
 * PROTOCOL, POPULATE, ERROR, CHANGE-REPL-ID, STRINGMATCH-TEST, CONFIG-REWRITE-FORCE-ALL.
 * RELOAD and LOADAOF answer that persistence does not exist yet. The rest of Redis's list
 * (crashes, allocator and encoding internals, replication, cluster) is not offered.
 */
import { datasetDigest, keyValueDigest } from '../keyspace/digest.js';
import { ReplyError } from '../keyspace/keyspace.js';
import { valueType } from '../keyspace/valuetypes.js';
import { FLAG_SHARED_INT } from '../keyspace/object.js';
import { rewriteConfigFile } from '../config/config.js';
import { setString } from '../types/string/storage.js';
import { setPackedThreshold } from '../types/list/storage.js';
import { compileGlob } from '../util/glob.js';
import { replyHelp } from './reply.js';
import { argInt64, eqi } from './args.js';
import type { CommandContext, CommandDef } from './types.js';

const HELP = [
  'DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANGE-REPL-ID',
  '    Change the replication IDs of the instance.',
  '    Dangerous: should be used only for testing the replication subsystem.',
  'CONFIG-REWRITE-FORCE-ALL',
  '    Like CONFIG REWRITE but writes all configuration options, including',
  '    keywords not listed in original configuration file or default values.',
  'DIGEST',
  '    Output a hex signature representing the current DB content.',
  'DIGEST-VALUE <key> [<key> ...]',
  '    Output a hex signature of the values of all the specified keys.',
  'ERROR <string>',
  '    Return a Redis protocol error with <string> as message. Useful for clients',
  '    unit tests to simulate Redis errors.',
  'LOG <message>',
  '    Write <message> to the server log.',
  'OBJECT <key>',
  '    Show low level info about `key` and associated value.',
  'POPULATE <count> [<prefix>] [<size>]',
  '    Create <count> string keys named key:<num>. If <prefix> is specified then',
  '    it is used instead of the \'key\' prefix. These are not propagated to',
  '    replicas. Cluster slots are not respected so keys not belonging to the',
  '    current node can be created in cluster mode.',
  'PROTOCOL <type>',
  '    Reply with a test value of the specified type. <type> can be: string,',
  '    integer, double, bignum, null, array, set, map, attrib, push, verbatim,',
  '    true, false.',
  'SET-ACTIVE-EXPIRE <0|1>',
  '    Setting it to 0 disables expiring keys in background when they are not',
  '    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the',
  '    default.',
  'QUICKLIST-PACKED-THRESHOLD <size>',
  '    Sets the threshold for elements to be inserted as plain vs packed nodes',
  '    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.',
  'SLEEP <seconds>',
  '    Stop the server for <seconds>. Decimals allowed.',
  'STRINGMATCH-TEST',
  '    Run a fuzz tester against the stringmatchlen() function.',
  'HELP',
  '    Prints this help.',
];

/**
 * DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save the RDB file, empty the keyspace and load
 * the file again (every value rebuilt from its serialisation, as Redis does).
 */
function reload(ctx: CommandContext, argv: Buffer[]): void {
  let merge = false;
  let flush = true;
  let save = true;
  for (let i = 2; i < argv.length; i++) {
    if (eqi(argv[i]!, 'merge')) merge = true;
    else if (eqi(argv[i]!, 'noflush')) flush = false;
    else if (eqi(argv[i]!, 'nosave')) save = false;
    else throw new ReplyError("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
  }
  const p = ctx.env.persistence;
  const ks = ctx.ks;
  if (save) {
    try {
      p.save();
    } catch {
      throw new ReplyError('ERR Error trying to save the DB');
    }
  }
  if (flush) {
    ks.exec(() => ks.flushall(true));
    ks.lazyFreeAll();
  }
  try {
    p.load({ replace: merge });
  } catch (e) {
    ctx.env.log.warning(`DEBUG RELOAD: ${(e as Error).message}`);
    throw new ReplyError('ERR Error trying to load the RDB dump, check server logs.');
  }
  ctx.env.log.notice('DB reloaded by DEBUG RELOAD');
  ctx.reply.ok();
}

/** C's atoi: optional blanks and sign, then digits; 0 when there are none. */
function atoi(b: Buffer): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(b.toString('latin1'));
  return m ? Number.parseInt(m[1]!, 10) | 0 : 0;
}

/** Redis's memtoull: digits and an optional unit (b, k, kb, m, mb, g, gb); null when invalid. */
function memtoull(b: Buffer): number | null {
  const m = /^(\d+)(b|k|kb|m|mb|g|gb)?$/i.exec(b.toString('latin1'));
  if (!m) return null;
  const mul: Record<string, number> = { '': 1, b: 1, k: 1000, kb: 1024, m: 1e6, mb: 1 << 20, g: 1e9, gb: 2 ** 30 };
  return Number(m[1]) * mul[(m[2] ?? '').toLowerCase()]!;
}

/** C's strtod on a whole argument, loosely: the longest leading number, 0 when none. */
function strtod(b: Buffer): number {
  const v = Number.parseFloat(b.toString('latin1').replace(/^[ \t\n\v\f\r]+/, '').replace(/^([+-]?)inf(inity)?/i, '$1Infinity'));
  return Number.isNaN(v) ? 0 : v;
}

/** A C string (up to its first NUL), as printf's %s sees a Redis sds. */
function cString(b: Buffer): Buffer {
  const z = b.indexOf(0);
  return z < 0 ? b : b.subarray(0, z);
}

function syntaxError(ctx: CommandContext, argv: Buffer[]): void {
  // Redis's addReplySubcommandSyntaxError: the subcommand as sent (128 bytes at most)
  const sub = cString(argv[1]!).subarray(0, 128);
  ctx.reply.errorBytes(
    Buffer.concat([Buffer.from("ERR unknown subcommand or wrong number of arguments for '"), sub, Buffer.from(`'. Try ${argv[0]!.toString('latin1').toUpperCase()} HELP.`)]),
  );
}

// ---------------------------------------------------------------- subcommands

/** SLEEP blocks this process, as Redis blocks its only thread: no other client is served meanwhile. */
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

function sleep(ctx: CommandContext, seconds: number): void {
  const ms = seconds * 1000;
  // not while holding the segment's lock for a pipeline: other processes go on meanwhile
  // (inside EXEC the transaction holds it, as Redis's sleep holds everything)
  if (ms > 0) {
    if (ctx.ks.batchLocked && !ctx.ks.inOperation) ctx.ks.unlockBatch();
    Atomics.wait(sleepCell, 0, 0, ms);
  }
  ctx.reply.ok();
}

function object(ctx: CommandContext, key: Buffer): void {
  const ks = ctx.ks;
  ks.exec(() => {
    // as stored: a logically expired key is still shown (Redis's dictFind)
    const e = ks.findRaw(ctx.session.db, key);
    if (e === 0) throw new ReplyError('ERR no such key');
    const t = valueType(ks.type(e));
    const refcount = ks.flags(e) & FLAG_SHARED_INT ? 2147483647 : 1;
    const serialized = t.serializedLength?.(ks, e) ?? 0;
    // Redis's 24-bit LRU clock (seconds); our stamp keeps more bits
    const lru = ks.accessStamp(e) & 0xffffff;
    ctx.reply.simple(
      `Value at:0x${e.toString(16)} refcount:${refcount} encoding:${t.encoding(ks, e)} serializedlength:${serialized} lru:${lru} lru_seconds_idle:${ks.idleSeconds(e)}${t.debugFields?.(ks, e) ?? ''}`,
    );
  });
}

/** Redis's getPositiveLongFromObjectOrReply: one error for non-numbers and negatives. */
function positiveLong(arg: Buffer): number {
  const ERR = 'ERR value is out of range, must be positive';
  const v = argInt64(arg, ERR);
  if (v < 0) throw new ReplyError(ERR);
  return Number(v);
}

function populate(ctx: CommandContext, argv: Buffer[]): void {
  const count = positiveLong(argv[2]!);
  const size = argv.length === 5 ? positiveLong(argv[4]!) : 0;
  const prefix = argv.length >= 4 ? cString(argv[3]!) : Buffer.from('key');
  const ks = ctx.ks;
  const db = ctx.session.db;
  const n = count;
  const one = (j: number): void => {
    // Redis formats the key into a 128-byte buffer: longer names are cut at 127 bytes
    let key = Buffer.concat([prefix, Buffer.from(`:${j}`)]);
    if (key.length > 127) key = key.subarray(0, 127);
    if (ks.lookupWrite(db, key) !== 0) return;
    const text = Buffer.from(`value:${j}`);
    let val = text;
    if (size > 0) {
      val = Buffer.alloc(size);
      text.copy(val, 0, 0, Math.min(size, text.length));
    }
    setString(ks, db, key, val, 0, -1, 0);
  };
  // Slices of keys per operation, so no undo log holds a million insertions (inside EXEC
  // the transaction is one operation anyway).
  const SLICE = 1000;
  for (let j = 0; j < n; ) {
    const end = ks.inOperation ? n : Math.min(n, j + SLICE);
    const from = j;
    ks.exec(() => {
      for (let i = from; i < end; i++) one(i);
    });
    j = end;
  }
  ctx.reply.ok();
}

function protocol(ctx: CommandContext, name: Buffer): void {
  const w = ctx.reply;
  if (eqi(name, 'string')) w.bulk('Hello World');
  else if (eqi(name, 'integer')) w.integer(12345);
  else if (eqi(name, 'double')) w.double(3.141);
  else if (eqi(name, 'bignum')) w.bigNumber('1234567999999999999999999999999999999');
  else if (eqi(name, 'null')) w.nullBulk();
  else if (eqi(name, 'array') || eqi(name, 'set')) {
    if (eqi(name, 'array')) w.array(3);
    else w.set(3);
    for (let j = 0; j < 3; j++) w.integer(j);
  } else if (eqi(name, 'map')) {
    w.map(3);
    for (let j = 0; j < 3; j++) {
      w.integer(j);
      w.bool(j === 1);
    }
  } else if (eqi(name, 'attrib')) {
    if (w.resp === 3) {
      w.attribute(1);
      w.bulk('key-popularity');
      w.array(2);
      w.bulk('key:123');
      w.integer(90);
    }
    // an attribute annotates a real reply, which follows it
    w.bulk('Some real reply following the attribute');
  } else if (eqi(name, 'push')) {
    if (w.resp !== 3) throw new ReplyError('ERR RESP2 is not supported by this command');
    w.push(2);
    w.bulk('server-cpu-usage');
    w.integer(42);
    // a push is out of band: the command's own reply follows
    w.bulk('Some real reply following the push reply');
  } else if (eqi(name, 'true')) w.bool(true);
  else if (eqi(name, 'false')) w.bool(false);
  else if (eqi(name, 'verbatim')) w.verbatim('This is a verbatim\nstring', 'txt');
  else throw new ReplyError('ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false');
}

/** Random patterns and strings through the glob matcher: it must not throw or hang. */
function stringmatchTest(ctx: CommandContext): void {
  const alphabet = Buffer.from('abc*?[]^-\\\x00\xff');
  const rnd = (max: number) => Math.floor(Math.random() * max);
  const randomBytes = (): Buffer => {
    const b = Buffer.allocUnsafe(rnd(32));
    for (let i = 0; i < b.length; i++) b[i] = Math.random() < 0.8 ? alphabet[rnd(alphabet.length)]! : rnd(256);
    return b;
  };
  for (let i = 0; i < 100000; i++) compileGlob(randomBytes(), Math.random() < 0.5)(randomBytes());
  ctx.reply.simple('Apparently Redis did not crash: test passed');
}

function configRewriteForceAll(ctx: CommandContext): void {
  const cfg = ctx.env.config;
  // Redis fopen()s a NULL path when it runs without a config file: its strerror(EFAULT)
  if (!cfg.file) throw new ReplyError('ERR CONFIG-REWRITE-FORCE-ALL failed: Bad address');
  try {
    rewriteConfigFile(cfg, true);
  } catch (e) {
    throw new ReplyError(`ERR CONFIG-REWRITE-FORCE-ALL failed: ${(e as Error).message}`);
  }
  ctx.reply.ok();
}

function debug(ctx: CommandContext, argv: Buffer[]): void {
  const sub = argv[1]!;
  const argc = argv.length;
  const w = ctx.reply;
  if (argc === 2 && eqi(sub, 'help')) replyHelp(w, HELP);
  else if (eqi(sub, 'log') && argc === 3) {
    ctx.env.log.warning(`DEBUG LOG: ${cString(argv[2]!).toString('utf8')}`);
    w.ok();
  } else if (eqi(sub, 'reload')) reload(ctx, argv);
  else if (eqi(sub, 'loadaof')) throw new ReplyError('ERR DEBUG LOADAOF is not supported: shmkv has no AOF (the keyspace lives in shared memory and survives restarts; RDB snapshots cover reboots)');
  else if (eqi(sub, 'object') && argc === 3) object(ctx, argv[2]!);
  else if (eqi(sub, 'populate') && argc >= 3 && argc <= 5) populate(ctx, argv);
  else if (eqi(sub, 'digest') && argc === 2) w.simple(ctx.ks.exec(() => datasetDigest(ctx.ks)));
  else if (eqi(sub, 'digest-value') && argc >= 2) {
    const ks = ctx.ks;
    const digests = ks.exec(() => argv.slice(2).map((k) => keyValueDigest(ks, ctx.session.db, k)));
    w.array(digests.length);
    for (const d of digests) w.simple(d);
  } else if (eqi(sub, 'protocol') && argc === 3) protocol(ctx, argv[2]!);
  else if (eqi(sub, 'sleep') && argc === 3) sleep(ctx, Math.max(0, strtod(argv[2]!)));
  else if (eqi(sub, 'set-active-expire') && argc === 3) {
    ctx.env.activeExpire = atoi(argv[2]!) !== 0;
    w.ok();
  } else if (eqi(sub, 'pause-cron') && argc === 3) {
    ctx.env.cronPaused = atoi(argv[2]!) !== 0;
    w.ok();
  } else if (eqi(sub, 'error') && argc === 3) {
    // the argument is the whole error text (no ERR prefix added)
    w.errorBytes(argv[2]!);
  } else if (eqi(sub, 'change-repl-id') && argc === 2) {
    ctx.env.log.notice('Changing replication IDs after receiving DEBUG change-repl-id');
    ctx.env.changeReplicationId();
    w.ok();
  } else if (eqi(sub, 'stringmatch-test') && argc === 2) stringmatchTest(ctx);
  else if (eqi(sub, 'config-rewrite-force-all') && argc === 2) configRewriteForceAll(ctx);
  else if (eqi(sub, 'quicklist-packed-threshold') && argc === 3) {
    const sz = memtoull(argv[2]!);
    if (sz === null || !setPackedThreshold(sz)) throw new ReplyError('ERR argument must be a memory value bigger than 1 and smaller than 4gb');
    w.ok();
  }
  else syntaxError(ctx, argv);
}

// ---------------------------------------------------------------- the table
// Metadata as Redis 7.0 declares it (gen-command-defs against redis-server 7.0.15).

export const commands: CommandDef[] = [
  {
    name: 'debug',
    handler: debug,
    protectedBy: 'enable-debug-command',
    arity: -2,
    flags: ['admin', 'noscript', 'loading', 'stale'],
    firstKey: 0,
    lastKey: 0,
    keyStep: 0,
    group: 'server',
    summary: 'A container for debugging commands',
    since: '1.0.0',
    complexity: 'Depends on subcommand.',
    docFlags: ['syscmd'],
  },
];
