/**
 * Shared parser cases: each is fed to our parser and (in parser-diff.test.ts) sent to a real
 * redis-server. Commands are only PING and ECHO so that the replies show the argv exactly.
 */
import { RequestParser } from '../../src/protocol/parser.js';

export interface Case {
  name: string;
  chunks: Buffer[];
  /** true when the result depends on read boundaries (lines between 64 and 80 KB), as in Redis */
  chunking?: boolean;
  /** expected argv (latin1 strings) and error; checked in parser.test.ts */
  cmds: string[][];
  error: string | null;
}

const B = (s: string) => Buffer.from(s, 'latin1');
const P = 'ERR Protocol error: ';
const big = (n: number, c = 'a') => c.repeat(n);

export const CASES: Case[] = [
  { name: 'multibulk', chunks: [B('*2\r\n$4\r\nECHO\r\n$3\r\nfoo\r\n')], cmds: [['ECHO', 'foo']], error: null },
  { name: 'inline', chunks: [B('PING\r\n')], cmds: [['PING']], error: null },
  { name: 'inline bare LF and blanks', chunks: [B('PING\nPING\r\n\r\n\n   \n\t\nECHO  x  \n')], cmds: [['PING'], ['PING'], ['ECHO', 'x']], error: null },
  {
    name: 'inline double-quote escapes',
    chunks: [B('ECHO "a\\x41\\n\\r\\t\\b\\a\\\\\\"\\q\\xzz\\x4"\r\n')],
    cmds: [['ECHO', 'aA\n\r\t\b\x07\\"qxzzx4']],
    error: null,
  },
  { name: 'inline single quotes', chunks: [B("ECHO 'a\\'b\\n\"'\r\n")], cmds: [['ECHO', "a'b\\n\""]], error: null },
  { name: 'inline quote mid-token', chunks: [B('ECHO a"b c"\r\n')], cmds: [['ECHO', 'ab c']], error: null },
  { name: 'inline empty quoted arg', chunks: [B('ECHO ""\r\n')], cmds: [['ECHO', '']], error: null },
  { name: 'inline vertical tab inside token', chunks: [B('ECHO a\x0bb\r\n')], cmds: [['ECHO', 'a\x0bb']], error: null },
  { name: 'inline closing quote then VT', chunks: [B('ECHO "a"\x0b\r\n')], cmds: [['ECHO', 'a']], error: null },
  { name: 'inline CR inside a line separates tokens', chunks: [B('ECHO\ra\n')], cmds: [['ECHO', 'a']], error: null },
  { name: 'inline high bytes', chunks: [B('ECHO \xe9\xff\x80\r\n')], cmds: [['ECHO', '\xe9\xff\x80']], error: null },
  { name: 'empty multibulk ignored', chunks: [B('*0\r\n*-1\r\n*-9223372036854775808\r\nPING\r\n')], cmds: [['PING']], error: null },
  { name: 'CR then any byte in count line', chunks: [B('*1\rX$4\r\nPINGxyPING\r\n')], cmds: [['PING'], ['PING']], error: null },
  { name: 'empty bulk', chunks: [B('*2\r\n$4\r\nECHO\r\n$0\r\n\r\n')], cmds: [['ECHO', '']], error: null },
  { name: 'binary bulk with CRLF inside', chunks: [B('*2\r\n$4\r\nECHO\r\n$6\r\n\r\n\0\r\n\xff\r\n')], cmds: [['ECHO', '\r\n\0\r\n\xff']], error: null },
  { name: 'pipeline mixed', chunks: [B('PING\r\n*1\r\n$4\r\nPING\r\nECHO z\n*2\r\n$4\r\nECHO\r\n$1\r\ny\r\n')], cmds: [['PING'], ['PING'], ['ECHO', 'z'], ['ECHO', 'y']], error: null },
  // errors
  { name: 'mbulk: empty count', chunks: [B('*\r\n')], cmds: [], error: P + 'invalid multibulk length' },
  { name: 'mbulk: -0', chunks: [B('*-0\r\n')], cmds: [], error: P + 'invalid multibulk length' },
  { name: 'mbulk: leading zero', chunks: [B('*01\r\n')], cmds: [], error: P + 'invalid multibulk length' },
  { name: 'mbulk: plus', chunks: [B('*+1\r\n')], cmds: [], error: P + 'invalid multibulk length' },
  { name: 'mbulk: space', chunks: [B('*1 \r\n')], cmds: [], error: P + 'invalid multibulk length' },
  { name: 'mbulk: > INT_MAX', chunks: [B('*2147483648\r\n')], cmds: [], error: P + 'invalid multibulk length' },
  { name: 'mbulk: int64 underflow', chunks: [B('*-9223372036854775809\r\n')], cmds: [], error: P + 'invalid multibulk length' },
  { name: 'mbulk: letters', chunks: [B('*abc\r\n')], cmds: [], error: P + 'invalid multibulk length' },
  { name: 'mbulk: bare LF swallows next line', chunks: [B('*1\r\n$4\r\nPING\r\n*1\n$4\r\nPING\r\n')], cmds: [['PING']], error: P + 'invalid multibulk length' },
  { name: 'mbulk: INT_MAX accepted (waits)', chunks: [B('*2147483647\r\n$4\r\nPING\r\n')], cmds: [], error: null },
  { name: 'mbulk: 1M+1 accepted in 7.0 (waits)', chunks: [B('*1048577\r\n')], cmds: [], error: null },
  { name: 'bulk: -1', chunks: [B('*1\r\n$-1\r\n')], cmds: [], error: P + 'invalid bulk length' },
  { name: 'bulk: leading zero after PING', chunks: [B('PING\r\n*1\r\n$04\r\nPING\r\n')], cmds: [['PING']], error: P + 'invalid bulk length' },
  { name: 'bulk: plus', chunks: [B('*1\r\n$+4\r\n')], cmds: [], error: P + 'invalid bulk length' },
  { name: 'bulk: trailing space', chunks: [B('*1\r\n$4 \r\nPING\r\n')], cmds: [], error: P + 'invalid bulk length' },
  { name: 'bulk: empty', chunks: [B('*1\r\n$\r\n')], cmds: [], error: P + 'invalid bulk length' },
  { name: 'bulk: > 512MB', chunks: [B('*1\r\n$536870913\r\n')], cmds: [], error: P + 'invalid bulk length' },
  { name: 'bulk: = 512MB accepted (waits)', chunks: [B('*1\r\n$536870912\r\nabc')], cmds: [], error: null },
  { name: "expected '$' got X", chunks: [B('*1\r\nX4\r\n')], cmds: [], error: P + "expected '$', got 'X'" },
  { name: "expected '$' got CR", chunks: [B('*1\r\n\r\r\n')], cmds: [], error: P + "expected '$', got ' '" },
  { name: "expected '$' got LF", chunks: [B('*1\r\n\n\r\n')], cmds: [], error: P + "expected '$', got ' '" },
  { name: "expected '$' got high byte", chunks: [B('*1\r\n\xe9\r\n')], cmds: [], error: P + "expected '$', got '\xe9'" },
  { name: "expected '$' only once the line is complete", chunks: [B('*1\r\nX4')], cmds: [], error: null },
  { name: 'unbalanced double quote', chunks: [B('PING\r\nECHO "abc\r\nPING\r\n')], cmds: [['PING']], error: P + 'unbalanced quotes in request' },
  { name: 'unbalanced single quote', chunks: [B("ECHO 'abc\r\n")], cmds: [], error: P + 'unbalanced quotes in request' },
  { name: 'closing quote followed by a char', chunks: [B('ECHO "a"b\r\n')], cmds: [], error: P + 'unbalanced quotes in request' },
  { name: 'trailing backslash in quotes', chunks: [B('ECHO "a\\\r\n')], cmds: [], error: P + 'unbalanced quotes in request' },
  { name: 'NUL hides inline newline', chunks: [B('PI\0NG\r\nPING\r\n')], cmds: [], error: null },
  { name: 'NUL hides count CR', chunks: [B('*1\0\r\n$4\r\nPING\r\n')], cmds: [], error: null },
  { name: 'NUL hides bulk length CR', chunks: [B('*1\r\n$4\0\r\nPING\r\n')], cmds: [], error: null },
  { name: 'inline 64KB pending ok', chunks: [B('PING\r\n' + big(65536))], cmds: [['PING']], error: null },
  { name: 'inline 64KB+1 pending too big', chunks: [B('PING\r\n' + big(65537))], cmds: [['PING']], error: P + 'too big inline request' },
  { name: 'inline 70000 in one write accepted', chunks: [B('ECHO ' + big(70000) + '\r\n')], cmds: [['ECHO', big(70000)]], error: null, chunking: true },
  { name: 'inline 90000 in one write too big', chunks: [B('ECHO ' + big(90000) + '\r\n')], cmds: [], error: P + 'too big inline request' },
  { name: 'inline 65545 across two writes', chunks: [B('ECHO ' + big(65530)), B(big(10) + '\r\n')], cmds: [['ECHO', big(65540)]], error: null, chunking: true },
  { name: 'inline NUL then 64KB', chunks: [B('PING\0'), B(big(65540))], cmds: [], error: P + 'too big inline request' },
  { name: 'count line too big', chunks: [B('*' + big(65536, '1'))], cmds: [], error: P + 'too big mbulk count string' },
  { name: 'count line 64KB pending ok', chunks: [B('*' + big(65535, '1'))], cmds: [], error: null },
  { name: 'bulk length line too big', chunks: [B('*1\r\n$' + big(65536, '1'))], cmds: [], error: P + 'too big bulk count string' },
  { name: 'bulk length line too big, split', chunks: [B('*1\r\n$' + big(40000, '1')), B(big(30000, '1'))], cmds: [], error: P + 'too big bulk count string' },
];

/** Run our parser over chunks; returns argv lists (latin1) and the error. */
export function runParser(chunks: Buffer[], opts?: { maxBulkLen?: number; authRequired?: boolean }): { cmds: string[][]; error: string | null; parser: RequestParser } {
  const p = new RequestParser(opts);
  if (opts?.authRequired) p.authRequired = true;
  const cmds: string[][] = [];
  for (const c of chunks) {
    p.feed(c);
    let a: Buffer[] | null;
    while ((a = p.next()) !== null) cmds.push(a.map((x) => x.toString('latin1')));
  }
  return { cmds, error: p.error, parser: p };
}

/** The reply stream a Redis server would send for these PING/ECHO commands + error. */
export function emulate(chunks: Buffer[], opts?: { authRequired?: boolean }): { data: Buffer; closed: boolean } {
  const r = runParser(chunks, opts);
  const out: Buffer[] = [];
  for (const a of r.cmds) {
    const name = a[0].toLowerCase();
    if (name === 'ping' && a.length === 1) out.push(B('+PONG\r\n'));
    else if ((name === 'ping' || name === 'echo') && a.length === 2) out.push(B(`$${a[1].length}\r\n${a[1]}\r\n`));
    else out.push(B(`-ERR unexpected test command\r\n`));
  }
  if (r.error !== null) out.push(B('-' + r.error + '\r\n'));
  return { data: Buffer.concat(out), closed: r.error !== null };
}
