// Measures the duplicate detector (www/lib/src/shared/duplicates.ts) on the labelled set
// (tests/browser/labelled.mjs) and prints false positives and negatives per category, the table
// in www/lib/DUPLICATES.md. Build the package first (npm run build:ts).
//
//   node scripts/bench/duplicates.mjs [--features] [--grid]
//   --features: the raw per-pair numbers; --grid: false positives/negatives over a grid of thresholds;
//   W=640 H=360: the set at another size; RULE='{"dip":0.25}': another setting of the rule.
import path from 'node:path';
import { analysisSize, ChangeMeter, findRepeats, greyOf, REPEAT_RULE } from '../../www/lib/dist/shared/duplicates.js';
import {
  BUNNY_REPEATS,
  bunnyPictures,
  cadenceMap,
  decodeFrames,
  encodeDecode,
  GOLDEN_PHOTOS,
  labelsOf,
  loadPhoto,
  RATE,
  renderPicture,
  rgba,
  skimagePhotos,
} from '../../tests/browser/labelled.mjs';
import { realClip } from '../../tests/browser/clips.mjs';

const showFeatures = process.argv.includes('--features');
const W = Number(process.env.W ?? 320);
const H = Number(process.env.H ?? 180);
const SLOTS = 48;
const CRFS = [18, 23, 28, 35];

const photoFiles = [
  ...GOLDEN_PHOTOS,
  ...skimagePhotos(['astronaut.png', 'coffee.png', 'chelsea.png', 'rocket.jpg', 'motorcycle_left.png', 'grass.png']),
];
// Loaded 20% larger than the frame, so a pan has room to move.
const photos = photoFiles.map((f) => ({
  name: path.basename(f).replace(/\.\w+$/, ''),
  img: loadPhoto(f, Math.round(W * 1.2), Math.round(H * 1.2)),
}));

/** [category, key, pictures(p), cadence] */
const cases = [];
const motionName = (m) => `${m.kind}${m.speed ?? m.rate ?? m.amplitude ?? ''}${m.noise ? `n${m.noise}` : ''}`;
const negatives = [
  [
    'slow pan (0.1-0.5 px/frame)',
    [
      { kind: 'pan', speed: 0.1 },
      { kind: 'pan', speed: 0.25 },
      { kind: 'pan', speed: 0.5 },
    ],
  ],
  [
    'slow zoom (0.1-0.3%/frame)',
    [
      { kind: 'zoom', rate: 0.001 },
      { kind: 'zoom', rate: 0.003 },
    ],
  ],
  [
    'local sway, still camera (talking-head-like)',
    [
      { kind: 'wobble', amplitude: 0.5, period: 24 },
      { kind: 'wobble', amplitude: 1.5, period: 24 },
    ],
  ],
  [
    'quick local sway (turns every 6-8 frames)',
    [
      { kind: 'wobble', amplitude: 1, period: 12 },
      { kind: 'wobble', amplitude: 2, period: 16 },
    ],
  ],
  [
    'static camera, sensor noise',
    [
      { kind: 'still', noise: 2 },
      { kind: 'still', noise: 4 },
    ],
  ],
  ['slow pan + noise', [{ kind: 'pan', speed: 0.25, noise: 2 }]],
];
for (const [category, motions] of negatives) {
  for (const m of motions) {
    for (const ph of photos)
      cases.push([
        `negative: ${category}`,
        `${ph.name}-${motionName(m)}-${W}`,
        (p) => renderPicture(ph.img, W, H, m, p),
        'none',
      ]);
  }
}
const positives = [
  ['pulldown 24->25 (ffmpeg fps=25)', 'fps25'],
  ['pulldown 24->30 (ffmpeg fps=30)', 'fps30'],
  ['animation on twos', 'twos'],
  ['animation on threes', 'threes'],
];
for (const [category, cadence] of positives) {
  for (const [label, m] of [
    ['photo pan 1 px/frame', { kind: 'pan', speed: 1 }],
    ['photo local sway 1.5 px', { kind: 'wobble', amplitude: 1.5, period: 24 }],
    ['photo pan 0.5 px/frame + noise', { kind: 'pan', speed: 0.5, noise: 2 }],
  ]) {
    for (const ph of photos.slice(0, 4))
      cases.push([
        `positive: ${category}, ${label}`,
        `${ph.name}-${motionName(m)}-${cadence}-${W}`,
        (p) => renderPicture(ph.img, W, H, m, p),
        cadence,
      ]);
  }
}

// Big Buck Bunny: its distinct pictures (the source's own repeats taken out) as a negative, and
// through each cadence as positives; and the file itself (a real 24-at-25 pulldown) re-encoded.
const bunny = bunnyPictures(W, H, { measure: true });
const measured = bunny.repeats.flatMap((r, i) => (r ? [i] : []));
if (measured.join() !== BUNNY_REPEATS.join())
  throw new Error(`Big Buck Bunny's repeats measured at ${measured}, labelled.mjs says ${BUNNY_REPEATS}`);
const bunnyPic = (p) => bunny.distinct[Math.min(p, bunny.distinct.length - 1)];
cases.push(['negative: Big Buck Bunny, repeats removed', `bbb-none-${W}`, bunnyPic, 'none']);
for (const [category, cadence] of positives)
  cases.push([`positive: ${category}, Big Buck Bunny`, `bbb-${cadence}-${W}`, bunnyPic, cadence]);

const rows = new Map();
const row = (category) => {
  if (!rows.has(category))
    rows.set(category, {
      clips: 0,
      pairs: 0,
      repeats: 0,
      fp: 0,
      fn: 0,
      oldFp: 0,
      oldFn: 0,
      fpClips: new Set(),
      fnClips: new Set(),
    });
  return rows.get(category);
};

/**
 * The rule before issue 15, for comparison: 32x32 grey thumbnails (each pixel the mean of the
 * frame pixels whose centres fall in its cell, as the canvas's smoothing roughly does), a pair
 * whose largest thumbnail difference is at most 6 levels is a duplicate, dropped when isolated.
 */
function oldRule(frames) {
  const thumb = (rgb) => {
    const sum = new Float64Array(32 * 32);
    const cnt = new Float64Array(32 * 32);
    for (let y = 0; y < H; y++) {
      const ty = Math.min(31, Math.floor(((y + 0.5) * 32) / H));
      for (let x = 0; x < W; x++) {
        const tx = Math.min(31, Math.floor(((x + 0.5) * 32) / W));
        const o = (y * W + x) * 3;
        sum[ty * 32 + tx] += 0.299 * rgb[o] + 0.587 * rgb[o + 1] + 0.114 * rgb[o + 2];
        cnt[ty * 32 + tx]++;
      }
    }
    return sum.map((v, i) => v / cnt[i]);
  };
  const thumbs = frames.map(thumb);
  const dup = thumbs.map((t, i) => i > 0 && t.every((v, k) => Math.abs(v - thumbs[i - 1][k]) <= 6));
  return dup.map((d, i) => d && !dup[i - 1] && !dup[i + 1]);
}

/** With --grid: every clip's changes, measured once under a loose rule (so `across` is there for any stricter one). */
const grid = process.argv.includes('--grid');
const LOOSE = { ...REPEAT_RULE, dip: 0.6, move: 0.5 };
/** RULE='{"dip":0.25}' measures another setting of the rule. */
const RULE = { ...REPEAT_RULE, ...JSON.parse(process.env.RULE ?? '{}') };
const measuredClips = [];

function score(category, key, frames, labels, crf) {
  const { width, height } = analysisSize(W, H);
  const meter = new ChangeMeter(width, height, grid ? LOOSE : RULE);
  const changes = frames.map((f) => meter.push(greyOf(rgba(f))));
  if (grid) measuredClips.push({ category, changes, labels });
  const found = findRepeats(changes, RULE);
  const old = oldRule(frames);
  const r = row(category);
  r.clips++;
  for (let i = 1; i < frames.length; i++) {
    r.pairs++;
    if (labels[i]) r.repeats++;
    if (found[i] && !labels[i]) {
      r.fp++;
      r.fpClips.add(`${key}@${crf}`);
    }
    if (!found[i] && labels[i]) {
      r.fn++;
      r.fnClips.add(`${key}@${crf}`);
    }
    if (old[i] && !labels[i]) r.oldFp++;
    if (!old[i] && labels[i]) r.oldFn++;
    if (showFeatures)
      console.log(
        `${labels[i] ? 'R' : '-'}${found[i] ? 'F' : '-'} ${key} crf${crf} ${i} mean ${changes[i].mean.toFixed(3)} peak ${changes[i].peak.toFixed(3)} top ${changes[i].top.toFixed(3)}`,
      );
  }
}

for (const [category, key, pictures, cadence] of cases) {
  const map = cadenceMap(cadence, SLOTS);
  const labels = labelsOf(map);
  for (const crf of CRFS) {
    const { frames } = encodeDecode(key, pictures, map, { width: W, height: H, crf, rate: RATE[cadence] });
    score(category, key, frames, labels, crf);
  }
}
// The bunny file itself, re-encoded at each quality (its own labels).
for (const crf of CRFS) {
  const frames = bunny.frames;
  const { frames: decoded } = encodeDecode(
    `bbb-file-${W}`,
    (p) => frames[p],
    frames.map((_, i) => i),
    { width: W, height: H, crf, rate: 25 },
  );
  score('positive: Big Buck Bunny file (24 at 25 fps, as shipped)', `bbb-file-${W}`, decoded, bunny.repeats, crf);
}
void decodeFrames;
void realClip;

if (grid) {
  // The trade-off over the rule's main thresholds: false positives on negatives, false negatives on positives.
  const results = [];
  for (const dip of [0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5]) {
    for (const move of [0.5, 0.8, 1, 1.5, 2]) {
      for (const bridge of [0.5, 0.8, 1, 1.2]) {
        const rule = { ...REPEAT_RULE, dip, move, bridge };
        let fp = 0;
        let fn = 0;
        for (const c of measuredClips) {
          const f = findRepeats(c.changes, rule);
          for (let i = 1; i < f.length; i++) {
            if (f[i] && !c.labels[i]) fp++;
            if (!f[i] && c.labels[i]) fn++;
          }
        }
        results.push({ fp, fn, dip, move, bridge });
      }
    }
  }
  results.sort((a, b) => a.fp - b.fp || a.fn - b.fn);
  for (const r of results) console.log(JSON.stringify(r));
}

console.log(
  `| category (${W}x${H}, H.264 crf ${CRFS.join('/')}) | clips | pairs | repeats | false positives | false negatives | old rule: FP | old rule: FN |`,
);
console.log('|---|---|---|---|---|---|---|---|');
for (const [category, r] of [...rows].sort()) {
  console.log(`| ${category} | ${r.clips} | ${r.pairs} | ${r.repeats} | ${r.fp} | ${r.fn} | ${r.oldFp} | ${r.oldFn} |`);
}
for (const [category, r] of rows) {
  if (r.fpClips.size) console.log(`FP in ${category}: ${[...r.fpClips].join(' ')}`);
  if (r.fnClips.size) console.log(`FN in ${category}: ${[...r.fnClips].join(' ')}`);
}
