/**
 * Every command family's table, collected for the registry. A new family (a file ending
 * with `export const commands: CommandDef[]`) is added here: the generic families live in
 * src/commands/, each data type's in src/types/<type>/. Importing a type's family also
 * registers its value type with the keyspace (src/keyspace/valuetypes.ts).
 */
import { commands as connectionFamily } from '../commands/connection_family.js';
import { commands as serverFamily } from '../commands/server_family.js';
import { commands as keysFamily } from '../commands/keys_family.js';
import { commands as transactionFamily } from '../commands/transaction_family.js';
import { commands as functionFamily } from '../commands/function_family.js';
import { commands as memoryFamily } from '../commands/memory_family.js';
import { commands as debugFamily } from '../commands/debug_family.js';
import { commands as sortFamily } from '../commands/sort_family.js';
import { commands as pubsubFamily } from '../commands/pubsub_family.js';
import { commands as persistenceFamily } from '../commands/persistence_family.js';
import { commands as dumpFamily } from '../commands/dump_family.js';
import { commands as stringFamily } from '../types/string/string_family.js';
import { commands as setFamily } from '../types/set/set_family.js';
import { commands as listFamily } from '../types/list/list_family.js';
import { commands as hashFamily } from '../types/hash/hash_family.js';
import { commands as zsetFamily } from '../types/zset/zset_family.js';
import { commands as bitmapFamily } from '../types/string/bitmap_family.js';
import { commands as hyperloglogFamily } from '../types/string/hyperloglog_family.js';
import { commands as geoFamily } from '../types/geo/geo_family.js';
import type { CommandDef } from '../commands/types.js';

export const families: Record<string, CommandDef[]> = {
  connection: connectionFamily,
  server: serverFamily,
  keys: keysFamily,
  transactions: transactionFamily,
  function: functionFamily,
  memory: memoryFamily,
  debug: debugFamily,
  sort: sortFamily,
  pubsub: pubsubFamily,
  persistence: persistenceFamily,
  dump: dumpFamily,
  string: stringFamily,
  set: setFamily,
  list: listFamily,
  hash: hashFamily,
  zset: zsetFamily,
  bitmap: bitmapFamily,
  hyperloglog: hyperloglogFamily,
  geo: geoFamily,
};

/** Every command of every family (the COMMAND family is added by the engine, bound to its registry). */
export const allCommands: CommandDef[] = Object.values(families).flat();
