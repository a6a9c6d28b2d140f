#!/usr/bin/env node
/**
 * shmkv-server [config-file] [--name value ...]
 *
 * Like redis-server: a redis.conf-syntax file (optional, first argument) and options that
 * override it. The keyspace lives in the shared-memory segment `segment` (default
 * "default", /dev/shm/shmkv.<segment>): attaching to an existing one takes milliseconds,
 * whatever its size, and serves it as it is.
 *
 * `--standby`: the process does everything a start does (code loaded, configuration read,
 * segment mapped and checked, the server and its engine built) except claim the server
 * role, which it waits for instead: on the segment's role mutex (src/shm/header.ts,
 * ROLE_MUTEX), held by the serving process's main thread. When that process dies — even
 * `kill -9` — the kernel hands the mutex over with EOWNERDEAD while it is still tearing the
 * dead process down, and the standby takes over: the first lock of the keyspace rolls back
 * the operation the dead server left half done, its snapshot or copy-on-write epoch is
 * dropped, the listeners are bound (joining the dead one's port, see Server.listen) and it
 * serves. No polling: a wait on a futex the kernel wakes. A server that STOPS (SHUTDOWN,
 * SIGTERM) releases the role cleanly, and its standby stops too: the service was stopped
 * on purpose, as a Redis user expects of SHUTDOWN. Several standbys may wait: one takes
 * over, the others then stand by for it.
 */

import fs from 'node:fs';
import { openKeyspace, reapDeadSnapshot, type SegmentKeyspace } from '../keyspace/open.js';
import { formatLoadError, loadConfig, REDIS_VERSION, SHMKV_VERSION, type Config, type ConfigLoadError } from '../config/config.js';
import { Logger, type LogLevel } from '../util/log.js';
import type { Segment } from '../shm/segment.js';
import { Server } from './server.js';

function usage(): void {
  process.stderr.write(
    [
      'Usage: shmkv-server [/path/to/shmkv.conf] [options]',
      '       shmkv-server - (read config from stdin)',
      '       shmkv-server -v or --version',
      '       shmkv-server -h or --help',
      '',
      'Examples:',
      '       shmkv-server (run the server with default config)',
      '       shmkv-server /etc/shmkv/6379.conf',
      '       shmkv-server --port 7777',
      '       shmkv-server --port 7777 --segment cache --requirepass secret',
      '       shmkv-server /etc/myshmkv.conf --loglevel verbose',
      '       shmkv-server --port 7777 --segment cache --standby (take over when the server dies)',
      '',
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '-v' || args[0] === '--version') {
    process.stdout.write(`shmkv server v=${SHMKV_VERSION} redis_compat=${REDIS_VERSION} node=${process.version} bits=64\n`);
    return;
  }
  if (args[0] === '-h' || args[0] === '--help') {
    usage();
    return;
  }
  let config: Config;
  try {
    config = loadConfig(args);
  } catch (e) {
    if (e && typeof e === 'object' && 'message' in e && 'line' in e) {
      process.stderr.write(formatLoadError(e as ConfigLoadError));
      process.exit(1);
    }
    throw e;
  }

  const log = new Logger(config.str('loglevel') as LogLevel, config.str('logfile'));
  log.warning('oO0OoO0OoO0Oo shmkv is starting oO0OoO0OoO0Oo');
  log.warning(`shmkv version=${SHMKV_VERSION}, Redis ${REDIS_VERSION} compatible, node=${process.version}, bits=64, pid=${process.pid}, just started`);
  if (config.file) log.warning('Configuration loaded');
  else log.warning('Warning: no config file specified, using the default config. In order to specify a config file use shmkv-server /path/to/shmkv.conf');

  const dir = config.str('dir');
  try {
    process.chdir(dir);
  } catch (e) {
    log.warning(`Can't chdir to '${dir}': ${(e as Error).message}`);
    process.exit(1);
  }

  // like Redis: written once the configuration is read (relative to `dir`), removed at
  // shutdown; a standby writes it when it takes over (the server's is the server's until then)
  const pidfile = config.str('pidfile');
  let pidfileWritten = false;
  const writePidfile = (): void => {
    if (pidfile === '') return;
    try {
      fs.writeFileSync(pidfile, `${process.pid}\n`);
      pidfileWritten = true;
    } catch (e) {
      log.warning(`Failed to write PID file: ${(e as Error).message}`);
    }
  };
  // (on every exit, failed starts included; a SIGKILL leaves it, as with Redis)
  process.on('exit', () => {
    if (!pidfileWritten) return;
    log.notice('Removing the pid file.');
    try {
      fs.unlinkSync(pidfile);
    } catch {
      // gone already
    }
  });

  const segment = config.str('segment');
  const standby = config.bool('standby');
  const fail: (msg: string, store?: SegmentKeyspace) => never = (msg, store) => {
    log.warning(msg);
    process.stderr.write(msg + '\n');
    store?.close();
    process.exit(1);
  };
  if (standby && config.num('port') === 0 && !config.str('unixsocket')) {
    fail(`Can't stand by for segment '${segment}': port 0 and no unixsocket: give the standby the server's port (or unix socket)`);
  }
  if (!standby) writePidfile();

  // attach the keyspace
  const t0 = performance.now();
  const store: SegmentKeyspace = (() => {
    try {
      return openKeyspace({ segment, databases: config.num('databases'), create: !standby });
    } catch (e) {
      const why = (e as Error).message;
      return fail(standby ? `Can't stand by for segment '${segment}': ${why}` : `Can't attach the keyspace in segment '${segment}': ${why}`);
    }
  })();
  let exiting = false;
  const newServer = (): Server =>
    new Server({
      config,
      ks: store,
      log,
      beforeStoreClose: () => store.segment.serverRelease(),
      onExit: (code) => {
        exiting = true;
        process.exit(code);
      },
    });
  let server: Server | null = null;
  let took: { deadPid: number; detectedAt: number } | null = null;
  let listening: Promise<void> | null = null;
  if (standby) {
    const serving = ((): { pid: number } => {
      try {
        return store.segment.standbyCheck();
      } catch (e) {
        return fail(`Can't stand by for segment '${segment}': ${(e as Error).message}`, store);
      }
    })();
    // everything a start does but claiming the role, done now: the take-over is then only
    // recovery (the first lock), listening and serving. The shared settings are the live
    // server's and stay so: a failover keeps what CONFIG SET changed in the segment.
    config.attachShared(store.settings, false);
    server = newServer();
    const problem = server.standbyListenProblem(serving.pid);
    if (problem !== null) fail(`Can't stand by for segment '${segment}': ${problem}`, store);
    // (SIGTERM/SIGINT stop a standby from now on: installed before the line that says it stands by)
    const stopOnSignal = (sig: string): void => {
      log.warning(`Received ${sig}: the standby stops`);
      store.close();
      process.exit(0);
    };
    const onTerm = (): void => stopOnSignal('SIGTERM');
    const onInt = (): void => stopOnSignal('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    await server.rehearse();
    log.notice(`Standby for segment '${segment}': its server is pid ${serving.pid}; taking over if it dies`);
    const outcome = await waitForRole(store.segment);
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    const detectedAt = performance.now();
    if (outcome === 'released') {
      log.warning(`The server of segment '${segment}' stopped (SHUTDOWN or a signal: not a failure): the standby stops too`);
      store.close();
      process.exit(0);
    }
    took = { deadPid: store.segment.serverTakeOver(), detectedAt };
    // listen first: the first address's socket is bound and listening (the kernel queues
    // connections) before the call returns; they are accepted once the synchronous recovery
    // below is done, so nothing is served from a keyspace not yet rolled back
    listening = server.listen(true);
    listening.catch(() => {}); // (awaited below)
    // its snapshot (a BGSAVE) or copy-on-write epoch (a DUMP): the dead process's attach
    // slot still looks held until the kernel has finished with it, so it is named here
    reapDeadSnapshot(store, took.deadPid);
  } else {
    try {
      store.segment.serverClaim();
    } catch (e) {
      fail(`Can't serve segment '${segment}': ${(e as Error).message}`, store);
    }
  }
  const attachMs = performance.now() - (took?.detectedAt ?? t0);
  if (store.databases !== config.num('databases')) {
    log.warning(`The keyspace in segment '${segment}' has ${store.databases} databases (databases ${config.num('databases')} ignored)`);
    config.set('databases', store.databases);
  }
  // (a standby's first lock: the dead server's half-done operation is rolled back here)
  let keys = 0;
  store.exec(() => {
    for (let db = 0; db < store.databases; db++) keys += store.dbsize(db);
  });
  if (server === null) {
    // this server's configuration is what the segment's shared settings now say (maxmemory,
    // its policy, encodings...): every library process on the segment sees it at once
    config.attachShared(store.settings, true);
    server = newServer();
  }
  server.attachMs = attachMs;

  // A failed start lets the role go. A failed take-over exits holding it instead, as a
  // crash: another standby (if any) then takes over, rather than read it as a SHUTDOWN.
  const abandon: () => never = () => {
    if (took === null) {
      store.segment.serverRelease();
      store.close();
    }
    process.exit(1);
  };

  // a new segment (after a reboot, or a new name) is filled from dir/dbfilename if there is
  // one (and a load its dead server left unfinished is done again by its standby)
  let started: string;
  try {
    started = server.engine.persistence.loadAtStart();
  } catch (e) {
    const msg = `Can't load the RDB file ${server.engine.persistence.rdbPath}: ${(e as Error).message}`;
    log.warning(msg);
    process.stderr.write(msg + '\n');
    abandon();
  }
  try {
    await (listening ?? server.listen());
  } catch (e) {
    log.warning((e as Error).message);
    log.warning(`Failed listening on port ${config.num('port')} (tcp), aborting.`);
    abandon();
  }
  if (took !== null) {
    const listeningAt = performance.now();
    log.warning(`The server of segment '${segment}' (pid ${took.deadPid}) died: this standby took over in ${(listeningAt - took.detectedAt).toFixed(3)} ms`);
    // (for bench/failover.ts: wall-clock instants, comparable with another process's kill)
    log.verbose(`Take-over instants (ms since the epoch): death noticed ${(performance.timeOrigin + took.detectedAt).toFixed(3)}, listening ${(performance.timeOrigin + listeningAt).toFixed(3)}`);
    writePidfile();
  }
  log.notice('Server initialized');
  if (process.env.SHMKV_DEBUG_FROZEN_SNAPSHOT === '1') {
    // tests only: a snapshot that never walks, so every write of every command must
    // preserve the key first (a handler that changes a value it did not look up for
    // writing is then refused, which the differential tests show)
    store.exec(() => {
      if (!store.snapshots.running) store.snapshots.begin(store.segment.slot, process.pid, Date.now());
    });
  }
  if (started === 'attached') log.notice(`Keyspace attached from segment '${segment}' in ${attachMs.toFixed(3)} ms: ${keys} keys in ${store.databases} databases, nothing to load`);
  else if (started === 'no-file') log.notice(`New keyspace in segment '${segment}' (no ${server.engine.persistence.rdbPath} to load)`);
  server.startCron();
  if (server.boundPorts.length) log.notice(`Ready to accept connections tcp${config.num('port') === 0 ? ` (port ${server.port})` : ''}`);
  if (config.str('unixsocket')) log.notice('Ready to accept connections unix');

  const onSignal = (sig: string): void => {
    if (exiting) return;
    if (server.shuttingDown) {
      log.warning(`You insist... exiting now.`);
      // (a stop, not a failure: a standby stops too)
      store.segment.serverRelease();
      process.exit(1);
    }
    log.warning(`Received ${sig} scheduling shutdown...`);
    // Redis's prepareForShutdown: save when save points are set; a failed save keeps the server up
    if (!server.engine.persistence.shutdownSave(undefined)) return;
    void server.stop('User requested shutdown...');
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('uncaughtException', (e) => {
    log.warning(`uncaught exception: ${e.stack ?? e.message}`);
    process.exit(1);
  });
}

/**
 * A standby's wait: the role mutex, in waits of 100 ms with an event-loop turn between them
 * (so SIGTERM still stops a standby; the kernel wakes a waiter the instant the holder dies,
 * and a death between two waits leaves the mutex marked, so nothing is missed).
 */
function waitForRole(seg: Segment): Promise<'died' | 'released'> {
  return new Promise((resolve, reject) => {
    const step = (): void => {
      let r: string;
      try {
        r = seg.roleWait(100);
      } catch (e) {
        reject(e);
        return;
      }
      if (r === 'timed-out') {
        setImmediate(step);
        return;
      }
      resolve(r as 'died' | 'released');
    };
    step();
  });
}

main().catch((e) => {
  process.stderr.write(`shmkv-server: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
