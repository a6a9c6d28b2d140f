/**
 * EXEC refused before it runs (Redis's rejectCommand on execCommand): the transaction is
 * discarded and unwatched, and the reply is EXECABORT with the reason — over maxmemory
 * with a queued write, or min-replicas-to-write (a primary without replicas never has
 * enough: NOREPLICAS). Differential against redis-server, with a second connection
 * changing the configuration while the first one's transaction is open (as Redis's
 * unit/multi does).
 */
import { test } from 'node:test';
import { DiffPair } from '../helpers/differential.js';
import { serverPair } from '../helpers/server-pair.js';

const servers = serverPair();

async function pairs(): Promise<[DiffPair, DiffPair]> {
  return [await DiffPair.open(servers.redis!.port, servers.shmkv.port), await DiffPair.open(servers.redis!.port, servers.shmkv.port)];
}

test('min-replicas-to-write refuses writes (NOREPLICAS) and aborts an EXEC holding one', async (t) => {
  if (!servers.redis) return t.skip('redis-server missing');
  const [r, r1] = await pairs();
  try {
    await r.sameAll([['FLUSHALL'], ['SET', 'xx', '1'], ['MULTI'], ['INCR', 'xx'], ['GET', 'xx']]);
    await r1.same(['CONFIG', 'SET', 'min-replicas-to-write', '2']);
    await r.sameAll([
      ['EXEC'],
      ['EXEC'], // discarded: no transaction any more
      ['GET', 'xx'],
      ['SET', 'xx', '2'],
      ['MULTI'],
      ['GET', 'xx'],
      ['PING'],
      ['EXEC'], // reads only: runs
      ['MULTI'],
      ['SET', 'xx', '3'], // refused while queueing
      ['EXEC'],
    ]);
    await r1.sameAll([['CONFIG', 'SET', 'min-replicas-max-lag', '0'], ['SET', 'xx', '4'], ['CONFIG', 'SET', 'min-replicas-max-lag', '10'], ['CONFIG', 'SET', 'min-replicas-to-write', '0']]);
    await r.sameAll([['GET', 'xx'], ['SET', 'xx', '5'], ['CONFIG', 'GET', 'min-replicas-to-write'], ['CONFIG', 'GET', 'min-slaves-max-lag']]);
  } finally {
    r.close();
    r1.close();
  }
});

test('EXEC over maxmemory with a queued write: EXECABORT with the OOM error, transaction discarded and unwatched', async (t) => {
  if (!servers.redis) return t.skip('redis-server missing');
  const [r, r1] = await pairs();
  try {
    await r.sameAll([['FLUSHALL'], ['SET', 'x', 'value'], ['MULTI'], ['GET', 'x'], ['PING']]);
    await r1.same(['CONFIG', 'SET', 'maxmemory', '1']);
    await r.same(['EXEC']); // reads only: not refused
    await r1.same(['CONFIG', 'SET', 'maxmemory', '0']);
    await r.sameAll([['WATCH', 'x'], ['MULTI'], ['SET', 'x', '1'], ['GET', 'x']]);
    await r1.same(['CONFIG', 'SET', 'maxmemory', '1']);
    await r.sameAll([['EXEC'], ['EXEC'], ['GET', 'x']]);
    await r1.same(['CONFIG', 'SET', 'maxmemory', '0']);
    // no longer watching x: another client's write does not fail the next EXEC
    await r.same(['MULTI']);
    await r1.same(['SET', 'x', 'other']);
    await r.sameAll([['SET', 'x', '2'], ['EXEC'], ['GET', 'x']]);
    await r.same(['INFO', 'errorstats']);
  } finally {
    r.close();
    r1.close();
  }
});
