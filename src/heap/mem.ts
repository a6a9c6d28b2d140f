/**
 * Views over a mapping. A DataView reaches every byte of a 64 GiB mapping, but a typed
 * array holds at most 2^32 elements, so `u8` covers the first `u8Limit` bytes and the
 * byte helpers fall back to a short-lived view above it.
 *
 * Copies longer than a few words go through the addon's memmove (`native.memmove`,
 * `copyIn`, `copyOut`): V8 copies a SharedArrayBuffer's bytes (copyWithin, set) with
 * relaxed atomic accesses, a byte at a time unless source and destination are equally
 * aligned, so shifting a 4 KB listpack by one 5-byte entry took ~4 us there (and logging
 * its old bytes as much again); libc's memmove does it in ~0.1 us, the call included.
 */
import { native } from '../shm/native.js';

/** Up to this many bytes, copies are JS loops (a call into the addon costs ~70 ns). */
const SMALL = 24;
/**
 * V8 keeps typed arrays of up to 64 bytes on its heap, and handing one to the addon would
 * move it off (an allocation): such arrays are copied by JS loops whatever the length.
 */
const ON_HEAP_MAX = 64;

export class Mem {
  readonly dv: DataView;
  readonly u8: Uint8Array;
  readonly i32: Int32Array;
  /** 32-bit words of the first u8Limit bytes (little-endian, as the machine: src/shm/header.ts refuses others). */
  readonly u32: Uint32Array;
  readonly u8Limit: number;

  constructor(readonly sab: SharedArrayBuffer) {
    this.dv = new DataView(sab);
    this.u8Limit = Math.min(sab.byteLength, 2 ** 32 - 4096);
    this.u8 = new Uint8Array(sab, 0, this.u8Limit);
    this.i32 = new Int32Array(sab, 0, Math.floor(this.u8Limit / 4));
    this.u32 = new Uint32Array(sab, 0, Math.floor(this.u8Limit / 4));
  }

  /** A view of [off, off+len): a subarray of u8 when it can be. */
  view(off: number, len: number): Uint8Array {
    if (off + len <= this.u8Limit) return this.u8.subarray(off, off + len);
    return new Uint8Array(this.sab, off, len);
  }

  /** memmove inside the mapping. */
  copy(dst: number, src: number, len: number): void {
    if (len === 0) return;
    if (dst + len <= this.u8Limit && src + len <= this.u8Limit) {
      // a call into the addon costs ~70 ns: a loop is cheaper for the short ranges the
      // undo log and the tables move
      if (len <= SMALL) {
        const u8 = this.u8;
        if (dst < src) for (let i = 0; i < len; i++) u8[dst + i] = u8[src + i]!;
        else for (let i = len - 1; i >= 0; i--) u8[dst + i] = u8[src + i]!;
        return;
      }
    }
    native.memmove(this.sab, dst, src, len);
  }

  /** Copy bytes in from a JS buffer. */
  write(dst: number, src: Uint8Array, srcStart = 0, len = src.length - srcStart): void {
    if (len === 0) return;
    // (a source inside the mapping itself may overlap: copy() handles that)
    if (src === this.u8) {
      this.copy(dst, srcStart, len);
      return;
    }
    if ((len <= SMALL || src.byteLength <= ON_HEAP_MAX) && dst + len <= this.u8Limit) {
      const u8 = this.u8;
      for (let i = 0; i < len; i++) u8[dst + i] = src[srcStart + i]!;
      return;
    }
    // (reading .buffer is free here: an array this long is not on V8's heap)
    if (src.buffer === this.sab) this.copy(dst, src.byteOffset + srcStart, len);
    else native.copyIn(this.sab, dst, src, srcStart, len);
  }

  /** Copy bytes out into a JS buffer. */
  read(src: number, len: number, dst: Uint8Array, dstStart = 0): void {
    if (len === 0) return;
    if ((len <= SMALL || dst.byteLength <= ON_HEAP_MAX) && src + len <= this.u8Limit) {
      const u8 = this.u8;
      for (let i = 0; i < len; i++) dst[dstStart + i] = u8[src + i]!;
      return;
    }
    native.copyOut(this.sab, src, dst, dstStart, len);
  }

  fill(off: number, len: number, value: number): void {
    if (len === 0) return;
    if (off + len <= this.u8Limit) this.u8.fill(value, off, off + len);
    else this.view(off, len).fill(value);
  }

  /** Compare stored bytes with a JS buffer's bytes. */
  equals(off: number, buf: Uint8Array, start: number, len: number): boolean {
    if (off + len <= this.u8Limit) {
      const u8 = this.u8;
      for (let i = 0; i < len; i++) if (u8[off + i] !== buf[start + i]) return false;
      return true;
    }
    const v = this.view(off, len);
    for (let i = 0; i < len; i++) if (v[i] !== buf[start + i]) return false;
    return true;
  }

  /** memcmp-style ordering of stored bytes against a buffer. */
  compare(off: number, len: number, buf: Uint8Array, start: number, blen: number): number {
    const n = Math.min(len, blen);
    const v = this.view(off, n);
    for (let i = 0; i < n; i++) {
      const d = v[i]! - buf[start + i]!;
      if (d !== 0) return d;
    }
    return len - blen;
  }
}
