/**
 * A hashtable-encoded hash serialised a slice at a time (an incremental DUMP): written as
 * RDB_TYPE_HASH — the field count, then field and value strings — walking the hash's Dash
 * of field chunks {u32 field length, u32 value length, field, value} (storage.ts) through
 * a HeapView (the heap as it was when the dump began; nothing is read from the live
 * mapping). A listpack hash is one chunk: it is serialised at once (toRdb), no stream.
 */
import { Heap } from '../../heap/heap.js';
import type { HeapView } from '../../heap/view.js';
import type { Keyspace } from '../../keyspace/keyspace.js';
import { O_ENC, O_VLEN, O_VREF } from '../../keyspace/object.js';
import { RDB_TYPE } from '../../rdb/format.js';
import type { ValueStream } from '../../rdb/stream.js';
import { DashValueStream } from '../dash_stream.js';
import { ENC_HT, F_DATA, F_FLEN, F_VLEN } from './storage.js';

export function hashRdbStream(_ks: Keyspace, view: HeapView, e: number): ValueStream | undefined {
  if (view.u8(e + O_ENC) !== ENC_HT) return undefined;
  return new DashValueStream(RDB_TYPE.HASH, view, Heap.deref(view.u32(e + O_VREF)), view.u32(e + O_VLEN), (enc, v, p) => {
    const flen = v.u32(p + F_FLEN);
    const vlen = v.u32(p + F_VLEN);
    // one read for both: a view's bytes are valid until its next call, and enc.string copies
    const b = v.bytes(p + F_DATA, flen + vlen);
    enc.string(b.subarray(0, flen));
    enc.string(b.subarray(flen, flen + vlen));
  });
}
