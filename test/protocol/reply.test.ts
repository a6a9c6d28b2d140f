import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplyWriter, R } from '../../src/protocol/reply.js';

function bytes(resp: 2 | 3, f: (w: ReplyWriter) => void): string {
  const w = new ReplyWriter(resp, 64);
  f(w);
  const b = w.take();
  return b === null ? '' : b.toString('latin1');
}

const both = (f: (w: ReplyWriter) => void): [string, string] => [bytes(2, f), bytes(3, f)];

test('every reply type, RESP2 and RESP3, byte for byte', () => {
  const table: [string, (w: ReplyWriter) => void, string, string][] = [
    ['ok', (w) => w.ok(), '+OK\r\n', '+OK\r\n'],
    ['pong', (w) => w.pong(), '+PONG\r\n', '+PONG\r\n'],
    ['queued', (w) => w.queued(), '+QUEUED\r\n', '+QUEUED\r\n'],
    ['simple', (w) => w.simple('background saving started'), '+background saving started\r\n', '+background saving started\r\n'],
    ['error', (w) => w.error('ERR syntax error'), '-ERR syntax error\r\n', '-ERR syntax error\r\n'],
    ['wrongtype', (w) => w.error('WRONGTYPE Operation against a key holding the wrong kind of value'), '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n', '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n'],
    ['error CRLF sanitized', (w) => w.error('ERR a\r\nb'), '-ERR a  b\r\n', '-ERR a  b\r\n'],
    ['integer 0', (w) => w.integer(0), ':0\r\n', ':0\r\n'],
    ['integer -1', (w) => w.integer(-1), ':-1\r\n', ':-1\r\n'],
    ['integer 1024', (w) => w.integer(1024), ':1024\r\n', ':1024\r\n'],
    ['integer 1025', (w) => w.integer(1025), ':1025\r\n', ':1025\r\n'],
    ['integer -123456789', (w) => w.integer(-123456789), ':-123456789\r\n', ':-123456789\r\n'],
    ['integer 2^32', (w) => w.integer(4294967296), ':4294967296\r\n', ':4294967296\r\n'],
    ['integer max safe', (w) => w.integer(Number.MAX_SAFE_INTEGER), ':9007199254740991\r\n', ':9007199254740991\r\n'],
    ['integer int64 max', (w) => w.integer(9223372036854775807n), ':9223372036854775807\r\n', ':9223372036854775807\r\n'],
    ['integer int64 min', (w) => w.integer(-9223372036854775808n), ':-9223372036854775808\r\n', ':-9223372036854775808\r\n'],
    ['bulk buffer', (w) => w.bulk(Buffer.from('a\r\nb\0')), '$5\r\na\r\nb\0\r\n', '$5\r\na\r\nb\0\r\n'],
    ['bulk string ascii', (w) => w.bulk('hello'), '$5\r\nhello\r\n', '$5\r\nhello\r\n'],
    ['bulk string utf8', (w) => w.bulk('héllo€'), '$9\r\nh\xc3\xa9llo\xe2\x82\xac\r\n', '$9\r\nh\xc3\xa9llo\xe2\x82\xac\r\n'],
    ['bulk empty', (w) => w.bulk(''), '$0\r\n\r\n', '$0\r\n\r\n'],
    ['bulkFrom', (w) => w.bulkFrom(Uint8Array.from([1, 2, 3, 4, 5]), 1, 3), '$3\r\n\x02\x03\x04\r\n', '$3\r\n\x02\x03\x04\r\n'],
    ['null bulk', (w) => w.nullBulk(), '$-1\r\n', '_\r\n'],
    ['null array', (w) => w.nullArray(), '*-1\r\n', '_\r\n'],
    ['array', (w) => w.array(3), '*3\r\n', '*3\r\n'],
    ['empty array', (w) => w.array(0), '*0\r\n', '*0\r\n'],
    ['map', (w) => w.map(2), '*4\r\n', '%2\r\n'],
    ['set', (w) => w.set(5), '*5\r\n', '~5\r\n'],
    ['push', (w) => w.push(3), '*3\r\n', '>3\r\n'],
    ['double', (w) => w.double(0.1), '$19\r\n0.10000000000000001\r\n', ',0.10000000000000001\r\n'],
    ['double int', (w) => w.double(3), '$1\r\n3\r\n', ',3\r\n'],
    ['double inf', (w) => w.double(Infinity), '$3\r\ninf\r\n', ',inf\r\n'],
    ['double -inf', (w) => w.double(-Infinity), '$4\r\n-inf\r\n', ',-inf\r\n'],
    ['double nan', (w) => w.double(NaN), '$3\r\nnan\r\n', ',nan\r\n'],
    ['double exp', (w) => w.double(1.5e-5), '$7\r\n1.5e-05\r\n', ',1.5e-05\r\n'],
    ['doubleText', (w) => w.doubleText('0.3'), '$3\r\n0.3\r\n', ',0.3\r\n'],
    ['bool true', (w) => w.bool(true), ':1\r\n', '#t\r\n'],
    ['bool false', (w) => w.bool(false), ':0\r\n', '#f\r\n'],
    ['big number', (w) => w.bigNumber(12345678901234567890n), '$20\r\n12345678901234567890\r\n', '(12345678901234567890\r\n'],
    ['big number string', (w) => w.bigNumber('-1'), '$2\r\n-1\r\n', '(-1\r\n'],
    ['verbatim', (w) => w.verbatim('line1\nline2'), '$11\r\nline1\nline2\r\n', '=15\r\ntxt:line1\nline2\r\n'],
    ['verbatim mkd', (w) => w.verbatim(Buffer.from('# x'), 'mkd'), '$3\r\n# x\r\n', '=7\r\nmkd:# x\r\n'],
    ['raw', (w) => w.raw(R.EMPTY_BULK), '$0\r\n\r\n', '$0\r\n\r\n'],
  ];
  for (const [name, f, r2, r3] of table) {
    assert.deepEqual(both(f), [r2, r3], name);
  }
});

test('a nested reply (HGETALL-like map, ZRANGE WITHSCORES) in both protocols', () => {
  const f = (w: ReplyWriter) => {
    w.map(2);
    w.bulk('f1');
    w.bulk('v1');
    w.bulk('f2');
    w.nullBulk();
    w.array(2);
    w.bulk('m');
    w.double(1.5);
  };
  assert.deepEqual(both(f), [
    '*4\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$-1\r\n*2\r\n$1\r\nm\r\n$3\r\n1.5\r\n',
    '%2\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n_\r\n*2\r\n$1\r\nm\r\n,1.5\r\n',
  ]);
});

test('resp can change between replies (HELLO)', () => {
  const w = new ReplyWriter();
  w.nullBulk();
  w.resp = 3;
  w.nullBulk();
  assert.equal(w.take()!.toString(), '$-1\r\n_\r\n');
});

test('take(): null when empty, resets, returned bytes are never overwritten', () => {
  const w = new ReplyWriter(2, 16);
  assert.equal(w.take(), null);
  w.ok();
  assert.equal(w.length, 5);
  const a = w.take()!;
  assert.equal(w.length, 0);
  w.pong();
  assert.equal(a.toString(), '+OK\r\n');
  const big = Buffer.alloc(10000, 0x61);
  w.bulk(big);
  const b = w.take()!;
  w.bulk('zzzz');
  w.bulk(big);
  assert.equal(b.length, 7 + 8 + 10000 + 2);
  assert.ok(b.subarray(0, 7).equals(Buffer.from('+PONG\r\n')));
  assert.ok(b.subarray(7, 15).equals(Buffer.from('$10000\r\n')));
  assert.ok(b.subarray(15, 10015).equals(big));
  const c = w.take()!;
  assert.equal(c.toString('latin1', 0, 10), '$4\r\nzzzz\r\n');
  assert.equal(c.length, 10 + 8 + 10000 + 2);
});

test('growth: many replies in one buffer', () => {
  const w = new ReplyWriter(2, 8);
  let expect = '';
  for (let i = 0; i < 5000; i++) {
    w.integer(i * 977 - 1000);
    w.bulk('k' + i);
    expect += `:${i * 977 - 1000}\r\n$${String(i).length + 1}\r\nk${i}\r\n`;
  }
  assert.equal(w.take()!.toString(), expect);
});

test('bulkFrom copies out of a SharedArrayBuffer view', () => {
  const sab = new SharedArrayBuffer(1 << 16);
  const u8 = new Uint8Array(sab);
  for (let i = 0; i < u8.length; i++) u8[i] = i & 0xff;
  const w = new ReplyWriter();
  w.bulkFrom(u8, 1000, 5);
  w.bulkFrom(u8, 300, 1000);
  const out = w.take()!;
  assert.ok(out.subarray(0, 4).equals(Buffer.from('$5\r\n')));
  assert.ok(out.subarray(4, 9).equals(Buffer.from(u8.subarray(1000, 1005))));
  assert.ok(out.subarray(11, 18).equals(Buffer.from('$1000\r\n')));
  assert.ok(out.subarray(18, 1018).equals(Buffer.from(u8.subarray(300, 1300))));
  assert.ok(out.subarray(1018).equals(Buffer.from('\r\n')));
});

test('static replies', () => {
  assert.equal(R.OK.toString(), '+OK\r\n');
  assert.equal(R.NULL_BULK.toString(), '$-1\r\n');
  assert.equal(R.EMPTY_ARRAY.toString(), '*0\r\n');
  assert.equal(R.NULL3.toString(), '_\r\n');
});
