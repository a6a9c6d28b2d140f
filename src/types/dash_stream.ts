/**
 * The ValueStream (src/rdb/stream.ts) shared by the collections whose big form is a Dash of
 * element chunks (hash, set, sorted set): the element count first, then each element as
 * the type writes it, about `budget` elements per step, the table walked through the
 * HeapView by a DashViewCursor that keeps its place between steps.
 */
import { Heap } from '../heap/heap.js';
import type { HeapView } from '../heap/view.js';
import type { RdbEncoder } from '../rdb/encode.js';
import type { ValueStream } from '../rdb/stream.js';
import { DashViewCursor } from '../structs/dash_view.js';

export class DashValueStream implements ValueStream {
  private readonly cursor: DashViewCursor;
  private started = false;
  private written = 0;

  constructor(
    readonly rdbType: number,
    private readonly view: HeapView,
    /** Payload offset of the Dash table (read through the view). */
    table: number,
    /** The element count written first: the entry's O_VLEN as the view has it. */
    private readonly count: number,
    /** Write one element, its chunk at payload offset p (read through the view). */
    private readonly writeElement: (enc: RdbEncoder, view: HeapView, p: number) => void,
  ) {
    this.cursor = new DashViewCursor(view, table);
    // the entry and its table count the same elements in any consistent heap: a view that
    // disagrees with itself would write a count that does not match what follows
    if (this.cursor.count !== count) throw new Error(`dash stream: the entry counts ${count} elements, its table ${this.cursor.count}`);
  }

  step(enc: RdbEncoder, budget: number): boolean {
    if (!this.started) {
      enc.len(this.count);
      this.started = true;
    }
    for (let n = Math.max(1, Math.floor(budget)); n > 0 && this.written < this.count; n--) {
      const r = this.cursor.next();
      if (r === 0) throw new Error(`dash stream: the table ended after ${this.written} of ${this.count} elements`);
      this.writeElement(enc, this.view, Heap.deref(r));
      this.written++;
    }
    if (this.written < this.count) return false;
    // the count is already out: a table holding more than it says is a broken view
    if (this.cursor.next() !== 0) throw new Error(`dash stream: the table holds more than its ${this.count} elements`);
    return true;
  }
}
