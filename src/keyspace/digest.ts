/**
 * DEBUG DIGEST's algorithm (Redis's debug.c, written anew): a 20-byte state changed by
 * SHA1s of data. `xor(data)` XORs SHA1(data) into it — order-free, for unordered things
 * (keys of a database, set members); `mix(data)` does that, then replaces the state by
 * SHA1(state) — order-dependent, for sequences (a key then its value, list elements).
 *
 * The dataset digest: for each non-empty database, mix its index (u32 big-endian) into the
 * result, then xor() in each key's digest (the SHA1 of it): mix(key), mix(type code as u32 big-endian), the
 * value as its type feeds it (ValueType.digest), and xor("!!expire!!") when the key has a
 * TTL. An empty keyspace is forty zeros. Keys are read as stored (expired or not), as
 * Redis's dictFind-based walk does.
 *
 * node:crypto is loaded on first use only: the server does not load it at start (it costs
 * several ms; see docs/ARCHITECTURE.md).
 */
import { createRequire } from 'node:module';
import type { Keyspace } from './keyspace.js';
import { valueType, typeName } from './valuetypes.js';

type CryptoModule = typeof import('node:crypto');
let crypto: CryptoModule | null = null;

function sha1(data: Uint8Array): Buffer {
  crypto ??= createRequire(import.meta.url)('node:crypto') as CryptoModule;
  return crypto.createHash('sha1').update(data).digest();
}

const EXPIRE_MARK = Buffer.from('!!expire!!');

export class Digest {
  /** the 20-byte state */
  readonly bytes = Buffer.alloc(20);

  /** state ^= SHA1(data): order does not matter. */
  xor(data: Uint8Array): void {
    const h = sha1(data);
    for (let i = 0; i < 20; i++) this.bytes[i]! ^= h[i]!;
  }

  /** state = SHA1(state ^ SHA1(data)): order matters. */
  mix(data: Uint8Array): void {
    this.xor(data);
    sha1(this.bytes).copy(this.bytes);
  }

  /** XOR another digest's state into this one (an element's digest into its value's). */
  add(other: Digest): void {
    for (let i = 0; i < 20; i++) this.bytes[i]! ^= other.bytes[i]!;
  }

  hex(): string {
    return this.bytes.toString('hex');
  }
}

function u32be(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

/** Feed entry e's value (type, value, TTL mark) to d: Redis's xorObjectDigest. */
export function valueDigest(ks: Keyspace, e: number, d: Digest): void {
  const type = ks.type(e);
  const t = valueType(type);
  d.mix(u32be(type));
  if (t.digest === undefined) throw new Error(`DEBUG DIGEST does not know how to digest values of type ${typeName(type) ?? type} yet`);
  t.digest(ks, e, d);
  if (ks.expireAt(e) !== 0) d.xor(EXPIRE_MARK);
}

/** DEBUG DIGEST: the whole keyspace's digest (hex). Inside an operation or under the lock. */
export function datasetDigest(ks: Keyspace): string {
  const final = new Digest();
  for (let db = 0; db < ks.databases; db++) {
    if (ks.dbsize(db) === 0) continue;
    final.mix(u32be(db));
    ks.forEachStored(db, (e) => {
      const d = new Digest();
      d.mix(ks.keyOf(e));
      valueDigest(ks, e, d);
      // (Redis xors in the SHA1 of the key's digest, not the digest itself)
      final.xor(d.bytes);
    });
  }
  return final.hex();
}

/** DEBUG DIGEST-VALUE of one key (as stored, expired or not): forty zeros when absent. */
export function keyValueDigest(ks: Keyspace, db: number, key: Uint8Array): string {
  const d = new Digest();
  const e = ks.findRaw(db, key);
  if (e !== 0) valueDigest(ks, e, d);
  return d.hex();
}
