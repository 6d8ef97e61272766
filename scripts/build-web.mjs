// Builds the web app (apps/web) into dist/web: one bundle (the app, libs/client and SIP.js) by
// esbuild, plus the page and its style sheet. Takes well under a second; run by `npm run build`,
// scripts/start.sh and the tests' build (test/support/herald-build.ts). Type checking is tsc's
// job (apps/web/tsconfig.json, in scripts/test.sh).
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** `#herald/<lib>` as the library's TypeScript index (package.json's "imports" points Node at dist/). */
const heraldLibraries = {
  name: 'herald-libraries',
  setup(build) {
    build.onResolve({ filter: /^#herald\/[a-z-]+$/ }, (args) => ({
      path: join(root, 'libs', args.path.slice('#herald/'.length), 'src', 'index.ts'),
    }));
  },
};
const out = join(root, 'dist', 'web');
await mkdir(out, { recursive: true });
await build({
  absWorkingDir: root,
  entryPoints: ['apps/web/src/main.ts'],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [heraldLibraries],
});
for (const file of ['index.html', 'style.css'])
  await copyFile(join(root, 'apps', 'web', file), join(out, file));
