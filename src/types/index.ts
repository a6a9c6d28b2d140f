/**
 * Every value type, registered with the keyspace when this module loads. Whatever reads
 * values without the engine (the `shmkv check` tool, tests of the keyspace) imports it.
 */
import './string/storage.js';
import './set/storage.js';
import './list/storage.js';
import './hash/storage.js';
import './zset/storage.js';
