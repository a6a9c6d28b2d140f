/**
 * Incremental RESP request parser with the semantics of Redis 7.0's networking.c
 * (processInputBuffer / processInlineBuffer / processMultibulkBuffer / sdssplitargs).
 *
 * Usage in a server's read loop (more in src/protocol/index.ts):
 *
 *   const parser = new RequestParser({ maxBulkLen: 512 * 1024 * 1024 });
 *   socket.on('data', (chunk) => {
 *     parser.feed(chunk);
 *     let argv;
 *     while ((argv = parser.next()) !== null) execute(argv, out);   // argv: Buffer[]
 *     if (parser.error !== null) { out.error(parser.error); flush(); socket.end(); return; }
 *     flush();                                                      // one socket.write
 *   });
 *
 * Lifetime of the returned Buffers: an argument that arrived whole inside one chunk is a
 * `subarray` of that chunk (no copy). It stays valid until the next `feed()` **if the caller
 * reuses the chunk's memory for the next read** (`onread` with a fixed buffer); with
 * `'data'` events (a fresh Buffer per read) it stays valid for as long as it is referenced.
 * Copy what you keep (keys/values stored in the keyspace are copied there anyway).
 * Arguments that spanned chunks are copies owned by the parser's caller. A multibulk
 * command's name (argv[0], up to 24 bytes) is a Buffer the parser keeps and hands to every
 * command with the same name bytes (see commandName): valid for ever, never to be written.
 *
 * The parser itself never keeps a reference to a chunk's memory across `feed()` calls
 * once `next()` has returned `null`: incomplete data is copied out before that return. If the
 * caller stops calling `next()` before it returned null (e.g. a blocked client) and will
 * reuse the chunk memory, it must call `retain()` first.
 *
 * Errors: when `next()` meets a protocol error it returns null and sets `error` to the
 * reply text without the leading '-' (e.g. "ERR Protocol error: invalid bulk length");
 * commands before the error in the same stream have already been returned. Like Redis,
 * the server must then write the replies of those commands, then the error, then close the
 * connection (CLIENT_CLOSE_AFTER_REPLY). Error texts may contain one raw byte (the "got 'X'"
 * of "expected '$'"); `errorReply()` gives the exact bytes to write.
 *
 * Limits (verified against redis-server 7.0.15):
 *  - multibulk count: string2ll, > INT_MAX → "invalid multibulk length" (Redis 7.0 no longer
 *    has the 1M limit of older versions); count <= 0 is an empty command, ignored.
 *  - bulk length: string2ll, < 0 or > maxBulkLen (proto-max-bulk-len) → "invalid bulk length".
 *  - with `authRequired` (requirepass set and the client not authenticated):
 *    count > 10 → "unauthenticated multibulk length", bulk > 16384 → "unauthenticated bulk length".
 *  - header / inline lines: no terminator within 64 KB → "too big mbulk count string" /
 *    "too big bulk count string" / "too big inline request". Redis checks this after each
 *    read of at most 16 KB: so does this parser, cutting each chunk in 16 KB steps.
 *    A line up to 64 KB is always accepted, one of 80 KB or more always refused, in between it
 *    depends on read boundaries, as in Redis.
 *  - A NUL byte before a line's terminator hides the terminator (Redis uses strchr): the
 *    connection waits until the 64 KB limit triggers, as Redis does.
 *  - The byte after a header's '\r' and the two bytes after a bulk payload are skipped
 *    without being checked, as Redis does.
 *  - An inline line ends at '\n' (a '\r' before it is dropped). Empty lines are ignored.
 *
 * Memory: the parser never allocates from an announced length. A bulk split across chunks is
 * accumulated in a buffer that grows by doubling with what actually arrived (capped by the
 * announced length + 2); `bufferedBytes()` reports what is held.
 */

const EMPTY = Buffer.alloc(0);

/**
 * A Buffer view made with the plain typed array constructor: `Buffer.prototype.subarray`
 * goes through the species protocol and costs ~2.5x more (47 vs 20 ns measured). Instances
 * are real Buffers (`Buffer.isBuffer`, `instanceof Buffer`, all methods; `constructor`
 * is Buffer, so their own subarray/slice give ordinary Buffers).
 */
class Slice extends Uint8Array {}
Object.setPrototypeOf(Slice.prototype, Buffer.prototype);
Object.defineProperty(Slice.prototype, 'constructor', { value: Buffer, writable: true, configurable: true });

function view(b: Buffer, s: number, e: number): Buffer {
  return new Slice(b.buffer as ArrayBuffer, b.byteOffset + s, e - s) as unknown as Buffer;
}

/**
 * Command names seen lately, each a Buffer of its own: a command whose first argument has
 * the bytes of one of them gets that Buffer as argv[0] instead of a new view of the read
 * buffer. A pipeline repeats a few names, and a view is the costliest object the parser
 * makes (~18 ns and ~90 bytes of young generation each; a SET has three). Arguments are
 * never written to, so one Buffer serves every command that names it, as one does for the
 * library's typed calls (src/kv/kv.ts). A name not there replaces the oldest (a copy, once).
 */
const NAMES: Buffer[] = [];
const NAMES_MAX = 16;
/** Longer first arguments (no command name is) are views as before. */
const NAME_MAX_LEN = 24;
let namesNext = 0;

function commandName(b: Buffer, pos: number, len: number): Buffer {
  for (let i = 0; i < NAMES.length; i++) {
    const n = NAMES[i]!;
    if (n.length !== len) continue;
    let j = 0;
    while (j < len && n[j] === b[pos + j]) j++;
    if (j === len) return n;
  }
  const n = Buffer.allocUnsafeSlow(len);
  for (let j = 0; j < len; j++) n[j] = b[pos + j]!;
  if (NAMES.length < NAMES_MAX) NAMES.push(n);
  else {
    NAMES[namesNext] = n;
    namesNext = (namesNext + 1) % NAMES_MAX;
  }
  return n;
}

const K_NONE = 0;
const K_INLINE = 1;
const K_MBULK = 2; // '*' count line
const K_BULKHDR = 3; // '$' length line
const K_BULK = 4; // bulk payload

/** PROTO_INLINE_MAX_SIZE */
const INLINE_MAX = 64 * 1024;
/** PROTO_IOBUF_LEN: Redis's read size, the granularity of its "too big" checks */
const READ_STEP = 16 * 1024;
const INT_MAX = 2147483647;

export const DEFAULT_MAX_BULK_LEN = 512 * 1024 * 1024;

export interface RequestParserOptions {
  /** proto-max-bulk-len; default 512 MB */
  maxBulkLen?: number;
}

const PROTO = 'ERR Protocol error: ';

export class RequestParser {
  /** proto-max-bulk-len (may be changed at any time, as CONFIG SET does) */
  maxBulkLen: number;
  /** set while the client must still authenticate (requirepass): tighter limits apply */
  authRequired = false;
  /** protocol error reply text without '-', or null. Once set, the parser yields nothing more. */
  error: string | null = null;

  private buf: Buffer = EMPTY;
  private ab: ArrayBuffer = EMPTY.buffer as ArrayBuffer;
  private bo = EMPTY.byteOffset;
  private pos = 0;
  private end = 0;

  // multibulk command in progress
  private argv: Buffer[] | null = null;
  private remaining = 0;
  private argc = 0;
  private bulkLen = -1;
  /** argv[0, owned) are not slices of `buf` */
  private owned = 0;
  private ownedBytes = 0;
  /**
   * Where in `buf` argv[0]'s bytes are while argv[0] is a remembered name (commandName)
   * the command has not stashed yet, else -1: stashArgv copies from there, as for a view.
   */
  private nameAt = -1;

  // incomplete element copied out of the previous chunk
  private pend: Buffer = EMPTY;
  private pendLen = 0;
  private pendKind = K_NONE;
  private pendBlocked = false;

  constructor(opts?: RequestParserOptions) {
    this.maxBulkLen = opts?.maxBulkLen ?? DEFAULT_MAX_BULK_LEN;
  }

  /**
   * Give the parser the next chunk read from the socket. Call `next()` until it returns null
   * before the next `feed()` (or call `retain()`).
   */
  /** The current chunk and its ArrayBuffer and offset (`.buffer` is a runtime call: read once per chunk). */
  private setBuf(b: Buffer): void {
    this.buf = b;
    this.ab = b.buffer as ArrayBuffer;
    this.bo = b.byteOffset;
  }

  feed(chunk: Buffer): void {
    if (this.error !== null || chunk.length === 0) return;
    if (this.pos < this.end) {
      // the caller did not drain next(): keep the unconsumed bytes in front
      chunk = Buffer.concat([this.buf.subarray(this.pos, this.end), chunk]);
    }
    this.setBuf(chunk);
    this.pos = 0;
    this.end = chunk.length;
  }

  /**
   * Copy unconsumed bytes of the current chunk into parser-owned memory, so the caller may
   * reuse the chunk's memory while commands are still left unparsed.
   */
  retain(): void {
    if (this.pos < this.end) {
      this.setBuf(Buffer.from(this.buf.subarray(this.pos, this.end)));
      this.end -= this.pos;
      this.pos = 0;
    } else {
      this.setBuf(EMPTY);
      this.pos = this.end = 0;
    }
  }

  /** Bytes fed but not yet returned as commands (pending partial data included). */
  bufferedBytes(): number {
    return this.pendLen + this.ownedBytes + (this.end - this.pos);
  }

  /**
   * Redis's query buffer length while the commands of a read are running (CLIENT LIST
   * qbuf=): Redis trims the commands it ran only after the whole read is processed, so
   * the running command and those before it in the same read still count.
   */
  queryBufferBytes(): number {
    return this.pendLen + this.ownedBytes + this.end;
  }

  /** The error reply bytes ("-ERR Protocol error: ...\r\n"), or null. */
  errorReply(): Buffer | null {
    return this.error === null ? null : Buffer.from('-' + this.error + '\r\n', 'latin1');
  }

  /** Reset to a fresh state (e.g. to reuse the object for a new connection). */
  reset(): void {
    this.error = null;
    this.setBuf(EMPTY);
    this.pos = this.end = 0;
    this.argv = null;
    this.remaining = 0;
    this.bulkLen = -1;
    this.owned = this.ownedBytes = 0;
    this.nameAt = -1;
    this.pend = EMPTY;
    this.pendLen = 0;
    this.pendKind = K_NONE;
    this.pendBlocked = false;
    this.authRequired = false;
  }

  /**
   * The next complete command as an argv of Buffers (never empty), or null when more input
   * is needed or a protocol error occurred (`error` is then set).
   */
  next(): Buffer[] | null {
    if (this.error !== null) return null;
    if (this.pendKind !== K_NONE) {
      if (this.pos >= this.end) return null;
      const r = this.resume();
      if (r !== null) return r;
      if (this.pendKind !== K_NONE || this.error !== null) return null;
    }
    return this.parse();
  }

  // ---------------------------------------------------------------------------------------

  private parse(): Buffer[] | null {
    const buf = this.buf;
    const end = this.end;
    const ab = this.ab;
    const bo = this.bo;
    let pos = this.pos;
    let argv = this.argv;
    for (;;) {
      if (argv === null) {
        if (pos >= end) {
          this.pos = pos;
          return null;
        }
        if (buf[pos] !== 42 /* '*' */) {
          // inline command
          const t = this.findLine(K_INLINE, pos);
          if (t < 0) return null;
          const r = this.inline(buf, pos, t);
          pos = t + 1;
          this.pos = pos;
          if (r === null) return null; // error
          if (r.length === 0) continue;
          return r;
        }
        // multibulk count, fast path: '*' [1-9][0-9]{0,14} '\r' X
        let p = pos + 1;
        let n = 0;
        let c = p < end ? buf[p] : 0;
        if (c >= 49 && c <= 57) {
          const lim = Math.min(end, p + 15);
          do {
            n = n * 10 + (c - 48);
            p++;
            c = p < lim ? buf[p] : 0;
          } while (c >= 48 && c <= 57);
        } else {
          c = 0;
        }
        if (c === 13 && p + 1 < end) {
          if (n > INT_MAX) return this.fail('invalid multibulk length');
          if (n > 10 && this.authRequired) return this.fail('unauthenticated multibulk length');
          pos = p + 2;
        } else {
          const t = this.findLine(K_MBULK, pos);
          if (t < 0) return null;
          n = this.countLine(buf, pos, t);
          if (this.error !== null) return null;
          pos = t + 2;
          if (n <= 0) continue; // empty command: ignored
        }
        argv = n <= 1024 ? new Array<Buffer>(n) : [];
        this.argv = argv;
        this.argc = 0;
        this.remaining = n;
        this.bulkLen = -1;
        this.owned = 0;
        this.ownedBytes = 0;
        this.nameAt = -1;
      }

      let remaining = this.remaining;
      let len = this.bulkLen;
      let argc = this.argc;
      while (remaining > 0) {
        if (len < 0) {
          // bulk length, fast path: '$' [1-9][0-9]{0,14} '\r' X  or  '$0\r' X
          let p = pos + 1;
          let c = p < end && buf[pos] === 36 ? buf[p] : 0;
          let n = 0;
          if (c >= 49 && c <= 57) {
            const lim = Math.min(end, p + 15);
            do {
              n = n * 10 + (c - 48);
              p++;
              c = p < lim ? buf[p] : 0;
            } while (c >= 48 && c <= 57);
          } else if (c === 48) {
            p++;
            c = p < end ? buf[p] : 0;
          } else {
            c = 0;
          }
          if (c === 13 && p + 1 < end) {
            if (n > this.maxBulkLen) {
              this.remaining = remaining;
              return this.fail('invalid bulk length');
            }
            if (n > 16384 && this.authRequired) {
              this.remaining = remaining;
              return this.fail('unauthenticated bulk length');
            }
            len = n;
            pos = p + 2;
          } else {
            if (pos >= end) {
              // nothing of the header yet: no bytes to keep
              this.remaining = remaining;
              this.bulkLen = -1;
              this.argc = argc;
              this.pos = pos;
              this.stashArgv();
              return null;
            }
            this.remaining = remaining;
            this.bulkLen = -1;
            this.argc = argc;
            const t = this.findLine(K_BULKHDR, pos);
            if (t < 0) return null;
            len = this.bulkLine(buf, pos, t);
            if (len < 0) return null;
            pos = t + 2;
          }
        }
        // payload
        if (end - pos >= len + 2) {
          if (argc === 0 && len <= NAME_MAX_LEN && len > 0) {
            argv[argc++] = commandName(buf, pos, len);
            this.nameAt = pos;
          } else argv[argc++] = new Slice(ab, bo + pos, len) as unknown as Buffer;
          pos += len + 2;
          remaining--;
          len = -1;
        } else {
          this.remaining = remaining;
          this.bulkLen = len;
          this.argc = argc;
          this.stashArgv();
          if (pos < end) {
            this.pendKind = K_BULK;
            this.pendLen = 0;
            this.pendAppend(buf, pos, end, len + 2);
          }
          this.pos = end;
          return null;
        }
      }
      this.argv = null;
      this.remaining = 0;
      this.bulkLen = -1;
      this.ownedBytes = 0;
      this.pos = pos;
      return argv;
    }
  }

  /** Continue an element whose first bytes are in `pend`, with the new chunk. */
  private resume(): Buffer[] | null {
    const chunk = this.buf;
    const L = this.end;
    const base = this.pos; // normally 0
    const kind = this.pendKind;
    if (kind === K_BULK) {
      const len = this.bulkLen;
      const need = len + 2 - this.pendLen;
      if (L - base < need) {
        this.pendAppend(chunk, base, L, len + 2);
        this.pos = L;
        return null;
      }
      if (this.pendLen < len) this.pendAppend(chunk, base, base + (len - this.pendLen), len + 2);
      const arg = view(this.pend, 0, len);
      this.pend = EMPTY;
      this.pendLen = 0;
      this.pendKind = K_NONE;
      this.pos = base + need;
      const argv = this.argv as Buffer[];
      argv[this.argc++] = arg;
      this.owned = this.argc;
      this.ownedBytes += len;
      this.bulkLen = -1;
      if (--this.remaining === 0) {
        this.argv = null;
        this.ownedBytes = 0;
        return argv;
      }
      return null;
    }

    // a line: inline command, '*' count or '$' length
    const T = kind === K_INLINE ? 10 : 13;
    const have = this.pendLen;
    if (!this.pendBlocked && T === 13 && this.pend[have - 1] === 13) {
      // "\r" was the last byte kept: the line is complete with any next byte
      this.pendAppend(chunk, base, base + 1, 0);
      this.pos = base + 1;
      return this.pendLine(kind, have - 1);
    }
    let i = base;
    let nul = this.pendBlocked;
    if (!nul) {
      for (; i < L; i++) {
        const c = chunk[i];
        if (c === T) break;
        if (c === 0) {
          nul = true;
          break;
        }
      }
    }
    const term = !nul && i < L ? i : Infinity;
    if (this.tooBig(have - base, term)) return this.failLine(kind);
    if (term !== Infinity && (T === 10 || term + 1 < L)) {
      const stop = T === 10 ? term + 1 : term + 2;
      this.pendAppend(chunk, base, stop, 0);
      this.pos = stop;
      return this.pendLine(kind, have + (term - base));
    }
    this.pendAppend(chunk, base, L, 0);
    this.pendBlocked = nul;
    this.pos = L;
    return null;
  }

  /** A line completed inside `pend` with its terminator at index t. */
  private pendLine(kind: number, t: number): Buffer[] | null {
    const p = this.pend;
    this.pendKind = K_NONE;
    this.pendLen = 0;
    this.pendBlocked = false;
    if (kind === K_INLINE) {
      this.pend = EMPTY; // argv are slices of it
      const r = this.inline(p, 0, t);
      if (r === null || r.length === 0) return null;
      return r;
    }
    if (kind === K_MBULK) {
      const n = this.countLine(p, 0, t);
      if (this.error === null && n > 0) {
        this.argv = n <= 1024 ? new Array<Buffer>(n) : [];
        this.argc = 0;
        this.remaining = n;
        this.bulkLen = -1;
        this.owned = 0;
        this.ownedBytes = 0;
        this.nameAt = -1;
      }
      return null;
    }
    const len = this.bulkLine(p, 0, t);
    if (len >= 0) this.bulkLen = len;
    return null;
  }

  /**
   * Find the end of the line starting at s in the current chunk (terminator '\n' for inline,
   * '\r' plus one more byte otherwise). Returns the terminator's index, or -1 after either
   * setting an error (too big) or stashing the incomplete line.
   */
  private findLine(kind: number, s: number): number {
    const buf = this.buf;
    const end = this.end;
    const T = kind === K_INLINE ? 10 : 13;
    let i = s;
    let nul = false;
    for (; i < end; i++) {
      const c = buf[i];
      if (c === T) break;
      if (c === 0) {
        nul = true;
        break;
      }
    }
    const term = !nul && i < end ? i : Infinity;
    if (term - s > INLINE_MAX && this.tooBig(-s, term)) {
      this.failLine(kind);
      return -1;
    }
    if (term !== Infinity && (T === 10 || term + 1 < end)) return term;
    // incomplete: keep [s, end)
    this.stashArgv();
    this.pendKind = kind;
    this.pendLen = 0;
    this.pendBlocked = nul;
    this.pendAppend(buf, s, end, 0);
    this.pos = end;
    return -1;
  }

  /**
   * Redis checks "more than 64 KB buffered without a terminator" after each read of at most
   * 16 KB. `have` = bytes of the element buffered before chunk index 0; `term` = the
   * terminator's index in the chunk (Infinity when absent). True if some read boundary
   * b <= term (a multiple of 16 KB from the chunk start, or the chunk's end) has more than
   * 64 KB of the element buffered.
   */
  private tooBig(have: number, term: number): boolean {
    const L = this.end;
    let b = INLINE_MAX + 1 - have;
    if (b < 1) b = 1;
    b = Math.ceil(b / READ_STEP) * READ_STEP;
    if (b > L) {
      if (have + L > INLINE_MAX) b = L;
      else return false;
    }
    return b <= term;
  }

  private failLine(kind: number): null {
    return this.fail(
      kind === K_INLINE
        ? 'too big inline request'
        : kind === K_MBULK
          ? 'too big mbulk count string'
          : 'too big bulk count string',
    );
  }

  /** '*' line b[s] .. '\r' at t: the count, or sets error. */
  private countLine(b: Buffer, s: number, t: number): number {
    const v = str2llLine(b, s + 1, t);
    if (v === null || v > INT_MAX) {
      this.fail('invalid multibulk length');
      return 0;
    }
    if (v > 10 && this.authRequired) {
      this.fail('unauthenticated multibulk length');
      return 0;
    }
    return Number(v);
  }

  /** '$' line at s .. '\r' at t: the length, or -1 with error set. */
  private bulkLine(b: Buffer, s: number, t: number): number {
    const c = b[s];
    if (c !== 36) {
      const ch = c === 13 || c === 10 ? ' ' : String.fromCharCode(c);
      this.fail("expected '$', got '" + ch + "'");
      return -1;
    }
    const v = str2llLine(b, s + 1, t);
    if (v === null || v < 0 || v > this.maxBulkLen) {
      this.fail('invalid bulk length');
      return -1;
    }
    if (v > 16384 && this.authRequired) {
      this.fail('unauthenticated bulk length');
      return -1;
    }
    return Number(v);
  }

  /** sdssplitargs over the line b[s, nl) ('\n' at nl, a '\r' before it excluded). */
  private inline(b: Buffer, s: number, nl: number): Buffer[] | null {
    const e = nl > s && b[nl - 1] === 13 ? nl - 1 : nl;
    const r = splitArgs(b, s, e);
    if (r === null) this.fail('unbalanced quotes in request');
    return r;
  }

  private fail(msg: string): null {
    this.error = PROTO + msg;
    this.argv = null;
    this.remaining = 0;
    this.pend = EMPTY;
    this.pendLen = 0;
    this.pendKind = K_NONE;
    this.ownedBytes = 0;
    this.pos = this.end;
    return null;
  }

  /** Copy the argv elements that are slices of the current chunk (one block copy). */
  private stashArgv(): void {
    const argv = this.argv;
    if (argv === null) return;
    const n = this.argc;
    let k = this.owned;
    if (k >= n) return;
    const buf = this.buf;
    // a remembered name in argv[0] is not a view: its bytes in buf are at nameAt (they are
    // copied along, so that the bytes held are counted as for a view)
    const first = argv[k];
    const name = k === 0 && this.nameAt >= 0 && first.buffer !== buf.buffer;
    const last = argv[n - 1];
    const a = name ? this.nameAt : first.byteOffset - buf.byteOffset;
    const z = name && n === 1 ? a + first.length : last.byteOffset - buf.byteOffset + last.length;
    const copy = Buffer.allocUnsafe(z - a);
    buf.copy(copy, 0, a, z);
    if (name) k = 1;
    for (; k < n; k++) {
      const x = argv[k];
      const o = x.byteOffset - buf.byteOffset - a;
      argv[k] = view(copy, o, o + x.length);
    }
    this.owned = n;
    this.ownedBytes += z - a;
    this.nameAt = -1;
  }

  /** Append src[s, e) to pend, growing by doubling; `cap` (if > 0) bounds the capacity. */
  private pendAppend(src: Buffer, s: number, e: number, cap: number): void {
    const n = e - s;
    const need = this.pendLen + n;
    if (need > this.pend.length) {
      let size = Math.max(this.pend.length * 2, need, 256);
      if (cap > 0 && size > cap) size = Math.max(cap, need);
      const nb = Buffer.allocUnsafe(size);
      if (this.pendLen > 0) this.pend.copy(nb, 0, 0, this.pendLen);
      this.pend = nb;
    }
    src.copy(this.pend, this.pendLen, s, e);
    this.pendLen = need;
  }
}

/** string2ll for protocol lines, as number (exact in the ranges that matter) or null. */
function str2llLine(b: Buffer, s: number, e: number): number | null {
  const slen = e - s;
  if (slen <= 0 || slen >= 21) return null;
  let p = s;
  let neg = false;
  if (b[p] === 45) {
    neg = true;
    p++;
    if (p === e) return null;
  } else if (slen === 1 && b[p] === 48) {
    return 0;
  }
  const c0 = b[p];
  if (c0 < 49 || c0 > 57) return null;
  let v = 0n;
  let f = 0;
  const big = e - p > 15;
  for (; p < e; p++) {
    const c = b[p];
    if (c < 48 || c > 57) return null;
    if (big) v = v * 10n + BigInt(c - 48);
    else f = f * 10 + (c - 48);
  }
  if (!big) return neg ? -f : f;
  if (neg ? v > 9223372036854775808n : v > 9223372036854775807n) return null;
  return Number(neg ? -v : v); // only compared against limits: rounding is harmless
}

function isSpace(c: number): boolean {
  // C isspace in the "C" locale
  return c === 32 || (c >= 9 && c <= 13);
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function hexv(c: number): number {
  return c <= 57 ? c - 48 : c <= 70 ? c - 55 : c - 87;
}

/**
 * Redis sdssplitargs over b[s, e). Unquoted tokens are subarrays of b; quoted ones are
 * fresh Buffers. Returns null on unbalanced quotes (or a closing quote not followed by
 * a space). The line never contains a NUL (the caller stops at one).
 */
export function splitArgs(b: Buffer, s: number, e: number): Buffer[] | null {
  const out: Buffer[] = [];
  let p = s;
  for (;;) {
    while (p < e && isSpace(b[p])) p++;
    if (p >= e) return out;
    const ts = p;
    let c = b[p];
    // plain token?
    while (c !== 32 && c !== 10 && c !== 13 && c !== 9 && c !== 34 && c !== 39) {
      p++;
      if (p >= e) break;
      c = b[p];
    }
    if (p >= e || (c !== 34 && c !== 39)) {
      out.push(view(b, ts, p));
      if (p < e) p++; // the terminating blank
      continue;
    }
    // token with quotes: build it byte by byte
    const cur: number[] = [];
    for (let i = ts; i < p; i++) cur.push(b[i]);
    let inq = false;
    let insq = false;
    for (;;) {
      const ch = p < e ? b[p] : -1;
      if (inq) {
        if (ch === 92 && p + 3 < e + 0 && b[p + 1] === 120 && isHex(b[p + 2]) && isHex(b[p + 3])) {
          cur.push(hexv(b[p + 2]) * 16 + hexv(b[p + 3]));
          p += 3;
        } else if (ch === 92 && p + 1 < e) {
          p++;
          const x = b[p];
          cur.push(x === 110 ? 10 : x === 114 ? 13 : x === 116 ? 9 : x === 98 ? 8 : x === 97 ? 7 : x);
        } else if (ch === 34) {
          if (p + 1 < e && !isSpace(b[p + 1])) return null;
          p++;
          break;
        } else if (ch === -1) {
          return null;
        } else {
          cur.push(ch);
        }
      } else if (insq) {
        if (ch === 92 && p + 1 < e && b[p + 1] === 39) {
          p++;
          cur.push(39);
        } else if (ch === 39) {
          if (p + 1 < e && !isSpace(b[p + 1])) return null;
          p++;
          break;
        } else if (ch === -1) {
          return null;
        } else {
          cur.push(ch);
        }
      } else {
        if (ch === 32 || ch === 10 || ch === 13 || ch === 9 || ch === -1) {
          if (ch !== -1) p++;
          break;
        } else if (ch === 34) inq = true;
        else if (ch === 39) insq = true;
        else cur.push(ch);
      }
      p++;
    }
    out.push(Buffer.from(cur));
  }
}
