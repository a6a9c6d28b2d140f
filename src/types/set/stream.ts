/**
 * A set in its Dash form serialised a slice at a time (an incremental DUMP): written as
 * RDB_TYPE_SET — the member count, then the members — walking the Dash of member chunks
 * {u32 length, bytes} (storage.ts) through a HeapView (the heap as it was when the dump
 * began; nothing is read from the live mapping). An intset and the small listpack form
 * are one chunk each: serialised at once (toRdb), no stream.
 */
import { Heap } from '../../heap/heap.js';
import type { HeapView } from '../../heap/view.js';
import type { Keyspace } from '../../keyspace/keyspace.js';
import { O_ENC, O_VLEN, O_VREF } from '../../keyspace/object.js';
import { RDB_TYPE } from '../../rdb/format.js';
import type { ValueStream } from '../../rdb/stream.js';
import { DashValueStream } from '../dash_stream.js';
import { ENC_HT } from './storage.js';

export function setRdbStream(_ks: Keyspace, view: HeapView, e: number): ValueStream | undefined {
  if (view.u8(e + O_ENC) !== ENC_HT) return undefined;
  return new DashValueStream(RDB_TYPE.SET, view, Heap.deref(view.u32(e + O_VREF)), view.u32(e + O_VLEN), (enc, v, p) => {
    enc.string(v.bytes(p + 4, v.u32(p)));
  });
}
