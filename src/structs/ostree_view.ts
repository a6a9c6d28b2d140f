/**
 * Walking an order-statistic tree (src/structs/ostree.ts) through a HeapView, from the last
 * item to the first: what an incremental DUMP or a save of a big sorted set reads, a slice
 * at a time, so that the members come out in Redis's order (its skiplist written from the
 * tail) while writers go on changing the live tree. Every byte — tree header, nodes — is
 * read through the view, and the walk keeps its place (a stack of node offsets and slot
 * indices) between calls: the view keeps freed nodes as they were, so the offsets stay good.
 */
import { Heap } from '../heap/heap.js';
import type { HeapView } from '../heap/view.js';
import { ENTRY, INNER_CAP, ITEM, KIND_INNER, KIND_LEAF, LEAF_CAP, NODE_HDR, OSTREE_LAYOUT } from './ostree.js';

const { T_ROOT, T_HEIGHT, T_COUNT, N_KIND, N_USED, E_CHILD } = OSTREE_LAYOUT;

export class OstreeViewDescCursor {
  /** The tree's item count (its header), as the view has it. */
  readonly count: number;
  /** Node offsets from the root down, and the next slot of each to visit (counting down). */
  private readonly nodes: number[] = [];
  private readonly next: number[] = [];
  private readonly height: number;

  constructor(
    private readonly view: HeapView,
    /** Payload offset of the tree header. */
    hdr: number,
  ) {
    this.count = view.u32(hdr + T_COUNT);
    this.height = view.u32(hdr + T_HEIGHT);
    if (this.height > 64) throw new Error(`ostree ${hdr}: height ${this.height} (not a tree)`);
    const root = view.u32(hdr + T_ROOT);
    if (root !== 0 && this.count > 0) this.push(Heap.deref(root));
  }

  private push(node: number): void {
    const kind = this.view.u8(node + N_KIND);
    const used = this.view.u16(node + N_USED);
    const cap = kind === KIND_LEAF ? LEAF_CAP : kind === KIND_INNER ? INNER_CAP : 0;
    if (cap === 0 || used > cap || this.nodes.length >= this.height) throw new Error(`ostree node ${node}: kind ${kind}, ${used} slots (not a node of this tree)`);
    this.nodes.push(node);
    this.next.push(used - 1);
  }

  /**
   * The next item, last first: `out[0]` its score, `out[1]` its member ref. False when the
   * items are over.
   */
  prev(out: [number, number]): boolean {
    const view = this.view;
    for (;;) {
      const top = this.nodes.length - 1;
      if (top < 0) return false;
      const node = this.nodes[top]!;
      const i = this.next[top]!;
      if (i < 0) {
        this.nodes.pop();
        this.next.pop();
        continue;
      }
      this.next[top] = i - 1;
      if (view.u8(node + N_KIND) === KIND_LEAF) {
        const at = node + NODE_HDR + i * ITEM;
        // (the score first: a view's bytes are valid only until its next call)
        out[0] = view.f64(at);
        out[1] = view.u32(at + 8);
        return true;
      }
      this.push(Heap.deref(view.u32(node + NODE_HDR + i * ENTRY + E_CHILD)));
    }
  }
}
