/**
 * shmkv as a library (`import { open } from 'shmkv'`): open a Redis keyspace that lives in
 * shared memory — the one a shmkv server serves, or one of your own — and run Redis's
 * commands on it synchronously, from any number of processes at once.
 *
 * The substrate underneath (segments, the cross-process lock, the block heap) is the
 * separate entry `shmkv/shm`.
 */
export { open, KV, Transaction, ReplyError, PubsubLostError, type MessageHandler, type InvalidationHandler, type TrackOptions, type Arg, type GeoAddOptions, type GeoSearchHit, type GeoSearchQuery, type GeoUnit, type ExecResult, type ExpireMode, type OpenOptions, type Pairs, type Reply, type ScanOptions, type SetGetOptions, type SetOptions, type ZAddOptions, type ZRangeOptions } from './kv.js';
export type { NearCacheOptions } from './near_cache.js';
