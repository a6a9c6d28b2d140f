/**
 * Lists to and from the RDB value model (src/rdb/value.ts): a list is written as its
 * quicklist nodes (RDB_TYPE_LIST_QUICKLIST_2), a node holding one element of at least the
 * packed threshold as a plain node, and loaded node by node as Redis 7.0's rdbLoadObject
 * does (the file's nodes kept, cut only where they break this list's fill rules).
 */
import type { Keyspace } from '../../keyspace/keyspace.js';
import { lpData, lpFirst, lpLen, lpNext } from '../../structs/listpack.js';
import { OBJ_LIST, RdbError, type RdbList, type RdbValue } from '../../rdb/value.js';
import { forEachListNode, listNodeGroups, newListFromNodes } from './storage.js';

/** The nodes of list e, head to tail; elements are views into the heap. */
export function listToRdb(ks: Keyspace, e: number): RdbList {
  const heap = ks.heap;
  const nodes: Uint8Array[][] = [];
  const plain: boolean[] = [];
  forEachListNode(ks, e, (p, isPlain) => {
    const items: Uint8Array[] = [];
    for (let at = lpFirst(heap, p); at !== 0; at = lpNext(heap, p, at)) items.push(heap.mem.view(lpData(heap, at), lpLen(heap, at)));
    nodes.push(items);
    plain.push(isPlain);
  });
  return plain.includes(true) ? { type: OBJ_LIST, nodes, plain } : { type: OBJ_LIST, nodes };
}

/** A new entry holding the list (always `quicklist`, as Redis 7.0). */
export function listFromRdb(ks: Keyspace, key: Uint8Array, v: RdbValue): number {
  if (v.type !== OBJ_LIST) throw new RdbError(`a value of type ${v.type} given to the list type`);
  const groups = listNodeGroups(ks, v.nodes, v.plain);
  // a list whose nodes are all empty is no value (Redis's "empty key": RESTORE's Bad data format)
  if (groups.length === 0) throw new RdbError('empty list');
  return newListFromNodes(ks, key, groups);
}
