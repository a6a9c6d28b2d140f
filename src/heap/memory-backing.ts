import type { Backing } from './backing.js';

const PAGE = 4096;

/**
 * A Backing over a plain SharedArrayBuffer, for one process: heaps that need no
 * segment (tests, tools that build a heap in memory). `capacity` simulates a tmpfs
 * that can back only so many bytes: past it, grow/reserve fail with ENOSPC.
 */
export class MemoryBacking implements Backing {
  readonly sab: SharedArrayBuffer;
  readonly base: number;
  readonly reserved: number;
  private size: number;
  /** Bytes currently backed (grown or reserved, minus punched). */
  backedBytes = 0;
  private readonly backed = new Set<number>();
  private held = false;

  constructor(opts: { reserved?: number; base?: number; capacity?: number } = {}) {
    this.reserved = opts.reserved ?? 64 * 1024 * 1024;
    this.base = opts.base ?? PAGE;
    this.capacity = opts.capacity ?? Infinity;
    this.sab = new SharedArrayBuffer(this.reserved);
    this.size = this.base;
    this.mark(0, this.base);
  }

  capacity: number;

  private mark(off: number, len: number): void {
    for (let p = Math.floor(off / PAGE); p < Math.ceil((off + len) / PAGE); p++) {
      if (!this.backed.has(p)) {
        if ((this.backed.size + 1) * PAGE > this.capacity) throw Object.assign(new Error('fallocate: ENOSPC (No space left on device)'), { code: 'ENOSPC' });
        this.backed.add(p);
      }
    }
    this.backedBytes = this.backed.size * PAGE;
  }

  /** Whether every page of [off, off+len) is backed (tests use it to catch writes into holes). */
  isBacked(off: number, len: number): boolean {
    for (let p = Math.floor(off / PAGE); p < Math.ceil((off + len) / PAGE); p++) if (!this.backed.has(p)) return false;
    return true;
  }

  committed(): number {
    return this.size;
  }

  grow(newCommitted: number): void {
    if (newCommitted > this.reserved) throw Object.assign(new Error('grow past the reservation'), { code: 'EFBIG' });
    if (newCommitted <= this.size) return;
    this.mark(this.size, newCommitted - this.size);
    this.size = newCommitted;
  }

  extend(newSize: number): void {
    if (newSize > this.reserved) throw Object.assign(new Error('extend past the reservation'), { code: 'EFBIG' });
    if (newSize > this.size) this.size = newSize;
  }

  shrink(newCommitted: number): void {
    for (let p = Math.ceil(newCommitted / PAGE); p < Math.ceil(this.size / PAGE); p++) this.backed.delete(p);
    new Uint8Array(this.sab, newCommitted, this.size - newCommitted).fill(0);
    this.size = newCommitted;
    this.backedBytes = this.backed.size * PAGE;
  }

  punch(off: number, len: number): void {
    for (let p = off / PAGE; p < (off + len) / PAGE; p++) this.backed.delete(p);
    new Uint8Array(this.sab, off, len).fill(0);
    this.backedBytes = this.backed.size * PAGE;
  }

  reserve(off: number, len: number): void {
    this.mark(off, len);
  }

  lock(): boolean {
    if (this.held) throw new Error('MemoryBacking: lock is not re-entrant');
    this.held = true;
    return false;
  }

  unlock(): void {
    this.held = false;
  }
}
