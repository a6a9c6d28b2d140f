/**
 * MIGRATE's network side (Redis's migrateCommand socket work, cluster.c): a blocking
 * exchange with another server — connect (or reuse a cached connection), write AUTH,
 * SELECT and the RESTORE commands, read one reply line each — bounded by the command's
 * timeout at every step, as Redis's connBlockingConnect / connSyncWrite /
 * connSyncReadLine are.
 *
 * Redis blocks its one thread for it; here the socket I/O runs on a worker thread (its own
 * event loop) while the caller's thread sleeps in Atomics.wait, so it behaves the same
 * from the server and from a library process: the caller holds the keyspace's lock and
 * blocks for at most the timeouts, then deletes the keys the target acknowledged.
 *
 * The worker keeps Redis's connection cache: one socket per host:port (at most 64, a
 * random one dropped past that), remembering the database last selected on it, closed
 * once unused for more than 10 s (MIGRATE_SOCKET_CACHE_TTL, Redis's cron). INFO's
 * migrate_cached_sockets reads the cache's size from a shared word.
 */
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

/** What one MIGRATE asks of the network. */
export interface MigrateRequest {
  host: string;
  /** atoi() of the port argument, as Redis (not checked: a bad one fails to connect) */
  port: number;
  /** ms for each step (connect, each 64 KiB written, each reply line read) */
  timeout: number;
  dbid: number;
  /** the AUTH command (RESP), or null */
  auth: Buffer | null;
  /** the RESTORE commands (RESP), one per key */
  restores: Buffer;
  keys: number;
}

export interface MigrateResult {
  /** the connection could not be made (Redis: -IOERR error or timeout connecting to the client) */
  connectError: boolean;
  /** reply lines (CRLF stripped): AUTH's and SELECT's when sent (else null), then RESTORE's in order, as many as were read */
  auth: string | null;
  select: string | null;
  restores: string[];
  /** the exchange failed (after the one retry Redis allows): which way */
  ioerr: 'writing' | 'reading' | null;
}

/** The worker: plain CommonJS evaluated in its thread (no module file: the server runs from a bundle). */
const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const state = new Int32Array(workerData.state);
const port = workerData.port;
const CACHE_TTL = 10000;
const CACHE_ITEMS = 64;
const CHUNK = 64 * 1024;
const cache = new Map();

function publishCount() { Atomics.store(state, 1, cache.size); }
function close(name) {
  const cs = cache.get(name);
  if (cs === undefined) return;
  cache.delete(name);
  cs.sock.destroy();
  publishCount();
}
setInterval(() => {
  const now = Date.now();
  for (const [name, cs] of cache) if (now - cs.lastUse > CACHE_TTL) close(name);
}, 1000);

class Failure { constructor(timedOut) { this.timedOut = timedOut; } }

/**
 * Redis's connBlockingConnect: a non-blocking connect, then a wait of up to the timeout for
 * the socket to be writable — after which the connection counts as made whatever happened
 * (a refused one fails at the first write; one still connecting makes the write wait, and
 * time out). Only a connect that fails at once (the host does not resolve) is an error.
 */
function connect(host, portNo, timeout) {
  return new Promise((resolve) => {
    let sock;
    try { sock = net.connect({ host, port: portNo }); } catch { resolve(null); return; }
    const t = setTimeout(() => resolve(sock), timeout);
    sock.once('connect', () => { clearTimeout(t); sock.setNoDelay(true); resolve(sock); });
    sock.once('error', (e) => {
      clearTimeout(t);
      if (e && e.syscall === 'getaddrinfo') { sock.destroy(); resolve(null); } else resolve(sock);
    });
  });
}

async function getSocket(name, host, portNo, timeout) {
  const cached = cache.get(name);
  if (cached !== undefined) { cached.lastUse = Date.now(); return cached; }
  if (cache.size >= CACHE_ITEMS) {
    const names = [...cache.keys()];
    close(names[Math.floor(Math.random() * names.length)]);
  }
  const sock = await connect(host, portNo, timeout);
  if (sock === null) return null;
  const cs = { sock, lastDb: -1, lastUse: Date.now(), buf: Buffer.alloc(0), closed: sock.destroyed, wake: null };
  sock.on('data', (d) => { cs.buf = cs.buf.length === 0 ? d : Buffer.concat([cs.buf, d]); if (cs.wake) cs.wake(); });
  sock.on('error', () => {});
  sock.on('close', () => {
    cs.closed = true;
    if (cs.wake) cs.wake();
  });
  cache.set(name, cs);
  publishCount();
  return cs;
}

function write(cs, data, timeout) {
  return new Promise((resolve, reject) => {
    if (cs.closed) { reject(new Failure(false)); return; }
    const t = setTimeout(() => reject(new Failure(true)), timeout);
    cs.sock.write(data, (err) => { clearTimeout(t); if (err) reject(new Failure(false)); else resolve(); });
  });
}

async function writeAll(cs, data, timeout) {
  for (let pos = 0; pos < data.length; pos += CHUNK) await write(cs, data.subarray(pos, pos + CHUNK), timeout);
}

/** One reply line (CRLF stripped, at most 1023 bytes kept, as Redis's 1 KiB buffers). */
function readLine(cs, timeout) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { cs.wake = null; reject(new Failure(true)); }, timeout);
    const check = () => {
      const nl = cs.buf.indexOf(10);
      if (nl >= 0) {
        let end = nl > 0 && cs.buf[nl - 1] === 13 ? nl - 1 : nl;
        const line = cs.buf.subarray(0, Math.min(end, 1023)).toString('latin1');
        cs.buf = cs.buf.subarray(nl + 1);
        clearTimeout(t);
        cs.wake = null;
        resolve(line);
        return;
      }
      if (cs.closed) { clearTimeout(t); cs.wake = null; reject(new Failure(false)); }
    };
    cs.wake = check;
    check();
  });
}

function bulk(s) { const b = Buffer.from(s, 'latin1'); return Buffer.concat([Buffer.from('$' + b.length + '\\r\\n'), b, Buffer.from('\\r\\n')]); }

async function migrate(req) {
  const name = req.host + ':' + req.portArg;
  let mayRetry = true;
  for (;;) {
    const out = { connectError: false, auth: null, select: null, restores: [], ioerr: null };
    const cs = await getSocket(name, req.host, req.port, req.timeout);
    if (cs === null) { out.connectError = true; return out; }
    cs.buf = Buffer.alloc(0);
    const select = cs.lastDb !== req.dbid;
    const parts = [];
    if (req.auth) parts.push(Buffer.from(req.auth));
    if (select) parts.push(Buffer.from('*2\\r\\n'), bulk('SELECT'), bulk(String(req.dbid)));
    parts.push(Buffer.from(req.restores));
    let failure = null;
    let writing = false;
    try {
      writing = true;
      await writeAll(cs, Buffer.concat(parts), req.timeout);
      writing = false;
      if (req.auth) out.auth = await readLine(cs, req.timeout);
      if (select) out.select = await readLine(cs, req.timeout);
    } catch (e) {
      failure = e;
    }
    if (failure === null) {
      let targetError = false;
      let socketError = null;
      for (let j = 0; j < req.keys; j++) {
        let line;
        try { line = await readLine(cs, req.timeout); } catch (e) { socketError = e; break; }
        out.restores.push(line);
        if ((out.auth !== null && out.auth[0] === '-') || (out.select !== null && out.select[0] === '-') || line[0] === '-') {
          if (!targetError) { cs.lastDb = -1; targetError = true; }
        }
      }
      // nothing read at all, not a timeout: the cached socket was probably closed by the peer
      if (!targetError && socketError !== null && out.restores.length === 0 && mayRetry && !socketError.timedOut) failure = socketError;
      else {
        if (socketError !== null) close(name);
        if (!targetError && socketError !== null) { out.ioerr = 'reading'; return out; }
        if (!targetError) cs.lastDb = req.dbid;
        return out;
      }
    }
    close(name);
    if (!failure.timedOut && mayRetry) { mayRetry = false; continue; }
    out.ioerr = writing ? 'writing' : 'reading';
    out.restores = [];
    return out;
  }
}

parentPort.on('message', (req) => {
  migrate(req).then((out) => {
    port.postMessage(out);
    Atomics.store(state, 0, 1);
    Atomics.notify(state, 0);
  }, (e) => {
    port.postMessage({ connectError: false, auth: null, select: null, restores: [], ioerr: 'reading', bug: String(e && e.stack || e) });
    Atomics.store(state, 0, 1);
    Atomics.notify(state, 0);
  });
});
`;

let worker: Worker | null = null;
let port: MessagePort | null = null;
/** [0]: the reply is ready (the worker sets it, the caller waits on it); [1]: cached sockets */
let state: Int32Array | null = null;

function start(): void {
  const sab = new SharedArrayBuffer(8);
  state = new Int32Array(sab);
  const ch = new MessageChannel();
  port = ch.port1;
  worker = new Worker(WORKER_CODE, { eval: true, workerData: { state: sab, port: ch.port2 }, transferList: [ch.port2] });
  // neither the worker nor its cached sockets keep a process alive
  worker.unref();
  port.unref();
  worker.on('error', () => stop());
}

function stop(): void {
  if (worker !== null) void worker.terminate();
  port?.close();
  worker = null;
  port = null;
  state = null;
}

/** INFO's migrate_cached_sockets. */
export function migrateCachedSockets(): number {
  return state === null ? 0 : Atomics.load(state, 1);
}

/**
 * Run one MIGRATE exchange, blocking this thread until the worker is done. `portArg` is
 * the port argument as given (the cache is keyed on host:port text, as Redis's).
 */
export function migrateSync(req: MigrateRequest, portArg: string): MigrateResult {
  if (worker === null) start();
  const st = state!;
  Atomics.store(st, 0, 0);
  worker!.postMessage({ ...req, portArg, auth: req.auth, restores: req.restores });
  // every step has its timeout in the worker; this bound only guards against a worker gone wrong
  const steps = 4 + req.keys + Math.ceil((req.restores.length + (req.auth?.length ?? 0)) / 65536);
  const deadline = Date.now() + 2 * (steps * req.timeout) + 5000;
  while (Atomics.load(st, 0) === 0) {
    const left = deadline - Date.now();
    if (left <= 0) {
      stop();
      return { connectError: false, auth: null, select: null, restores: [], ioerr: 'reading' };
    }
    Atomics.wait(st, 0, 0, left);
  }
  const m = receiveMessageOnPort(port!);
  if (m === undefined) {
    stop();
    return { connectError: false, auth: null, select: null, restores: [], ioerr: 'reading' };
  }
  return m.message as MigrateResult;
}
