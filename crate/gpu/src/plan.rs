//! Everything that depends on the frame size: the sizes of each stage, the buffers, the uniform
//! parameters and the bind groups, created once per (width, height, scale) and then reused for
//! every frame of that size. Recording a frame is then only `set_pipeline`/`set_bind_group`/
//! `dispatch_workgroups` calls into one compute pass.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use inbetween::model::{BLOCK_SCALES, BLOCK_WIDTHS};
use wgpu::util::DeviceExt;

use crate::kernels::{
    Kernels, PARAMS_BYTES, Params, Precision, conv_groups_x, deconv_groups_x, groups,
};
use crate::timer::Span;
use crate::weights::{ConvWeights, DeconvWeights, Layout};

/// Input channels of block0 (img0, img1, f0, f1, t) and of blocks 1-4 (with the warped inputs,
/// mask, features and flow); model/ifnet.rs BLOCK0_IN / BLOCKN_IN.
const BLOCK0_IN: usize = 15;
const BLOCKN_IN: usize = 28;
/// The block input is bound as two ranges of one buffer: channels 0..14 (the warped frames and
/// features) and 14.. (t, mask, feat, flow), so that at 1080p and scale 1 (28 channels at full
/// resolution, 248 MB in f32) each binding stays under WebGPU's default 128 MiB.
pub(crate) const X_SPLIT: usize = 14;

/// Where one binding cannot hold them (`Sizes::head_split`), the encoder's 16 half-resolution
/// channels are bound as two ranges of one buffer, channels 0..8 and 8..16 (conv3x3's
/// `dst_split` and `split`, deconv4x4s2's `split`): at 4K and scale 0.5 (3840x2304
/// padded) the 16 f32 channels of 1920x1152 are 141 MB, over WebGPU's default 128 MiB binding;
/// 8 of them are 71 MB. head_conv0_unpack.wgsl always writes them as these two ranges (`dst`,
/// `dst_hi`), which lie end to end, so the buffer is the same either way.
pub(crate) const HEAD_SPLIT: usize = 8;

// In the packed f16 form (storage.wgsl) a word holds channels 2k and 2k + 1, so a range that
// starts at an odd channel would start inside a word that the range below it also writes. Both
// split points are even (and conv3x3's `dst_split` is one of them or cout).
const _: () = assert!(X_SPLIT.is_multiple_of(2) && HEAD_SPLIT.is_multiple_of(2));

/// The storage texture format of the frames (padded RGB and the encoder features) and of the
/// feat state: 4 f32 channels a texel. Frames and feat live in textures because a texture has no
/// binding-size limit (only `max_texture_dimension_2d`), while the 7 planes of a frame at 4K
/// would be 248 MB of storage binding, and because block_input.wgsl, which reads both frames,
/// flow, mask, feat and the time map, would otherwise need more than the 8 storage buffers a
/// shader stage has by default (and more bytes than 8 bindings of 128 MiB hold).
pub(crate) const TEXTURE_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba32Float;

/// Where block i's input lies in the shared block-input buffer, in bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct XRanges {
    pub lo_bytes: u64,
    pub hi_off: u64,
    pub hi_bytes: u64,
}

impl XRanges {
    fn new(b: &BlockDims, precision: Precision, align: u64) -> Self {
        let plane = b.in_w * b.in_h;
        let lo_bytes = precision.planes_bytes(X_SPLIT, plane);
        // Block 0's hi range is its one t channel (a whole word plane if it were packed; block 0
        // is f32 in every form).
        let hi_bytes = precision.planes_bytes(b.cin - X_SPLIT, plane);
        Self {
            lo_bytes,
            hi_off: lo_bytes.div_ceil(align) * align,
            hi_bytes,
        }
    }

    fn end(&self) -> u64 {
        self.hi_off + self.hi_bytes
    }
}

fn range(b: &wgpu::Buffer, offset: u64, bytes: u64) -> wgpu::BindingResource<'_> {
    wgpu::BindingResource::Buffer(wgpu::BufferBinding {
        buffer: b,
        offset,
        size: wgpu::BufferSize::new(bytes),
    })
}

/// Channels of a block's output after PixelShuffle (model/ifblock.rs OUT_CHANNELS).
const BLOCK_OUT: usize = 13;

/// Size of a side after downscaling by `s`: model/ifblock.rs `scaled`, so the shapes match the
/// burn port (and PyTorch's `floor(size / s)` for the reference padding).
fn scaled(size: usize, s: f64) -> usize {
    ((size as f64 / s).round() as usize).max(1)
}

/// The shapes of one IFBlock at one frame size.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BlockDims {
    /// This block's downscale factor, `BLOCK_SCALES[i] / scale`.
    pub s: f64,
    /// Input channels (15 or 28) and width c.
    pub cin: usize,
    pub c: usize,
    /// Block input, `[cin, in_h, in_w]` = the padded frame / s.
    pub in_w: usize,
    pub in_h: usize,
    /// conv0a output `[c/2, a_h, a_w]` (stride 2).
    pub a_w: usize,
    pub a_h: usize,
    /// conv0b and ResConv output `[c, b_h, b_w]` (stride 2).
    pub b_w: usize,
    pub b_h: usize,
    /// lastconv + PixelShuffle output `[13, 4 b_h, 4 b_w]`.
    pub t_w: usize,
    pub t_h: usize,
}

/// The buffers of one prepared frame, reused by later frames once its handle is dropped.
pub(crate) struct Slot {
    pub index: usize,
    /// PW x PH `TEXTURE_FORMAT`: the padded RGB image (R, G, B, 0), and the encoder features.
    pub image: wgpu::Texture,
    pub features: wgpu::Texture,
    image_view: wgpu::TextureView,
    features_view: wgpu::TextureView,
    /// The uploaded 8-bit pixels, 4 bytes to a word.
    pub pixels: wgpu::Buffer,
    /// head_conv0_unpack.wgsl's parameters (the channel count changes per frame).
    pub params: wgpu::Buffer,
    /// What `params` holds, kept on the CPU: a mirrored copy of this frame
    /// (`Engine::mirror_of`) is these with the `mirror` word set.
    pub head: Mutex<Params>,
    pub conv0_group: wgpu::BindGroup,
    pub deconv_group: wgpu::BindGroup,
    /// Set by `prepare`: the pixels are uploaded, the encoder has not run yet. The encoder is
    /// recorded into the next interpolation's command buffer (or run alone for a readback).
    pub pending: AtomicBool,
}

/// Per-block flow and mask logit copies, for parity tests and visualisation: one buffer per
/// block (5 flows in one would be 707 MB at 4K, over WebGPU's default 256 MiB buffer).
pub(crate) struct Trace {
    /// 5 x `[4][PH][PW]`.
    pub flow: Vec<wgpu::Buffer>,
    /// 5 x `[1][PH][PW]`.
    pub mask: Vec<wgpu::Buffer>,
}

struct BlockGroups {
    conv0a: wgpu::BindGroup,
    conv0b: wgpu::BindGroup,
    resconv: Vec<wgpu::BindGroup>,
    lastconv: wgpu::BindGroup,
    /// lastconv's output channels / 4 (52 / 4 = 13, the channels after PixelShuffle).
    out_groups: u32,
    /// Blocks 0-3 only: the last block's upscale is part of the merge.
    upsample: Option<wgpu::BindGroup>,
}

pub(crate) struct State {
    /// Bumped by every interpolation; an output handle remembers the one that made it.
    pub generation: u64,
    pub trace: Option<Arc<Trace>>,
}

// Buffers only the bind groups use are still kept here: on the WebGPU backend dropping a
// `wgpu::Buffer` destroys it, bind groups or not.
#[allow(dead_code)]
pub(crate) struct Plan {
    pub width: usize,
    pub height: usize,
    pub scale: f32,
    pub pw: usize,
    pub ph: usize,
    pub blocks: Vec<BlockDims>,
    sizes: Sizes,
    head_a: wgpu::Buffer,
    head_b: wgpu::Buffer,
    x: wgpu::Buffer,
    act_a: wgpu::Buffer,
    act_b: wgpu::Buffer,
    pub tbuf: wgpu::Buffer,
    pub flow: wgpu::Buffer,
    pub mask: wgpu::Buffer,
    /// The feat state, channels 0..4 and 4..8 (block_upsample.wgsl writes, block_input.wgsl reads).
    feat: [wgpu::Texture; 2],
    feat_views: [wgpu::TextureView; 2],
    /// Bound where a kernel declares a binding that this use of it does not touch (conv3x3's
    /// `dst_hi` in the blocks, deconv4x4s2's `dst` in the encoder and `features` in the blocks).
    spare: wgpu::Buffer,
    spare_tex: wgpu::Texture,
    spare_view: wgpu::TextureView,
    pub tmap: wgpu::Buffer,
    pub out_rgb: wgpu::Buffer,
    pub out_rgba: wgpu::Buffer,
    /// All static uniform parameters, one aligned slot each.
    pub params: wgpu::Buffer,
    pub param_stride: u64,
    /// Slot index of block i's block_input parameters (rewritten with t per interpolation).
    pub input_param: Vec<u64>,
    pub merge_param: u64,
    /// The merge of the mirrored pass of `mirror_average` (merge.wgsl `combine` = 1; static).
    mirror_merge_param: u64,
    /// The time map mirrored left to right, for the mirrored pass (made on its first use: a
    /// mirrored pass and the unmirrored one share a command buffer, so they cannot share `tmap`).
    pub tmap_mirror: OnceLock<wgpu::Buffer>,
    head_deconv_param: u64,
    head_conv: [wgpu::BindGroup; 2],
    block_groups: Vec<BlockGroups>,
    pub slots: Mutex<Vec<Arc<Slot>>>,
    /// Bind groups that read two frames (5 block inputs + the merge), per ordered slot pair and
    /// for the plain or the mirrored pass (`mirror_average`: its own time map and merge).
    pairs: Mutex<HashMap<(usize, usize, bool), PairGroups>>,
    pub state: Mutex<State>,
}

/// The 5 block_input bind groups and the merge's, for one ordered pair of frame slots.
type PairGroups = Arc<Vec<wgpu::BindGroup>>;

/// Per-dispatch GPU timestamps, for `Engine::profile` (each dispatch then gets its own pass).
pub(crate) struct Profile {
    pub queries: wgpu::QuerySet,
    pub labels: Vec<String>,
}

/// Records dispatches into one compute pass, and counts them: the figure the dispatch-count test
/// checks. With a profile, each dispatch gets its own pass with timestamps instead. With a span
/// (timer.rs), the first pass writes the begin timestamp and every pass the end one, so the
/// last pass's end stands: one pair of timestamps around all the compute work, in any number of
/// passes (one, unless copies split it), with no dispatch added.
pub(crate) struct Recorder<'e> {
    encoder: &'e mut wgpu::CommandEncoder,
    pass: Option<wgpu::ComputePass<'static>>,
    profile: Option<&'e mut Profile>,
    span: Option<Span<'e>>,
    /// Whether a pass has written the span's begin timestamp.
    pub span_started: bool,
    pub dispatches: u64,
}

impl<'e> Recorder<'e> {
    pub fn new(encoder: &'e mut wgpu::CommandEncoder, profile: Option<&'e mut Profile>) -> Self {
        Self {
            encoder,
            pass: None,
            profile,
            span: None,
            span_started: false,
            dispatches: 0,
        }
    }

    /// As `new`, with the whole recording between the span's two timestamps (not with a
    /// profile, whose passes carry their own).
    pub fn timed(encoder: &'e mut wgpu::CommandEncoder, span: Option<Span<'e>>) -> Self {
        Self {
            span,
            ..Self::new(encoder, None)
        }
    }

    fn dispatch(
        &mut self,
        label: impl FnOnce() -> String,
        pipeline: &wgpu::ComputePipeline,
        group: &wgpu::BindGroup,
        n: [u32; 3],
    ) {
        let mut timed;
        let pass = match self.profile.as_mut() {
            Some(p) => {
                let i = 2 * p.labels.len() as u32;
                p.labels.push(label());
                timed = self
                    .encoder
                    .begin_compute_pass(&wgpu::ComputePassDescriptor {
                        label: None,
                        timestamp_writes: Some(wgpu::ComputePassTimestampWrites {
                            query_set: &p.queries,
                            beginning_of_pass_write_index: Some(i),
                            end_of_pass_write_index: Some(i + 1),
                        }),
                    })
                    .forget_lifetime();
                &mut timed
            }
            None => self.pass.get_or_insert_with(|| {
                let timestamp_writes = self.span.map(|s| {
                    let begin = (!self.span_started).then_some(s.begin);
                    self.span_started = true;
                    wgpu::ComputePassTimestampWrites {
                        query_set: s.queries,
                        beginning_of_pass_write_index: begin,
                        end_of_pass_write_index: Some(s.begin + 1),
                    }
                });
                self.encoder
                    .begin_compute_pass(&wgpu::ComputePassDescriptor {
                        label: None,
                        timestamp_writes,
                    })
                    .forget_lifetime()
            }),
        };
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, group, &[]);
        pass.dispatch_workgroups(n[0], n[1], n[2]);
        self.dispatches += 1;
    }

    /// The encoder, with the pass closed (copies cannot sit inside a compute pass).
    pub fn encoder(&mut self) -> &mut wgpu::CommandEncoder {
        self.pass = None;
        self.encoder
    }
}

fn buf(b: &wgpu::Buffer) -> wgpu::BindingResource<'_> {
    b.as_entire_binding()
}

/// Bytes per row of an rgba8/bgra8 texture of `width` copied into a buffer: WebGPU wants a
/// multiple of 256 (`COPY_BYTES_PER_ROW_ALIGNMENT`).
pub(crate) fn texture_row_bytes(width: usize) -> usize {
    (4 * width).next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT as usize)
}

fn storage(device: &wgpu::Device, label: &str, floats: usize) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: (4 * floats.max(1)) as u64,
        usage: wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_SRC
            | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

fn group(
    device: &wgpu::Device,
    pipeline: &wgpu::ComputePipeline,
    entries: &[wgpu::BindingResource<'_>],
) -> wgpu::BindGroup {
    let entries: Vec<_> = entries
        .iter()
        .enumerate()
        .map(|(i, r)| wgpu::BindGroupEntry {
            binding: i as u32,
            resource: r.clone(),
        })
        .collect();
    device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &pipeline.get_bind_group_layout(0),
        entries: &entries,
    })
}

/// Collects the static parameter slots while the plan is built.
struct ParamWriter {
    bytes: Vec<u8>,
    stride: u64,
}

impl ParamWriter {
    fn push(&mut self, p: Params) -> u64 {
        let index = self.bytes.len() as u64 / self.stride;
        let mut slot = vec![0u8; self.stride as usize];
        slot[..PARAMS_BYTES as usize].copy_from_slice(p.bytes());
        self.bytes.extend_from_slice(&slot);
        index
    }
}

fn conv_params(w: &ConvWeights, in_w: usize, in_h: usize, stride: usize, residual: bool) -> Params {
    Params::new()
        .u(0, w.cin)
        .u(1, in_h as u32)
        .u(2, in_w as u32)
        .u(3, stride as u32)
        .u(4, in_h.div_ceil(stride) as u32)
        .u(5, in_w.div_ceil(stride) as u32)
        .u(6, w.w_off)
        .u(7, w.b_off)
        .u(8, residual as u32)
        .u(9, 1)
        .u(10, w.cin) // split = cin: every input channel from `src`
        .u(11, w.cout) // dst_split = cout: every output channel to `dst`
}

/// `split`: input channels from there on are read from `src_hi`.
fn deconv_params(w: &DeconvWeights, in_w: usize, in_h: usize, shuffle: bool, split: u32) -> Params {
    Params::new()
        .u(0, w.cin)
        .u(1, in_h as u32)
        .u(2, in_w as u32)
        .u(3, shuffle as u32)
        .u(4, w.w_off)
        .u(5, w.b_off)
        .u(6, split)
}

/// A PW x PH `TEXTURE_FORMAT` texture: written by a kernel (storage), read by others
/// (textureLoad), and copied out for readbacks.
fn texture(device: &wgpu::Device, label: &str, w: usize, h: usize) -> wgpu::Texture {
    device.create_texture(&wgpu::TextureDescriptor {
        label: Some(label),
        size: wgpu::Extent3d {
            width: w as u32,
            height: h as u32,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: TEXTURE_FORMAT,
        usage: wgpu::TextureUsages::STORAGE_BINDING
            | wgpu::TextureUsages::TEXTURE_BINDING
            | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    })
}

fn view(v: &wgpu::TextureView) -> wgpu::BindingResource<'_> {
    wgpu::BindingResource::TextureView(v)
}

/// The bytes of every storage binding and buffer of one frame size, computed before anything is
/// made: `Engine::plan` checks them against the device's limits and `Plan::new` allocates from
/// them, so the check and the plan cannot disagree. Textures (frames, feat state) are not here:
/// they have no binding-size limit, only `max_texture_dimension_2d` (checked on PW and PH).
#[derive(Clone, Debug)]
pub(crate) struct Sizes {
    /// A frame's uploaded bytes, rows padded for a texture copy (bound whole).
    pub pixels: u64,
    /// 8 of the encoder's 16 half-resolution channels (`HEAD_SPLIT`); the hi range's offset (the
    /// same: a range is a multiple of 256 bytes); the buffer (`head_a`, `head_b`).
    pub head_range: u64,
    pub head_hi_off: u64,
    pub head: u64,
    /// The 16 channels are over the binding limit, so conv3x3 and deconv4x4s2 bind them as the
    /// two ranges; otherwise whole, as one binding. Under WebGPU's default 128 MiB that is only
    /// f32 from 4K at scale 0.5 on (3840x2304 padded: 135 MiB whole); 4K at scale 1 (3840x2176)
    /// holds them in 127.5 MiB, and f16 halves them.
    pub head_split: bool,
    /// Block i's input ranges, and the buffer that holds the largest.
    pub x_ranges: Vec<XRanges>,
    pub x: u64,
    /// The conv ping-pong buffers and lastconv's output (bound whole).
    pub act: u64,
    pub tbuf: u64,
    /// One f32 plane at the padded size (mask; a flow half is two).
    pub plane: u64,
    /// One f32 plane at the frame size (time map, RGBA8 output; out_rgb is three).
    pub image: u64,
}

impl Sizes {
    /// `align`: the device's `min_storage_buffer_offset_alignment` (256 at most, WebGPU's
    /// default, which the limit check uses). `binding_limit`: its
    /// `max_storage_buffer_binding_size`, which decides `head_split`.
    pub fn new(
        (width, height): (usize, usize),
        (pw, ph): (usize, usize),
        scale: f32,
        precision: Precision,
        align: u64,
        binding_limit: u64,
    ) -> Self {
        let dims = Plan::block_dims(pw, ph, scale);
        // Each block's storage: block 0's is f32 in every form (`Precision::of_block`).
        let x_ranges: Vec<XRanges> = dims
            .iter()
            .enumerate()
            .map(|(i, b)| XRanges::new(b, precision.of_block(i), align))
            .collect();
        let x = x_ranges.iter().map(|r| r.end()).max().unwrap();
        let act = dims
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let p = precision.of_block(i);
                let a = p.planes_bytes(b.c / 2, b.a_w * b.a_h);
                a.max(p.planes_bytes(b.c, b.b_w * b.b_h))
            })
            .max()
            .unwrap();
        // lastconv's PixelShuffle output, packed along x in the packed form.
        let tbuf = dims
            .iter()
            .enumerate()
            .map(|(i, b)| precision.of_block(i).flat_bytes(BLOCK_OUT * b.t_w * b.t_h))
            .max()
            .unwrap();
        let head_range = precision.planes_bytes(HEAD_SPLIT, (pw / 2) * (ph / 2));
        let head_hi_off = head_range.div_ceil(align) * align;
        Self {
            pixels: (texture_row_bytes(width) * height) as u64,
            head_range,
            head_hi_off,
            head: head_hi_off + head_range,
            head_split: head_hi_off + head_range > binding_limit,
            x_ranges,
            x,
            act,
            tbuf,
            plane: (4 * pw * ph) as u64,
            image: (4 * width * height) as u64,
        }
    }

    /// Every storage binding the plan makes, by name, with its size in bytes (the largest of its
    /// kind). The weights (bound whole, the same for every size) are the engine's to add.
    pub fn bindings(&self) -> Vec<(&'static str, u64)> {
        let x_lo = self.x_ranges.iter().map(|r| r.lo_bytes).max().unwrap();
        let x_hi = self.x_ranges.iter().map(|r| r.hi_bytes).max().unwrap();
        vec![
            ("pixels", self.pixels),
            if self.head_split {
                ("encoder activations (each half)", self.head_range)
            } else {
                ("encoder activations", self.head)
            },
            ("block input, channels 0..14", x_lo),
            ("block input, channels 14..", x_hi),
            ("conv activations", self.act),
            ("block output", self.tbuf),
            ("flow (each half)", 2 * self.plane),
            ("mask", self.plane),
            ("time map", self.image),
            ("output RGB", 3 * self.image),
            ("output RGBA8", self.image),
        ]
    }

    /// Planes 0, 1 (flow to frame 0) and 2, 3 (to frame 1) of the flow buffer.
    pub fn flow_lo<'b>(&self, flow: &'b wgpu::Buffer) -> wgpu::BindingResource<'b> {
        range(flow, 0, 2 * self.plane)
    }

    pub fn flow_hi<'b>(&self, flow: &'b wgpu::Buffer) -> wgpu::BindingResource<'b> {
        range(flow, 2 * self.plane, 2 * self.plane)
    }

    /// The largest storage binding, in bytes (checked against `max_storage_buffer_binding_size`).
    pub fn largest_binding(&self) -> u64 {
        self.bindings().iter().map(|b| b.1).max().unwrap()
    }

    /// The largest buffer (checked against `max_buffer_size`): a buffer bound as two ranges holds
    /// both (the block input, the encoder activations, the flow), the rest are their bindings.
    /// The trace (`interpolate_traced`) copies the flow into buffers of the flow's size.
    pub fn largest_buffer(&self) -> u64 {
        self.largest_binding()
            .max(self.x)
            .max(self.head)
            .max(4 * self.plane)
    }
}

impl Plan {
    pub fn block_dims(pw: usize, ph: usize, scale: f32) -> Vec<BlockDims> {
        (0..5)
            .map(|i| {
                let s = BLOCK_SCALES[i] / scale as f64;
                let (in_w, in_h) = (scaled(pw, s), scaled(ph, s));
                let (a_w, a_h) = (in_w.div_ceil(2), in_h.div_ceil(2));
                let (b_w, b_h) = (a_w.div_ceil(2), a_h.div_ceil(2));
                BlockDims {
                    s,
                    cin: if i == 0 { BLOCK0_IN } else { BLOCKN_IN },
                    c: BLOCK_WIDTHS[i],
                    in_w,
                    in_h,
                    a_w,
                    a_h,
                    b_w,
                    b_h,
                    t_w: 4 * b_w,
                    t_h: 4 * b_h,
                }
            })
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    pub fn new(
        device: &wgpu::Device,
        kernels: &Kernels,
        weights: &wgpu::Buffer,
        layout: &Layout,
        width: usize,
        height: usize,
        scale: f32,
        (pw, ph): (usize, usize),
        precision: Precision,
    ) -> Self {
        let blocks = Self::block_dims(pw, ph, scale);
        let plane = pw * ph;
        let storage_align = device.limits().min_storage_buffer_offset_alignment as u64;
        let sizes = Sizes::new(
            (width, height),
            (pw, ph),
            scale,
            precision,
            storage_align,
            device.limits().max_storage_buffer_binding_size,
        );
        let bytes = |n: u64| (n / 4) as usize;
        // The two halves lie end to end (a half is 8 planes of (PW/2)x(PH/2), PW and PH multiples
        // of 128: a multiple of 64 KiB), so bound whole the buffer is the 16 channels in order.
        assert_eq!(sizes.head_hi_off, sizes.head_range);
        let head_a = storage(device, "head_a", bytes(sizes.head));
        let head_b = storage(device, "head_b", bytes(sizes.head));
        let x = storage(device, "block_input", bytes(sizes.x));
        let act_a = storage(device, "act_a", bytes(sizes.act));
        let act_b = storage(device, "act_b", bytes(sizes.act));
        let tbuf = storage(device, "block_out", bytes(sizes.tbuf));
        // [4][PH][PW], bound as planes 0..2 and 2..4: the flow's second half starts at two
        // planes, which the storage offset alignment divides (PW and PH are multiples of 128).
        assert_eq!((2 * sizes.plane) % storage_align, 0);
        let flow = storage(device, "flow", 4 * plane);
        let mask = storage(device, "mask", plane);
        let feat = ["feat_lo", "feat_hi"].map(|l| texture(device, l, pw, ph));
        let feat_views = [0, 1].map(|i| feat[i].create_view(&Default::default()));
        let spare = storage(device, "spare", 4);
        let spare_tex = texture(device, "spare", 1, 1);
        let spare_view = spare_tex.create_view(&Default::default());
        let tmap = storage(device, "time_map", width * height);
        let out_rgb = storage(device, "out_rgb", 3 * width * height);
        let out_rgba = storage(device, "out_rgba", width * height);

        let align = device.limits().min_uniform_buffer_offset_alignment as u64;
        let stride = PARAMS_BYTES.div_ceil(align) * align;
        let mut pw_ = ParamWriter {
            bytes: Vec::new(),
            stride,
        };

        // Static parameters of every dispatch.
        let h = &layout.head;
        // The encoder's activations in and out as two ranges (`HEAD_SPLIT`) where one binding
        // cannot hold them; otherwise conv_params' split = cin, dst_split = cout (all whole).
        let head_conv = |w| {
            let p = conv_params(w, pw / 2, ph / 2, 1, false);
            if sizes.head_split {
                p.u(10, HEAD_SPLIT as u32).u(11, HEAD_SPLIT as u32)
            } else {
                p
            }
        };
        let head1 = pw_.push(head_conv(&h[1]));
        let head2 = pw_.push(head_conv(&h[2]));
        let head_deconv_param = pw_.push(deconv_params(
            &layout.head_deconv,
            pw / 2,
            ph / 2,
            false,
            if sizes.head_split {
                HEAD_SPLIT as u32
            } else {
                layout.head_deconv.cin
            },
        ));
        struct BlockParams {
            conv0a: u64,
            conv0b: u64,
            resconv: Vec<u64>,
            lastconv: u64,
            upsample: u64,
        }
        let mut input_param = Vec::new();
        let mut block_params = Vec::new();
        let mut merge_param = 0;
        let mut mirror_merge_param = 0;
        for (i, (b, w)) in blocks.iter().zip(&layout.blocks).enumerate() {
            input_param.push(
                pw_.push(
                    Params::new()
                        .u(0, pw as u32)
                        .u(1, ph as u32)
                        .u(2, b.in_w as u32)
                        .u(3, b.in_h as u32)
                        .f(4, (pw as f64 / b.in_w as f64) as f32)
                        .f(5, (ph as f64 / b.in_h as f64) as f32)
                        .f(6, (1.0 / b.s) as f32)
                        .u(7, (i == 0) as u32)
                        .u(10, width as u32)
                        .u(11, height as u32),
                ),
            );
            let up = Params::new()
                .u(0, b.t_w as u32)
                .u(1, b.t_h as u32)
                .u(2, pw as u32)
                .u(3, ph as u32)
                .f(4, (b.t_w as f64 / pw as f64) as f32)
                .f(5, (b.t_h as f64 / ph as f64) as f32)
                .f(6, b.s as f32);
            let upsample = if i < 4 {
                pw_.push(up.u(7, (i == 0) as u32))
            } else {
                let merge = up.u(7, width as u32).u(8, height as u32);
                merge_param = pw_.push(merge);
                // Word 12, combine = 1: the mirrored pass (guard off, no time needed).
                mirror_merge_param = pw_.push(merge.u(12, 1));
                merge_param
            };
            block_params.push(BlockParams {
                conv0a: pw_
                    .push(conv_params(&w.conv0a, b.in_w, b.in_h, 2, false).u(10, X_SPLIT as u32)),
                conv0b: pw_.push(conv_params(&w.conv0b, b.a_w, b.a_h, 2, false)),
                resconv: w
                    .resconv
                    .iter()
                    .map(|r| pw_.push(conv_params(r, b.b_w, b.b_h, 1, true)))
                    .collect(),
                lastconv: pw_.push(deconv_params(
                    &w.lastconv,
                    b.b_w,
                    b.b_h,
                    true,
                    w.lastconv.cin,
                )),
                upsample,
            });
        }
        let params = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("params"),
            contents: &pw_.bytes,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        });
        let param = |slot: u64| {
            wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: &params,
                offset: slot * stride,
                size: wgpu::BufferSize::new(PARAMS_BYTES),
            })
        };
        let wts = weights.as_entire_binding();

        // cnn1: head_a → head_b, cnn2: head_b → head_a. Split: src, dst, src_hi, dst_hi are the
        // two ranges of each. Whole: src and dst whole, src_hi the source again (unread), dst_hi
        // the spare (never written: dst_split = cout), as in the blocks.
        let head_conv_group = |slot: u64, src: &wgpu::Buffer, dst: &wgpu::Buffer| {
            let entries = if sizes.head_split {
                [
                    param(slot),
                    wts.clone(),
                    range(src, 0, sizes.head_range),
                    range(dst, 0, sizes.head_range),
                    range(src, sizes.head_hi_off, sizes.head_range),
                    range(dst, sizes.head_hi_off, sizes.head_range),
                ]
            } else {
                [
                    param(slot),
                    wts.clone(),
                    buf(src),
                    buf(dst),
                    buf(src),
                    buf(&spare),
                ]
            };
            group(device, &kernels.conv3x3, &entries)
        };
        let head_conv = [
            head_conv_group(head1, &head_a, &head_b),
            head_conv_group(head2, &head_b, &head_a),
        ];
        let block_groups = block_params
            .iter()
            .enumerate()
            .map(|(i, bp)| {
                let bk = kernels.of_block(i);
                // Ping-pong: x → A (conv0a) → B (conv0b) → A → B … (8 ResConvs end in B) → T.
                let resconv = bp
                    .resconv
                    .iter()
                    .enumerate()
                    .map(|(k, &slot)| {
                        let (src, dst) = if k % 2 == 0 {
                            (&act_b, &act_a)
                        } else {
                            (&act_a, &act_b)
                        };
                        group(
                            device,
                            &bk.conv3x3,
                            &[
                                param(slot),
                                wts.clone(),
                                buf(src),
                                buf(dst),
                                buf(src),
                                buf(&spare),
                            ],
                        )
                    })
                    .collect::<Vec<_>>();
                let last_src = if bp.resconv.len() % 2 == 0 {
                    &act_b
                } else {
                    &act_a
                };
                BlockGroups {
                    conv0a: group(
                        device,
                        &bk.conv3x3_s2,
                        &[
                            param(bp.conv0a),
                            wts.clone(),
                            range(&x, 0, sizes.x_ranges[i].lo_bytes),
                            buf(&act_a),
                            range(&x, sizes.x_ranges[i].hi_off, sizes.x_ranges[i].hi_bytes),
                            buf(&spare),
                        ],
                    ),
                    conv0b: group(
                        device,
                        &bk.conv3x3_s2,
                        &[
                            param(bp.conv0b),
                            wts.clone(),
                            buf(&act_a),
                            buf(&act_b),
                            buf(&act_a),
                            buf(&spare),
                        ],
                    ),
                    resconv,
                    out_groups: layout.blocks[i].lastconv.groups,
                    lastconv: group(
                        device,
                        &bk.deconv,
                        &[
                            param(bp.lastconv),
                            wts.clone(),
                            buf(last_src),
                            buf(&tbuf),
                            buf(last_src),
                            view(&spare_view),
                        ],
                    ),
                    upsample: (i < 4).then(|| {
                        group(
                            device,
                            &bk.block_upsample,
                            &[
                                param(bp.upsample),
                                buf(&tbuf),
                                sizes.flow_lo(&flow),
                                sizes.flow_hi(&flow),
                                buf(&mask),
                                view(&feat_views[0]),
                                view(&feat_views[1]),
                            ],
                        )
                    }),
                }
            })
            .collect();

        Self {
            width,
            height,
            scale,
            pw,
            ph,
            blocks,
            sizes,
            head_a,
            head_b,
            x,
            act_a,
            act_b,
            tbuf,
            flow,
            mask,
            feat,
            feat_views,
            spare,
            spare_tex,
            spare_view,
            tmap,
            out_rgb,
            out_rgba,
            params,
            param_stride: stride,
            input_param,
            merge_param,
            mirror_merge_param,
            tmap_mirror: OnceLock::new(),
            head_deconv_param,
            head_conv,
            block_groups,
            slots: Mutex::new(Vec::new()),
            pairs: Mutex::new(HashMap::new()),
            state: Mutex::new(State {
                generation: 0,
                trace: None,
            }),
        }
    }

    pub fn debug_buffer(&self, name: &str) -> Option<&wgpu::Buffer> {
        Some(match name {
            "head_a" => &self.head_a,
            "head_b" => &self.head_b,
            "x" => &self.x,
            "act_a" => &self.act_a,
            "act_b" => &self.act_b,
            "tbuf" => &self.tbuf,
            "flow" => &self.flow,
            "mask" => &self.mask,
            _ => return None,
        })
    }

    /// A slot no live frame handle holds, or a new one.
    pub fn free_slot(
        &self,
        device: &wgpu::Device,
        kernels: &Kernels,
        weights: &wgpu::Buffer,
    ) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap();
        // The plan's own reference is the only one left once every handle is dropped.
        if let Some(s) = slots.iter().find(|s| Arc::strong_count(s) == 1) {
            return s.clone();
        }
        let index = slots.len();
        let image = texture(device, "frame image", self.pw, self.ph);
        let features = texture(device, "frame features", self.pw, self.ph);
        let image_view = image.create_view(&Default::default());
        let features_view = features.create_view(&Default::default());
        // Up to 4 bytes a pixel (RGBA), 4 bytes a word, rows padded to 256 bytes: the room a
        // texture copy (`Engine::prepare_texture`) needs, whose `bytes_per_row` WebGPU aligns.
        let pixels = storage(device, "pixels", (self.sizes.pixels / 4) as usize);
        let params = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("head_conv0 params"),
            size: PARAMS_BYTES,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let conv0_group = group(
            device,
            &kernels.head_conv0,
            &[
                params.as_entire_binding(),
                weights.as_entire_binding(),
                pixels.as_entire_binding(),
                view(&image_view),
                self.head_lo(&self.head_a),
                self.head_hi(&self.head_a),
            ],
        );
        // Split: channels 0..8 and 8..16 as `src` and `src_hi`. Whole: `src` is all 16, and
        // `src_hi` (unread: split = cin) the same buffer again.
        let (src, src_hi) = if self.sizes.head_split {
            (self.head_lo(&self.head_a), self.head_hi(&self.head_a))
        } else {
            (buf(&self.head_a), buf(&self.head_a))
        };
        let deconv_group = group(
            device,
            &kernels.deconv_head,
            &[
                self.param_binding(self.head_deconv_param),
                weights.as_entire_binding(),
                src,
                buf(&self.spare),
                src_hi,
                view(&features_view),
            ],
        );
        let slot = Arc::new(Slot {
            index,
            image,
            features,
            image_view,
            features_view,
            pixels,
            params,
            head: Mutex::new(Params::new()),
            conv0_group,
            deconv_group,
            pending: AtomicBool::new(false),
        });
        slots.push(slot.clone());
        slot
    }

    /// Channels 0..8 and 8..16 of an encoder activation buffer (`HEAD_SPLIT`): head_conv0's
    /// two outputs always, and everyone's bindings where `Sizes::head_split`.
    fn head_lo<'b>(&self, b: &'b wgpu::Buffer) -> wgpu::BindingResource<'b> {
        range(b, 0, self.sizes.head_range)
    }

    fn head_hi<'b>(&self, b: &'b wgpu::Buffer) -> wgpu::BindingResource<'b> {
        range(b, self.sizes.head_hi_off, self.sizes.head_range)
    }

    fn param_binding(&self, slot: u64) -> wgpu::BindingResource<'_> {
        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: &self.params,
            offset: slot * self.param_stride,
            size: wgpu::BufferSize::new(PARAMS_BYTES),
        })
    }

    /// The bind groups that read frames `a` and `b`, made once per ordered slot pair. With
    /// `mirrored`, for the mirrored pass of `mirror_average` (`a` and `b` are then the mirrored
    /// frames' slots): the mirrored time map, and the merge that writes its pixels mirrored back.
    pub fn pair_groups(
        &self,
        device: &wgpu::Device,
        kernels: &Kernels,
        a: &Slot,
        b: &Slot,
        mirrored: bool,
    ) -> Arc<Vec<wgpu::BindGroup>> {
        let (tmap, merge_param) = if mirrored {
            (self.tmap_mirror(device), self.mirror_merge_param)
        } else {
            (&self.tmap, self.merge_param)
        };
        let mut pairs = self.pairs.lock().unwrap();
        pairs
            .entry((a.index, b.index, mirrored))
            .or_insert_with(|| {
                let mut groups: Vec<_> = self
                    .input_param
                    .iter()
                    .zip(&self.sizes.x_ranges)
                    .enumerate()
                    .map(|(i, (&slot, r))| {
                        group(
                            device,
                            &kernels.of_block(i).block_input,
                            &[
                                self.param_binding(slot),
                                view(&a.image_view),
                                view(&a.features_view),
                                view(&b.image_view),
                                view(&b.features_view),
                                self.sizes.flow_lo(&self.flow),
                                self.sizes.flow_hi(&self.flow),
                                buf(&self.mask),
                                view(&self.feat_views[0]),
                                view(&self.feat_views[1]),
                                buf(tmap),
                                range(&self.x, 0, r.lo_bytes),
                                range(&self.x, r.hi_off, r.hi_bytes),
                            ],
                        )
                    })
                    .collect();
                groups.push(group(
                    device,
                    &kernels.merge,
                    &[
                        self.param_binding(merge_param),
                        buf(&self.tbuf),
                        self.sizes.flow_lo(&self.flow),
                        self.sizes.flow_hi(&self.flow),
                        buf(&self.mask),
                        view(&a.image_view),
                        view(&b.image_view),
                        buf(&self.out_rgb),
                        buf(&self.out_rgba),
                        buf(tmap),
                    ],
                ));
                Arc::new(groups)
            })
            .clone()
    }

    /// The encoder (Head) of one frame: 4 dispatches.
    pub fn record_encode(&self, k: &Kernels, r: &mut Recorder<'_>, slot: &Slot) {
        let (hw, hh) = (self.pw / 2, self.ph / 2);
        r.dispatch(
            || "encode.cnn0+upload".into(),
            &k.head_conv0,
            &slot.conv0_group,
            [groups(hw), groups(hh), 1],
        );
        r.dispatch(
            || "encode.cnn1".into(),
            &k.conv3x3,
            &self.head_conv[0],
            [conv_groups_x(hw), groups(hh), 2],
        );
        r.dispatch(
            || "encode.cnn2".into(),
            &k.conv3x3,
            &self.head_conv[1],
            [conv_groups_x(hw), groups(hh), 2],
        );
        r.dispatch(
            || "encode.cnn3".into(),
            &k.deconv_head,
            &slot.deconv_group,
            [deconv_groups_x(self.pw), groups(self.ph), 1],
        );
    }

    /// The mirrored time map's buffer, made on first use.
    pub fn tmap_mirror(&self, device: &wgpu::Device) -> &wgpu::Buffer {
        self.tmap_mirror
            .get_or_init(|| storage(device, "time_map_mirrored", self.width * self.height))
    }

    /// Block `i` of the flow estimation: 13 dispatches (the last block's 13th is the merge).
    pub fn record_block(
        &self,
        k: &Kernels,
        r: &mut Recorder<'_>,
        pair: &[wgpu::BindGroup],
        i: usize,
    ) {
        self.record_block_core(k, r, pair, i);
        let g = &self.block_groups[i];
        match &g.upsample {
            Some(up) => r.dispatch(
                || format!("block{i}.upsample"),
                &k.of_block(i).block_upsample,
                up,
                [groups(self.pw), groups(self.ph), 1],
            ),
            None => r.dispatch(
                || "block4.upsample+merge".into(),
                &k.merge,
                &pair[5],
                [groups(self.pw), groups(self.ph), 1],
            ),
        }
    }

    /// Block `i` up to its output at the block's own resolution (`tbuf`, `[13][t_h][t_w]`),
    /// without the upscale into the full-resolution state: 12 dispatches. `Engine::coarse_motion`
    /// runs block 0 this far and reads the flow there.
    pub fn record_block_core(
        &self,
        k: &Kernels,
        r: &mut Recorder<'_>,
        pair: &[wgpu::BindGroup],
        i: usize,
    ) {
        let b = &self.blocks[i];
        let g = &self.block_groups[i];
        let k = k.of_block(i);
        r.dispatch(
            || format!("block{i}.input"),
            &k.block_input,
            &pair[i],
            [groups(b.in_w), groups(b.in_h), 1],
        );
        let (half, full) = ((b.c / 2 / 8) as u32, (b.c / 8) as u32);
        r.dispatch(
            || format!("block{i}.conv0a"),
            &k.conv3x3_s2,
            &g.conv0a,
            [conv_groups_x(b.a_w), groups(b.a_h), half],
        );
        r.dispatch(
            || format!("block{i}.conv0b"),
            &k.conv3x3_s2,
            &g.conv0b,
            [conv_groups_x(b.b_w), groups(b.b_h), full],
        );
        for (j, rg) in g.resconv.iter().enumerate() {
            r.dispatch(
                || format!("block{i}.resconv{j}"),
                &k.conv3x3,
                rg,
                [conv_groups_x(b.b_w), groups(b.b_h), full],
            );
        }
        r.dispatch(
            || format!("block{i}.lastconv"),
            &k.deconv,
            &g.lastconv,
            [deconv_groups_x(2 * b.b_w), groups(2 * b.b_h), g.out_groups],
        );
    }

    /// The trace buffers, made on first use.
    pub fn trace(&self, device: &wgpu::Device) -> Arc<Trace> {
        let mut state = self.state.lock().unwrap();
        state
            .trace
            .get_or_insert_with(|| {
                let plane = self.pw * self.ph;
                Arc::new(Trace {
                    flow: (0..5)
                        .map(|_| storage(device, "trace_flow", 4 * plane))
                        .collect(),
                    mask: (0..5)
                        .map(|_| storage(device, "trace_mask", plane))
                        .collect(),
                })
            })
            .clone()
    }

    /// Copies the current flow and mask into block `i`'s trace entry.
    pub fn record_trace_copy(&self, encoder: &mut wgpu::CommandEncoder, trace: &Trace, i: usize) {
        let plane = self.sizes.plane;
        encoder.copy_buffer_to_buffer(&self.flow, 0, &trace.flow[i], 0, 4 * plane);
        encoder.copy_buffer_to_buffer(&self.mask, 0, &trace.mask[i], 0, plane);
    }

    pub fn take_pending(slot: &Slot) -> bool {
        slot.pending.swap(false, Ordering::AcqRel)
    }
}
