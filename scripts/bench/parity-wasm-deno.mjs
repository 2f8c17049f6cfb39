// The browser build's WGSL engine (www/lib/pkg) on Deno's WebGPU, which has `shader-f16` on
// lavapipe where Chromium's SwiftShader does not: f32 and f16 against the PyTorch goldens (float
// output, max |diff|), and f16 against f32 (PSNR, peak 1, and any NaN/inf). Exits 1 when f32 is
// over 1e-3 of a golden or f16 is under 48 dB or not finite (issue 9's bounds).
//
//   deno run --allow-read --allow-env scripts/bench/parity-wasm-deno.mjs "$PWD"
//
// Deno 2.9.6 comes from npm (`npm install deno`, see NOTES). The PNGs are decoded here (8-bit
// RGB/RGBA, not interlaced, as the goldens' are), with no colour conversion, as Pillow read them.
import { inflateSync } from 'node:zlib';
const root = Deno.args[0];
function png(path) {
  const b = Deno.readFileSync(path);
  let o = 8,
    w,
    h,
    ct,
    idat = [];
  while (o < b.length) {
    const len = ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
    const type = String.fromCharCode(...b.subarray(o + 4, o + 8));
    const d = b.subarray(o + 8, o + 8 + len);
    if (type === 'IHDR') {
      const v = new DataView(d.buffer, d.byteOffset);
      w = v.getUint32(0);
      h = v.getUint32(4);
      if (d[8] !== 8 || d[12] !== 0) throw new Error('unsupported png');
      ct = d[9];
    }
    if (type === 'IDAT') idat.push(d);
    o += 12 + len;
  }
  const ch = { 2: 3, 6: 4 }[ct];
  if (!ch) throw new Error(`colour type ${ct}`);
  const raw = inflateSync(Buffer.concat(idat.map((x) => Buffer.from(x))));
  const stride = w * ch,
    out = new Uint8Array(w * h * 3),
    prev = new Uint8Array(stride),
    cur = new Uint8Array(stride);
  for (let y = 0; y < h; y++) {
    const f = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= ch ? cur[i - ch] : 0,
        up = prev[i],
        c = i >= ch ? prev[i - ch] : 0;
      let p = line[i];
      if (f === 1) p += a;
      else if (f === 2) p += up;
      else if (f === 3) p += (a + up) >> 1;
      else if (f === 4) {
        const q = a + up - c,
          pa = Math.abs(q - a),
          pb = Math.abs(q - up),
          pc = Math.abs(q - c);
        p += pa <= pb && pa <= pc ? a : pb <= pc ? up : c;
      }
      cur[i] = p & 255;
    }
    for (let x = 0; x < w; x++) for (let k = 0; k < 3; k++) out[(y * w + x) * 3 + k] = cur[x * ch + k];
    prev.set(cur);
  }
  return { w, h, px: out };
}
function crop(img, [y0, y1, x0, x1]) {
  const w = x1 - x0,
    h = y1 - y0,
    out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    out.set(img.px.subarray(((y0 + y) * img.w + x0) * 3, ((y0 + y) * img.w + x1) * 3), y * w * 3);
  return { w, h, px: out };
}
const { default: init, Engine } = await import(`file://${root}/www/lib/pkg/inbetween_wasm.js`);
await init({ module_or_path: Deno.readFileSync(`${root}/www/lib/pkg/inbetween_wasm_bg.wasm`) });
const model = Deno.readFileSync(`${root}/models/rife-4.25.bpk`);
const engines = { f32: await Engine.create(model, 'webgpu', 'f32'), f16: await Engine.create(model, 'webgpu', 'f16') };
let failed = false;
for (const name of ['i0_t0.25', 'i0_t0.5', 'i2_crop_s0.5']) {
  const dir = `${root}/tests/golden/${name}`;
  const m = JSON.parse(Deno.readTextFileSync(`${dir}/meta.json`));
  let a = png(`${dir}/${m.image0}`),
    b = png(`${dir}/${m.image1}`);
  if (m.crop) {
    a = crop(a, m.crop);
    b = crop(b, m.crop);
  }
  const g = new Float32Array(Deno.readFileSync(`${dir}/${m.tensors.output.file}`).buffer);
  const out = {};
  for (const [p, e] of Object.entries(engines)) {
    const fa = e.prepare(a.px, a.w, a.h, m.scale),
      fb = e.prepare(b.px, b.w, b.h, m.scale);
    out[p] = await e.interpolateRgb(fa, fb, m.t);
    fa.free();
    fb.free();
  }
  const maxd = (x, y) => {
    let mx = 0;
    for (let i = 0; i < x.length; i++) {
      const d = Math.abs(x[i] - y[i]);
      if (!(d <= mx)) mx = d;
    }
    return mx;
  };
  let se = 0,
    bad = 0;
  for (let i = 0; i < g.length; i++) {
    const d = out.f16[i] - out.f32[i];
    se += d * d;
    if (!Number.isFinite(out.f16[i])) bad++;
  }
  const psnr = 10 * Math.log10(g.length / se);
  if (!(maxd(out.f32, g) <= 1e-3) || !(psnr >= 48) || bad > 0) failed = true;
  console.log(
    `${name} ${a.w}x${a.h} scale ${m.scale}: f32 vs golden ${maxd(out.f32, g).toExponential(2)}, f16 vs golden ${maxd(out.f16, g).toExponential(2)}, f16 vs f32 PSNR ${(10 * Math.log10(g.length / se)).toFixed(1)} dB, non-finite ${bad}`,
  );
}
Deno.exit(failed ? 1 : 0);
