// Test clips for the extension tests, made with ffmpeg at test time (nothing binary in git).
//
// The picture: a static two-way colour gradient with a white 16x16 square moving 6 px right (and
// a little up or down) per frame. RIFE's in-between of two such frames has the square halfway,
// over the gradient, which neither source frame nor their 50/50 blend (two half-bright squares)
// resembles: a test comparing pixels can tell them apart.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** Writes `name` (VP9 in WebM, yuv420p, near-lossless) into `dir` and returns its path. */
/** `fast`: for benches' long, large clips: VP9's realtime mode, a keyframe a second (the
 * near-lossless all-intra encoding takes over 10 minutes for 75 s of 720p on 2 cores).
 * `twos`: animation on twos, every picture held for two frames (the square moves every other frame).
 * `audio`: a sound track too (pink noise, Opus), for the sound-delay test's cross-correlation. */
export function makeClip(
  dir,
  { name = 'clip.webm', width = 96, height = 64, fps = 5, seconds = 4, fast = false, twos = false, audio = false } = {},
) {
  const out = path.join(dir, name);
  const n = twos ? 'floor(n/2)' : 'n';
  const graph = [
    `color=c=black:s=${width}x${height}:r=${fps}:d=${seconds},format=rgb24,` +
      `geq=r='40+X*150/${width}':g='40+Y*150/${height}':b='160-X*60/${width}'[bg]`,
    `color=c=white:s=16x16:r=${fps}:d=${seconds}[sq]`,
    `[bg][sq]overlay=x='8+mod(${n}*6\\,${width - 32})':y='${(height - 16) / 2}+6*sin(${n})'`,
  ].join(';');
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    graph,
    ...(audio ? ['-f', 'lavfi', '-i', `anoisesrc=d=${seconds}:c=pink:a=0.3`, '-c:a', 'libopus', '-shortest'] : []),
    // crf 4: close to lossless, so the decoder, not the encoder, decides what the frames are.
    // Every frame a keyframe: a test's seek then lands on exactly the frame asked for, at once.
    '-c:v',
    'libvpx-vp9',
    '-crf',
    '4',
    '-b:v',
    '0',
    '-pix_fmt',
    'yuv420p',
    '-g',
    fast ? String(fps) : '1',
    ...(fast ? ['-deadline', 'realtime', '-cpu-used', '8', '-row-mt', '1'] : []),
    out,
  ]);
  return out;
}
