/**
 * The low-level substrate (`import * as shm from 'shmkv/shm'`), for those who build on
 * shared memory themselves: POSIX and System V segments with a common header, the robust
 * cross-process write lock, attach registry and tools (src/shm), and the block heap with
 * its undo log (src/heap). The keyspace and its commands are the main entry, `shmkv`.
 */
export * from './shm/index.js';
export { Heap, type HeapStats, type Savepoint } from './heap/heap.js';
export { checkHeap } from './heap/check.js';
export { HeapFullError, HeapFormatError } from './heap/errors.js';
