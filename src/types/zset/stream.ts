/**
 * A skiplist-encoded sorted set serialised a slice at a time (an incremental DUMP, or a big
 * key of a save): written as RDB_TYPE_ZSET_2 — the member count, then each member and its
 * score as a binary double — from the greatest member to the smallest, as Redis writes its
 * skiplist (from the tail), so the payload is byte for byte Redis's. The order-statistic
 * tree at the head of the value's header chunk is walked backwards through a HeapView (the
 * heap as it was when the dump began; nothing is read from the live mapping): its leaves
 * hold (score, member chunk ref) items, the member chunks {f64 score, u32 length, bytes}.
 * A listpack is one chunk: serialised at once.
 */
import { Heap } from '../../heap/heap.js';
import type { HeapView } from '../../heap/view.js';
import type { Keyspace } from '../../keyspace/keyspace.js';
import { O_ENC, O_VLEN, O_VREF } from '../../keyspace/object.js';
import type { RdbEncoder } from '../../rdb/encode.js';
import { RDB_TYPE } from '../../rdb/format.js';
import type { ValueStream } from '../../rdb/stream.js';
import { MEMBER_DATA, MEMBER_LEN } from '../../structs/ostree.js';
import { OstreeViewDescCursor } from '../../structs/ostree_view.js';
import { ENC_SKIPLIST } from './storage.js';

class ZsetStream implements ValueStream {
  readonly rdbType = RDB_TYPE.ZSET_2;
  private readonly cursor: OstreeViewDescCursor;
  private readonly item: [number, number] = [0, 0];
  private started = false;
  private written = 0;

  constructor(
    private readonly view: HeapView,
    hdr: number,
    private readonly count: number,
  ) {
    this.cursor = new OstreeViewDescCursor(view, hdr);
    // the entry and its tree count the same members in any consistent heap
    if (this.cursor.count !== count) throw new Error(`sorted-set stream: the entry counts ${count} members, its tree ${this.cursor.count}`);
  }

  step(enc: RdbEncoder, budget: number): boolean {
    if (!this.started) {
      enc.len(this.count);
      this.started = true;
    }
    const view = this.view;
    for (let n = Math.max(1, Math.floor(budget)); n > 0 && this.written < this.count; n--) {
      if (!this.cursor.prev(this.item)) throw new Error(`sorted-set stream: the tree ended after ${this.written} of ${this.count} members`);
      const score = this.item[0];
      const m = Heap.deref(this.item[1]);
      enc.string(view.bytes(m + MEMBER_DATA, view.u32(m + MEMBER_LEN)));
      enc.binaryDouble(score);
      this.written++;
    }
    if (this.written < this.count) return false;
    if (this.cursor.prev(this.item)) throw new Error(`sorted-set stream: the tree holds more than its ${this.count} members`);
    return true;
  }
}

export function zsetRdbStream(_ks: Keyspace, view: HeapView, e: number): ValueStream | undefined {
  if (view.u8(e + O_ENC) !== ENC_SKIPLIST) return undefined;
  return new ZsetStream(view, Heap.deref(view.u32(e + O_VREF)), view.u32(e + O_VLEN));
}
