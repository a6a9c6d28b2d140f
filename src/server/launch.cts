#!/usr/bin/env node
/**
 * The `shmkv-server` command: runs the bundled server (dist/server.bundle.cjs, made by
 * `npm run build`) compiled from V8's code cache, so a restart spends its time serving
 * rather than loading code. Without the bundle, or when the modules are newer (tsc run
 * alone since the last `npm run build`), it runs the ES modules of dist/src/server/main.js.
 *
 * The code cache is written once the server has started (so it holds the functions the
 * start ran), next to the bundle; it is rewritten whenever V8 rejects it (another Node
 * version, or a rebuilt bundle). Failing to write it (a read-only install) costs only speed.
 */
import fs = require('node:fs');
import path = require('node:path');
import vm = require('node:vm');
import Module = require('node:module');

const BUNDLE = path.join(__dirname, '..', '..', 'server.bundle.cjs');
const CACHE = BUNDLE + '.v8cache';

function readOrNull(file: string, encoding?: BufferEncoding): Buffer | string | null {
  try {
    return encoding ? fs.readFileSync(file, encoding) : fs.readFileSync(file);
  } catch {
    return null;
  }
}

function runBundle(source: string): void {
  const cached = readOrNull(CACHE) as Buffer | null;
  const script = new vm.Script(Module.wrap(source.replace(/^#!.*/, '')), {
    filename: BUNDLE,
    cachedData: cached ?? undefined,
  });
  // (INFO server's shmkv_code tells which way the code was loaded)
  (globalThis as { [k: symbol]: unknown })[Symbol.for('shmkv.launch')] = {
    cache: cached === null ? 'none' : script.cachedDataRejected === true ? 'rejected' : 'accepted',
  };
  const fn = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  const mod = { exports: {} };
  fn.call(mod.exports, mod.exports, Module.createRequire(BUNDLE), mod, BUNDLE, path.dirname(BUNDLE));
  if (cached === null || script.cachedDataRejected === true) {
    setTimeout(() => {
      try {
        const tmp = `${CACHE}.${process.pid}`;
        fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o644 });
        fs.renameSync(tmp, CACHE);
      } catch {
        // read-only install: start without the cache next time
      }
    }, 1000).unref();
  }
}

/** The bundle, unless missing or older than the modules (tsc run alone since): then null. */
function bundleSource(): string | null {
  try {
    if (fs.statSync(BUNDLE).mtimeMs < fs.statSync(path.join(__dirname, 'main.js')).mtimeMs) return null;
  } catch {
    return null;
  }
  return readOrNull(BUNDLE, 'utf8') as string | null;
}

const source = bundleSource();
if (source !== null) runBundle(source);
else void import('./main.js');
