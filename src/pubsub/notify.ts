/**
 * Keyspace notifications (notify-keyspace-events), emitted from the keyspace's write seam:
 * every change of a key by any process passes there with its REASON (src/keyspace/
 * changes.ts), and the engine tells the keyspace which command is running
 * (ks.cmdName / ks.cmdArgv). From the two this module derives the events Redis's
 * notifyKeyspaceEvent calls would carry — `new` for a key added, the command's own event
 * (`set`, `lpush`, `hincrby`, `sinterstore`…), `del` for a key a command removed (after
 * the command's event when it emptied a collection: `lpop` then `del`), `expire`,
 * `persist`, `expired`, `evicted`, `rename_from`/`rename_to`, `move_from`/`move_to`,
 * `copy_to`, `keymiss` — and publishes them, inside the writing operation, to the shared
 * ring: a library process's write reaches a server subscriber, and an operation that
 * rolls back takes its events back with it.
 *
 * The classes enabled are the shared setting (src/keyspace/settings.ts), so CONFIG SET in
 * the server applies to library writers at their next change.
 */
import { NOTIFY } from '../config/config.js';
import { REASON, type Reason } from '../keyspace/changes.js';
import type { Keyspace } from '../keyspace/keyspace.js';
import { SETTING_SLOT } from '../keyspace/settings.js';
import { hubOf } from './hub.js';

type Ev = [cls: number, name: string];

const G = NOTIFY.generic;
const S$ = NOTIFY.string;
const L = NOTIFY.list;
const SS = NOTIFY.set;
const H = NOTIFY.hash;
const Z = NOTIFY.zset;

function lc(b: Buffer | undefined): string {
  return b === undefined ? '' : b.toString('latin1').toLowerCase();
}

function sameKey(a: Buffer | undefined, key: Buffer): boolean {
  return a !== undefined && a.equals(key);
}

function hasTtlOption(argv: Buffer[], from: number): boolean {
  for (let i = from; i < argv.length; i++) {
    const o = lc(argv[i]);
    if (o === 'ex' || o === 'px' || o === 'exat' || o === 'pxat') return true;
  }
  return false;
}

/** The end a LMPOP / BLMPOP pops from (after its keys). */
function mpopEnd(argv: Buffer[], numkeysAt: number): string {
  const n = Number(argv[numkeysAt]!.toString('latin1'));
  return lc(argv[numkeysAt + 1 + n]) === 'left' ? 'lpop' : 'rpop';
}

/** A move between two lists: the push on the destination, the pop on the source (same key: both). */
function moveEvents(argv: Buffer[], key: Buffer, pop: string, push: string): Ev[] {
  const out: Ev[] = [];
  if (sameKey(argv[2], key)) out.push([L, push]);
  if (sameKey(argv[1], key)) out.push([L, pop]);
  return out;
}

/**
 * A command's own event(s) for a change of `key`; `pops`: the command removes elements, so
 * a key it empties gets its event and then `del` (Redis: `lpop` … `del`).
 */
interface CmdEvents {
  events(argv: Buffer[], key: Buffer): Ev[];
  pops?: boolean;
  /** The command deletes the old value and adds the key anew (dbDelete + dbAdd): an overwrite is announced `new` too (RESTORE … REPLACE). */
  renews?: boolean;
}

function fixed(cls: number, name: string, pops = false): CmdEvents {
  const ev: Ev[] = [[cls, name]];
  return { events: () => ev, pops };
}

const COMMANDS: Record<string, CmdEvents> = {
  // strings
  set: { events: (argv) => (hasTtlOption(argv, 3) ? [[S$, 'set'], [G, 'expire']] : [[S$, 'set']]) },
  setnx: fixed(S$, 'set'),
  setex: { events: () => [[S$, 'set'], [G, 'expire']] },
  psetex: { events: () => [[S$, 'set'], [G, 'expire']] },
  getset: fixed(S$, 'set'),
  mset: fixed(S$, 'set'),
  msetnx: fixed(S$, 'set'),
  append: fixed(S$, 'append'),
  incr: fixed(S$, 'incrby'),
  incrby: fixed(S$, 'incrby'),
  decr: fixed(S$, 'incrby'),
  decrby: fixed(S$, 'incrby'),
  incrbyfloat: fixed(S$, 'incrbyfloat'),
  setrange: fixed(S$, 'setrange'),
  setbit: fixed(S$, 'setbit'),
  bitfield: fixed(S$, 'setbit'),
  bitop: fixed(S$, 'set'),
  pfadd: fixed(S$, 'pfadd'),
  pfmerge: fixed(S$, 'pfadd'),
  // lists
  lpush: fixed(L, 'lpush'),
  lpushx: fixed(L, 'lpush'),
  rpush: fixed(L, 'rpush'),
  rpushx: fixed(L, 'rpush'),
  linsert: fixed(L, 'linsert'),
  lset: fixed(L, 'lset'),
  lpop: fixed(L, 'lpop', true),
  rpop: fixed(L, 'rpop', true),
  blpop: fixed(L, 'lpop', true),
  brpop: fixed(L, 'rpop', true),
  lrem: fixed(L, 'lrem', true),
  ltrim: fixed(L, 'ltrim', true),
  lmpop: { events: (argv) => [[L, mpopEnd(argv, 1)]], pops: true },
  blmpop: { events: (argv) => [[L, mpopEnd(argv, 2)]], pops: true },
  rpoplpush: { events: (argv, key) => moveEvents(argv, key, 'rpop', 'lpush'), pops: true },
  brpoplpush: { events: (argv, key) => moveEvents(argv, key, 'rpop', 'lpush'), pops: true },
  lmove: { events: (argv, key) => moveEvents(argv, key, lc(argv[3]) === 'left' ? 'lpop' : 'rpop', lc(argv[4]) === 'left' ? 'lpush' : 'rpush'), pops: true },
  blmove: { events: (argv, key) => moveEvents(argv, key, lc(argv[3]) === 'left' ? 'lpop' : 'rpop', lc(argv[4]) === 'left' ? 'lpush' : 'rpush'), pops: true },
  sort: fixed(L, 'sortstore'),
  // sets
  sadd: fixed(SS, 'sadd'),
  srem: fixed(SS, 'srem', true),
  spop: fixed(SS, 'spop', true),
  smove: {
    events: (argv, key) => {
      const out: Ev[] = [];
      if (sameKey(argv[1], key)) out.push([SS, 'srem']);
      if (sameKey(argv[2], key)) out.push([SS, 'sadd']);
      return out;
    },
    pops: true,
  },
  sinterstore: fixed(SS, 'sinterstore'),
  sunionstore: fixed(SS, 'sunionstore'),
  sdiffstore: fixed(SS, 'sdiffstore'),
  // hashes
  hset: fixed(H, 'hset'),
  hsetnx: fixed(H, 'hset'),
  hmset: fixed(H, 'hset'),
  hdel: fixed(H, 'hdel', true),
  hincrby: fixed(H, 'hincrby'),
  hincrbyfloat: fixed(H, 'hincrbyfloat'),
  // sorted sets (their family adds the commands; the events are Redis's)
  zadd: { events: (argv) => (argv.some((a, i) => i > 1 && lc(a) === 'incr') ? [[Z, 'zincr']] : [[Z, 'zadd']]) },
  zincrby: fixed(Z, 'zincr'),
  zrem: fixed(Z, 'zrem', true),
  zremrangebyscore: fixed(Z, 'zremrangebyscore', true),
  zremrangebyrank: fixed(Z, 'zremrangebyrank', true),
  zremrangebylex: fixed(Z, 'zremrangebylex', true),
  zpopmin: fixed(Z, 'zpopmin', true),
  zpopmax: fixed(Z, 'zpopmax', true),
  bzpopmin: fixed(Z, 'zpopmin', true),
  bzpopmax: fixed(Z, 'zpopmax', true),
  zunionstore: fixed(Z, 'zunionstore'),
  zinterstore: fixed(Z, 'zinterstore'),
  zdiffstore: fixed(Z, 'zdiffstore'),
  zrangestore: fixed(Z, 'zrangestore'),
  geoadd: fixed(Z, 'zadd'),
  // generic
  restore: { ...fixed(G, 'restore'), renews: true },
  'restore-asking': { ...fixed(G, 'restore'), renews: true },
  expire: fixed(G, 'expire'),
  pexpire: fixed(G, 'expire'),
  expireat: fixed(G, 'expire'),
  pexpireat: fixed(G, 'expire'),
};

const installed = new WeakSet<Keyspace>();

/** Emit keyspace events for the changes this process makes to `ks` (once per keyspace). */
export function installKeyspaceEvents(ks: Keyspace): void {
  if (installed.has(ks)) return;
  installed.add(ks);
  const slot = SETTING_SLOT['notify-keyspace-events']!;
  const emitter = new Emitter(ks);
  ks.addChangeHook((db, _hash, reason, e) => {
    const flags = ks.settings.slot(slot);
    if (flags === 0) return;
    emitter.change(flags, db, reason, e);
  });
  ks.keyMissWanted = () => (ks.settings.slot(slot) & NOTIFY.keyMiss) !== 0;
  ks.missHook = (db, key) => {
    const flags = ks.settings.slot(slot);
    if ((flags & NOTIFY.keyMiss) === 0) return;
    const k = Buffer.from(key);
    // sent even when the command then fails (its other events are rolled back with it)
    ks.stickyEmit(() => emitter.emit(flags, NOTIFY.keyMiss, 'keymiss', db, k));
  };
}

class Emitter {
  /** The command run (ks.cmdSerial) whose in-place changes were already announced, and of which keys. */
  private serial = -1;
  private announced = new Set<string>();
  /** Keys of this command removed as a destination before their new value (SORT STORE…): no `new` for them. */
  private replaced = new Set<string>();

  constructor(private readonly ks: Keyspace) {}

  /**
   * A value changed in place may pass the seam more than once in one command (a string
   * that grows, then is written): Redis announces the command once per key.
   */
  private sync(): void {
    const ks = this.ks;
    if (ks.cmdSerial !== this.serial) {
      this.serial = ks.cmdSerial;
      this.announced = new Set();
      this.replaced = new Set();
    }
  }

  private firstInPlace(db: number, key: Buffer): boolean {
    this.sync();
    const id = `${db}:${key.toString('latin1')}`;
    if (this.announced.has(id)) return false;
    this.announced.add(id);
    return true;
  }

  change(flags: number, db: number, reason: Reason, e: number): void {
    const ks = this.ks;
    const key = ks.keyOf(e);
    const cmd = ks.cmdName;
    const argv = ks.cmdArgv;
    const spec = cmd === null ? undefined : COMMANDS[cmd];
    const own = (): Ev[] => (spec === undefined || argv === null ? [] : spec.events(argv, key));
    let evs: Ev[];
    switch (reason) {
      case REASON.added:
        if (cmd !== null) this.firstInPlace(db, key);
        evs = cmd !== null && this.replaced.has(`${db}:${key.toString('latin1')}`) ? own() : [[NOTIFY.new, 'new'], ...own()];
        break;
      case REASON.overwritten:
        // a destination removed before its new value is added (RENAME, SORT STORE…): no event of its own
        if (ks.signalRemoves) {
          this.sync();
          this.replaced.add(`${db}:${key.toString('latin1')}`);
          evs = [];
        } else {
          if (cmd !== null) this.firstInPlace(db, key);
          evs = spec?.renews === true ? [[NOTIFY.new, 'new'], ...own()] : own();
        }
        break;
      case REASON.modified:
        evs = ks.cmdName !== null && !this.firstInPlace(db, key) ? [] : own();
        break;
      case REASON.touched:
        evs = own();
        break;
      case REASON.expire:
        evs = [[G, 'expire']];
        if (cmd === 'set' || cmd === 'setex' || cmd === 'psetex') evs = [];
        break;
      case REASON.persist:
        evs = [[G, 'persist']];
        break;
      case REASON.deleted:
        evs = spec !== undefined && spec.pops ? [...own(), [G, 'del']] : [[G, 'del']];
        break;
      case REASON.expired:
        evs = [[NOTIFY.expired, 'expired']];
        break;
      case REASON.evicted:
        evs = [[NOTIFY.evicted, 'evicted']];
        break;
      // Redis adds the destination (its `new`) before it deletes the source: new, *_from, *_to
      case REASON.renamedFrom:
        if (argv !== null && argv.length > 2) this.emit(flags, NOTIFY.new, 'new', db, argv[2]!);
        evs = [[G, 'rename_from']];
        break;
      case REASON.renamedTo:
        evs = argv !== null && argv.length > 2 ? [[G, 'rename_to']] : [[NOTIFY.new, 'new'], [G, 'rename_to']];
        break;
      case REASON.movedFrom: {
        const to = argv !== null && argv.length > 2 ? Number(argv[2]!.toString('latin1')) : NaN;
        if (Number.isInteger(to)) this.emit(flags, NOTIFY.new, 'new', to, key);
        evs = [[G, 'move_from']];
        break;
      }
      case REASON.movedTo:
        evs = argv !== null && argv.length > 2 ? [[G, 'move_to']] : [[NOTIFY.new, 'new'], [G, 'move_to']];
        break;
      case REASON.copiedTo:
        evs = [[NOTIFY.new, 'new'], [G, 'copy_to']];
        break;
      default:
        evs = [];
    }
    for (const [cls, name] of evs) this.emit(flags, cls, name, db, key);
  }

  emit(flags: number, cls: number, event: string, db: number, key: Buffer): void {
    if ((flags & cls) === 0) return;
    const hub = hubOf(this.ks);
    if (flags & NOTIFY.keyspace) hub.emitInOperation(Buffer.concat([Buffer.from(`__keyspace@${db}__:`), key]), Buffer.from(event));
    if (flags & NOTIFY.keyevent) hub.emitInOperation(Buffer.from(`__keyevent@${db}__:${event}`), key);
  }
}
