/**
 * A keyspace's content as a model (db:key → digest of value and expiry) and random
 * workloads over every type: for the snapshot and persistence tests, which compare what a
 * snapshot / RDB file holds with the keyspace of an instant.
 */
import type { open } from '../../src/kv/index.js';
import type { Keyspace } from '../../src/keyspace/keyspace.js';
import { Digest, valueDigest } from '../../src/keyspace/digest.js';

type KV = ReturnType<typeof open>;

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** db:key → digest of value and expiry, read from the keyspace as it is now. */
export function model(ks: Keyspace): Map<string, string> {
  const out = new Map<string, string>();
  ks.exec(() => {
    for (let db = 0; db < ks.databases; db++) ks.forEachStored(db, (e) => out.set(`${db}:${ks.keyOf(e).toString('latin1')}`, digestOf(ks, e)));
  });
  return out;
}

export function digestOf(ks: Keyspace, e: number): string {
  const d = new Digest();
  valueDigest(ks, e, d);
  return `${d.hex()}@${ks.expireAtExact(e)}`;
}

export const DBS = 4;

export function fill(kv: KV, r: () => number, keys: number): void {
  for (let db = 0; db < DBS; db++) {
    kv.call('SELECT', db);
    for (let i = 0; i < keys; i++) {
      const k = `k${i % 40}:${i}`;
      switch (i % 6) {
        case 0: kv.call('SET', k, `v${i}`.repeat(1 + (i % 50))); break;
        case 1: kv.call('RPUSH', k, ...Array.from({ length: 1 + (i % 300) }, (_, j) => `e${j}`)); break;
        case 2: kv.call('HSET', k, ...Array.from({ length: 1 + (i % 200) }, (_, j) => [`f${j}`, `${j}`]).flat()); break;
        case 3: kv.call('SADD', k, ...Array.from({ length: 1 + (i % 200) }, (_, j) => (i % 2 ? `${j}` : `m${j}`))); break;
        case 4: kv.call('ZADD', k, ...Array.from({ length: 1 + (i % 200) }, (_, j) => [j % 13, `z${j}`]).flat()); break;
        default: kv.call('SET', k, `${i}`);
      }
      if (r() < 0.2) kv.call('PEXPIRE', k, 100000 + Math.floor(r() * 100000));
    }
  }
}

/** One random write through the library (any process's writes go through the same seam). */
export function randomWrite(kv: KV, r: () => number, keys: number): void {
  const db = Math.floor(r() * DBS);
  kv.call('SELECT', db);
  const i = Math.floor(r() * keys * 1.2);
  const k = `k${i % 40}:${i}`;
  const k2 = `k${(i + 7) % 40}:${i + 7}`;
  const op = Math.floor(r() * 44);
  try {
    switch (op) {
      case 0: kv.call('SET', k, `new${r()}`); break;
      case 1: kv.call('DEL', k); break;
      case 2: kv.call('APPEND', k, 'xyz'); break;
      case 3: kv.call('INCR', k); break;
      case 4: kv.call('LPUSH', k, 'a', 'b'); break;
      case 5: kv.call('RPOP', k); break;
      case 6: kv.call('HSET', k, 'nf', 'nv'); break;
      case 7: kv.call('HDEL', k, 'f1', 'f2'); break;
      case 8: kv.call('SADD', k, 'x', '77'); break;
      case 9: kv.call('SPOP', k); break;
      case 10: kv.call('ZADD', k, '5', 'nz'); break;
      case 11: kv.call('ZINCRBY', k, '2', 'z1'); break;
      case 12: kv.call('PEXPIRE', k, 500000); break;
      case 13: kv.call('PERSIST', k); break;
      case 14: kv.call('RENAME', k, k2); break;
      case 15: kv.call('MOVE', k, String((db + 1) % DBS)); break;
      case 16: kv.call('COPY', k, k2, 'REPLACE'); break;
      case 17: if (r() < 0.1) kv.call('SWAPDB', String(db), String((db + 1) % DBS)); break;
      case 18: if (r() < 0.03) kv.call('FLUSHDB'); break;
      case 19: kv.call('SETRANGE', k, 3, 'QQ'); break;
      case 20: kv.call('LSET', k, 0, 'changed'); break;
      case 21: kv.call('LMOVE', k, k2, 'LEFT', 'RIGHT'); break;
      case 22: kv.call('SMOVE', k, k2, 'm1'); break;
      case 23: kv.call('ZUNIONSTORE', k2, 2, k, k2); break;
      case 24: kv.call('GETDEL', k); break;
      case 25: kv.call('GETEX', k, 'PX', 400000); break;
      case 26: kv.call('SETBIT', k, 100, 1); break;
      case 27: kv.call('PFADD', k, 'a', 'b', 'c'); break;
      case 28: kv.call('SORT', k, 'ALPHA', 'STORE', k2); break;
      case 29: kv.call('PFCOUNT', k); break;
      case 30: kv.call('BITFIELD', k, 'INCRBY', 'u8', 16, 3); break;
      case 31: kv.call('LINSERT', k, 'BEFORE', 'e1', 'ins'); break;
      case 32: kv.call('LREM', k, 0, 'e2'); break;
      case 33: kv.call('LTRIM', k, 1, -2); break;
      case 34: kv.call('ZREMRANGEBYRANK', k, 0, 1); break;
      case 35: kv.call('ZPOPMIN', k); break;
      case 36: kv.call('SINTERSTORE', k2, k, k2); break;
      case 37: kv.call('HINCRBYFLOAT', k, 'f4', '1.5'); break;
      case 38: kv.call('MSET', k, 'm1', k2, 'm2'); break;
      case 39: kv.call('PEXPIRE', k, -1); break;
      case 40: kv.call('SETEX', k, 1000, 'sx'); break;
      case 41: kv.call('SREM', k, '1', 'm1'); break;
      case 42: kv.call('ZREM', k, 'z2'); break;
      default: kv.call('HINCRBY', k, 'f3', 1);
    }
  } catch (err) {
    if (!/WRONGTYPE|ERR/.test((err as Error).message) || /snapshot/.test((err as Error).message)) throw err;
  }
}

