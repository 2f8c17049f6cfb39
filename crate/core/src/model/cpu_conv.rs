//! Fused CPU convolutions for the flex (CPU) device: a channel-blocked direct convolution with
//! register blocking, replacing burn flex's im2col + gemm on RIFE's thin layers.
//!
//! Why: on 2 threads flex took 2.1–2.7x PyTorch's time, ~60% of it in convolutions. RIFE's
//! convs are 3x3 over 16–192 channels at small sizes (an IFBlock at scale 16 works on 10x6
//! pixels), where im2col copies 9x the activations per layer and gemm's blocking gains little.
//!
//! Layout ("blocked"): an activation `[N, C, H, W]` is stored as `[N][C/16][H+2][W+2][16]`, i.e.
//! 16 channels innermost (one AVX-512 register, two AVX2 ones) and a zero border of one pixel,
//! so a 3x3 conv with padding 1 needs no bounds checks. Channels past C are zero. The first
//! layer of a net may read a "narrow" input with fewer than 16 channels per pixel (`cb = C`,
//! one block), so the encoder's 3-channel image is not padded to 16 channels.
//! An IFBlock stays in this layout from its first conv to its last: nothing is re-laid-out
//! between layers.
//!
//! Kernel: for one output row of one block of 16 output channels, tiles of NX pixels keep
//! NX x 16 accumulators in registers. For each input channel and tap it loads the 16 weights
//! once (1 vector on AVX-512) and broadcasts one input value per pixel: NX FMAs per weight load.
//! Bias, the ResConv residual and LeakyReLU are applied to the accumulators before the one
//! store. ISA dispatch (AVX-512, AVX2+FMA, NEON, wasm simd128, scalar) is `pulp::Arch`, picked
//! at run time.
//!
//! ConvTranspose2d(k=4, s=2, p=1) is computed as four 2x2 convolutions, one per output phase
//! (see `PackedConv::deconv4x4s2`), on the same kernel.
//!
//! Weights are packed once per model (`CpuPack`, filled on the first CPU forward).
//!
//! The ResConvs (stride 1, c → c) run through Winograd F(4x4, 3x3) by default instead
//! (`cpu_winograd`, same layout and epilogue); this kernel remains for every other conv.

use std::sync::{Arc, OnceLock};

use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::tensor::{Tensor, TensorData};
use pulp::{Simd, WithSimd};

/// Channels per block in the blocked layout.
pub const CB: usize = 16;

/// An activation in the blocked layout described in the module docs.
#[derive(Clone, Debug)]
pub struct Blocked {
    pub data: Vec<f32>,
    pub n: usize,
    /// Real channels (the rest of the last block is zero).
    pub c: usize,
    pub h: usize,
    pub w: usize,
    /// Channels per pixel in memory: `CB`, or `c` for a narrow single-block input.
    pub cb: usize,
}

impl Blocked {
    pub(crate) fn blocks(&self) -> usize {
        self.c.div_ceil(self.cb)
    }
    pub(crate) fn zeros(n: usize, c: usize, h: usize, w: usize, cb: usize) -> Self {
        let blocks = c.div_ceil(cb);
        Blocked {
            data: vec![0.0; n * blocks * (h + 2) * (w + 2) * cb],
            n,
            c,
            h,
            w,
            cb,
        }
    }

    /// From NCHW data. `cb = CB` normally; pass `cb = c` (c < CB) for a narrow first-layer input.
    pub fn from_nchw(src: &[f32], n: usize, c: usize, h: usize, w: usize, cb: usize) -> Self {
        assert_eq!(src.len(), n * c * h * w);
        let mut out = Blocked::zeros(n, c, h, w, cb);
        let (wp, blocks) = (w + 2, c.div_ceil(cb));
        let plane = (h + 2) * wp * cb;
        // One padded plane (one batch item and channel block) per task.
        for_each_chunk(&mut out.data, plane, |p, dst| {
            let (b, blk) = (p / blocks, p % blocks);
            for l in 0..cb.min(c - blk * cb) {
                let ch = blk * cb + l;
                let s = &src[(b * c + ch) * h * w..][..h * w];
                for y in 0..h {
                    let row = &mut dst[((y + 1) * wp + 1) * cb..][..w * cb];
                    for x in 0..w {
                        row[x * cb + l] = s[y * w + x];
                    }
                }
            }
        });
        out
    }

    pub fn from_tensor(t: Tensor<4>, cb: usize) -> Self {
        let [n, c, h, w] = t.dims();
        Self::from_nchw(&to_vec(t), n, c, h, w, cb)
    }

    /// Back to NCHW, dropping the border and the padding channels.
    pub fn to_nchw(&self) -> Vec<f32> {
        let (n, c, h, w, cb) = (self.n, self.c, self.h, self.w, self.cb);
        let (wp, blocks) = (w + 2, self.blocks());
        let mut out = vec![0.0f32; n * c * h * w];
        for_each_chunk(&mut out, h * w, |p, dst| {
            let (b, ch) = (p / c, p % c);
            let (blk, l) = (ch / cb, ch % cb);
            let src = &self.data[(b * blocks + blk) * (h + 2) * wp * cb..];
            for y in 0..h {
                for x in 0..w {
                    dst[y * w + x] = src[((y + 1) * wp + x + 1) * cb + l];
                }
            }
        });
        out
    }

    pub fn into_tensor(self, device: &burn::tensor::Device) -> Tensor<4> {
        let shape = [self.n, self.c, self.h, self.w];
        Tensor::from_data(TensorData::new(self.to_nchw(), shape), device)
    }
}

/// Runs `f` over `out` in chunks of `chunk` elements, in parallel where rayon is available.
pub(crate) fn for_each_chunk<T: Send>(
    out: &mut [T],
    chunk: usize,
    f: impl Fn(usize, &mut [T]) + Sync + Send,
) {
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        out.par_chunks_mut(chunk)
            .enumerate()
            .for_each(|(i, c)| f(i, c));
    }
    #[cfg(not(feature = "rayon"))]
    out.chunks_mut(chunk).enumerate().for_each(|(i, c)| f(i, c));
}

pub(crate) fn to_vec(t: Tensor<4>) -> Vec<f32> {
    t.into_data()
        .try_into_vec::<f32>()
        .expect("flex tensors read back as f32")
}

/// Which instruction set the kernels use. `Best` (what the model uses) is the best one the CPU
/// has; the others let tests check the paths a different machine would take.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Isa {
    Best,
    /// x86-64-v3 (AVX2+FMA), if the CPU has it; `Best` otherwise.
    Avx2,
    /// No SIMD: what the wasm build without simd128 runs.
    Scalar,
}

/// `arch.dispatch(op)`, except on wasm: there pulp's `Arch` also has a relaxed-simd arm (pulp's
/// default `relaxed-simd` feature, which gemm's dependency on pulp turns on), and naming it puts
/// a `RelaxedSimd` instance of the kernel, with `f32x4.relaxed_madd`, into the module. wasm
/// cannot test for instructions at run time, so a browser without relaxed SIMD (Safari; V8
/// before 11.4) refuses to compile the whole module, although that arm never runs. simd128 is
/// decided at compile time there, so it is taken directly (scripts/build-wasm.sh checks that the
/// built modules hold no relaxed instruction).
#[inline(always)]
pub(crate) fn dispatch_best<Op: pulp::WithSimd>(arch: pulp::Arch, op: Op) -> Op::Output {
    #[cfg(target_arch = "wasm32")]
    {
        let _ = arch;
        match pulp::wasm::Simd128::try_new() {
            Some(simd) => Simd::vectorize(simd, op),
            None => Simd::vectorize(pulp::Scalar::new(), op),
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    arch.dispatch(op)
}

/// Runs `op` on the instruction set `isa` asks for (see `Isa`).
#[inline(always)]
pub(crate) fn dispatch_isa<Op: pulp::WithSimd>(isa: Isa, arch: pulp::Arch, op: Op) -> Op::Output {
    match isa {
        Isa::Best => dispatch_best(arch, op),
        Isa::Scalar => Simd::vectorize(pulp::Scalar::new(), op),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => match pulp::x86::V3::try_new() {
            Some(v3) => Simd::vectorize(v3, op),
            None => dispatch_best(arch, op),
        },
        #[cfg(not(target_arch = "x86_64"))]
        Isa::Avx2 => dispatch_best(arch, op),
    }
}

/// What is done to the accumulators before they are stored.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Epilogue {
    /// `conv(x) + b`.
    Bias,
    /// `lrelu(conv(x) + b)`: ifnet.py `conv()` and `Head`.
    BiasLrelu,
    /// `lrelu(conv(x) + b + x)`: ResConv with beta folded into W and b (see `resconv.rs`).
    BiasResidualLrelu,
}

/// A convolution's weights packed for the kernel:
/// `w[ob][ib][ky][kx][ic < cin_cb][16 output channels]`, zero past `cin`/`cout`.
#[derive(Debug)]
pub struct PackedConv {
    kh: usize,
    kw: usize,
    stride: usize,
    cin: usize,
    /// Input channels per block in the layout this conv reads (`CB`, or `cin` if narrow).
    cin_cb: usize,
    /// Output channels in the blocked output (`cout`, or `4·blocks·16` for a deconv).
    cout_blocked: usize,
    out_blocks: usize,
    w: Vec<f32>,
    /// `[out_blocks·16]`.
    bias: Vec<f32>,
    /// Per output block: the padded input row/column of tap (0, 0) for output pixel (0, 0).
    origin: Vec<(usize, usize)>,
    /// Set for a ConvTranspose2d: real output channels per phase, blocks per phase (0 when
    /// the four phases share one block, see `deconv4x4s2_stacked`).
    deconv: Option<(usize, usize)>,
}

fn param_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data()
        .try_into_vec::<f32>()
        .expect("flex tensors read back as f32")
}

impl PackedConv {
    /// Packs `nn.Conv2d(cin, cout, 3, stride, 1)` (the only conv shape RIFE has), reading an input
    /// with `cin_cb` channels per block. Panics on other shapes: the model never builds them.
    pub fn conv3x3(conv: &Conv2d, cin_cb: usize) -> Self {
        let [cout, cin, kh, kw] = conv.weight.dims();
        assert!(kh == 3 && kw == 3 && conv.groups == 1 && conv.dilation == [1, 1]);
        assert!(matches!(
            conv.padding,
            PaddingConfig2d::Explicit(1, 1, 1, 1)
        ));
        assert_eq!(conv.stride[0], conv.stride[1]);
        assert!(cin_cb == CB || cin_cb == cin && cin <= CB);
        let wt = param_vec(conv.weight.val()); // [cout, cin, 3, 3]
        let bias = conv.bias.as_ref().map(|b| param_vec(b.val()));
        let out_blocks = cout.div_ceil(CB);
        let in_blocks = cin.div_ceil(cin_cb);
        let mut w = vec![0.0f32; out_blocks * in_blocks * 9 * cin_cb * CB];
        for o in 0..cout {
            for i in 0..cin {
                for t in 0..9 {
                    let (ob, ol, ib, il) = (o / CB, o % CB, i / cin_cb, i % cin_cb);
                    w[(((ob * in_blocks + ib) * 9 + t) * cin_cb + il) * CB + ol] =
                        wt[(o * cin + i) * 9 + t];
                }
            }
        }
        let mut b = vec![0.0f32; out_blocks * CB];
        if let Some(bias) = bias {
            b[..cout].copy_from_slice(&bias);
        }
        PackedConv {
            kh: 3,
            kw: 3,
            stride: conv.stride[0],
            cin,
            cin_cb,
            cout_blocked: cout,
            out_blocks,
            w,
            bias: b,
            origin: vec![(0, 0); out_blocks],
            deconv: None,
        }
    }

    /// Packs `nn.ConvTranspose2d(cin, cout, 4, 2, 1)` as four 2x2 stride-1 convs, one per output
    /// phase `(i, j)` (output pixel `(2y+i, 2x+j)`), each with its own output blocks.
    ///
    /// From `out[2y+i] = Σ in[iy]·W[ky]` over `2·iy − 1 + ky = 2y + i`: phase i=0 reads input rows
    /// y−1 (ky=3) and y (ky=1); i=1 reads y (ky=2) and y+1 (ky=0). In the padded input (row r at
    /// r+1) that is rows `y + i + t` for t in 0..2 with `ky = 3 − i − 2t`; the same for columns.
    pub fn deconv4x4s2(deconv: &ConvTranspose2d) -> Self {
        let [cin, cout, kh, kw] = deconv.weight.dims();
        if 4 * cout <= CB {
            return Self::deconv4x4s2_stacked(deconv);
        }
        assert!(kh == 4 && kw == 4 && deconv.groups == 1 && deconv.dilation == [1, 1]);
        assert!(deconv.stride == [2, 2] && deconv.padding == [1, 1]);
        assert_eq!(deconv.padding_out, [0, 0]);
        let wt = param_vec(deconv.weight.val()); // [cin, cout, 4, 4]
        let bias = deconv.bias.as_ref().map(|b| param_vec(b.val()));
        let per_phase = cout.div_ceil(CB);
        let out_blocks = 4 * per_phase;
        let in_blocks = cin.div_ceil(CB);
        let mut w = vec![0.0f32; out_blocks * in_blocks * 4 * CB * CB];
        let mut b = vec![0.0f32; out_blocks * CB];
        let mut origin = Vec::with_capacity(out_blocks);
        for phase in 0..4 {
            let (pi, pj) = (phase / 2, phase % 2);
            for pb in 0..per_phase {
                origin.push((pi, pj));
                let ob = phase * per_phase + pb;
                for ol in 0..CB.min(cout.saturating_sub(pb * CB)) {
                    let o = pb * CB + ol;
                    if let Some(bias) = &bias {
                        b[ob * CB + ol] = bias[o];
                    }
                    for i in 0..cin {
                        for ty in 0..2 {
                            for tx in 0..2 {
                                let (ky, kx) = (3 - pi - 2 * ty, 3 - pj - 2 * tx);
                                let (ib, il) = (i / CB, i % CB);
                                w[(((ob * in_blocks + ib) * 4 + ty * 2 + tx) * CB + il) * CB
                                    + ol] = wt[((i * cout + o) * 4 + ky) * 4 + kx];
                            }
                        }
                    }
                }
            }
        }
        PackedConv {
            kh: 2,
            kw: 2,
            stride: 1,
            cin,
            cin_cb: CB,
            cout_blocked: out_blocks * CB,
            out_blocks,
            w,
            bias: b,
            origin,
            deconv: Some((cout, per_phase)),
        }
    }

    /// A ConvTranspose2d(4, 2, 1) with at most 4 output channels (the encoder's cnn3: 16 → 4):
    /// the four phases share one block of 16 output channels (lane `phase·cout + o`) as one
    /// 3x3 conv over the padded input, each phase's 2x2 taps at rows/columns `i + t` of the
    /// 3x3 window (see `deconv4x4s2`) and zeros elsewhere. 9 taps for all phases instead of
    /// 4 taps for each of 4 mostly empty blocks: 2304 instead of 4096 MACs per input pixel.
    fn deconv4x4s2_stacked(deconv: &ConvTranspose2d) -> Self {
        let [cin, cout, _, _] = deconv.weight.dims();
        let wt = param_vec(deconv.weight.val()); // [cin, cout, 4, 4]
        let bias = deconv.bias.as_ref().map(|b| param_vec(b.val()));
        let in_blocks = cin.div_ceil(CB);
        let mut w = vec![0.0f32; in_blocks * 9 * CB * CB];
        let mut b = vec![0.0f32; CB];
        for phase in 0..4 {
            let (pi, pj) = (phase / 2, phase % 2);
            for o in 0..cout {
                let lane = phase * cout + o;
                if let Some(bias) = &bias {
                    b[lane] = bias[o];
                }
                for i in 0..cin {
                    for t in 0..2 {
                        for u in 0..2 {
                            let (ky, kx) = (3 - pi - 2 * t, 3 - pj - 2 * u);
                            let tap = (pi + t) * 3 + pj + u;
                            let (ib, il) = (i / CB, i % CB);
                            w[((ib * 9 + tap) * CB + il) * CB + lane] =
                                wt[((i * cout + o) * 4 + ky) * 4 + kx];
                        }
                    }
                }
            }
        }
        PackedConv {
            kh: 3,
            kw: 3,
            stride: 1,
            cin,
            cin_cb: CB,
            cout_blocked: CB,
            out_blocks: 1,
            w,
            bias: b,
            origin: vec![(0, 0)],
            deconv: Some((cout, 0)),
        }
    }

    /// Output size for an `h`x`w` input (before the deconv's phase interleave).
    fn out_size(&self, h: usize, w: usize) -> (usize, usize) {
        if self.deconv.is_some() {
            (h, w)
        } else {
            // (h + 2·1 − 3) / s + 1
            ((h - 1) / self.stride + 1, (w - 1) / self.stride + 1)
        }
    }

    /// Runs the conv on `x` (blocked, `x.cb == self.cin_cb`). With `BiasResidualLrelu` the
    /// residual is `x` itself (same shape as the output).
    pub fn run(&self, x: &Blocked, epilogue: Epilogue) -> Blocked {
        self.run_isa(x, epilogue, Isa::Best)
    }

    /// `run` on a chosen instruction set.
    pub fn run_isa(&self, x: &Blocked, epilogue: Epilogue, isa: Isa) -> Blocked {
        let (ho, wo) = self.out_size(x.h, x.w);
        let mut out = Blocked::zeros(x.n, self.cout_blocked, ho, wo, CB);
        self.run_into(x, epilogue, isa, &mut out);
        out
    }

    /// `run_isa` into `out`, reusing its memory when it has the output's shape (a ResConv chain
    /// ping-pongs two buffers instead of allocating, and page-faulting, one per layer). Only the
    /// interior is written, so the zero border of a reused buffer stays zero.
    pub fn run_into(&self, x: &Blocked, epilogue: Epilogue, isa: Isa, out: &mut Blocked) {
        assert_eq!(x.c, self.cin, "input channels");
        assert_eq!(x.cb, self.cin_cb, "input layout");
        let (ho, wo) = self.out_size(x.h, x.w);
        let fits = out.n == x.n && out.c == self.cout_blocked && out.h == ho && out.w == wo;
        if !(fits && out.cb == CB) {
            *out = Blocked::zeros(x.n, self.cout_blocked, ho, wo, CB);
        }
        if epilogue == Epilogue::BiasResidualLrelu {
            assert!(
                x.c == out.c && x.h == ho && x.w == wo && x.cb == CB,
                "residual shape"
            );
        }
        let (hp_out, wp_out) = (ho + 2, wo + 2);
        let row_len = wp_out * CB;
        let arch = pulp::Arch::new();
        // One task per (batch item, output block, padded output row); border rows stay zero.
        for_each_chunk(&mut out.data, row_len, |r, dst| {
            let yp = r % hp_out;
            if yp == 0 || yp == hp_out - 1 {
                return;
            }
            let nb = r / hp_out;
            let (b, ob) = (nb / self.out_blocks, nb % self.out_blocks);
            let op = RowOp {
                conv: self,
                x,
                b,
                ob,
                y: yp - 1,
                wo,
                dst,
                epilogue,
            };
            dispatch_isa(isa, arch, op);
        });
    }

    /// ConvTranspose2d(4, 2, 1) on `x`, returned as NCHW `[N, cout, 2H, 2W]`, or with
    /// `shuffle` PixelShuffle(2) applied too: `[N, cout/4, 4H, 4W]` (ifnet.py `lastconv`).
    pub fn run_deconv(&self, x: &Blocked, shuffle: bool) -> (Vec<f32>, [usize; 4]) {
        self.run_deconv_isa(x, shuffle, Isa::Best)
    }

    /// `run_deconv` on a chosen instruction set.
    pub fn run_deconv_isa(&self, x: &Blocked, shuffle: bool, isa: Isa) -> (Vec<f32>, [usize; 4]) {
        let (cout, per_phase) = self.deconv.expect("a packed ConvTranspose2d");
        let phased = self.run_isa(x, Epilogue::Bias, isa); // [N][4·per_phase blocks][H+2][W+2][16]
        let (n, h, w) = (x.n, x.h, x.w);
        let (oh, ow) = (2 * h, 2 * w);
        let shape = if shuffle {
            [n, cout / 4, 2 * oh, 2 * ow]
        } else {
            [n, cout, oh, ow]
        };
        let (sh, sw) = (shape[2], shape[3]);
        let wp = w + 2;
        let plane = (h + 2) * wp * CB;
        let mut out = vec![0.0f32; shape.iter().product()];
        // One output row per task, gathered from the phases (and the shuffle's sub-pixels).
        // Without the shuffle, output row 2y+i holds, for each x, phase (i, 0) then (i, 1) of
        // input pixel x. With it (out[c, 2Y+i', 2X+j'] = deconv[4c+2i'+j', Y, X], Y = 2y+i,
        // X = 2x+j), output row 4y+2i+i' holds 4 values per input pixel x: (j, j') = (0,0),
        // (0,1), (1,0), (1,1). Each of those `k` reads a fixed channel of a fixed phase block.
        let sub = if shuffle { 4 } else { 2 };
        let rows_per_y = sub; // output rows per input row
        for_each_chunk(&mut out, sw, |r, dst| {
            let (p, yy) = (r / sh, r % sh);
            let (b, ch) = (p / shape[1], p % shape[1]);
            let (y, sub_y) = (yy / rows_per_y, yy % rows_per_y);
            for k in 0..sub {
                let (pi, pj, o) = if shuffle {
                    let (pi, ii) = (sub_y / 2, sub_y % 2);
                    let (pj, jj) = (k / 2, k % 2);
                    (pi, pj, 4 * ch + 2 * ii + jj)
                } else {
                    (sub_y, k, ch)
                };
                let phase = pi * 2 + pj;
                let (ob, lane) = if per_phase == 0 {
                    (0, phase * cout + o) // stacked: all phases in one block
                } else {
                    (phase * per_phase + o / CB, o % CB)
                };
                let src = &phased.data
                    [(b * self.out_blocks + ob) * plane + ((y + 1) * wp + 1) * CB + lane..];
                for x in 0..w {
                    dst[x * sub + k] = src[x * CB];
                }
            }
        });
        (out, shape)
    }
}

/// One output row of one output block: the unit of work.
struct RowOp<'a> {
    conv: &'a PackedConv,
    x: &'a Blocked,
    b: usize,
    ob: usize,
    y: usize,
    wo: usize,
    /// The padded output row, `[(wo + 2)·16]`.
    dst: &'a mut [f32],
    epilogue: Epilogue,
}

impl WithSimd for RowOp<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        // Vectors per 16-channel block (V), and the pixels per register tile to choose from:
        // NX·V accumulators plus one block of weights must fit the register file (AVX-512: up to
        // 14+1 of 32; AVX2: 12+2 of 16; NEON: 16+4 of 32; scalar: 16 of whatever there is).
        // wasm simd128 gets 2-pixel tiles, 8+4 plus the input splat: the engines map v128 onto
        // x86-64's 16 xmm registers, and 16 accumulators spilled. Measured on the simd128 build
        // (Node 20, 320x180, one frame, builds interleaved): 2-pixel tiles took 0.57x the time
        // of tiles up to 4 pixels and 0.74x of tiles up to 3.
        match S::F32_LANES {
            16 => row::<S, 1>(simd, self, &[14, 12, 10, 8, 6, 4, 1]),
            8 => row::<S, 2>(simd, self, &[6, 5, 4, 3, 2, 1]),
            4 if cfg!(target_arch = "wasm32") => row::<S, 4>(simd, self, &[2, 1]),
            4 => row::<S, 4>(simd, self, &[4, 3, 2, 1]),
            _ => row::<S, 16>(simd, self, &[1]),
        }
    }
}

/// Covers the row with tiles of one width, the one of `widths` that computes the fewest
/// pixels (the largest on ties): RIFE's rows are 8–320 pixels, mostly 2^k or 5·2^k, so some
/// width divides most of them. A ragged tail is covered by one tile that overlaps the previous
/// one: it recomputes a few pixels (same values) instead of running a slower small tile.
#[inline(always)]
fn row<S: Simd, const V: usize>(simd: S, mut op: RowOp<'_>, widths: &[usize]) {
    debug_assert_eq!(V * S::F32_LANES, CB);
    let wo = op.wo;
    let mut best = 1;
    let mut best_cost = usize::MAX;
    for &nx in widths {
        if nx <= wo && wo.div_ceil(nx) * nx < best_cost {
            (best, best_cost) = (nx, wo.div_ceil(nx) * nx);
        }
    }
    macro_rules! tiles {
        ($($nx:literal)*) => {
            match best {
                $($nx => {
                    // The common layouts get the pixel stride as a constant, so the tile's
                    // input addresses are immediates: stride 1 or 2 over 16-channel blocks.
                    // (A macro, not a closure: a closure would not inherit the target features
                    // of pulp's dispatch and would run the SIMD code through calls.)
                    macro_rules! run {
                        ($x0:expr) => {
                            match (op.conv.stride, op.x.cb) {
                                (1, CB) => tile::<S, V, $nx, 1, CB>(simd, &mut op, $x0),
                                (2, CB) => tile::<S, V, $nx, 2, CB>(simd, &mut op, $x0),
                                _ => tile::<S, V, $nx, 0, 0>(simd, &mut op, $x0),
                            }
                        };
                    }
                    let mut x0 = 0;
                    // `x0 + NX <= wo` for every tile width, 1 included (clippy reads only that one).
                    #[allow(clippy::int_plus_one)]
                    while x0 + $nx <= wo {
                        run!(x0);
                        x0 += $nx;
                    }
                    if x0 < wo {
                        run!(wo - $nx);
                    }
                })*
                _ => unreachable!("tile width {best}"),
            }
        };
    }
    match V {
        1 => tiles!(14 12 10 8 6 4 1),
        2 => tiles!(6 5 4 3 2 1),
        4 => tiles!(4 3 2 1),
        _ => tiles!(1),
    }
}

#[inline(always)]
pub(crate) fn load<S: Simd>(p: *const f32) -> S::f32s {
    // pulp's vector types are `repr(C)` arrays of f32 (alignment 4), so a plain read from an
    // f32 pointer is aligned. Not `read_unaligned`: in the dev profile (debug assertions on for
    // this crate) its overlap check costs a branch per load in the inner loop, which also kept
    // the accumulators from staying in registers.
    debug_assert!(std::mem::align_of::<S::f32s>() <= std::mem::align_of::<f32>());
    // SAFETY: callers pass pointers to at least F32_LANES readable floats (checked bounds below).
    unsafe { *(p as *const S::f32s) }
}

/// NX output pixels `x0..x0+NX` of row `op.y`, 16 output channels of block `op.ob`.
#[inline(always)]
///
/// `ST`, `CI`: the conv's stride and the input's channels per pixel when known at compile time
/// (0: read them from `op`). The inner loop uses only pointer offsets, no checked arithmetic
/// (the dev profile keeps overflow checks, and they cost more than the FMAs here).
fn tile<S: Simd, const V: usize, const NX: usize, const ST: usize, const CI: usize>(
    simd: S,
    op: &mut RowOp<'_>,
    x0: usize,
) {
    let (c, x) = (op.conv, op.x);
    let cb = if CI != 0 { CI } else { x.cb };
    let stride = if ST != 0 { ST } else { c.stride };
    debug_assert!(cb == x.cb && stride == c.stride);
    let in_blocks = x.blocks();
    let wp = x.w + 2;
    let (row_stride, pix_stride) = (wp * cb, stride * cb);
    let block_stride = (x.h + 2) * row_stride;
    let (oy, ox) = c.origin[op.ob];
    let taps = c.kh * c.kw;
    // Input element of tap (0, 0), input channel 0 of block 0, for output pixel x0.
    let base = (op.b * in_blocks * (x.h + 2) + op.y * c.stride + oy) * row_stride
        + (x0 * c.stride + ox) * cb;
    // Furthest element read: last block, tap (kh−1, kw−1), pixel NX−1, channel cb−1.
    let last = base
        + (in_blocks - 1) * block_stride
        + (c.kh - 1) * row_stride
        + (c.kw - 1) * cb
        + (NX - 1) * pix_stride
        + cb
        - 1;
    assert!(last < x.data.len(), "conv input read out of bounds");
    let wbase = op.ob * in_blocks * taps * cb * CB;
    assert!(wbase + in_blocks * taps * cb * CB <= c.w.len());
    let inp = x.data.as_ptr();
    let mut wp_ = c.w[wbase..].as_ptr();

    let mut acc = [[simd.splat_f32s(0.0); V]; NX];
    for ib in 0..in_blocks {
        for ky in 0..c.kh {
            for kx in 0..c.kw {
                // SAFETY: every offset below is ≤ `last`, asserted in bounds above.
                let tap = unsafe { inp.add(base + ib * block_stride + ky * row_stride + kx * cb) };
                for ic in 0..cb {
                    let mut wv = [simd.splat_f32s(0.0); V];
                    for (v, w) in wv.iter_mut().enumerate() {
                        // SAFETY: the weight slab of this block was asserted in bounds above.
                        *w = load::<S>(unsafe { wp_.add(v * S::F32_LANES) });
                    }
                    for (j, a) in acc.iter_mut().enumerate() {
                        let s = simd
                            .splat_f32s(unsafe { *tap.add(ic).add(j.wrapping_mul(pix_stride)) });
                        for v in 0..V {
                            a[v] = simd.mul_add_e_f32s(s, wv[v], a[v]);
                        }
                    }
                    wp_ = unsafe { wp_.add(CB) };
                }
            }
        }
    }

    // Epilogue: bias (+ residual) (+ LeakyReLU(0.2)), then one store per vector.
    let bias = &c.bias[op.ob * CB..][..CB];
    let slope = simd.splat_f32s(super::LRELU_SLOPE as f32);
    let res_row = (((op.b * in_blocks + op.ob) * (x.h + 2) + op.y + 1) * wp + 1) * CB;
    for (j, a) in acc.iter().enumerate() {
        let px = (x0 + j + 1) * CB;
        for (v, &av) in a.iter().enumerate() {
            let lanes = v * S::F32_LANES..(v + 1) * S::F32_LANES;
            let mut val = simd.add_f32s(av, simd.partial_load_f32s(&bias[lanes.clone()]));
            if op.epilogue == Epilogue::BiasResidualLrelu {
                let r = &x.data[res_row + (x0 + j) * CB..][lanes.clone()];
                val = simd.add_f32s(val, simd.partial_load_f32s(r));
            }
            if op.epilogue != Epilogue::Bias {
                // LeakyReLU with slope < 1 is max(v, slope·v).
                val = simd.max_f32s(val, simd.mul_f32s(val, slope));
            }
            let d = &mut op.dst[px + v * S::F32_LANES..][..S::F32_LANES];
            simd.partial_store_f32s(d, val);
        }
    }
}

/// A model's convs packed once for the CPU kernels. Cloning gives an empty pack (a clone may get
/// other weights, e.g. through `Module::map`); the pack fills on the first CPU forward.
pub struct CpuPack<T>(OnceLock<Arc<T>>);

impl<T> Default for CpuPack<T> {
    fn default() -> Self {
        Self(OnceLock::new())
    }
}

impl<T> Clone for CpuPack<T> {
    fn clone(&self) -> Self {
        Self(OnceLock::new())
    }
}

impl<T> std::fmt::Debug for CpuPack<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CpuPack({})",
            if self.0.get().is_some() {
                "packed"
            } else {
                "empty"
            }
        )
    }
}

impl<T> CpuPack<T> {
    pub fn get(&self, init: impl FnOnce() -> T) -> Arc<T> {
        self.0.get_or_init(|| Arc::new(init())).clone()
    }
}

/// Tensor-level entry points (used by the tests against burn's ops, and by nothing hot).
///
/// `conv(x)` for `nn.Conv2d(cin, cout, 3, s, 1)` with the epilogue fused; `[N, cin, H, W]` →
/// `[N, cout, H', W']`. `narrow` reads the input unblocked (`cin ≤ 16`), as the encoder does.
pub fn conv2d(
    x: Tensor<4>,
    conv: &Conv2d,
    epilogue: Epilogue,
    narrow: bool,
    isa: Isa,
) -> Tensor<4> {
    let device = x.device();
    let cin = x.dims()[1];
    let cb = if narrow { cin } else { CB };
    let packed = PackedConv::conv3x3(conv, cb);
    packed
        .run_isa(&Blocked::from_tensor(x, cb), epilogue, isa)
        .into_tensor(&device)
}

/// `deconv(x)` (and PixelShuffle(2) when `shuffle`) for `nn.ConvTranspose2d(cin, cout, 4, 2, 1)`.
pub fn conv_transpose2d(
    x: Tensor<4>,
    deconv: &ConvTranspose2d,
    shuffle: bool,
    isa: Isa,
) -> Tensor<4> {
    let device = x.device();
    let packed = PackedConv::deconv4x4s2(deconv);
    let (data, shape) = packed.run_deconv_isa(&Blocked::from_tensor(x, CB), shuffle, isa);
    Tensor::from_data(TensorData::new(data, shape), &device)
}

/// An IFBlock's fused input step: `resize(cat([p·f for (p, f) in parts], 1), h, w)` through
/// `cpu_kernels::resize_into_blocked` and back to NCHW. `[N, c_i, H, W]` each → `[N, Σc_i, h, w]`.
pub fn resize_cat(parts: Vec<(Tensor<4>, f32)>, h: usize, w: usize) -> Tensor<4> {
    let device = parts[0].0.device();
    let [n, _, ih, iw] = parts[0].0.dims();
    let parts: Vec<_> = parts
        .into_iter()
        .map(|(t, factor)| super::cpu_kernels::Part {
            channels: t.dims()[1],
            data: to_vec(t),
            factor,
        })
        .collect();
    super::cpu_kernels::resize_into_blocked(&parts, n, ih, iw, h, w).into_tensor(&device)
}

/// Blocks 1–4's fused input step (`cpu_kernels::block_input`) back in NCHW: `side0`, `side1`
/// `[N, 7, H, W]`, `t`, `mask` `[N, 1, H, W]`, `feat` `[N, 8, H, W]`, `flow` `[N, 4, H, W]` →
/// `[N, 28, h, w]`, for the test against burn's warp + cat + interpolate.
#[allow(clippy::too_many_arguments)]
pub fn warped_block_input(
    side0: Tensor<4>,
    side1: Tensor<4>,
    t: Tensor<4>,
    mask: Tensor<4>,
    feat: Tensor<4>,
    flow: Tensor<4>,
    h: usize,
    w: usize,
    flow_factor: f32,
) -> Tensor<4> {
    let device = side0.device();
    let [n, _, ih, iw] = side0.dims();
    let (s0, s1, t, m, f, fl) = (
        to_vec(side0),
        to_vec(side1),
        to_vec(t),
        to_vec(mask),
        to_vec(feat),
        to_vec(flow),
    );
    let inp = super::cpu_kernels::WarpInputs {
        side0: &s0,
        side1: &s1,
        t: &t,
        mask: &m,
        feat: &f,
        flow: &fl,
    };
    super::cpu_kernels::block_input(&inp, n, ih, iw, h, w, flow_factor).into_tensor(&device)
}

/// An IFBlock's fused output step (`cpu_kernels::upsample_split`) as tensors: `tmp`
/// `[N, 13, hs, ws]`, `prev` flow `[N, 4, h, w]` → (`prev + up(tmp)[:, :4]·s`, `up(tmp)[:, 4]`,
/// `up(tmp)[:, 5:]`), for the test against burn's interpolate, narrow, mul and add.
pub fn upsample_split(
    tmp: Tensor<4>,
    prev: Option<Tensor<4>>,
    h: usize,
    w: usize,
    s: f32,
) -> (Tensor<4>, Tensor<4>, Tensor<4>) {
    let device = tmp.device();
    let [n, _, hs, ws] = tmp.dims();
    let prev = prev.map(to_vec);
    let st = super::cpu_kernels::upsample_split(&to_vec(tmp), n, hs, ws, h, w, s, prev.as_deref());
    let t = |d: Vec<f32>, c: usize| Tensor::from_data(TensorData::new(d, [n, c, h, w]), &device);
    (t(st.flow, 4), t(st.mask, 1), t(st.feat, 8))
}
