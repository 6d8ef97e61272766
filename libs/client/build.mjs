// Builds the publishable package: two ES modules and the type declarations. dist/index.js is the SDK
// for browsers and Node (the protocol constants of libs/contracts bundled; sip.js stays a peer
// dependency); dist/node.js is the Node entry (carriers over UDP, TCP, TLS and WS on the parts of
// libs/sip it uses, bundled: its parser, stream framing, transactions and digest).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
await rm(join(here, 'dist'), { recursive: true, force: true });
await mkdir(join(here, 'dist'), { recursive: true });
// dist/ is ES modules (code and declarations); the sources stay in the repo's CommonJS build.
await writeFile(join(here, 'dist', 'package.json'), '{ "type": "module" }\n');
await build({
  absWorkingDir: here,
  entryPoints: ['src/index.ts'],
  outfile: 'dist/index.js',
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: ['es2022'],
  external: ['sip.js'],
  sourcemap: true,
  logLevel: 'warning',
});
await build({
  absWorkingDir: here,
  entryPoints: ['src/node/index.ts'],
  outfile: 'dist/node.js',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: ['node22'],
  // Nothing outside Node itself: a package the bundle would need is an error here, not at a user's.
  packages: 'external',
  external: ['sip.js'],
  sourcemap: true,
  logLevel: 'warning',
});
// Declarations of src/ and of the libs/contracts files it takes its types from (under dist/types).
execFileSync('npx', ['tsc', '-p', join(here, 'tsconfig.json')], { stdio: 'inherit', cwd: here });
