/**
 * SLOWLOG: the last `slowlog-max-len` commands that took at least
 * `slowlog-log-slower-than` µs, newest first, as Redis keeps them: at most 32 arguments
 * (the last slot says how many more there were), each at most 128 bytes (the rest
 * counted), secret arguments (AUTH passwords...) replaced by "(redacted)".
 */
const MAX_ARGC = 32;
const MAX_STRING = 128;
const REDACTED = Buffer.from('(redacted)');

import type { SlowlogEntryView } from '../commands/types.js';

export type SlowlogEntry = SlowlogEntryView;

export class Slowlog {
  /** newest first */
  private entries: SlowlogEntry[] = [];
  private nextId = 0;

  push(argv: Buffer[], redacted: readonly number[] | null, duration: number, peer: string, name: string, maxLen: number): void {
    const argc = Math.min(argv.length, MAX_ARGC);
    const args: Buffer[] = new Array(argc);
    for (let j = 0; j < argc; j++) {
      if (argc !== argv.length && j === argc - 1) {
        args[j] = Buffer.from(`... (${argv.length - argc + 1} more arguments)`);
      } else if (redacted !== null && redacted.includes(j)) {
        args[j] = REDACTED;
      } else {
        const a = argv[j]!;
        // copied: argv may be a view of the socket's read buffer
        args[j] = a.length > MAX_STRING ? Buffer.concat([a.subarray(0, MAX_STRING), Buffer.from(`... (${a.length - MAX_STRING} more bytes)`)]) : Buffer.from(a);
      }
    }
    this.entries.unshift({ id: this.nextId++, time: Math.floor(Date.now() / 1000), duration: Math.floor(duration), args, peer, name });
    if (this.entries.length > maxLen) this.entries.length = maxLen;
  }

  /** The newest `count` entries (all when count is -1). */
  get(count: number): SlowlogEntry[] {
    return count < 0 ? this.entries.slice() : this.entries.slice(0, count);
  }

  get length(): number {
    return this.entries.length;
  }

  reset(): void {
    this.entries = [];
  }

  /** slowlog-max-len lowered: drop the oldest. */
  trim(maxLen: number): void {
    if (this.entries.length > maxLen) this.entries.length = maxLen;
  }
}
