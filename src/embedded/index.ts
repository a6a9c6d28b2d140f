/**
 * The library entry point (`import { openStore } from 'shmkv'`): open the keyspace a
 * server serves (or one of your own) in this process and work on it directly, under the
 * same cross-process lock and undo log as the server.
 */
export { openStore, type OpenStoreOptions } from '../store/store.js';
export { Keyspace, ReplyError, WrongTypeError } from '../store/keyspace.js';
export type { Store, StoreMemoryStats } from '../store/api.js';
export { Heap, type HeapStats } from '../heap/heap.js';
export { checkHeap } from '../heap/check.js';
export * as shm from '../shm/index.js';
