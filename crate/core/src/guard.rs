//! The static-region guard (issue 12, item 1): where both input frames agree, and so do the
//! pixels around, the output keeps the input instead of what the warps carry in. It stops
//! burnt-in captions, logos and HUDs being dragged along with the motion around them
//! (Practical-RIFE#131). Not part of RIFE: a post-process on the merged frame, on the CPU here and
//! folded into `shaders/merge.wgsl` on the GPU engine, with the same operations in the same order.
//!
//! Per pixel x of the frame (the unpadded picture; every tap is clamped to it), in 0..1 units,
//! with `agree(p) = 1 - smoothstep(LO, HI, max_c |a_c(p) - b_c(p)|)`:
//! - the pixel agrees: `agree(x)`;
//! - most of its 3x3 patch agrees: `smoothstep(PATCH_LO, PATCH_HI, mean of agree over 3x3)`
//!   (a lone pixel of moving texture can agree by chance; the edge of a caption's stroke, half
//!   of whose patch is moving background, still counts);
//! - it sits on structure: `smoothstep(STRUCT_LO, STRUCT_HI, contrast)`, the contrast being
//!   max − min of input a over the 5x5 around x (a flat or gently sloped area agrees by chance
//!   while it moves: a 2 px pan over a soft gradient; keeping the inputs there cost 0.5–7 dB);
//! - amid motion: `smoothstep(CTX_LO, CTX_HI, 1 − mean of agree on a 9x9 grid of taps 6 px
//!   apart)`. A still pixel amid motion is a caption or a logo; a still pixel amid stillness may
//!   be where a thin, fast object is halfway: it is in neither frame there, so both frames agree,
//!   yet it must not vanish. Its two footprints are a small share of the 48 px grid;
//! - weight `g` = the product; output `g·((1−t)·a + t·b) + (1−g)·merged`.
//!
//! The constants were chosen on the quality bench (tests/quality/README.md): the caption and HUD
//! cases, thin fast bars over still photos, plain pans and sensor-like noise.

/// Inputs differing by less than this (0..1) are the same pixel.
pub const LO: f32 = 3.0 / 255.0;
/// Inputs differing by more than this are different pixels; smooth in between.
pub const HI: f32 = 6.0 / 255.0;
/// Share of moving taps around a pixel below which the guard stays off.
pub const CTX_LO: f32 = 0.15;
/// Share of moving taps above which it is fully on.
pub const CTX_HI: f32 = 0.35;
/// Contrast (0..1) around a pixel below which its agreement is no evidence of stillness, and
/// above which it is full evidence.
pub const STRUCT_LO: f32 = 32.0 / 255.0;
pub const STRUCT_HI: f32 = 64.0 / 255.0;
/// Share of the 3x3 patch that must agree (smooth from PATCH_LO to PATCH_HI): more than a lone
/// pixel, so that a coincidence in moving texture does not count, yet a stroke's edge does.
pub const PATCH_LO: f32 = 0.4;
pub const PATCH_HI: f32 = 0.7;
/// The context grid: (2·CTX_R+1)² taps, CTX_STEP px apart.
pub const CTX_R: i32 = 4;
pub const CTX_STEP: i32 = 6;

/// GLSL/WGSL `smoothstep`, written out so the CPU and the shader round alike.
#[inline]
pub fn smoothstep(lo: f32, hi: f32, x: f32) -> f32 {
    let u = ((x - lo) / (hi - lo)).clamp(0.0, 1.0);
    u * u * (3.0 - 2.0 * u)
}

/// Applies the guard in place.
///
/// `out`: `[3][h][w]` merged frame (cropped). `a`, `b`: the inputs as `[3][ph][pw]` planes
/// (the padded frames, size `(pw, ph)`; only the top-left `(w, h)` is read). `t`: the time of
/// each output pixel, `w·h` values, or one value for all.
pub fn apply(
    out: &mut [f32],
    a: &[f32],
    b: &[f32],
    (pw, ph): (usize, usize),
    (w, h): (usize, usize),
    t: &[f32],
) {
    assert_eq!(out.len(), 3 * w * h);
    assert!(a.len() >= 3 * pw * ph && b.len() >= 3 * pw * ph && pw >= w && ph >= h);
    let (lo, hi, clo, chi) = (LO, HI, CTX_LO, CTX_HI);
    let (plo, phi, cr, cs) = (PATCH_LO, PATCH_HI, CTX_R, CTX_STEP);
    let plane = pw * ph;
    // Agreement of the inputs at each pixel of the picture, row by row: 1 - smoothstep(d).
    let mut agree = vec![0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let q = y * pw + x;
            let mut m = 0f32;
            for c in 0..3 {
                m = m.max((a[c * plane + q] - b[c * plane + q]).abs());
            }
            agree[y * w + x] = 1.0 - smoothstep(lo, hi, m);
        }
    }
    let clampi = |v: i32, n: usize| v.clamp(0, n as i32 - 1) as usize;
    let tp = w * h;
    for y in 0..h {
        for x in 0..w {
            let here = agree[y * w + x];
            if here <= 0.0 {
                continue;
            }
            let mut patch = 0f32;
            for dy in -1..=1 {
                for dx in -1..=1 {
                    let (xx, yy) = (clampi(x as i32 + dx, w), clampi(y as i32 + dy, h));
                    patch += agree[yy * w + xx];
                }
            }
            // Structure: the contrast of input a over the 5x5 around x (max over channels of
            // max - min). A flat or gently sloped area can agree by chance while it moves.
            let mut contrast = 0f32;
            for c in 0..3 {
                let (mut mn, mut mx) = (f32::INFINITY, f32::NEG_INFINITY);
                for dy in -2..=2 {
                    for dx in -2..=2 {
                        let (xx, yy) = (clampi(x as i32 + dx, w), clampi(y as i32 + dy, h));
                        let v = a[c * plane + yy * pw + xx];
                        mn = mn.min(v);
                        mx = mx.max(v);
                    }
                }
                contrast = contrast.max(mx - mn);
            }
            let s = here
                * smoothstep(plo, phi, patch / 9.0)
                * smoothstep(STRUCT_LO, STRUCT_HI, contrast);
            if s <= 0.0 {
                continue;
            }
            let mut still = 0f32;
            for j in -cr..=cr {
                for i in -cr..=cr {
                    let xx = clampi(x as i32 + i * cs, w);
                    let yy = clampi(y as i32 + j * cs, h);
                    still += agree[yy * w + xx];
                }
            }
            let n = ((2 * cr + 1) * (2 * cr + 1)) as f32;
            let g = s * smoothstep(clo, chi, 1.0 - still / n);
            if g <= 0.0 {
                continue;
            }
            let tt = if t.len() == 1 { t[0] } else { t[y * w + x] };
            let q = y * pw + x;
            for c in 0..3 {
                let still = a[c * plane + q] * (1.0 - tt) + b[c * plane + q] * tt;
                let o = c * tp + y * w + x;
                out[o] = still * g + out[o] * (1.0 - g);
            }
        }
    }
}
