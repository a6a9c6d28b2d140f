/**
 * Differential testing: send the same commands to real Redis and to shmkv and require the
 * raw replies to be equal byte for byte (optionally after normalising known-variable parts).
 *
 *   const d = await DiffPair.open(redis.port, shmkv.port);
 *   await d.same(['PING']);                                   // throws with both replies
 *   await d.same(['HELLO', '3'], { normalize: normalizeInts(['id']) });
 *   await d.sameAll([['SELECT', '99'], ['ECHO', 'x']]);
 *   d.close();
 */

import { RawClient, decodeReply, encodeCommand, type RespValue } from './raw-client.js';

export type Cmd = (string | Buffer | number)[];

export interface SameOptions {
  /** rewrite a raw reply before comparing (applied to both) */
  normalize?: (raw: Buffer) => Buffer;
  /** compare decoded values with this instead of bytes */
  compare?: 'bytes' | 'unordered';
  /** how long to wait for each reply (default: RawClient.read's 5 s) */
  timeoutMs?: number;
}

/** Show a raw reply readably in assertion messages. */
export function show(b: Buffer): string {
  const s = b.toString('latin1');
  return JSON.stringify(s.length > 2000 ? s.slice(0, 2000) + '...' : s);
}

/** Replace the integer following the bulk string `name` (e.g. HELLO's "id") by 0. */
export function normalizeInts(names: string[]): (raw: Buffer) => Buffer {
  return (raw) => {
    let s = raw.toString('latin1');
    for (const n of names) {
      const re = new RegExp(`(\\$${n.length}\\r\\n${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\r\\n):-?[0-9]+\\r\\n`, 'g');
      s = s.replace(re, '$1:0\r\n');
    }
    return Buffer.from(s, 'latin1');
  };
}

/** Replace every `regex` match of the reply's text by `by` (bulk lengths are recomputed). */
export function normalizeText(regex: RegExp, by: string): (raw: Buffer) => Buffer {
  return (raw) => {
    const v = decodeReply(raw);
    return reencode(mapStrings(v, (s) => s.replace(regex, by)));
  };
}

function mapStrings(v: RespValue, f: (s: string) => string): RespValue {
  switch (v.type) {
    case 'bulk':
      return { type: 'bulk', value: Buffer.from(f(v.value.toString('latin1')), 'latin1') };
    case 'verbatim':
      return { type: 'verbatim', format: v.format, value: Buffer.from(f(v.value.toString('latin1')), 'latin1') };
    case 'simple':
    case 'error':
      return { type: v.type, value: f(v.value) };
    case 'array':
    case 'set':
    case 'push':
      return { type: v.type, value: v.value.map((x) => mapStrings(x, f)) };
    case 'map':
    case 'attribute':
      return { type: v.type, value: v.value.map(([k, x]) => [mapStrings(k, f), mapStrings(x, f)] as [RespValue, RespValue]) };
    default:
      return v;
  }
}

/** Encode a decoded value back to RESP bytes (null as RESP2 `$-1` unless it was `_`). */
export function reencode(v: RespValue): Buffer {
  const parts: Buffer[] = [];
  const put = (x: RespValue): void => {
    switch (x.type) {
      case 'simple':
        parts.push(Buffer.from(`+${x.value}\r\n`, 'latin1'));
        break;
      case 'error':
        parts.push(Buffer.from(`-${x.value}\r\n`, 'latin1'));
        break;
      case 'integer':
        parts.push(Buffer.from(`:${x.value}\r\n`));
        break;
      case 'bulk':
        parts.push(Buffer.from(`$${x.value.length}\r\n`), x.value, Buffer.from('\r\n'));
        break;
      case 'verbatim':
        parts.push(Buffer.from(`=${x.value.length + 4}\r\n${x.format}:`), x.value, Buffer.from('\r\n'));
        break;
      case 'null':
        parts.push(Buffer.from('_\r\n'));
        break;
      case 'array':
      case 'set':
      case 'push':
        parts.push(Buffer.from(`${x.type === 'array' ? '*' : x.type === 'set' ? '~' : '>'}${x.value.length}\r\n`));
        x.value.forEach(put);
        break;
      case 'map':
      case 'attribute':
        parts.push(Buffer.from(`${x.type === 'map' ? '%' : '|'}${x.value.length}\r\n`));
        for (const [k, y] of x.value) {
          put(k);
          put(y);
        }
        break;
      case 'double':
        parts.push(Buffer.from(`,${x.value}\r\n`));
        break;
      case 'bool':
        parts.push(Buffer.from(`#${x.value ? 't' : 'f'}\r\n`));
        break;
      case 'bignum':
        parts.push(Buffer.from(`(${x.value}\r\n`));
        break;
      case 'blobError':
        parts.push(Buffer.from(`!${x.value.length}\r\n`), x.value, Buffer.from('\r\n'));
        break;
    }
  };
  put(v);
  return Buffer.concat(parts);
}

/** Sort arrays/sets/maps recursively (for replies whose order is a hash order). */
export function canonical(v: RespValue): RespValue {
  switch (v.type) {
    case 'array':
    case 'set':
    case 'push': {
      const items = v.value.map(canonical);
      items.sort((a, b) => Buffer.compare(reencode(a), reencode(b)));
      return { type: v.type, value: items };
    }
    case 'map':
    case 'attribute': {
      const items = v.value.map(([k, x]) => [canonical(k), canonical(x)] as [RespValue, RespValue]);
      items.sort((a, b) => Buffer.compare(reencode(a[0]), reencode(b[0])));
      return { type: v.type, value: items };
    }
    default:
      return v;
  }
}

export class DiffPair {
  private constructor(
    readonly redis: RawClient,
    readonly shmkv: RawClient,
  ) {}

  static async open(redisPort: number, shmkvPort: number): Promise<DiffPair> {
    return new DiffPair(await RawClient.connect(redisPort), await RawClient.connect(shmkvPort));
  }

  /** Send cmd to both and return both raw replies. */
  async both(cmd: Cmd | Buffer, timeoutMs?: number): Promise<[Buffer, Buffer]> {
    const bytes = Buffer.isBuffer(cmd) ? cmd : encodeCommand(cmd);
    this.redis.sendRaw(bytes);
    this.shmkv.sendRaw(bytes);
    return [await this.redis.read(timeoutMs), await this.shmkv.read(timeoutMs)];
  }

  /** Assert both servers reply the same bytes (after normalisation). Returns the reply. */
  async same(cmd: Cmd | Buffer, opts: SameOptions = {}): Promise<Buffer> {
    let [a, b] = await this.both(cmd, opts.timeoutMs);
    if (opts.normalize) {
      a = opts.normalize(a);
      b = opts.normalize(b);
    }
    if (opts.compare === 'unordered') {
      a = reencode(canonical(decodeReply(a)));
      b = reencode(canonical(decodeReply(b)));
    }
    if (!a.equals(b)) {
      const what = Buffer.isBuffer(cmd) ? show(cmd) : JSON.stringify(cmd.map(String));
      throw new Error(`replies differ for ${what}\n  redis: ${show(a)}\n  shmkv: ${show(b)}`);
    }
    return a;
  }

  async sameAll(cmds: (Cmd | Buffer)[], opts: SameOptions = {}): Promise<void> {
    for (const c of cmds) await this.same(c, opts);
  }

  close(): void {
    this.redis.close();
    this.shmkv.close();
  }
}
