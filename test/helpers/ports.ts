/** Small process/network helpers shared by the server helpers. */

import net from 'node:net';
import { RawClient } from './raw-client.js';

/** A TCP port that was free a moment ago (bind port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port: 0 }, () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Wait until a server on `port` answers PING with +PONG (or -NOAUTH); false on timeout. */
export async function waitForPing(port: number, timeoutMs: number, alive: () => boolean = () => true): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) return false;
    try {
      const c = await RawClient.connect(port);
      try {
        const r = (await c.call('PING')).toString('latin1');
        if (r.startsWith('+PONG') || r.startsWith('-NOAUTH') || r.startsWith('-LOADING')) {
          if (!r.startsWith('-LOADING')) return true;
        }
      } finally {
        c.close();
      }
    } catch {
      // not up yet
    }
    await sleep(10);
  }
  return false;
}
