/**
 * A list in its counted-index form (ENC_TREE) serialised a slice at a time (an incremental
 * DUMP): written as RDB_TYPE_LIST_QUICKLIST_2 — the node count, then per leaf listpack its
 * container (PACKED: the elements re-encoded as a Redis listpack blob; PLAIN: the one
 * element of a plain node, as toRdb decides it) — reading the index nodes and the leaves
 * through a HeapView (the heap as it was when the dump began; nothing is read from the live
 * mapping, nor with the heap-based listpack functions). A list of one node (ENC_SINGLE) is
 * one chunk: serialised at once (toRdb), no stream.
 *
 * The node count must come first: the first step sums the slots of the level-0 index nodes
 * (the leaves), reading only index nodes (about one per 50 leaves), not the leaves.
 * Between steps the stream keeps its root-to-leaf path (index node, next slot, level).
 */
import { Heap } from '../../heap/heap.js';
import type { HeapView } from '../../heap/view.js';
import type { Keyspace } from '../../keyspace/keyspace.js';
import { O_ENC, O_VLEN, O_VREF } from '../../keyspace/object.js';
import type { RdbEncoder } from '../../rdb/encode.js';
import { QUICKLIST_NODE_CONTAINER_PACKED, QUICKLIST_NODE_CONTAINER_PLAIN, RDB_TYPE } from '../../rdb/format.js';
import { lpEncode } from '../../rdb/listpack.js';
import type { ValueStream } from '../../rdb/stream.js';
import { LP_HDR, lpEntriesOfBytes, lpUsedOfField } from '../../structs/listpack.js';
import { ENC_TREE, FANOUT, T_LEVEL, T_N, T_SLOTS, listPackedThreshold } from './storage.js';

/** One index node on the current path. */
interface PathNode {
  t: number;
  n: number;
  level: number;
  /** Next slot to visit. */
  i: number;
}

/** An index node's slot count and level, through the view (checked: a wrong view must fail, not wander). */
function indexNode(view: HeapView, t: number): PathNode {
  const n = view.u16(t + T_N);
  const level = view.u16(t + T_LEVEL);
  if (n > FANOUT || level > 32) throw new Error(`list index node ${t}: ${n} slots at level ${level} (not an index node)`);
  return { t, n, level, i: 0 };
}

class ListStream implements ValueStream {
  readonly rdbType = RDB_TYPE.LIST_QUICKLIST_2;
  /** Leaves (quicklist nodes) to write; -1 until the first step counted them. */
  private leaves = -1;
  private leavesWritten = 0;
  private elementsWritten = 0;
  private readonly path: PathNode[] = [];
  /** The threshold of plain nodes when the dump began (DEBUG QUICKLIST-PACKED-THRESHOLD may change it meanwhile). */
  private readonly packedThreshold = listPackedThreshold();
  private readonly items: Uint8Array[] = [];

  constructor(
    private readonly view: HeapView,
    private readonly root: number,
    /** The entry's element count, as the view has it. */
    private readonly length: number,
  ) {}

  private countLeaves(): number {
    const view = this.view;
    let leaves = 0;
    const stack = [this.root];
    while (stack.length > 0) {
      const node = indexNode(view, stack.pop()!);
      if (node.level === 0) {
        leaves += node.n;
        continue;
      }
      for (let i = 0; i < node.n; i++) stack.push(Heap.deref(view.u32(node.t + T_SLOTS + 8 * i)));
    }
    return leaves;
  }

  /** The next leaf listpack in list order (payload offset), 0 after the last. */
  private nextLeaf(): number {
    const view = this.view;
    const path = this.path;
    while (path.length > 0) {
      const top = path[path.length - 1]!;
      if (top.i >= top.n) {
        path.pop();
        continue;
      }
      const child = Heap.deref(view.u32(top.t + T_SLOTS + 8 * top.i));
      top.i++;
      if (top.level === 0) return child;
      path.push(indexNode(view, child));
    }
    return 0;
  }

  step(enc: RdbEncoder, budget: number): boolean {
    const view = this.view;
    if (this.leaves < 0) {
      this.leaves = this.countLeaves();
      enc.len(this.leaves);
      this.path.push(indexNode(view, this.root));
    }
    let left = Math.max(1, Math.floor(budget));
    while (left > 0 && this.leavesWritten < this.leaves) {
      const p = this.nextLeaf();
      if (p === 0) throw new Error(`list stream: the index ended after ${this.leavesWritten} of ${this.leaves} leaves`);
      // (the front-gap flag dropped: src/structs/listpack.ts)
      const used = lpUsedOfField(view.u32(p + 4));
      if (used < LP_HDR) throw new Error(`list stream: leaf ${p} uses ${used} bytes`);
      // the leaf in one read, decoded and written before the view's next call
      const items = this.items;
      items.length = 0;
      lpEntriesOfBytes(view.bytes(p, used), items);
      if (items.length === 1 && items[0]!.length >= this.packedThreshold) {
        enc.len(QUICKLIST_NODE_CONTAINER_PLAIN);
        enc.string(items[0]!);
      } else {
        // (an empty leaf, which no committed list has, would be an empty packed node: Redis skips those)
        enc.len(QUICKLIST_NODE_CONTAINER_PACKED);
        enc.string(lpEncode(items));
      }
      this.leavesWritten++;
      this.elementsWritten += items.length;
      left -= Math.max(1, items.length);
      items.length = 0;
    }
    if (this.leavesWritten < this.leaves) return false;
    if (this.elementsWritten !== this.length) throw new Error(`list stream: ${this.elementsWritten} elements written, the entry counts ${this.length}`);
    return true;
  }
}

export function listRdbStream(_ks: Keyspace, view: HeapView, e: number): ValueStream | undefined {
  if (view.u8(e + O_ENC) !== ENC_TREE) return undefined;
  return new ListStream(view, Heap.deref(view.u32(e + O_VREF)), view.u32(e + O_VLEN));
}
