// Copies the third-party ES modules the package imports at run time into www/lib/dist/vendor/,
// unmodified, with their licences: the package's worker cannot resolve bare specifiers (import
// maps do not apply to workers), so it imports these by relative URL.
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'www/lib/dist/vendor');
mkdirSync(out, { recursive: true });
const mb = path.join(root, 'node_modules/mediabunny');
copyFileSync(path.join(mb, 'dist/bundles/mediabunny.min.mjs'), path.join(out, 'mediabunny.js'));
copyFileSync(path.join(mb, 'LICENSE'), path.join(out, 'mediabunny.LICENSE'));
console.log(`vendored mediabunny into ${path.relative(root, out)}`);
