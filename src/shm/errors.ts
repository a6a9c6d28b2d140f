/**
 * Errors thrown by src/shm. Every one has a `.code` (an errno name such as 'EEXIST',
 * or one of ours: 'EBADSEG' for a file that is not a shmkv segment, 'EVERSION' for a
 * segment of another layout version, 'EDETACHED' for use after detach(),
 * 'ENOADDON' when the native addon is missing) and a one-line message that says what
 * to do about it.
 */
export class ShmError extends Error {
  readonly code: string;
  readonly errno: number | undefined;
  readonly syscall: string | undefined;

  constructor(code: string, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ShmError';
    this.code = code;
    const c = cause as { errno?: unknown; syscall?: unknown } | undefined;
    this.errno = typeof c?.errno === 'number' ? c.errno : undefined;
    this.syscall = typeof c?.syscall === 'string' ? c.syscall : undefined;
  }
}

/** The errno name of an error thrown by the addon or by node:fs, if any. */
export function errCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** The message of any thrown value. */
export function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
