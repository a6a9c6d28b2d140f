/**
 * Protocol micro-benchmarks: request parsing and reply writing throughput.
 * Run: npx tsc -p . && node dist/bench/protocol.bench.js   (prints, asserts nothing)
 */
import { RequestParser } from '../src/protocol/parser.js';
import { ReplyWriter } from '../src/protocol/reply.js';

const RUN_MS = Number(process.env.BENCH_MS ?? 600);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

function encodeSet(i: number): string {
  const key = 'key:' + String(i).padStart(12, '0');
  const val = 'xxxxxxxxxx'; // 10 bytes, like redis-benchmark -d 10 would be 3
  return `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${val.length}\r\n${val}\r\n`;
}

function chunks(perChunk: number, count: number): Buffer[] {
  const out: Buffer[] = [];
  let k = 0;
  for (let c = 0; c < count; c++) {
    let s = '';
    for (let i = 0; i < perChunk; i++) s += encodeSet(k++ % 100000);
    out.push(Buffer.from(s));
  }
  return out;
}

/** A stream of pipelined commands cut into 64 KB reads (commands split at read boundaries). */
function bigReads(total: number): { reads: Buffer[]; commands: number } {
  let s = '';
  for (let i = 0; i < total; i++) s += encodeSet(i);
  const all = Buffer.from(s);
  const reads: Buffer[] = [];
  for (let p = 0; p < all.length; p += 65536) reads.push(all.subarray(p, p + 65536));
  return { reads, commands: total };
}

function measure(name: string, unit: string, fn: () => number): void {
  // warm up
  const t0 = Date.now();
  while (Date.now() - t0 < 200) fn();
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let ops = 0;
    const start = process.hrtime.bigint();
    const end = start + BigInt(RUN_MS) * 1000000n;
    let now = start;
    while (now < end) {
      ops += fn();
      now = process.hrtime.bigint();
    }
    rates.push(ops / (Number(now - start) / 1e9));
  }
  rates.sort((a, b) => a - b);
  const med = rates[Math.floor(rates.length / 2)];
  const fmt = (x: number) => (x >= 1e6 ? (x / 1e6).toFixed(2) + 'M' : (x / 1e3).toFixed(0) + 'k');
  console.log(
    `${name.padEnd(58)} ${fmt(med).padStart(8)} ${unit}/s  (min ${fmt(rates[0])}, max ${fmt(rates[rates.length - 1])}; ${(1e9 / med).toFixed(0)} ns/${unit})`,
  );
}

function parseBench(name: string, data: Buffer[], cmdsPerChunk: number): void {
  const p = new RequestParser();
  let i = 0;
  let sink = 0;
  measure(name, 'cmd', () => {
    let n = 0;
    for (let k = 0; k < 64; k++) {
      p.feed(data[i]);
      i = (i + 1) % data.length;
      let a: Buffer[] | null;
      while ((a = p.next()) !== null) {
        sink += a.length;
        n++;
      }
    }
    return n;
  });
  if (sink === 0 || p.error) throw new Error('benchmark parsed nothing');
  void cmdsPerChunk;
}

console.log(`node ${process.version}, ${ROUNDS} rounds of ${RUN_MS} ms, median shown`);
console.log('--- request parser (SET key:NNNNNNNNNNNN xxxxxxxxxx, argv as Buffer slices) ---');
parseBench('parse: 16 commands per chunk', chunks(16, 1024), 16);
parseBench('parse: 1 command per chunk', chunks(1, 4096), 1);
{
  const { reads } = bigReads(20000);
  const p = new RequestParser();
  let sink = 0;
  measure('parse: 64 KB reads, commands split across reads', 'cmd', () => {
    let n = 0;
    for (const r of reads) {
      p.feed(r);
      let a: Buffer[] | null;
      while ((a = p.next()) !== null) {
        sink += a.length;
        n++;
      }
    }
    return n;
  });
  void sink;
}
{
  const lines = Buffer.from('SET key:000000000001 xxxxxxxxxx\r\n'.repeat(16));
  const p = new RequestParser();
  measure('parse: inline, 16 commands per chunk', 'cmd', () => {
    let n = 0;
    for (let k = 0; k < 64; k++) {
      p.feed(lines);
      while (p.next() !== null) n++;
    }
    return n;
  });
}

console.log('--- reply writer (16 replies per take(), as one read event of -P 16) ---');
{
  const w = new ReplyWriter();
  let bytes = 0;
  measure('writer: +OK x16 + take()', 'reply', () => {
    for (let r = 0; r < 64; r++) {
      for (let i = 0; i < 16; i++) w.ok();
      bytes += w.take()!.length;
    }
    return 64 * 16;
  });
}
{
  const w = new ReplyWriter();
  const sab = new SharedArrayBuffer(1 << 20);
  const u8 = new Uint8Array(sab);
  u8.fill(0x78);
  let off = 0;
  measure('writer: bulkFrom(shared memory, 10 B) x16 + take()', 'reply', () => {
    for (let r = 0; r < 64; r++) {
      for (let i = 0; i < 16; i++) {
        w.bulkFrom(u8, off, 10);
        off = (off + 4099) & 0xfffff;
        if (off > (1 << 20) - 16) off = 0;
      }
      w.take();
    }
    return 64 * 16;
  });
}
{
  const w = new ReplyWriter();
  const v = Buffer.alloc(100, 0x61);
  measure('writer: bulk(Buffer 100 B) x16 + take()', 'reply', () => {
    for (let r = 0; r < 64; r++) {
      for (let i = 0; i < 16; i++) w.bulk(v);
      w.take();
    }
    return 64 * 16;
  });
}
{
  const w = new ReplyWriter();
  let k = 0;
  measure('writer: integer(n) x16 + take()', 'reply', () => {
    for (let r = 0; r < 64; r++) {
      for (let i = 0; i < 16; i++) w.integer(k++);
      w.take();
    }
    return 64 * 16;
  });
}
{
  const w = new ReplyWriter();
  measure('writer: bulkString("value:12345") x16 + take()', 'reply', () => {
    for (let r = 0; r < 64; r++) {
      for (let i = 0; i < 16; i++) w.bulkString('value:12345');
      w.take();
    }
    return 64 * 16;
  });
}
{
  const w = new ReplyWriter(3);
  let x = 0.1;
  measure('writer: double (RESP3, %.17g) x16 + take()', 'reply', () => {
    for (let r = 0; r < 64; r++) {
      for (let i = 0; i < 16; i++) w.double((x += 1.37));
      w.take();
    }
    return 64 * 16;
  });
}

console.log('--- take() strategies for a 16-reply output (~80 B) and a 64 KB output ---');
for (const size of [80, 65536]) {
  const src = Buffer.alloc(size, 1);
  let keep = Buffer.allocUnsafe(Math.max(16384, size));
  src.copy(keep);
  measure(`take by copy into a new Buffer (${size} B)`, 'take', () => {
    for (let i = 0; i < 256; i++) {
      const out = Buffer.allocUnsafe(size);
      keep.copy(out, 0, 0, size);
    }
    return 256;
  });
  measure(`take by handing the buffer over + allocUnsafe(16 KB) (${size} B)`, 'take', () => {
    for (let i = 0; i < 256; i++) {
      const out = keep.subarray(0, size);
      keep = Buffer.allocUnsafe(Math.max(16384, size));
      void out;
    }
    return 256;
  });
}
