/**
 * A minimal RESP client for byte-exact tests: sends a command (as a multibulk, or raw bytes)
 * and reads back complete raw replies as Buffers, so two servers' replies can be compared
 * byte for byte. Understands every RESP2/RESP3 type (nested arrays, maps, sets, pushes,
 * attributes, streamed strings are not used by Redis 7.0 replies and are not supported).
 *
 *   const c = await RawClient.connect(port);
 *   const raw = await c.call('PING');          // Buffer: "+PONG\r\n"
 *   const v = decodeReply(raw);                 // 'PONG' as a RespValue
 *   c.close();
 */

import net from 'node:net';

export type RespValue =
  | { type: 'simple'; value: string }
  | { type: 'error'; value: string }
  | { type: 'integer'; value: bigint }
  | { type: 'bulk'; value: Buffer }
  | { type: 'null' }
  | { type: 'array'; value: RespValue[] }
  | { type: 'map'; value: [RespValue, RespValue][] }
  | { type: 'set'; value: RespValue[] }
  | { type: 'push'; value: RespValue[] }
  | { type: 'attribute'; value: [RespValue, RespValue][] }
  | { type: 'double'; value: string }
  | { type: 'bool'; value: boolean }
  | { type: 'bignum'; value: string }
  | { type: 'verbatim'; format: string; value: Buffer }
  | { type: 'blobError'; value: Buffer };

/**
 * Byte length of the complete reply starting at `off`, or -1 if `buf` does not hold it
 * all yet. Throws on a malformed reply.
 */
export function replyLength(buf: Buffer, off = 0): number {
  if (off >= buf.length) return -1;
  const nl = buf.indexOf('\r\n', off, 'latin1');
  if (nl < 0) return -1;
  const type = buf[off];
  const line = buf.toString('latin1', off + 1, nl);
  const after = nl + 2;
  switch (type) {
    case 43: // +
    case 45: // -
    case 58: // :
    case 95: // _
    case 44: // ,
    case 35: // #
    case 40: // (
      return after - off;
    case 36: // $
    case 61: // =
    case 33: {
      // !
      const n = Number(line);
      if (n < 0) return after - off;
      if (buf.length < after + n + 2) return -1;
      return after + n + 2 - off;
    }
    case 42: // *
    case 126: // ~
    case 62: // >
    case 37: // %
    case 124: {
      // |
      let n = Number(line);
      if (n < 0) return after - off;
      if (type === 37 || type === 124) n *= 2;
      let p = after;
      for (let i = 0; i < n; i++) {
        const l = replyLength(buf, p);
        if (l < 0) return -1;
        p += l;
      }
      // an attribute is followed by the reply it annotates
      if (type === 124) {
        const l = replyLength(buf, p);
        if (l < 0) return -1;
        p += l;
      }
      return p - off;
    }
    default:
      throw new Error(`bad RESP type byte ${type} at ${off}: ${JSON.stringify(buf.toString('latin1', off, Math.min(buf.length, off + 40)))}`);
  }
}

/** Decode one complete reply (as returned by RawClient). */
export function decodeReply(buf: Buffer): RespValue {
  const [v] = decodeAt(buf, 0);
  return v;
}

function decodeAt(buf: Buffer, off: number): [RespValue, number] {
  const nl = buf.indexOf('\r\n', off, 'latin1');
  const type = buf[off];
  const line = buf.toString('utf8', off + 1, nl);
  const after = nl + 2;
  switch (type) {
    case 43:
      return [{ type: 'simple', value: line }, after];
    case 45:
      return [{ type: 'error', value: line }, after];
    case 58:
      return [{ type: 'integer', value: BigInt(line) }, after];
    case 95:
      return [{ type: 'null' }, after];
    case 44:
      return [{ type: 'double', value: line }, after];
    case 35:
      return [{ type: 'bool', value: line === 't' }, after];
    case 40:
      return [{ type: 'bignum', value: line }, after];
    case 36:
    case 33:
    case 61: {
      const n = Number(line);
      if (n < 0) return [{ type: 'null' }, after];
      const body = Buffer.from(buf.subarray(after, after + n));
      const end = after + n + 2;
      if (type === 36) return [{ type: 'bulk', value: body }, end];
      if (type === 33) return [{ type: 'blobError', value: body }, end];
      return [{ type: 'verbatim', format: body.toString('latin1', 0, 3), value: body.subarray(4) }, end];
    }
    case 42:
    case 126:
    case 62: {
      const n = Number(line);
      if (n < 0) return [{ type: 'null' }, after];
      const items: RespValue[] = [];
      let p = after;
      for (let i = 0; i < n; i++) {
        const [v, e] = decodeAt(buf, p);
        items.push(v);
        p = e;
      }
      return [{ type: type === 42 ? 'array' : type === 126 ? 'set' : 'push', value: items }, p];
    }
    case 37:
    case 124: {
      const n = Number(line);
      const pairs: [RespValue, RespValue][] = [];
      let p = after;
      for (let i = 0; i < n; i++) {
        const [k, e1] = decodeAt(buf, p);
        const [v, e2] = decodeAt(buf, e1);
        pairs.push([k, v]);
        p = e2;
      }
      if (type === 124) {
        // attribute: return the annotated reply (attributes are dropped)
        return decodeAt(buf, p);
      }
      return [{ type: 'map', value: pairs }, p];
    }
    default:
      throw new Error(`bad RESP type byte ${type}`);
  }
}

/** A RespValue as plain JS: strings, bigint→number when safe, arrays, Maps as objects/arrays. */
export function toJS(v: RespValue): unknown {
  switch (v.type) {
    case 'simple':
    case 'double':
    case 'bignum':
      return v.value;
    case 'error':
      return new Error(v.value);
    case 'integer':
      return Number.isSafeInteger(Number(v.value)) ? Number(v.value) : v.value;
    case 'bulk':
    case 'verbatim':
      return v.value.toString('utf8');
    case 'blobError':
      return new Error(v.value.toString('utf8'));
    case 'null':
      return null;
    case 'bool':
      return v.value;
    case 'array':
    case 'set':
    case 'push':
      return v.value.map(toJS);
    case 'map':
    case 'attribute':
      return v.value.map(([k, x]) => [toJS(k), toJS(x)]);
  }
}

/** Encode a command as a RESP multibulk. */
export function encodeCommand(args: (string | Buffer | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a), 'utf8');
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

export class RawClient {
  private buf: Buffer = Buffer.alloc(0);
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  /** bytes needed before the pending reply can be complete */
  private needed = 0;

  /** Move received chunks into buf. */
  private gather(): void {
    if (this.chunks.length === 0) return;
    this.buf = Buffer.concat(this.buf.length ? [this.buf, ...this.chunks] : this.chunks);
    this.chunks = [];
    this.chunkBytes = 0;
  }

  /** A lower bound of the bytes the reply at the start of buf needs. */
  private neededFor(): number {
    const b = this.buf;
    if (b.length > 0 && (b[0] === 36 || b[0] === 61 || b[0] === 33)) {
      const nl = b.indexOf('\r\n', 0, 'latin1');
      if (nl > 0) {
        const n = Number(b.toString('latin1', 1, nl));
        if (n > 0) return nl + 2 + n + 2;
      }
    }
    return b.length + 1;
  }
  private waiters: (() => void)[] = [];
  private ended = false;
  private endError: Error | null = null;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.chunkBytes += d.length;
      // wake readers only once enough bytes may be there (no quadratic re-parsing of big replies)
      if (this.buf.length + this.chunkBytes >= this.needed) this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', (e) => {
      this.endError = e;
      this.ended = true;
      this.wake();
    });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return RawClient.connectTo({ port, host });
  }

  static connectTo(opts: net.NetConnectOpts): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(opts);
      s.once('error', reject);
      s.once('connect', () => {
        s.off('error', reject);
        s.setNoDelay(true);
        resolve(new RawClient(s));
      });
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** True once the server closed the connection. */
  get closed(): boolean {
    return this.ended;
  }

  /** Send a command as a multibulk (no wait). */
  send(...args: (string | Buffer | number)[]): void {
    this.socket.write(encodeCommand(args));
  }

  /** Send raw bytes (inline commands, protocol errors...). */
  sendRaw(bytes: Buffer | string): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** Read one complete reply. Rejects after `timeoutMs` or if the connection ends first. */
  async read(timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.gather();
      const n = replyLength(this.buf, 0);
      if (n >= 0) {
        const out = Buffer.from(this.buf.subarray(0, n));
        this.buf = this.buf.subarray(n);
        this.needed = 0;
        return out;
      }
      this.needed = this.neededFor();
      if (this.ended) {
        throw this.endError ?? new Error(`connection closed (buffered: ${JSON.stringify(this.buf.toString('latin1'))})`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for a reply (buffered: ${JSON.stringify(this.buf.toString('latin1').slice(0, 200))})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Read n replies. */
  async readN(n: number, timeoutMs = 10000): Promise<Buffer[]> {
    const out: Buffer[] = [];
    for (let i = 0; i < n; i++) out.push(await this.read(timeoutMs));
    return out;
  }

  /** Send a command and read its reply. */
  async call(...args: (string | Buffer | number)[]): Promise<Buffer> {
    this.send(...args);
    return this.read();
  }

  /** Send a command and decode its reply. */
  async callValue(...args: (string | Buffer | number)[]): Promise<RespValue> {
    return decodeReply(await this.call(...args));
  }

  /** Bytes received and not consumed by read(). */
  pending(): Buffer {
    this.gather();
    return this.buf;
  }

  /** Wait until the server closes the connection (or timeout); returns whatever arrived. */
  async waitClose(timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timeout waiting for the server to close');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    this.gather();
    return this.buf;
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * Every acknowledged `SET key:<i> value(i)` is there, whole (the crash and failover
 * tests): read back 200 keys per MGET. `what` names the round in the messages.
 */
export async function assertAcknowledgedSets(c: RawClient, acks: readonly number[], value: (i: number) => string, what: string): Promise<void> {
  for (let k = 0; k < acks.length; k += 200) {
    const batch = acks.slice(k, k + 200);
    const reply = await c.callValue('mget', ...batch.map((i) => `key:${i}`));
    if (reply.type !== 'array') throw new Error(`MGET answered ${reply.type} ${what}`);
    reply.value.forEach((v, j) => {
      if (v.type !== 'bulk') throw new Error(`key:${batch[j]} lost ${what}`);
      if (v.value.toString() !== value(batch[j]!)) throw new Error(`key:${batch[j]} is not what was acknowledged ${what}`);
    });
  }
}

/**
 * Pipeline commands on `c` — `batch` of make(0), make(1), … per write — and hand each reply
 * to onReply in order, until the connection closes (the crash and failover tests kill the
 * server under this load). Resolves with the commands sent and the replies seen.
 */
export async function pipelineUntilClosed(
  c: RawClient,
  make: (i: number) => (string | number)[],
  onReply: (i: number, reply: Buffer) => void,
  batch = 64,
): Promise<{ sent: number; acked: number }> {
  let sent = 0;
  let acked = 0;
  let pending: Buffer = Buffer.alloc(0);
  c.socket.removeAllListeners('data');
  c.socket.on('data', (d: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, d]) : d;
    for (;;) {
      const n = replyLength(pending);
      if (n < 0) break;
      onReply(acked++, pending.subarray(0, n));
      pending = pending.subarray(n);
    }
  });
  const done = new Promise<void>((resolve) => c.socket.once('close', () => resolve()));
  c.socket.on('error', () => {});
  let alive = true;
  void done.then(() => (alive = false));
  while (alive) {
    const parts: string[] = [];
    for (let k = 0; k < batch; k++) {
      const args = make(sent++).map(String);
      parts.push(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join(''));
    }
    if (!c.socket.write(parts.join(''))) await new Promise((r) => c.socket.once('drain', r).once('close', r));
    await new Promise((r) => setImmediate(r));
  }
  await done;
  return { sent, acked };
}
