#!/usr/bin/env node
// Copies the shipped model (f16 burnpack) into www/lib/model/ and checks it against
// www/lib/src/model-info.ts, the committed sha256 and size the library verifies downloads with.
// The hash is recomputed here and must equal models/manifest.json's: a stale or truncated model
// file fails the build instead of shipping a package that rejects its own model. Conversions are
// reproducible (the converter numbers parameter ids in module order), so a model whose hash
// differs from the committed one means the converter or the checkpoint changed: the build fails
// and says so, and `node scripts/build-model.mjs --update` rewrites model-info.ts on purpose.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FILE = 'rife-4.25-f16.bpk';
const src = path.join(root, 'models', FILE);
const outDir = path.join(root, 'www/lib/model');

const manifest = JSON.parse(await readFile(path.join(root, 'models/manifest.json'), 'utf8'));
const entry = manifest.files.find((f) => f.file === FILE);
if (!entry) throw new Error(`models/manifest.json lists no ${FILE}; run scripts/setup.sh`);

const bytes = await readFile(src).catch((e) => {
  throw new Error(`${src} is missing (${e.code}); run scripts/setup.sh`);
});
const sha256 = createHash('sha256').update(bytes).digest('hex');
if (sha256 !== entry.sha256 || bytes.length !== entry.bytes) {
  throw new Error(
    `${src}: sha256 ${sha256} (${bytes.length} bytes) but the manifest says ${entry.sha256} (${entry.bytes} bytes)`,
  );
}

await mkdir(outDir, { recursive: true });
await copyFile(src, path.join(outDir, FILE));
await writeFile(path.join(outDir, `${FILE}.sha256`), `${sha256}  ${FILE}\n`);
const info = `// Written by "node scripts/build-model.mjs --update" from the converted model, and committed:
// every build checks that the model it converts still has this hash.
/** File name of the packaged model, next to this module under ../model/. */
export const MODEL_FILE = ${JSON.stringify(FILE)};
/** sha256 (hex) of the packaged model. */
export const MODEL_SHA256 = ${JSON.stringify(sha256)};
/** Size of the packaged model in bytes. */
export const MODEL_BYTES = ${bytes.length};
/** Model name and weight precision. */
export const MODEL_NAME = ${JSON.stringify(`${manifest.model} (${entry.precision})`)};
`;
const infoPath = path.join(root, 'www/lib/src/model-info.ts');
if (process.argv.includes('--update')) {
  await writeFile(infoPath, info);
  console.log(`== wrote ${path.relative(root, infoPath)}`);
} else {
  const committed = await readFile(infoPath, 'utf8');
  if (committed !== info) {
    const was = committed.match(/MODEL_SHA256 = "([0-9a-f]+)"[\s\S]*MODEL_BYTES = (\d+)/);
    throw new Error(
      `the converted model (${FILE}: sha256 ${sha256}, ${bytes.length} bytes) is not the one ` +
        `${path.relative(root, infoPath)} names (${was ? `sha256 ${was[1]}, ${was[2]} bytes` : 'unreadable'}). ` +
        'Conversions are reproducible, so the converter or the checkpoint changed; if that is intended, ' +
        'run `node scripts/build-model.mjs --update` and commit the file.',
    );
  }
}
console.log(`== ${path.relative(root, outDir)}/${FILE}: ${bytes.length} bytes, sha256 ${sha256}`);
