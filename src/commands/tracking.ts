/**
 * Client-side caching, as Redis 7.0's tracking.c: CLIENT TRACKING (default mode, BCAST with
 * prefixes, OPTIN / OPTOUT with CLIENT CACHING, NOLOOP, REDIRECT), CLIENT CACHING, GETREDIR,
 * TRACKINGINFO, tracking-table-max-keys, and the invalidation messages: a RESP3 push
 * `>2 invalidate [keys]` (null after a flush), or, through REDIRECT, a message of the
 * `__redis__:invalidate` channel to a RESP2 subscriber; `tracking-redir-broken` when the
 * redirect target is gone.
 *
 * Per process (per open Keyspace object), a Tracker holds what Redis's server holds: the
 * tracking table (key → ids of the sessions that read it), the BCAST prefix table, the
 * sessions with tracking on. It lives in process memory: only this process's sessions (the
 * server's connections, or a library handle's session) are in it.
 *
 * ACROSS PROCESSES. A key changed by any process must invalidate it for every process's
 * tracking sessions. The segment's change ring (src/keyspace/changes.ts) holds only key
 * hashes, so the key NAMES travel through the pub/sub message ring (src/pubsub/area.ts):
 * - a process that has a session with tracking on registers itself in the shared pub/sub
 *   area as a K_TRACK entry; the area keeps the sum of those registrations in its header
 *   (offset 28), which the registrations' liveness clean-up keeps right after a crash;
 * - every process installs a change hook at the write seam (installed with the engine):
 *   for each changed key it invalidates its own sessions directly (as Redis does inside
 *   the command: NOLOOP and "after the reply" work as there), and, only when the area's
 *   tracker count says some OTHER process tracks, appends an R_INVALIDATE record — the
 *   key's name, and 8 bytes: u32 origin (this Tracker's random id, so it skips its own
 *   records), u8 flags (1 = a flush: every key), 3 zero bytes — inside the writing
 *   operation (a rolled-back write takes its record back). Writers pay one u32 read per
 *   change when nobody tracks elsewhere;
 * - a tracking process reads the ring like a subscriber (the hub's futex-woken reader,
 *   src/pubsub/hub.ts) and treats each foreign record as a change made outside any
 *   command (Redis's trackingInvalidateKey with no client); a reader that fell behind the
 *   ring treats it as a flush (everything may have changed).
 *
 * Sessions: a library handle (kv.track) is a session with tracking on whose messages go to
 * a callback (`deliver`) instead of RESP.
 */
import type { Keyspace } from '../keyspace/keyspace.js';
import { REASON } from '../keyspace/changes.js';
import { hubOf } from '../pubsub/hub.js';
import type { RingRecord } from '../pubsub/area.js';
import { randomBytes } from 'node:crypto';
import type { Session } from './session.js';
import type { CommandContext } from './types.js';

export interface TrackingState {
  on: boolean;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  /** CLIENT CACHING YES (OPTIN) / NO (OPTOUT) given for the next command */
  caching: boolean;
  brokenRedir: boolean;
  /** client id the messages go to, 0 = this session */
  redirect: number;
  /** BCAST prefixes (latin1) */
  readonly prefixes: Set<string>;
  /** invalidations found while this session's own command ran: sent after its reply (null = all keys) */
  pending: (Buffer | null)[];
  /** a library handle: the keys go here instead of a RESP message */
  deliver: ((keys: Buffer[] | null) => void) | null;
}

export function trackingOf(s: Session): TrackingState | null {
  return s.tracking as TrackingState | null;
}

interface BcastState {
  /** keys changed since the last broadcast → the session that changed it last (NOLOOP) */
  keys: Map<string, Session | null>;
  clients: Set<Session>;
}

/** The flags byte of an invalidation record: a flush (every key). */
const MSG_FLUSH = 1;
const INVALIDATE_CHANNEL = Buffer.from('__redis__:invalidate');

const trackers = new WeakMap<Keyspace, Tracker>();

/** The tracker of a keyspace in this process (made, with its write-seam hooks, at first use). */
export function trackerOf(ks: Keyspace): Tracker {
  let t = trackers.get(ks);
  if (t === undefined) trackers.set(ks, (t = new Tracker(ks)));
  return t;
}

export function existingTracker(ks: Keyspace): Tracker | undefined {
  return trackers.get(ks);
}

export class Tracker {
  /** key (latin1) → ids of the sessions that may cache it (ids: a session gone is skipped lazily, as in Redis) */
  readonly table = new Map<string, Set<number>>();
  totalItems = 0;
  /** BCAST prefix (latin1) → its state */
  readonly prefixes = new Map<string, BcastState>();
  /** sessions with tracking on (tracking_clients) */
  readonly sessions = new Set<Session>();
  private readonly byId = new Map<number, Session>();
  /** The server's client lookup (CLIENT TRACKING REDIRECT targets); null in a library process. */
  lookup: ((id: number) => Session | undefined) | null = null;
  /** The session whose command is being processed (Redis's current_client), set by the engine. */
  current: Session | null = null;
  /** Its command is running (Redis's CLIENT_EXECUTING_COMMAND): its own invalidations wait for the reply. */
  executing = false;
  /** tracking-table-max-keys (0: no limit) */
  maxKeys = 1000000;
  private limitRuns = 0;
  private bcastQueued = false;
  private flushSerial = -1;
  private readerOn = false;
  /** This tracker's id in invalidation records (its own are skipped when read back). */
  readonly origin: number;
  private readonly selfMsg: Buffer;
  private readonly flushMsg: Buffer;

  constructor(readonly ks: Keyspace) {
    let o = 0;
    while (o === 0) o = randomBytes(4).readUInt32LE(0);
    this.origin = o;
    this.selfMsg = Buffer.alloc(8);
    this.selfMsg.writeUInt32LE(o, 0);
    this.flushMsg = Buffer.from(this.selfMsg);
    this.flushMsg[4] = MSG_FLUSH;
    ks.addChangeHook((_db, _hash, reason, e) => {
      const local = this.table.size > 0 || this.prefixes.size > 0;
      const a = ks.pubsubArea(false);
      const remote = a !== null && a.trackers > (this.readerOn ? 1 : 0);
      if (!local && !remote) return;
      const key = ks.keyOf(e);
      // (expiry and eviction are nobody's change: Redis signals them with no client)
      if (local) this.invalidateKey(reason === REASON.expired || reason === REASON.evicted ? null : this.current, key, true);
      if (remote) hubOf(ks).emitInvalidation(key, this.selfMsg);
    });
    ks.flushHook = () => {
      // FLUSHALL flushes every database: one null per command, as Redis sends
      if (ks.cmdName !== null) {
        if (ks.cmdSerial === this.flushSerial) return;
        this.flushSerial = ks.cmdSerial;
      }
      this.invalidateOnFlush();
      const a = ks.pubsubArea(false);
      if (a !== null && a.trackers > (this.readerOn ? 1 : 0)) hubOf(ks).emitInvalidation(null, this.flushMsg);
    };
  }

  /** INFO */
  get totalKeys(): number {
    return this.table.size;
  }
  get totalPrefixes(): number {
    return this.prefixes.size;
  }

  private find(id: number): Session | undefined {
    return this.lookup !== null ? this.lookup(id) : this.byId.get(id);
  }

  /** Whether a client id is known (CLIENT TRACKING REDIRECT checks it). */
  exists(id: number): boolean {
    return this.find(id) !== undefined;
  }

  // ---------------------------------------------------------------- enabling

  enable(s: Session, redirect: number, opts: { bcast: boolean; optin: boolean; optout: boolean; noloop: boolean }, prefixes: Buffer[]): void {
    let st = trackingOf(s);
    if (st === null) {
      st = { on: false, bcast: false, optin: false, optout: false, noloop: false, caching: false, brokenRedir: false, redirect: 0, prefixes: new Set(), pending: [], deliver: null };
      s.tracking = st;
    }
    if (!st.on) {
      this.sessions.add(s);
      this.byId.set(s.id, s);
      this.updateReader();
    }
    st.on = true;
    st.brokenRedir = st.bcast = st.optin = st.optout = st.noloop = false;
    st.redirect = redirect;
    if (opts.bcast) {
      st.bcast = true;
      if (prefixes.length === 0) this.addPrefix(s, st, '');
      for (const p of prefixes) this.addPrefix(s, st, p.toString('latin1'));
    }
    st.optin = opts.optin;
    st.optout = opts.optout;
    st.noloop = opts.noloop;
  }

  private addPrefix(s: Session, st: TrackingState, p: string): void {
    let bs = this.prefixes.get(p);
    if (bs === undefined) this.prefixes.set(p, (bs = { keys: new Map(), clients: new Set() }));
    bs.clients.add(s);
    st.prefixes.add(p);
  }

  /** CLIENT TRACKING OFF, RESET, a closed connection. */
  disable(s: Session): void {
    const st = trackingOf(s);
    if (st === null) return;
    if (st.bcast) {
      for (const p of st.prefixes) {
        const bs = this.prefixes.get(p);
        if (bs === undefined) continue;
        bs.clients.delete(s);
        if (bs.clients.size === 0) this.prefixes.delete(p);
      }
      st.prefixes.clear();
    }
    if (st.on) {
      this.sessions.delete(s);
      this.byId.delete(s.id);
      st.on = st.brokenRedir = st.bcast = st.optin = st.optout = st.caching = st.noloop = false;
      this.updateReader();
    }
  }

  /** Read other processes' invalidations while some session here tracks. */
  private updateReader(): void {
    const want = this.sessions.size > 0;
    if (want === this.readerOn) return;
    this.readerOn = want;
    hubOf(this.ks).setInvalidationReader(want ? this.onRecord : null);
  }

  private readonly onRecord = (rec: RingRecord | null): void => {
    if (rec === null) {
      // fell behind the ring: what changed meanwhile is unknown
      this.invalidateOnFlush();
      return;
    }
    const m = rec.message;
    if (m.length >= 5 && m.readUInt32LE(0) === this.origin) return;
    // another process's change is nobody's here, even when read during a command (a PUBLISH
    // drains the ring at once): not NOLOOP's, not held for after that command's reply
    const cur = this.current;
    const ex = this.executing;
    this.current = null;
    this.executing = false;
    try {
      if (m.length >= 5 && (m[4]! & MSG_FLUSH) !== 0) this.invalidateOnFlush();
      else this.invalidateKey(null, rec.channel, true);
    } finally {
      this.current = cur;
      this.executing = ex;
    }
  };

  /**
   * Prefix collisions (Redis's checkPrefixCollisionsOrReply): the error text, or null.
   */
  prefixError(st: TrackingState | null, prefixes: Buffer[]): string | null {
    const overlap = (a: string, b: string): boolean => {
      const n = Math.min(a.length, b.length);
      return a.slice(0, n) === b.slice(0, n);
    };
    for (let i = 0; i < prefixes.length; i++) {
      const p = prefixes[i]!.toString('latin1');
      if (st !== null) {
        for (const q of [...st.prefixes].sort()) {
          if (overlap(q, p)) return `ERR Prefix '${cstr(p)}' overlaps with an existing prefix '${cstr(q)}'. Prefixes for a single client must not overlap.`;
        }
      }
      for (let j = i + 1; j < prefixes.length; j++) {
        const q = prefixes[j]!.toString('latin1');
        if (overlap(p, q)) return `ERR Prefix '${cstr(p)}' overlaps with another provided prefix '${cstr(q)}'. Prefixes for a single client must not overlap.`;
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- reads

  /** After a read-only command of a tracking session (not BCAST): remember the keys it read. */
  rememberKeys(s: Session, st: TrackingState, positions: { pos: number }[] | null, argv: Buffer[]): void {
    if ((st.optin && !st.caching) || (st.optout && st.caching)) return;
    if (positions === null) return;
    for (const { pos } of positions) {
      const a = argv[pos];
      if (a === undefined) continue;
      const k = a.toString('latin1');
      let ids = this.table.get(k);
      if (ids === undefined) this.table.set(k, (ids = new Set()));
      if (!ids.has(s.id)) {
        ids.add(s.id);
        this.totalItems++;
      }
    }
  }

  // ---------------------------------------------------------------- invalidation

  /** A key changed (`by`: the session whose command changed it, null for expiry, eviction, other processes). */
  invalidateKey(by: Session | null, key: Uint8Array, bcast: boolean): void {
    const k = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
    if (bcast && this.prefixes.size > 0) this.rememberToBroadcast(by, k);
    const ids = this.table.get(k);
    if (ids === undefined) return;
    this.table.delete(k);
    this.totalItems -= ids.size;
    let keyBuf: Buffer | null = null;
    for (const id of ids) {
      const target = this.find(id);
      if (target === undefined) continue;
      const st = trackingOf(target);
      if (st === null || !st.on || st.bcast) continue;
      // NOLOOP: not about what the client's own command did (Redis compares with current_client)
      if (st.noloop && target === this.current) continue;
      keyBuf ??= Buffer.from(k, 'latin1');
      if (target === this.current && this.executing) st.pending.push(keyBuf);
      else this.send(target, st, [keyBuf]);
    }
  }

  private rememberToBroadcast(by: Session | null, k: string): void {
    let any = false;
    for (const [p, bs] of this.prefixes) {
      if (p.length > k.length || (p.length !== 0 && !k.startsWith(p))) continue;
      bs.keys.set(k, by);
      any = true;
    }
    if (any && !this.bcastQueued) {
      this.bcastQueued = true;
      // Redis broadcasts in beforeSleep: once the events of this turn are handled
      setImmediate(this.broadcast);
    }
  }

  /** Send every prefix's changed keys to its clients (Redis's trackingBroadcastInvalidationMessages). */
  readonly broadcast = (): void => {
    this.bcastQueued = false;
    const order = [...this.prefixes.keys()].sort();
    for (const p of order) {
      const bs = this.prefixes.get(p)!;
      if (bs.keys.size === 0) continue;
      const keys = [...bs.keys.keys()].sort();
      const all = keys.map((k) => Buffer.from(k, 'latin1'));
      for (const c of [...bs.clients]) {
        const st = trackingOf(c);
        if (st === null) continue;
        if (st.noloop) {
          const some: Buffer[] = [];
          for (let i = 0; i < keys.length; i++) if (bs.keys.get(keys[i]!) !== c) some.push(all[i]!);
          if (some.length > 0) this.send(c, st, some);
        } else this.send(c, st, all);
      }
      bs.keys = new Map();
    }
  };

  /** FLUSHDB / FLUSHALL (any process): every tracking session gets a null; the table is emptied. */
  invalidateOnFlush(): void {
    for (const s of [...this.sessions]) {
      const st = trackingOf(s);
      if (st === null || !st.on) continue;
      if (s === this.current) st.pending.push(null);
      else this.send(s, st, null);
    }
    this.table.clear();
    this.totalItems = 0;
  }

  /**
   * tracking-table-max-keys (Redis's trackingLimitUsedSlots): over the limit, invalidate keys
   * as if they changed — the oldest first — with an effort that grows while it stays over.
   */
  limitUsedSlots(): void {
    if (this.maxKeys <= 0 || this.table.size <= this.maxKeys) {
      this.limitRuns = 0;
      return;
    }
    let effort = 100 * (this.limitRuns + 1);
    for (const k of this.table.keys()) {
      if (effort-- <= 0) break;
      this.invalidateKey(null, Buffer.from(k, 'latin1'), false);
      if (this.table.size <= this.maxKeys) {
        this.limitRuns = 0;
        return;
      }
    }
    this.limitRuns++;
  }

  /** After a session's command (and its reply): the invalidations it caused for itself, and CLIENT CACHING's end. */
  afterCommand(s: Session, st: TrackingState): void {
    // CLIENT CACHING applies to the next command only (a CLIENT command or MULTI keeps it)
    if (s.multi === null && !s.lastCmdName.startsWith('client')) st.caching = false;
    if (st.pending.length === 0) return;
    const p = st.pending;
    st.pending = [];
    for (const k of p) this.send(s, st, k === null ? null : [k]);
  }

  /**
   * One message (Redis's sendTrackingMessage): to the session, or to its redirect target;
   * keys null: the null of a flush.
   */
  send(c: Session, st: TrackingState, keys: Buffer[] | null): void {
    let target = c;
    let redirecting = false;
    if (st.redirect !== 0) {
      const r = this.find(st.redirect);
      if (r === undefined) {
        st.brokenRedir = true;
        if (c.resp === 3 && st.deliver === null) {
          const w = c.reply;
          w.push(2);
          w.bulk('tracking-redir-broken');
          w.integer(st.redirect);
          c.onPush?.();
        }
        return;
      }
      target = r;
      redirecting = true;
    }
    if (target === c && st.deliver !== null) {
      st.deliver(keys);
      return;
    }
    const w = target.reply;
    if (w.resp === 3) {
      w.push(2);
      w.bulk('invalidate');
    } else if (redirecting && target.subscribed) {
      w.array(3);
      w.bulk('message');
      w.bulk(INVALIDATE_CHANNEL);
    } else return;
    if (keys === null) {
      // Redis writes the null of the TRACKING client's protocol, whoever receives it
      const raw = (w as unknown as { raw?: (b: Uint8Array) => void }).raw;
      if (c.resp !== w.resp && typeof raw === 'function') raw.call(w, Buffer.from(c.resp === 3 ? '_\r\n' : '$-1\r\n'));
      else w.nullBulk();
    } else {
      w.array(keys.length);
      for (const k of keys) w.bulk(k);
    }
    target.onPush?.();
  }
}

function cstr(s: string): string {
  const z = s.indexOf('\0');
  return z < 0 ? s : s.slice(0, z);
}

// ------------------------------------------------------------------------------ commands

function lc(b: Buffer): string {
  return b.toString('latin1').toLowerCase();
}

/** CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p]… [BCAST] [OPTIN] [OPTOUT] [NOLOOP] (networking.c) */
export function clientTracking(ctx: CommandContext, argv: Buffer[]): void {
  const w = ctx.reply;
  const s = ctx.session;
  const tr = trackerOf(ctx.ks);
  let redir = 0;
  const opts = { bcast: false, optin: false, optout: false, noloop: false };
  const prefixes: Buffer[] = [];
  for (let j = 3; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const o = lc(argv[j]!);
    if (o === 'redirect' && more > 0) {
      j++;
      if (redir !== 0) {
        w.error('ERR A client can only redirect to a single other client');
        return;
      }
      const t = argv[j]!.toString('latin1');
      if (!/^-?\d+$/.test(t) || !Number.isSafeInteger(Number(t))) {
        w.error('ERR value is not an integer or out of range');
        return;
      }
      redir = Number(t);
      if (!tr.exists(redir) && !(ctx.server !== null && ctx.server.clients.has(redir))) {
        w.error('ERR The client ID you want redirect to does not exist');
        return;
      }
    } else if (o === 'bcast') opts.bcast = true;
    else if (o === 'optin') opts.optin = true;
    else if (o === 'optout') opts.optout = true;
    else if (o === 'noloop') opts.noloop = true;
    else if (o === 'prefix' && more > 0) {
      j++;
      prefixes.push(Buffer.from(argv[j]!));
    } else {
      w.error('ERR syntax error');
      return;
    }
  }
  const mode = lc(argv[2]!);
  const st = trackingOf(s);
  if (mode === 'on') {
    if (!opts.bcast && prefixes.length > 0) {
      w.error('ERR PREFIX option requires BCAST mode to be enabled');
      return;
    }
    if (st !== null && st.on && st.bcast !== opts.bcast) {
      w.error('ERR You can\'t switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.');
      return;
    }
    if (opts.bcast && (opts.optin || opts.optout)) {
      w.error('ERR OPTIN and OPTOUT are not compatible with BCAST');
      return;
    }
    if (opts.optin && opts.optout) {
      w.error("ERR You can't specify both OPTIN mode and OPTOUT mode");
      return;
    }
    if (st !== null && st.on && ((opts.optin && st.optout) || (opts.optout && st.optin))) {
      w.error("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.");
      return;
    }
    if (opts.bcast) {
      const err = tr.prefixError(st, prefixes);
      if (err !== null) {
        w.error(err);
        return;
      }
    }
    tr.enable(s, redir, opts, prefixes);
  } else if (mode === 'off') {
    tr.disable(s);
  } else {
    w.error('ERR syntax error');
    return;
  }
  w.ok();
}

/** CLIENT CACHING YES|NO */
export function clientCaching(ctx: CommandContext, argv: Buffer[]): void {
  const w = ctx.reply;
  const st = trackingOf(ctx.session);
  if (st === null || !st.on) {
    w.error('ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled');
    return;
  }
  const o = lc(argv[2]!);
  if (o === 'yes') {
    if (!st.optin) {
      w.error('ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.');
      return;
    }
  } else if (o === 'no') {
    if (!st.optout) {
      w.error('ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.');
      return;
    }
  } else {
    w.error('ERR syntax error');
    return;
  }
  st.caching = true;
  w.ok();
}

/** CLIENT GETREDIR */
export function clientGetredir(ctx: CommandContext): void {
  const st = trackingOf(ctx.session);
  ctx.reply.integer(st !== null && st.on ? st.redirect : -1);
}

/** CLIENT TRACKINGINFO */
export function clientTrackinginfo(ctx: CommandContext): void {
  const w = ctx.reply;
  const st = trackingOf(ctx.session);
  const on = st !== null && st.on;
  const flags: string[] = [on ? 'on' : 'off'];
  if (st !== null) {
    if (st.bcast) flags.push('bcast');
    if (st.optin) {
      flags.push('optin');
      if (st.caching) flags.push('caching-yes');
    }
    if (st.optout) {
      flags.push('optout');
      if (st.caching) flags.push('caching-no');
    }
    if (st.noloop) flags.push('noloop');
    if (st.brokenRedir) flags.push('broken_redirect');
  }
  w.map(3);
  w.bulk('flags');
  w.set(flags.length);
  for (const f of flags) w.bulk(f);
  w.bulk('redirect');
  w.integer(on ? st.redirect : -1);
  w.bulk('prefixes');
  const ps = st === null ? [] : [...st.prefixes].sort();
  w.array(ps.length);
  for (const p of ps) w.bulk(Buffer.from(p, 'latin1'));
}

/** RESET / a closed connection: tracking off. */
export function trackingSessionGone(ks: Keyspace, s: Session): void {
  if (s.tracking === null) return;
  existingTracker(ks)?.disable(s);
}

/** A library handle's invalidations go to `fn` instead of a RESP message. */
export function setTrackingDeliver(s: Session, fn: ((keys: Buffer[] | null) => void) | null): void {
  const st = trackingOf(s);
  if (st !== null) st.deliver = fn;
}

/** CLIENT LIST's flags letters of tracking (t R B) and its redir= value. */
export function trackingFlags(s: Session): string {
  const st = trackingOf(s);
  if (st === null || !st.on) return '';
  return 't' + (st.brokenRedir ? 'R' : '') + (st.bcast ? 'B' : '');
}

export function trackingRedir(s: Session): number {
  const st = trackingOf(s);
  return st !== null && st.on ? st.redirect : -1;
}
