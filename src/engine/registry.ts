/**
 * The command table: lookup by name without allocating, derived data (ACL categories, key
 * specs, movablekeys), per-command statistics, and the COMMAND command family answered
 * from the table in Redis 7.0's reply shapes.
 */

import type { ReplySink } from '../commands/reply.js';
import type { CommandContext, CommandDef, CommandStats, KeySpec } from '../commands/types.js';

// ------------------------------------------------------------------------------ constants

/** Command flag names in the order Redis 7.0 prints them. */
const FLAG_ORDER = [
  'write',
  'readonly',
  'denyoom',
  'module',
  'admin',
  'pubsub',
  'noscript',
  'blocking',
  'loading',
  'stale',
  'skip_monitor',
  'skip_slowlog',
  'asking',
  'fast',
  'no_auth',
  'may_replicate',
  'no_mandatory_keys',
  'no_async_loading',
  'no_multi',
  'movablekeys',
  'allow_busy',
];

/** ACL categories in Redis's table order (the order COMMAND INFO prints them). */
export const ACL_CATEGORIES = [
  'keyspace',
  'read',
  'write',
  'set',
  'sortedset',
  'list',
  'hash',
  'string',
  'bitmap',
  'hyperloglog',
  'geo',
  'stream',
  'pubsub',
  'admin',
  'fast',
  'slow',
  'blocking',
  'dangerous',
  'connection',
  'transaction',
  'scripting',
];

const GROUP_CATEGORY: Record<string, string | undefined> = {
  generic: 'keyspace',
  string: 'string',
  list: 'list',
  set: 'set',
  'sorted-set': 'sortedset',
  hash: 'hash',
  pubsub: 'pubsub',
  transactions: 'transaction',
  connection: 'connection',
  scripting: 'scripting',
  hyperloglog: 'hyperloglog',
  geo: 'geo',
  stream: 'stream',
  bitmap: 'bitmap',
};

export const KEY_FLAG_ORDER = ['RO', 'RW', 'OW', 'RM', 'access', 'update', 'insert', 'delete', 'not_key', 'incomplete', 'variable_flags'];

export function orderBy(names: Iterable<string>, order: string[]): string[] {
  const set = new Set(names);
  const out = order.filter((n) => set.has(n));
  for (const n of set) if (!order.includes(n)) out.push(n);
  return out;
}

function lowerByte(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

// ------------------------------------------------------------------------------ Command

/** A command of the table, with everything derived once. */
export class Command {
  readonly def: CommandDef;
  readonly parent: Command | null;
  /** 'get', 'config|get' */
  readonly fullName: string;
  /** own name, lower case bytes */
  readonly nameBytes: Buffer;
  readonly arity: number;
  readonly flags: ReadonlySet<string>;
  readonly flagList: string[];
  readonly aclCategories: string[];
  readonly keySpecs: KeySpec[];
  readonly subcommands: Command[];
  readonly subTable: LookupTable | null;
  readonly stats: CommandStats = { calls: 0, usec: 0, rejectedCalls: 0, failedCalls: 0, latency: null };
  /** run inside store.exec() */
  readonly useExec: boolean;
  readonly isWrite: boolean;
  readonly isReadonly: boolean;
  readonly noAuth: boolean;
  /** refused with an OOM error while used memory is over maxmemory */
  readonly denyOom: boolean;
  readonly skipSlowlog: boolean;
  /** MONITOR shows it (not admin, not skip_monitor) */
  readonly monitored: boolean;
  readonly handler: ((ctx: CommandContext, argv: Buffer[]) => void) | null;
  /** The read without the lock tried before the handler (CommandDef.readFast), or null. */
  readonly readFast: ((ctx: CommandContext, argv: Buffer[]) => boolean) | null;
  /** The last measured time (µs) of a library read that took the short path, for the untimed ones (Engine.executeReadFast). */
  fastUsec = 0;
  /** The configuration parameter that must allow it (DEBUG: enable-debug-command), or null. */
  readonly protectedBy: string | null;

  constructor(def: CommandDef, parent: Command | null) {
    this.def = def;
    this.parent = parent;
    const name = def.name.toLowerCase();
    this.fullName = parent ? `${parent.fullName}|${name}` : name;
    this.nameBytes = Buffer.from(name, 'latin1');
    this.arity = def.arity;
    this.keySpecs = def.keySpecs ?? deriveKeySpecs(def);
    const flags = new Set(def.flags);
    if (this.keySpecs.some((s) => s.beginSearch.type !== 'index' || s.findKeys.type !== 'range')) flags.add('movablekeys');
    this.flags = flags;
    // may_replicate is hidden on purpose from Redis 7.0's COMMAND INFO (CLIENT PAUSE WRITE still holds such commands)
    this.flagList = orderBy(flags, FLAG_ORDER).filter((f) => f !== 'may_replicate');
    this.aclCategories = deriveAcl(def, flags);
    this.isWrite = flags.has('write');
    this.isReadonly = flags.has('readonly');
    this.noAuth = flags.has('no_auth');
    this.denyOom = flags.has('denyoom');
    this.skipSlowlog = flags.has('skip_slowlog');
    this.monitored = !flags.has('admin') && !flags.has('skip_monitor');
    this.useExec = def.exec ?? (this.isWrite || this.isReadonly);
    this.handler = def.handler ?? null;
    this.readFast = def.readFast ?? null;
    this.protectedBy = def.protectedBy ?? parent?.def.protectedBy ?? null;
    this.subcommands = (def.subcommands ?? []).map((d) => new Command(d, this));
    this.subTable = this.subcommands.length > 0 ? new LookupTable(this.subcommands) : null;
  }

  /** "CONFIG" for the "Try CONFIG HELP." message. */
  get upperName(): string {
    return this.fullName.toUpperCase();
  }

  hasAclCategory(cat: string): boolean {
    return this.aclCategories.includes(cat);
  }
}

function deriveKeySpecs(def: CommandDef): KeySpec[] {
  if (def.firstKey <= 0) return [];
  const flags = def.flags.includes('write') ? ['RW', 'update'] : def.flags.includes('readonly') ? ['RO', 'access'] : ['RW', 'access', 'update'];
  return [
    {
      flags,
      beginSearch: { type: 'index', index: def.firstKey },
      findKeys: { type: 'range', lastKey: def.lastKey < 0 ? def.lastKey : def.lastKey - def.firstKey, keyStep: def.keyStep, limit: 0 },
    },
  ];
}

/** The ACL categories Redis derives from a command's flags and group (before its explicit ones and @slow). */
export function derivedCategories(flags: ReadonlySet<string>, group: string, container: boolean): Set<string> {
  const cats = new Set<string>();
  // a container (CONFIG, CLIENT...) has no category of its own but @slow, as in Redis
  const g = container ? undefined : GROUP_CATEGORY[group];
  if (g) cats.add(g);
  if (flags.has('write')) cats.add('write');
  if (flags.has('readonly') && group !== 'scripting') cats.add('read');
  if (flags.has('admin')) {
    cats.add('admin');
    cats.add('dangerous');
  }
  if (flags.has('pubsub')) cats.add('pubsub');
  if (flags.has('fast')) cats.add('fast');
  if (flags.has('blocking')) cats.add('blocking');
  return cats;
}

function deriveAcl(def: CommandDef, flags: ReadonlySet<string>): string[] {
  const cats = derivedCategories(flags, def.group, (def.subcommands?.length ?? 0) > 0);
  for (const a of def.acl ?? []) {
    if (a.startsWith('-')) cats.delete(a.replace(/^-@?/, '').toLowerCase());
    else cats.add(a.replace(/^@/, '').toLowerCase());
  }
  if (!cats.has('fast')) cats.add('slow');
  return orderBy(cats, ACL_CATEGORIES);
}

// ------------------------------------------------------------------------------ lookup

/**
 * Case-insensitive lookup of a name given as bytes, without allocating: buckets by
 * (lower-cased first byte, length), then a byte compare.
 */
export class LookupTable {
  private readonly buckets: (Command[] | undefined)[] = new Array(256 * 32);

  constructor(cmds: Command[]) {
    for (const c of cmds) {
      const b = c.nameBytes;
      const k = (b[0] << 5) | (b.length & 31);
      (this.buckets[k] ??= []).push(c);
    }
  }

  get(name: Uint8Array): Command | null {
    const n = name.length;
    if (n === 0) return null;
    const bucket = this.buckets[(lowerByte(name[0]) << 5) | (n & 31)];
    if (bucket === undefined) return null;
    outer: for (let i = 0; i < bucket.length; i++) {
      const c = bucket[i];
      const b = c.nameBytes;
      if (b.length !== n) continue;
      for (let j = 1; j < n; j++) if (lowerByte(name[j]) !== b[j]) continue outer;
      return c;
    }
    return null;
  }
}

// ------------------------------------------------------------------------------ Registry

export type Resolution =
  | { cmd: Command; error: null }
  | { cmd: Command | null; error: 'unknown' | 'unknown-subcommand' | 'arity' };

export class Registry {
  /** Top-level commands in table order. */
  readonly commands: Command[];
  private readonly table: LookupTable;

  constructor(defs: CommandDef[]) {
    const seen = new Set<string>();
    this.commands = [];
    for (const d of defs) {
      const n = d.name.toLowerCase();
      if (seen.has(n)) throw new Error(`command '${n}' is defined twice`);
      seen.add(n);
      this.commands.push(new Command(d, null));
    }
    this.table = new LookupTable(this.commands);
  }

  /** Top-level command by its name bytes (case-insensitive), or null. */
  lookup(name: Uint8Array): Command | null {
    return this.table.get(name);
  }

  /**
   * The command an argv runs, like Redis's processCommand: top-level lookup, then the
   * subcommand for container commands, then the arity check.
   */
  resolve(argv: Buffer[]): Resolution {
    const base = this.table.get(argv[0]);
    if (base === null) return { cmd: null, error: 'unknown' };
    let cmd = base;
    if (base.subTable !== null && argv.length >= 2) {
      const sub = base.subTable.get(argv[1]);
      if (sub === null) return { cmd: base, error: 'unknown-subcommand' };
      cmd = sub;
    }
    const a = cmd.arity;
    if ((a > 0 && argv.length !== a) || argv.length < -a) return { cmd, error: 'arity' };
    return { cmd, error: null };
  }

  /** Lookup by a full name string: 'get', 'CONFIG|GET'. */
  byName(name: string): Command | null {
    const parts = name.toLowerCase().split('|');
    if (parts.length > 2) return null;
    const base = this.table.get(Buffer.from(parts[0], 'latin1'));
    if (base === null || parts.length === 1) return base;
    return base.subTable?.get(Buffer.from(parts[1], 'latin1')) ?? null;
  }

  /** Like Redis's lookupCommand(argv, argc) for COMMAND GETKEYS: a container needs its subcommand. */
  lookupArgv(argv: Buffer[]): Command | null {
    const base = this.table.get(argv[0]);
    if (base === null) return null;
    if (base.subTable === null || argv.length < 2) return base;
    return base.subTable.get(argv[1]);
  }

  /** Every command and subcommand, depth first (COMMAND LIST order). */
  *all(): Generator<Command> {
    for (const c of this.commands) {
      yield c;
      yield* c.subcommands;
    }
  }

  // ---------------------------------------------------------------- key extraction

  /**
   * Keys of a full command (COMMAND GETKEYS), from its key specs (or getKeys for commands
   * that declare one). Returns null when the arguments are invalid for the specs.
   */
  getKeys(cmd: Command, argv: Buffer[]): { pos: number; flags: string[] }[] | null {
    const varflags = cmd.keySpecs.some((s) => s.flags.includes('variable_flags'));
    if (cmd.def.getKeys && (varflags || cmd.keySpecs.length === 0)) return cmd.def.getKeys(argv);
    const r = this.getKeysFromSpecs(cmd, argv);
    if (r === null && cmd.def.getKeys) return cmd.def.getKeys(argv);
    return r;
  }

  /** Redis's getKeysUsingKeySpecs: null for an invalid spec (syntax error). */
  private getKeysFromSpecs(cmd: Command, argv: Buffer[]): { pos: number; flags: string[] }[] | null {
    const out: { pos: number; flags: string[] }[] = [];
    const argc = argv.length;
    for (const spec of cmd.keySpecs) {
      let first = 0;
      const bs = spec.beginSearch;
      if (bs.type === 'index') {
        first = bs.index;
      } else if (bs.type === 'keyword') {
        const kw = bs.keyword.toLowerCase();
        const start = bs.startFrom > 0 ? bs.startFrom : argc + bs.startFrom;
        const end = bs.startFrom > 0 ? argc - 1 : 1;
        for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
          if (i >= argc || i < 1) break;
          if (argv[i].toString('latin1').toLowerCase() === kw) {
            first = i + 1;
            break;
          }
        }
        if (first === 0) continue;
      } else {
        // an unknown spec (SORT's BY/GET/STORE): invalid, the command's getKeys decides (as Redis)
        return null;
      }
      let last: number;
      let step: number;
      const fk = spec.findKeys;
      if (fk.type === 'range') {
        step = fk.keyStep;
        if (fk.lastKey >= 0) last = first + fk.lastKey;
        else if (!fk.limit) last = argc + fk.lastKey;
        else last = first + (Math.trunc((argc - first) / fk.limit) + fk.lastKey);
      } else if (fk.type === 'keynum') {
        step = fk.keyStep;
        const idx = first + fk.keyNumIdx;
        if (idx >= argc) return null;
        const s = argv[idx].toString('latin1');
        if (!/^(0|-?[1-9][0-9]*)$/.test(s)) return null;
        const numkeys = Number(s);
        if (numkeys < 0 || !Number.isSafeInteger(numkeys)) return null;
        first += fk.firstKey;
        last = first + numkeys - 1;
      } else {
        return null;
      }
      if (last >= argc || last < first || first >= argc) return null;
      for (let i = first; i <= last; i += step) {
        out.push({ pos: i, flags: spec.flags });
        if (step <= 0) break;
      }
      // a spec that matched but cannot find every key (MIGRATE's KEYS): the command's getKeys decides (Redis's invalid_spec)
      if (spec.flags.includes('incomplete')) return null;
    }
    return out;
  }

  // ---------------------------------------------------------------- replies

  replyInfo(w: ReplySink, cmd: Command | null): void {
    if (cmd === null) {
      w.nullBulk();
      return;
    }
    const d = cmd.def;
    w.array(10);
    w.bulk(cmd.fullName);
    w.integer(cmd.arity);
    w.set(cmd.flagList.length);
    for (const f of cmd.flagList) w.simple(f);
    w.integer(d.firstKey);
    w.integer(d.lastKey);
    w.integer(d.keyStep);
    w.set(cmd.aclCategories.length);
    for (const c of cmd.aclCategories) w.simple('@' + c);
    const tips = d.tips ?? [];
    w.set(tips.length);
    for (const t of tips) w.bulk(t);
    w.set(cmd.keySpecs.length);
    for (const ks of cmd.keySpecs) replyKeySpec(w, ks);
    if (cmd.subcommands.length === 0) w.set(0);
    else {
      w.array(cmd.subcommands.length);
      for (const s of cmd.subcommands) this.replyInfo(w, s);
    }
  }

  replyDocs(w: ReplySink, cmd: Command): void {
    const d = cmd.def;
    let n = 3;
    if (d.complexity) n++;
    if (d.docFlags?.length) n++;
    if (d.deprecatedSince) n++;
    if (d.replacedBy) n++;
    if (d.history?.length) n++;
    if (d.args?.length) n++;
    if (cmd.subcommands.length) n++;
    w.map(n);
    w.bulk('summary');
    w.bulk(d.summary);
    w.bulk('since');
    w.bulk(d.since);
    w.bulk('group');
    w.bulk(d.group);
    if (d.complexity) {
      w.bulk('complexity');
      w.bulk(d.complexity);
    }
    if (d.docFlags?.length) {
      w.bulk('doc_flags');
      w.set(d.docFlags.length);
      for (const f of d.docFlags) w.simple(f);
    }
    if (d.deprecatedSince) {
      w.bulk('deprecated_since');
      w.bulk(d.deprecatedSince);
    }
    if (d.replacedBy) {
      w.bulk('replaced_by');
      w.bulk(d.replacedBy);
    }
    if (d.history?.length) {
      w.bulk('history');
      w.set(d.history.length);
      for (const [since, change] of d.history) {
        w.array(2);
        w.bulk(since);
        w.bulk(change);
      }
    }
    if (d.args?.length) {
      w.bulk('arguments');
      replyArgs(w, d.args);
    }
    if (cmd.subcommands.length) {
      w.bulk('subcommands');
      w.map(cmd.subcommands.length);
      for (const s of cmd.subcommands) {
        w.bulk(s.fullName);
        this.replyDocs(w, s);
      }
    }
  }
}

function replyKeySpec(w: ReplySink, ks: KeySpec): void {
  w.map(ks.notes ? 4 : 3);
  if (ks.notes) {
    w.bulk('notes');
    w.bulk(ks.notes);
  }
  w.bulk('flags');
  const flags = orderBy(ks.flags, KEY_FLAG_ORDER);
  w.set(flags.length);
  for (const f of flags) w.simple(f);
  w.bulk('begin_search');
  w.map(2);
  w.bulk('type');
  const bs = ks.beginSearch;
  w.bulk(bs.type);
  w.bulk('spec');
  if (bs.type === 'index') {
    w.map(1);
    w.bulk('index');
    w.integer(bs.index);
  } else if (bs.type === 'keyword') {
    w.map(2);
    w.bulk('keyword');
    w.bulk(bs.keyword);
    w.bulk('startfrom');
    w.integer(bs.startFrom);
  } else {
    w.map(0);
  }
  w.bulk('find_keys');
  w.map(2);
  w.bulk('type');
  const fk = ks.findKeys;
  w.bulk(fk.type);
  w.bulk('spec');
  if (fk.type === 'range') {
    w.map(3);
    w.bulk('lastkey');
    w.integer(fk.lastKey);
    w.bulk('keystep');
    w.integer(fk.keyStep);
    w.bulk('limit');
    w.integer(fk.limit);
  } else if (fk.type === 'keynum') {
    w.map(3);
    w.bulk('keynumidx');
    w.integer(fk.keyNumIdx);
    w.bulk('firstkey');
    w.integer(fk.firstKey);
    w.bulk('keystep');
    w.integer(fk.keyStep);
  } else {
    w.map(0);
  }
}

function replyArgs(w: ReplySink, args: NonNullable<CommandDef['args']>): void {
  w.array(args.length);
  for (const a of args) {
    let n = 2;
    // Redis replies key_spec_index for every argument that has one (SORT's BY/GET patterns too)
    const ksi = a.type === 'key' || a.keySpecIndex !== undefined;
    if (ksi) n++;
    if (a.token !== undefined) n++;
    if (a.summary) n++;
    if (a.since) n++;
    if (a.deprecatedSince) n++;
    if (a.flags?.length) n++;
    if (a.type === 'oneof' || a.type === 'block') n++;
    w.map(n);
    w.bulk('name');
    w.bulk(a.name);
    w.bulk('type');
    w.bulk(a.type);
    if (ksi) {
      w.bulk('key_spec_index');
      w.integer(a.keySpecIndex ?? 0);
    }
    if (a.token !== undefined) {
      w.bulk('token');
      w.bulk(a.token);
    }
    if (a.summary) {
      w.bulk('summary');
      w.bulk(a.summary);
    }
    if (a.since) {
      w.bulk('since');
      w.bulk(a.since);
    }
    if (a.deprecatedSince) {
      w.bulk('deprecated_since');
      w.bulk(a.deprecatedSince);
    }
    if (a.flags?.length) {
      w.bulk('flags');
      const fl = orderBy(a.flags, ['optional', 'multiple', 'multiple_token']);
      w.set(fl.length);
      for (const f of fl) w.simple(f);
    }
    if (a.type === 'oneof' || a.type === 'block') {
      w.bulk('arguments');
      replyArgs(w, a.args ?? []);
    }
  }
}

