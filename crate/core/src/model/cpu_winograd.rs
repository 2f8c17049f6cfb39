//! Winograd F(4x4, 3x3) for the stride-1 3x3 convolutions of the ResConvs, on the blocked layout
//! of `cpu_conv` (`[N][C/16][H+2][W+2][16]`, zero border), with the same fused epilogue.
//!
//! Why: a ResConv is most of an IFBlock's work, and F(4x4, 3x3) computes a 4x4 output tile from
//! a 6x6 input tile with 36 multiplies per (input, output) channel pair instead of 144, i.e. 4x
//! fewer multiply-adds, at the cost of a transform of the input tile, of the output tile, and of
//! the weights (once, at pack time). The algorithm and its matrices are from Lavin & Gray, "Fast
//! Algorithms for Convolutional Neural Networks" (CVPR 2016, arXiv:1509.09308), section 4.2 and
//! its F(4x4, 3x3) example (interpolation points 0, ±1, ±2, ∞):
//!
//! ```text
//! Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A        (per channel pair, summed over input channels)
//!
//!      ⎡4  0 −5  0  1  0⎤        ⎡ 1/4    0     0  ⎤        ⎡1  1  1  1  1  0⎤
//!      ⎢0 −4 −4  1  1  0⎥        ⎢−1/6  −1/6  −1/6 ⎥   Aᵀ = ⎢0  1 −1  2 −2  0⎥
//! Bᵀ = ⎢0  4 −4 −1  1  0⎥   G =  ⎢−1/6   1/6  −1/6 ⎥        ⎢0  1  1  4  4  0⎥
//!      ⎢0 −2 −1  2  1  0⎥        ⎢1/24  1/12   1/6 ⎥        ⎣0  1 −1  8 −8  1⎦
//!      ⎢0  2 −1 −2  1  0⎥        ⎢1/24 −1/12   1/6 ⎥
//!      ⎣0  4  0 −5  0  1⎦        ⎣ 0      0     1  ⎦
//! ```
//!
//! Steps, for one row of 4x4 output tiles (the unit of parallel work):
//! 1. Input transform: each 6x6 input tile (16 channels at a time, one vector per pixel) becomes
//!    36 values per channel, stored as `v[ξ][tile][channel]`.
//! 2. For each of the 36 points ξ, a small matrix product
//!    `m[ξ][tile][o] = Σ_c u[ξ][c][o]·v[ξ][tile][c]`, register-blocked like the direct kernel: 16 output channels x up to 14 tiles of accumulators,
//!    one load of 16 weights per input channel and one broadcast FMA per tile.
//! 3. Output transform of each tile's 36 sums, then bias, the residual and LeakyReLU, one store
//!    per output pixel.
//!
//! Tiles past the bottom/right edge read zeros and their extra outputs are not stored.
//! Numerics: the transforms add and subtract values up to 8x apart (Aᵀ's last row) and G's
//! entries are not exact in binary, so the result differs from the direct sum by more than float
//! rounding of one dot product: up to 1.2e-5 of the output's magnitude against burn's conv2d at
//! 192 channels (`tests/cpu_conv.rs`, bound 1e-4); the PyTorch goldens stay within their bounds
//! (`tests/parity.rs`; figures in README.md, "The CPU kernels").
//!
//! Speed (2 threads, AVX-512 and AVX2, 2026-12-01): 0.13–0.42x the direct kernel's time on
//! RIFE's ResConvs, and about 0.77x on a whole frame, which is why it is the default for them
//! (`model::set_cpu_winograd`).

use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::tensor::Tensor;
use pulp::{Simd, WithSimd};

use super::cpu_conv::{Blocked, CB, Epilogue, Isa, dispatch_isa, load};

/// Output tile side (m), input tile side (m + r − 1) and points per tile.
const M: usize = 4;
const T: usize = 6;
const P: usize = T * T;

/// `G` of F(4x4, 3x3) (Lavin & Gray 2016, section 4.2), in f64: the weights are transformed once
/// in double precision and rounded once.
const G: [[f64; 3]; T] = [
    [1.0 / 4.0, 0.0, 0.0],
    [-1.0 / 6.0, -1.0 / 6.0, -1.0 / 6.0],
    [-1.0 / 6.0, 1.0 / 6.0, -1.0 / 6.0],
    [1.0 / 24.0, 1.0 / 12.0, 1.0 / 6.0],
    [1.0 / 24.0, -1.0 / 12.0, 1.0 / 6.0],
    [0.0, 0.0, 1.0],
];

/// A stride-1, padding-1 3x3 convolution's weights transformed for F(4x4, 3x3).
#[derive(Debug)]
pub struct PackedWinograd {
    cin: usize,
    cout: usize,
    /// Input channels rounded up to the block (the `v` and `u` row length).
    cin_pad: usize,
    out_blocks: usize,
    /// `u[ob][ξ][c < cin_pad][16 output channels] = (G g Gᵀ)[ξ]`, zero past `cin`/`cout`.
    u: Vec<f32>,
    /// `[out_blocks·16]`.
    bias: Vec<f32>,
}

/// The output buffer of a conv, written by several tasks at disjoint pixels.
#[derive(Clone, Copy)]
struct OutPtr(*mut f32, usize);
// SAFETY: each task writes only the output pixels of its own tile row and output blocks.
unsafe impl Send for OutPtr {}
unsafe impl Sync for OutPtr {}
impl OutPtr {
    /// A method, so that closures capture the whole (Sync) struct and not the raw pointer field.
    fn get(self) -> (*mut f32, usize) {
        (self.0, self.1)
    }
}

thread_local! {
    /// Each thread's transformed input tiles and per-point sums, reused across tasks and layers
    /// (hundreds of KiB: allocating them per task would page-fault every time).
    static SCRATCH: std::cell::Cell<Vec<f32>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Runs `f(i)` for `i in 0..count`, in parallel where rayon is available.
fn for_each_task(count: usize, f: impl Fn(usize) + Sync + Send) {
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        (0..count).into_par_iter().for_each(f);
    }
    #[cfg(not(feature = "rayon"))]
    (0..count).for_each(f);
}

fn threads() -> usize {
    #[cfg(feature = "rayon")]
    {
        rayon::current_num_threads()
    }
    #[cfg(not(feature = "rayon"))]
    1
}

impl PackedWinograd {
    /// Packs `nn.Conv2d(cin, cout, 3, 1, 1)`: `u = G g Gᵀ` per channel pair. Panics on other
    /// shapes.
    pub fn conv3x3(conv: &Conv2d) -> Self {
        let [cout, cin, kh, kw] = conv.weight.dims();
        assert!(kh == 3 && kw == 3 && conv.groups == 1 && conv.dilation == [1, 1]);
        assert!(matches!(
            conv.padding,
            PaddingConfig2d::Explicit(1, 1, 1, 1)
        ));
        assert_eq!(conv.stride, [1, 1], "Winograd here is for stride 1");
        // [cout, cin, 3, 3]
        let wt: Vec<f32> = conv.weight.val().into_data().try_into_vec().unwrap();
        let bias: Option<Vec<f32>> = conv
            .bias
            .as_ref()
            .map(|b| b.val().into_data().try_into_vec().unwrap());
        let (cin_pad, out_blocks) = (cin.div_ceil(CB) * CB, cout.div_ceil(CB));
        let mut u = vec![0.0f32; out_blocks * P * cin_pad * CB];
        for o in 0..cout {
            for i in 0..cin {
                let g = &wt[(o * cin + i) * 9..][..9];
                // G g (6x3), then (G g) Gᵀ (6x6).
                let mut gg = [[0.0f64; 3]; T];
                for (a, row) in gg.iter_mut().enumerate() {
                    for (j, v) in row.iter_mut().enumerate() {
                        *v = (0..3).map(|k| G[a][k] * g[k * 3 + j] as f64).sum();
                    }
                }
                for a in 0..T {
                    for b in 0..T {
                        let v: f64 = (0..3).map(|k| gg[a][k] * G[b][k]).sum();
                        let (ob, ol) = (o / CB, o % CB);
                        u[((ob * P + a * T + b) * cin_pad + i) * CB + ol] = v as f32;
                    }
                }
            }
        }
        let mut b = vec![0.0f32; out_blocks * CB];
        if let Some(bias) = bias {
            b[..cout].copy_from_slice(&bias);
        }
        PackedWinograd {
            cin,
            cout,
            cin_pad,
            out_blocks,
            u,
            bias: b,
        }
    }

    /// Runs the conv on `x` (blocked, 16 channels per block). With `BiasResidualLrelu` the
    /// residual is `x` itself.
    pub fn run_isa(&self, x: &Blocked, epilogue: Epilogue, isa: Isa) -> Blocked {
        let mut out = Blocked::zeros(x.n, self.cout, x.h, x.w, CB);
        self.run_into(x, epilogue, isa, &mut out);
        out
    }

    /// `run_isa` into `out`, reusing its memory when it has the output's shape (see
    /// `PackedConv::run_into`). Only the interior is written.
    pub fn run_into(&self, x: &Blocked, epilogue: Epilogue, isa: Isa, out: &mut Blocked) {
        assert_eq!(x.c, self.cin, "input channels");
        assert_eq!(x.cb, CB, "input layout");
        let (n, ho, wo) = (x.n, x.h, x.w);
        let fits = out.n == n && out.c == self.cout && out.h == ho && out.w == wo;
        if !(fits && out.cb == CB) {
            *out = Blocked::zeros(n, self.cout, ho, wo, CB);
        }
        if epilogue == Epilogue::BiasResidualLrelu {
            assert_eq!(x.c, self.cout, "residual shape");
        }
        let (tiles_y, tiles_x) = (ho.div_ceil(M), wo.div_ceil(M));
        // Tasks: (batch item, tile row, group of output blocks). The input transform of a tile
        // row is shared by the output blocks of its task, so output blocks are split into groups
        // only when there are too few tile rows to keep every thread busy (block0's 10x6 is two
        // tile rows): then each group repeats the input transform.
        let rows = n * tiles_y;
        let want = 2 * threads();
        let groups = if rows >= want {
            1
        } else {
            want.div_ceil(rows).min(self.out_blocks)
        };
        let per_group = self.out_blocks.div_ceil(groups);
        let groups = self.out_blocks.div_ceil(per_group);
        let out_ptr = OutPtr(out.data.as_mut_ptr(), out.data.len());
        let arch = pulp::Arch::new();
        let scratch_len = P * tiles_x * self.cin_pad + P * 14 * CB;
        for_each_task(rows * groups, |task| {
            let (row, group) = (task / groups, task % groups);
            let (b, ty) = (row / tiles_y, row % tiles_y);
            let obs = group * per_group..((group + 1) * per_group).min(self.out_blocks);
            let mut scratch = SCRATCH.take();
            if scratch.len() < scratch_len {
                scratch.resize(scratch_len, 0.0);
            }
            let op = TileRowOp {
                conv: self,
                x,
                out: out_ptr,
                b,
                ty,
                obs,
                tiles_x,
                epilogue,
                scratch: &mut scratch,
            };
            dispatch_isa(isa, arch, op);
            SCRATCH.set(scratch);
        });
    }
}

/// One row of output tiles of one batch item, for a range of output blocks: the unit of work.
struct TileRowOp<'a> {
    conv: &'a PackedWinograd,
    x: &'a Blocked,
    out: OutPtr,
    b: usize,
    ty: usize,
    obs: std::ops::Range<usize>,
    tiles_x: usize,
    epilogue: Epilogue,
    /// At least `36·tiles_x·cin_pad` (the transformed input) + `36·14·16` (one tile group's sums).
    scratch: &'a mut Vec<f32>,
}

impl WithSimd for TileRowOp<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        // Vectors per 16-channel block (V), and the tiles per register group to choose from
        // (NT·V accumulators plus one block of weights; see `cpu_conv::RowOp`). RIFE's tile rows
        // are 2–80 tiles, so the small odd widths matter here too (block0's 10 pixels: 3 tiles).
        // wasm simd128 takes 2-tile groups, as the direct kernel does (`cpu_conv::RowOp`): in V8,
        // 320x180 and 640x360, the Winograd ResConvs took about 0.94x the frame time they took
        // with groups up to 4 (16 accumulators, which spill on x86-64's 16 xmm registers).
        match S::F32_LANES {
            16 => tile_row::<S, 1>(simd, self, &[14, 12, 10, 8, 7, 6, 5, 4, 3, 2, 1]),
            8 => tile_row::<S, 2>(simd, self, &[6, 5, 4, 3, 2, 1]),
            4 if cfg!(target_arch = "wasm32") => tile_row::<S, 4>(simd, self, &[2, 1]),
            4 => tile_row::<S, 4>(simd, self, &[4, 3, 2, 1]),
            _ => tile_row::<S, 16>(simd, self, &[1]),
        }
    }
}

/// `Bᵀ d` for one column (or row) of six vectors. With t0 = d4 − 4d2, t1 = d3 − 4d1,
/// t2 = d4 − d2, t3 = 2(d3 − d1): rows 1–4 of Bᵀ are t0 ± t1 and t2 ± t3.
#[inline(always)]
fn input_1d<S: Simd>(simd: S, d: [S::f32s; T]) -> [S::f32s; T] {
    let (four, m4, m5) = (
        simd.splat_f32s(4.0),
        simd.splat_f32s(-4.0),
        simd.splat_f32s(-5.0),
    );
    let t0 = simd.mul_add_e_f32s(m4, d[2], d[4]);
    let t1 = simd.mul_add_e_f32s(m4, d[1], d[3]);
    let t2 = simd.sub_f32s(d[4], d[2]);
    let t3 = simd.sub_f32s(d[3], d[1]);
    let t3 = simd.add_f32s(t3, t3);
    [
        simd.mul_add_e_f32s(four, d[0], simd.mul_add_e_f32s(m5, d[2], d[4])),
        simd.add_f32s(t0, t1),
        simd.sub_f32s(t0, t1),
        simd.add_f32s(t2, t3),
        simd.sub_f32s(t2, t3),
        simd.mul_add_e_f32s(four, d[1], simd.mul_add_e_f32s(m5, d[3], d[5])),
    ]
}

/// `Aᵀ m` for six vectors: with a = m1 + m2, b = m1 − m2, c = m3 + m4, d = m3 − m4, the rows
/// are m0 + a + c, b + 2d, a + 4c, b + 8d + m5.
#[inline(always)]
fn output_1d<S: Simd>(simd: S, m: [S::f32s; T]) -> [S::f32s; M] {
    let a = simd.add_f32s(m[1], m[2]);
    let b = simd.sub_f32s(m[1], m[2]);
    let c = simd.add_f32s(m[3], m[4]);
    let d = simd.sub_f32s(m[3], m[4]);
    [
        simd.add_f32s(simd.add_f32s(m[0], a), c),
        simd.mul_add_e_f32s(simd.splat_f32s(2.0), d, b),
        simd.mul_add_e_f32s(simd.splat_f32s(4.0), c, a),
        simd.add_f32s(simd.mul_add_e_f32s(simd.splat_f32s(8.0), d, b), m[5]),
    ]
}

#[inline(always)]
fn tile_row<S: Simd, const V: usize>(simd: S, op: TileRowOp<'_>, widths: &[usize]) {
    debug_assert_eq!(V * S::F32_LANES, CB);
    let (c, x) = (op.conv, op.x);
    let (h, w) = (x.h, x.w);
    let (hp, wp) = (h + 2, w + 2);
    let in_blocks = c.cin_pad / CB;
    let tiles_x = op.tiles_x;
    let cin_pad = c.cin_pad;
    let lanes = S::F32_LANES;
    let (vbuf, mbuf) = op.scratch.split_at_mut(P * tiles_x * cin_pad);
    let zero = simd.splat_f32s(0.0);

    // 1. Input transform: v[ξ][tile][channel] for the tiles of this row, all input channels.
    // The tile's padded input rows are 4·ty .. 4·ty + 6 (output row y reads padded rows y..y+2).
    let (y0, x_plane) = (M * op.ty, hp * wp * CB);
    for tx in 0..tiles_x {
        let x0 = M * tx;
        // Interior tiles (all but the last row and column, mostly) need no bounds checks.
        let inside = y0 + T <= hp && x0 + T <= wp;
        for ib in 0..in_blocks {
            let plane = &x.data[(op.b * in_blocks + ib) * x_plane..][..x_plane];
            for v in 0..V {
                let mut e = [[zero; T]; T]; // e[i][β]: row i of the tile, transformed along x
                for (i, ei) in e.iter_mut().enumerate() {
                    let mut d = [zero; T];
                    for (j, dj) in d.iter_mut().enumerate() {
                        let (r, col) = (y0 + i, x0 + j);
                        if inside || (r < hp && col < wp) {
                            *dj = load::<S>(
                                plane[(r * wp + col) * CB + v * lanes..][..lanes].as_ptr(),
                            );
                        }
                    }
                    *ei = input_1d(simd, d);
                }
                // A transpose: `beta` picks a column of `e`.
                #[allow(clippy::needless_range_loop)]
                for beta in 0..T {
                    let mut d = [zero; T];
                    for (i, di) in d.iter_mut().enumerate() {
                        *di = e[i][beta];
                    }
                    let col = input_1d(simd, d);
                    for (alpha, &val) in col.iter().enumerate() {
                        let xi = alpha * T + beta;
                        let dst = &mut vbuf[(xi * tiles_x + tx) * cin_pad + ib * CB + v * lanes..]
                            [..lanes];
                        simd.partial_store_f32s(dst, val);
                    }
                }
            }
        }
    }

    // 2 and 3, per output block and group of NT tiles. The group width: a group costs about
    // NT + 2 units (NT broadcast FMAs per weight load, plus the load and the loop), so narrow
    // groups are dear. Counting only the tiles computed (as `cpu_conv::row` does) picked 1-tile
    // groups for a row of 7 tiles on AVX2 (448x256's block2), 0.57-0.63x the direct time against
    // 0.16-0.19x with AVX-512's 7-wide group. `widths` is in descending order: ties go wider.
    let mut best = 1;
    let mut best_cost = usize::MAX;
    for &nt in widths {
        let cost = tiles_x.div_ceil(nt) * (nt + 2);
        if nt <= tiles_x && cost < best_cost {
            (best, best_cost) = (nt, cost);
        }
    }
    let mut grp = Group {
        c,
        x,
        out: op.out,
        b: op.b,
        ty: op.ty,
        ob: 0,
        tiles_x,
        epilogue: op.epilogue,
        vbuf,
        mbuf,
    };
    for ob in op.obs.clone() {
        grp.ob = ob;
        macro_rules! tiles {
            ($($nt:literal)*) => {
                match best {
                    $($nt => {
                        // A macro, not a closure: a closure would not inherit the target
                        // features of pulp's dispatch (see `cpu_conv::row`).
                        let mut t0 = 0;
                        #[allow(clippy::int_plus_one)]
                        while t0 + $nt <= tiles_x {
                            group::<S, V, $nt>(simd, &mut grp, t0);
                            t0 += $nt;
                        }
                        if t0 < tiles_x {
                            // A ragged tail: one group overlapping the previous one (it
                            // recomputes and rewrites the same values).
                            group::<S, V, $nt>(simd, &mut grp, tiles_x - $nt);
                        }
                    })*
                    _ => unreachable!("tile group width {best}"),
                }
            };
        }
        match V {
            1 => tiles!(14 12 10 8 7 6 5 4 3 2 1),
            2 => tiles!(6 5 4 3 2 1),
            4 => tiles!(4 3 2 1),
            _ => tiles!(1),
        }
    }
}

/// What `group` needs: one output block's share of a tile row.
struct Group<'a> {
    c: &'a PackedWinograd,
    x: &'a Blocked,
    out: OutPtr,
    b: usize,
    ty: usize,
    ob: usize,
    tiles_x: usize,
    epilogue: Epilogue,
    vbuf: &'a [f32],
    mbuf: &'a mut [f32],
}

/// Tiles `t0..t0+NT` of the row, 16 output channels of block `g.ob`: the 36 point products,
/// then the output transform and the epilogue.
#[inline(always)]
fn group<S: Simd, const V: usize, const NT: usize>(simd: S, g: &mut Group<'_>, t0: usize) {
    let (c, x) = (g.c, g.x);
    let (cin, cin_pad, lanes) = (c.cin, c.cin_pad, S::F32_LANES);
    let tiles_x = g.tiles_x;
    // Bounds of every read below, checked once (the inner loop uses pointer offsets).
    let ubase = g.ob * P * cin_pad * CB;
    assert!(ubase + P * cin_pad * CB <= c.u.len());
    assert!(t0 + NT <= tiles_x && P * tiles_x * cin_pad <= g.vbuf.len());
    assert!(P * NT * CB <= g.mbuf.len());
    let (up, vp) = (c.u[ubase..].as_ptr(), g.vbuf.as_ptr());

    // 2. m[ξ][j][o] = Σ_c u[ξ][c][o] · v[ξ][t0 + j][c]. Only the real input channels: the
    // padding ones are zero in both.
    for xi in 0..P {
        let mut acc = [[simd.splat_f32s(0.0); V]; NT];
        // SAFETY: in bounds by the asserts above.
        let (w, v) = unsafe {
            (
                up.add(xi * cin_pad * CB),
                vp.add((xi * tiles_x + t0) * cin_pad),
            )
        };
        for ic in 0..cin {
            let mut wv = [simd.splat_f32s(0.0); V];
            for (k, wk) in wv.iter_mut().enumerate() {
                *wk = load::<S>(unsafe { w.add(ic * CB + k * lanes) });
            }
            for (j, a) in acc.iter_mut().enumerate() {
                let s = simd.splat_f32s(unsafe { *v.add(j * cin_pad + ic) });
                for k in 0..V {
                    a[k] = simd.mul_add_e_f32s(s, wv[k], a[k]);
                }
            }
        }
        for (j, a) in acc.iter().enumerate() {
            for (k, &ak) in a.iter().enumerate() {
                let dst = &mut g.mbuf[(xi * NT + j) * CB + k * lanes..][..lanes];
                simd.partial_store_f32s(dst, ak);
            }
        }
    }

    // 3. Output transform, bias (+ residual) (+ LeakyReLU(0.2)), stores of the pixels inside.
    let (ho, wo) = (x.h, x.w);
    let (hp, wp) = (ho + 2, wo + 2);
    let slope = simd.splat_f32s(super::LRELU_SLOPE as f32);
    let (out, out_len) = g.out.get();
    let plane = ((g.b * c.out_blocks + g.ob) * hp) * wp * CB;
    let res_plane = ((g.b * (cin_pad / CB) + g.ob) * hp) * wp * CB;
    let bias = &c.bias[g.ob * CB..][..CB];
    for j in 0..NT {
        let tx = t0 + j;
        for k in 0..V {
            // q[α][c] = (m[α][·] A)[c], then y[r][c] = Σ_α Aᵀ[r][α] q[α][c]. Loops, not
            // `array::from_fn` closures, for the same reason as the tile macro.
            let zero = simd.splat_f32s(0.0);
            let mut q = [[zero; M]; T];
            for (alpha, qa) in q.iter_mut().enumerate() {
                let mut row = [zero; T];
                for (beta, rb) in row.iter_mut().enumerate() {
                    let xi = alpha * T + beta;
                    *rb = load::<S>(g.mbuf[(xi * NT + j) * CB + k * lanes..][..lanes].as_ptr());
                }
                *qa = output_1d(simd, row);
            }
            let bias_v = simd.partial_load_f32s(&bias[k * lanes..][..lanes]);
            // A transpose: `cc` picks a column of `q`.
            #[allow(clippy::needless_range_loop)]
            for cc in 0..M {
                let mut col = [zero; T];
                for (alpha, ca) in col.iter_mut().enumerate() {
                    *ca = q[alpha][cc];
                }
                let ycol = output_1d(simd, col);
                let ox = M * tx + cc;
                if ox >= wo {
                    continue;
                }
                for (r, &yv) in ycol.iter().enumerate() {
                    let oy = M * g.ty + r;
                    if oy >= ho {
                        continue;
                    }
                    let at = ((oy + 1) * wp + ox + 1) * CB + k * lanes;
                    let mut val = simd.add_f32s(yv, bias_v);
                    if g.epilogue == Epilogue::BiasResidualLrelu {
                        let rsd = &x.data[res_plane + at..][..lanes];
                        val = simd.add_f32s(val, simd.partial_load_f32s(rsd));
                    }
                    if g.epilogue != Epilogue::Bias {
                        val = simd.max_f32s(val, simd.mul_f32s(val, slope));
                    }
                    assert!(plane + at + lanes <= out_len, "conv output out of bounds");
                    // SAFETY: in bounds (asserted); no other task writes this pixel of this
                    // block (tasks own disjoint tile rows or output blocks).
                    let d = unsafe { std::slice::from_raw_parts_mut(out.add(plane + at), lanes) };
                    simd.partial_store_f32s(d, val);
                }
            }
        }
    }
}

/// `conv(x)` for `nn.Conv2d(c, c', 3, 1, 1)` through Winograd, with the epilogue fused;
/// `[N, cin, H, W]` → `[N, cout, H, W]` (for the tests against burn's op).
pub fn conv2d(x: Tensor<4>, conv: &Conv2d, epilogue: Epilogue, isa: Isa) -> Tensor<4> {
    let device = x.device();
    let [n, c, h, w] = x.dims();
    let data: Vec<f32> = x.into_data().try_into_vec().unwrap();
    let packed = PackedWinograd::conv3x3(conv);
    packed
        .run_isa(&Blocked::from_nchw(&data, n, c, h, w, CB), epilogue, isa)
        .into_tensor(&device)
}
