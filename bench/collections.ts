/**
 * Collections, shmkv-server against redis-server, both fresh on free ports, pinned to CPU 0
 * (taskset, when present):
 *
 *   node dist/bench/collections.js [--sizes 10000,1000000,10000000] [--probes 200] [--elements 1000000] [--parts 1,2,3,4]
 *
 * 1. LINDEX and LSET at the middle of lists of each size (filled with pipelined RPUSH of
 *    8-byte elements), `probes` of each one at a time: the server's own µs per command
 *    (INFO commandstats usec_per_call: what the O(log n) index saves against quicklist's
 *    walk, without the round trip that hides it) and the median round trip of LINDEX.
 * 2. A sorted set of `elements` 16-byte members (scores 0..n-1): the server's µs per ZRANK
 *    and ZSCORE of a middle member, ZRANGE of 10 by rank and ZRANGEBYSCORE … LIMIT 0 10 from
 *    the middle, ZCOUNT over nearly all of it.
 * 3. Bytes per element: used_memory after FLUSHALL, then after `elements` elements of
 *    16 bytes in one list (RPUSH), one hash (HSET field value, 16-byte fields and values),
 *    one set (SADD), one sorted set (ZADD): the difference divided by the element count,
 *    for each server, and the ratio.
 * 4. Whole-value commands on `elements` elements, ms with the round trip (median of 3 calls
 *    after one more): SUNIONSTORE, SDIFFSTORE and SINTERCARD of two sets of n members (half
 *    of them shared), SINTERCARD of one; SORT … LIMIT 0 10 (and ALPHA) of a list of n
 *    numbers; ZREMRANGEBYSCORE of the middle tenth of a sorted set of n (median of 3 fills);
 *    FLUSHALL of n string keys. No assertions: figures only.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RawClient, decodeReply } from '../test/helpers/raw-client.js';
import { sleep } from '../test/helpers/ports.js';
import { haveTaskset, pipelineFill, startServer, stopServer } from './servers.js';

const SERVER_MAIN = fileURLToPath(new URL('../src/server/launch.cjs', import.meta.url));

interface Opts {
  sizes: number[];
  probes: number;
  elements: number;
  parts: Set<number>;
}

function parseArgs(): Opts {
  const o: Opts = { sizes: [10_000, 1_000_000, 10_000_000], probes: 1000, elements: 1_000_000, parts: new Set([1, 2, 3, 4]) };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i += 2) {
    const v = a[i + 1]!;
    if (a[i] === '--sizes') o.sizes = v.split(',').map(Number);
    else if (a[i] === '--probes') o.probes = Number(v);
    else if (a[i] === '--elements') o.elements = Number(v);
    else if (a[i] === '--parts') o.parts = new Set(v.split(',').map(Number));
    else {
      console.error(`unknown option ${a[i]}`);
      process.exit(2);
    }
  }
  return o;
}


/** FLUSHALL, waiting as long as it takes (freeing 1M elements is not a 5-second job everywhere). */
async function flushall(c: RawClient): Promise<void> {
  c.sendRaw('*1\r\n$8\r\nFLUSHALL\r\n');
  await c.read(300_000);
}

/** usec_per_call of a command from INFO commandstats: the server's own time, no round trip. */
async function usecPerCall(c: RawClient, cmd: string): Promise<number> {
  const v = decodeReply(await c.call('INFO', 'commandstats'));
  const text = v.type === 'bulk' || v.type === 'verbatim' ? v.value.toString() : '';
  return Number(new RegExp(`cmdstat_${cmd}:calls=\\d+,usec=\\d+,usec_per_call=([\\d.]+)`).exec(text)?.[1] ?? NaN);
}

async function usedMemory(c: RawClient): Promise<number> {
  const v = decodeReply(await c.call('INFO', 'memory'));
  const text = v.type === 'bulk' || v.type === 'verbatim' ? v.value.toString() : '';
  return Number(/used_memory:(\d+)/.exec(text)?.[1] ?? NaN);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeEach(c: RawClient, probes: number, cmd: () => string[]): Promise<number> {
  const us: number[] = [];
  for (let i = 0; i < probes; i++) {
    const args = cmd();
    const t0 = process.hrtime.bigint();
    await c.call(...args);
    us.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return median(us);
}

const el = (i: number, w: number): string => String(i).padStart(w, '0');

async function main(): Promise<void> {
  const o = parseArgs();
  const redis = await startServer('redis', 'redis-server', ['--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', '']);
  const segment = `bench-coll-${process.pid}`;
  const shmkv = await startServer('shmkv', process.execPath, [SERVER_MAIN, '--segment', segment, '--save', '', '--loglevel', 'warning']);
  const servers = [redis, shmkv];
  try {
    console.log(`taskset: ${haveTaskset ? 'servers on CPU 0' : 'not used'}\n`);
    console.log('LINDEX / LSET at the middle of a list: µs per command in the server (INFO commandstats usec_per_call), and with the round trip (median)');
    console.log(`${'elements'.padStart(10)} ${'redis LINDEX'.padStart(13)} ${'shmkv LINDEX'.padStart(13)} ${'redis LSET'.padStart(11)} ${'shmkv LSET'.padStart(11)}   round trip: ${'redis LINDEX'.padStart(13)} ${'shmkv LINDEX'.padStart(13)}`);
    for (const n of o.parts.has(1) ? o.sizes : []) {
      const row: number[] = [];
      for (const s of servers) {
        const c = await RawClient.connect(s.port);
        await flushall(c);
        await pipelineFill(c, Math.ceil(n / 100), (i) => ['RPUSH', 'L', ...Array.from({ length: Math.min(100, n - i * 100) }, (_, j) => el(i * 100 + j, 8))]);
        const mid = Math.floor(n / 2);
        // warm-up, then measured: right after the fill shmkv's first ~2,000 LINDEX run 3-5×
        // slower (the JIT re-optimising for reads after the pushes)
        await timeEach(c, 4000, () => ['LINDEX', 'L', String(mid)]);
        await timeEach(c, 2000, () => ['LSET', 'L', String(mid), 'xxxxxxxx']);
        await c.call('CONFIG', 'RESETSTAT');
        const rt = await timeEach(c, o.probes, () => ['LINDEX', 'L', String(mid + Math.floor(Math.random() * 100) - 50)]);
        await timeEach(c, o.probes, () => ['LSET', 'L', String(mid + Math.floor(Math.random() * 100) - 50), 'xxxxxxxx']);
        row.push(await usecPerCall(c, 'lindex'), await usecPerCall(c, 'lset'), rt);
        await flushall(c);
        c.close();
      }
      const f = (x: number, w: number) => x.toFixed(2).padStart(w);
      console.log(`${String(n).padStart(10)} ${f(row[0]!, 13)} ${f(row[3]!, 13)} ${f(row[1]!, 11)} ${f(row[4]!, 11)}               ${f(row[2]!, 13)} ${f(row[5]!, 13)}`);
    }

    console.log(`\nsorted set of ${o.elements} members (16 bytes, scores 0..n-1): µs per command in the server (commandstats, after a warm-up)`);
    const zq: [string, (mid: number) => string[]][] = [
      ['zrank', (mid) => ['ZRANK', 'Z', `m${el(mid + Math.floor(Math.random() * 100) - 50, 15)}`]],
      ['zrange', (mid) => ['ZRANGE', 'Z', String(mid), String(mid + 9)]],
      ['zrangebyscore', (mid) => ['ZRANGEBYSCORE', 'Z', String(mid), '+inf', 'LIMIT', '0', '10']],
      ['zcount', () => ['ZCOUNT', 'Z', '1000', String(o.elements - 1000)]],
      ['zscore', (mid) => ['ZSCORE', 'Z', `m${el(mid, 15)}`]],
    ];
    const zrow: number[][] = [];
    for (const s of o.parts.has(2) ? servers : []) {
      const c = await RawClient.connect(s.port);
      await flushall(c);
      await pipelineFill(c, o.elements / 100, (i) => ['ZADD', 'Z', ...Array.from({ length: 100 }, (_, j) => [String(i * 100 + j), `m${el(i * 100 + j, 15)}`]).flat()]);
      const mid = Math.floor(o.elements / 2);
      for (const [, make] of zq) await timeEach(c, 2000, () => make(mid));
      await c.call('CONFIG', 'RESETSTAT');
      for (const [, make] of zq) await timeEach(c, o.probes, () => make(mid));
      const r: number[] = [];
      for (const [name] of zq) r.push(await usecPerCall(c, name));
      zrow.push(r);
      await flushall(c);
      c.close();
    }
    console.log(`${'command'.padStart(14)} ${'redis'.padStart(8)} ${'shmkv'.padStart(8)} ${'shmkv/redis'.padStart(12)}`);
    if (zrow.length > 0) zq.forEach(([name], i) => console.log(`${name.padStart(14)} ${zrow[0]![i]!.toFixed(2).padStart(8)} ${zrow[1]![i]!.toFixed(2).padStart(8)} ${(zrow[1]![i]! / zrow[0]![i]!).toFixed(2).padStart(12)}`));

    console.log(`\nbytes per element, ${o.elements} elements of 16 bytes in one key (used_memory after - before)`);
    console.log(`${'type'.padStart(6)} ${'redis'.padStart(8)} ${'shmkv'.padStart(8)} ${'shmkv/redis'.padStart(12)}`);
    const kinds: [string, (i: number) => string[]][] = [
      ['list', (i) => ['RPUSH', 'K', ...Array.from({ length: 100 }, (_, j) => el(i * 100 + j, 16))]],
      ['hash', (i) => ['HSET', 'K', ...Array.from({ length: 100 }, (_, j) => [el(i * 100 + j, 16), el(j, 16)]).flat()]],
      ['set', (i) => ['SADD', 'K', ...Array.from({ length: 100 }, (_, j) => `m${el(i * 100 + j, 15)}`)]],
      ['zset', (i) => ['ZADD', 'K', ...Array.from({ length: 100 }, (_, j) => [String(i * 100 + j), `m${el(i * 100 + j, 15)}`]).flat()]],
    ];
    for (const [kind, make] of o.parts.has(3) ? kinds : []) {
      const per: number[] = [];
      for (const s of servers) {
        const c = await RawClient.connect(s.port);
        await flushall(c);
        await sleep(1200);
        const before = await usedMemory(c);
        await pipelineFill(c, o.elements / 100, make);
        per.push(((await usedMemory(c)) - before) / o.elements);
        await flushall(c);
        c.close();
      }
      console.log(`${kind.padStart(6)} ${per[0]!.toFixed(1).padStart(8)} ${per[1]!.toFixed(1).padStart(8)} ${(per[1]! / per[0]!).toFixed(2).padStart(12)}`);
    }

    console.log(`\nwhole-value commands, ${o.elements} elements: ms with the round trip (median of 3)`);
    const n = o.elements;
    const whole: [string, string[]][] = [
      ['SUNIONSTORE d a b', ['SUNIONSTORE', 'D', 'A', 'B']],
      ['SDIFFSTORE d a b', ['SDIFFSTORE', 'D', 'A', 'B']],
      ['SINTERCARD 2 a b', ['SINTERCARD', '2', 'A', 'B']],
      ['SINTERCARD 1 a', ['SINTERCARD', '1', 'A']],
      ['SORT l LIMIT 0 10', ['SORT', 'L', 'LIMIT', '0', '10']],
      ['SORT l LIMIT 0 10 ALPHA', ['SORT', 'L', 'LIMIT', '0', '10', 'ALPHA']],
    ];
    const wrow: number[][] = [];
    for (const s of o.parts.has(4) ? servers : []) {
      const c = await RawClient.connect(s.port);
      await flushall(c);
      await pipelineFill(c, n / 100, (i) => ['SADD', 'A', ...Array.from({ length: 100 }, (_, j) => `m${el(i * 100 + j, 15)}`)]);
      await pipelineFill(c, n / 100, (i) => ['SADD', 'B', ...Array.from({ length: 100 }, (_, j) => `m${el(2 * (i * 100 + j), 15)}`)]);
      await pipelineFill(c, n / 100, (i) => ['RPUSH', 'L', ...Array.from({ length: 100 }, (_, j) => String(((i * 100 + j) * 13) % 100003))]);
      const r: number[] = [];
      // (one call may take seconds: no 5-second reply timeout here)
      const slow = async (args: string[]): Promise<number> => {
        const t0 = process.hrtime.bigint();
        c.send(...args);
        await c.read(600_000);
        return Number(process.hrtime.bigint() - t0) / 1e6;
      };
      for (const [, args] of whole) {
        await slow(args);
        r.push(median([await slow(args), await slow(args), await slow(args)]));
      }
      // ZREMRANGEBYSCORE of the middle tenth of a sorted set of n (destructive: refilled each time)
      const zrem: number[] = [];
      for (let rep = 0; rep < 3; rep++) {
        await flushall(c);
        await pipelineFill(c, n / 100, (i) => ['ZADD', 'Z', ...Array.from({ length: 100 }, (_, j) => [String(i * 100 + j), `m${el(i * 100 + j, 15)}`]).flat()]);
        const lo = Math.floor(n * 0.45);
        zrem.push(await slow(['ZREMRANGEBYSCORE', 'Z', String(lo), String(lo + Math.floor(n / 10) - 1)]));
      }
      r.push(median(zrem));
      await flushall(c);
      await pipelineFill(c, n / 100, (i) => ['MSET', ...Array.from({ length: 100 }, (_, j) => [`key:${el(i * 100 + j, 12)}`, 'xxx']).flat()]);
      const t0 = process.hrtime.bigint();
      await flushall(c);
      r.push(Number(process.hrtime.bigint() - t0) / 1e6);
      wrow.push(r);
      c.close();
    }
    console.log(`${'command'.padStart(24)} ${'redis'.padStart(8)} ${'shmkv'.padStart(8)} ${'shmkv/redis'.padStart(12)}`);
    if (wrow.length > 0) [...whole.map(([name]) => name), 'ZREMRANGEBYSCORE 1/10', `FLUSHALL (${n} keys)`].forEach((name, i) =>
      console.log(`${name.padStart(24)} ${wrow[0]![i]!.toFixed(0).padStart(8)} ${wrow[1]![i]!.toFixed(0).padStart(8)} ${(wrow[1]![i]! / wrow[0]![i]!).toFixed(2).padStart(12)}`),
    );
  } finally {
    await stopServer(redis);
    await stopServer(shmkv);
    spawnSync(process.execPath, [fileURLToPath(new URL('../src/cli/main.js', import.meta.url)), 'rm', segment], { stdio: 'ignore' });
  }
}

void main();
