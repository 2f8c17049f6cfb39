//! Frames that stay on the GPU (issue 9, item 3), natively: the same paths the browser uses.
//!
//! - A frame prepared from a texture (`prepare_texture`, what an imported `VideoFrame` goes
//!   through) gives bit for bit what the same pixels uploaded as bytes give, for rgba8 and bgra8
//!   textures, at an odd width whose rows the texture copy pads to 256 bytes. It adds no dispatch.
//! - An output drawn into a texture (`draw`, what a WebGPU canvas gets) holds exactly the
//!   pixels `read_rgba8` returns, in rgba8 and bgra8 targets.

mod support;

use inbetween_gpu::{Timestep, block_on};
use support::*;

fn texture(
    engine: &inbetween_gpu::Engine,
    w: usize,
    h: usize,
    format: wgpu::TextureFormat,
    usage: wgpu::TextureUsages,
) -> wgpu::Texture {
    engine.device().create_texture(&wgpu::TextureDescriptor {
        label: Some("test"),
        size: wgpu::Extent3d {
            width: w as u32,
            height: h as u32,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage,
        view_formats: &[],
    })
}

/// A texture holding `rgb` (interleaved RGB bytes) in `format` (rgba8 or bgra8), alpha 9.
fn upload(
    engine: &inbetween_gpu::Engine,
    rgb: &[u8],
    w: usize,
    h: usize,
    format: wgpu::TextureFormat,
) -> wgpu::Texture {
    let bgra = matches!(format, wgpu::TextureFormat::Bgra8Unorm);
    let texels: Vec<u8> = rgb
        .chunks_exact(3)
        .flat_map(|p| {
            if bgra {
                [p[2], p[1], p[0], 9]
            } else {
                [p[0], p[1], p[2], 9]
            }
        })
        .collect();
    let t = texture(
        engine,
        w,
        h,
        format,
        wgpu::TextureUsages::COPY_SRC | wgpu::TextureUsages::COPY_DST,
    );
    engine.queue().write_texture(
        t.as_image_copy(),
        &texels,
        wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(4 * w as u32),
            rows_per_image: None,
        },
        t.size(),
    );
    t
}

/// The texture's texels, rows packed (`4·w` bytes each).
fn read_texture(engine: &inbetween_gpu::Engine, t: &wgpu::Texture) -> Vec<u8> {
    let (w, h) = (t.width() as usize, t.height() as usize);
    let row = (4 * w).next_multiple_of(256);
    let device = engine.device();
    let staging = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("texture readback"),
        size: (row * h) as u64,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut encoder = device.create_command_encoder(&Default::default());
    encoder.copy_texture_to_buffer(
        t.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &staging,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(row as u32),
                rows_per_image: None,
            },
        },
        t.size(),
    );
    engine.queue().submit([encoder.finish()]);
    staging.map_async(wgpu::MapMode::Read, .., |r| r.unwrap());
    device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
    let mapped = staging.get_mapped_range(..).expect("mapped");
    mapped
        .chunks_exact(row)
        .flat_map(|r| r[..4 * w].to_vec())
        .collect()
}

#[test]
fn texture_input_equals_byte_input() {
    let Some(engine) = engine() else { return };
    let cases = support::common::golden_cases();
    // 301x173: rows of 1204 bytes, padded to 1280 by the texture copy.
    let case = cases
        .iter()
        .find(|c| c.name == "i2_crop_s0.5")
        .expect("case i2_crop_s0.5");
    let (a, b, w, h) = rgb_inputs(case);
    let scale = case.scale();
    let t = Timestep::Uniform(0.5);
    let fa = engine.prepare(&a, w, h, 3, scale).unwrap();
    let fb = engine.prepare(&b, w, h, 3, scale).unwrap();
    let bytes = block_on(engine.read_rgb(&engine.interpolate(&fa, &fb, &t).unwrap())).unwrap();
    for format in [
        wgpu::TextureFormat::Rgba8Unorm,
        wgpu::TextureFormat::Bgra8Unorm,
    ] {
        let ta = upload(&engine, &a, w, h, format);
        let tb = upload(&engine, &b, w, h, format);
        let ga = engine.prepare_texture(&ta, scale).unwrap();
        // The texture may be reused (or dropped) once prepare_texture returns: its copy is queued.
        ta.destroy();
        let gb = engine.prepare_texture(&tb, scale).unwrap();
        let (d0, s0) = (engine.dispatch_count(), engine.submission_count());
        let out = engine.interpolate(&ga, &gb, &t).unwrap();
        // Two encodes + 5 blocks, as for frames uploaded as bytes: the import adds no dispatch.
        assert_eq!(engine.dispatch_count() - d0, 73, "{format:?}");
        assert_eq!(engine.submission_count() - s0, 1, "{format:?}");
        let from_texture = block_on(engine.read_rgb(&out)).unwrap();
        assert_eq!(
            bytes,
            from_texture,
            "{format:?} texture input = byte input (max diff {})",
            max_abs_diff(&bytes, &from_texture)
        );
    }

    // Textures the engine cannot read are refused, not misread.
    let float = texture(
        &engine,
        w,
        h,
        wgpu::TextureFormat::Rgba16Float,
        wgpu::TextureUsages::COPY_SRC,
    );
    assert!(engine.prepare_texture(&float, scale).is_err());
    let no_copy = texture(
        &engine,
        w,
        h,
        wgpu::TextureFormat::Rgba8Unorm,
        wgpu::TextureUsages::TEXTURE_BINDING,
    );
    assert!(engine.prepare_texture(&no_copy, scale).is_err());
    assert!(
        engine
            .prepare_texture(
                &upload(&engine, &a, w, h, wgpu::TextureFormat::Rgba8Unorm),
                9.0
            )
            .is_err()
    );
}

#[test]
fn drawn_output_equals_readback() {
    let Some(engine) = engine() else { return };
    let cases = support::common::golden_cases();
    let case = cases
        .iter()
        .find(|c| c.name == "i2_crop_s0.5")
        .expect("case i2_crop_s0.5");
    let (a, b, w, h) = rgb_inputs(case);
    let scale = case.scale();
    let fa = engine.prepare(&a, w, h, 3, scale).unwrap();
    let fb = engine.prepare(&b, w, h, 3, scale).unwrap();
    let out = engine
        .interpolate(&fa, &fb, &Timestep::Uniform(0.5))
        .unwrap();
    let rgba = block_on(engine.read_rgba8(&out)).unwrap();
    assert!(
        rgba.chunks_exact(4).any(|p| p[0] != p[1]),
        "a frame with colour"
    );
    for format in [
        wgpu::TextureFormat::Rgba8Unorm,
        wgpu::TextureFormat::Bgra8Unorm,
    ] {
        let target = texture(
            &engine,
            w,
            h,
            format,
            wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
        );
        let view = target.create_view(&Default::default());
        engine
            .draw(&out, &view, format, w as u32, h as u32)
            .unwrap();
        let mut drawn = read_texture(&engine, &target);
        if format == wgpu::TextureFormat::Bgra8Unorm {
            drawn.chunks_exact_mut(4).for_each(|p| p.swap(0, 2));
        }
        let differing = drawn.iter().zip(&rgba).filter(|(x, y)| x != y).count();
        assert_eq!(
            differing, 0,
            "{format:?}: drawn = read back ({differing} bytes differ)"
        );
    }
    // A stale output is not drawn.
    let _next = engine
        .interpolate(&fa, &fb, &Timestep::Uniform(0.25))
        .unwrap();
    let target = texture(
        &engine,
        w,
        h,
        wgpu::TextureFormat::Rgba8Unorm,
        wgpu::TextureUsages::RENDER_ATTACHMENT,
    );
    let view = target.create_view(&Default::default());
    assert!(matches!(
        engine.draw(
            &out,
            &view,
            wgpu::TextureFormat::Rgba8Unorm,
            w as u32,
            h as u32
        ),
        Err(inbetween_gpu::Error::Stale)
    ));
}
