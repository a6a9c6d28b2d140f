/**
 * Clients waiting for keys (Redis's blocked.c, the server's side): BLPOP, BLMOVE, BZPOPMIN…
 * that found nothing (src/commands/blocking.ts) wait here until one of their keys is added
 * or changed, by this server or by any library process, or until their timeout.
 *
 * How a change reaches a waiter: every change of a key is in the segment's change ring
 * (src/keyspace/changes.ts). After each command this server runs, and whenever another
 * process bumps the segment's key-ready futex word (it does so after an operation that
 * added or changed keys, while some process waits), the ring is read from where it was
 * last read; for each key that changed, in the order of the changes, the clients waiting
 * for it are given their command again, in the order they blocked (Redis's
 * handleClientsBlockedOnKeys). A command that finds its keys still empty waits on, keeping
 * its place and its timeout; one push of one element serves one client. If the ring went
 * round past what was read (more than its capacity of changes in between), every waiting
 * client is tried. The futex wait runs on a worker thread (futexWaitAsync): no polling.
 */
import { futexWake, futexWaitAsync } from '../shm/futex.js';
import { CH_KEY, CH_SWAPDB } from '../keyspace/changes.js';
import { hashBytes } from '../structs/hash.js';
import type { Keyspace } from '../keyspace/keyspace.js';
import type { BlockRequest } from '../commands/blocking.js';
import type { Engine } from '../engine/engine.js';
import type { Client } from './client.js';

interface Waiter {
  req: BlockRequest;
  /** db:hash of each key (the ring names keys by hash) */
  slots: string[];
  timer: NodeJS.Timeout | null;
}

export interface BlockingHost {
  readonly engine: Engine;
  readonly ks: Keyspace;
  /** The command a blocked client waits with (held with its later input). */
  heldArgv(c: Client): Buffer[] | undefined;
  /** The client waits no more: send its reply and go on with its held input. */
  resume(c: Client): void;
}

function slot(db: number, hash: number): string {
  return `${db}:${hash}`;
}

export class BlockedClients {
  /** Waiting clients, in the order they blocked. */
  private readonly waiters = new Map<Client, Waiter>();
  /** Per key (db:hash), its waiting clients in the order they blocked. */
  private readonly byKey = new Map<string, Set<Client>>();
  /** The change ring's sequence read up to. */
  private seq = 0;
  private watching = false;
  private serving = false;

  constructor(private readonly host: BlockingHost) {}

  get size(): number {
    return this.waiters.size;
  }

  isBlocked(c: Client): boolean {
    return this.waiters.has(c);
  }

  /** Clients that wait with a timeout (INFO's clients_in_timeout_table). */
  withTimeout(): number {
    let n = 0;
    for (const w of this.waiters.values()) if (w.req.timeoutAt !== 0) n++;
    return n;
  }

  /** Keys waited for (INFO's total_blocking_keys). */
  keys(): number {
    return this.byKey.size;
  }

  /** c's command asked to wait (c.blockRequest); a client already waiting keeps its place. */
  block(c: Client): void {
    const req = c.blockRequest!;
    c.blockRequest = null;
    if (this.waiters.has(c)) return;
    if (this.waiters.size === 0) this.seq = this.host.ks.changes.seq();
    const slots = req.keys.map((k) => slot(req.db, hashBytes(k, 0, k.length)));
    const w: Waiter = { req, slots, timer: null };
    for (const s of slots) {
      let set = this.byKey.get(s);
      if (set === undefined) this.byKey.set(s, (set = new Set()));
      set.add(c);
    }
    if (req.timeoutAt !== 0) w.timer = setTimeout(() => this.timedOut(c), Math.max(0, req.timeoutAt - Date.now()));
    this.waiters.set(c, w);
    this.watch();
  }

  /** Forget a client (it closed). */
  remove(c: Client): void {
    const w = this.waiters.get(c);
    if (w === undefined) return;
    this.waiters.delete(c);
    if (w.timer !== null) clearTimeout(w.timer);
    for (const s of w.slots) {
      const set = this.byKey.get(s);
      if (set === undefined) continue;
      set.delete(c);
      if (set.size === 0) this.byKey.delete(s);
    }
    if (this.waiters.size === 0) this.unwatch();
  }

  /** CLIENT UNBLOCK: answer what the timeout would, or -UNBLOCKED. */
  unblock(c: Client, error: boolean): boolean {
    if (!this.waiters.has(c)) return false;
    this.remove(c);
    if (error) c.reply.error('UNBLOCKED client unblocked via CLIENT UNBLOCK');
    else c.reply.nullArray();
    this.host.resume(c);
    return true;
  }

  private timedOut(c: Client): void {
    const w = this.waiters.get(c);
    if (w === undefined) return;
    w.timer = null;
    this.remove(c);
    c.reply.nullArray();
    this.host.resume(c);
  }

  /**
   * Serve the clients whose keys changed since the ring was last read (inside a batch of
   * the engine: the ring is read under the lock). Chains (a served BLMOVE pushing to a key
   * another client waits for) are followed until nothing changes.
   */
  serveReady(): void {
    const ring = this.host.ks.changes;
    // (an unlocked look first: most commands change nothing a client waits for)
    if (this.serving || this.waiters.size === 0 || ring.seq() === this.seq) return;
    this.serving = true;
    try {
      this.host.engine.lockForBatch();
      while (this.waiters.size > 0 && ring.seq() !== this.seq) {
        const ready: Client[] = [];
        const seen = new Set<Client>();
        const take = (c: Client): void => {
          if (!seen.has(c)) {
            seen.add(c);
            ready.push(c);
          }
        };
        const from = this.seq;
        this.seq = ring.seq();
        const complete = ring.readFrom(from, (_s, kind, db, hash, _reason) => {
          if (kind === CH_KEY) {
            const set = this.byKey.get(slot(db, hash));
            if (set !== undefined) for (const c of set) take(c);
          } else if (kind === CH_SWAPDB) {
            // (db, hash) are the two databases: every key of both may have a value now
            for (const [c, w] of this.waiters) if (w.req.db === db || w.req.db === hash) take(c);
          }
        });
        if (!complete) for (const c of this.waiters.keys()) take(c);
        for (const c of ready) if (this.waiters.has(c)) this.rerun(c);
      }
    } finally {
      this.serving = false;
    }
  }

  /** Run a waiting client's command again; it either is served (and resumes) or waits on. */
  private rerun(c: Client): void {
    const argv = this.host.heldArgv(c);
    if (argv === undefined || c.closed) {
      this.remove(c);
      return;
    }
    c.rerun = true;
    try {
      this.host.engine.execute(c, argv);
    } finally {
      c.rerun = false;
    }
    if (c.blockRequest !== null || c.postponed) {
      // still nothing (or CLIENT PAUSE holds it): it waits on, in its place
      c.blockRequest = null;
      c.postponed = false;
      return;
    }
    this.remove(c);
    this.host.resume(c);
  }

  // ---------------------------------------------------------------- changes made by other processes

  private watch(): void {
    if (this.watching) return;
    this.watching = true;
    this.host.ks.keyWaiter(1);
    void this.waitLoop();
  }

  private unwatch(): void {
    if (!this.watching) return;
    this.watching = false;
    const ks = this.host.ks;
    ks.keyWaiter(-1);
    // release the worker parked on the word (others waiting on it just look again)
    const { i32, index } = ks.readyWord();
    Atomics.add(i32, index, 1);
    futexWake(i32, index, 0x7fffffff);
  }

  private async waitLoop(): Promise<void> {
    const ks = this.host.ks;
    const { i32, index } = ks.readyWord();
    while (this.watching) {
      const word = Atomics.load(i32, index);
      // anything changed since the ring was last read (by a process that wrote before we counted as a waiter)?
      if (ks.changes.seq() !== this.seq) this.serveInBatch();
      if (!this.watching) break;
      await futexWaitAsync(i32, index, word);
    }
  }

  private serveInBatch(): void {
    const engine = this.host.engine;
    engine.beginBatch();
    try {
      this.serveReady();
    } finally {
      engine.endBatch();
    }
  }
}
