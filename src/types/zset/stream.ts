/**
 * A skiplist-encoded sorted set serialised a slice at a time (an incremental DUMP): written
 * as RDB_TYPE_ZSET_2 — the member count, then each member and its score as a binary double
 * — walking the member table (the Dash whose ref is at Z_DASH in the header chunk) of member
 * chunks {f64 score, u32 length, bytes} (src/structs/ostree.ts) through a HeapView (the heap
 * as it was when the dump began; nothing is read from the live mapping). The table's order
 * is as good as the tree's: Redis's loader inserts each member (zslInsert), whatever the
 * order, and the tree is not read at all. A listpack is one chunk: serialised at once.
 */
import { Heap } from '../../heap/heap.js';
import type { HeapView } from '../../heap/view.js';
import type { Keyspace } from '../../keyspace/keyspace.js';
import { O_ENC, O_VLEN, O_VREF } from '../../keyspace/object.js';
import { RDB_TYPE } from '../../rdb/format.js';
import type { ValueStream } from '../../rdb/stream.js';
import { MEMBER_DATA, MEMBER_LEN, MEMBER_SCORE } from '../../structs/ostree.js';
import { DashValueStream } from '../dash_stream.js';
import { ENC_SKIPLIST, Z_DASH } from './storage.js';

export function zsetRdbStream(_ks: Keyspace, view: HeapView, e: number): ValueStream | undefined {
  if (view.u8(e + O_ENC) !== ENC_SKIPLIST) return undefined;
  const hdr = Heap.deref(view.u32(e + O_VREF));
  return new DashValueStream(RDB_TYPE.ZSET_2, view, Heap.deref(view.u32(hdr + Z_DASH)), view.u32(e + O_VLEN), (enc, v, p) => {
    // the score first: the member's bytes are valid only until the view's next call
    const score = v.f64(p + MEMBER_SCORE);
    enc.string(v.bytes(p + MEMBER_DATA, v.u32(p + MEMBER_LEN)));
    enc.binaryDouble(score);
  });
}
