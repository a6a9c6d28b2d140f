/**
 * Test helper: a real redis-server as the oracle (started on a unix socket, killed after).
 * Not a test file by itself.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Oracle {
  socket: string;
  stop(): Promise<void>;
}

export function redisAvailable(): boolean {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

export function warnSkip(what: string): void {
  console.warn(
    `\n!!!!!!!! redis-server NOT FOUND: skipping differential tests (${what}) against real Redis !!!!!!!!\n`,
  );
}

export async function startRedis(extraArgs: string[] = []): Promise<Oracle> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkv-oracle-'));
  const sock = path.join(dir, 'redis.sock');
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', '0', '--unixsocket', sock, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 5000;
  for (;;) {
    if (fs.existsSync(sock)) {
      const ok = await new Promise<boolean>((resolve) => {
        const c = net.connect(sock);
        c.on('connect', () => {
          c.destroy();
          resolve(true);
        });
        c.on('error', () => resolve(false));
      });
      if (ok) break;
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('redis-server did not start');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    socket: sock,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGKILL');
      }),
  };
}

export interface RawResult {
  data: Buffer;
  closed: boolean;
}

/**
 * Send chunks as separate writes (pausing so the server reads them separately), then wait
 * until the server closes the connection or stays quiet for `quietMs`.
 *
 * A chunk written after the server closed fails with EPIPE, and Node then destroys the
 * socket, dropping a reply still unread in the kernel's buffer: on a loaded machine the
 * server's last reply can be lost that way. Such an exchange is run again with longer
 * pauses (the server's replies are deterministic), and the attempt that read the most wins.
 */
export async function rawExchange(sock: string, chunks: Buffer[], quietMs = 250, gapMs = 15): Promise<RawResult> {
  let best: RawResult | null = null;
  for (let attempt = 0, gap = gapMs; attempt < 4; attempt++, gap *= 4) {
    const r = await rawExchangeOnce(sock, chunks, quietMs, gap);
    if (best === null || r.data.length > best.data.length) best = { data: r.data, closed: r.closed };
    if (!r.writeFailed) return { data: r.data, closed: r.closed };
  }
  return best!;
}

function rawExchangeOnce(sock: string, chunks: Buffer[], quietMs: number, gapMs: number): Promise<RawResult & { writeFailed: boolean }> {
  return new Promise((resolve, reject) => {
    const c = net.connect(sock);
    const parts: Buffer[] = [];
    let timer: NodeJS.Timeout | null = null;
    let sent = false;
    let done = false;
    let writeFailed = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      c.destroy();
      resolve({ data: Buffer.concat(parts), closed, writeFailed });
    };
    const arm = () => {
      if (!sent) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => finish(false), quietMs);
    };
    c.on('data', (d) => {
      parts.push(d);
      arm();
    });
    c.on('close', () => finish(true));
    c.on('error', (e) => {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE' || code === 'ECONNRESET') {
        writeFailed = true;
        return;
      }
      reject(e);
    });
    c.on('connect', async () => {
      c.setNoDelay(true);
      for (let i = 0; i < chunks.length; i++) {
        if (done) return;
        c.write(chunks[i]);
        if (i + 1 < chunks.length) await new Promise((r) => setTimeout(r, gapMs));
      }
      sent = true;
      arm();
    });
  });
}

export type Reply =
  | { t: '+' | '-' | ':'; v: string }
  | { t: '$'; v: Buffer | null }
  | { t: '*'; v: Reply[] | null };

function parseReply(b: Buffer, pos: number): [Reply, number] | null {
  const nl = b.indexOf('\r\n', pos);
  if (nl < 0) return null;
  const type = String.fromCharCode(b[pos]);
  const line = b.toString('latin1', pos + 1, nl);
  const after = nl + 2;
  if (type === '+' || type === '-' || type === ':') return [{ t: type, v: line }, after];
  const n = Number(line);
  if (type === '$') {
    if (n < 0) return [{ t: '$', v: null }, after];
    if (b.length < after + n + 2) return null;
    return [{ t: '$', v: b.subarray(after, after + n) }, after + n + 2];
  }
  if (type === '*') {
    if (n < 0) return [{ t: '*', v: null }, after];
    const items: Reply[] = [];
    let p = after;
    for (let i = 0; i < n; i++) {
      const r = parseReply(b, p);
      if (r === null) return null;
      items.push(r[0]);
      p = r[1];
    }
    return [{ t: '*', v: items }, p];
  }
  throw new Error('unexpected reply type ' + type);
}

export function encodeCommand(args: (string | Uint8Array)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a, 'utf8') : Buffer.from(a);
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Run a pipeline of commands; resolves with one parsed reply per command. */
export function pipeline(sock: string, cmds: (string | Uint8Array)[][]): Promise<Reply[]> {
  return new Promise((resolve, reject) => {
    const c = net.connect(sock);
    let acc = Buffer.alloc(0);
    const out: Reply[] = [];
    let pos = 0;
    c.on('data', (d) => {
      acc = Buffer.concat([acc, d]);
      for (;;) {
        if (out.length === cmds.length) break;
        const r = parseReply(acc, pos);
        if (r === null) break;
        out.push(r[0]);
        pos = r[1];
      }
      if (out.length === cmds.length) {
        c.destroy();
        resolve(out);
      }
    });
    c.on('error', reject);
    c.on('connect', () => c.write(Buffer.concat(cmds.map(encodeCommand))));
  });
}
