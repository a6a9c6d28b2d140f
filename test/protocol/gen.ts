/** fast-check generators of request streams (shared by property and differential tests). */
import fc from 'fast-check';

export type Enc = 'multibulk' | 'inline';

export interface GenCommand {
  args: Uint8Array[];
  enc: Enc;
}

const INTERESTING = [0, 9, 10, 11, 12, 13, 32, 34, 39, 92, 42, 36, 120, 0x80, 0xff];

export const argArb = fc.oneof(
  fc.uint8Array({ maxLength: 24 }),
  fc.array(fc.constantFrom(...INTERESTING), { maxLength: 8 }).map((a) => Uint8Array.from(a)),
  fc.constantFrom('SET', 'key:1', 'v', '', '*', '$', '"', "'", ' ', '\r\n').map((s) => Uint8Array.from(Buffer.from(s, 'latin1'))),
);

export const commandArb: fc.Arbitrary<GenCommand> = fc.record({
  args: fc.array(argArb, { minLength: 1, maxLength: 5 }),
  enc: fc.constantFrom<Enc>('multibulk', 'inline'),
});

function isPlain(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 58 || c === 95 || c === 45 || c === 46;
}

/** Encode one command; inline arguments are written plain when possible, else double-quoted. */
export function encode(cmd: GenCommand, eol: '\r\n' | '\n' = '\r\n'): Buffer {
  if (cmd.enc === 'multibulk') {
    const parts: Buffer[] = [Buffer.from(`*${cmd.args.length}\r\n`)];
    for (const a of cmd.args) parts.push(Buffer.from(`$${a.length}\r\n`), Buffer.from(a), Buffer.from('\r\n'));
    return Buffer.concat(parts);
  }
  const toks: string[] = [];
  for (const a of cmd.args) {
    if (a.length > 0 && a.every(isPlain)) {
      toks.push(Buffer.from(a).toString('latin1'));
      continue;
    }
    let t = '"';
    for (const c of a) {
      if (c === 34) t += '\\"';
      else if (c === 92) t += '\\\\';
      else if (c >= 32 && c < 127) t += String.fromCharCode(c);
      else t += '\\x' + c.toString(16).padStart(2, '0');
    }
    toks.push(t + '"');
  }
  return Buffer.from(toks.join(' ') + eol, 'latin1');
}

/** Split data at the given sorted fractions (0..1). */
export function splitAt(data: Buffer, cuts: number[]): Buffer[] {
  const pos = [...new Set(cuts.map((f) => Math.floor(f * data.length)))].filter((p) => p > 0 && p < data.length).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of pos) {
    out.push(data.subarray(prev, p));
    prev = p;
  }
  out.push(data.subarray(prev));
  return out;
}

/** Cut data into consecutive chunks whose sizes cycle through `sizes` (each >= 1). */
export function chunkBySizes(data: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let p = 0;
  let i = 0;
  while (p < data.length) {
    const n = Math.max(1, sizes.length ? sizes[i++ % sizes.length] : data.length);
    out.push(data.subarray(p, p + n));
    p += n;
  }
  return out;
}
