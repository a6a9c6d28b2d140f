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
    const ks = Object.assign(Keyspace.open(seg, { name: opts.segment, databases: opts.databases, slot: seg.slot, onClose: () => seg.detach() }), { segment: seg });
    reapDeadSnapshot(ks);
    return ks;
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

/**
 * Is the owner (attach slot, pid) of a snapshot or epoch alive? `deadPid` is a process known
 * to be dead whose attach slot may still look held: a server a standby took over from (the
 * kernel drops a killed process's locks only once it has unmapped its memory).
 */
function ownerAlive(ks: SegmentKeyspace, ownerSlot: number, ownerPid: number, deadPid: number): boolean {
  if (deadPid !== 0 && ownerPid === deadPid) return false;
  return ownerSlot >= 0 ? ks.segment.slotHolder(ownerSlot) === ownerPid : ownerPid === process.pid;
}

/**
 * A snapshot whose owner died (a BGSAVE's server killed mid-walk) would make every writer
 * preserve keys for nothing: whoever opens the keyspace (or begins a snapshot) drops it,
 * and a standby taking over from a dead server (`deadPid`). True when one was dropped.
 */
export function reapDeadSnapshot(ks: SegmentKeyspace, deadPid = 0): boolean {
  reapDeadCowEpoch(ks, deadPid);
  const info = ks.snapshots.info();
  if (info === null) return false;
  if (ownerAlive(ks, info.ownerSlot, info.ownerPid, deadPid)) return false;
  return ks.exec(() => {
    const again = ks.snapshots.info();
    if (again === null || again.ownerPid !== info.ownerPid || again.startedAt !== info.startedAt) return false;
    ks.snapshots.abort();
    return true;
  });
}

/**
 * The same for a copy-on-write epoch (src/heap/cow.ts: an incremental DUMP's, or a
 * snapshot's for its pinned values, owned like the snapshot) whose owner died: it is
 * ended, a slice of its quarantined frees per operation.
 */
export function reapDeadCowEpoch(ks: SegmentKeyspace, deadPid = 0): boolean {
  const info = ks.heap.cow.info();
  if (info === null) return false;
  if (ownerAlive(ks, info.ownerSlot, info.ownerPid, deadPid)) return false;
  while (
    !ks.exec(() => {
      const again = ks.heap.cow.info();
      if (again === null || again.ownerPid !== info.ownerPid || again.startedAt !== info.startedAt) return true;
      return ks.heap.cow.endStep();
    })
  );
  return true;
}
