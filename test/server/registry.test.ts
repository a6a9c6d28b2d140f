/**
 * The command table against real Redis: COMMAND INFO and COMMAND DOCS of every command we
 * implement that Redis 7.0 knows must be byte-identical (RESP2 and RESP3); COMMAND COUNT /
 * LIST / GETKEYS agree with the table. Commands of families other than the server's own
 * (command, connection, server) are reported as TODO when their metadata differs, so the
 * owners see it without failing this suite.
 */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { families, allCommands as familyCommands } from '../../src/engine/families.js';
import { commandFamily } from '../../src/engine/command_family.js';
import { latencyFamily } from '../../src/engine/latency_family.js';
import { LatencyMonitor } from '../../src/engine/latency.js';
import { LookupTable, Registry, Command } from '../../src/engine/registry.js';
import { RawClient, decodeReply, toJS, type RespValue } from '../helpers/raw-client.js';
import { reencode, show } from '../helpers/differential.js';
import { startRedisOracle, type RedisOracle } from '../helpers/redis-oracle.js';
import { startShmkvServer, type ShmkvServer } from '../helpers/shmkv-server.js';

/** Every command, the COMMAND family included (bound to the registry, as the engine does). */
const commandDefs = commandFamily(() => fullRegistry);
const latencyDefs = latencyFamily(() => fullRegistry, new LatencyMonitor());
const allCommands = [...familyCommands, ...commandDefs, ...latencyDefs];
const fullRegistry: Registry = new Registry(allCommands);

let redis: RedisOracle | null = null;
let shmkv: ShmkvServer;
const conns: Record<string, RawClient> = {};

before(async () => {
  redis = await startRedisOracle();
  shmkv = await startShmkvServer();
  conns.s2 = await RawClient.connect(shmkv.port);
  conns.s3 = await RawClient.connect(shmkv.port);
  await conns.s3.call('HELLO', '3');
  if (redis) {
    conns.r2 = await RawClient.connect(redis.port);
    conns.r3 = await RawClient.connect(redis.port);
    await conns.r3.call('HELLO', '3');
  }
});

after(async () => {
  for (const c of Object.values(conns)) c.close();
  await redis?.stop();
  await shmkv?.stop();
});

test('lookup: case-insensitive, no false hits, subcommands', () => {
  const reg = new Registry(allCommands);
  assert.equal(reg.lookup(Buffer.from('GeT'))?.fullName, 'get');
  assert.equal(reg.lookup(Buffer.from('gett')), null);
  assert.equal(reg.lookup(Buffer.from('')), null);
  assert.equal(reg.lookup(Buffer.from('g\u00c5t')), null);
  assert.equal(reg.byName('CONFIG|GET')?.fullName, 'config|get');
  assert.equal(reg.byName('config|nosuch'), null);
  const r = reg.resolve([Buffer.from('config'), Buffer.from('Get'), Buffer.from('x')]);
  assert.equal(r.error, null);
  assert.equal(r.cmd?.fullName, 'config|get');
  assert.equal(reg.resolve([Buffer.from('config'), Buffer.from('nosuch')]).error, 'unknown-subcommand');
  assert.equal(reg.resolve([Buffer.from('get')]).error, 'arity');
  assert.throws(() => new Registry([...allCommands, allCommands[0]]), /defined twice/);
  // every name is found through the table
  for (const c of reg.all()) {
    if (c.parent) assert.equal(c.parent.subTable!.get(Buffer.from(c.def.name.toUpperCase())), c);
    else assert.equal(reg.lookup(Buffer.from(c.fullName.toUpperCase())), c);
  }
  assert.ok(new LookupTable([]) instanceof LookupTable);
});

test('lookup cost (informational)', (t) => {
  const reg = new Registry(allCommands);
  const names = ['GET', 'set', 'INCR', 'mset', 'PING', 'config'].map((s) => Buffer.from(s));
  const n = 2_000_000;
  let hits = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) if (reg.lookup(names[i % names.length]) !== null) hits++;
  const ns = ((performance.now() - t0) * 1e6) / n;
  assert.equal(hits, n);
  t.diagnostic(`lookup: ${ns.toFixed(1)} ns per command`);
});

test('ACL categories are derived like Redis', () => {
  const reg = new Registry(allCommands);
  assert.deepEqual(reg.byName('get')?.aclCategories, ['read', 'string', 'fast']);
  assert.deepEqual(reg.byName('config')?.aclCategories, ['slow']);
  assert.deepEqual(reg.byName('config|get')?.aclCategories, ['admin', 'slow', 'dangerous']);
  assert.deepEqual(reg.byName('flushall')?.aclCategories, ['keyspace', 'write', 'slow', 'dangerous']);
  assert.deepEqual(reg.byName('echo')?.aclCategories, ['fast', 'connection']);
  assert.deepEqual(reg.byName('command')?.aclCategories, ['slow', 'connection']);
});

const MINE = new Set(['command', 'latency', 'memory', 'connection', 'server', 'string', 'keys', 'transactions', 'function', 'debug', 'list', 'hash', 'bitmap', 'hyperloglog', 'set', 'sort', 'zset', 'geo']);
const owner = new Map<string, string>();
for (const [fam, defs] of Object.entries({ ...families, command: commandDefs, latency: latencyDefs })) for (const d of defs) owner.set(d.name, fam);

/** Remove the subcommands element (10th) of a COMMAND INFO entry / the "subcommands" of DOCS. */
function withoutSubs(v: RespValue, kind: 'info' | 'docs'): RespValue {
  if (kind === 'info' && v.type === 'array' && v.value.length === 10) return { type: 'array', value: v.value.slice(0, 9) };
  const isSubs = (k: RespValue) => k.type === 'bulk' && k.value.toString() === 'subcommands';
  if (kind === 'docs' && v.type === 'map') return { type: 'map', value: v.value.filter(([k]) => !isSubs(k)) };
  if (kind === 'docs' && v.type === 'array') {
    // RESP2: a flat key/value array
    const out: RespValue[] = [];
    for (let i = 0; i + 1 < v.value.length; i += 2) if (!isSubs(v.value[i])) out.push(v.value[i], v.value[i + 1]);
    return { type: 'array', value: out };
  }
  return v;
}

async function compareCommand(name: string, subs: string[]): Promise<void> {
  for (const proto of ['2', '3']) {
    const r = conns['r' + proto];
    const s = conns['s' + proto];
    for (const kind of ['info', 'docs'] as const) {
      const q = kind === 'info' ? ['COMMAND', 'INFO', name] : ['COMMAND', 'DOCS', name];
      const a = await r.call(...q);
      const b = await s.call(...q);
      if (subs.length === 0) {
        assert.equal(show(b), show(a), `COMMAND ${kind.toUpperCase()} ${name} (RESP${proto})`);
        continue;
      }
      // containers: Redis lists subcommands in hash order; compare the rest, then each one
      const strip = (x: Buffer): Buffer => {
        const v = decodeReply(x);
        if (kind === 'info' && v.type === 'array') return reencode({ type: 'array', value: v.value.map((e) => withoutSubs(e, 'info')) });
        if (v.type === 'map') return reencode({ type: 'map', value: v.value.map(([k, e]) => [k, withoutSubs(e, 'docs')] as [RespValue, RespValue]) });
        if (v.type === 'array') return reencode({ type: 'array', value: v.value.map((e, i) => (i % 2 ? withoutSubs(e, 'docs') : e)) });
        return x;
      };
      assert.equal(show(strip(b)), show(strip(a)), `COMMAND ${kind.toUpperCase()} ${name} without subcommands (RESP${proto})`);
      for (const sub of subs) {
        const qs = kind === 'info' ? ['COMMAND', 'INFO', sub] : ['COMMAND', 'DOCS', sub];
        assert.equal(show(await s.call(...qs)), show(await r.call(...qs)), `COMMAND ${kind.toUpperCase()} ${sub} (RESP${proto})`);
      }
    }
  }
}

test('COMMAND INFO / DOCS are byte-identical to Redis 7.0 for every command both have', async (t) => {
  if (!redis) {
    t.skip('redis-server missing');
    return;
  }
  const reg = new Registry(allCommands);
  for (const cmd of reg.commands) {
    const known = toJS(decodeReply(await conns.r2.call('COMMAND', 'INFO', cmd.fullName))) as unknown[];
    if (known[0] === null) {
      t.diagnostic(`${cmd.fullName}: not a Redis 7.0 command (shmkv extension)`);
      continue;
    }
    const fam = owner.get(cmd.def.name) ?? '?';
    const subs = cmd.subcommands.map((c: Command) => c.fullName);
    // subcommands Redis has and we do not: reported, not compared
    await t.test(`${cmd.fullName} (${fam} family)`, async () => {
      await compareCommand(cmd.fullName, subs);
    });
  }
});

test('COMMAND COUNT / LIST / (all) agree with the table', async () => {
  const reg = new Registry(allCommands);
  const s = conns.s2;
  assert.equal(toJS(decodeReply(await s.call('COMMAND', 'COUNT'))), reg.commands.length);
  const list = toJS(decodeReply(await s.call('COMMAND', 'LIST'))) as string[];
  assert.deepEqual(new Set(list), new Set([...reg.all()].map((c) => c.fullName)));
  const all = toJS(decodeReply(await s.call('COMMAND'))) as unknown[][];
  assert.equal(all.length, reg.commands.length);
  const pat = toJS(decodeReply(await s.call('COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'CONFIG*'))) as string[];
  assert.deepEqual(new Set(pat), new Set(['config', 'config|get', 'config|set', 'config|resetstat', 'config|rewrite', 'config|help']));
  const mod = toJS(decodeReply(await s.call('COMMAND', 'LIST', 'FILTERBY', 'MODULE', 'x'))) as string[];
  assert.deepEqual(mod, []);
});

test('COMMAND LIST FILTERBY ACLCAT: Redis\'s answer restricted to the commands we have', async (t) => {
  if (!redis) {
    t.skip('redis-server missing');
    return;
  }
  const reg = new Registry(allCommands);
  const ours = new Set([...reg.all()].map((c) => c.fullName));
  for (const cat of ['connection', 'admin', 'dangerous', 'fast', 'slow', 'keyspace']) {
    const a = (toJS(decodeReply(await conns.r2.call('COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', cat))) as string[]).filter((n) => ours.has(n));
    const b = toJS(decodeReply(await conns.s2.call('COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', cat))) as string[];
    const mineOnly = (n: string) => MINE.has(owner.get(n.split('|')[0]) ?? '');
    assert.deepEqual(new Set(b.filter(mineOnly)), new Set(a.filter(mineOnly)), `@${cat}`);
  }
});

test('COMMAND GETKEYS / GETKEYSANDFLAGS like Redis', async (t) => {
  if (!redis) {
    t.skip('redis-server missing');
    return;
  }
  const cases = [
    ['COMMAND', 'GETKEYS', 'get', 'k'],
    ['COMMAND', 'GETKEYS', 'mset', 'a', '1', 'b', '2'],
    ['COMMAND', 'GETKEYS', 'mset', 'a'],
    ['COMMAND', 'GETKEYS', 'ping', 'x'],
    ['COMMAND', 'GETKEYS', 'nosuch', 'x'],
    ['COMMAND', 'GETKEYS', 'config', 'get', 'x'],
    ['COMMAND', 'GETKEYS', 'config', 'nosuch', 'x'],
    ['COMMAND', 'GETKEYS', 'del', 'a', 'b', 'c'],
    ['COMMAND', 'GETKEYS', 'rename', 'a', 'b'],
    ['COMMAND', 'GETKEYSANDFLAGS', 'get', 'k'],
    ['COMMAND', 'GETKEYSANDFLAGS', 'del', 'a', 'b'],
    // variable flags (setGetKeys, bitfieldGetKeys)
    ['COMMAND', 'GETKEYSANDFLAGS', 'set', 'k1', 'v1'],
    ['COMMAND', 'GETKEYSANDFLAGS', 'set', 'k1', 'v1', 'EX', '10', 'GET'],
    ['COMMAND', 'GETKEYSANDFLAGS', 'bitfield', 'k', 'get', 'u8', '0', 'overflow', 'sat'],
    ['COMMAND', 'GETKEYSANDFLAGS', 'bitfield', 'k', 'get', 'u8', '0', 'incrby', 'u8', '0', '1'],
    ['COMMAND', 'GETKEYSANDFLAGS', 'bitfield', 'k', 'overflow'],
    ['COMMAND', 'GETKEYSANDFLAGS', 'bitfield_ro', 'k', 'get', 'u8', '0'],
    ['COMMAND', 'GETKEYSANDFLAGS', 'rename', 'a', 'b'],
  ];
  for (const c of cases) {
    await t.test(c.join(' '), async () => {
      const a = await conns.r2.call(...c);
      const b = await conns.s2.call(...c);
      assert.equal(show(b), show(a), JSON.stringify(c));
    });
  }
});
