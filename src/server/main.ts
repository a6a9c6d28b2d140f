#!/usr/bin/env node
/**
 * shmkv-server [config-file] [--name value ...]
 *
 * Like redis-server: a redis.conf-syntax file (optional, first argument) and options that
 * override it. The keyspace lives in the shared-memory segment `segment` (default
 * "default", /dev/shm/shmkv.<segment>): attaching to an existing one takes milliseconds,
 * whatever its size, and serves it as it is.
 */

import fs from 'node:fs';
import { openKeyspace, type SegmentKeyspace } from '../keyspace/open.js';
import { formatLoadError, loadConfig, REDIS_VERSION, SHMKV_VERSION, type Config, type ConfigLoadError } from '../config/config.js';
import { Logger, type LogLevel } from '../util/log.js';
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

  // like Redis: written once the configuration is read (relative to `dir`), removed at shutdown
  const pidfile = config.str('pidfile');
  if (pidfile !== '') {
    try {
      fs.writeFileSync(pidfile, `${process.pid}\n`);
    } catch (e) {
      log.warning(`Failed to write PID file: ${(e as Error).message}`);
    }
  }
  // (on every exit, failed starts included; a SIGKILL leaves it, as with Redis)
  process.on('exit', () => {
    if (pidfile === '') return;
    log.notice('Removing the pid file.');
    try {
      fs.unlinkSync(pidfile);
    } catch {
      // gone already
    }
  });

  // attach the keyspace
  const segment = config.str('segment');
  const t0 = performance.now();
  let store: SegmentKeyspace;
  try {
    store = openKeyspace({ segment, databases: config.num('databases') });
  } catch (e) {
    const msg = `Can't attach the keyspace in segment '${segment}': ${(e as Error).message}`;
    log.warning(msg);
    process.stderr.write(msg + '\n');
    process.exit(1);
  }
  try {
    store.segment.serverClaim();
  } catch (e) {
    const msg = `Can't serve segment '${segment}': ${(e as Error).message}`;
    log.warning(msg);
    process.stderr.write(msg + '\n');
    store.close();
    process.exit(1);
  }
  const attachMs = performance.now() - t0;
  if (store.databases !== config.num('databases')) {
    log.warning(`The keyspace in segment '${segment}' has ${store.databases} databases (databases ${config.num('databases')} ignored)`);
    config.set('databases', store.databases);
  }
  let keys = 0;
  store.exec(() => {
    for (let db = 0; db < store.databases; db++) keys += store.dbsize(db);
  });
  // this server's configuration is what the segment's shared settings now say (maxmemory,
  // its policy, encodings...): every library process on the segment sees it at once
  config.attachShared(store.settings, true);

  let exiting = false;
  const server = new Server({
    config,
    ks: store,
    log,
    beforeStoreClose: () => store.segment.serverRelease(),
    onExit: (code) => {
      exiting = true;
      process.exit(code);
    },
  });
  server.attachMs = attachMs;

  // a new segment (after a reboot, or a new name) is filled from dir/dbfilename if there is one
  let started: string;
  try {
    started = server.engine.persistence.loadAtStart();
  } catch (e) {
    const msg = `Can't load the RDB file ${server.engine.persistence.rdbPath}: ${(e as Error).message}`;
    log.warning(msg);
    process.stderr.write(msg + '\n');
    store.segment.serverRelease();
    store.close();
    process.exit(1);
  }
  try {
    await server.listen();
  } catch (e) {
    log.warning((e as Error).message);
    log.warning(`Failed listening on port ${config.num('port')} (tcp), aborting.`);
    store.segment.serverRelease();
    store.close();
    process.exit(1);
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

main().catch((e) => {
  process.stderr.write(`shmkv-server: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
