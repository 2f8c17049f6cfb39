//! `gpu-bench`: ms per new in-between frame of the WGSL engine (crate/gpu) and of the old
//! burn-wgpu path (`BackendKind::Gpu` in the core), in the same run, at the sizes given.
//!
//! A "new in-between frame" is what a video needs per source frame: upload and encode the new
//! frame, run the five blocks with the previous frame, and read the result back as 8-bit pixels.
//! The previous frame is reused (burn: the `Frame`; here: the `GpuFrame` handle).
//! The first frame of each engine (pipeline creation, plan building) is timed apart.
//!
//! ```text
//! cargo run -p inbetween-gpu --example gpu-bench -- --sizes 448x256,640x360 --iters 5
//! ```
//! Nothing here asserts a speed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use inbetween::{BackendKind, ImageRef, Interpolator, Timestep};
use inbetween_gpu::{Engine, Precision, Weights, block_on};

#[derive(Parser)]
struct Args {
    /// Comma-separated WxH sizes.
    #[arg(long, default_value = "640x360")]
    sizes: String,
    /// RIFE scale (flow computed at 1/scale resolution).
    #[arg(long, default_value_t = 1.0)]
    scale: f32,
    /// Timed frames per size and engine (after one warm-up frame).
    #[arg(long, default_value_t = 5)]
    iters: usize,
    #[arg(long, default_value = "models/rife-4.25.bpk")]
    model: PathBuf,
    /// Engines to time: wgsl (this crate, f32), wgsl-f16 (f16 storage: WGSL f16 where the
    /// adapter has shader-f16, else packed), wgsl-f16-packed (f16 pairs in u32 words through
    /// pack2x16float, on any adapter), burn (burn-wgpu).
    #[arg(long, default_value = "wgsl,wgsl-f16,wgsl-f16-packed,burn")]
    engines: String,
    /// Also time every dispatch of one new frame with GPU timestamps (one pass each) and print
    /// where the time goes.
    #[arg(long)]
    profile: bool,
}

/// CPU time of this process (all threads: lavapipe runs its shaders on worker threads), in ms.
/// On a shared machine this is steadier than wall time for a software adapter. Linux only.
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime and stime are 14 and 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| f.get(i).and_then(|v| v.parse::<f64>().ok()))
        .sum();
    ticks * 10.0 // USER_HZ is 100 on Linux
}

/// Per-dispatch GPU times grouped by kernel and by block, and the slowest dispatches.
fn print_profile(label: &str, w: usize, h: usize, times: &[(String, f64)]) {
    let total: f64 = times.iter().map(|t| t.1).sum();
    println!(
        "{label} {w}x{h} profile: {total:.2} ms GPU time in {} dispatches",
        times.len()
    );
    let mut groups: Vec<(String, f64)> = Vec::new();
    for (name, ms) in times {
        // "block2.resconv5" -> "block2.resconv", "encode.cnn1" stays.
        let key = name
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .to_string();
        let key = if key.ends_with('.') {
            name.clone()
        } else {
            key
        };
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => g.1 += ms,
            None => groups.push((key, *ms)),
        }
    }
    for (key, ms) in &groups {
        println!("  {key:<24} {ms:8.2} ms  {:5.1}%", 100.0 * ms / total);
    }
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e3
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let sizes: Vec<(u32, u32)> = args
        .sizes
        .split(',')
        .map(|s| {
            let (w, h) = s.split_once('x').ok_or("sizes look like 640x360")?;
            Ok::<_, Box<dyn std::error::Error>>((w.parse()?, h.parse()?))
        })
        .collect::<Result<_, _>>()?;
    let engines: Vec<&str> = args.engines.split(',').collect();
    let a = image::open("tests/golden/images/I0_0.png")?.to_rgb8();
    let b = image::open("tests/golden/images/I0_1.png")?.to_rgb8();

    let bytes = std::fs::read(&args.model)?;
    let mut wgsl = Vec::new();
    for (label, precision) in [
        ("wgsl", Precision::F32),
        ("wgsl-f16", Precision::F16),
        ("wgsl-f16-packed", Precision::F16Packed),
    ] {
        if !engines.contains(&label) {
            continue;
        }
        let start = Instant::now();
        let weights = Weights::from_bytes(bytes.clone())?;
        let packed = start.elapsed();
        let start = Instant::now();
        match block_on(Engine::request_with(&weights, precision)) {
            Ok(engine) => {
                println!(
                    "{label}: weights packed in {:.0} ms; device + pipelines in {:.0} ms ({}; runs {:?})",
                    packed.as_secs_f64() * 1e3,
                    start.elapsed().as_secs_f64() * 1e3,
                    engine.device().adapter_info().name,
                    engine.precision()
                );
                wgsl.push((label, engine));
            }
            Err(e) => println!("{label}: unavailable ({e})"),
        }
    }
    let burn = if engines.contains(&"burn") {
        match Interpolator::from_file(&args.model, BackendKind::Gpu) {
            Ok(i) => Some(i),
            Err(e) => {
                println!("burn-wgpu: unavailable ({e})");
                None
            }
        }
    } else {
        None
    };

    let mut rows = Vec::new();
    for &(w, h) in &sizes {
        let ra = image::imageops::resize(&a, w, h, image::imageops::FilterType::Triangle);
        let rb = image::imageops::resize(&b, w, h, image::imageops::FilterType::Triangle);
        let frames = [ra.as_raw().clone(), rb.as_raw().clone()];
        let (w, h) = (w as usize, h as usize);
        let t = Timestep::Uniform(0.5);
        let mut new_ms = Vec::new();
        for &(label, ref engine) in &wgsl {
            let start = Instant::now();
            let mut prev = engine.prepare(&frames[0], w, h, 3, args.scale)?;
            let next = engine.prepare(&frames[1], w, h, 3, args.scale)?;
            let out = engine.interpolate(&prev, &next, &t)?;
            block_on(engine.read_rgba8(&out))?;
            let first = start.elapsed();
            prev = next;
            let mut times = Vec::new();
            let d0 = engine.dispatch_count();
            let c0 = cpu_ms();
            for i in 0..args.iters {
                let start = Instant::now();
                let next = engine.prepare(&frames[i % 2], w, h, 3, args.scale)?;
                let out = engine.interpolate(&prev, &next, &t)?;
                block_on(engine.read_rgba8(&out))?;
                times.push(start.elapsed());
                prev = next;
            }
            let cpu = (cpu_ms() - c0) / args.iters as f64;
            let per = (engine.dispatch_count() - d0) / args.iters as u64;
            let ms = median(times);
            println!(
                "{label} {w}x{h} scale {}: {ms:.1} ms per new in-between frame ({per} dispatches; {cpu:.0} ms CPU time a frame); first frame of this size (plan + 2 encodes) {:.0} ms",
                args.scale,
                first.as_secs_f64() * 1e3
            );
            // Throughput: frames submitted back to back, one readback at the end (what a player
            // that shows frames from GPU buffers sees; no per-frame sync).
            let start = Instant::now();
            let mut last = None;
            for i in 0..args.iters {
                let next = engine.prepare(&frames[i % 2], w, h, 3, args.scale)?;
                last = Some(engine.interpolate(&prev, &next, &t)?);
                prev = next;
            }
            if let Some(out) = &last {
                block_on(engine.read_rgba8(out))?;
            }
            println!(
                "{label} {w}x{h} scale {}: {:.1} ms per frame submitted back to back ({} frames, one readback)",
                args.scale,
                start.elapsed().as_secs_f64() * 1e3 / args.iters as f64,
                args.iters
            );
            if args.profile {
                let next = engine.prepare(&frames[0], w, h, 3, args.scale)?;
                match block_on(engine.profile(&prev, &next, &t)) {
                    Ok(times) => print_profile(label, w, h, &times),
                    Err(e) => println!("{label}: no profile ({e})"),
                }
            }
            new_ms.push((label, ms, cpu));
            rows.push((label, w, h, ms));
        }
        // The storage forms against each other, in the same run: each f16 form against f32, and
        // the packed form against WGSL f16.
        let of = |l: &str| new_ms.iter().find(|e| e.0 == l).map(|e| (e.1, e.2));
        for (num, den) in [
            ("wgsl-f16", "wgsl"),
            ("wgsl-f16-packed", "wgsl"),
            ("wgsl-f16-packed", "wgsl-f16"),
        ] {
            if let (Some(n), Some(d)) = (of(num), of(den)) {
                println!(
                    "{w}x{h} scale {}: {num}/{den} = {:.3} (wall), {:.3} (CPU time)",
                    args.scale,
                    n.0 / d.0,
                    n.1 / d.1
                );
            }
        }
        if let Some(interp) = &burn {
            let img = |i: usize| ImageRef::new(&frames[i], w, h, 3);
            let mut prev = interp.prepare(img(0)?, args.scale)?;
            // Warm-up: kernel compilation and autotuning.
            let next = interp.prepare(img(1)?, args.scale)?;
            interp.interpolate(&prev, &next, &t)?.frame_rgb8()?;
            prev = next;
            let mut times = Vec::new();
            let c0 = cpu_ms();
            for i in 0..args.iters {
                let start = Instant::now();
                let next = interp.prepare(img(i % 2)?, args.scale)?;
                interp.interpolate(&prev, &next, &t)?.frame_rgb8()?;
                times.push(start.elapsed());
                prev = next;
            }
            let cpu = (cpu_ms() - c0) / args.iters as f64;
            let ms = median(times);
            let ratio: String = new_ms
                .iter()
                .map(|(l, n, c)| {
                    format!(
                        "; {l}/burn = {:.3} (wall), {:.3} (CPU time)",
                        n / ms,
                        c / cpu
                    )
                })
                .collect();
            println!(
                "burn-wgpu {w}x{h} scale {}: {ms:.1} ms per new in-between frame ({cpu:.0} ms CPU time a frame){ratio}",
                args.scale
            );
            rows.push(("burn-wgpu", w, h, ms));
        }
    }
    println!("\n| size | engine | ms / new frame |");
    println!("|---|---|---|");
    for (e, w, h, ms) in rows {
        println!("| {w}x{h} | {e} | {ms:.1} |");
    }
    Ok(())
}
