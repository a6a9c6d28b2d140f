/**
 * A reply sink that builds JavaScript values, shaped as ioredis returns them: bulk strings
 * as strings (utf8) or Buffers, integers as numbers, status replies as strings ('OK'),
 * arrays as arrays, nil as null, error replies as ReplyError objects (the library throws
 * a top-level one). RESP2 by default, as ioredis speaks; after HELLO 3, maps become plain
 * objects, doubles numbers and booleans booleans.
 *
 * What a command writes is recorded as tokens and assembled by take(), so that a partial
 * reply can be dropped (`truncate`) exactly as the socket writer drops bytes.
 */
import { formatDouble } from '../protocol/float.js';
import type { ReplySink } from '../commands/reply.js';

/** An error reply (ioredis's ReplyError: the message is Redis's text). */
export class ReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplyError';
  }
}

/** What a command's reply becomes. */
export type Reply = string | Buffer | number | bigint | boolean | null | ReplyError | Reply[] | { [k: string]: Reply };

const T_VALUE = 0;
const T_ARRAY = 1;
const T_MAP = 2;
/** n attribute pairs, dropped when the reply is assembled (the reply after them is what counts) */
const T_ATTR = 3;

/** Integers beyond 2^53 come back as their exact decimal text (ioredis's stringNumbers). */
function intValue(n: number | bigint): number | string {
  if (typeof n === 'number') return n;
  return n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n.toString();
}

export class ValueSink implements ReplySink {
  resp: 2 | 3 = 2;
  errors = 0;
  onError: ((text: string) => void) | null = null;
  /** Bulk strings as Buffers instead of strings. */
  buffers = false;
  // The tokens written since the last take: kinds[i], vals[i] for i < n. The arrays are
  // kept (and overwritten) across calls: a library call writes one token, and resetting a
  // length per call costs more than the call's reply.
  private kinds: number[] = [];
  private vals: unknown[] = [];
  private n = 0;

  get length(): number {
    return this.n;
  }

  truncate(mark: number): void {
    if (mark < this.n) {
      // drop the references of what is cut (values may be large)
      for (let i = mark; i < this.n; i++) this.vals[i] = undefined;
      this.n = mark;
    }
  }

  private put(v: unknown): void {
    const i = this.n++;
    this.kinds[i] = T_VALUE;
    this.vals[i] = v;
  }

  private token(kind: number, v: number): void {
    const i = this.n++;
    this.kinds[i] = kind;
    this.vals[i] = v;
  }

  /**
   * The replies written since the last take(), assembled (one value per reply), and
   * reset. Usually one reply: take1() is the fast way to get it.
   */
  takeAll(): Reply[] {
    const out: Reply[] = [];
    let i = 0;
    const kinds = this.kinds;
    const vals = this.vals;
    const n = this.n;
    const build = (): Reply => {
      const k = kinds[i]!;
      const v = vals[i++];
      if (k === T_VALUE) return v as Reply;
      const n = v as number;
      if (k === T_ATTR) {
        // out-of-band data (RESP3 attributes): built to skip it, then the reply itself
        for (let j = 0; j < 2 * n; j++) build();
        return build();
      }
      if (k === T_ARRAY) {
        const a: Reply[] = new Array(n);
        for (let j = 0; j < n; j++) a[j] = build();
        return a;
      }
      const o: { [k: string]: Reply } = {};
      for (let j = 0; j < n; j++) {
        const key = build();
        o[Buffer.isBuffer(key) ? key.toString() : String(key)] = build();
      }
      return o;
    };
    while (i < n) out.push(build());
    this.n = 0;
    if (n > 64) {
      // a large reply: let its tokens go
      this.kinds = [];
      this.vals = [];
    } else vals.fill(undefined, 0, n);
    return out;
  }

  /** The one reply written since the last take (the library's calls write exactly one). */
  take1(): Reply {
    if (this.n === 1 && this.kinds[0] === T_VALUE) {
      const v = this.vals[0] as Reply;
      this.vals[0] = undefined;
      this.n = 0;
      return v;
    }
    const all = this.takeAll();
    return all.length === 0 ? null : all[0]!;
  }

  ok(): void {
    this.put('OK');
  }
  pong(): void {
    this.put('PONG');
  }
  queued(): void {
    this.put('QUEUED');
  }
  simple(s: string): void {
    this.put(s);
  }
  error(text: string): void {
    this.errors++;
    this.onError?.(text);
    this.put(new ReplyError(text));
  }
  errorBytes(text: Buffer): void {
    const s = text.toString('latin1');
    this.errors++;
    this.onError?.(s.slice(0, 32));
    this.put(new ReplyError(s));
  }
  integer(n: number | bigint): void {
    this.put(intValue(n));
  }
  bulk(v: Uint8Array | string): void {
    if (typeof v === 'string') this.put(this.buffers ? Buffer.from(v) : v);
    else this.bulkFrom(v, 0, v.length);
  }
  bulkFrom(u8: Uint8Array, off: number, len: number): void {
    // a copy: u8 may be the shared segment (a view would change under the caller)
    if (this.buffers) {
      const b = Buffer.allocUnsafe(len);
      for (let i = 0; i < len; i++) b[i] = u8[off + i]!;
      this.put(b);
    } else this.put(utf8(u8, off, len));
  }
  nullBulk(): void {
    this.put(null);
  }
  nullArray(): void {
    this.put(null);
  }
  array(n: number): void {
    this.token(T_ARRAY, n);
  }
  map(n: number): void {
    if (this.resp === 3) this.token(T_MAP, n);
    else this.array(n * 2);
  }
  set(n: number): void {
    this.array(n);
  }
  push(n: number): void {
    this.array(n);
  }
  /** Attributes are ignored: the library's caller gets the reply they annotate. */
  attribute(n: number): void {
    this.token(T_ATTR, n);
  }
  double(d: number): void {
    if (this.resp === 3) this.put(d);
    else this.bulk(formatDouble(d));
  }
  doubleText(s: string): void {
    if (this.resp === 3) this.put(Number(s));
    else this.bulk(s);
  }
  bool(b: boolean): void {
    this.put(this.resp === 3 ? b : b ? 1 : 0);
  }
  bigNumber(v: string | bigint): void {
    this.put(this.resp === 3 ? BigInt(v) : this.buffers ? Buffer.from(String(v)) : String(v));
  }
  verbatim(text: string | Uint8Array, _format?: string): void {
    this.bulk(text);
  }
}

const utf8Slice = (Buffer.prototype as unknown as { utf8Slice: (this: Uint8Array, start: number, end: number) => string }).utf8Slice;

/** Text of bytes [off, off+len) of u8 (utf8), without an intermediate Buffer. */
function utf8(u8: Uint8Array, off: number, len: number): string {
  if (len <= ASCII_SHORT_MAX) {
    let any = 0;
    for (let i = 0; i < len; i++) any |= u8[off + i]!;
    if (any < 0x80) return asciiShort(u8, off, len);
  }
  return utf8Slice.call(u8, off, off + len);
}

const ASCII_SHORT_MAX = 16;
const F = String.fromCharCode;

/**
 * Up to 16 ASCII bytes as a string: String.fromCharCode with a fixed number of arguments
 * runs in V8's own code, where utf8Slice is a call into Node's C++ (~2x the time for a
 * 16-byte value: a library GET's reply).
 */
function asciiShort(u: Uint8Array, o: number, n: number): string {
  switch (n) {
    case 0:
      return '';
    case 1:
      return F(u[o]);
    case 2:
      return F(u[o], u[o + 1]);
    case 3:
      return F(u[o], u[o + 1], u[o + 2]);
    case 4:
      return F(u[o], u[o + 1], u[o + 2], u[o + 3]);
    case 5:
      return F(u[o], u[o + 1], u[o + 2], u[o + 3], u[o + 4]);
    case 6:
      return F(u[o], u[o + 1], u[o + 2], u[o + 3], u[o + 4], u[o + 5]);
    case 7:
      return F(u[o], u[o + 1], u[o + 2], u[o + 3], u[o + 4], u[o + 5], u[o + 6]);
    case 8:
      return F(u[o], u[o + 1], u[o + 2], u[o + 3], u[o + 4], u[o + 5], u[o + 6], u[o + 7]);
    case 9:
      return F(u[o], u[o + 1], u[o + 2], u[o + 3], u[o + 4], u[o + 5], u[o + 6], u[o + 7], u[o + 8]);
    case 10:
      return F(u[o], u[o + 1], u[o + 2], u[o + 3], u[o + 4], u[o + 5], u[o + 6], u[o + 7], u[o + 8], u[o + 9]);
    case 11:
      return F(u[o], u[o + 1], u[o + 2], u[o + 3], u[o + 4], u[o + 5], u[o + 6], u[o + 7], u[o + 8], u[o + 9], u[o + 10]);
    case 12:
      return F(u[o], u[o + 1], u[o + 2], u[o + 3], u[o + 4], u[o + 5], u[o + 6], u[o + 7], u[o + 8], u[o + 9], u[o + 10], u[o + 11]);
    case 13:
      return F(u[o], u[o + 1], u[o + 2], u[o + 3], u[o + 4], u[o + 5], u[o + 6], u[o + 7], u[o + 8], u[o + 9], u[o + 10], u[o + 11], u[o + 12]);
    case 14:
      return F(u[o], u[o + 1], u[o + 2], u[o + 3], u[o + 4], u[o + 5], u[o + 6], u[o + 7], u[o + 8], u[o + 9], u[o + 10], u[o + 11], u[o + 12], u[o + 13]);
    case 15:
      return F(u[o], u[o + 1], u[o + 2], u[o + 3], u[o + 4], u[o + 5], u[o + 6], u[o + 7], u[o + 8], u[o + 9], u[o + 10], u[o + 11], u[o + 12], u[o + 13], u[o + 14]);
    case 16:
      return F(u[o], u[o + 1], u[o + 2], u[o + 3], u[o + 4], u[o + 5], u[o + 6], u[o + 7], u[o + 8], u[o + 9], u[o + 10], u[o + 11], u[o + 12], u[o + 13], u[o + 14], u[o + 15]);
    default:
      return utf8Slice.call(u, o, o + n);
  }
}
