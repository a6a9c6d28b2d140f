/**
 * `shmkv-server --standby`: a second process waits for the server role and takes it when
 * the server dies. Rounds of `kill -9` under a pipelined write load: every acknowledged
 * write is served by the standby, the keyspace checker is clean, and the time from the kill
 * to the first correct reply is printed (not asserted: the machine is shared). Then the
 * cases around it: SHUTDOWN stops the standby too, a standby without a server refuses,
 * two standbys (one takes over, the other stands by for it), a BGSAVE cut by the kill.
 *
 * SHMKV_FAILOVER_ROUNDS=50 for more rounds (default 4).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RawClient, assertAcknowledgedSets, decodeReply, pipelineUntilClosed } from '../helpers/raw-client.js';
import { freePort, sleep, waitForPing } from '../helpers/ports.js';
import { SERVER_MAIN } from '../helpers/shmkv-server.js';
import { firstCorrectReply } from '../helpers/failover.js';

const ROUNDS = Number(process.env.SHMKV_FAILOVER_ROUNDS ?? 4);
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

interface Proc {
  child: ChildProcess;
  pid: number;
  out(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** resolves when the output matches (rejects if the process exits first) */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
}

/** Every process a test started, killed (by pid) at the end whatever happened. */
const started = new Set<Proc>();

function run(args: string[], cwd: string): Proc {
  const child = spawn(process.execPath, [SERVER_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd });
  let out = '';
  let alive = true;
  const listeners = new Set<() => void>();
  const onData = (d: Buffer): void => {
    out += d;
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      alive = false;
      for (const l of listeners) l();
      resolve({ code, signal });
    }),
  );
  const p: Proc = {
    child,
    pid: child.pid!,
    out: () => out,
    exited,
    alive: () => alive,
    waitFor(re, timeoutMs = 15000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (re.test(out)) done(null);
          else if (!alive) done(new Error(`process ${child.pid} exited before ${re}:\n${out}`));
        };
        const timer = setTimeout(() => done(new Error(`timed out waiting for ${re} from ${child.pid}:\n${out}`)), timeoutMs);
        const done = (e: Error | null): void => {
          clearTimeout(timer);
          listeners.delete(check);
          if (e) reject(e);
          else resolve();
        };
        listeners.add(check);
        check();
      });
    },
  };
  started.add(p);
  return p;
}

async function killAll(): Promise<void> {
  for (const p of started) {
    if (p.alive()) p.child.kill('SIGKILL');
    await p.exited;
  }
  started.clear();
}

interface Setup {
  port: number;
  segment: string;
  cwd: string;
  args: string[];
}

async function setup(tag: string): Promise<Setup> {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkv-failover-'));
  const port = await freePort();
  const segment = `test-failover-${tag}-${process.pid}-${Date.now() % 100000}`;
  return { port, segment, cwd, args: ['--port', String(port), '--segment', segment, '--save', ''] };
}

async function teardown(s: Setup): Promise<void> {
  await killAll();
  spawnSync(process.execPath, [cli, 'rm', s.segment, '--force'], { encoding: 'utf8' });
  fs.rmSync(s.cwd, { recursive: true, force: true });
}

async function startServer(s: Setup, extra: string[] = []): Promise<Proc> {
  const p = run([...s.args, ...extra], s.cwd);
  if (!(await waitForPing(s.port, 15000, () => p.alive()))) throw new Error(`server did not start:\n${p.out()}`);
  return p;
}

async function startStandby(s: Setup, extra: string[] = []): Promise<Proc> {
  const p = run([...s.args, '--standby', ...extra], s.cwd);
  await p.waitFor(/Standby for segment '[^']+': its server is pid \d+/);
  return p;
}

/** The pid INFO server reports (the process serving the port now). */
async function servingPid(port: number): Promise<number> {
  const c = await RawClient.connect(port);
  try {
    const v = await c.callValue('info', 'server');
    assert.equal(v.type, 'bulk');
    const m = /process_id:(\d+)/.exec(v.type === 'bulk' ? v.value.toString() : '');
    return Number(m?.[1]);
  } finally {
    c.close();
  }
}

/** Pipeline SET/INCR/APPEND until the connection dies; the acknowledged SETs and the last counter. */
async function writeLoad(port: number, round: number) {
  const c = await RawClient.connect(port);
  const base = round * 1_000_000;
  const acks: number[] = [];
  let counterAck = 0n;
  let acked!: () => void;
  const firstAck = new Promise<void>((resolve) => (acked = resolve));
  const loop = pipelineUntilClosed(
    c,
    (i) => (i % 3 === 2 ? ['incr', 'counter'] : i % 3 === 1 ? ['append', `log:${round}`, `<${i}>`] : ['set', `key:${base + i}`, value(base + i)]),
    (i, reply) => {
      if (i % 3 === 0) {
        assert.equal(reply.toString(), '+OK\r\n');
        acks.push(base + i);
        acked();
      } else if (i % 3 === 2) {
        const v = decodeReply(reply);
        if (v.type === 'integer') counterAck = v.value;
      }
    },
    32,
  );
  return {
    acks,
    /** Resolves once the server has acknowledged a SET (a loaded machine may take a while). */
    firstAck,
    counter: () => counterAck,
    done: async () => {
      await loop;
    },
  };
}

const value = (i: number): string => `value-${i}-`.repeat((i % 20) + 1);

test(`kill -9 of the serving process under a write load (${ROUNDS} rounds): the standby serves every acknowledged write`, async () => {
  const s = await setup('rounds');
  try {
    let server = await startServer(s);
    let lastCounter = 0n;
    const ms: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const standby = await startStandby(s);
      const load = await writeLoad(s.port, round);
      // the kill comes 40-160 ms after the first acknowledged write (on a loaded machine a
      // server that has just taken over may take longer than that to answer at all)
      await Promise.race([load.firstAck, sleep(10_000)]);
      await sleep(40 + Math.random() * 120);
      // the last write acknowledged before the kill: the first correct reply must show it
      const last = load.acks[load.acks.length - 1];
      assert.ok(last !== undefined, 'the server acknowledged writes before the kill');
      const t0 = performance.now();
      process.kill(server.pid, 'SIGKILL');
      const { attempts } = await firstCorrectReply(s.port, ['get', `key:${last}`], `$${value(last).length}\r\n${value(last)}\r\n`);
      const took = performance.now() - t0;
      ms.push(took);
      await load.done();
      assert.equal((await server.exited).signal, 'SIGKILL');
      started.delete(server);
      assert.equal(await servingPid(s.port), standby.pid, 'the standby serves the port');
      await standby.waitFor(/this standby took over in [\d.]+ ms/);
      const inside = /took over in ([\d.]+) ms/.exec(standby.out())![1];
      console.log(
        `# round ${round}: kill -9 → first correct reply ${took.toFixed(2)} ms (${attempts} connection attempts; the standby's own take-over ${inside} ms); ${load.acks.length} SETs acknowledged`,
      );

      const c = await RawClient.connect(s.port);
      try {
        await assertAcknowledgedSets(c, load.acks, value, `in round ${round}`);
        const cv = await c.callValue('get', 'counter');
        const counter = cv.type === 'bulk' ? BigInt(cv.value.toString()) : 0n;
        assert.ok(counter >= load.counter() && counter >= lastCounter, `counter ${counter} < acknowledged ${load.counter()}`);
        lastCounter = counter;
        const log = await c.callValue('get', `log:${round}`);
        if (log.type === 'bulk') assert.match(log.value.toString(), /^(<\d+>)*$/);
      } finally {
        c.close();
      }
      const check = spawnSync(process.execPath, [cli, 'check', s.segment], { encoding: 'utf8' });
      assert.equal(check.status, 0, `shmkv check after round ${round}: ${check.stdout}${check.stderr}`);
      server = standby;
    }
    ms.sort((a, b) => a - b);
    console.log(`# kill -9 → first correct reply over ${ms.length} rounds: median ${ms[ms.length >> 1]!.toFixed(2)} ms, max ${ms[ms.length - 1]!.toFixed(2)} ms`);
  } finally {
    await teardown(s);
  }
});

test('SHUTDOWN stops the standby too; a standby with no server to stand by for refuses', async () => {
  const s = await setup('shutdown');
  try {
    const server = await startServer(s);
    const standby = await startStandby(s);
    const c = await RawClient.connect(s.port);
    await c.call('set', 'k', 'v');
    c.socket.on('error', () => {});
    void c.call('shutdown', 'nosave').catch(() => {});
    assert.equal((await server.exited).code, 0);
    const st = await standby.exited;
    assert.equal(st.code, 0, standby.out());
    assert.match(standby.out(), /The server of segment '[^']+' stopped \(SHUTDOWN or a signal: not a failure\): the standby stops too/);
    assert.doesNotMatch(standby.out(), /took over/);
    c.close();

    // no server now: one line saying so
    const r = spawnSync(process.execPath, [SERVER_MAIN, ...s.args, '--standby'], { cwd: s.cwd, encoding: 'utf8', timeout: 15000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^Can't stand by for segment '[^']+': no server serves segment '[^']+': start the server first/m);
    // no segment at all
    const r2 = spawnSync(process.execPath, [SERVER_MAIN, '--port', String(s.port), '--segment', `${s.segment}-none`, '--standby'], { cwd: s.cwd, encoding: 'utf8', timeout: 15000 });
    assert.equal(r2.status, 1);
    assert.match(r2.stderr, /^Can't stand by for segment '[^']+-none': segment '[^']+' does not exist/m);
    assert.ok(!fs.existsSync(`/dev/shm/shmkv.${s.segment}-none`), 'a standby does not create a segment');
    // port 0 and no unix socket: nowhere to serve
    const r3 = spawnSync(process.execPath, [SERVER_MAIN, '--port', '0', '--segment', s.segment, '--standby', 'yes'], { cwd: s.cwd, encoding: 'utf8', timeout: 15000 });
    assert.equal(r3.status, 1);
    assert.match(r3.stderr, /port 0 and no unixsocket/);
    // SIGTERM stops a standby (and not its server)
    const server2 = await startServer(s);
    // a standby whose listeners would not be the server's: another port, an unwritable socket directory
    const other = await freePort();
    const r4 = spawnSync(process.execPath, [SERVER_MAIN, '--port', String(other), '--segment', s.segment, '--standby'], { cwd: s.cwd, encoding: 'utf8', timeout: 15000 });
    assert.equal(r4.status, 1);
    assert.match(r4.stderr, new RegExp(`^Can't stand by for segment '[^']+': nothing listens on 127\\.0\\.0\\.1:${other}: give the standby the port and bind of the server it stands by for \\(pid ${server2.pid}\\)`, 'm'));
    const r5 = spawnSync(process.execPath, [SERVER_MAIN, ...s.args, '--standby', '--unixsocket', '/nonexistent-dir/shmkv.sock'], { cwd: s.cwd, encoding: 'utf8', timeout: 15000 });
    assert.equal(r5.status, 1);
    assert.match(r5.stderr, /^Can't stand by for segment '[^']+': unixsocket \/nonexistent-dir\/shmkv\.sock: its directory cannot be written \(ENOENT\)/m);
    const standby2 = await startStandby(s);
    standby2.child.kill('SIGTERM');
    const st2 = await standby2.exited;
    assert.equal(st2.code, 0, `${JSON.stringify(st2)} ${standby2.out()}`);
    assert.equal(await servingPid(s.port), server2.pid);
  } finally {
    await teardown(s);
  }
});

test('two standbys: one takes over, the other stands by for it; a BGSAVE cut by the kill is dropped', async () => {
  const s = await setup('two');
  try {
    const unixsocket = path.join(s.cwd, 'shmkv.sock');
    const server = await startServer(s, ['--unixsocket', unixsocket]);
    const b1 = await startStandby(s, ['--unixsocket', unixsocket]);
    const b2 = await startStandby(s, ['--unixsocket', unixsocket]);
    // shmkv ls: the server and its standbys
    const ls = spawnSync(process.execPath, [cli, 'ls'], { encoding: 'utf8' });
    const row = ls.stdout.split('\n').find((l) => l.startsWith(s.segment + ' '));
    assert.match(row ?? '', new RegExp(` ${server.pid} \\(standby (${b1.pid},${b2.pid}|${b2.pid},${b1.pid})\\) `));
    const c = await RawClient.connect(s.port);
    for (let i = 0; i < 300; i++) await c.call('set', `k${i}`, `v${i}`);
    // a BGSAVE that walks slowly, running when the server dies
    await c.call('config', 'set', 'rdb-key-save-delay', '20000');
    assert.match((await c.call('bgsave')).toString(), /Background saving started/);
    c.close();
    process.kill(server.pid, 'SIGKILL');
    await firstCorrectReply(s.port, ['get', 'k299'], '$4\r\nv299\r\n');
    const first = await servingPid(s.port);
    assert.ok(first === b1.pid || first === b2.pid, `a standby serves (pid ${first})`);
    const [taker, other] = first === b1.pid ? [b1, b2] : [b2, b1];
    await taker.waitFor(/took over/);
    assert.ok(other.alive(), 'the other standby still stands by');
    const ls2 = spawnSync(process.execPath, [cli, 'ls'], { encoding: 'utf8' });
    assert.match(ls2.stdout.split('\n').find((l) => l.startsWith(s.segment + ' ')) ?? '', new RegExp(` ${taker.pid} \\(standby ${other.pid}\\) `));
    assert.doesNotMatch(other.out(), /took over/);
    // the dead server's snapshot is gone: a new BGSAVE runs
    const c2 = await RawClient.connect(s.port);
    await c2.call('config', 'set', 'rdb-key-save-delay', '0');
    assert.match((await c2.call('bgsave')).toString(), /Background saving started/);
    // the unix socket was taken over too
    const u = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(unixsocket, () => sock.write('*1\r\n$4\r\nPING\r\n'));
      sock.once('data', (d) => {
        sock.destroy();
        resolve(d.toString());
      });
      sock.once('error', reject);
    });
    assert.equal(u, '+PONG\r\n');
    c2.close();
    // and the second failover goes to the other one
    process.kill(taker.pid, 'SIGKILL');
    await firstCorrectReply(s.port, ['get', 'k7'], '$2\r\nv7\r\n');
    assert.equal(await servingPid(s.port), other.pid);
    await other.waitFor(/took over/);
    const check = spawnSync(process.execPath, [cli, 'check', s.segment], { encoding: 'utf8' });
    assert.equal(check.status, 0, `shmkv check: ${check.stdout}${check.stderr}`);
  } finally {
    await teardown(s);
  }
});
