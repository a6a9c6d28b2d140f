import { openPosixSegment, type PosixOpenOptions } from '../shm/posix.js';
import type { Segment } from '../shm/segment.js';
import { HeapFormatError } from '../heap/errors.js';
import { Keyspace } from './keyspace.js';

export interface OpenKeyspaceOptions {
  /** Segment name (POSIX shared memory /dev/shm/shmkv.<name>). */
  segment: string;
  /** Databases of a new keyspace (an existing one keeps its own). Default 16. */
  databases?: number;
  /** Create the segment when it does not exist. Default true. */
  create?: boolean;
  /** Virtual bytes mapped: the most the keyspace can grow to. Default 64 GiB. */
  reserve?: number;
  /** Directory of the segment file (a tmpfs). Default /dev/shm. */
  dir?: string;
  /** Permission bits of a new segment file. Default 0o600. */
  mode?: number;
}

/** A keyspace in a segment of its own (what openKeyspace returns). */
export type SegmentKeyspace = Keyspace & { segment: Segment };

/**
 * Open (or create) the keyspace in a shared-memory segment. Opening an existing segment
 * maps it and serves it at once: there is nothing to load. A writer that died in the
 * middle of a command is rolled back on the first lock.
 */
export function openKeyspace(opts: OpenKeyspaceOptions): SegmentKeyspace {
  const popts: PosixOpenOptions = { create: opts.create ?? true, reserve: opts.reserve, dir: opts.dir };
  if (opts.mode !== undefined) popts.mode = opts.mode;
  const seg = openPosixSegment(opts.segment, popts);
  try {
    const ks = Keyspace.open(seg, { name: opts.segment, databases: opts.databases, slot: seg.slot, onClose: () => seg.detach() });
    return Object.assign(ks, { segment: seg });
  } catch (e) {
    seg.detach();
    if (e instanceof HeapFormatError) {
      throw new HeapFormatError(
        `${e.message}: segment '${opts.segment}' was made by another shmkv version or is not a keyspace; ` +
          `remove it with \`shmkv rm ${opts.segment}\` (its data is lost) or use another segment name`,
      );
    }
    throw e;
  }
}
