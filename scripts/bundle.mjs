// Bundle the server into one CommonJS file, dist/server.bundle.cjs, run by
// dist/src/server/launch.cjs (the `shmkv-server` command). Why: Node 20 takes ~35 ms to
// resolve, read and compile our ~45 ES modules one by one; one CommonJS file, compiled
// from V8's code cache after the first start, takes a few (see docs/ARCHITECTURE.md).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

await build({
  entryPoints: [`${root}/dist/src/server/main.js`],
  outfile: `${root}/dist/server.bundle.cjs`,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // import.meta.url (the addon's location is found from it) means this file in CommonJS
  banner: { js: "const __shmkv_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__shmkv_import_meta_url' },
  external: ['*.node'],
  // whitespace and syntax only: smaller to read and parse, names kept for stack traces
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  logLevel: 'warning',
});

// the code cache of the previous bundle: V8 would reject it; the next start writes a new one
rmSync(`${root}/dist/server.bundle.cjs.v8cache`, { force: true });
