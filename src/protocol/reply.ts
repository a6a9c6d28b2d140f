/**
 * RESP reply writer: appends replies of one client into one growing Buffer, so that all the
 * replies produced for one read event go out in a single `socket.write(writer.take())`.
 *
 * The protocol version is per client (`resp`, 2 or 3; HELLO changes it). Each method writes
 * the RESP3 type when `resp === 3` and Redis's RESP2 fallback otherwise:
 *
 *   | method            | RESP3                 | RESP2                   |
 *   |-------------------|-----------------------|-------------------------|
 *   | nullBulk()        | `_`                   | `$-1`                   |
 *   | nullArray()       | `_`                   | `*-1`                   |
 *   | map(n)            | `%n`                  | `*2n`                   |
 *   | set(n)            | `~n`                  | `*n`                    |
 *   | push(n)           | `>n`                  | `*n`                    |
 *   | attribute(n)      | `|n`                  | (RESP3 only: throws)    |
 *   | double(d)         | `,<%.17g>`            | bulk `%.17g`            |
 *   | bool(b)           | `#t` / `#f`           | `:1` / `:0`             |
 *   | bigNumber(s)      | `(s`                  | bulk s                  |
 *   | verbatim(t, fmt)  | `=len fmt:t`          | bulk t                  |
 *
 * `take()` returns the bytes to write and resets the writer. Small outputs (< 4 KB) are
 * copied into a pooled Buffer and the writer keeps its big buffer; larger ones hand the
 * buffer itself over (no copy) and a fresh one is allocated for the next replies.
 */

import { digitCount, writeUint } from './numbers.js';
import { formatDouble } from './float.js';
import { native } from '../shm/native.js';

export { formatDouble, formatLongDouble, parseRedisDouble, parseRedisLongDouble, incrByFloat, LongDouble } from './float.js';
export { parseRedisInt } from './numbers.js';

/** Common replies as static bytes. */
export const R = {
  OK: Buffer.from('+OK\r\n'),
  PONG: Buffer.from('+PONG\r\n'),
  QUEUED: Buffer.from('+QUEUED\r\n'),
  ZERO: Buffer.from(':0\r\n'),
  ONE: Buffer.from(':1\r\n'),
  MINUS_ONE: Buffer.from(':-1\r\n'),
  MINUS_TWO: Buffer.from(':-2\r\n'),
  NULL_BULK: Buffer.from('$-1\r\n'),
  NULL_ARRAY: Buffer.from('*-1\r\n'),
  NULL3: Buffer.from('_\r\n'),
  EMPTY_ARRAY: Buffer.from('*0\r\n'),
  EMPTY_BULK: Buffer.from('$0\r\n\r\n'),
  EMPTY_MAP3: Buffer.from('%0\r\n'),
  EMPTY_SET3: Buffer.from('~0\r\n'),
  TRUE3: Buffer.from('#t\r\n'),
  FALSE3: Buffer.from('#f\r\n'),
} as const;

/** Pre-encoded ":n\r\n" for small integers. */
const SMALL_INTS: Buffer[] = [];
for (let i = -1; i <= 1024; i++) SMALL_INTS.push(Buffer.from(':' + i + '\r\n'));
/** Pre-encoded "$n\r\n" / "*n\r\n" headers are written by hand; nothing to cache. */

const INITIAL_SIZE = 16 * 1024;
/** below this, take() copies into a pooled Buffer and keeps the writer's buffer */
const COPY_LIMIT = 4096;

export class ReplyWriter {
  /** protocol version of the client: 2 or 3 */
  resp: 2 | 3;
  private buf: Buffer;
  private len = 0;
  private readonly initial: number;
  /** Bytes to go out before the buffer, in order, not copied (bulkParts); null when none. */
  private parts: Uint8Array[] | null = null;

  constructor(resp: 2 | 3 = 2, initialSize = INITIAL_SIZE) {
    this.resp = resp;
    this.initial = initialSize;
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Bytes written and not yet taken. */
  get length(): number {
    return this.len;
  }

  /**
   * A bulk reply given as pieces (an incremental DUMP's payload): they go out as they are,
   * after what is already written, without being copied into the buffer. Only outside a
   * command's reply marks (truncate), which cannot reach into them.
   */
  bulkParts(parts: Uint8Array[], total: number): void {
    if (this.len + 32 > this.buf.length) this.grow(32);
    let p = this.len;
    this.buf[p++] = 36;
    p = writeUint(this.buf, p, total);
    this.buf[p++] = 13;
    this.buf[p++] = 10;
    this.len = p;
    const list = (this.parts ??= []);
    list.push(this.buf.subarray(0, this.len));
    this.buf = Buffer.allocUnsafe(this.initial);
    this.len = 0;
    for (const x of parts) list.push(x);
    this.buf[0] = 13;
    this.buf[1] = 10;
    this.len = 2;
  }

  /** bulkParts was used since the last takeParts (take() alone would lose the parts). */
  get hasParts(): boolean {
    return this.parts !== null;
  }

  /**
   * What take() gives, as a list of pieces to write in order (with the parts of bulkParts
   * in between), or null if none.
   */
  takeParts(): Uint8Array[] | null {
    if (this.parts === null) {
      const b = this.take();
      return b === null ? null : [b];
    }
    const list = this.parts;
    this.parts = null;
    const rest = this.take();
    if (rest !== null) list.push(rest);
    return list;
  }

  /**
   * The bytes to write (or null if none) and reset. The returned Buffer is the caller's
   * (the writer never touches it again), so it can be passed to socket.write as is.
   * (A writer given bulkParts is emptied with takeParts.)
   */
  take(): Buffer | null {
    return this.takeRest(0);
  }

  /**
   * The writer's own buffer: bytes [0, length) are what was written since the last take().
   * For a caller that sends them synchronously (no copy), then calls takeRest() with the
   * number of bytes that went out. Valid only until the next write or take.
   */
  get buffer(): Buffer {
    return this.buf;
  }

  /**
   * take() of what follows the first `sent` bytes (already sent from `buffer`): null when
   * nothing is left, else the rest, the caller's as with take(). Resets the writer.
   */
  takeRest(sent: number): Buffer | null {
    const n = this.len;
    this.len = 0;
    if (sent >= n) return null;
    const rest = n - sent;
    if (rest < COPY_LIMIT) {
      const out = Buffer.allocUnsafe(rest); // from Node's pool: cheap
      this.buf.copy(out, 0, sent, n);
      return out;
    }
    const out = this.buf.subarray(sent, n);
    this.buf = Buffer.allocUnsafe(Math.max(this.initial, Math.min(n, 1 << 20)));
    return out;
  }

  /** Drop everything written since the last take() (or since `mark`). */
  truncate(mark = 0): void {
    if (mark < this.len) this.len = mark;
  }

  private grow(n: number): void {
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const nb = Buffer.allocUnsafe(cap);
    this.buf.copy(nb, 0, 0, this.len);
    this.buf = nb;
  }

  /** Append raw bytes (an already encoded reply). */
  raw(b: Uint8Array): void {
    const n = b.length;
    if (this.len + n > this.buf.length) this.grow(n);
    const buf = this.buf;
    let p = this.len;
    if (n <= 32) {
      for (let i = 0; i < n; i++) buf[p++] = b[i];
    } else {
      buf.set(b, p);
      p += n;
    }
    this.len = p;
  }

  ok(): void {
    this.raw(R.OK);
  }
  pong(): void {
    this.raw(R.PONG);
  }
  queued(): void {
    this.raw(R.QUEUED);
  }

  /** `+s\r\n`. The text must not contain CR or LF (Redis's status replies never do). */
  simple(s: string): void {
    this.line(43, s);
  }

  /**
   * `-text\r\n`; give the full text without '-', e.g. "ERR syntax error",
   * "WRONGTYPE Operation against a key holding the wrong kind of value".
   * CR and LF are replaced by spaces, as Redis's addReplyError does.
   */
  error(text: string): void {
    if (text.indexOf('\r') >= 0 || text.indexOf('\n') >= 0) text = text.replace(/[\r\n]/g, ' ');
    this.line(45, text);
  }

  /** type byte + utf8 text + CRLF */
  private line(type: number, s: string): void {
    const n = s.length;
    if (this.len + n * 3 + 3 > this.buf.length) this.grow(n * 3 + 3);
    const buf = this.buf;
    let p = this.len;
    buf[p++] = type;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 128) break;
      buf[p++] = c;
    }
    if (i < n) p += buf.write(s.slice(i), p, 'utf8');
    buf[p++] = 13;
    buf[p++] = 10;
    this.len = p;
  }

  /** `:n\r\n` (number must be an integer; bigint for int64 beyond 2^53). */
  integer(n: number | bigint): void {
    if (typeof n === 'number') {
      if (n >= -1 && n <= 1024 && (n | 0) === n) {
        this.raw(SMALL_INTS[n + 1]);
        return;
      }
      if (Number.isSafeInteger(n)) {
        this.header(58, n);
        return;
      }
    }
    this.line(58, typeof n === 'bigint' ? n.toString() : String(Math.trunc(n)));
  }

  /** type byte + integer + CRLF; n a safe integer */
  private header(type: number, n: number): void {
    if (this.len + 24 > this.buf.length) this.grow(24);
    const buf = this.buf;
    let p = this.len;
    buf[p++] = type;
    if (n < 0) {
      buf[p++] = 45;
      n = -n;
    }
    p = writeUint(buf, p, n);
    buf[p++] = 13;
    buf[p++] = 10;
    this.len = p;
  }

  /** Bulk string from a Buffer / Uint8Array (bytes) or a string (utf8). */
  bulk(v: Uint8Array | string): void {
    if (typeof v === 'string') this.bulkString(v);
    else this.bulkFrom(v, 0, v.length);
  }

  /** Bulk string of the utf8 encoding of s. */
  bulkString(s: string): void {
    const n = s.length;
    // optimistic ASCII: write header for n bytes, then the chars
    if (n <= 256) {
      let ascii = true;
      for (let i = 0; i < n; i++) {
        if (s.charCodeAt(i) >= 128) {
          ascii = false;
          break;
        }
      }
      if (ascii) {
        if (this.len + n + 16 > this.buf.length) this.grow(n + 16);
        const buf = this.buf;
        let p = this.len;
        buf[p++] = 36;
        p = writeUint(buf, p, n);
        buf[p++] = 13;
        buf[p++] = 10;
        for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
        buf[p++] = 13;
        buf[p++] = 10;
        this.len = p;
        return;
      }
    }
    const bl = Buffer.byteLength(s, 'utf8');
    if (this.len + bl + 16 > this.buf.length) this.grow(bl + 16);
    this.header(36, bl);
    const buf = this.buf;
    let p = this.len;
    p += buf.write(s, p, bl, 'utf8');
    buf[p++] = 13;
    buf[p++] = 10;
    this.len = p;
  }

  /**
   * Bulk string copied straight from bytes [off, off + len) of a Uint8Array (e.g. a view of
   * the shared memory segment), without an intermediate Buffer.
   */
  bulkFrom(u8: Uint8Array, off: number, len: number): void {
    if (this.len + len + 16 > this.buf.length) this.grow(len + 16);
    const buf = this.buf;
    let p = this.len;
    buf[p++] = 36;
    p = writeUint(buf, p, len);
    buf[p++] = 13;
    buf[p++] = 10;
    if (len <= 32) {
      for (let i = 0; i < len; i++) buf[p++] = u8[off + i];
    } else {
      const ab = u8.buffer;
      // shared memory (a value in the segment): libc's memmove, as the heap copies it (V8's
      // set() moves a SharedArrayBuffer's bytes one at a time when the two ends are not
      // equally aligned: ~1.3 us for 4 KB)
      if (ab instanceof SharedArrayBuffer) native.copyOut(ab, u8.byteOffset + off, buf, p, len);
      // (a loop beats TypedArray.set up to ~32 bytes; a fresh view beats subarray's species lookup)
      else buf.set(off === 0 && len === u8.length ? u8 : new Uint8Array(ab, u8.byteOffset + off, len), p);
      p += len;
    }
    buf[p++] = 13;
    buf[p++] = 10;
    this.len = p;
  }

  /** RESP2 `$-1`, RESP3 `_` */
  nullBulk(): void {
    this.raw(this.resp === 3 ? R.NULL3 : R.NULL_BULK);
  }

  /** RESP2 `*-1`, RESP3 `_` */
  nullArray(): void {
    this.raw(this.resp === 3 ? R.NULL3 : R.NULL_ARRAY);
  }

  /** `*n` */
  array(n: number): void {
    if (n === 0) this.raw(R.EMPTY_ARRAY);
    else this.header(42, n);
  }

  /** RESP3 `%n` (n pairs follow), RESP2 `*2n` */
  map(n: number): void {
    if (this.resp === 3) this.header(37, n);
    else this.header(42, n * 2);
  }

  /** RESP3 `~n`, RESP2 `*n` */
  set(n: number): void {
    this.header(this.resp === 3 ? 126 : 42, n);
  }

  /** RESP3 `>n`, RESP2 `*n` (pub/sub messages) */
  push(n: number): void {
    this.header(this.resp === 3 ? 62 : 42, n);
  }

  /** RESP3 `|n` (n key/value pairs, then the reply they annotate). RESP2 has no attributes. */
  attribute(n: number): void {
    if (this.resp !== 3) throw new Error('attribute replies need RESP3');
    this.header(124, n);
  }

  /** A double as Redis 7.0 addReplyDouble: RESP3 `,%.17g`, RESP2 a bulk string. */
  double(d: number): void {
    const s = formatDouble(d);
    if (this.resp === 3) this.line(44, s);
    else this.bulkString(s);
  }

  /** A double already formatted (e.g. formatLongDouble's text): RESP3 `,s`, RESP2 bulk. */
  doubleText(s: string): void {
    if (this.resp === 3) this.line(44, s);
    else this.bulkString(s);
  }

  /** RESP3 `#t`/`#f`, RESP2 `:1`/`:0` */
  bool(b: boolean): void {
    if (this.resp === 3) this.raw(b ? R.TRUE3 : R.FALSE3);
    else this.raw(b ? SMALL_INTS[2] : SMALL_INTS[1]);
  }

  /** RESP3 `(digits`, RESP2 bulk string */
  bigNumber(v: string | bigint): void {
    const s = typeof v === 'bigint' ? v.toString() : v;
    if (this.resp === 3) this.line(40, s);
    else this.bulkString(s);
  }

  /**
   * RESP3 verbatim string `=len\r\nfmt:text\r\n` (fmt is 3 bytes, e.g. "txt", "mkd"),
   * RESP2 a bulk string of the text.
   */
  verbatim(text: string | Uint8Array, format = 'txt'): void {
    if (this.resp !== 3) {
      this.bulk(text);
      return;
    }
    const body = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    const n = body.length + 4;
    if (this.len + n + 16 > this.buf.length) this.grow(n + 16);
    this.header(61, n);
    const buf = this.buf;
    let p = this.len;
    for (let i = 0; i < 3; i++) buf[p++] = format.charCodeAt(i);
    buf[p++] = 58;
    buf.set(body, p);
    p += body.length;
    buf[p++] = 13;
    buf[p++] = 10;
    this.len = p;
  }

  /** Length of a bulk reply header for n bytes: `$` + digits + CRLF (for sizing). */
  static bulkHeaderLength(n: number): number {
    return 3 + digitCount(n);
  }
}
