/**
 * The segment layer: POSIX and System V shared-memory segments with a common header,
 * a robust cross-process write lock, an attach registry with pid-reuse-safe liveness,
 * and ipcs/ipcrm-like tools. See header.ts for the layout of page 0.
 */
export { ShmError } from './errors.js';
export { HEADER_SIZE, LAYOUT_VERSION, MAGIC } from './header.js';
export { PAGE_SIZE } from './native.js';
export {
  Segment,
  validateName,
  type Attachment,
  type CommonOptions,
  type ListedState,
  type SegmentKind,
  type SegmentState,
  type SegmentStat,
} from './segment.js';
export {
  DEFAULT_DIR,
  DEFAULT_INITIAL_SIZE,
  DEFAULT_RESERVE,
  createPosixSegment,
  openPosixSegment,
  posixPath,
  type PosixOpenOptions,
  type PosixOptions,
} from './posix.js';
export {
  createSysvSegment,
  openSysvById,
  openSysvSegment,
  sysvKey,
  type SysvOpenOptions,
  type SysvOptions,
} from './sysv.js';
export { listSegments, removeSegment, type ListOptions, type RemoveOptions, type RemoveResult } from './admin.js';
export { futexWait, futexWaitAsync, futexWake, type FutexResult } from './futex.js';
