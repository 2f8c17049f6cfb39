//! Every kernel in `shaders/` parses and validates with naga (the WGSL front end wgpu uses), is
//! one the engine loads (or one of `NOT_THE_ENGINES`), and starts with a header saying its layout,
//! bindings and what it fuses.

use wgpu::naga;

/// Shaders in `shaders/` that the engine does not load, with their entry points: the browser
/// extension's content script bundles block_change.wgsl as text and runs it on a WebGPU device of
/// its own; the package compiles texture_blit.wgsl (a render pass) on a caller's device
/// (www/lib/src/gpu-texture.ts, through scripts/gen-wgsl.mjs).
const NOT_THE_ENGINES: &[(&str, &[&str])] = &[
    ("block_change.wgsl", &["main"]),
    ("texture_blit.wgsl", &["vs", "fs"]),
];

fn header_lacks(file: &str) -> Vec<&'static str> {
    header_lacks_of(file, &["Layout", "Bindings", "Dispatch"])
}

fn header_lacks_of(file: &str, words: &[&'static str]) -> Vec<&'static str> {
    let header: String = file
        .lines()
        .take_while(|l| l.starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    words
        .iter()
        .copied()
        .filter(|word| !header.contains(word))
        .collect()
}

#[test]
fn the_extensions_kernels_parse_and_validate() {
    // Plain WebGPU WGSL (no prelude, no f16); block_change.wgsl reads a VideoFrame as a
    // texture_external, which naga validates only with that capability.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shaders");
    for (name, entries) in NOT_THE_ENGINES {
        let source = std::fs::read_to_string(dir.join(name)).unwrap();
        let module = naga::front::wgsl::parse_str(&source)
            .unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(&source)));
        naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::TEXTURE_EXTERNAL,
        )
        .validate(&module)
        .unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(&source)));
        let entry: Vec<_> = module
            .entry_points
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        assert_eq!(entry, *entries, "{name}");
        // A compute kernel says its dispatch; a render pass has none.
        let lacks = if entries == &["main"] {
            header_lacks(&source)
        } else {
            header_lacks_of(&source, &["Layout", "Bindings"])
        };
        assert!(
            lacks.is_empty(),
            "{name}: header comment does not say its {lacks:?}"
        );
    }
}

#[test]
fn every_shader_parses_and_validates() {
    let mut failures = Vec::new();
    for (name, file) in inbetween_gpu::SHADERS {
        // As the engine compiles it: the sampling prelude in front.
        let compiled = inbetween_gpu::shader_source(name, inbetween_gpu::Precision::F32, false);
        let source = compiled.as_str();
        match naga::front::wgsl::parse_str(source) {
            Ok(module) => {
                let mut v = naga::valid::Validator::new(
                    naga::valid::ValidationFlags::all(),
                    naga::valid::Capabilities::empty(),
                );
                if let Err(e) = v.validate(&module) {
                    failures.push(format!("{name}: {}", e.emit_to_string(source)));
                }
                let entry: Vec<_> = module
                    .entry_points
                    .iter()
                    .map(|e| e.name.as_str())
                    .collect();
                if entry != ["main"] {
                    failures.push(format!(
                        "{name}: entry points {entry:?}, expected [\"main\"]"
                    ));
                }
            }
            Err(e) => failures.push(format!("{name}: {}", e.emit_to_string(source))),
        }
        for word in header_lacks(file) {
            failures.push(format!("{name}: header comment does not say its {word}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn f16_variants_parse_and_validate() {
    // The fast mode's rewrite of each kernel (f16 activation storage) must stay valid WGSL too.
    let mut failures = Vec::new();
    for (name, _) in inbetween_gpu::SHADERS {
        for out_act in [false, true] {
            let source = inbetween_gpu::shader_source(name, inbetween_gpu::Precision::F16, out_act);
            assert!(
                source.contains("alias Act = f16;"),
                "{name}: no Act alias to rewrite"
            );
            match naga::front::wgsl::parse_str(&source) {
                Ok(module) => {
                    let mut v = naga::valid::Validator::new(
                        naga::valid::ValidationFlags::all(),
                        naga::valid::Capabilities::SHADER_FLOAT16,
                    );
                    if let Err(e) = v.validate(&module) {
                        failures.push(format!("{name} (f16): {}", e.emit_to_string(&source)));
                    }
                }
                Err(e) => failures.push(format!("{name} (f16): {}", e.emit_to_string(&source))),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The packed fast mode (`Precision::F16Packed`: f16 pairs in u32 words through the core
/// `pack2x16float`/`unpack2x16float`, for adapters without `shader-f16`) is valid WGSL without
/// any capability, and touches its activation arrays only through the packing helpers: a raw
/// `f32(src[i])` or `dst[i] = Act(v)` left in a kernel would still compile there (a u32 value
/// cast), silently wrong.
#[test]
fn packed_variants_parse_and_validate() {
    let mut failures = Vec::new();
    for (name, file) in inbetween_gpu::SHADERS {
        // The bindings of activations: `array<Act>` and the deconv's `array<Out>`.
        let act_arrays: Vec<&str> = file
            .lines()
            .filter(|l| {
                l.starts_with("@group") && (l.contains("array<Act>") || l.contains("array<Out>"))
            })
            .filter_map(|l| l.split("> ").nth(1)?.split(':').next())
            .collect();
        if act_arrays.is_empty() {
            failures.push(format!("{name}: no activation bindings found"));
        }
        for out_act in [false, true] {
            let source =
                inbetween_gpu::shader_source(name, inbetween_gpu::Precision::F16Packed, out_act);
            let label = format!("{name} (packed, out_act {out_act})");
            if !source.contains("alias Act = u32;")
                || source.lines().any(|l| l.trim() == "enable f16;")
            {
                failures.push(format!("{label}: Act is not u32, or f16 is enabled"));
            }
            for line in source.lines().filter(|l| !l.trim_start().starts_with("//")) {
                let code = line.split("//").next().unwrap();
                for a in &act_arrays {
                    let touches = code.match_indices(&format!("{a}[")).any(|(i, _)| {
                        i == 0
                            || !code.as_bytes()[i - 1].is_ascii_alphanumeric()
                                && code.as_bytes()[i - 1] != b'_'
                    });
                    if touches && !(code.contains("half_at(") || code.contains("pack2x16float(")) {
                        failures.push(format!(
                            "{label}: `{a}` used without packing: {}",
                            line.trim()
                        ));
                    }
                }
                if code.contains("Act(") || code.contains("Out(") {
                    failures.push(format!(
                        "{label}: a conversion to the storage type: {}",
                        line.trim()
                    ));
                }
            }
            match naga::front::wgsl::parse_str(&source) {
                Ok(module) => {
                    // pack2x16float/unpack2x16float: core WGSL in WebGPU, a capability in
                    // naga (wgpu's downlevel SHADER_F16_IN_F32, which Vulkan, Metal and DX12
                    // have). No SHADER_FLOAT16: the packed form needs no `shader-f16`.
                    let mut v = naga::valid::Validator::new(
                        naga::valid::ValidationFlags::all(),
                        naga::valid::Capabilities::SHADER_FLOAT16_IN_FLOAT32,
                    );
                    if let Err(e) = v.validate(&module) {
                        failures.push(format!("{label}: {}", e.emit_to_string(&source)));
                    }
                }
                Err(e) => failures.push(format!("{label}: {}", e.emit_to_string(&source))),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_file_in_shaders_is_loaded() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shaders");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".wgsl") && !NOT_THE_ENGINES.iter().any(|(f, _)| f == n))
        .collect();
    files.sort();
    let mut loaded: Vec<String> = inbetween_gpu::SHADERS
        .iter()
        .chain([
            &inbetween_gpu::PRELUDE,
            &inbetween_gpu::STORAGE,
            &inbetween_gpu::PRESENT,
        ])
        .map(|(n, _)| n.to_string())
        .collect();
    loaded.sort();
    assert_eq!(files, loaded);
    for (name, source) in inbetween_gpu::SHADERS.iter().chain([
        &inbetween_gpu::PRELUDE,
        &inbetween_gpu::STORAGE,
        &inbetween_gpu::PRESENT,
    ]) {
        assert_eq!(
            std::fs::read_to_string(dir.join(name)).unwrap(),
            *source,
            "{name}"
        );
    }
}

#[test]
fn present_shader_parses_and_validates() {
    // The render pass of `Engine::draw`: a vertex and a fragment entry point, no prelude.
    let (name, source) = inbetween_gpu::PRESENT;
    let module = naga::front::wgsl::parse_str(source)
        .unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(source)));
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::empty(),
    )
    .validate(&module)
    .unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(source)));
    let entry: Vec<_> = module
        .entry_points
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(entry, ["vs", "fs"], "{name}");
    let header: String = source
        .lines()
        .take_while(|l| l.starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    for word in ["Layout", "Bindings", "Dispatch"] {
        assert!(
            header.contains(word),
            "{name}: header does not say its {word}"
        );
    }
}

/// Each kernel's bindings fit WebGPU's default per-stage limits (`wgpu::Limits::default()`,
/// what a browser gives without asking): a native adapter such as lavapipe allows more, so only
/// this test would notice a kernel that a browser refuses. Counted over the declarations, which
/// is at least what the default pipeline layout holds; in the f32 form and in the packed f16
/// form that browsers without `shader-f16` run.
#[test]
fn every_kernel_fits_webgpu_default_binding_counts() {
    use inbetween_gpu::Precision;
    let limits = wgpu::Limits::default();
    let mut failures = Vec::new();
    for (name, precision) in inbetween_gpu::SHADERS
        .iter()
        .flat_map(|(n, _)| [(*n, Precision::F32), (*n, Precision::F16Packed)])
    {
        let source = inbetween_gpu::shader_source(name, precision, true);
        let name = format!("{name} ({precision:?})");
        let module = naga::front::wgsl::parse_str(&source).unwrap();
        let (mut uniform, mut storage, mut storage_tex, mut sampled, mut bindings) =
            (0, 0, 0, 0, 0);
        for (_, var) in module.global_variables.iter() {
            if var.binding.is_none() {
                continue;
            }
            bindings += 1;
            match (&var.space, &module.types[var.ty].inner) {
                (naga::AddressSpace::Uniform, _) => uniform += 1,
                (naga::AddressSpace::Storage { .. }, _) => storage += 1,
                (
                    _,
                    naga::TypeInner::Image {
                        class: naga::ImageClass::Storage { .. },
                        ..
                    },
                ) => storage_tex += 1,
                (_, naga::TypeInner::Image { .. }) => sampled += 1,
                (space, ty) => failures.push(format!("{name}: a binding of {space:?} {ty:?}")),
            }
        }
        println!(
            "{name}: {bindings} bindings: {uniform} uniform, {storage} storage buffers, \
             {storage_tex} storage textures, {sampled} sampled textures"
        );
        for (what, n, max) in [
            (
                "uniform buffers",
                uniform,
                limits.max_uniform_buffers_per_shader_stage,
            ),
            (
                "storage buffers",
                storage,
                limits.max_storage_buffers_per_shader_stage,
            ),
            (
                "storage textures",
                storage_tex,
                limits.max_storage_textures_per_shader_stage,
            ),
            (
                "sampled textures",
                sampled,
                limits.max_sampled_textures_per_shader_stage,
            ),
            (
                "bindings in a group",
                bindings,
                limits.max_bindings_per_bind_group,
            ),
        ] {
            if n > max {
                failures.push(format!("{name}: {n} {what}, WebGPU's default is {max}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
