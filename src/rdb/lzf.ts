/**
 * LZF, the compression of RDB strings (Redis bundles liblzf 3.6).
 *
 * The format is a sequence of runs, each opened by a control byte:
 *   000LLLLL  <L+1 literal bytes>                 (1..32 literals)
 *   LLLooooo  oooooooo                            back reference: L+2 bytes (L = 1..6)
 *   111ooooo  LLLLLLLL  oooooooo                  back reference: L+9 bytes
 * where the 13-bit o is the distance back minus one from the current output end.
 *
 * The compressor makes the choices liblzf makes with Redis's settings (16-bit hash of the
 * next 3 bytes, "very fast" mode: after a match only the last two positions are hashed;
 * no match may refer to the first input byte), so what we
 * write is what Redis writes for the same string — except that liblzf's hash table is
 * left uninitialised on the stack and may, rarely, offer it a stale match that ours
 * (which starts empty) does not have: the output is valid LZF either way.
 */

import { RdbError } from './value.js';

const HLOG = 16;
const HSIZE = 1 << HLOG;
const MAX_LIT = 1 << 5;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

/**
 * The most bytes one compressed byte can stand for: a 3-byte back reference yields at
 * most 264 bytes. A claimed uncompressed length beyond `compressedLength * LZF_MAX_RATIO`
 * cannot be right (used to refuse absurd lengths before allocating).
 */
export const LZF_MAX_RATIO = 88;

let table: Int32Array | null = null;

/**
 * Compress `src` as Redis does for an RDB string (rdbSaveLzfStringObject): only when it
 * saves at least 4 bytes — the output must fit in `src.length - 4` bytes — else null.
 * (Redis also only tries strings longer than 20 bytes; that rule is the encoder's.)
 */
export function lzfCompress(src: Uint8Array): Uint8Array | null {
  const inLen = src.length;
  if (inLen <= 4) return null;
  const outEnd = inLen - 4;
  const out = new Uint8Array(outEnd + 1);
  const htab = table ?? (table = new Int32Array(HSIZE));
  htab.fill(-1);

  let ip = 0;
  let op = 1; // room for the first literal run's control byte
  let lit = 0;
  let hval = (src[0] << 8) | src[1];

  while (ip < inLen - 2) {
    hval = ((hval << 8) | src[ip + 2]) >>> 0;
    const slot = ((hval >>> (24 - HLOG)) - Math.imul(hval, 5)) & (HSIZE - 1);
    const ref = htab[slot];
    htab[slot] = ip;
    const off = ip - ref - 1;
    if (
      ref > 0 && // liblzf never matches at the very first input byte
      off < MAX_OFF &&
      src[ref] === src[ip] &&
      src[ref + 1] === src[ip + 1] &&
      src[ref + 2] === src[ip + 2]
    ) {
      let maxlen = inLen - ip - 2;
      if (maxlen > MAX_REF) maxlen = MAX_REF;

      out[op - lit - 1] = lit - 1; // close the literal run
      if (lit === 0) op--; // (there was none)
      if (op + 4 >= outEnd) return null;

      // The match length, exactly as liblzf measures it: when more than 16 bytes may
      // follow it checks 16 more without the `maxlen` bound, then goes on byte by byte.
      let len = 2;
      let open = true;
      if (maxlen > 16) {
        for (let k = 0; k < 16; k++) {
          len++;
          if (src[ref + len] !== src[ip + len]) {
            open = false;
            break;
          }
        }
      }
      if (open) {
        do len++;
        while (len < maxlen && src[ref + len] === src[ip + len]);
      }

      len -= 2; // the stored length: bytes matched minus 2
      ip++;
      if (len < 7) {
        out[op++] = (off >>> 8) + (len << 5);
      } else {
        out[op++] = (off >>> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++; // open the next literal run
      ip += len + 1;
      if (ip >= inLen - 2) break;

      // "very fast" mode: hash only the two positions before the new one
      ip -= 2;
      hval = (src[ip] << 8) | src[ip + 1];
      hval = ((hval << 8) | src[ip + 2]) >>> 0;
      htab[((hval >>> (24 - HLOG)) - Math.imul(hval, 5)) & (HSIZE - 1)] = ip;
      ip++;
      hval = ((hval << 8) | src[ip + 2]) >>> 0;
      htab[((hval >>> (24 - HLOG)) - Math.imul(hval, 5)) & (HSIZE - 1)] = ip;
      ip++;
    } else {
      if (op >= outEnd) return null;
      lit++;
      out[op++] = src[ip++];
      if (lit === MAX_LIT) {
        out[op - lit - 1] = lit - 1;
        lit = 0;
        op++;
      }
    }
  }

  if (op + 3 > outEnd) return null;
  while (ip < inLen) {
    lit++;
    out[op++] = src[ip++];
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  out[op - lit - 1] = lit - 1;
  if (lit === 0) op--;
  return out.slice(0, op);
}

/**
 * Decompress `src`, which must expand to exactly `outLen` bytes (Redis's rule: anything
 * else is "Invalid LZF compressed string"). Every read and write is bounds-checked; a
 * malformed input throws RdbError and never reads or writes outside the buffers.
 */
export function lzfDecompress(src: Uint8Array, outLen: number): Uint8Array {
  const inLen = src.length;
  if (!Number.isSafeInteger(outLen) || outLen < 0) throw new RdbError(`invalid LZF uncompressed length ${outLen}`);
  if (outLen > inLen * LZF_MAX_RATIO) {
    throw new RdbError(`invalid LZF string: ${inLen} compressed bytes cannot expand to ${outLen}`);
  }
  const out = new Uint8Array(outLen);
  let ip = 0;
  let op = 0;
  while (ip < inLen) {
    let ctrl = src[ip++];
    if (ctrl < 32) {
      ctrl++; // literal run
      if (op + ctrl > outLen) throw lzfError(`a literal run overflows the ${outLen}-byte output`, ip - 1);
      if (ip + ctrl > inLen) throw lzfError('a literal run is cut short', ip - 1);
      out.set(src.subarray(ip, ip + ctrl), op);
      op += ctrl;
      ip += ctrl;
    } else {
      let len = ctrl >>> 5;
      let ref = op - ((ctrl & 0x1f) << 8) - 1;
      if (ip >= inLen) throw lzfError('a back reference is cut short', ip - 1);
      if (len === 7) {
        len += src[ip++];
        if (ip >= inLen) throw lzfError('a back reference is cut short', ip - 2);
      }
      ref -= src[ip++];
      len += 2;
      if (op + len > outLen) throw lzfError(`a back reference overflows the ${outLen}-byte output`, ip - 1);
      if (ref < 0) throw lzfError('a back reference points before the start of the output', ip - 1);
      // byte by byte: source and destination may overlap (a run of a repeated pattern)
      for (let k = 0; k < len; k++) out[op++] = out[ref++];
    }
  }
  if (op !== outLen) throw new RdbError(`invalid LZF string: it expands to ${op} bytes, not the ${outLen} announced`);
  return out;
}

function lzfError(what: string, at: number): RdbError {
  return new RdbError(`invalid LZF string: ${what} (compressed byte ${at})`);
}
