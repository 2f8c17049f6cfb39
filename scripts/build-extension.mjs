// Builds the browser extension: dist/extension/ (load it unpacked) and dist/inbetween-extension.zip
// (the same files, for the Chrome Web Store or for sharing).
//
// The extension is www/extension/ (its manifest, engine.html, and its TypeScript in src/ built
// into three scripts) plus the built npm package (www/lib/dist, the wasm in www/lib/pkg, the f16
// model in www/lib/model): everything it runs ships inside it, since MV3 allows no remote code.
// Run `npm run build:ts` (or `npm run build`) first: this script type-checks and bundles the
// extension's own code and copies the package. The icons are drawn here, so no binary files live
// in git.
//
// The scripts: tsc checks src/ (www/extension/tsconfig.json), then esbuild bundles each entry
// point into one file. content.js must be a single classic script (chrome.scripting injects
// files into the isolated world, and a content script cannot be a module or import one without
// making it web-accessible); engine.js and background.js are ES modules, and engine.js imports
// the package from ./lib/dist/ as it ships (the package stays unbundled: its worker and wasm are
// found relative to its own files).
//
// Test hooks (the engine frame's `loseDeviceForTesting` and `echo` requests, content.js's `debug`
// object) are reached only from statements labelled `TEST_HOOKS:`. The shipped build drops them
// (esbuild's dropLabels) and, with them, the test-hooks modules; `--test-hooks` keeps them, for
// tests/browser/extension*.test.mjs and the bench.
//
//   node scripts/build-extension.mjs [--no-zip] [--out DIR] [--test-hooks]
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const zip = !args.includes('--no-zip');
const testHooks = args.includes('--test-hooks');
const outIndex = args.indexOf('--out');
const DIST = outIndex >= 0 ? path.resolve(args[outIndex + 1]) : path.join(ROOT, 'dist');
const OUT = path.join(DIST, 'extension');
const LIB = path.join(ROOT, 'www/lib');

const MODEL = 'rife-4.25-f16.bpk';
const required = [
  'dist/index.js',
  'dist/worker/worker.js',
  'pkg/inbetween_wasm.js',
  'pkg/inbetween_wasm_bg.wasm',
  'pkg-mt/inbetween_wasm.js',
  `model/${MODEL}`,
  `model/${MODEL}.sha256`,
];
const missing = required.filter((f) => !existsSync(path.join(LIB, f)));
if (missing.length) {
  console.error(
    `build-extension: the package is not built (missing www/lib/${missing.join(', www/lib/')}); run \`npm run build\` first`,
  );
  process.exit(1);
}

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

// The extension's own static files (its README fragment, its sources and their tsconfig stay out).
const EXT = path.join(ROOT, 'www/extension');
for (const name of readdirSync(EXT)) {
  if (name.endsWith('.md') || name === 'src' || name === 'tsconfig.json') continue;
  cpSync(path.join(EXT, name), path.join(OUT, name), { recursive: true });
}

// Type-check first: esbuild only strips the types.
execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', EXT], { stdio: 'inherit' });

/** The package's modules (www/lib/dist) stay outside the bundle, imported from where they ship. */
const packageOutside = {
  name: 'package-outside',
  setup(b) {
    b.onResolve({ filter: /\/lib\/dist\// }, (args) => {
      const file = path.resolve(args.resolveDir, args.path);
      const rel = path.relative(path.join(LIB, 'dist'), file);
      if (rel.startsWith('..')) return undefined;
      if (args.importer && !args.importer.startsWith(path.join(EXT, 'src/engine'))) {
        return { errors: [{ text: `only the engine frame imports the package (${args.path})` }] };
      }
      return { path: `./lib/dist/${rel.split(path.sep).join('/')}`, external: true };
    });
  },
};
const scripts = [
  // A classic script, in the page's isolated world (esbuild keeps it strict, as its modules are).
  { entry: 'content/content.ts', out: 'content.js', format: 'iife' },
  { entry: 'engine/engine.ts', out: 'engine.js', format: 'esm' },
  { entry: 'background.ts', out: 'background.js', format: 'esm' },
];
for (const s of scripts) {
  await build({
    entryPoints: [path.join(EXT, 'src', s.entry)],
    outfile: path.join(OUT, s.out),
    // The bundles name each module's path in a comment: relative to the repo, wherever it is.
    absWorkingDir: ROOT,
    bundle: true,
    format: s.format,
    // manifest.json's minimum_chrome_version.
    target: 'chrome127',
    charset: 'utf8',
    legalComments: 'none',
    dropLabels: testHooks ? [] : ['TEST_HOOKS'],
    plugins: [packageOutside],
    // content.js's WGSL (shaders/block_change.wgsl), as a string.
    loader: { '.wgsl': 'text' },
    // content.js bundles the package's wasm glue (lib/pkg) for its in-process engine; the glue's
    // default module URL (`import.meta.url`) is never used there (the bytes are passed in).
    logOverride: { 'empty-import-meta': 'silent' },
    logLevel: 'warning',
  });
  if (!testHooks) checkNoTestHooks(s.out, readFileSync(path.join(OUT, s.out), 'utf8'), s.format);
}

// The package, laid out as in the npm package so its relative URLs (../pkg, ../model) hold.
// Type declarations and source maps are of no use at run time and would only grow the zip.
cpSync(path.join(LIB, 'dist'), path.join(OUT, 'lib/dist'), {
  recursive: true,
  // The test hooks' entry (dist/testing.js) only in the test build.
  filter: (src) =>
    statSync(src).isDirectory() ||
    !(/\.d\.ts$/.test(src) || /\.map$/.test(src) || (!testHooks && /[/\\]dist[/\\]testing\.js$/.test(src))),
});
for (const f of ['inbetween_wasm.js', 'inbetween_wasm_bg.wasm']) {
  cpSync(path.join(LIB, 'pkg', f), path.join(OUT, 'lib/pkg', f));
}
// The threaded build's glue only: the worker imports it, but the engine page is an iframe in
// pages that are not cross-origin isolated, so the threaded .wasm never runs there.
cpSync(path.join(LIB, 'pkg-mt/inbetween_wasm.js'), path.join(OUT, 'lib/pkg-mt/inbetween_wasm.js'));
for (const f of [MODEL, `${MODEL}.sha256`]) cpSync(path.join(LIB, 'model', f), path.join(OUT, 'lib/model', f));

// The manifest lists these sizes.
mkdirSync(path.join(OUT, 'icons'));
for (const size of [16, 32, 48, 128]) writeFileSync(path.join(OUT, `icons/icon${size}.png`), icon(size));

// A cheap check that the manifest and the files agree: everything the manifest names exists.
const manifest = JSON.parse(readFileSync(path.join(OUT, 'manifest.json'), 'utf8'));
const named = [
  manifest.background.service_worker,
  ...Object.values(manifest.icons),
  ...Object.values(manifest.action.default_icon),
  ...manifest.web_accessible_resources.flatMap((r) => r.resources),
  'content.js',
  'engine.js',
];
for (const f of named) {
  if (!existsSync(path.join(OUT, f))) throw new Error(`build-extension: the manifest names ${f}, which is missing`);
}

let size = 0;
const walk = (dir) =>
  readdirSync(dir, { withFileTypes: true }).forEach((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else size += statSync(p).size;
  });
walk(OUT);
console.log(`build-extension: ${path.relative(ROOT, OUT) || OUT} (${(size / 1e6).toFixed(1)} MB)`);

if (zip) {
  // Python's zipfile: no npm dependency, and Python is already a prerequisite of the repo.
  // Entries are relative to the extension's root, as the Web Store wants.
  const zipPath = path.join(DIST, 'inbetween-extension.zip');
  rmSync(zipPath, { force: true });
  execFileSync(
    'python3',
    [
      '-c',
      `
import os, sys, zipfile
root, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for d, _, files in sorted(os.walk(root)):
        for f in sorted(files):
            p = os.path.join(d, f)
            z.write(p, os.path.relpath(p, root))
`,
      OUT,
      zipPath,
    ],
    { stdio: 'inherit' },
  );
  console.log(
    `build-extension: ${path.relative(ROOT, zipPath) || zipPath} (${(statSync(zipPath).size / 1e6).toFixed(1)} MB)`,
  );
}

/** Fails when a shipped script still has a test hook in it, or no longer parses. The package's
 * wasm glue, which content.js bundles, is the package's own (its Engine class has the
 * package's `loseDeviceForTesting` method, which only test code calls): it is left out of the
 * search, by the module comment esbuild heads it with, up to the next module's. */
function checkNoTestHooks(name, source, format) {
  const code = withoutModule(source, 'www/lib/pkg/inbetween_wasm.js').replace(/^\s*\/\/.*$/gm, '');
  const left = code.match(/ForTesting|engineCall|debug:|["']echo["']|TEST_HOOKS/);
  if (left) {
    throw new Error(
      `build-extension: ${name}: "${left[0]}" is left in the shipped build (reach test hooks only from TEST_HOOKS: statements)`,
    );
  }
  execFileSync(process.execPath, [`--input-type=${format === 'esm' ? 'module' : 'commonjs'}`, '--check'], {
    input: source,
    stdio: ['pipe', 'inherit', 'inherit'],
  });
}

/** `source` without the bundled module `file` (from its `// file` comment to the next module's). */
function withoutModule(source, file) {
  const start = source.indexOf(`// ${file}\n`);
  if (start < 0) return source;
  const rest = source.slice(start + file.length + 4);
  const next = rest.search(/^\s*\/\/ [\w./-]+\.(?:ts|js)$/m);
  return source.slice(0, start) + (next < 0 ? '' : rest.slice(next));
}

/**
 * The icon: three frames in a row on a dark rounded square, the middle one (the frame that did
 * not exist) in the accent colour. Drawn with 4x4 supersampling and written as an RGBA PNG.
 */
function icon(n) {
  const ss = 4;
  const rgba = Buffer.alloc(n * n * 4);
  const inRound = (x, y, x0, y0, x1, y1, r) => {
    if (x < x0 || x > x1 || y < y0 || y > y1) return false;
    const cx = Math.min(Math.max(x, x0 + r), x1 - r);
    const cy = Math.min(Math.max(y, y0 + r), y1 - r);
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
  };
  const bars = [
    { x0: 0.16, x1: 0.34, color: [235, 235, 240] },
    { x0: 0.41, x1: 0.59, color: [80, 200, 255] },
    { x0: 0.66, x1: 0.84, color: [235, 235, 240] },
  ];
  for (let py = 0; py < n; py++) {
    for (let px = 0; px < n; px++) {
      const acc = [0, 0, 0, 0];
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const x = (px + (sx + 0.5) / ss) / n;
          const y = (py + (sy + 0.5) / ss) / n;
          if (!inRound(x, y, 0, 0, 1, 1, 0.2)) continue;
          let c = [30, 34, 44];
          for (const b of bars) if (inRound(x, y, b.x0, 0.22, b.x1, 0.78, 0.04)) c = b.color;
          acc[0] += c[0];
          acc[1] += c[1];
          acc[2] += c[2];
          acc[3] += 255;
        }
      }
      const k = ss * ss;
      const a = acc[3] / k;
      const o = (py * n + px) * 4;
      // Colour averaged over the covered samples only (straight alpha, as PNG stores it).
      const cover = acc[3] / 255 || 1;
      rgba[o] = Math.round(acc[0] / cover);
      rgba[o + 1] = Math.round(acc[1] / cover);
      rgba[o + 2] = Math.round(acc[2] / cover);
      rgba[o + 3] = Math.round(a);
    }
  }
  return png(n, n, rgba);
}

function png(width, height, rgba) {
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    rgba.copy(raw, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function crc32(buf) {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
