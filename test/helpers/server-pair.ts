/**
 * The usual fixture of a differential test file: redis-server (null when not installed)
 * and a shmkv server, started before the file's tests and stopped after them.
 *
 *   const servers = serverPair();
 *   test('...', async (t) => { if (!servers.redis) return t.skip(...); servers.shmkv.port ... });
 */
import { after, before } from 'node:test';
import { RawClient } from './raw-client.js';
import { startRedisOracle, type RedisOracle } from './redis-oracle.js';
import { startShmkvServer, type ShmkvServer } from './shmkv-server.js';

export interface ServerPair {
  redis: RedisOracle | null;
  shmkv: ShmkvServer;
  /** with `connect`: a connection to each (redisClient null without redis-server) */
  redisClient: RawClient | null;
  shmkvClient: RawClient;
}

export function serverPair(opts: { connect?: boolean; /** command-line options for both servers */ args?: string[] } = {}): ServerPair {
  const pair = { redis: null, redisClient: null } as ServerPair;
  before(async () => {
    pair.redis = await startRedisOracle(opts.args);
    pair.shmkv = await startShmkvServer({ args: opts.args });
    if (opts.connect) {
      if (pair.redis) pair.redisClient = await RawClient.connect(pair.redis.port);
      pair.shmkvClient = await RawClient.connect(pair.shmkv.port);
    }
  });
  after(async () => {
    pair.redisClient?.close();
    pair.shmkvClient?.close();
    await pair.redis?.stop();
    await pair.shmkv?.stop();
  });
  return pair;
}
