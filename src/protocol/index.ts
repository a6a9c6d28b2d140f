/**
 * shmkv wire protocol: request parsing, reply writing, Redis-exact number text.
 *
 * ## API
 *
 *   class RequestParser {
 *     constructor(opts?: { maxBulkLen?: number })   // proto-max-bulk-len, default 512 MB
 *     maxBulkLen: number                            // CONFIG SET proto-max-bulk-len
 *     authRequired: boolean                         // requirepass set, client not yet authenticated
 *     error: string | null                          // "ERR Protocol error: ..." (no '-'), then close
 *     feed(chunk: Buffer): void
 *     next(): Buffer[] | null                       // next complete argv, null = need more / error
 *     retain(): void                                // copy unconsumed bytes if you stop calling next()
 *     bufferedBytes(): number                       // for client-query-buffer-limit
 *     errorReply(): Buffer | null                   // exact bytes of the error reply
 *     reset(): void
 *   }
 *
 *   class ReplyWriter {
 *     constructor(resp?: 2 | 3, initialSize?: number)
 *     resp: 2 | 3                                   // HELLO changes it
 *     length: number
 *     take(): Buffer | null                         // bytes for ONE socket.write, writer reset
 *     ok() pong() queued() simple(s) error(text) integer(n: number | bigint)
 *     bulk(v: Uint8Array | string) bulkString(s) bulkFrom(u8, off, len)
 *     nullBulk() nullArray() array(n) map(n) set(n) push(n)
 *     double(d) doubleText(s) bool(b) bigNumber(v) verbatim(text, fmt?) raw(bytes) truncate(mark?)
 *   }
 *
 *   parseRedisInt(b): number | bigint | null        // string2ll; bigint only beyond 2^53
 *   parseRedisDouble(b): number | null              // string2d (strtod): ZADD, ZINCRBY, …
 *   parseRedisLongDouble(b): LongDouble | null      // string2ld (strtold, 80-bit): INCRBYFLOAT
 *   incrByFloat(current: Uint8Array | null, incr: Uint8Array): IncrByFloatResult
 *   formatDouble(x): string                         // %.17g — every double reply (ZSCORE…)
 *   formatLongDouble(x: LongDouble | number): string// %.17Lf trimmed — INCRBYFLOAT results
 *
 * ## A server's read loop
 *
 *   const parser = new RequestParser();
 *   const out = new ReplyWriter(2);
 *   socket.setNoDelay(true);
 *   socket.on('data', (chunk: Buffer) => {
 *     parser.feed(chunk);
 *     let argv: Buffer[] | null;
 *     while ((argv = parser.next()) !== null) {
 *       // argv[i] are views into `chunk` (no copy): copy what you keep (the keyspace does)
 *       dispatch(argv, out);                        // appends replies to `out`
 *     }
 *     if (parser.error !== null) {
 *       out.error(parser.error);                    // replies to earlier commands go first
 *       const b = out.take();
 *       if (b) socket.write(b);
 *       socket.end();                               // Redis: CLIENT_CLOSE_AFTER_REPLY
 *       return;
 *     }
 *     const b = out.take();
 *     if (b !== null) socket.write(b);              // one write per read event
 *   });
 *
 * With `net.Socket`'s `onread: { buffer, callback }` (one reused read buffer), the same loop
 * works: the parser copies whatever it must keep before next() returns null, so the buffer
 * may be overwritten by the next read; argv must be consumed (or copied) before that. A client
 * that stops processing in the middle of a read (blocked command) calls `parser.retain()`.
 */
export { RequestParser, DEFAULT_MAX_BULK_LEN, splitArgs } from './parser.js';
export type { RequestParserOptions } from './parser.js';
export { ReplyWriter, R } from './reply.js';
export { parseRedisInt, str2ll } from './numbers.js';
export {
  formatDouble,
  formatLongDouble,
  parseRedisDouble,
  parseRedisLongDouble,
  addLongDouble,
  incrByFloat,
  LongDouble,
} from './float.js';
export type { IncrByFloatResult } from './float.js';
