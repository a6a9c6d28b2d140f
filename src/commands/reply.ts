/**
 * Where a command writes its reply. Handlers only see this interface, so one handler
 * serves every caller: the server's RESP writer (src/protocol/reply.ts, bytes for a
 * socket) is one sink; the library's value sink (src/engine/value-sink.ts: JS values as
 * ioredis returns them) is another.
 *
 * A handler writes exactly one reply (an aggregate is its header then its elements). A
 * sink can drop what was written since a mark (`length` then `truncate(mark)`): the
 * engine does so when a command fails half-way, or for CLIENT REPLY OFF/SKIP.
 */
export interface ReplySink {
  /** Protocol of the session: 2 or 3 (HELLO changes it); the RESP2 fallbacks are the sink's business. */
  resp: 2 | 3;
  /** A mark: what was written so far. */
  readonly length: number;
  /** Drop everything written since `mark`. */
  truncate(mark: number): void;
  /** Error replies written so far (the engine compares it before and after a command). */
  errors: number;
  /** Called with the text of every error reply (INFO errorstats; set by the engine). */
  onError: ((text: string) => void) | null;

  ok(): void;
  pong(): void;
  queued(): void;
  /** A status reply; no CR or LF in the text. */
  simple(s: string): void;
  /** An error reply: the full text without '-' ("ERR syntax error"). */
  error(text: string): void;
  /** An error reply whose text holds raw bytes (a user's argument quoted in the message). */
  errorBytes(text: Buffer): void;
  integer(n: number | bigint): void;
  /** Bulk string: bytes, or a string as utf8. */
  bulk(v: Uint8Array | string): void;
  /** Bulk string of bytes [off, off+len) of u8 (e.g. straight from shared memory). */
  bulkFrom(u8: Uint8Array, off: number, len: number): void;
  nullBulk(): void;
  /** A bulk reply in pieces, written without copying them (socket writers); others may lack it. */
  bulkParts?(parts: Uint8Array[], total: number): void;
  nullArray(): void;
  array(n: number): void;
  /** n key/value pairs follow (RESP2: an array of 2n). */
  map(n: number): void;
  set(n: number): void;
  push(n: number): void;
  /**
   * RESP3 attribute `|n`: n key/value pairs of out-of-band data, then the reply they are
   * about. RESP3 only (Redis asserts it): callers check `resp` first.
   */
  attribute(n: number): void;
  double(d: number): void;
  /** A double already formatted as Redis prints it. */
  doubleText(s: string): void;
  bool(b: boolean): void;
  bigNumber(v: string | bigint): void;
  verbatim(text: string | Uint8Array, format?: string): void;
}

/** The error code of a reply text ("WRONGTYPE", "ERR"...), as INFO errorstats counts it. */
export function errorCode(text: string): string {
  const sp = text.indexOf(' ');
  return sp > 0 && sp < 32 ? text.slice(0, sp) : 'ERR';
}

/** Reply a help text as Redis's addReplyHelp: an array of status lines. */
export function replyHelp(w: ReplySink, lines: string[]): void {
  w.array(lines.length);
  for (const l of lines) w.simple(l);
}
