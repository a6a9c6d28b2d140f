/**
 * Server configuration: the parameter table (types, defaults, validation with Redis 7.0's
 * error texts), redis.conf parsing (quotes, comments, `include`, command-line overrides
 * appended like redis-server does), CONFIG GET/SET/REWRITE support.
 */

import fs from 'node:fs';
import path from 'node:path';
import { splitArgs } from '../protocol/parser.js';
import { reprBytes } from '../protocol/repr.js';
import { stringMatch } from '../util/glob.js';

export const REDIS_VERSION = '7.0.15';
export const SHMKV_VERSION = '0.1.0';

export type ConfigValue = string | number | boolean;

export interface ConfigDef {
  name: string;
  alias?: string;
  type: 'bool' | 'int' | 'memory' | 'enum' | 'string' | 'save' | 'bind' | 'octal' | 'percentiles' | 'events' | 'obuf';
  default: ConfigValue;
  min?: number;
  max?: number;
  /** clamp instead of refusing (hz) */
  clamp?: [number, number];
  values?: string[];
  /** CONFIG SET refuses: "can't set immutable config" */
  immutable?: boolean;
  /** CONFIG SET refuses: "can't set protected config" */
  protected?: boolean;
  /** a secret: CONFIG SET's value never shows in SLOWLOG */
  sensitive?: boolean;
  /** Left out of CONFIG GET with a pattern (Redis's HIDDEN_CONFIG): asked for by name only. */
  hidden?: boolean;
  /** A memory value that may also be a percentage ("5%", kept as -5; Redis's PERCENT_CONFIG, up to 100%). */
  percent?: boolean;
  /** Takes several words on a config line (joined by a space). */
  multiArg?: boolean;
  /** Extra check; returns an error text or null. */
  check?: (v: ConfigValue) => string | null;
  /**
   * Lives in the segment, not in one process: it decides what the shared data means or
   * how much of it may exist, so every process must see the same value at once
   * (src/keyspace/settings.ts holds it; CONFIG SET in any process changes it for all).
   */
  shared?: boolean;
}

const LLONG_MAX = 9223372036854775807;
const INT_MAX = 2147483647;
const UINT_MAX = 4294967295;

export const MAXMEMORY_POLICIES = [
  'volatile-lru',
  'volatile-lfu',
  'volatile-random',
  'volatile-ttl',
  'allkeys-lru',
  'allkeys-lfu',
  'allkeys-random',
  'noeviction',
] as const;
export type MaxmemoryPolicy = (typeof MAXMEMORY_POLICIES)[number];

const POLICIES: string[] = [...MAXMEMORY_POLICIES];

/** A percentile as Redis prints it (%g): 50, 99.9. */
export function formatPercentile(p: number): string {
  return String(Number(p.toPrecision(6)));
}

/** latency-tracking-info-percentiles: numbers in [0, 100], or null when invalid. */
export function parsePercentiles(raw: string): number[] | null {
  const out: number[] = [];
  for (const w of raw.split(' ').filter((x) => x !== '')) {
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(w)) return null;
    out.push(Number(w));
  }
  return out;
}


/** Supported parameters. Those we do not act on are accepted, validated and reported. */
export const CONFIG_DEFS: ConfigDef[] = [
  { name: 'port', type: 'int', default: 6379, min: 0, max: 65535 },
  { name: 'bind', type: 'bind', default: '127.0.0.1 -::1', multiArg: true },
  { name: 'protected-mode', type: 'bool', default: true },
  { name: 'unixsocket', type: 'string', default: '', immutable: true },
  { name: 'unixsocketperm', type: 'octal', default: 0, min: 0, max: 0o777, immutable: true },
  { name: 'databases', type: 'int', default: 16, min: 1, max: INT_MAX, immutable: true },
  { name: 'requirepass', type: 'string', default: '', sensitive: true },
  { name: 'maxclients', type: 'int', default: 10000, min: 1, max: UINT_MAX },
  { name: 'client-output-buffer-limit', type: 'obuf', default: 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60', multiArg: true },
  { name: 'timeout', type: 'int', default: 0, min: 0, max: INT_MAX },
  { name: 'tcp-keepalive', type: 'int', default: 300, min: 0, max: INT_MAX },
  { name: 'tcp-backlog', type: 'int', default: 511, min: 0, max: INT_MAX, immutable: true },
  { name: 'proto-max-bulk-len', type: 'memory', default: 512 * 1024 * 1024, min: 1024 * 1024, max: LLONG_MAX },
  { name: 'client-query-buffer-limit', type: 'memory', default: 1024 * 1024 * 1024, min: 1024 * 1024, max: LLONG_MAX },
  { name: 'hz', type: 'int', default: 10, min: 0, max: INT_MAX, clamp: [1, 500] },
  { name: 'loglevel', type: 'enum', default: 'notice', values: ['debug', 'verbose', 'notice', 'warning'] },
  { name: 'logfile', type: 'string', default: '', immutable: true },
  { name: 'daemonize', type: 'bool', default: false, immutable: true },
  { name: 'pidfile', type: 'string', default: '', immutable: true },
  { name: 'maxmemory', type: 'memory', default: 0, min: 0, max: Number.MAX_SAFE_INTEGER, shared: true },
  { name: 'maxmemory-policy', type: 'enum', default: 'noeviction', values: POLICIES, shared: true },
  { name: 'maxmemory-samples', type: 'int', default: 5, min: 1, max: 64, shared: true },
  { name: 'maxmemory-eviction-tenacity', type: 'int', default: 10, min: 0, max: 100, shared: true },
  { name: 'lfu-log-factor', type: 'int', default: 10, min: 0, max: INT_MAX, shared: true },
  { name: 'lfu-decay-time', type: 'int', default: 1, min: 0, max: INT_MAX, shared: true },
  { name: 'save', type: 'save', default: '3600 1 300 100 60 10000', multiArg: true },
  { name: 'appendonly', type: 'bool', default: false },
  { name: 'appendfilename', type: 'string', default: 'appendonly.aof', immutable: true },
  { name: 'appendfsync', type: 'enum', default: 'everysec', values: ['always', 'everysec', 'no'] },
  // (Redis chdir()s there: a directory that does not exist is refused)
  { name: 'dir', type: 'string', default: '', protected: true, check: (v) => (v === '' || isDirectory(String(v)) ? null : 'No such file or directory') },
  { name: 'dbfilename', type: 'string', default: 'dump.rdb', protected: true },
  { name: 'rdbcompression', type: 'bool', default: true },
  { name: 'rdbchecksum', type: 'bool', default: true, immutable: true },
  { name: 'stop-writes-on-bgsave-error', type: 'bool', default: true },
  { name: 'rdb-del-sync-files', type: 'bool', default: false },
  { name: 'rdb-save-incremental-fsync', type: 'bool', default: true },
  { name: 'sanitize-dump-payload', type: 'enum', default: 'no', values: ['no', 'yes', 'clients'] },
  // (microseconds of sleep per key a save writes: Redis's test suite slows BGSAVE down with it)
  { name: 'rdb-key-save-delay', type: 'int', default: 0, min: -2147483648, max: INT_MAX, hidden: true },
  { name: 'slowlog-log-slower-than', type: 'int', default: 10000, min: -1, max: LLONG_MAX },
  { name: 'slowlog-max-len', type: 'int', default: 128, min: 0, max: LLONG_MAX },
  { name: 'tracking-table-max-keys', type: 'int', default: 1000000, min: 0, max: LLONG_MAX },
  { name: 'notify-keyspace-events', type: 'events', default: '', shared: true },
  { name: 'lazyfree-lazy-eviction', type: 'bool', default: false, shared: true },
  { name: 'lazyfree-lazy-expire', type: 'bool', default: false, shared: true },
  { name: 'lazyfree-lazy-server-del', type: 'bool', default: false, shared: true },
  { name: 'lazyfree-lazy-user-del', type: 'bool', default: false, shared: true },
  { name: 'lazyfree-lazy-user-flush', type: 'bool', default: false, shared: true },
  { name: 'active-expire-effort', type: 'int', default: 1, min: 1, max: 10, shared: true },
  // encodings of the collection types: what their values look like in the segment
  { name: 'list-max-listpack-size', alias: 'list-max-ziplist-size', type: 'int', default: -2, min: -2147483648, max: INT_MAX, shared: true },
  { name: 'list-compress-depth', type: 'int', default: 0, min: 0, max: INT_MAX, shared: true },
  { name: 'hash-max-listpack-entries', alias: 'hash-max-ziplist-entries', type: 'int', default: 128, min: 0, max: LLONG_MAX, shared: true },
  { name: 'hash-max-listpack-value', alias: 'hash-max-ziplist-value', type: 'int', default: 64, min: 0, max: LLONG_MAX, shared: true },
  { name: 'set-max-intset-entries', type: 'int', default: 512, min: 0, max: LLONG_MAX, shared: true },
  { name: 'set-max-listpack-entries', type: 'int', default: 128, min: 0, max: LLONG_MAX, shared: true },
  { name: 'set-max-listpack-value', type: 'int', default: 64, min: 0, max: LLONG_MAX, shared: true },
  { name: 'zset-max-listpack-entries', alias: 'zset-max-ziplist-entries', type: 'int', default: 128, min: 0, max: LLONG_MAX, shared: true },
  { name: 'zset-max-listpack-value', alias: 'zset-max-ziplist-value', type: 'int', default: 64, min: 0, max: LLONG_MAX, shared: true },
  { name: 'stream-node-max-bytes', type: 'memory', default: 4096, min: 0, max: LLONG_MAX, shared: true },
  { name: 'stream-node-max-entries', type: 'int', default: 100, min: 0, max: LLONG_MAX, shared: true },
  { name: 'hll-sparse-max-bytes', type: 'memory', default: 3000, min: 0, max: LLONG_MAX, shared: true },
  // as in Redis 7: commands that could write files or inspect the process are off by default
  { name: 'enable-debug-command', type: 'enum', default: 'no', values: ['no', 'yes', 'local'], immutable: true },
  { name: 'enable-protected-configs', type: 'enum', default: 'no', values: ['no', 'yes', 'local'], immutable: true },
  { name: 'enable-module-command', type: 'enum', default: 'no', values: ['no', 'yes', 'local'], immutable: true },
  { name: 'replica-read-only', alias: 'slave-read-only', type: 'bool', default: true },
  // a primary with no replica: any value above 0 refuses writes (NOREPLICAS), as Redis does
  { name: 'min-replicas-to-write', alias: 'min-slaves-to-write', type: 'int', default: 0, min: 0, max: INT_MAX },
  { name: 'min-replicas-max-lag', alias: 'min-slaves-max-lag', type: 'int', default: 10, min: 0, max: INT_MAX },
  { name: 'cluster-enabled', type: 'bool', default: false, immutable: true },
  { name: 'io-threads', type: 'int', default: 1, min: 1, max: 128, immutable: true },
  { name: 'always-show-logo', type: 'bool', default: false, immutable: true },
  { name: 'set-proc-title', type: 'bool', default: true, immutable: true },
  { name: 'supervised', type: 'enum', default: 'no', values: ['upstart', 'systemd', 'auto', 'no'], immutable: true },
  { name: 'latency-tracking', type: 'bool', default: true },
  { name: 'latency-tracking-info-percentiles', type: 'percentiles', default: '50 99 99.9', multiArg: true },
  { name: 'latency-monitor-threshold', type: 'int', default: 0, min: 0, max: LLONG_MAX },
  { name: 'maxmemory-clients', type: 'memory', percent: true, default: 0, min: 0, max: LLONG_MAX },
  // replication: shmkv does not replicate yet; the parameters exist (CONFIG GET/SET, the
  // suite's checks) and a replicaof line is refused
  { name: 'replicaof', alias: 'slaveof', type: 'string', default: '', immutable: true, multiArg: true, check: (v) => (v === '' ? null : 'shmkv does not replicate: replicaof is not supported') },
  { name: 'masterauth', type: 'string', default: '', sensitive: true },
  { name: 'masteruser', type: 'string', default: '' },
  { name: 'repl-backlog-size', type: 'memory', default: 1024 * 1024, min: 1, max: LLONG_MAX, clamp: [16384, LLONG_MAX] },
  { name: 'repl-ping-replica-period', alias: 'repl-ping-slave-period', type: 'int', default: 10, min: 1, max: INT_MAX },
  /** debugging aid of Redis's loading (µs per key): hidden there too */
  { name: 'key-load-delay', type: 'int', default: 0, min: -2147483648, max: INT_MAX, hidden: true },
  { name: 'busy-reply-threshold', alias: 'lua-time-limit', type: 'int', default: 5000, min: 0, max: LLONG_MAX },
  /** shmkv: the shared-memory segment the keyspace lives in (/dev/shm/shmkv.<segment>) */
  // (hidden: CONFIG GET * lists Redis's parameters; a client setting each of them back, as
  // the Redis suite does, would trip on an immutable one it does not know)
  { name: 'segment', type: 'string', default: 'default', immutable: true, hidden: true },
  // shmkv: start as the standby of the segment's running server and take its role when it
  // dies (src/server/main.ts). Hidden, and never appended by CONFIG REWRITE.
  { name: 'standby', type: 'bool', default: false, immutable: true, hidden: true },
];

const BY_NAME = new Map<string, ConfigDef>();
for (const d of CONFIG_DEFS) {
  BY_NAME.set(d.name, d);
  if (d.alias) BY_NAME.set(d.alias, d);
}

export function lookupConfig(name: string): ConfigDef | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** Redis's memtoll: digits with an optional unit (b k kb m mb g gb), case-insensitive. */
export function memtoll(s: string): number | null {
  const m = /^(-?[0-9]*)([a-zA-Z]*)$/.exec(s);
  if (!m) return null;
  const units: Record<string, number> = { '': 1, b: 1, k: 1000, kb: 1024, m: 1e6, mb: 1024 * 1024, g: 1e9, gb: 1024 * 1024 * 1024 };
  const mul = units[m[2].toLowerCase()];
  if (mul === undefined) return null;
  if (m[1] === '' || m[1] === '-') return 0;
  return Number(m[1]) * mul;
}

/** Redis's string2ll accepted form. */
function parseStrictInt(s: string): number | null {
  if (!/^(0|-?[1-9][0-9]*)$/.test(s)) return null;
  const n = Number(s);
  if (!Number.isFinite(n) || Math.abs(n) > LLONG_MAX) return null;
  return n;
}

export class ConfigError extends Error {}

/** Parse and validate a value for a parameter (args: the words after the name). */
export function parseConfigValue(def: ConfigDef, args: string[]): ConfigValue {
  if (!def.multiArg && args.length !== 1) throw new ConfigError('wrong number of arguments');
  const raw = args.join(' ');
  switch (def.type) {
    case 'bool': {
      const v = raw.toLowerCase();
      if (v === 'yes') return true;
      if (v === 'no') return false;
      throw new ConfigError("argument must be 'yes' or 'no'");
    }
    case 'int':
    case 'octal':
    case 'memory': {
      let n: number | null;
      if (def.type === 'memory' && def.percent && raw.length > 1 && raw.endsWith('%')) {
        const pct = parseStrictInt(raw.slice(0, -1));
        if (pct === null || pct < 0) throw new ConfigError('argument must be a memory or percent value');
        if (pct > 100) throw new ConfigError('percentage argument must be less or equal to 100');
        return -pct;
      }
      if (def.type === 'memory') {
        n = memtoll(raw);
        if (def.percent && (n === null || n < 0)) throw new ConfigError('argument must be a memory or percent value');
        if (n === null || n < 0) throw new ConfigError('argument must be a memory value');
      } else if (def.type === 'octal') {
        n = /^[0-7]+$/.test(raw) ? parseInt(raw, 8) : null;
        if (n === null) throw new ConfigError("argument couldn't be parsed into an integer");
      } else {
        n = parseStrictInt(raw);
        if (n === null) throw new ConfigError("argument couldn't be parsed into an integer");
      }
      if ((def.min !== undefined && n < def.min) || (def.max !== undefined && n > def.max)) {
        const max = def.max === Number.MAX_SAFE_INTEGER ? '18446744073709551615' : def.max === LLONG_MAX ? '9223372036854775807' : String(def.max);
        throw new ConfigError(`argument must be between ${def.min} and ${max} inclusive`);
      }
      if (def.clamp) n = Math.min(def.clamp[1], Math.max(def.clamp[0], n));
      return n;
    }
    case 'enum': {
      const v = raw.toLowerCase();
      if (!def.values!.includes(v)) throw new ConfigError(`argument(s) must be one of the following: ${def.values!.join(', ')}`);
      return v;
    }
    case 'percentiles': {
      const ps = parsePercentiles(raw);
      if (ps === null) throw new ConfigError('Invalid latency-tracking-info-percentiles parameters');
      if (ps.some((p) => p < 0 || p > 100)) throw new ConfigError('latency-tracking-info-percentiles parameters should sit between [0.0,100.0]');
      return ps.map(formatPercentile).join(' ');
    }
    case 'save': {
      if (raw.trim() === '') return '';
      const parts = raw.split(' ').filter((p) => p !== '');
      if (parts.length % 2 !== 0) throw new ConfigError('Invalid save parameters');
      for (const p of parts) if (parseStrictInt(p) === null || Number(p) < 0) throw new ConfigError('Invalid save parameters');
      return parts.join(' ');
    }
    case 'events': {
      const flags = keyspaceEventsFlags(raw);
      if (flags === null) throw new ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
      // kept lossless ('A' hides 'n' in Redis's printed form, not in its flags); printed canonically
      return keyspaceEventsLossless(flags);
    }
    case 'obuf':
      return parseObufLimits(raw, def.default as string);
    case 'bind': {
      const parts = raw.split(' ').filter((p) => p !== '');
      if (parts.length > 16) throw new ConfigError('Too many bind addresses specified.');
      return parts.join(' ');
    }
    case 'string':
    default:
      if (def.check) {
        const err = def.check(raw);
        if (err !== null) throw new ConfigError(err);
      }
      return raw;
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------------------ notify-keyspace-events

/** Event classes of notify-keyspace-events (Redis's NOTIFY_* bits). */
export const NOTIFY = {
  keyspace: 1 << 0, // K
  keyevent: 1 << 1, // E
  generic: 1 << 2, // g
  string: 1 << 3, // $
  list: 1 << 4, // l
  set: 1 << 5, // s
  hash: 1 << 6, // h
  zset: 1 << 7, // z
  expired: 1 << 8, // x
  evicted: 1 << 9, // e
  stream: 1 << 10, // t
  keyMiss: 1 << 11, // m
  module: 1 << 12, // d
  new: 1 << 13, // n
} as const;
const NOTIFY_ALL =
  NOTIFY.generic | NOTIFY.string | NOTIFY.list | NOTIFY.set | NOTIFY.hash | NOTIFY.zset | NOTIFY.expired | NOTIFY.evicted | NOTIFY.stream | NOTIFY.module;
const EVENT_CHARS: Record<string, number> = {
  A: NOTIFY_ALL,
  g: NOTIFY.generic,
  $: NOTIFY.string,
  l: NOTIFY.list,
  s: NOTIFY.set,
  h: NOTIFY.hash,
  z: NOTIFY.zset,
  x: NOTIFY.expired,
  e: NOTIFY.evicted,
  K: NOTIFY.keyspace,
  E: NOTIFY.keyevent,
  t: NOTIFY.stream,
  m: NOTIFY.keyMiss,
  d: NOTIFY.module,
  n: NOTIFY.new,
};

/** The classes of a notify-keyspace-events string, or null for an unknown character. */
export function keyspaceEventsFlags(s: string): number | null {
  let flags = 0;
  for (const ch of s) {
    const f = EVENT_CHARS[ch];
    if (f === undefined) return null;
    flags |= f;
  }
  return flags;
}

/** The canonical string of a set of classes, as CONFIG GET prints it (Redis's order). */
export function keyspaceEventsString(flags: number): string {
  let s = '';
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) s += 'A';
  else {
    const order: [number, string][] = [
      [NOTIFY.generic, 'g'],
      [NOTIFY.string, '$'],
      [NOTIFY.list, 'l'],
      [NOTIFY.set, 's'],
      [NOTIFY.hash, 'h'],
      [NOTIFY.zset, 'z'],
      [NOTIFY.expired, 'x'],
      [NOTIFY.evicted, 'e'],
      [NOTIFY.stream, 't'],
      [NOTIFY.module, 'd'],
      [NOTIFY.new, 'n'],
    ];
    for (const [f, ch] of order) if (flags & f) s += ch;
  }
  if (flags & NOTIFY.keyspace) s += 'K';
  if (flags & NOTIFY.keyevent) s += 'E';
  if (flags & NOTIFY.keyMiss) s += 'm';
  return s;
}

/** Every class of a set as its own character (no 'A'): what the configuration keeps. */
export function keyspaceEventsLossless(flags: number): string {
  let s = '';
  for (const [ch, f] of Object.entries(EVENT_CHARS)) if (ch !== 'A' && flags & f) s += ch;
  return s;
}

// ------------------------------------------------------------------------------ client-output-buffer-limit

/** One class's limits: bytes (0 = none) and seconds above the soft limit. */
export interface ObufLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}

const OBUF_CLASSES = ['normal', 'slave', 'pubsub'];

/**
 * client-output-buffer-limit: `<class> <hard> <soft> <soft seconds>` groups (class normal,
 * replica/slave or pubsub), merged into `base` (the classes not given keep their values);
 * the canonical text CONFIG GET prints (all three classes, bytes).
 */
export function parseObufLimits(raw: string, base: string): string {
  const words = raw.split(' ').filter((w) => w !== '');
  if (words.length % 4 !== 0) throw new ConfigError('Wrong number of arguments in buffer limit configuration.');
  const cur = obufLimits(base);
  for (let i = 0; i < words.length; i += 4) {
    let cls = words[i]!.toLowerCase();
    if (cls === 'replica') cls = 'slave';
    if (!OBUF_CLASSES.includes(cls)) throw new ConfigError('Invalid client class specified in buffer limit configuration.');
    const hard = memtoll(words[i + 1]!);
    const soft = memtoll(words[i + 2]!);
    const secs = parseStrictInt(words[i + 3]!);
    if (hard === null || soft === null || secs === null || hard < 0 || soft < 0 || secs < 0) {
      throw new ConfigError('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
    }
    cur.set(cls, { hard, soft, softSeconds: secs });
  }
  return OBUF_CLASSES.map((c) => {
    const l = cur.get(c)!;
    return `${c} ${l.hard} ${l.soft} ${l.softSeconds}`;
  }).join(' ');
}

/** The limits per class of a canonical client-output-buffer-limit value. */
export function obufLimits(v: string): Map<string, ObufLimit> {
  const out = new Map<string, ObufLimit>();
  const w = v.split(' ').filter((x) => x !== '');
  for (let i = 0; i + 3 < w.length; i += 4) out.set(w[i]!, { hard: Number(w[i + 1]), soft: Number(w[i + 2]), softSeconds: Number(w[i + 3]) });
  for (const c of OBUF_CLASSES) if (!out.has(c)) out.set(c, { hard: 0, soft: 0, softSeconds: 0 });
  return out;
}

// ------------------------------------------------------------------------------ shared values as numbers

/** A shared parameter's value as the f64 the segment stores (src/keyspace/settings.ts). */
export function encodeShared(def: ConfigDef, v: ConfigValue): number {
  switch (def.type) {
    case 'bool':
      return v ? 1 : 0;
    case 'enum':
      return def.values!.indexOf(v as string);
    case 'events':
      return keyspaceEventsFlags(v as string) ?? 0;
    default:
      return v as number;
  }
}

export function decodeShared(def: ConfigDef, n: number): ConfigValue {
  switch (def.type) {
    case 'bool':
      return n !== 0;
    case 'enum':
      return def.values![n] ?? (def.default as string);
    case 'events':
      return keyspaceEventsLossless(n);
    default:
      return n;
  }
}

/** A value as CONFIG GET prints it. */
export function formatConfigValue(def: ConfigDef, v: ConfigValue): string {
  if (def.type === 'bool') return v ? 'yes' : 'no';
  if (def.type === 'octal') return (v as number).toString(8);
  if (def.percent && (v as number) < 0) return `${-(v as number)}%`;
  if (def.type === 'events') return keyspaceEventsString(keyspaceEventsFlags(v as string) ?? 0);
  return String(v);
}

// ------------------------------------------------------------------------------ the store of values

/**
 * Where the shared parameters live once a keyspace is attached (src/keyspace/settings.ts):
 * values as the numbers encodeShared makes.
 */
export interface SharedConfigStore {
  readShared(name: string): number;
  /** Write some shared values, atomically, for every process. */
  writeShared(values: [string, number][]): void;
}

export class Config {
  private readonly values = new Map<string, ConfigValue>();
  private shared: SharedConfigStore | null = null;
  /** The config file (absolute) if one was given. */
  file: string | null = null;

  constructor() {
    for (const d of CONFIG_DEFS) this.values.set(d.name, d.default);
    this.values.set('dir', process.cwd());
  }

  /**
   * From now on the shared parameters are read from and written to `store`. With
   * `publish`, this configuration's values are written there first (a server starting
   * applies its configuration, as Redis does at every start); without, the values in the
   * segment are kept (a library process opening a keyspace).
   */
  attachShared(store: SharedConfigStore, publish: boolean): void {
    if (publish) store.writeShared(CONFIG_DEFS.filter((d) => d.shared).map((d) => [d.name, encodeShared(d, this.values.get(d.name)!)]));
    this.shared = store;
  }

  detachShared(): void {
    const s = this.shared;
    if (s === null) return;
    for (const d of CONFIG_DEFS) if (d.shared) this.values.set(d.name, decodeShared(d, s.readShared(d.name)));
    this.shared = null;
  }

  get(name: string): ConfigValue {
    const d = BY_NAME.get(name) ?? lookupConfig(name);
    if (!d) throw new Error(`unknown config ${name}`);
    if (d.shared && this.shared !== null) return decodeShared(d, this.shared.readShared(d.name));
    return this.values.get(d.name)!;
  }
  num(name: string): number {
    return this.get(name) as number;
  }
  str(name: string): string {
    return this.get(name) as string;
  }
  bool(name: string): boolean {
    return this.get(name) as boolean;
  }

  set(name: string, v: ConfigValue): void {
    const d = lookupConfig(name);
    if (!d) throw new Error(`unknown config ${name}`);
    if (d.shared && this.shared !== null) this.shared.writeShared([[d.name, encodeShared(d, v)]]);
    else this.values.set(d.name, v);
  }

  /** CONFIG GET: name/value pairs for patterns (exact names keep the spelling asked for). */
  getMatching(patterns: string[]): [string, string][] {
    const out = new Map<string, string>();
    for (const p of patterns) {
      if (!/[[*?]/.test(p)) {
        const d = lookupConfig(p);
        if (d && !out.has(p)) out.set(p, formatConfigValue(d, this.get(d.name)));
        continue;
      }
      for (const d of CONFIG_DEFS) {
        if (d.hidden) continue;
        for (const n of d.alias ? [d.name, d.alias] : [d.name]) {
          if (!out.has(n) && stringMatch(p, n, true)) out.set(n, formatConfigValue(d, this.get(d.name)));
        }
      }
    }
    return [...out];
  }
}

// ------------------------------------------------------------------------------ file loading

export interface ConfigLoadError {
  line: number | null;
  text: string | null;
  message: string;
}

/** sdscatrepr of a string (how redis-server quotes command-line values). */
export function reprQuote(s: string): string {
  return reprBytes(Buffer.from(s, 'utf8'));
}

/**
 * The command line of redis-server: `[config-file] [--name value ...]`. Returns the config
 * file (or null) and the options as config text, appended after the file's lines.
 */
export function parseCommandLine(args: string[]): { file: string | null; options: string } {
  let j = 0;
  let file: string | null = null;
  if (args.length > 0 && !args[0].startsWith('--')) {
    file = args[0];
    j = 1;
  }
  let options = '';
  let handledLast = true;
  for (; j < args.length; j++) {
    const a = args[j];
    if (handledLast && a.startsWith('--')) {
      if (options.length) options += '\n';
      options += a.slice(2) + ' ';
      const next = args[j + 1];
      if (next === undefined || next.startsWith('--')) {
        handledLast = false;
        if (a.toLowerCase() === '--save') {
          options += '""';
          handledLast = true;
        } else if (a.toLowerCase() === '--standby') {
          // a flag: `--standby` alone means `--standby yes`
          options += 'yes';
          handledLast = true;
        }
      } else {
        handledLast = true;
      }
    } else {
      options += reprQuote(a) + ' ';
      handledLast = true;
    }
  }
  return { file, options };
}

/**
 * Apply config text (redis.conf syntax) to `cfg`. Throws a ConfigLoadError-shaped object
 * on the first bad line. `included` guards include loops.
 */
export function loadConfigText(cfg: Config, text: string, baseDir: string, state: { seenSave: boolean; depth: number }): void {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
    if (line === '' || line.startsWith('#')) continue;
    const fail = (message: string): never => {
      throw { line: i + 1, text: line, message } satisfies ConfigLoadError;
    };
    const lb = Buffer.from(line, 'utf8');
    const parts = splitArgs(lb, 0, lb.length);
    if (parts === null) fail('Unbalanced quotes in configuration line');
    const argv = parts!.map((b) => b.toString('utf8'));
    if (argv.length === 0) continue;
    const name = argv[0].toLowerCase();
    if (name === 'include' && argv.length === 2) {
      if (state.depth > 16) fail('include nesting too deep');
      // like redis-server: a relative include is relative to the working directory
      const p = path.resolve(argv[1]);
      let t: string;
      try {
        t = fs.readFileSync(p, 'utf8');
      } catch (e) {
        throw { line: null, text: null, message: `Fatal error, can't open config file '${argv[1]}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}` } satisfies ConfigLoadError;
      }
      state.depth++;
      loadConfigText(cfg, t, path.dirname(p), state);
      state.depth--;
      continue;
    }
    const def = lookupConfig(name);
    if (!def) fail('Bad directive or wrong number of arguments');
    if (argv.length < 2) fail('wrong number of arguments');
    try {
      let args = argv.slice(1);
      if (def!.type === 'save') {
        // every `save` line adds to the list; the first one replaces the default
        const v = parseConfigValue(def!, args) as string;
        const prev = state.seenSave ? (cfg.get('save') as string) : '';
        state.seenSave = true;
        cfg.set('save', v === '' ? '' : prev ? `${prev} ${v}` : v);
        continue;
      }
      if (def!.name === 'dir') {
        args = [path.resolve(baseDir, args.join(' '))];
      }
      const v = parseConfigValue(def!, args);
      if (def!.name === 'daemonize' && v === true) {
        fail('shmkv-server does not daemonize: run it under a supervisor (systemd, docker, pm2) instead');
      }
      cfg.set(def!.name, v);
    } catch (e) {
      if (e instanceof ConfigError) fail(e.message);
      throw e;
    }
  }
}

/** Load file + command-line options into a fresh Config (throws ConfigLoadError). */
export function loadConfig(args: string[]): Config {
  const cfg = new Config();
  const { file, options } = parseCommandLine(args);
  let text = '';
  if (file !== null) {
    const abs = path.resolve(file);
    try {
      text = fs.readFileSync(abs, 'utf8');
    } catch (e) {
      const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message;
      throw { line: null, text: null, message: `Fatal error, can't open config file '${file}': ${reason}` } satisfies ConfigLoadError;
    }
    cfg.file = abs;
  }
  if (options) text += '\n' + options;
  loadConfigText(cfg, text, process.cwd(), { seenSave: false, depth: 0 });
  return cfg;
}

export function formatLoadError(e: ConfigLoadError): string {
  if (e.line === null) return e.message + '\n';
  return `\n*** FATAL CONFIG FILE ERROR (shmkv ${SHMKV_VERSION}, Redis ${REDIS_VERSION} compatible) ***\nReading the configuration file, at line ${e.line}\n>>> '${e.text}'\n${e.message}\n`;
}

// ------------------------------------------------------------------------------ CONFIG REWRITE

function quoteIfNeeded(s: string): string {
  if (s === '' || /[\s"'\\]/.test(s) || /[^\x20-\x7e]/.test(s)) return reprQuote(s);
  return s;
}

function renderLines(def: ConfigDef, v: ConfigValue): string[] {
  if (def.type === 'save') {
    const parts = (v as string).split(' ').filter(Boolean);
    if (parts.length === 0) return ['save ""'];
    const out: string[] = [];
    for (let i = 0; i < parts.length; i += 2) out.push(`save ${parts[i]} ${parts[i + 1]}`);
    return out;
  }
  if (def.type === 'bind') return [`bind ${v}`];
  return [`${def.name} ${quoteIfNeeded(formatConfigValue(def, v))}`];
}

/**
 * Rewrite the config file like CONFIG REWRITE: lines of parameters we know are replaced by
 * the current values (or dropped when the value went back to the default and the line is
 * extra), comments and unknown lines are kept, missing non-default values are appended.
 */
export function rewriteConfigFile(cfg: Config, forceAll = false): void {
  if (!cfg.file) throw new Error('The server is running without a config file');
  let old = '';
  try {
    old = fs.readFileSync(cfg.file, 'utf8');
  } catch {
    old = '';
  }
  const marker = '# Generated by CONFIG REWRITE';
  const lines = old.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  const out: string[] = [];
  const done = new Set<string>();
  for (const raw of lines) {
    const line = raw.trim();
    if (line === marker) continue;
    if (line === '' || line.startsWith('#')) {
      out.push(raw);
      continue;
    }
    const lb = Buffer.from(line, 'utf8');
    const parts = splitArgs(lb, 0, lb.length);
    const def = parts && parts.length ? lookupConfig(parts[0].toString('utf8')) : undefined;
    if (!def) {
      out.push(raw);
      continue;
    }
    if (done.has(def.name)) continue;
    done.add(def.name);
    out.push(...renderLines(def, cfg.get(def.name)));
  }
  const extra: string[] = [];
  for (const d of CONFIG_DEFS) {
    // (`--standby` on a command line is how that process started, not a setting to keep:
    // written to the file, the next start of the server it became would be a standby)
    if (done.has(d.name) || d.name === 'standby') continue;
    const v = cfg.get(d.name);
    const dflt = d.name === 'dir' ? v : d.default;
    if (v === dflt && !forceAll) continue;
    extra.push(...renderLines(d, v));
  }
  if (extra.length) {
    while (out.length && out[out.length - 1].trim() === '') out.pop();
    out.push(marker, ...extra);
  }
  const tmp = `${cfg.file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, out.join('\n') + '\n');
  fs.renameSync(tmp, cfg.file);
}
