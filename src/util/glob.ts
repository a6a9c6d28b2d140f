/**
 * Glob-style matching with exactly the semantics of Redis 7.0's `stringmatchlen`
 * (used by KEYS, SCAN MATCH, CONFIG GET, CLIENT LIST/KILL, COMMAND LIST, PSUBSCRIBE):
 *
 * - `*` any run of bytes, `?` one byte, `[abc]` `[^abc]` `[a-z]` (reversed ranges are
 *   swapped; `\` escapes inside brackets; an unterminated `[` ends at the pattern's end),
 *   `\x` matches x literally;
 * - bytes are compared as C `char` (signed on x86: ranges over bytes >= 0x80 behave as
 *   Redis does), `nocase` folds only ASCII A-Z (C locale `tolower`);
 * - the matcher stops early once the rest of a pattern after a `*` fails at every
 *   position (Redis's `skipLongerMatches`), and gives up past 1000 nested `*`.
 *
 * The reference reads the byte after the end of the pattern (a NUL in C); here any
 * read past the end yields 0, which is the same thing.
 */

type Bytes = Uint8Array;

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

function byteAt(p: Bytes, i: number): number {
  return i < p.length ? p[i] : 0;
}

function signed(c: number): number {
  return c >= 128 ? c - 256 : c;
}

interface State {
  skipLonger: boolean;
}

function matchImpl(
  p: Bytes,
  pi: number,
  plen: number,
  s: Bytes,
  si: number,
  slen: number,
  nocase: boolean,
  st: State,
  nesting: number,
): boolean {
  if (nesting > 1000) return false;
  while (plen > 0 && slen > 0) {
    const pc = p[pi];
    if (pc === 42 /* '*' */) {
      while (plen > 0 && byteAt(p, pi + 1) === 42) {
        pi++;
        plen--;
      }
      if (plen === 1) return true;
      while (slen > 0) {
        if (matchImpl(p, pi + 1, plen - 1, s, si, slen, nocase, st, nesting + 1)) return true;
        if (st.skipLonger) return false;
        si++;
        slen--;
      }
      st.skipLonger = true;
      return false;
    } else if (pc === 63 /* '?' */) {
      si++;
      slen--;
    } else if (pc === 91 /* '[' */) {
      pi++;
      plen--;
      const not = byteAt(p, pi) === 94; /* '^' */
      if (not) {
        pi++;
        plen--;
      }
      let match = false;
      const sc = s[si];
      for (;;) {
        const c0 = byteAt(p, pi);
        if (c0 === 92 /* '\\' */ && plen >= 2) {
          pi++;
          plen--;
          if (byteAt(p, pi) === sc) match = true;
        } else if (c0 === 93 /* ']' */) {
          break;
        } else if (plen === 0) {
          pi--;
          plen++;
          break;
        } else if (plen >= 3 && byteAt(p, pi + 1) === 45 /* '-' */) {
          let start = signed(c0);
          let end = signed(byteAt(p, pi + 2));
          let c = signed(sc);
          if (start > end) {
            const t = start;
            start = end;
            end = t;
          }
          if (nocase) {
            start = lower(start);
            end = lower(end);
            c = lower(c);
          }
          pi += 2;
          plen -= 2;
          if (c >= start && c <= end) match = true;
        } else if (!nocase) {
          if (c0 === sc) match = true;
        } else if (lower(c0) === lower(sc)) {
          match = true;
        }
        pi++;
        plen--;
      }
      if (not) match = !match;
      if (!match) return false;
      si++;
      slen--;
    } else {
      let c0 = pc;
      if (pc === 92 /* '\\' */ && plen >= 2) {
        pi++;
        plen--;
        c0 = p[pi];
      }
      if (!nocase) {
        if (c0 !== s[si]) return false;
      } else if (lower(c0) !== lower(s[si])) {
        return false;
      }
      si++;
      slen--;
    }
    pi++;
    plen--;
    if (slen === 0) {
      while (byteAt(p, pi) === 42) {
        pi++;
        plen--;
      }
      break;
    }
  }
  return plen === 0 && slen === 0;
}

function toBytes(x: Bytes | string): Bytes {
  return typeof x === 'string' ? Buffer.from(x, 'utf8') : x;
}

/** True when `str` matches the glob `pattern` (Redis `stringmatchlen`). */
export function stringMatch(pattern: Bytes | string, str: Bytes | string, nocase = false): boolean {
  const p = toBytes(pattern);
  const s = toBytes(str);
  return matchImpl(p, 0, p.length, s, 0, s.length, nocase, { skipLonger: false }, 0);
}

/**
 * A reusable matcher for one pattern (KEYS/SCAN over many keys). `*` alone is
 * special-cased to match everything, as KEYS does (note: plain stringmatchlen("*", "")
 * is false in Redis 7.0 but KEYS * still lists the empty key).
 */
export function compileGlob(pattern: Bytes | string, nocase = false): (str: Bytes | string) => boolean {
  const p = toBytes(pattern);
  if (p.length === 1 && p[0] === 42) return () => true;
  return (str) => {
    const s = toBytes(str);
    return matchImpl(p, 0, p.length, s, 0, s.length, nocase, { skipLonger: false }, 0);
  };
}
