/**
 * All command families, collected into one table for the registry. A new family file
 * (`src/commands/<name>_family.ts` ending with `export const commands: CommandDef[]`) is
 * added here.
 */

import { commands as commandFamily } from './registry.js';
import { commands as connectionFamily } from './connection_family.js';
import { commands as serverFamily } from './server_family.js';
import { commands as stringFamily } from './string_family.js';
import { commands as keysFamily } from './keys_family.js';
import type { CommandDef } from './types.js';

export const families: Record<string, CommandDef[]> = {
  command: commandFamily,
  connection: connectionFamily,
  server: serverFamily,
  string: stringFamily,
  keys: keysFamily,
};

/** Every command of every family. */
export const allCommands: CommandDef[] = Object.values(families).flat();
