/**
 * Views over a mapping. A DataView reaches every byte of a 64 GiB mapping, but a typed
 * array holds at most 2^32 elements, so `u8` covers the first `u8Limit` bytes and the
 * byte helpers fall back to a short-lived view above it.
 */
/** Up to this many bytes, copies are JS loops rather than calls into the runtime. */
const SMALL = 64;

export class Mem {
  readonly dv: DataView;
  readonly u8: Uint8Array;
  readonly i32: Int32Array;
  readonly u8Limit: number;

  constructor(readonly sab: SharedArrayBuffer) {
    this.dv = new DataView(sab);
    this.u8Limit = Math.min(sab.byteLength, 2 ** 32 - 4096);
    this.u8 = new Uint8Array(sab, 0, this.u8Limit);
    this.i32 = new Int32Array(sab, 0, Math.floor(this.u8Limit / 4));
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
      // copyWithin is a call into C++ (~100 ns): a loop is cheaper for the short ranges
      // the undo log and the tables move
      if (len <= SMALL) {
        const u8 = this.u8;
        if (dst < src) for (let i = 0; i < len; i++) u8[dst + i] = u8[src + i]!;
        else for (let i = len - 1; i >= 0; i--) u8[dst + i] = u8[src + i]!;
        return;
      }
      this.u8.copyWithin(dst, src, src + len);
    } else {
      const tmp = new Uint8Array(len);
      tmp.set(this.view(src, len));
      this.view(dst, len).set(tmp);
    }
  }

  /** Copy bytes in from a JS buffer. */
  write(dst: number, src: Uint8Array, srcStart = 0, len = src.length - srcStart): void {
    if (len === 0) return;
    // (a source inside the mapping itself may overlap: copy() handles that)
    if (len <= SMALL && dst + len <= this.u8Limit && src !== this.u8) {
      const u8 = this.u8;
      for (let i = 0; i < len; i++) u8[dst + i] = src[srcStart + i]!;
      return;
    }
    const part = srcStart === 0 && len === src.length ? src : src.subarray(srcStart, srcStart + len);
    if (dst + len <= this.u8Limit) this.u8.set(part, dst);
    else this.view(dst, len).set(part);
  }

  /** Copy bytes out into a JS buffer. */
  read(src: number, len: number, dst: Uint8Array, dstStart = 0): void {
    if (len === 0) return;
    dst.set(this.view(src, len), dstStart);
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
