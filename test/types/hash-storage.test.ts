/**
 * The hash storage against a model: random operations on both encodings (small
 * thresholds so conversions happen), operations that fail half-way and must leave nothing
 * behind (the undo log rolls back listpack edits, conversions and Dash splits), and the
 * keyspace integrity check (every chunk a hash owns reported once) after each step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemoryBacking } from '../../src/heap/memory-backing.js';
import { Keyspace } from '../../src/keyspace/keyspace.js';
import { checkKeyspace } from '../../src/keyspace/check.js';
import { deleteField, findHash, forEachPair, getValueCopy, hashLength, hashType, lookupWriteOrCreate, setField, tryConversion } from '../../src/types/hash/storage.js';
import '../../src/types/index.js';

const open = () => Keyspace.open(new MemoryBacking({ reserved: 256 << 20 }), { databases: 2 });
const KEY = Buffer.from('h');

function contents(ks: Keyspace): Map<string, string> {
  const m = new Map<string, string>();
  const e = findHash(ks, 0, KEY, true);
  if (e === 0) return m;
  const mem = ks.heap.mem;
  forEachPair(ks, e, (fo, fl, vo, vl) => m.set(Buffer.from(mem.view(fo, fl)).toString('latin1'), Buffer.from(mem.view(vo, vl)).toString('latin1')));
  assert.equal(hashLength(ks, e), m.size);
  return m;
}

type Op = { kind: 'set'; f: string; v: string } | { kind: 'del'; f: string } | { kind: 'fail'; n: number };

const fieldArb = fc.oneof(fc.integer({ min: 0, max: 600 }).map((i) => `f${i}`), fc.constantFrom('', 'a-long-field-name-beyond-the-limit'));
const valueArb = fc.oneof(fc.integer({ min: 0, max: 99 }).map(String), fc.constantFrom('', 'x'.repeat(40), 'y'.repeat(300)));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), f: fieldArb, v: valueArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('del' as const), f: fieldArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fail' as const), n: fc.integer({ min: 1, max: 300 }) }) },
);

test('hash storage: random changes (and failed operations) match a model; the keyspace check stays clean', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 8 }), fc.array(opArb, { minLength: 1, maxLength: 60 }), (entries, ops) => {
      const ks = open();
      try {
        ks.settings.writeShared([
          ['hash-max-listpack-entries', entries],
          ['hash-max-listpack-value', 16],
        ]);
        const model = new Map<string, string>();
        for (const op of ops) {
          if (op.kind === 'set') {
            ks.exec(() => {
              const e = lookupWriteOrCreate(ks, 0, KEY);
              const argv = [Buffer.from(op.f), Buffer.from(op.v)];
              tryConversion(ks, e, argv, 0, 1);
              assert.equal(setField(ks, e, argv[0]!, argv[1]!), model.has(op.f));
            });
            model.set(op.f, op.v);
          } else if (op.kind === 'del') {
            ks.exec(() => {
              const e = findHash(ks, 0, KEY);
              if (e === 0) return;
              assert.equal(deleteField(ks, e, Buffer.from(op.f)), model.has(op.f));
              if (hashLength(ks, e) === 0) ks.removeEntry(0, e);
            });
            model.delete(op.f);
          } else {
            // many changes (a conversion, segment splits), then a failure: all rolled back
            const enc = (() => {
              const e = ks.exec(() => findHash(ks, 0, KEY, true));
              return e === 0 ? '' : ks.exec(() => hashType.encoding(ks, e));
            })();
            assert.throws(() =>
              ks.exec(() => {
                const e = lookupWriteOrCreate(ks, 0, KEY);
                // deletions first (the last field too: what is appended next lands on its bytes)
                for (const f of [...model.keys()].slice(-2)) deleteField(ks, e, Buffer.from(f));
                for (let i = 0; i < op.n; i++) setField(ks, e, Buffer.from(`tmp${i}`), Buffer.from(String(i)));
                for (const f of [...model.keys()].slice(0, 3)) deleteField(ks, e, Buffer.from(f));
                throw new Error('ERR fail on purpose');
              }),
            );
            const e = ks.exec(() => findHash(ks, 0, KEY, true));
            assert.equal(e === 0 ? '' : ks.exec(() => hashType.encoding(ks, e)), enc);
          }
          assert.deepEqual(ks.exec(() => contents(ks)), model);
          assert.deepEqual(ks.exec(() => checkKeyspace(ks)).errors, []);
        }
        for (const [f, v] of model) assert.equal(ks.exec(() => getValueCopy(ks, findHash(ks, 0, KEY, true), Buffer.from(f)))?.toString('latin1'), v);
      } finally {
        ks.close();
      }
    }),
    { numRuns: 100 },
  );
});
