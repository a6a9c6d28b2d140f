/** Helpers of the failover test and bench (shmkv-server --standby). */
import net from 'node:net';
import { replyLength } from './raw-client.js';

/**
 * Connect and ask `argv` until the expected reply comes: a new connection every
 * millisecond (and at once when one fails), each left to run, so the attempts that land
 * on the dead server's listener — it takes connections until the kernel has torn that
 * process down and closed its files — do not hide the standby. The time this resolves is
 * the failover's "first correct reply" for a client that reconnects.
 */
export function firstCorrectReply(port: number, argv: string[], expected: string, timeoutMs = 20000): Promise<{ attempts: number }> {
  const req = `*${argv.length}\r\n` + argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
  return new Promise((resolve, reject) => {
    const socks = new Set<net.Socket>();
    let attempts = 0;
    let finished = false;
    const finish = (e: Error | null): void => {
      if (finished) return;
      finished = true;
      clearInterval(ticker);
      clearTimeout(timer);
      for (const s of socks) s.destroy();
      if (e) reject(e);
      else resolve({ attempts });
    };
    const attempt = (): void => {
      if (finished) return;
      attempts++;
      const sock = new net.Socket();
      socks.add(sock);
      let buf = Buffer.alloc(0);
      let failed = false;
      const fail = (): void => {
        socks.delete(sock);
        sock.destroy();
        if (!failed) {
          failed = true;
          setImmediate(attempt);
        }
      };
      sock.setNoDelay(true);
      sock.once('error', fail);
      sock.once('close', fail);
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        const n = replyLength(buf);
        if (n < 0) return;
        if (buf.subarray(0, n).toString('latin1') === expected) finish(null);
        else fail();
      });
      sock.connect({ port, host: '127.0.0.1' }, () => sock.write(req));
    };
    const ticker = setInterval(attempt, 1);
    const timer = setTimeout(() => finish(new Error(`no correct reply to ${argv.join(' ')} within ${timeoutMs} ms`)), timeoutMs);
    attempt();
  });
}

