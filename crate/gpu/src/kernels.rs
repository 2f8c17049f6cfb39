//! The compute pipelines, one per file in `shaders/`, created once per engine.

/// The WGSL sources, by file name (also what the naga validation test walks).
pub const SHADERS: [(&str, &str); 6] = [
    (
        "conv3x3.wgsl",
        include_str!("../../../shaders/conv3x3.wgsl"),
    ),
    (
        "head_conv0_unpack.wgsl",
        include_str!("../../../shaders/head_conv0_unpack.wgsl"),
    ),
    (
        "deconv4x4s2.wgsl",
        include_str!("../../../shaders/deconv4x4s2.wgsl"),
    ),
    (
        "block_input.wgsl",
        include_str!("../../../shaders/block_input.wgsl"),
    ),
    (
        "block_upsample.wgsl",
        include_str!("../../../shaders/block_upsample.wgsl"),
    ),
    ("merge.wgsl", include_str!("../../../shaders/merge.wgsl")),
];

/// The sampling helpers the resize and warp kernels share (`Tap`, `resize_tap`, `warp_pos`,
/// `lerp2`). WGSL has no includes, so `shader_source` puts this file in front of every kernel;
/// the kernels that do not sample ignore it.
pub const PRELUDE: (&str, &str) = (
    "sampling.wgsl",
    include_str!("../../../shaders/sampling.wgsl"),
);

/// How the kernels address the activations in storage (`PIX`, `at`, `half_at`) and the
/// `// packed:` convention of the packed form (`Precision::F16Packed`). `shader_source` puts it
/// in front of every kernel, before the sampling prelude.
pub const STORAGE: (&str, &str) = (
    "storage.wgsl",
    include_str!("../../../shaders/storage.wgsl"),
);

/// The render pass that draws an output into a texture or canvas (`Engine::draw`): not a compute
/// kernel, and without the sampling prelude, so it is kept apart from `SHADERS`.
pub const PRESENT: (&str, &str) = (
    "present.wgsl",
    include_str!("../../../shaders/present.wgsl"),
);

/// Every kernel's `@workgroup_size` is (8, 8, 1).
pub const WORKGROUP: u32 = 8;

/// Every kernel's parameters are one uniform struct of 16 four-byte fields.
pub const PARAMS_BYTES: u64 = 64;

/// Output pixels along x per conv3x3.wgsl invocation (its `PX`).
pub const CONV_PX: u32 = 4;

/// How activations are stored between kernels. Arithmetic and accumulation are f32 in all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// The reference mode: everything f32 (parity with PyTorch within the goldens' bounds).
    F32,
    /// Fast mode: the conv activations (block inputs, conv and deconv outputs, encoder
    /// intermediates) stored as f16; weights, the frames, the flow, mask and features at full
    /// resolution, and all accumulation stay f32, and so does all of block 0's storage
    /// (`of_block`: the coarsest block, 1/256 of the last one's pixels, whose f16 rounding alone
    /// cost 13 dB at 4K, scale 0.25). Asked of an engine, it picks the storage the
    /// device can do: WGSL's `f16` type (`shader-f16`) where the device has the feature, else
    /// `F16Packed`; `Engine::precision` says which one runs. As a storage form (`shader_source`,
    /// the size functions), it is the `shader-f16` one.
    F16,
    /// Fast mode without `shader-f16`: the same f16 values packed two to a u32 with WGSL's core
    /// `pack2x16float`/`unpack2x16float`, in channel pairs (storage.wgsl has the layout): the
    /// same bytes of storage as `F16`, an unpack per load and a pack per pair stored. What `F16`
    /// runs on adapters without the feature (Chromium's SwiftShader), and selectable anywhere,
    /// so that it can be tested on an adapter that has `shader-f16`.
    F16Packed,
}

impl Precision {
    /// Bytes of `channels` planes of `plane` activations in this storage, whole words: in the
    /// packed form a plane pair is `plane` words, so an odd count rounds up to a whole pair.
    pub(crate) fn planes_bytes(self, channels: usize, plane: usize) -> u64 {
        let (c, p) = (channels as u64, plane as u64);
        match self {
            Precision::F32 => 4 * c * p,
            Precision::F16 => (2 * c * p).div_ceil(4) * 4,
            Precision::F16Packed => 4 * c.div_ceil(2) * p,
        }
    }

    /// The storage of block `i`'s activations (its input, conv activations and lastconv's
    /// output): the engine's, except block 0's, which is f32 in every form. Block 0 estimates
    /// the whole flow from nothing at 1/(16·scale) of the frame, and its flow is multiplied by
    /// that factor on the way up: at 4K and scale 0.25 the f16 rounding of any of its buffers
    /// alone cost 52–58 dB, and all of them 47 dB against f32 (a dense painting), while blocks
    /// 1–4 in f16 keep 60 dB. At 1/256 of the last block's pixels it costs next to nothing.
    pub(crate) fn of_block(self, i: usize) -> Precision {
        if i == 0 { Precision::F32 } else { self }
    }

    /// Bytes of `n` activations stored flat, two f16 to a word in both f16 forms (the deconv's
    /// PixelShuffle output, packed along x).
    pub(crate) fn flat_bytes(self, n: usize) -> u64 {
        match self {
            Precision::F32 => 4 * n as u64,
            Precision::F16 | Precision::F16Packed => (2 * n as u64).div_ceil(4) * 4,
        }
    }
}

/// A shader's source as the engine compiles it: the storage and sampling preludes, then the
/// kernel.
/// - F16: `enable f16;` comes first (WGSL wants directives before everything) and `Act` (and,
///   with `out_act`, the deconv's `Out`) become f16.
/// - F16Packed: every line `CODE // packed: ALT` becomes `ALT` (storage.wgsl): `Act` and `Out`
///   become u32 and the kernels' load/store helpers unpack and pack f16 pairs. No extension.
pub fn shader_source(name: &str, precision: Precision, out_act: bool) -> String {
    let source = SHADERS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
        .expect("a shader of that name");
    let source = format!("{}\n{}\n{source}", STORAGE.1, PRELUDE.1);
    match precision {
        Precision::F32 => source,
        Precision::F16 => {
            let body = source.replace("alias Act = f32;", "alias Act = f16;");
            let body = if out_act {
                body.replace("alias Out = f32;", "alias Out = f16;")
            } else {
                body
            };
            format!("enable f16;\n{body}")
        }
        Precision::F16Packed => packed(&source),
    }
}

/// The packed form of a source: each line with code before a `// packed: ` marker becomes the
/// text after the marker, indented as the code was. Comment lines are kept as they are, so a
/// header may name the marker.
fn packed(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    for line in source.lines() {
        match line.split_once("// packed: ") {
            Some((code, alt)) if !line.trim_start().starts_with("//") => {
                let indent = &code[..code.len() - code.trim_start().len()];
                out.push_str(indent);
                out.push_str(alt);
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// The pipelines of one block's flow estimation, for one storage form.
#[derive(Clone)]
pub(crate) struct BlockKernels {
    pub block_input: wgpu::ComputePipeline,
    /// conv3x3.wgsl with STRIDE = 2 (conv0) and with STRIDE = 1 (the ResConvs, residual fused).
    pub conv3x3_s2: wgpu::ComputePipeline,
    pub conv3x3: wgpu::ComputePipeline,
    /// deconv4x4s2.wgsl writing lastconv's PixelShuffle output (activations).
    pub deconv: wgpu::ComputePipeline,
    /// Blocks 0–3's upscale (block 4's is the merge).
    pub block_upsample: wgpu::ComputePipeline,
}

pub(crate) struct Kernels {
    /// conv3x3.wgsl with STRIDE = 1: the encoder's cnn1 and cnn2.
    pub conv3x3: wgpu::ComputePipeline,
    pub head_conv0: wgpu::ComputePipeline,
    /// deconv4x4s2.wgsl for the encoder (output: the frame's rgba32float feature texture).
    pub deconv_head: wgpu::ComputePipeline,
    /// Blocks 1–4, in the engine's storage form.
    pub block: BlockKernels,
    /// Block 0, whose storage is always f32 (`Precision::of_block`): in an f32 engine the same
    /// pipelines as `block`, in the f16 forms their f32 builds.
    pub block0: BlockKernels,
    pub merge: wgpu::ComputePipeline,
}

impl Kernels {
    /// The pipelines of block `i`.
    pub fn of_block(&self, i: usize) -> &BlockKernels {
        if i == 0 { &self.block0 } else { &self.block }
    }

    pub fn new(device: &wgpu::Device, precision: Precision) -> Self {
        let make_in = |precision, name: &str, constants: &[(&str, f64)], out_act: bool| {
            let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(name),
                source: wgpu::ShaderSource::Wgsl(shader_source(name, precision, out_act).into()),
            });
            device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(name),
                // The layout is derived from the shader: each kernel has its own bind group.
                layout: None,
                module: &module,
                entry_point: Some("main"),
                compilation_options: wgpu::PipelineCompilationOptions {
                    constants,
                    ..Default::default()
                },
                cache: None,
            })
        };
        let make_with =
            |name: &str, constants: &[(&str, f64)]| make_in(precision, name, constants, false);
        let make = |name: &str| make_with(name, &[]);
        let blocks = |precision| BlockKernels {
            block_input: make_in(precision, "block_input.wgsl", &[], false),
            conv3x3_s2: make_in(precision, "conv3x3.wgsl", &[("STRIDE", 2.0)], false),
            conv3x3: make_in(precision, "conv3x3.wgsl", &[("STRIDE", 1.0)], false),
            deconv: make_in(precision, "deconv4x4s2.wgsl", &[], true),
            block_upsample: make_in(precision, "block_upsample.wgsl", &[], false),
        };
        let block = blocks(precision);
        let block0 = match precision {
            Precision::F32 => block.clone(),
            Precision::F16 | Precision::F16Packed => blocks(Precision::F32),
        };
        Self {
            // The encoder's stride-1 conv is the ResConvs' pipeline (the same storage).
            conv3x3: block.conv3x3.clone(),
            head_conv0: make("head_conv0_unpack.wgsl"),
            // FEATURES: the encoder's cnn3 writes the frame's feature texture.
            deconv_head: make_with("deconv4x4s2.wgsl", &[("FEATURES", 1.0)]),
            block,
            block0,
            merge: make("merge.wgsl"),
        }
    }
}

/// One kernel's uniform parameters: 16 words, each a u32 or an f32 as the kernel declares.
#[derive(Clone, Copy, Default)]
pub(crate) struct Params([u32; 16]);

impl Params {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets word `i` to an unsigned value.
    pub fn u(mut self, i: usize, v: u32) -> Self {
        self.0[i] = v;
        self
    }

    /// Sets word `i` to a float.
    pub fn f(mut self, i: usize, v: f32) -> Self {
        self.0[i] = v.to_bits();
        self
    }

    pub fn bytes(&self) -> &[u8] {
        bytemuck::cast_slice(&self.0)
    }
}

/// Workgroups of a conv3x3.wgsl dispatch along x, for `out_w` output pixels.
pub(crate) fn conv_groups_x(out_w: usize) -> u32 {
    (out_w as u32).div_ceil(WORKGROUP * CONV_PX)
}

/// Deconv output pixels along x per deconv4x4s2.wgsl invocation.
pub const DECONV_PX: u32 = 8;

/// Workgroups of a deconv4x4s2.wgsl dispatch along x, for `out_w` deconv output pixels.
pub(crate) fn deconv_groups_x(out_w: usize) -> u32 {
    (out_w as u32).div_ceil(WORKGROUP * DECONV_PX)
}

/// Workgroups to cover `n` invocations along one axis.
pub(crate) fn groups(n: usize) -> u32 {
    (n as u32).div_ceil(WORKGROUP)
}
