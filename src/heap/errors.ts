/** The heap (or the memory under it) cannot hold what an operation asked for. */
export class HeapFullError extends Error {
  readonly code: string;
  constructor(message: string, code = 'OOM') {
    super(message);
    this.name = 'HeapFullError';
    this.code = code;
  }
}

/** The segment does not hold a heap this build can read. */
export class HeapFormatError extends Error {
  readonly code = 'EBADHEAP';
  constructor(message: string) {
    super(message);
    this.name = 'HeapFormatError';
  }
}
