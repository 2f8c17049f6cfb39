// Builds the demo page (www/demo): compiles its TypeScript with the repo's tsc into
// www/demo/dist/, then puts the third-party modules it imports next to it, by relative URL (no
// bundler): gifenc (MIT) copied unmodified with its licence, and a one-line re-export of the
// package's vendored mediabunny so the page and the package share one copy.
// Needs the package built first (`npm run build:ts`): the page imports www/lib/dist/.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(path.join(root, 'www/lib/dist/index.d.ts'))) {
  console.error('www/lib/dist is missing: run `npm run build:ts` first');
  process.exit(1);
}
const tsc = path.join(root, 'node_modules/.bin/tsc');
execFileSync(tsc, ['-p', path.join(root, 'www/demo')], { stdio: 'inherit' });

const vendor = path.join(root, 'www/demo/dist/vendor');
mkdirSync(vendor, { recursive: true });
const gifenc = path.join(root, 'node_modules/gifenc');
copyFileSync(path.join(gifenc, 'dist/gifenc.esm.js'), path.join(vendor, 'gifenc.js'));
copyFileSync(path.join(gifenc, 'LICENSE.md'), path.join(vendor, 'gifenc.LICENSE.md'));
writeFileSync(
  path.join(vendor, 'mediabunny.js'),
  "// The package's copy (MPL-2.0, see www/lib/dist/vendor/mediabunny.LICENSE).\n" +
    "export * from '../../../lib/dist/vendor/mediabunny.js';\n",
);
console.log(`built the demo into ${path.relative(root, path.join(root, 'www/demo/dist'))}`);
