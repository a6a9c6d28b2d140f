/** Property tests and fuzzing of the request parser. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RequestParser } from '../../src/protocol/parser.js';
import { commandArb, encode, splitAt, chunkBySizes, type GenCommand } from './gen.js';

function parseAll(chunks: Buffer[], reuse = false): { cmds: Buffer[][]; error: string | null; parser: RequestParser } {
  const p = new RequestParser();
  const cmds: Buffer[][] = [];
  const shared = reuse ? Buffer.alloc(Math.max(1, ...chunks.map((c) => c.length))) : null;
  for (const c of chunks) {
    let chunk = c;
    if (shared !== null) {
      shared.fill(0xcc);
      c.copy(shared);
      chunk = shared.subarray(0, c.length);
    }
    p.feed(chunk);
    let a: Buffer[] | null;
    // with a reused buffer, argv must be copied before the next feed (documented contract)
    while ((a = p.next()) !== null) cmds.push(reuse ? a.map((x) => Buffer.from(x)) : a);
  }
  return { cmds, error: p.error, parser: p };
}

const expected = (cmds: GenCommand[]) => cmds.map((c) => c.args.map((a) => Buffer.from(a).toString('latin1')));
const asStrings = (cmds: Buffer[][]) => cmds.map((a) => a.map((x) => x.toString('latin1')));

test('property: any command sequence, any chunking → exactly the same argv sequence', () => {
  fc.assert(
    fc.property(
      fc.array(commandArb, { minLength: 1, maxLength: 40 }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
      fc.boolean(),
      fc.boolean(),
      (cmds, cuts, lf, reuse) => {
        const data = Buffer.concat(cmds.map((c) => encode(c, lf ? '\n' : '\r\n')));
        const r = parseAll(splitAt(data, cuts), reuse);
        assert.equal(r.error, null);
        assert.deepEqual(asStrings(r.cmds), expected(cmds));
        assert.equal(r.parser.bufferedBytes(), 0);
      },
    ),
    { numRuns: 400 },
  );
});

test('property: small random chunk sizes (every boundary kind) → same argv sequence', () => {
  fc.assert(
    fc.property(
      fc.array(commandArb, { minLength: 1, maxLength: 20 }),
      fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 7 }),
      fc.boolean(),
      (cmds, sizes, reuse) => {
        const data = Buffer.concat(cmds.map((c) => encode(c)));
        const r = parseAll(chunkBySizes(data, sizes), reuse);
        assert.equal(r.error, null);
        assert.deepEqual(asStrings(r.cmds), expected(cmds));
      },
    ),
    { numRuns: 400 },
  );
});

test('property: byte-by-byte feeding equals whole feeding', () => {
  fc.assert(
    fc.property(fc.array(commandArb, { minLength: 1, maxLength: 8 }), (cmds) => {
      const data = Buffer.concat(cmds.map((c) => encode(c)));
      const bytes: Buffer[] = [];
      for (let i = 0; i < data.length; i++) bytes.push(data.subarray(i, i + 1));
      assert.deepEqual(asStrings(parseAll(bytes, true).cmds), expected(cmds));
    }),
    { numRuns: 100 },
  );
});

test('property: large arguments (up to 200 KB) split anywhere', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 200_000 }), { minLength: 1, maxLength: 4 }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 20 }),
      (sizes, cuts) => {
        const args = sizes.map((n, i) => {
          const b = Buffer.allocUnsafe(n);
          for (let j = 0; j < n; j++) b[j] = (j * 7 + i) & 0xff;
          return Uint8Array.from(b);
        });
        const cmds: GenCommand[] = [{ args, enc: 'multibulk' }, { args: [Uint8Array.from([80])], enc: 'inline' }];
        const data = Buffer.concat(cmds.map((c) => encode(c)));
        const r = parseAll(splitAt(data, cuts));
        assert.equal(r.error, null);
        assert.equal(r.cmds.length, 2);
        r.cmds[0].forEach((a, i) => assert.ok(a.equals(args[i])));
      },
    ),
    { numRuns: 40 },
  );
});

/** Feed hostile bytes; the parser must not throw and must stay within memory bounds. */
function fuzzOnce(data: Buffer, cuts: number[]): void {
  const p = new RequestParser();
  let fed = 0;
  let sawError = false;
  for (const c of splitAt(data, cuts)) {
    fed += c.length;
    p.feed(c);
    let a: Buffer[] | null;
    while ((a = p.next()) !== null) {
      assert.ok(!sawError, 'command after an error');
      assert.ok(a.length > 0);
    }
    if (p.error !== null) {
      sawError = true;
      assert.match(p.error, /^ERR Protocol error: /);
    }
    assert.ok(p.bufferedBytes() <= fed, `buffered ${p.bufferedBytes()} > fed ${fed}`);
    const cap = (p as unknown as { pend: Buffer }).pend.length;
    assert.ok(cap <= 2 * fed + 512, `pending capacity ${cap} for ${fed} fed`);
  }
}

test('fuzz: random bytes never throw, memory bounded by what was fed', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 600 }),
        fc.array(fc.constantFrom(...Buffer.from('*$\r\n0123456789-+ "\'\\x\0aA')), { maxLength: 600 }).map((a) => Buffer.from(a)),
      ),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 10 }),
      (bytes, cuts) => fuzzOnce(Buffer.from(bytes), cuts),
    ),
    { numRuns: 2000 },
  );
});

test('fuzz: mutated valid streams (flip / insert / delete / huge lengths) never throw', () => {
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), n: fc.integer({ min: 1, max: 8 }) }),
    fc.record({
      kind: fc.constant('length' as const),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      text: fc.constantFrom('*2147483647', '$536870912', '*99999999999999999999', '$-1', '$9223372036854775807', '*-9223372036854775808', '$16384'),
    }),
  );
  fc.assert(
    fc.property(
      fc.array(commandArb, { minLength: 1, maxLength: 10 }),
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
      (cmds, muts, cuts) => {
        let d = Buffer.concat(cmds.map((c) => encode(c)));
        for (const m of muts) {
          const at = Math.floor(m.at * d.length);
          if (m.kind === 'flip') {
            if (d.length) d[Math.min(at, d.length - 1)] = m.byte;
          } else if (m.kind === 'insert') d = Buffer.concat([d.subarray(0, at), Buffer.from(m.bytes), d.subarray(at)]);
          else if (m.kind === 'delete') d = Buffer.concat([d.subarray(0, at), d.subarray(at + m.n)]);
          else {
            // replace the header line starting at the next '*' or '$' with a hostile length
            const i = d.indexOf(m.text[0], at);
            if (i >= 0) {
              const e = d.indexOf('\r', i);
              if (e >= 0) d = Buffer.concat([d.subarray(0, i), Buffer.from(m.text), d.subarray(e)]);
            }
          }
        }
        fuzzOnce(d, cuts);
      },
    ),
    { numRuns: 2000 },
  );
});

test('fuzz: long inline lines and headers without terminators stay bounded', () => {
  for (const prefix of ['', '*', '*1\r\n$', 'PING\0']) {
    const p = new RequestParser();
    p.feed(Buffer.from(prefix));
    let fed = prefix.length;
    for (let i = 0; i < 100 && p.error === null; i++) {
      p.feed(Buffer.alloc(1000, 0x31));
      fed += 1000;
      assert.equal(p.next(), null);
      assert.ok(p.bufferedBytes() <= 65536 + 1000);
    }
    assert.ok(p.error !== null && /too big/.test(p.error), `${JSON.stringify(prefix)}: ${p.error}`);
    assert.ok(fed <= 66_000 + prefix.length);
  }
});
