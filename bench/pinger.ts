/**
 * A client of its own process for the benchmarks' stall measurements: PINGs the server at
 * `port` back to back and, when its parent sends 'stop', answers with the longest round
 * trip it saw (ms) and exits. In a process of its own so that nothing the measuring
 * process does (reading a big reply) delays its PINGs.
 */
import { RawClient } from '../test/helpers/raw-client.js';

const port = Number(process.argv[2]);
const c = await RawClient.connect(port);
let running = true;
let worst = 0;
process.on('message', (m) => {
  if (m === 'stop') running = false;
});
process.send!('ready');
while (running) {
  const t0 = performance.now();
  await c.call('PING');
  worst = Math.max(worst, performance.now() - t0);
  // (let the 'stop' message in)
  await new Promise((r) => setImmediate(r));
}
c.close();
process.send!({ worst }, () => process.exit(0));
