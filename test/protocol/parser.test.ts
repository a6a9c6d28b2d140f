import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestParser, splitArgs } from '../../src/protocol/parser.js';
import { CASES, runParser } from './cases.js';

const B = (s: string) => Buffer.from(s, 'latin1');
const P = 'ERR Protocol error: ';

function splits(data: Buffer, at: number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const a of at) {
    out.push(data.subarray(prev, a));
    prev = a;
  }
  out.push(data.subarray(prev));
  return out;
}

test('cases: whole, byte by byte and every two-way split give the same result', () => {
  for (const c of CASES) {
    const whole = runParser(c.chunks);
    assert.deepEqual(whole.cmds, c.cmds, c.name);
    assert.equal(whole.error, c.error, c.name);
    if (c.chunking) continue;
    const data = Buffer.concat(c.chunks);
    const bytes = runParser(splits(data, Array.from({ length: data.length - 1 }, (_, i) => i + 1)));
    assert.deepEqual(bytes.cmds, c.cmds, c.name + ' (byte by byte)');
    assert.equal(bytes.error, c.error, c.name + ' (byte by byte)');
    const step = data.length > 2000 ? Math.ceil(data.length / 300) : 1;
    for (let i = 1; i < data.length; i += step) {
      const r = runParser([data.subarray(0, i), data.subarray(i)]);
      assert.deepEqual(r.cmds, c.cmds, `${c.name} (split at ${i})`);
      assert.equal(r.error, c.error, `${c.name} (split at ${i})`);
    }
  }
});

test('arguments complete inside a chunk are slices of it (no copy); a multibulk command name is a Buffer of its own, the same for every command', () => {
  const chunk = B('*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\nGET key\r\n');
  const p = new RequestParser();
  p.feed(chunk);
  const a = p.next()!;
  assert.deepEqual(a.map(String), ['SET', 'key', 'value']);
  assert.notEqual(a[0].buffer, chunk.buffer);
  for (const x of a.slice(1)) assert.equal(x.buffer, chunk.buffer);
  assert.equal(a[2].byteOffset - chunk.byteOffset, chunk.indexOf('value'));
  const again = new RequestParser();
  again.feed(B('*2\r\n$3\r\nSET\r\n$1\r\nx\r\n'));
  assert.equal(again.next()![0], a[0]);
  const b = p.next()!;
  assert.deepEqual(b.map(String), ['GET', 'key']);
  assert.equal(b[1].buffer, chunk.buffer);
  assert.equal(p.next(), null);
  assert.equal(p.bufferedBytes(), 0);
});

test('a command name remembered from a reused read buffer keeps its bytes; a partial command holds the bytes a view would', () => {
  const shared = Buffer.alloc(64);
  const p = new RequestParser();
  const put = (s: string): Buffer => {
    shared.fill(0x7e);
    shared.write(s, 'latin1');
    return shared.subarray(0, s.length);
  };
  p.feed(put('*2\r\n$7\r\nNAMEONE\r\n$1\r\na\r\n'));
  const first = p.next()!;
  assert.equal(p.next(), null);
  // a partial command whose name is the remembered one: held as a view would be
  const part = '*3\r\n$7\r\nNAMEONE\r\n$1\r\nb\r\n$3\r\nx';
  p.feed(put(part));
  assert.equal(p.next(), null);
  // (the name to the end of the last whole argument, as views are copied, and the partial 'x')
  assert.equal(p.bufferedBytes(), 'NAMEONE\r\n$1\r\nb'.length + 'x'.length);
  p.feed(put('yz\r\n'));
  const second = p.next()!;
  assert.deepEqual(second.map(String), ['NAMEONE', 'b', 'xyz']);
  assert.equal(second[0], first[0]);
  assert.equal(String(first[0]), 'NAMEONE');
  assert.equal(p.bufferedBytes(), 0);
});

test('a reused read buffer (onread style) never corrupts partial commands', () => {
  const stream = B(
    '*3\r\n$3\r\nSET\r\n$10\r\n0123456789\r\n$20\r\nabcdefghijklmnopqrst\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\nECHO "quoted arg"\r\n',
  );
  for (let size = 1; size <= 17; size++) {
    const shared = Buffer.alloc(size);
    const p = new RequestParser();
    const got: string[][] = [];
    for (let off = 0; off < stream.length; off += size) {
      const n = Math.min(size, stream.length - off);
      shared.fill(0xee); // the previous read's bytes are gone
      stream.copy(shared, 0, off, off + n);
      p.feed(shared.subarray(0, n));
      let a: Buffer[] | null;
      while ((a = p.next()) !== null) got.push(a.map((x) => x.toString('latin1')));
    }
    assert.deepEqual(
      got,
      [['SET', '0123456789', 'abcdefghijklmnopqrst'], ['PING'], ['ECHO', 'hello'], ['ECHO', 'quoted arg']],
      `read size ${size}`,
    );
    assert.equal(p.error, null);
  }
});

test('one chunk with hundreds of pipelined commands', () => {
  const parts: string[] = [];
  for (let i = 0; i < 500; i++) parts.push(`*3\r\n$3\r\nSET\r\n$${String(i).length + 4}\r\nkey:${i}\r\n$1\r\nv\r\n`);
  const r = runParser([B(parts.join(''))]);
  assert.equal(r.cmds.length, 500);
  assert.deepEqual(r.cmds[499], ['SET', 'key:499', 'v']);
});

test('a big bulk split into many chunks: content exact, memory bounded by what arrived', () => {
  const size = 5 * 1024 * 1024 + 7;
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = (i * 31 + 7) & 0xff;
  const data = Buffer.concat([B(`*2\r\n$4\r\nECHO\r\n$${size}\r\n`), payload, B('\r\nPING\r\n')]);
  const p = new RequestParser();
  const got: Buffer[][] = [];
  let fed = 0;
  for (let off = 0; off < data.length; off += 65536) {
    const c = data.subarray(off, off + 65536);
    fed += c.length;
    p.feed(c);
    let a: Buffer[] | null;
    while ((a = p.next()) !== null) got.push(a);
    assert.ok(p.bufferedBytes() <= fed);
    const cap = (p as unknown as { pend: Buffer }).pend.length;
    assert.ok(cap <= 2 * fed + 1024, `capacity ${cap} for ${fed} fed`);
  }
  assert.equal(got.length, 2);
  assert.equal(got[0][1].length, size);
  assert.ok(got[0][1].equals(payload));
  assert.deepEqual(got[1].map(String), ['PING']);
});

test('a huge announced bulk length only costs what arrives', () => {
  const p = new RequestParser();
  p.feed(B('*2\r\n$3\r\nSET\r\n$536870912\r\n'));
  assert.equal(p.next(), null);
  let fed = 0;
  for (let i = 0; i < 16; i++) {
    p.feed(Buffer.alloc(65536, 1));
    fed += 65536;
    assert.equal(p.next(), null);
  }
  assert.equal(p.error, null);
  assert.ok(p.bufferedBytes() <= fed + 16);
  const cap = (p as unknown as { pend: Buffer }).pend.length;
  assert.ok(cap <= 2 * fed, `capacity ${cap}`);
});

test('a huge announced multibulk count only costs what arrives', () => {
  const p = new RequestParser();
  p.feed(B('*2147483647\r\n'));
  assert.equal(p.next(), null);
  const chunk = B('$0\r\n\r\n'.repeat(1000));
  for (let i = 0; i < 10; i++) {
    p.feed(chunk);
    assert.equal(p.next(), null);
  }
  assert.equal(p.error, null);
  assert.equal((p as unknown as { argv: Buffer[] }).argv.length, 10000);
});

test('authRequired limits (unauthenticated multibulk / bulk length)', () => {
  assert.equal(runParser([B('*11\r\n')], { authRequired: true }).error, P + 'unauthenticated multibulk length');
  assert.equal(runParser([B('*10\r\n')], { authRequired: true }).error, null);
  assert.equal(runParser([B('*1\r\n$16385\r\n')], { authRequired: true }).error, P + 'unauthenticated bulk length');
  assert.equal(runParser([B('*1\r\n$16384\r\n')], { authRequired: true }).error, null);
  // slow paths (header split across chunks)
  assert.equal(runParser([B('*1'), B('1\r\n')], { authRequired: true }).error, P + 'unauthenticated multibulk length');
  assert.equal(runParser([B('*1\r\n$163'), B('85\r\n')], { authRequired: true }).error, P + 'unauthenticated bulk length');
  // invalid beats unauthenticated
  assert.equal(runParser([B('*2147483648\r\n')], { authRequired: true }).error, P + 'invalid multibulk length');
});

test('maxBulkLen (proto-max-bulk-len) is configurable', () => {
  assert.equal(runParser([B('*1\r\n$11\r\n')], { maxBulkLen: 10 }).error, P + 'invalid bulk length');
  assert.deepEqual(runParser([B('*1\r\n$10\r\n0123456789\r\n')], { maxBulkLen: 10 }).cmds, [['0123456789']]);
  const p = new RequestParser();
  p.maxBulkLen = 3;
  p.feed(B('*1\r\n$4\r\nPING\r\n'));
  assert.equal(p.next(), null);
  assert.equal(p.error, P + 'invalid bulk length');
});

test('after an error nothing more is parsed; errorReply gives the bytes', () => {
  const p = new RequestParser();
  p.feed(B('PING\r\n*1\r\n\xe9\r\nPING\r\n'));
  assert.deepEqual(p.next()!.map(String), ['PING']);
  assert.equal(p.next(), null);
  assert.equal(p.error, P + "expected '$', got '\xe9'");
  assert.ok(p.errorReply()!.equals(B("-ERR Protocol error: expected '$', got '\xe9'\r\n")));
  p.feed(B('PING\r\n'));
  assert.equal(p.next(), null);
  p.reset();
  p.feed(B('PING\r\n'));
  assert.deepEqual(p.next()!.map(String), ['PING']);
});

test('feed() without draining keeps the unconsumed commands; retain() detaches them', () => {
  const p = new RequestParser();
  const chunk = B('PING\r\nECHO a\r\n*1\r\n$4\r\nPI');
  p.feed(chunk);
  assert.deepEqual(p.next()!.map(String), ['PING']);
  p.retain();
  chunk.fill(0);
  p.feed(B('NG\r\n'));
  assert.deepEqual(p.next()!.map(String), ['ECHO', 'a']);
  assert.deepEqual(p.next()!.map(String), ['PING']);
  assert.equal(p.next(), null);
  assert.equal(p.bufferedBytes(), 0);
});

test('splitArgs (sdssplitargs) details', () => {
  const s = (x: string) => {
    const b = B(x);
    const r = splitArgs(b, 0, b.length);
    return r === null ? null : r.map((a) => a.toString('latin1'));
  };
  assert.deepEqual(s(''), []);
  assert.deepEqual(s(' \t\x0b\x0c '), []);
  assert.deepEqual(s('a b'), ['a', 'b']);
  assert.deepEqual(s('"\\x41\\x4g"'), ['A' + 'x4g']);
  assert.deepEqual(s('"a\\"b"'), ['a"b']);
  assert.deepEqual(s("'a\\nb'"), ['a\\nb']);
  assert.deepEqual(s("'a\\''"), ["a'"]);
  assert.deepEqual(s('a"b"'), ['ab']);
  assert.deepEqual(s('a"b" c'), ['ab', 'c']);
  assert.deepEqual(s('""'), ['']);
  assert.deepEqual(s("''"), ['']);
  assert.deepEqual(s('"a"\x0c'), ['a']);
  assert.equal(s('"a'), null);
  assert.equal(s("'a"), null);
  assert.equal(s('"a"b'), null);
  assert.equal(s("'a'b"), null);
  assert.equal(s('"\\'), null);
});
