/**
 * A big string serialised a slice at a time (an incremental DUMP): written as
 * RDB_TYPE_STRING — the length, then the raw bytes, at most `budget` bytes per step — read
 * from its value chunk (the entry's O_VREF) through a HeapView (the heap as it was when the
 * dump began; nothing is read from the live mapping). Neither LZF nor the integer encodings
 * (they need the whole string first): a plain length-prefixed string is valid RDB, and
 * Redis reads it. Strings under STREAM_MIN_STRING bytes are serialised at once (toRdb).
 */
import { Heap } from '../../heap/heap.js';
import type { HeapView } from '../../heap/view.js';
import type { Keyspace } from '../../keyspace/keyspace.js';
import { O_VLEN, O_VREF } from '../../keyspace/object.js';
import type { RdbEncoder } from '../../rdb/encode.js';
import { RDB_TYPE } from '../../rdb/format.js';
import type { ValueStream } from '../../rdb/stream.js';

/** Strings of at least this many bytes are streamed. */
export const STREAM_MIN_STRING = 64 * 1024;

class StringStream implements ValueStream {
  readonly rdbType = RDB_TYPE.STRING;
  private pos = -1;

  constructor(
    private readonly view: HeapView,
    private readonly off: number,
    private readonly len: number,
  ) {}

  step(enc: RdbEncoder, budget: number): boolean {
    if (this.pos < 0) {
      enc.len(this.len);
      this.pos = 0;
    }
    const n = Math.min(Math.max(1, Math.floor(budget)), this.len - this.pos);
    if (n > 0) {
      enc.raw(this.view.bytes(this.off + this.pos, n));
      this.pos += n;
    }
    return this.pos === this.len;
  }
}

export function stringRdbStream(_ks: Keyspace, view: HeapView, e: number): ValueStream | undefined {
  const vref = view.u32(e + O_VREF);
  const len = view.u32(e + O_VLEN);
  // an inline string (no value chunk) is at most INLINE_MAX bytes: never streamed
  if (vref === 0 || len < STREAM_MIN_STRING) return undefined;
  return new StringStream(view, Heap.deref(vref), len);
}
